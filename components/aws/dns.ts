/**
 * Closest-cluster DNS on Route53, for a topology whose `dns.zone` is a Route53 hosted zone.
 *
 * The client name gets one latency record per AWS region with clusters (set identifier and
 * latency region = that region), listing the region's servers' Elastic IPs, so a resolver gets
 * the region with the lowest latency from it. Each record carries a CALCULATED health check
 * that is healthy while at least one of the region's servers answers /healthz (one HTTP check
 * per server): a region whose servers are all down drops out and the next-closest answers.
 * Unhealthy servers of a healthy region stay in the answer; NATS clients try the next address.
 * Every aws/gcp cluster also gets `<cluster>.<dns.name>`: a plain A record of its servers.
 *
 * Monitoring is never public (components/common/firewall.ts), yet the health checkers must
 * reach it. A TCP check on the client port would need that port open to them just the same
 * and says less (a port accepting connections, not a server that has joined its cluster), so
 * the monitoring port is opened to Route53's health checkers only: AWS's managed prefix list
 * of them per region by default, or `natsfleet:aws.healthCheckCidrs`. Those are AWS's
 * addresses, not the internet; the prefix list counts as 25 rules of a security group's quota.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { dnsResult } from "../target";
import type { DnsCluster, DnsRequest, DnsResult } from "../target";
import type { ResolvedAwsOptions } from "./options";

/** Path every health check reads: 200 while the server takes clients, 503 in lame duck (so a draining server leaves DNS). */
export const HEALTH_PATH = "/healthz";
/** Seconds between checks from each checker region; 30 is Route53's standard interval. */
export const HEALTH_INTERVAL = 30;
/** Failed checks in a row before a server counts as down. */
export const HEALTH_FAILURES = 3;

/** The AWS managed prefix list of Route53's health checkers in `region`. */
export function healthCheckPrefixList(region: string): string {
  return `com.amazonaws.${region}.route53-healthchecks`;
}

/** What the AWS target gives the DNS records: its allocations, looked up by cluster name. */
export interface AwsDnsContext {
  options: ResolvedAwsOptions;
  /** The provider of an AWS region this target deployed to. */
  provider(region: string): aws.Provider;
  /** The security group of one of its clusters. */
  securityGroup(cluster: string): aws.ec2.SecurityGroup;
  tags: Record<string, string>;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, "-").replace(/-+$/, "");

function regionOf(c: DnsCluster): string {
  if (c.group.target.kind !== "aws") throw new Error(`aws dns: cluster ${c.group.name} runs on ${c.group.target.kind}, not aws`);
  return c.group.target.region;
}

export function awsDns(req: DnsRequest, ctx: AwsDnsContext): DnsResult {
  if (req.routed.length === 0) throw new Error("aws dns: no AWS cluster to answer for the client name");
  const { dns, parent, prefix } = req;
  // Route53 is global; the first cluster's region provider stays the same as the topology grows
  const provider = ctx.provider(regionOf(req.routed[0]!));
  const opts = { parent, provider };
  const zoneId: pulumi.Input<string> = ctx.options.hostedZoneId ?? aws.route53.getZoneOutput({ name: dns.zone, privateZone: false }, opts).zoneId;
  const records: aws.route53.Record[] = [];

  const regions = new Map<string, DnsCluster[]>();
  for (const c of req.routed) regions.set(regionOf(c), [...(regions.get(regionOf(c)) ?? []), c]);
  for (const [region, clusters] of regions) {
    const regional = { parent, provider: ctx.provider(region) };
    const checkers = ctx.options.healthCheckCidrs.length ? undefined : aws.ec2.getManagedPrefixListOutput({ name: healthCheckPrefixList(region) }, regional).id;
    const checks: pulumi.Output<string>[] = [];
    const ips: pulumi.Input<string>[] = [];
    for (const c of clusters) {
      const rules = healthCheckerRules(c, ctx, checkers, regional, `${prefix}-${c.group.name}`);
      for (const s of c.group.servers) {
        const ip = c.addresses[s.name]!;
        ips.push(ip);
        const check = new aws.route53.HealthCheck(
          `${prefix}-dns-hc-server-${s.name}`,
          {
            type: "HTTP",
            ipAddress: ip,
            port: s.ports.http,
            resourcePath: HEALTH_PATH,
            requestInterval: HEALTH_INTERVAL,
            failureThreshold: HEALTH_FAILURES,
            tags: { ...ctx.tags, Name: `natsfleet ${s.name} ${HEALTH_PATH}` },
          },
          // a check before its firewall hole would only report the server down
          { ...opts, dependsOn: rules },
        );
        checks.push(check.id);
      }
    }
    const regionCheck = new aws.route53.HealthCheck(
      `${prefix}-dns-hc-region-${region}`,
      { type: "CALCULATED", childHealthchecks: checks, childHealthThreshold: 1, tags: { ...ctx.tags, Name: `natsfleet ${dns.name} ${region}` } },
      opts,
    );
    records.push(
      new aws.route53.Record(
        `${prefix}-dns-${region}`,
        { zoneId, name: dns.name, type: "A", ttl: dns.ttl, records: ips, setIdentifier: region, latencyRoutingPolicies: [{ region }], healthCheckId: regionCheck.id },
        opts,
      ),
    );
  }

  for (const c of [...req.routed, ...req.named]) {
    records.push(new aws.route53.Record(`${prefix}-dns-cluster-${c.group.name}`, { zoneId, name: c.name, type: "A", ttl: dns.ttl, records: Object.values(c.addresses) }, opts));
  }

  return dnsResult(req, pulumi.all(records.map((r) => r.id)));
}

/** The monitoring port of `c`'s servers opened to the health checkers (prefix list or CIDRs). */
function healthCheckerRules(c: DnsCluster, ctx: AwsDnsContext, prefixList: pulumi.Output<string> | undefined, opts: pulumi.CustomResourceOptions, name: string): pulumi.Resource[] {
  const sg = ctx.securityGroup(c.group.name);
  const out: pulumi.Resource[] = [];
  for (const port of [...new Set(c.group.servers.map((s) => s.ports.http))].sort((a, b) => a - b)) {
    const base = { securityGroupId: sg.id, ipProtocol: "tcp", fromPort: port, toPort: port, description: `Route53 health checks of ${HEALTH_PATH}` };
    if (prefixList) {
      out.push(new aws.vpc.SecurityGroupIngressRule(`${name}-fw-healthcheck-${port}-route53`, { ...base, prefixListId: prefixList }, opts));
      continue;
    }
    for (const cidr of ctx.options.healthCheckCidrs) {
      out.push(new aws.vpc.SecurityGroupIngressRule(`${name}-fw-healthcheck-${port}-${slug(cidr)}`, { ...base, ...(cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr }) }, opts));
    }
  }
  return out;
}
