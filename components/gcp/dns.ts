/**
 * Closest-cluster DNS on Cloud DNS, for a topology whose `dns.zone` is a Cloud DNS managed zone.
 *
 * The client name is one record set with a geolocation routing policy: one geo item per
 * location, holding the external IPs of every cluster answering there; Cloud DNS answers a
 * query with the item nearest to where it entered Google's network. A GCP cluster answers in
 * its own region; an AWS cluster in the nearest GCP region (components/common/cloud-regions.ts,
 * or `natsfleet:gcp.geoRegions`), since geo items take GCP region names. Clusters sharing a
 * location share its item (a policy has one item per location). Every aws/gcp cluster also
 * gets `<cluster>.<dns.name>`: a plain A record of its servers.
 *
 * Health: Cloud DNS health-checks external endpoints in public zones (no internal load
 * balancer needed, any public IP, AWS's too): the IPs move from `rrdatas` to
 * `healthCheckedTargets.externalEndpoints` and the policy names a global HTTP health check
 * with three source regions; an item whose servers all fail drops out and the next-nearest
 * answers. Monitoring is never public, so the probes need their own firewall rules (on GCP
 * here, on AWS through the AWS target's security groups), and which Google ranges those probes
 * come from is for the user to state (`natsfleet:gcp.healthCheckCidrs`): without it the policy
 * is plain geolocation, which keeps answering with a region that is down until the record
 * changes. Health-checked and unchecked addresses cannot mix in one policy: all or nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { dnsResult } from "../target";
import type { DnsCluster, DnsRequest, DnsResult } from "../target";
import type { DnsPlan } from "../topology/dns";
import { routingRegions } from "../common/cloud-regions";
import { gcpName, ResolvedGcpOptions } from "./options";

/** Path the health check reads: 200 while the server takes clients, 503 in lame duck. */
export const HEALTH_PATH = "/healthz";
/** Seconds between probes: GCP's minimum for health checks with source regions. */
export const HEALTH_INTERVAL = 30;

/** What the GCP target gives the DNS records: its allocations, looked up by cluster name. */
export interface GcpDnsContext {
  options: ResolvedGcpOptions;
  /** Provider, network and network tag of one of its clusters. */
  cluster(name: string): GcpClusterNetwork;
}

/** Where one GCP cluster's firewall rules go. */
export interface GcpClusterNetwork {
  provider: gcp.Provider;
  network: pulumi.Input<string>;
  tag: string;
}

/** Absolute DNS name, as Cloud DNS writes them. */
const fqdn = (n: string) => `${n}.`;

/** The one public managed zone serving `zone` among a project's zones; throws naming what it found. */
export function findManagedZone(zones: ReadonlyArray<{ name?: string; dnsName: string; visibility: string }>, zone: string): string {
  const hits = zones.filter((z) => z.dnsName === fqdn(zone) && z.visibility === "public" && z.name);
  if (hits.length !== 1) {
    const found = hits.length ? `${hits.length} (${hits.map((z) => z.name).join(", ")})` : "none";
    throw new Error(`dns.zone ${zone}: expected one public Cloud DNS managed zone for ${fqdn(zone)} in the project, found ${found}; set natsfleet:gcp.managedZone`);
  }
  return hits[0]!.name!;
}

/** The managed zone's name: the option, or the lookup by domain. */
function managedZone(zone: string, ctx: GcpDnsContext, opts: pulumi.InvokeOutputOptions): pulumi.Input<string> {
  if (ctx.options.managedZone) return ctx.options.managedZone;
  return gcp.dns.getManagedZonesOutput({}, opts).managedZones.apply((zones) => findManagedZone(zones, zone));
}

/** The one monitoring port the policy's health check reads; throws when the servers differ. */
function healthCheckPort(name: string, clusters: ReadonlyArray<{ servers: ReadonlyArray<{ ports: { http: number } }> }>): number {
  const ports = [...new Set(clusters.flatMap((c) => c.servers.map((s) => s.ports.http)))];
  if (ports.length !== 1) throw new Error(`gcp dns: the health check of ${name} reads one port, but the servers use monitoring ports ${ports.join(", ")}`);
  return ports[0]!;
}

/**
 * Throws, before anything registers, what the records could not carry: an AWS cluster's
 * region with no geo location, servers on two monitoring ports for the one health check.
 */
