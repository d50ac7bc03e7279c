/**
 * Drift: the declared topology against what the servers report on their monitoring endpoints
 * (/varz, /routez, /gatewayz, /leafz). Collection (network) and comparison (pure) are
 * separate so the comparison can be tested on recorded answers and real servers alike.
 *
 * Links are checked from the side that owns them: every server dials one outbound gateway per
 * other cluster (so a missing inbound is always someone's missing outbound), routes are
 * matched by the peer's server_id from its /varz, and leaf connections by the remote's name.
 */
import type { Topology } from "../topology/model";
import { allServers } from "../topology/model";
import { getJson } from "../local/http";
import { paint } from "./format";

/** What one server answered (or why it did not). */
export interface ServerSnapshot {
  name: string;
  group: string;
  groupKind: "cluster" | "leafnode";
  monitorUrl?: string;
  /** Why the server was not read (no monitoring URL known, or the request failed). */
  error?: string;
  varz?: Record<string, any>;
  routez?: Record<string, any>;
  gatewayz?: Record<string, any>;
  leafz?: Record<string, any>;
}

export type DriftKind =
  | "down"
  | "not-checked"
  | "wrong-name"
  | "wrong-cluster"
  | "version-mismatch"
  | "missing-route"
  | "extra-route"
  | "missing-gateway"
  | "extra-gateway"
  | "missing-leaf"
  | "extra-leaf";

export interface DriftProblem {
  kind: DriftKind;
  /** The server the problem was seen on. */
  server: string;
  message: string;
}

export interface LiveDrift {
  /** Servers whose endpoints answered. */
  checked: string[];
  /** Servers not checked because no monitoring URL is known (cloud targets without --monitor). */
  skipped: string[];
  /** Version per answering server. */
  versions: Record<string, string>;
  problems: DriftProblem[];
}

/** `server=URL` options -> map; names must be servers of the topology. */
export function monitorOverrides(options: string[], t: Topology): Record<string, string> {
  const known = new Set(allServers(t).map((s) => s.server.name));
  const out: Record<string, string> = {};
  for (const o of options) {
    const eq = o.indexOf("=");
    if (eq <= 0) throw new Error(`--monitor ${o}: expected server=URL (e.g. east-0=http://10.0.0.5:8222)`);
    const name = o.slice(0, eq);
    const url = o.slice(eq + 1).replace(/\/+$/, "");
    if (!known.has(name)) throw new Error(`--monitor ${o}: no server named "${name}" in topology ${t.name}`);
    if (!/^https?:\/\/[^/]+$/.test(url)) throw new Error(`--monitor ${o}: "${url}" is not an http(s)://host:port URL`);
    out[name] = url;
  }
  return out;
}

/** Where each server's monitoring listens: an override, else the local target's host and http port. */
export function monitorUrls(t: Topology, overrides: Record<string, string> = {}): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const { server, group } of allServers(t)) {
    const host = group.target.kind === "local" ? group.target.host : undefined;
    const fallback = host !== undefined && server.ports.http ? `http://${host.includes(":") ? `[${host}]` : host}:${server.ports.http}` : undefined;
    out[server.name] = overrides[server.name] ?? fallback;
  }
  return out;
}

/** Reads every server's four endpoints, all servers at once. */
export async function collectLive(t: Topology, overrides: Record<string, string> = {}, timeoutMs = 2000): Promise<ServerSnapshot[]> {
  const urls = monitorUrls(t, overrides);
  return Promise.all(
    allServers(t).map(async ({ server, group }): Promise<ServerSnapshot> => {
      const snap: ServerSnapshot = { name: server.name, group: group.name, groupKind: group.kind };
      const base = urls[server.name];
      if (!base) return { ...snap, error: `no monitoring URL (target ${group.target.kind}; give --monitor ${server.name}=URL)` };
      snap.monitorUrl = base;
      try {
        const [varz, routez, gatewayz, leafz] = await Promise.all(["varz", "routez", "gatewayz", "leafz"].map((p) => getJson<Record<string, any>>(`${base}/${p}`, timeoutMs)));
        return { ...snap, varz, routez, gatewayz, leafz };
      } catch (e) {
        return { ...snap, error: (e as Error).message };
      }
    }),
  );
}

function connected(entry: unknown): boolean {
  // nats-server lists configured gateways without a connection too; only a connection is a link
  return !!entry && typeof entry === "object" && !!(entry as { connection?: unknown }).connection;
}

