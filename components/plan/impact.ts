/**
 * What each existing server goes through when a topology changes: nothing, a config reload, a
 * restart or a replacement. Derived from the rendered configs (the same renderer every target
 * uses) and from the rules of the servers' runtimes:
 * - the local process manager (components/local/processes.ts) restarts a server whose broker,
 *   host or any listener port changed (opening a listener counts), and reloads otherwise;
 * - nats-server 2.9 refuses to reload gateway and leafnode changes (TLS aside) and the system
 *   account; our broker reloads everything but host, port and name;
 * - a server whose target or placement (kind, region, machine type, namespace...) changed is
 *   a new machine or pod: replaced.
 */
import * as crypto from "crypto";
import type { AddressBook, LeafNodeModel, ClusterModel, Ports, RenderInputs, TlsFiles, Topology } from "../topology/model";
import { LISTENERS, allServers } from "../topology/model";
import { renderTopology } from "../topology/render";
import { parseConfigText } from "../../broker/config/parser";
import { toPlain } from "../../broker/config/tree";
import { fieldChanges } from "./diff";

export type ServerAction = "add" | "remove" | "unchanged" | "reload" | "restart" | "replace";

export interface ServerImpact {
  name: string;
  group: string;
  groupKind: "cluster" | "leafnode";
  action: ServerAction;
  /** Why, in a few words each (`leafnode port 0 -> 15003 (listener opened)`). */
  reasons: string[];
  /** Top-level config blocks whose rendered text differs (`gateway`, `accounts`...). */
  configChanges: string[];
  /**
   * Host and ports on the local target, before and after (absent on cloud targets, where every
   * server has a machine of its own): the rollout orders port hand-overs with them.
   */
  local?: { before?: LocalEndpoint; after?: LocalEndpoint };
}

/** Where a local server listens. */
export interface LocalEndpoint {
  host: string;
  ports: Ports;
}

type Group = ClusterModel | LeafNodeModel;

/** Render inputs that are the same on both sides unless the topology itself differs. */
function placeholderInputs(t: Topology): RenderInputs<string> {
  const addresses: AddressBook<string> = {};
  const listenHosts: Record<string, string> = {};
  const tlsFiles: Record<string, TlsFiles> = {};
  for (const { server, group } of allServers(t)) {
    // cloud addresses exist only after deployment; a stable name per server stands in
    const host = group.target.kind === "local" ? group.target.host : `${server.name}.${group.target.kind}`;
    addresses[server.name] = { host };
    if (group.target.kind === "local") listenHosts[server.name] = host;
    tlsFiles[server.name] = {
      certFile: group.tls.certFile ?? `/etc/natsfleet/tls/${server.name}.crt`,
      keyFile: group.tls.keyFile ?? `/etc/natsfleet/tls/${server.name}.key`,
      ...(group.tls.caFile !== undefined ? { caFile: group.tls.caFile } : {}),
    };
  }
  const secrets: Record<string, string> = {};
  for (const s of t.secrets) {
    // a declared value is compared by digest (so a changed password shows); generated ones are kept across updates
    secrets[s.key] = s.value !== undefined ? `declared-${crypto.createHash("sha256").update(s.value).digest("hex").slice(0, 16)}` : `generated-${s.key}`;
  }
  return { addresses, secrets, listenHosts, tlsFiles };
}

/** Each server's config as plain data, parsed with our broker's parser (so formatting never counts). */
export function plainConfigs(t: Topology): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const [name, text] of renderTopology(t, placeholderInputs(t))) {
    out.set(name, toPlain(parseConfigText(text, `${name}.conf`, {}).root) as Record<string, unknown>);
  }
  return out;
}

function groupsByServer(t: Topology): Map<string, Group> {
  const out = new Map<string, Group>();
  for (const { server, group } of allServers(t)) out.set(server.name, group);
  return out;
}

function portsOf(t: Topology, name: string): Ports | undefined {
  return allServers(t).find((s) => s.server.name === name)?.server.ports;
}

function endpointOf(t: Topology, name: string): LocalEndpoint | undefined {
  const s = allServers(t).find((x) => x.server.name === name);
  return s && s.group.target.kind === "local" ? { host: s.group.target.host, ports: { ...s.server.ports } } : undefined;
}

