/**
 * What the monitoring endpoints read from the broker. Clients come from `Server.clients`; routes,
 * gateways and leaf nodes come from optional Server fields that the clustering work adds. Until
 * then /routez, /gatewayz and /leafz answer empty but correctly shaped.
 *
 * To light them up, give `Server` fields with these names whose values satisfy these shapes
 * (a route/leaf/gateway connection class that mirrors `Client` satisfies `ConnView` as is).
 */
import type { Server } from "../server";

/** A subscription as monitoring shows it (`ClientSub` satisfies it). */
export interface SubView {
  subject: string;
  queue?: string;
  sid: string;
  /** Messages delivered on it. */
  delivered?: number;
  /** Auto-unsubscribe limit (0 = none). */
  max?: number;
}

/** A connection of any kind (`Client` satisfies it). Times are epoch milliseconds. */
export interface ConnView {
  cid: number;
  /** nats-server's kind name: "Client", "Router", "Gateway", "Leafnode". */
  kindName?: string;
  ip: string;
  port: number;
  start: number;
  lastActivity: number;
  /** Round-trip time in milliseconds (0 = not measured yet). */
  rtt: number;
  pendingBytes: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  subs: ReadonlyMap<string, SubView>;
  opts?: { name?: string; lang?: string; version?: string };
  account?: { name: string };
}

/** A route connection (`Server.routes`, keyed by cid). */
export interface RouteView extends ConnView {
  /** The peer's server id. */
  remoteId: string;
  didSolicit: boolean;
  /** Dialled because it is in the configured `routes` (not learned by gossip). */
  isConfigured: boolean;
}

/** A leaf node connection (`Server.leafs`, keyed by cid). */
export interface LeafView extends ConnView {
  account: { name: string };
}

/** A gateway connection: `name` is the remote gateway (cluster) name. */
export interface GatewayConnView extends ConnView {
  name: string;
  /** Outbound only: the remote was in our config (false when learned implicitly). */
  configured?: boolean;
}

/** `Server.gateways`: this server's gateway listener and its connections. */
export interface GatewaysView {
  name: string;
  host: string;
  /** Bound gateway port. */
  port: number;
  /** One outbound connection per remote gateway, keyed by gateway name. */
  outbound: ReadonlyMap<string, GatewayConnView>;
  /** Inbound connections (several may come from the same remote gateway). */
  inbound: Iterable<GatewayConnView>;
}

/** Optional Server fields read by monitoring. */
export interface ClusterFields {
  routes?: ReadonlyMap<number, RouteView>;
  leafs?: ReadonlyMap<number, LeafView>;
  gateways?: GatewaysView;
  /** Client URLs of the cluster, advertised in INFO `connect_urls`. */
  connectURLs?: readonly string[];
  /** Bound route / leafnode ports (after -1). */
  clusterPort?: number;
  leafnodePort?: number;
  /** Connected remote servers (defaults to the route count). */
  remotes?: { size: number };
}

/** The server with whatever cluster fields it has. */
export function cluster(server: Server): ClusterFields {
  return server as unknown as ClusterFields;
}

export function routesOf(server: Server): RouteView[] {
  const r = cluster(server).routes;
  return r ? [...r.values()] : [];
}

export function leafsOf(server: Server): LeafView[] {
  const l = cluster(server).leafs;
  return l ? [...l.values()] : [];
}
