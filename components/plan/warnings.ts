/** Risky parts of a topology change, each with a code (for --json and tests) and a sentence. */
import type { NormalizedTopology } from "./normalize";
import type { TopologyDiff } from "./diff";
import type { ServerImpact } from "./impact";

export type WarningCode = "hub-removed" | "below-three" | "cluster-renamed" | "no-quorum" | "tls-switch" | "gateways-switch" | "port-shift";

export interface PlanWarning {
  code: WarningCode;
  message: string;
}

function count(t: NormalizedTopology, cluster: string): number {
  return Object.keys(t.clusters[cluster]?.servers ?? {}).length;
}

function list(names: string[]): string {
  return names.join(", ");
}

export function planWarnings(before: NormalizedTopology, after: NormalizedTopology, diff: TopologyDiff, impacts: readonly ServerImpact[]): PlanWarning[] {
  const out: PlanWarning[] = [];
  const renamedTo = new Map(diff.renames.map((r) => [r.from, r.to]));

  for (const r of diff.renames) {
    const old = Object.keys(before.clusters[r.from]!.servers);
    const neu = Object.keys(after.clusters[r.to]!.servers);
    const kept = old.filter((s) => neu.includes(s));
    const servers = kept.length === old.length ? `its servers keep their names but restart under the new cluster name` : `its ${old.length} server(s) (${list(old)}) are removed and ${neu.length} new one(s) (${list(neu)}) started`;
    out.push({
      code: "cluster-renamed",
      message: `cluster ${r.from} looks renamed to ${r.to}: a rename is a new cluster to NATS: ${servers}; every other cluster drops its gateway to ${r.from} and opens one to ${r.to}`,
    });
  }

  for (const name of diff.clusters.removed) {
    const leaves = before.clusters[name]!.leafnodes;
    if (!leaves.length) continue;
    const fate = leaves.map((l) => (after.leafnodes[l] ? `${l} moves to hub ${after.leafnodes[l]!.hub}` : `${l} is removed too`));
    const via = renamedTo.has(name) ? ` (renamed to ${renamedTo.get(name)})` : "";
    out.push({ code: "hub-removed", message: `removing cluster ${name}${via}, hub of leaf node(s) ${list(leaves)}: ${fate.join("; ")}; their connections drop while ${name}'s servers go` });
  }

  for (const name of Object.keys(after.clusters)) {
    if (!before.clusters[name]) continue;
    const b = count(before, name);
    const a = count(after, name);
    if (b >= 3 && a < 3) out.push({ code: "below-three", message: `cluster ${name} shrinks from ${b} to ${a} server(s): below 3, losing one more server loses the cluster's quorum` });
  }

  // a disruptive step in a cluster too small to keep a majority while one member is down
  const disrupted = new Map<string, string[]>();
  for (const i of impacts) {
    if (i.groupKind !== "cluster" || (i.action !== "restart" && i.action !== "replace")) continue;
    disrupted.set(i.group, [...(disrupted.get(i.group) ?? []), i.name]);
  }
  for (const [cluster, servers] of disrupted) {
    const n = count(after, cluster);
    if (n < 3) out.push({ code: "no-quorum", message: `cluster ${cluster} has ${n} server(s): while ${list(servers)} restart${servers.length === 1 ? "s" : ""}, it has no majority up${n === 1 ? " (its clients are cut off)" : ""}` });
  }

  for (const c of diff.clusters.changed) {
    for (const ch of c.changes) {
      const m = /^tls\.(cluster|gateway|leafnode)$/.exec(ch.field);
      if (!m) continue;
      const link = m[1] === "cluster" ? "route" : m[1] === "gateway" ? "gateway" : "leaf node";
      out.push({
        code: "tls-switch",
        message: `TLS on ${link} links turns ${ch.after ? "on" : "off"} for cluster ${c.name}: ${link} connections between updated and not-yet-updated servers fail until the rollout ends`,
      });
    }
  }
  for (const ch of diff.topology) {
    if (ch.field === "gateways.enabled" || ch.field === "gateways.auth") {
      out.push({ code: "gateways-switch", message: `${ch.field} ${String(ch.before)} -> ${String(ch.after)}: clusters cannot exchange messages until every cluster's servers have the new gateway settings` });
    }
  }
  out.push(...portShifts(before, after));
  return out;
}

/**
 * Local servers share one host, and ports allocated by position move when a group is inserted
 * before others: a restarting server may then want a port another server still holds.
 */
function portShifts(before: NormalizedTopology, after: NormalizedTopology): PlanWarning[] {
  const hostPorts = (t: NormalizedTopology) => {
    const m = new Map<string, string>();
    for (const g of [...Object.values(t.clusters), ...Object.values(t.leafnodes)]) {
      if (g.target.kind !== "local") continue;
      for (const [name, s] of Object.entries(g.servers)) for (const p of Object.values(s.ports)) if (p) m.set(`${g.target.host}:${p}`, name);
    }
    return m;
  };
  const held = hostPorts(before);
  const wanted = hostPorts(after);
  const clashes = new Map<string, Set<string>>();
  for (const [hp, name] of wanted) {
    const holder = held.get(hp);
    if (holder === undefined || holder === name) continue;
    clashes.set(name, (clashes.get(name) ?? new Set()).add(holder));
  }
  if (!clashes.size) return [];
  const pairs = [...clashes].map(([n, hs]) => `${n} takes ports ${[...hs].join(", ")} hold${hs.size === 1 ? "s" : ""}`);
  return [
    {
      code: "port-shift",
      message: `local ports move between servers (${pairs.slice(0, 4).join("; ")}${pairs.length > 4 ? `; ${pairs.length - 4} more` : ""}): the rollout frees each port before it is taken, so the holders stop (or restart) first; pin ports (\`ports:\` on each group) or add new groups after the existing ones to avoid it`,
    },
  ];
}
