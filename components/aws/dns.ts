/**
 * Closest-cluster DNS on Route53, for a topology whose `dns.zone` is a Route53 hosted zone.
 *
 * The client name gets one latency record per latency region (set identifier and latency
 * region = that AWS region), listing the servers' public IPs of every cluster answering there,
 * so a resolver gets the region with the lowest latency from it. An AWS cluster answers in its
 * own region; a GCP cluster in the nearest AWS region (components/common/cloud-regions.ts, or
 * `natsfleet:aws.latencyRegions`), since a latency record's region must be an AWS region.
 * Clusters sharing a latency region share its one record (one record per region keeps the
 * set identifiers stable as clusters come and go, and Route53 answers a region with one record
 * anyway): its answer lists all their servers.
 *
 * Each record carries a CALCULATED health check that is healthy while at least one of its
 * servers answers /healthz (one HTTP check per server): a region whose servers are all down
 * drops out and the next-closest answers. Unhealthy servers of a healthy region stay in the
 * answer; NATS clients try the next address. Every aws/gcp cluster also gets
 * `<cluster>.<dns.name>`: a plain A record of its servers.
 *
 * Monitoring is never public (components/common/firewall.ts), yet the health checkers must
 * reach it. A TCP check on the client port would need that port open to them just the same
 * and says less (a port accepting connections, not a server that has joined its cluster), so
 * the monitoring port is opened to Route53's health checkers only. On AWS: AWS's managed
 * prefix list of them per region by default, or `natsfleet:aws.healthCheckCidrs`; the prefix
 * list counts as 25 rules of a security group's quota. On GCP, which has no such list, the GCP
 * target's firewall admits the IPv4 ranges AWS publishes for ROUTE53_HEALTHCHECKS (ip-ranges.
 * json, read at deploy), or those CIDRs. Either way: AWS's addresses, never the internet.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as net from "net";
import { dnsResult } from "../target";
import type { DnsCluster, DnsRequest, DnsResult } from "../target";
import type { DnsPlan } from "../topology/dns";
import { routingRegions } from "../common/cloud-regions";
import type { ResolvedAwsOptions } from "./options";

/** Path every health check reads: 200 while the server takes clients, 503 in lame duck (so a draining server leaves DNS). */
export const HEALTH_PATH = "/healthz";
/** Seconds between checks from each checker region; 30 is Route53's standard interval. */
export const HEALTH_INTERVAL = 30;
/** Failed checks in a row before a server counts as down. */
export const HEALTH_FAILURES = 3;
/** The ip-ranges.json service of Route53's health checkers, as `aws.getIpRanges` takes it. */
export const HEALTH_CHECKER_SERVICE = "route53_healthchecks";

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

/** Throws, before anything registers, when a GCP cluster's region has no latency region. */
export function checkAwsDns(plan: DnsPlan, options: ResolvedAwsOptions): void {
  routingRegions(plan.foreign, "aws", options.latencyRegions);
}

