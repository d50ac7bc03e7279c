/**
 * Topology-level diff between two normalized topologies: which clusters, leaf nodes, servers,
 * gateway links, leaf links and accounts appear, disappear or change, field by field. Server
 * consequences (reload/restart/replace) are impact.ts's job; this only says what differs.
 */
import type { NormalizedCluster, NormalizedGroup, NormalizedLeafNode, NormalizedTopology } from "./normalize";

/** One field that differs, by dotted path inside the item (`tls.gateway`, `target.instanceType`). */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** Items of one kind added, removed and changed (names sorted; changed items with their fields). */
export interface ItemDiff {
  added: string[];
  removed: string[];
  changed: Array<{ name: string; changes: FieldChange[] }>;
}

export interface ServerRef {
  name: string;
  group: string;
  groupKind: "cluster" | "leafnode";
}

export interface TopologyDiff {
  /** Top-level fields (name, broker, gateways, systemAccount). */
  topology: FieldChange[];
  clusters: ItemDiff;
  leafnodes: ItemDiff;
  /** Servers added, removed, or whose own declaration (ports, group, position) changed. */
  servers: { added: ServerRef[]; removed: ServerRef[]; changed: Array<ServerRef & { changes: FieldChange[] }> };
  /** Gateway links as `a <-> b` (cluster names sorted within a link). */
  gateways: { added: string[]; removed: string[] };
  /** Leaf links as `leaf -> hub`; an account change on a kept link is listed as changed. */
  leafLinks: { added: string[]; removed: string[]; changed: Array<{ name: string; changes: FieldChange[] }> };
  /** Accounts; a changed account lists its users' changes (`users.app`, `users.app.permissions`). */
  accounts: ItemDiff;
  /** Cluster renames this diff most likely is (a removed and an added cluster alike in all else). */
  renames: Array<{ from: string; to: string }>;
}

/** Deep field diff of two JSON-like values, as dotted paths (arrays compared whole). */
export function fieldChanges(before: unknown, after: unknown, prefix = "", skip: readonly string[] = []): FieldChange[] {
  const out: FieldChange[] = [];
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) {
      if (prefix === "" && skip.includes(k)) continue;
      out.push(...fieldChanges(before[k], after[k], prefix ? `${prefix}.${k}` : k));
    }
    return out;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ field: prefix || "(value)", before, after });
  return out;
}

function itemDiff<T>(before: Record<string, T>, after: Record<string, T>, skip: readonly string[]): ItemDiff {
  const b = Object.keys(before);
  const a = Object.keys(after);
  const changed: ItemDiff["changed"] = [];
  for (const name of b.filter((n) => n in after).sort()) {
    const changes = fieldChanges(before[name], after[name], "", skip);
    if (changes.length) changed.push({ name, changes });
  }
  return { added: a.filter((n) => !(n in before)).sort(), removed: b.filter((n) => !(n in after)).sort(), changed };
}

function serversOf(t: NormalizedTopology): Map<string, ServerRef & { decl: unknown }> {
  const out = new Map<string, ServerRef & { decl: unknown }>();
  for (const [group, c] of Object.entries(t.clusters)) {
    for (const [name, s] of Object.entries(c.servers)) out.set(name, { name, group, groupKind: "cluster", decl: s });
  }
  for (const [group, l] of Object.entries(t.leafnodes)) {
    for (const [name, s] of Object.entries(l.servers)) out.set(name, { name, group, groupKind: "leafnode", decl: s });
  }
  return out;
}

/** Gateway links of a topology: every pair of clusters when gateways are on. */
export function gatewayLinks(t: NormalizedTopology): string[] {
  if (!t.gateways.enabled) return [];
  const names = Object.keys(t.clusters).sort();
  const out: string[] = [];
  for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) out.push(`${names[i]} <-> ${names[j]}`);
  return out;
}

function leafLinks(t: NormalizedTopology): Map<string, { account?: string }> {
  const out = new Map<string, { account?: string }>();
  for (const [name, l] of Object.entries(t.leafnodes)) out.set(`${name} -> ${l.hub}`, l.account !== undefined ? { account: l.account } : {});
  return out;
}

/** A group without its name-bearing parts, for rename detection. */
function shape(g: NormalizedGroup): unknown {
  const { servers, leafnodes, ...rest } = g as NormalizedCluster;
  void leafnodes;
  return { ...rest, count: Object.keys(servers).length, ports: Object.values(servers).map((s) => s.ports) };
}

