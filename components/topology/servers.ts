/**
 * Server names and ports: generated or declared names, unique across the super-cluster, and
 * port allocation with the one-host collision rule of the local target.
 */
import type { GatewaysModel, Listener, Ports, ServerModel, TopologyDeclaration } from "./model";
import { LISTENERS, TARGET_DEFAULTS } from "./model";
import { IssueList, TopologyPath, formatPath } from "./errors";
import { GroupDecl, GroupRef } from "./groups";
import { BASE_STRIDE, UsedListeners, localPorts, remotePorts } from "./ports";

/** Server names and ports for every group, with the uniqueness rules. Keyed by group path. */
export function assignServers(
  d: TopologyDeclaration,
  groups: GroupRef[],
  gateways: GatewaysModel,
  hubs: Map<string, string[]>,
  issues: IssueList,
): Map<string, ServerModel[]> {
  const out = new Map<string, ServerModel[]>();
  const names = new Map<string, string>(); // server name -> where it was first declared
  const portsInUse = new Map<number, PortUse[]>();
  const base = d.localPorts?.base;
  let localIndex = 0;

  const localCount = groups.filter((g) => g.decl.target === "local").reduce((n, g) => n + serverCount(g.decl), 0);
  if (base !== undefined && localCount > 0) {
    const highest = base + BASE_STRIDE * (localCount - 1) + 4;
    if (highest > 65535) {
      issues.add(["localPorts", "base"], `${base} leaves no room for ${localCount} local servers (they would need ports up to ${highest}; the highest is 65535)`);
    }
  }

  for (const g of groups) {
    const count = serverCount(g.decl);
    const list = Array.isArray(g.decl.servers) ? g.decl.servers : undefined;
    const used: UsedListeners = {
      client: true,
      http: true,
      cluster: count > 1,
      gateway: g.kind === "cluster" && gateways.enabled,
      leafnode: g.kind === "cluster" && hubs.has(g.decl.name),
    };
    const models: ServerModel[] = [];
    const duplicateGroup = groups.some((o) => o !== g && o.decl.name === g.decl.name && groups.indexOf(o) < groups.indexOf(g));
    for (let i = 0; i < count; i++) {
      const explicit = list?.[i];
      const name = explicit?.name ?? defaultServerName(g, count, i);
      const where = list ? formatPath([...g.path, "servers", i]) : `${formatPath([...g.path, "servers"])} (server ${name})`;
      const namePath: TopologyPath = explicit?.name !== undefined ? [...g.path, "servers", i, "name"] : list ? [...g.path, "servers", i] : [...g.path, g.decl.servers === undefined ? "name" : "servers"];
      const prev = names.get(name);
      // Generated names of a group whose own name is taken would only repeat that error.
      const echo = explicit?.name === undefined && duplicateGroup;
      if (prev && !echo) issues.add(namePath, `server name "${name}" is already used by ${prev}`);
      else if (!prev) names.set(name, where);

      let ports: Ports;
      if (g.decl.target === "local") {
        ports = localPorts({ localIndex, groupIndex: i, used, groupBase: g.decl.ports, explicit: explicit?.ports }, base);
        localIndex++;
        const host = g.decl.local?.host ?? TARGET_DEFAULTS.local.host;
        const serverPath: TopologyPath = list ? [...g.path, "servers", i] : [...g.path, "servers"];
        for (const l of LISTENERS) checkPort(ports, l, host, name, serverPath, portsInUse, issues);
      } else {
        ports = remotePorts(used, g.decl.ports, explicit?.ports);
      }
      models.push({ name, index: i, group: g.decl.name, ports });
    }
    out.set(formatPath(g.path), models);
  }
  return out;
}

function checkPort(ports: Ports, l: Listener, host: string, server: string, path: TopologyPath, inUse: Map<number, PortUse[]>, issues: IssueList) {
  const port = ports[l];
  if (port === 0) return;
  if (port > 65535) {
    issues.add(path, `server ${server}: ${l} port ${port} is above 65535; set localPorts.base or explicit ports`);
    return;
  }
  const users = inUse.get(port) ?? [];
  // A wildcard listener collides with every host on the same port.
  const clash = users.find((u) => u.host === host || isWildcard(u.host) || isWildcard(host));
  if (clash) {
    issues.add(path, `server ${server}: ${l} port ${port} on ${host} is already used by ${clash.who}`);
    return;
  }
  users.push({ host, who: `${server} (${l})` });
  inUse.set(port, users);
}

interface PortUse {
  host: string;
  who: string;
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::";
}

function serverCount(g: GroupDecl): number {
  if (Array.isArray(g.servers)) return g.servers.length;
  return g.servers ?? 1;
}

/**
 * Cluster servers are `<cluster>-<i>` (like StatefulSet pods), so growing a cluster never
 * renames its first server. A leaf node is usually one server and then carries its own name.
 */
function defaultServerName(g: GroupRef, count: number, i: number): string {
  if (g.kind === "leafnode" && count === 1) return g.decl.name;
  return `${g.decl.name}-${i}`;
}