function withLocal(t: { before: Topology; after: Topology }, impact: ServerImpact): ServerImpact {
  const before = endpointOf(t.before, impact.name);
  const after = endpointOf(t.after, impact.name);
  if (!before && !after) return impact;
  return { ...impact, local: { ...(before && impact.action !== "add" ? { before } : {}), ...(after && impact.action !== "remove" ? { after } : {}) } };
}

/** Top-level config keys whose values differ. */
function changedBlocks(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

function without(v: unknown, ...keys: string[]): unknown {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
  const out = { ...(v as Record<string, unknown>) };
  for (const k of keys) delete out[k];
  return out;
}

/**
 * Config changes nats-server 2.9 will not apply on SIGHUP ("config reload not supported for
 * ..."), as observed with 2.9.10: any gateway or leafnodes change but TLS (a hub's leaf users
 * included), the system account, the server name. Routes, cluster name, accounts reload.
 */
function natsServerRefuses(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const out: string[] = [];
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  if (!same(without(before.gateway, "tls"), without(after.gateway, "tls"))) out.push("nats-server cannot reload gateway changes");
  if (!same(without(before.leafnodes, "tls"), without(after.leafnodes, "tls"))) out.push("nats-server cannot reload leafnode changes");
  if (!same(before.system_account, after.system_account)) out.push("nats-server cannot reload the system account");
  if (!same(before.server_name, after.server_name)) out.push("the server name cannot be reloaded");
  return out;
}

function describePort(l: string, a: number, b: number): string {
  if (a === 0) return `${l} port opened (${b})`;
  if (b === 0) return `${l} port closed (was ${a})`;
  return `${l} port ${a} -> ${b}`;
}

/** Servers in either topology with what happens to each, in after-model order then removed ones. */
export function serverImpacts(before: Topology, after: Topology): ServerImpact[] {
  const bGroups = groupsByServer(before);
  const aGroups = groupsByServer(after);
  const bConf = plainConfigs(before);
  const aConf = plainConfigs(after);
  const out: ServerImpact[] = [];

  for (const { server, group } of allServers(after)) {
    const base = { name: server.name, group: group.name, groupKind: group.kind };
    const old = bGroups.get(server.name);
    if (!old) {
      out.push({ ...base, action: "add", reasons: [], configChanges: [] });
      continue;
    }
    const blocks = changedBlocks(bConf.get(server.name) ?? {}, aConf.get(server.name) ?? {});
    const replace: string[] = [];
    const restart: string[] = [];

    if (old.target.kind !== group.target.kind) replace.push(`target ${old.target.kind} -> ${group.target.kind}`);
    else if (group.target.kind !== "local") {
      for (const c of fieldChanges(old.target, group.target)) replace.push(`target.${c.field} ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}`);
    } else if (old.target.kind === "local" && old.target.host !== group.target.host) {
      restart.push(`host ${old.target.host} -> ${group.target.host}`);
    }
    if (old.broker !== group.broker) restart.push(`broker ${old.broker} -> ${group.broker}`);
    const bp = portsOf(before, server.name)!;
    for (const l of LISTENERS) if (bp[l] !== server.ports[l]) restart.push(describePort(l, bp[l], server.ports[l]));
    if (old.broker === group.broker && group.broker === "nats-server") restart.push(...natsServerRefuses(bConf.get(server.name) ?? {}, aConf.get(server.name) ?? {}));
    if (old.name !== group.name) restart.push(`moves from ${old.kind === "cluster" ? "cluster" : "leaf node"} ${old.name} to ${group.name}`);

    if (replace.length) out.push({ ...base, action: "replace", reasons: replace, configChanges: blocks });
    else if (restart.length) out.push({ ...base, action: "restart", reasons: [...new Set(restart)], configChanges: blocks });
    else if (blocks.length) out.push({ ...base, action: "reload", reasons: blocks.map((b) => `${b} changed`), configChanges: blocks });
    else out.push({ ...base, action: "unchanged", reasons: [], configChanges: [] });
  }
  for (const { server, group } of allServers(before)) {
    if (aGroups.has(server.name)) continue;
    out.push({ name: server.name, group: group.name, groupKind: group.kind, action: "remove", reasons: [], configChanges: [] });
  }
  return out.map((i) => withLocal({ before, after }, i));
}
