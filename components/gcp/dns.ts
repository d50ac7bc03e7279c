/**
 * Closest-cluster DNS on Cloud DNS, for a topology whose `dns.zone` is a Cloud DNS managed zone.
 *
 * The client name is one record set with a geolocation routing policy: one geo item per GCP
 * region with clusters, holding that region's servers' external IPs; Cloud DNS answers a
 * query with the item nearest to where it entered Google's network. Every aws/gcp cluster also
 * gets `<cluster>.<dns.name>`: a plain A record of its servers.
 *
 * Health: Cloud DNS health-checks external endpoints in public zones (no internal load
 * balancer needed): the IPs move from `rrdatas` to `healthCheckedTargets.externalEndpoints`
 * and the policy names a global HTTP health check with three source regions; an item whose
 * servers all fail drops out and the next-nearest answers. Monitoring is never public, so the
 * probes need their own firewall rule, and which Google ranges those probes come from is for
 * the user to state (`natsfleet:gcp.healthCheckCidrs`): without it the policy is plain
 * geolocation, which keeps answering with a region that is down until the record changes.
 * Health-checked and unchecked addresses cannot mix in one policy, so it is all or nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { dnsResult } from "../target";
import type { DnsCluster, DnsRequest, DnsResult } from "../target";
import { gcpName, ResolvedGcpOptions } from "./options";

/** Path the health check reads: 200 while the server takes clients, 503 in lame duck. */
export const HEALTH_PATH = "/healthz";
/** Seconds between probes: GCP's minimum for health checks with source regions. */
export const HEALTH_INTERVAL = 30;

/** What the GCP target gives the DNS records: its allocations, looked up by cluster name. */
export interface GcpDnsContext {
  options: ResolvedGcpOptions;
  /** Provider, network and network tag of one of its clusters. */
  cluster(name: string): { provider: gcp.Provider; network: pulumi.Input<string>; tag: string };
}

/** Absolute DNS name, as Cloud DNS writes them. */
const fqdn = (n: string) => `${n}.`;

function regionOf(c: DnsCluster): string {
  if (c.group.target.kind !== "gcp") throw new Error(`gcp dns: cluster ${c.group.name} runs on ${c.group.target.kind}, not gcp`);
  return c.group.target.region;
}

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

export function gcpDns(req: DnsRequest, ctx: GcpDnsContext): DnsResult {
  if (req.routed.length === 0) throw new Error("gcp dns: no GCP cluster to answer for the client name");
  const { dns, parent, prefix } = req;
  // Cloud DNS is global; the first cluster's provider (its project) stays as the topology grows
  const provider = ctx.cluster(req.routed[0]!.group.name).provider;
  const opts = { parent, provider };
  const zone = managedZone(dns.zone, ctx, opts);
  const healthChecked = ctx.options.healthCheckCidrs.length > 0;

  let healthCheck: gcp.compute.HealthCheck | undefined;
  const rules: pulumi.Resource[] = [];
  if (healthChecked) {
    // one check for the whole policy: every routed server must serve /healthz on one port
    const ports = [...new Set(req.routed.flatMap((c) => c.group.servers.map((s) => s.ports.http)))];
    if (ports.length !== 1) throw new Error(`gcp dns: the health check of ${dns.name} reads one port, but the servers use monitoring ports ${ports.join(", ")}`);
    for (const c of req.routed) {
      const { network, tag } = ctx.cluster(c.group.name);
      rules.push(
        new gcp.compute.Firewall(
          `${prefix}-${c.group.name}-fw-dns-healthcheck`,
          {
            name: gcpName(`${prefix}-${c.group.name}-fw-dns-healthcheck`),
            network,
            direction: "INGRESS",
            targetTags: [tag],
            allows: [{ protocol: "tcp", ports: [String(ports[0])] }],
            sourceRanges: ctx.options.healthCheckCidrs,
            description: `Cloud DNS health checks of ${HEALTH_PATH}`,
          },
          { parent, provider: ctx.cluster(c.group.name).provider },
        ),
      );
    }
    healthCheck = new gcp.compute.HealthCheck(
      `${prefix}-dns-healthcheck`,
      {
        name: gcpName(`${prefix}-dns-healthcheck`),
        description: `natsfleet ${dns.name}: servers' ${HEALTH_PATH}`,
        checkIntervalSec: HEALTH_INTERVAL,
        timeoutSec: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
        httpHealthCheck: { port: ports[0], portSpecification: "USE_FIXED_PORT", requestPath: HEALTH_PATH },
        sourceRegions: ctx.options.healthCheckRegions,
      },
      { ...opts, dependsOn: rules },
    );
  }

  const regions = new Map<string, pulumi.Input<string>[]>();
  for (const c of req.routed) regions.set(regionOf(c), [...(regions.get(regionOf(c)) ?? []), ...Object.values(c.addresses)]);
  const geos = [...regions].map(([location, ips]) => (healthChecked ? { location, healthCheckedTargets: { externalEndpoints: ips } } : { location, rrdatas: ips }));
  const records: gcp.dns.RecordSet[] = [
    new gcp.dns.RecordSet(
      `${prefix}-dns-client`,
      { managedZone: zone, name: fqdn(dns.name), type: "A", ttl: dns.ttl, routingPolicy: { geos, ...(healthCheck ? { healthCheck: healthCheck.id } : {}) } },
      opts,
    ),
  ];
  for (const c of [...req.routed, ...req.named]) {
    records.push(new gcp.dns.RecordSet(`${prefix}-dns-cluster-${c.group.name}`, { managedZone: zone, name: fqdn(c.name), type: "A", ttl: dns.ttl, rrdatas: Object.values(c.addresses) }, opts));
  }

  return dnsResult(req, pulumi.all(records.map((r) => r.id)));
}
