/**
 * The JSON a route speaks in its INFO and CONNECT lines (reference section 2), as typed
 * shapes and checked parsers: a peer's JSON is input, so every field is verified before use.
 */

/** Route INFO fields we read or forward. Unknown fields are kept for gossip forwarding. */
export interface RouteInfo {
  server_id: string;
  server_name?: string;
  version?: string;
  proto?: number;
  host?: string;
  port?: number;
  headers?: boolean;
  auth_required?: boolean;
  tls_required?: boolean;
  max_payload?: number;
  nonce?: string;
  cluster?: string;
  cluster_dynamic?: boolean;
  /** `nats-route://h:p/`: where other servers reach this one (gossip, implicit routes). */
  ip?: string;
  /** The sender's client URLs ("host:port"), merged into our clients' connect_urls. */
  connect_urls?: string[];
  lnoc?: boolean;
  /** Lame-duck mode: the sender is leaving; its client URLs go. */
  ldm?: boolean;
  /** Set when the INFO is about a gateway (gossiped over routes); the gateway module's business. */
  gateway?: string;
  /** The sender's gateway URL (`host:port`), for the gateway module. */
  gateway_url?: string;
  /** The sender's leafnode URL (one at most over a route). */
  leafnode_urls?: string[];
  [extra: string]: unknown;
}

/** The dialer's CONNECT. */
export interface RouteConnect {
  echo?: boolean;
  verbose?: boolean;
  pedantic?: boolean;
  user?: string;
  pass?: string;
  tls_required?: boolean;
  headers?: boolean;
  /** The dialer's server id. */
  name?: string;
  cluster?: string;
  dynamic?: boolean;
  lnoc?: boolean;
  /** Present only when a client dialled the route port by mistake. */
  lang?: string;
  gateway?: string;
}

function object(text: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `invalid JSON (${(e as Error).message})`;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "not a JSON object";
  return v as Record<string, unknown>;
}

const STRING_FIELDS = ["server_name", "version", "host", "nonce", "cluster", "ip", "gateway", "gateway_url"] as const;
const BOOL_FIELDS = ["headers", "auth_required", "tls_required", "lnoc", "ldm", "cluster_dynamic"] as const;

/** Parse a route INFO line's JSON; returns the reason as a string when it is unusable. */
export function parseRouteInfo(text: string): RouteInfo | string {
  const o = object(text);
  if (typeof o === "string") return o;
  if (typeof o.server_id !== "string" || o.server_id === "") return "no server_id";
  for (const k of STRING_FIELDS) if (o[k] !== undefined && typeof o[k] !== "string") return `"${k}" is not a string`;
  for (const k of BOOL_FIELDS) if (o[k] !== undefined && typeof o[k] !== "boolean") return `"${k}" is not a boolean`;
  for (const k of ["port", "proto", "max_payload"]) if (o[k] !== undefined && typeof o[k] !== "number") return `"${k}" is not a number`;
  if (o.connect_urls !== undefined && o.connect_urls !== null) {
    if (!Array.isArray(o.connect_urls) || !o.connect_urls.every((u) => typeof u === "string")) return `"connect_urls" is not a list of strings`;
  }
  if (o.connect_urls === null) delete o.connect_urls;
  return o as RouteInfo;
}

/** Parse a route CONNECT's JSON; returns the reason as a string when it is unusable. */
export function parseRouteConnect(text: string): RouteConnect | string {
  const o = object(text);
  if (typeof o === "string") return o;
  for (const k of ["user", "pass", "name", "cluster", "lang", "gateway"]) {
    if (o[k] !== undefined && typeof o[k] !== "string") return `"${k}" is not a string`;
  }
  return o as RouteConnect;
}
