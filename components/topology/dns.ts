/**
 * Closest-cluster DNS: the declared zone and name checked against each other and the clusters
 * (`dnsModel`, during validation), and which target writes the records (`dnsPlan`, once the
 * targets are known).
 */
import type { ClusterModel, DnsModel, Topology, TopologyDeclaration } from "./model";
import { DNS_DEFAULT_TTL } from "./model";
import { IssueList, TopologyError } from "./errors";

/** Targets that can answer the client name with the closest cluster. */
export const DNS_TARGETS = ["aws", "gcp"] as const;
export type DnsTargetKind = (typeof DNS_TARGETS)[number];

const bare = (n: string) => n.replace(/\.$/, "").toLowerCase();
const isDnsTarget = (kind: string): kind is DnsTargetKind => (DNS_TARGETS as readonly string[]).includes(kind);

export function dnsModel(d: TopologyDeclaration, issues: IssueList): DnsModel | undefined {
  if (!d.dns) return undefined;
  const zone = bare(d.dns.zone);
  const name = bare(d.dns.name);
  if (name !== zone && !name.endsWith(`.${zone}`)) issues.add(["dns", "name"], `"${name}" is not inside zone ${zone} (it must end with .${zone})`);
  const routed = d.clusters.filter((c) => isDnsTarget(c.target));
  if (routed.length === 0) {
    issues.add(["dns"], `no cluster runs on a target with DNS routing (${DNS_TARGETS.join(", ")}); remove dns or add such a cluster`);
  }
  const clusterNames: Record<string, string> = {};
  const byLabel = new Map<string, string>();
  d.clusters.forEach((c, i) => {
    const label = c.name.toLowerCase();
    // cluster names allow '_', DNS labels (hostnames) do not
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(label)) {
      if (isDnsTarget(c.target)) issues.add(["clusters", i, "name"], `"${c.name}" cannot be a DNS label for dns.name (letters, digits and inner '-' only)`);
      return;
    }
    // DNS is case-insensitive: East and east would be one name for two clusters
    const first = byLabel.get(label);
    if (first !== undefined) {
      if (isDnsTarget(c.target)) issues.add(["clusters", i, "name"], `"${c.name}" and "${first}" are the same DNS name ${label}.${name} (DNS ignores case)`);
      return;
    }
    byLabel.set(label, c.name);
    clusterNames[c.name] = `${label}.${name}`;
  });
  return { zone, name, ttl: d.dns.ttl ?? DNS_DEFAULT_TTL, clusterNames };
}

/** Who writes which DNS records, decided once the model is valid. */
export interface DnsPlan {
  dns: DnsModel;
  /**
   * The target whose DNS service holds the zone. A zone is served by one provider (its NS
   * delegation points there), so this target writes every record: the client name, routed to
   * every aws/gcp cluster, and their per-cluster names. Records written to a second provider's
   * zone for the same domain would not resolve.
   */
  home: DnsTargetKind;
  /** The home target's clusters, in declaration order: they answer in their own regions. */
  own: ClusterModel[];
  /**
   * The other DNS target's clusters: they answer for the client name too, in the nearest
   * region of the home's cloud (components/common/cloud-regions.ts), and their monitoring
   * ports open to the home's health checkers through their own target's firewall.
   */
  foreign: ClusterModel[];
  /** Client port in the client URL: every aws/gcp server's. */
  clientPort: number;
  /** Cluster name -> the client port of its own name. */
  clusterPorts: Record<string, number>;
}

/**
 * The DNS plan of a valid model, or undefined without `dns`. `provider` (stack config
 * `natsfleet:dnsProvider`) names the zone's provider; default: the target of the first cluster
 * on aws or gcp, so a topology that grows later keeps its home. Throws a TopologyError naming
 * what is wrong: an unusable provider, or servers a single name cannot carry (two client
 * ports behind one name, no monitoring port for the health checks).
 */
export function dnsPlan(model: Topology, provider?: string): DnsPlan | undefined {
  const dns = model.dns;
  if (!dns) return undefined;
  const issues = new IssueList();
  const onDns = model.clusters.filter((c) => isDnsTarget(c.target.kind) && dns.clusterNames[c.name] !== undefined);
  let home = onDns[0]?.target.kind as DnsTargetKind | undefined;
  if (provider !== undefined) {
    if (!isDnsTarget(provider)) issues.add(["dns"], `natsfleet:dnsProvider is "${provider}"; expected one of ${DNS_TARGETS.join(", ")}`);
    else if (!onDns.some((c) => c.target.kind === provider)) issues.add(["dns"], `natsfleet:dnsProvider is ${provider} but no cluster runs on ${provider}; its zone would answer with no cluster`);
    else home = provider;
  }
  if (!home) {
    issues.add(["dns"], `no cluster runs on a target with DNS routing (${DNS_TARGETS.join(", ")})`);
    throw new TopologyError(issues.issues);
  }
  const index = (c: ClusterModel) => model.clusters.indexOf(c);
  const clusterPorts: Record<string, number> = {};
  for (const c of onDns) {
    const ports = [...new Set(c.servers.map((s) => s.ports.client))];
    if (ports.length > 1) issues.add(["clusters", index(c), "ports"], `servers use client ports ${ports.join(", ")}; ${dns.clusterNames[c.name]} is one name, so its servers need one client port`);
    clusterPorts[c.name] = ports[0]!;
    for (const s of c.servers) {
      if (!s.ports.http) issues.add(["clusters", index(c)], `server ${s.name} has no monitoring port; ${dns.name}'s health checks read /healthz on it`);
    }
  }
  // every aws/gcp cluster answers for the client name, whichever cloud holds the zone
  const clientPorts = [...new Set(onDns.map((c) => clusterPorts[c.name]!))];
  if (clientPorts.length > 1) {
    const list = onDns.map((c) => `${c.name} (${clusterPorts[c.name]})`).join(", ");
    issues.add(["dns", "name"], `clusters ${list} answer for ${dns.name} with different client ports; one name carries one port`);
  }
  if (!issues.empty) throw new TopologyError(issues.issues);
  return { dns, home, own: onDns.filter((c) => c.target.kind === home), foreign: onDns.filter((c) => c.target.kind !== home), clientPort: clientPorts[0]!, clusterPorts };
}
