/**
 * What the AWS target lets a user choose beyond the topology's `aws:` block (instance type,
 * AMI, existing VPC/subnets, key pair). Given to `new AwsTarget(...)`, or read from stack
 * config: `natsfleet:allowedCidrs`, `natsfleet:monitorCidrs` and the object `natsfleet:aws`.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as aws from "@pulumi/aws";
import { cidrProblems } from "../common/firewall";
import { regionMapProblems } from "../common/cloud-regions";
import { stackKeyProblems } from "../common/stack-options";

export interface AwsTargetOptions {
  /** Who may reach client and leaf node ports. Default: nobody outside the VPC's security groups. */
  allowedCidrs?: string[];
  /** Who may reach the monitoring port (never the internet). Default: nobody. */
  monitorCidrs?: string[];
  /** CIDR of a VPC this target creates (one per region). Default 10.42.0.0/16. */
  vpcCidr?: string;
  /** How many availability zones new subnets spread over (servers round-robin). Default 3. */
  zoneCount?: number;
  /** Root volume size in GiB. Default 20. */
  diskSizeGb?: number;
  /** Root volume type. Default gp3. */
  diskType?: string;
  /** AMI name pattern looked up when the topology gives no `ami` (Amazon Linux 2023). */
  amiNamePattern?: string;
  /** AMI architecture. Default x86_64. */
  architecture?: "x86_64" | "arm64";
  /** Extra tags on every resource. */
  tags?: Record<string, string>;
  /** Seconds between a server's config polls. Default 15. */
  pollSeconds?: number;
  /** Providers by region, instead of one this target makes per region. */
  providers?: Record<string, aws.Provider>;
  /**
   * Route53 hosted zone id of the topology's `dns.zone` (e.g. Z0123456789ABC). Default: the
   * public hosted zone looked up by that domain.
   */
  hostedZoneId?: string;
  /**
   * Who Route53 health checkers are, for the monitoring-port rules the DNS health checks need.
   * Default: on AWS, AWS's managed prefix list `com.amazonaws.<region>.route53-healthchecks`,
   * which AWS keeps current; on GCP clusters of the same client name, the ROUTE53_HEALTHCHECKS
   * IPv4 ranges of ip-ranges.json, read at deploy. Give CIDRs to pin the ranges instead, e.g.
   * where that list is not offered (GCP rules get the IPv4 ones).
   */
  healthCheckCidrs?: string[];
  /**
   * GCP region -> the AWS region whose Route53 latency record carries that region's GCP
   * clusters, when Route53 holds the zone (a latency record's region must be an AWS region).
   * Default: the nearest AWS region (components/common/cloud-regions.ts); give a region that
   * table lacks, or a different choice, e.g. { "europe-west1": "eu-west-1" }.
   */
  latencyRegions?: Record<string, string>;
}

export interface ResolvedAwsOptions extends Required<Omit<AwsTargetOptions, "providers" | "hostedZoneId">> {
  providers: Record<string, aws.Provider>;
  hostedZoneId?: string;
}

export const AWS_DEFAULTS = {
  vpcCidr: "10.42.0.0/16",
  zoneCount: 3,
  diskSizeGb: 20,
  diskType: "gp3",
  amiNamePattern: "al2023-ami-2023.*-kernel-*",
  architecture: "x86_64" as const,
  pollSeconds: 15,
};

/** Keys `natsfleet:aws` may hold (providers are code, not config). */
export const AWS_OPTION_KEYS = ["allowedCidrs", "monitorCidrs", "vpcCidr", "zoneCount", "diskSizeGb", "diskType", "amiNamePattern", "architecture", "tags", "pollSeconds", "hostedZoneId", "healthCheckCidrs", "latencyRegions"] as const;

/** Options given in code win; stack config fills the rest; then the defaults. Bad values throw, naming the key. */
export function resolveAwsOptions(given: AwsTargetOptions): ResolvedAwsOptions {
  const config = new pulumi.Config("natsfleet");
  const fromStack = (config.getObject<AwsTargetOptions>("aws") ?? {}) as AwsTargetOptions;
  const unknown = stackKeyProblems(fromStack, "natsfleet:aws", AWS_OPTION_KEYS);
  if (unknown.length) throw new pulumi.RunError(`AWS target options: ${unknown.join("; ")}`);
  const o: AwsTargetOptions = { ...fromStack, ...given };
  const allowedCidrs = o.allowedCidrs ?? config.getObject<string[]>("allowedCidrs") ?? [];
  const monitorCidrs = o.monitorCidrs ?? config.getObject<string[]>("monitorCidrs") ?? [];
  const healthCheckCidrs = o.healthCheckCidrs ?? [];
  const problems = [
    ...cidrProblems(allowedCidrs, "natsfleet:allowedCidrs", true),
    ...cidrProblems(monitorCidrs, "natsfleet:monitorCidrs", false),
    ...cidrProblems(healthCheckCidrs, "natsfleet:aws.healthCheckCidrs", false),
    ...regionMapProblems(o.latencyRegions ?? {}, "natsfleet:aws.latencyRegions", "gcp", "aws"),
  ];
  if (o.hostedZoneId !== undefined && !/^Z[A-Z0-9]{1,31}$/.test(o.hostedZoneId)) problems.push(`natsfleet:aws.hostedZoneId: expected a Route53 hosted zone id like Z0123456789ABC, got ${JSON.stringify(o.hostedZoneId)}`);
  const zoneCount = o.zoneCount ?? AWS_DEFAULTS.zoneCount;
  if (!Number.isInteger(zoneCount) || zoneCount < 1 || zoneCount > 6) problems.push(`natsfleet:aws.zoneCount: expected 1..6, got ${JSON.stringify(zoneCount)}`);
  const diskSizeGb = o.diskSizeGb ?? AWS_DEFAULTS.diskSizeGb;
  if (!Number.isInteger(diskSizeGb) || diskSizeGb < 8) problems.push(`natsfleet:aws.diskSizeGb: expected an integer >= 8, got ${JSON.stringify(diskSizeGb)}`);
  const vpcCidr = o.vpcCidr ?? AWS_DEFAULTS.vpcCidr;
  const m = /^(\d+)\.(\d+)\.0\.0\/16$/.exec(vpcCidr);
  if (!m) problems.push(`natsfleet:aws.vpcCidr: expected a /16 like 10.42.0.0/16, got ${JSON.stringify(vpcCidr)}`);
  if (problems.length) throw new pulumi.RunError(`AWS target options: ${problems.join("; ")}`);
  return {
    allowedCidrs,
    monitorCidrs,
    vpcCidr,
    zoneCount,
    diskSizeGb,
    diskType: o.diskType ?? AWS_DEFAULTS.diskType,
    amiNamePattern: o.amiNamePattern ?? AWS_DEFAULTS.amiNamePattern,
    architecture: o.architecture ?? AWS_DEFAULTS.architecture,
    tags: o.tags ?? {},
    pollSeconds: o.pollSeconds ?? AWS_DEFAULTS.pollSeconds,
    providers: o.providers ?? {},
    healthCheckCidrs,
    latencyRegions: o.latencyRegions ?? {},
    ...(o.hostedZoneId !== undefined ? { hostedZoneId: o.hostedZoneId } : {}),
  };
}

/** The /24 of subnet `i` inside a /16. */
export function subnetCidr(vpcCidr: string, i: number): string {
  const [a, b] = vpcCidr.split(".");
  return `${a}.${b}.${i}.0/24`;
}
