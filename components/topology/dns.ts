/** Closest-cluster DNS: the declared zone and name checked against each other and the clusters. */
import type { DnsModel, TopologyDeclaration } from "./model";
import { DNS_DEFAULT_TTL } from "./model";
import { IssueList } from "./errors";

/** Targets that can answer the client name with the closest cluster. */
export const DNS_TARGETS = ["aws", "gcp"] as const;

const bare = (n: string) => n.replace(/\.$/, "").toLowerCase();

export function dnsModel(d: TopologyDeclaration, issues: IssueList): DnsModel | undefined {
  if (!d.dns) return undefined;
  const zone = bare(d.dns.zone);
  const name = bare(d.dns.name);
  if (name !== zone && !name.endsWith(`.${zone}`)) issues.add(["dns", "name"], `"${name}" is not inside zone ${zone} (it must end with .${zone})`);
  const routed = d.clusters.filter((c) => (DNS_TARGETS as readonly string[]).includes(c.target));
  if (routed.length === 0) {
    issues.add(["dns"], `no cluster runs on a target with DNS routing (${DNS_TARGETS.join(", ")}); remove dns or add such a cluster`);
  }
  const clusterNames: Record<string, string> = {};
  d.clusters.forEach((c, i) => {
    const label = c.name.toLowerCase();
    // cluster names allow '_', DNS labels (hostnames) do not
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(label)) {
      if ((DNS_TARGETS as readonly string[]).includes(c.target)) issues.add(["clusters", i, "name"], `"${c.name}" cannot be a DNS label for dns.name (letters, digits and inner '-' only)`);
      return;
    }
    clusterNames[c.name] = `${label}.${name}`;
  });
  return { zone, name, ttl: d.dns.ttl ?? DNS_DEFAULT_TTL, clusterNames };
}
