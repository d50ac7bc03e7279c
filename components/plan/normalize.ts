/**
 * The normalized topology: the validated model re-keyed by name, with secrets reduced to what
 * kind they are. It is what a reviewer wants to see change: keyed maps make `pulumi preview
 * --diff` and `natsfleet plan` show `clusters.lab` added rather than every array index shifted,
 * and no password (not even a hash of one) ever lands in it.
 */
import type { BrokerKind, ExternalHubModel, Ports, TargetModel, Topology, PermissionsModel, GatewayMode } from "../topology/model";

/** How a user's password reaches the config. */
export type PasswordKind = "generated" | "bcrypt" | "plain";

export interface NormalizedServer {
  /** Position in its group. */
  index: number;
  /** Listener ports; 0 = not opened. */
  ports: Ports;
}

export interface NormalizedTls {
  client: boolean;
  cluster: boolean;
  gateway: boolean;
  leafnode: boolean;
}

/** What clusters and leaf nodes share. */
export interface NormalizedGroup {
  broker: BrokerKind;
  target: TargetModel;
  region?: string;
  tls: NormalizedTls;
  servers: Record<string, NormalizedServer>;
}

export interface NormalizedCluster extends NormalizedGroup {
  /** Declared `production: true` (policies hold such clusters to stricter sizes). */
  production: boolean;
  routeAuth: boolean;
  /** Leaf nodes whose hub this cluster is, sorted. */
  leafnodes: string[];
  /** External hub every server of the cluster is a leaf of. */
  externalHub?: NormalizedExternalHub;
}

/** An external hub as a reviewer sees it: where, bound to which account, never the credentials. */
export interface NormalizedExternalHub {
  urls: string[];
  credentials: boolean;
  account?: string;
  tls: boolean;
}

export interface NormalizedLeafNode extends NormalizedGroup {
  /** The hub cluster's name, or for an external hub its first URL. */
  hub: string;
  account?: string;
  externalHub?: NormalizedExternalHub;
}

export interface NormalizedUser {
  password: PasswordKind;
  permissions?: PermissionsModel;
}

export interface NormalizedTopology {
  name: string;
  broker: BrokerKind;
  gateways: { mode: GatewayMode; enabled: boolean; auth: boolean };
  systemAccount?: string;
  clusters: Record<string, NormalizedCluster>;
  leafnodes: Record<string, NormalizedLeafNode>;
  accounts: Record<string, { users: Record<string, NormalizedUser> }>;
  /** Closest-cluster DNS (zone, client name, TTL), when declared. */
  dns?: { zone: string; name: string; ttl: number };
}

const BCRYPT = /^\$2[aby]\$\d\d\$/;

/** What kind of password a declared value is (undefined: none declared, one is generated). */
export function passwordKind(value: string | undefined): PasswordKind {
  if (value === undefined) return "generated";
  return BCRYPT.test(value) ? "bcrypt" : "plain";
}

/**
 * Names of the clusters a declaration marks `production: true`. Read from the declaration
 * because the flag only matters to policies and plans, not to rendering.
 */
export function productionClusters(declaration: unknown): Set<string> {
  const out = new Set<string>();
  const clusters = (declaration as { clusters?: unknown } | null)?.clusters;
  if (!Array.isArray(clusters)) return out;
  for (const c of clusters) {
    if (c && typeof c === "object" && (c as { production?: unknown }).production === true && typeof (c as { name?: unknown }).name === "string") {
      out.add((c as { name: string }).name);
    }
  }
  return out;
}

function tlsOf(t: NormalizedTls): NormalizedTls {
  return { client: t.client, cluster: t.cluster, gateway: t.gateway, leafnode: t.leafnode };
}

function serversOf(servers: Topology["clusters"][number]["servers"]): Record<string, NormalizedServer> {
  const out: Record<string, NormalizedServer> = {};
  for (const s of servers) out[s.name] = { index: s.index, ports: { ...s.ports } };
  return out;
}

function externalHubOf(h: ExternalHubModel): NormalizedExternalHub {
  return { urls: [...h.urls], credentials: h.credentials !== undefined, ...(h.account !== undefined ? { account: h.account } : {}), tls: h.tls };
}

/** The validated model in its normalized form; `production` names the production clusters. */
export function normalizeTopology(t: Topology, production: ReadonlySet<string> = new Set()): NormalizedTopology {
  const values = new Map(t.secrets.map((s) => [s.key, s.value]));
  const clusters: Record<string, NormalizedCluster> = {};
  for (const c of t.clusters) {
    clusters[c.name] = {
      broker: c.broker,
      target: { ...c.target },
      ...(c.region !== undefined ? { region: c.region } : {}),
      tls: tlsOf(c.tls),
      servers: serversOf(c.servers),
      production: production.has(c.name),
      routeAuth: c.routeSecret !== undefined,
      leafnodes: [...c.leafnodes].sort(),
      ...(c.externalHub ? { externalHub: externalHubOf(c.externalHub) } : {}),
    };
  }
  const leafnodes: Record<string, NormalizedLeafNode> = {};
  for (const l of t.leafnodes) {
    leafnodes[l.name] = {
      broker: l.broker,
      target: { ...l.target },
      ...(l.region !== undefined ? { region: l.region } : {}),
      tls: tlsOf(l.tls),
      servers: serversOf(l.servers),
      hub: l.hub ?? l.externalHub?.urls[0] ?? "",
      ...(l.account !== undefined ? { account: l.account } : {}),
      ...(l.externalHub ? { externalHub: externalHubOf(l.externalHub) } : {}),
    };
  }
  const accounts: NormalizedTopology["accounts"] = {};
  for (const a of t.accounts) {
    const users: Record<string, NormalizedUser> = {};
    for (const u of a.users) users[u.user] = { password: passwordKind(values.get(u.secret)), ...(u.permissions ? { permissions: u.permissions } : {}) };
    accounts[a.name] = { users };
  }
  return {
    name: t.name,
    broker: t.broker,
    gateways: { mode: t.gateways.mode, enabled: t.gateways.enabled, auth: t.gateways.secret !== undefined },
    ...(t.systemAccount !== undefined ? { systemAccount: t.systemAccount } : {}),
    clusters,
    leafnodes,
    accounts,
    ...(t.dns ? { dns: { zone: t.dns.zone, name: t.dns.name, ttl: t.dns.ttl } } : {}),
  };
}
