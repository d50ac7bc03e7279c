/**
 * The INFO and CONNECT this server sends on a route (reference section 2): field for field
 * what nats-server 2.9.10 sends, so a 2.9 (or newer) peer takes us for one of its own.
 */
import { randomBytes } from "crypto";
import type { Server } from "../server";
import type { ClusterOptions } from "../options";
import { VERSION, PROTOCOL_VERSION } from "../version";
import { RouteURL, routeIP } from "./url";
import { gatewayHooks, ownLeafnodeURL } from "./peers";

/** What the INFO says about this server's cluster membership. */
export interface RouteIdentity {
  cluster: ClusterOptions;
  /** The cluster name in use (configured, generated or adopted). */
  name: string;
  /** The name was generated: a configured peer's name wins. */
  dynamic: boolean;
  /** This server's client URLs (connect_urls). */
  clientURLs: string[];
  authRequired: boolean;
}

/**
 * Route INFO fields: `nonce` only on the first INFO of a connection, `ldm` on the update that
 * announces lame-duck mode.
 */
export function routeInfo(s: Server, id: RouteIdentity, opts: { nonce?: boolean; lameDuck?: boolean }): Record<string, unknown> {
  const c = id.cluster;
  const info: Record<string, unknown> = {
    server_id: s.id,
    server_name: s.name,
    version: PROTOCOL_VERSION,
    proto: 2,
    go: `natsfleet ${VERSION} node ${process.version}`,
  };
  let host = c.host;
  let port = s.clusterPort ?? 0;
  let ip: string | undefined;
  if (c.advertise) {
    const adv = c.advertise.replace(/^[a-z-]+:\/\//i, "").replace(/\/$/, "");
    const m = /^(.*?)(?::(\d+))?$/.exec(adv)!;
    host = m[1].replace(/^\[(.*)\]$/, "$1");
    if (m[2]) port = Number(m[2]);
    ip = routeIP(host, port);
  }
  info.host = host;
  info.port = port;
  info.headers = true;
  if (id.authRequired) info.auth_required = true;
  // Route TLS is always mutual (see tls.ts), which nats-server announces as tls_verify.
  if (c.tls) {
    info.tls_required = true;
    info.tls_verify = true;
  }
  info.max_payload = s.opts.maxPayload;
  // Field order as nats-server marshals its Info struct.
  if (ip) info.ip = ip;
  if (opts.nonce) info.nonce = randomBytes(11).toString("base64url");
  info.cluster = id.name;
  if (id.dynamic) info.cluster_dynamic = true;
  info.connect_urls = id.clientURLs;
  if (opts.lameDuck) info.ldm = true;
  if (c.permissions?.import || c.permissions?.export) {
    info.import = c.permissions.import;
    info.export = c.permissions.export;
  }
  info.lnoc = true;
  const gw = gatewayHooks(s);
  if (gw?.url) info.gateway_url = gw.url;
  const leafURL = ownLeafnodeURL(s);
  if (leafURL) info.leafnode_urls = [leafURL];
  return info;
}

/** The dialer's CONNECT JSON, with the credentials of the route URL. */
export function routeConnect(s: Server, id: RouteIdentity, url: RouteURL): string {
  const c: Record<string, unknown> = { echo: true, verbose: false, pedantic: false };
  if (url.user !== undefined) {
    c.user = url.user;
    c.pass = url.pass ?? "";
  }
  c.tls_required = false;
  c.headers = true;
  c.name = s.id;
  c.cluster = id.name;
  if (id.dynamic) c.dynamic = true;
  c.lnoc = true;
  return JSON.stringify(c);
}