export function awsDns(req: DnsRequest, ctx: AwsDnsContext): DnsResult {
  if (req.own.length === 0) throw new Error("aws dns: no AWS cluster to answer for the client name");
  const { dns, parent, prefix } = req;
  // Route53 is global; the first cluster's region provider stays the same as the topology grows
  const provider = ctx.provider(regionOf(req.own[0]!));
  const opts = { parent, provider };
  const zoneId: pulumi.Input<string> = ctx.options.hostedZoneId ?? aws.route53.getZoneOutput({ name: dns.zone, privateZone: false }, opts).zoneId;
  const records: aws.route53.Record[] = [];

  // the rules each cluster's checks wait for: a check before its firewall hole would only report the server down
  const rules = new Map<string, pulumi.Resource[]>();
  const prefixLists = new Map<string, pulumi.Output<string>>();
  for (const c of req.own) {
    const region = regionOf(c);
    const regional = { parent, provider: ctx.provider(region) };
    let source: CheckerSource = { cidrs: ctx.options.healthCheckCidrs };
    if (!ctx.options.healthCheckCidrs.length) {
      if (!prefixLists.has(region)) prefixLists.set(region, aws.ec2.getManagedPrefixListOutput({ name: healthCheckPrefixList(region) }, regional).id);
      source = { prefixList: prefixLists.get(region)! };
    }
    rules.set(c.group.name, healthCheckerRules(c, ctx.securityGroup(c.group.name).id, source, "Route53", regional, prefix));
  }
  if (req.foreign.length) {
    const admitted = req.admitCheckers({ service: "Route53", cidrs: route53Checkers(ctx.options, opts) });
    for (const c of req.foreign) rules.set(c.group.name, admitted);
  }

  const latency = routingRegions([...req.own, ...req.foreign].map((c) => c.group), "aws", ctx.options.latencyRegions);
  const regions = new Map<string, DnsCluster[]>();
  for (const c of [...req.own, ...req.foreign]) {
    const region = latency.get(c.group.name)!;
    regions.set(region, [...(regions.get(region) ?? []), c]);
  }
  for (const [region, clusters] of regions) {
    const checks: pulumi.Output<string>[] = [];
    const ips: pulumi.Input<string>[] = [];
    for (const c of clusters) {
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
          { ...opts, dependsOn: rules.get(c.group.name)! },
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

  for (const c of [...req.own, ...req.foreign]) {
    records.push(new aws.route53.Record(`${prefix}-dns-cluster-${c.group.name}`, { zoneId, name: c.name, type: "A", ttl: dns.ttl, records: Object.values(c.addresses) }, opts));
  }

  return dnsResult(req, pulumi.all(records.map((r) => r.id)));
}

/**
 * Route53's health checkers for another cloud's firewall: the pinned CIDRs, else AWS's
 * published ROUTE53_HEALTHCHECKS ranges. IPv4 only: the checks reach the servers' IPv4
 * addresses, and a GCP rule cannot mix families.
 */
function route53Checkers(options: ResolvedAwsOptions, opts: pulumi.InvokeOutputOptions): pulumi.Input<string[]> {
  if (options.healthCheckCidrs.length) {
    const v4 = options.healthCheckCidrs.filter((c) => net.isIPv4(c.split("/")[0]!));
    if (!v4.length) throw new Error("natsfleet:aws.healthCheckCidrs: Route53 checks the GCP clusters' IPv4 addresses, so their firewall needs the checkers' IPv4 ranges; the list has none");
    return v4;
  }
  return aws.getIpRangesOutput({ services: [HEALTH_CHECKER_SERVICE] }, opts).cidrBlocks.apply((cidrs) => {
    // an empty list would leave a GCP rule with no source, which GCP reads as the internet
    if (!cidrs?.length) throw new Error(`aws dns: AWS published no IPv4 ranges for ${HEALTH_CHECKER_SERVICE}; set natsfleet:aws.healthCheckCidrs`);
    return cidrs;
  });
}

/** Who may read /healthz: a managed prefix list, or CIDRs. */
export type CheckerSource = { prefixList: pulumi.Input<string> } | { cidrs: string[] };

/**
 * The monitoring port of `c`'s servers opened to a DNS service's health checkers in security
 * group `sg`: one rule per port and source, named `${prefix}-<cluster>-fw-healthcheck-...`.
 */
export function healthCheckerRules(c: DnsCluster, sg: pulumi.Input<string>, source: CheckerSource, service: string, opts: pulumi.CustomResourceOptions, prefix: string): pulumi.Resource[] {
  const name = `${prefix}-${c.group.name}`;
  const out: pulumi.Resource[] = [];
  for (const port of [...new Set(c.group.servers.map((s) => s.ports.http))].sort((a, b) => a - b)) {
    const base = { securityGroupId: sg, ipProtocol: "tcp", fromPort: port, toPort: port, description: `${service} health checks of ${HEALTH_PATH}` };
    if ("prefixList" in source) {
      out.push(new aws.vpc.SecurityGroupIngressRule(`${name}-fw-healthcheck-${port}-route53`, { ...base, prefixListId: source.prefixList }, opts));
      continue;
    }
    for (const cidr of source.cidrs) {
      out.push(new aws.vpc.SecurityGroupIngressRule(`${name}-fw-healthcheck-${port}-${slug(cidr)}`, { ...base, ...(cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr }) }, opts));
    }
  }
  return out;
}