export function checkGcpDns(plan: DnsPlan, options: ResolvedGcpOptions): void {
  routingRegions(plan.foreign, "gcp", options.geoRegions);
  if (options.healthCheckCidrs.length) healthCheckPort(plan.dns.name, [...plan.own, ...plan.foreign]);
}

/**
 * The monitoring port of `c`'s servers opened to a DNS service's health checkers: one rule
 * per cluster, `${prefix}-<cluster>-fw-dns-healthcheck`, whichever service checks.
 */
export function healthCheckerFirewall(c: DnsCluster, where: GcpClusterNetwork, cidrs: pulumi.Input<string[]>, service: string, parent: pulumi.Resource, prefix: string): gcp.compute.Firewall {
  const ports = [...new Set(c.group.servers.map((s) => s.ports.http))].sort((a, b) => a - b).map(String);
  return new gcp.compute.Firewall(
    `${prefix}-${c.group.name}-fw-dns-healthcheck`,
    {
      name: gcpName(`${prefix}-${c.group.name}-fw-dns-healthcheck`),
      network: where.network,
      direction: "INGRESS",
      targetTags: [where.tag],
      allows: [{ protocol: "tcp", ports }],
      sourceRanges: cidrs,
      description: `${service} health checks of ${HEALTH_PATH}`,
    },
    { parent, provider: where.provider },
  );
}

export function gcpDns(req: DnsRequest, ctx: GcpDnsContext): DnsResult {
  if (req.own.length === 0) throw new Error("gcp dns: no GCP cluster to answer for the client name");
  const { dns, parent, prefix } = req;
  // Cloud DNS is global; the first cluster's provider (its project) stays as the topology grows
  const provider = ctx.cluster(req.own[0]!.group.name).provider;
  const opts = { parent, provider };
  const zone = managedZone(dns.zone, ctx, opts);
  const all = [...req.own, ...req.foreign];
  const healthChecked = ctx.options.healthCheckCidrs.length > 0;

  let healthCheck: gcp.compute.HealthCheck | undefined;
  if (healthChecked) {
    // one check for the whole policy: every server must serve /healthz on one port
    const port = healthCheckPort(dns.name, all.map((c) => c.group));
    const cidrs = ctx.options.healthCheckCidrs;
    const rules: pulumi.Resource[] = req.own.map((c) => healthCheckerFirewall(c, ctx.cluster(c.group.name), cidrs, "Cloud DNS", parent, prefix));
    if (req.foreign.length) rules.push(...req.admitCheckers({ service: "Cloud DNS", cidrs }));
    healthCheck = new gcp.compute.HealthCheck(
      `${prefix}-dns-healthcheck`,
      {
        name: gcpName(`${prefix}-dns-healthcheck`),
        description: `natsfleet ${dns.name}: servers' ${HEALTH_PATH}`,
        checkIntervalSec: HEALTH_INTERVAL,
        timeoutSec: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
        httpHealthCheck: { port, portSpecification: "USE_FIXED_PORT", requestPath: HEALTH_PATH },
        sourceRegions: ctx.options.healthCheckRegions,
      },
      { ...opts, dependsOn: rules },
    );
  }

  const located = routingRegions(all.map((c) => c.group), "gcp", ctx.options.geoRegions);
  const locations = new Map<string, pulumi.Input<string>[]>();
  for (const c of all) {
    const location = located.get(c.group.name)!;
    locations.set(location, [...(locations.get(location) ?? []), ...Object.values(c.addresses)]);
  }
  const geos = [...locations].map(([location, ips]) => (healthChecked ? { location, healthCheckedTargets: { externalEndpoints: ips } } : { location, rrdatas: ips }));
  const records: gcp.dns.RecordSet[] = [
    new gcp.dns.RecordSet(
      `${prefix}-dns-client`,
      { managedZone: zone, name: fqdn(dns.name), type: "A", ttl: dns.ttl, routingPolicy: { geos, ...(healthCheck ? { healthCheck: healthCheck.id } : {}) } },
      opts,
    ),
  ];
  for (const c of all) {
    records.push(new gcp.dns.RecordSet(`${prefix}-dns-cluster-${c.group.name}`, { managedZone: zone, name: fqdn(c.name), type: "A", ttl: dns.ttl, rrdatas: Object.values(c.addresses) }, opts));
  }

  return dnsResult(req, pulumi.all(records.map((r) => r.id)));
}