/** Compares a snapshot with the topology. */
export function liveDrift(t: Topology, snapshot: readonly ServerSnapshot[]): LiveDrift {
  const problems: DriftProblem[] = [];
  const add = (kind: DriftKind, server: string, message: string) => problems.push({ kind, server, message });
  const byName = new Map(snapshot.map((s) => [s.name, s]));
  const up = (name: string) => {
    const s = byName.get(name);
    return !!s && !s.error && !!s.varz;
  };
  const idToName = new Map<string, string>();
  for (const s of snapshot) if (s.varz?.server_id) idToName.set(String(s.varz.server_id), s.name);
  const clusterNames = t.clusters.map((c) => c.name);
  const versions: Record<string, string> = {};
  const skipped: string[] = [];

  for (const s of snapshot) {
    if (s.error) {
      if (!s.monitorUrl) {
        skipped.push(s.name);
        add("not-checked", s.name, `${s.name}: not checked: ${s.error}`);
      } else add("down", s.name, `${s.name} (${s.groupKind === "cluster" ? "cluster" : "leaf node"} ${s.group}) is down or unreachable: ${s.error}`);
    }
  }

  for (const { server, group } of allServers(t)) {
    const s = byName.get(server.name);
    if (!s || !up(server.name)) continue;
    const v = s.varz!;
    if (typeof v.version === "string") versions[server.name] = v.version;
    if (v.server_name !== undefined && v.server_name !== server.name) add("wrong-name", server.name, `${server.name}: the server at ${s.monitorUrl} calls itself "${v.server_name}"`);

    if (group.kind === "cluster") {
      const clusterName = v.cluster?.name;
      if (group.servers.length > 1 && clusterName !== group.name) {
        add("wrong-cluster", server.name, `${server.name}: runs in cluster "${clusterName ?? "(none)"}", declared in cluster ${group.name}`);
      }
      const gwName = s.gatewayz?.name;
      if (t.gateways.enabled && gwName !== undefined && gwName !== "" && gwName !== group.name) {
        add("wrong-cluster", server.name, `${server.name}: its gateway is named "${gwName}", declared cluster ${group.name}`);
      }
    }

    // routes, by the peer's server_id
    if (group.servers.length > 1) {
      const routes = (s.routez?.routes ?? []) as Array<{ remote_id?: string }>;
      const peers = new Set(routes.map((r) => (r.remote_id ? idToName.get(r.remote_id) ?? `unknown server ${r.remote_id}` : "unknown server")));
      for (const peer of group.servers) {
        if (peer.name === server.name || peers.has(peer.name)) continue;
        const why = up(peer.name) ? "" : ` (${peer.name} is down)`;
        add("missing-route", server.name, `route ${server.name} <-> ${peer.name} is missing${why}`);
      }
      for (const p of peers) {
        if (!group.servers.some((g) => g.name === p)) add("extra-route", server.name, `${server.name} has a route to ${p}, which is not in cluster ${group.name}`);
      }
    }

    // gateways: one outbound per other cluster; nothing to or from undeclared clusters
    if (group.kind === "cluster") {
      const outbound = (s.gatewayz?.outbound_gateways ?? {}) as Record<string, unknown>;
      const inbound = (s.gatewayz?.inbound_gateways ?? {}) as Record<string, unknown>;
      const expected = t.gateways.enabled ? clusterNames.filter((n) => n !== group.name) : [];
      for (const other of expected) {
        if (connected(outbound[other])) continue;
        const cluster = t.clusters.find((c) => c.name === other)!;
        const allDown = cluster.servers.every((x) => byName.get(x.name)?.monitorUrl && !up(x.name));
        add("missing-gateway", server.name, `gateway ${server.name} -> cluster ${other} is missing${allDown ? ` (every server of ${other} is down)` : ""}`);
      }
      const extra = new Set([...Object.keys(outbound).filter((k) => connected(outbound[k])), ...Object.keys(inbound)].filter((k) => !expected.includes(k)));
      for (const k of [...extra].sort()) add("extra-gateway", server.name, `${server.name} has a gateway link with "${k}", which is not ${t.gateways.enabled ? "another cluster of the topology" : "declared (gateways are off)"}`);
    }
  }

  // leaf links. nats-server 2.9 names neither end in /leafz: a leaf server's connection is
  // matched to its hub by the remote port (a hub server's leafnode port), and a hub cluster's
  // accepted connections are counted against the declared leaf servers that are up.
  // external hubs: every server of the group holds a link whose remote port is the hub URL's
  for (const g of [...t.clusters, ...t.leafnodes]) {
    if (!g.externalHub) continue;
    const ports = externalHubPorts(g.externalHub.urls);
    for (const gs of g.servers) {
      const s = byName.get(gs.name);
      if (!s || !up(gs.name)) continue;
      const leafs = (s.leafz?.leafs ?? []) as Array<{ port?: number }>;
      if (!leafs.some((l) => ports.has(Number(l.port)))) add("missing-leaf", gs.name, `leaf link ${gs.name} -> external hub ${g.externalHub.urls.join(", ")} is missing`);
      if (g.kind === "leafnode") {
        for (const l of leafs.filter((x) => !ports.has(Number(x.port)))) {
          add("extra-leaf", gs.name, `${gs.name} has a leaf link to ${(l as { ip?: string }).ip ?? "?"}:${l.port ?? "?"}, which is not its external hub`);
        }
      }
    }
  }
  for (const leaf of t.leafnodes) {
    if (leaf.externalHub) continue;
    const hub = t.clusters.find((c) => c.name === leaf.hub);
    const hubNames = new Set(hub?.servers.map((s) => s.name) ?? []);
    const hubPorts = new Set(hub?.servers.map((s) => s.ports.leafnode).filter((p) => p > 0) ?? []);
    const toHub = (l: { name?: string; port?: number }) => (l.name !== undefined ? hubNames.has(l.name) : l.port === undefined || hubPorts.has(Number(l.port)));
    for (const ls of leaf.servers) {
      const s = byName.get(ls.name);
      if (!s || !up(ls.name)) continue;
      const leafs = (s.leafz?.leafs ?? []) as Array<{ name?: string; port?: number; ip?: string }>;
      if (!leafs.some(toHub)) {
        const why = hub && hub.servers.every((x) => byName.get(x.name)?.monitorUrl && !up(x.name)) ? ` (every server of ${leaf.hub} is down)` : "";
        add("missing-leaf", ls.name, `leaf link ${ls.name} -> hub ${leaf.hub} is missing${why}`);
      }
      for (const l of leafs.filter((x) => !toHub(x))) {
        add("extra-leaf", ls.name, `${ls.name} has a leaf link to ${l.name ?? `${l.ip ?? "?"}:${l.port ?? "?"}`}, which is not a server of hub ${leaf.hub}`);
      }
    }
  }
  for (const c of t.clusters) {
    const mine = t.leafnodes.filter((l) => l.hub === c.name);
    const expected = mine.flatMap((l) => l.servers.filter((s) => up(s.name)).map(() => l.account ?? "$G"));
    const accepted: string[] = [];
    let reporting = 0;
    for (const cs of c.servers) {
      const s = byName.get(cs.name);
      if (!s || !up(cs.name)) continue;
      reporting++;
      const outbound = c.externalHub ? externalHubPorts(c.externalHub.urls) : new Set<number>();
      for (const l of (s.leafz?.leafs ?? []) as Array<{ account?: string; port?: number }>) if (!outbound.has(Number(l.port))) accepted.push(l.account ?? "$G");
    }
    if (reporting < c.servers.length) continue; // a hub server we cannot read may hold the rest
    const left = [...expected];
    const extra: string[] = [];
    for (const a of accepted) {
      const i = left.indexOf(a);
      if (i >= 0) left.splice(i, 1);
      else extra.push(a);
    }
    if (extra.length) {
      add("extra-leaf", c.servers[0]!.name, `cluster ${c.name} accepts ${accepted.length} leaf connection(s) where ${expected.length} declared leaf server(s) are up; unexpected: ${extra.map((a) => `one in account ${a}`).join(", ")}`);
    }
  }

  // one version everywhere: name the servers off the most common one
  const counts = new Map<string, string[]>();
  for (const [n, v] of Object.entries(versions)) counts.set(v, [...(counts.get(v) ?? []), n]);
  if (counts.size > 1) {
    const [main] = [...counts.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
    for (const [v, names] of counts) {
      if (v === main![0]) continue;
      for (const n of names) add("version-mismatch", n, `${n} runs version ${v}, most servers run ${main![0]}`);
    }
  }

  return { checked: snapshot.filter((s) => !s.error).map((s) => s.name), skipped, versions, problems };
}

/** Drift as lines of text. */
export function formatDrift(t: Topology, d: LiveDrift, colour = false): string[] {
  const p = paint(colour);
  const total = allServers(t).length;
  const out = [p.heading(`Live state of topology ${t.name}: ${d.checked.length} of ${total} server(s) answered`)];
  const vs = [...new Set(Object.values(d.versions))];
  if (vs.length === 1) out.push(`  version ${vs[0]} everywhere`);
  if (!d.problems.length) {
    out.push(p.added("No drift: every declared route, gateway and leaf link is up, names and versions match."));
    return out;
  }
  out.push("", p.heading(`Drift (${d.problems.length})`));
  for (const pr of d.problems) {
    const line = `  ${pr.kind.padEnd(16)} ${pr.message}`;
    out.push(pr.kind === "not-checked" ? p.dim(line) : pr.kind.startsWith("extra") || pr.kind.startsWith("wrong") || pr.kind === "version-mismatch" ? p.changed(line) : p.removed(line));
  }
  return out;
}

/** Ports an external hub's URLs dial (7422, the leafnode default, when a URL names none). */
function externalHubPorts(urls: string[]): Set<number> {
  const out = new Set<number>();
  for (const u of urls) {
    try {
      out.add(Number(new URL(u).port || 7422));
    } catch {
      // validated earlier; an unparsable URL has no port to match
    }
  }
  return out;
}