/**
 * A removed and an added cluster are taken for a rename when they are alike in everything but
 * names (target, region, broker, TLS, size, ports), or when leaf nodes moved from one to the
 * other. Each cluster pairs at most once.
 */
function detectRenames(before: NormalizedTopology, after: NormalizedTopology, removed: string[], added: string[]): Array<{ from: string; to: string }> {
  const out: Array<{ from: string; to: string }> = [];
  const used = new Set<string>();
  for (const from of removed) {
    const was = before.clusters[from]!;
    const movedLeaf = (to: string) => was.leafnodes.some((l) => after.leafnodes[l]?.hub === to);
    const alike = (to: string) => JSON.stringify(shape(was)) === JSON.stringify(shape(after.clusters[to]!));
    const to = added.find((n) => !used.has(n) && movedLeaf(n) && after.clusters[n]!.target.kind === was.target.kind) ?? added.find((n) => !used.has(n) && alike(n));
    if (to) {
      used.add(to);
      out.push({ from, to });
    }
  }
  return out;
}

/** Everything that differs between two normalized topologies. */
export function diffTopologies(before: NormalizedTopology, after: NormalizedTopology): TopologyDiff {
  const topology = fieldChanges(before, after, "", ["clusters", "leafnodes", "accounts"]);
  // servers and leaf links are diffed on their own; listing them under the group would say it twice
  const clusters = itemDiff(before.clusters, after.clusters, ["servers", "leafnodes"]);
  const leafnodes = itemDiff(before.leafnodes, after.leafnodes, ["servers", "hub", "account"]);

  const bs = serversOf(before);
  const as = serversOf(after);
  const ref = (s: ServerRef): ServerRef => ({ name: s.name, group: s.group, groupKind: s.groupKind });
  const servers: TopologyDiff["servers"] = {
    added: [...as.values()].filter((s) => !bs.has(s.name)).map(ref),
    removed: [...bs.values()].filter((s) => !as.has(s.name)).map(ref),
    changed: [],
  };
  for (const s of as.values()) {
    const old = bs.get(s.name);
    if (!old) continue;
    const changes = fieldChanges({ group: old.group, kind: old.groupKind, ...(old.decl as object) }, { group: s.group, kind: s.groupKind, ...(s.decl as object) });
    if (changes.length) servers.changed.push({ ...ref(s), changes });
  }

  const bg = new Set(gatewayLinks(before));
  const ag = new Set(gatewayLinks(after));
  const bl = leafLinks(before);
  const al = leafLinks(after);
  const linkChanges: TopologyDiff["leafLinks"]["changed"] = [];
  for (const [k, v] of al) {
    if (!bl.has(k)) continue;
    const changes = fieldChanges(bl.get(k), v);
    if (changes.length) linkChanges.push({ name: k, changes });
  }

  return {
    topology,
    clusters,
    leafnodes,
    servers,
    gateways: { added: [...ag].filter((l) => !bg.has(l)), removed: [...bg].filter((l) => !ag.has(l)) },
    leafLinks: { added: [...al.keys()].filter((l) => !bl.has(l)).sort(), removed: [...bl.keys()].filter((l) => !al.has(l)).sort(), changed: linkChanges },
    accounts: itemDiff(before.accounts, after.accounts, []),
    renames: detectRenames(before, after, clusters.removed, clusters.added),
  };
}

/** True when the diff has nothing in it. */
export function diffIsEmpty(d: TopologyDiff): boolean {
  const items = (i: ItemDiff) => i.added.length + i.removed.length + i.changed.length;
  return (
    d.topology.length +
      items(d.clusters) +
      items(d.leafnodes) +
      items(d.accounts) +
      d.servers.added.length +
      d.servers.removed.length +
      d.servers.changed.length +
      d.gateways.added.length +
      d.gateways.removed.length +
      d.leafLinks.added.length +
      d.leafLinks.removed.length +
      d.leafLinks.changed.length ===
    0
  );
}

/** Used by impact/warnings: the cluster or leaf node of a normalized topology. */
export function groupOf(t: NormalizedTopology, name: string): NormalizedCluster | NormalizedLeafNode | undefined {
  return t.clusters[name] ?? t.leafnodes[name];
}
