/**
 * Leaf node wire facts (reference section 4): the INFO and CONNECT documents the two sides
 * exchange, the exact error texts nats-server 2.9 uses, and reserved subject prefixes.
 */
import { randomBytes } from "crypto";

/** Prefix of the per-account loop-detection subject each side advertises as `LS+`. */
export const LDS_PREFIX = "$LDS.";
/** Gateway reply prefixes a hub advertises when gateways are on, so mapped replies come back. */
export const GW_REPLY_INTEREST = ["_GR_.>", "$GR.*.>"];
/** Service-import reply prefix: such replies still cross from a route to a spoke connection. */
export const SERVICE_REPLY_PREFIX = "_R_.";

/** How long a spoke waits after a loop, a same-cluster rejection or a permission error. */
export const RECONNECT_DELAY_AFTER_REJECT_MS = 30_000;
/** Default pause between a spoke's connect attempts (nats-server's 1s). */
export const DEFAULT_RECONNECT_INTERVAL_MS = 1000;
/** A spoke waits this long for the hub's first INFO, then for its connect_info INFO. */
export const INFO_WAIT_MS = 2000;
/** Default leafnode port in URLs that omit it. */
export const DEFAULT_LEAF_PORT = 7422;

export const ERR_WRONG_PORT_CLIENT = "attempted to connect to leaf node port";
export const ERR_SAME_CLUSTER = "remote leafnode has same cluster name";
export const ERR_AUTH = "Authorization Violation";
export const ERR_AUTH_TIMEOUT = "Authentication Timeout";
export const ERR_DUPLICATE = "Duplicate Remote LeafNode Connection";
export const ERR_STALE_CONNECT = "Stale Leaf Node Connection - Closing";

export function loopDetectedText(account: string, delayMs: number): string {
  return `Loop detected for leafnode account=${JSON.stringify(account)}. Delaying attempt to reconnect for ${goSeconds(delayMs)}`;
}

export function gatewayOnLeafPortText(gateway: string): string {
  return `Rejecting connection from gateway ${JSON.stringify(gateway)} on the leafnode port`;
}

/** Go's Duration.String() for whole seconds ("30s"), as it appears in nats-server's errors. */
function goSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** What a hub says in its INFO (first on accept, then with connect_info after CONNECT). */
export interface HubInfo {
  server_id: string;
  server_name: string;
  version: string;
  proto: number;
  go?: string;
  host: string;
  port: number;
  headers: boolean;
  auth_required: boolean;
  tls_required?: boolean;
  /** The hub verifies spokes' certificates. */
  tls_verify?: boolean;
  max_payload: number;
  /** host:port a spoke dials for this hub. */
  ip: string;
  client_id: number;
  nonce?: string;
  cluster?: string;
  info_on_connect: boolean;
  connect_info?: boolean;
  leafnode_urls: string[];
  remote_account?: string;
}

/** The spoke's CONNECT, as nats-server 2.9 sends it (omitempty fields left out when empty). */
export interface LeafConnect {
  version?: string;
  jwt?: string;
  sig?: string;
  user?: string;
  pass?: string;
  tls_required: boolean;
  server_id?: string;
  domain?: string;
  name?: string;
  is_hub?: boolean;
  cluster?: string;
  headers?: boolean;
  jetstream?: boolean;
  deny_pub?: string[];
  /** Only set by gateways connecting to the wrong port. */
  gateway?: string;
  /** Only set by clients connecting to the wrong port. */
  lang?: string;
}

/** Parse a JSON object; undefined when it is not one. */
export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The CONNECT fields we read, type-checked (wrong types are treated as absent). */
export function readConnect(o: Record<string, unknown>): LeafConnect {
  const s = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
  const b = (k: string) => o[k] === true;
  const list = Array.isArray(o.deny_pub) ? o.deny_pub.filter((x): x is string => typeof x === "string") : undefined;
  return {
    version: s("version"),
    jwt: s("jwt"),
    sig: s("sig"),
    user: s("user"),
    pass: s("pass"),
    tls_required: b("tls_required"),
    server_id: s("server_id"),
    domain: s("domain"),
    name: s("name"),
    is_hub: b("is_hub"),
    cluster: s("cluster"),
    headers: b("headers"),
    deny_pub: list,
    gateway: s("gateway"),
    lang: s("lang"),
  };
}

const NUID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A 22-character base-62 unique id, the shape nats-server uses after `$LDS.`. */
export function nuid(): string {
  const bytes = randomBytes(22);
  let out = "";
  for (let i = 0; i < 22; i++) out += NUID_ALPHABET[bytes[i] % 62];
  return out;
}

/** A nonce for the hub INFO (what spokes with credentials sign). */
export function nonce(): string {
  return randomBytes(11).toString("base64url");
}
