/**
 * /varz: server identity, configuration and counters, in nats-server's Varz layout (field order,
 * omitempty, units: ping_interval/write_deadline in ns, timeouts in seconds).
 */
import type { Server } from "../server";
import type { TlsOptions } from "../options";
import { SYSTEM_ACCOUNT } from "../account";
import { durationNs, goTime, preciseNow, uptime } from "./format";
import { cluster, leafsOf, routesOf } from "./sources";
import { processCpu } from "./cpu";

/** nats-server's default for auth and TLS handshake timeouts, in seconds. */
const DEFAULT_TIMEOUT_S = 2;

export type Varz = Record<string, unknown>;

/** `http_req_stats`: requests per endpoint path (nats-server counts before answering). */
export type RequestStats = Record<string, number>;

export function varz(server: Server, reqStats: RequestStats = {}, httpPorts?: { http: number; https: number }): Varz {
  const o = server.opts;
  const info = server.infoFields();
  const cf = cluster(server);
  const now = preciseNow();
  const v: Varz = {
    server_id: server.id,
    server_name: server.name,
    version: info.version,
    proto: info.proto,
    go: info.go,
    host: info.host,
    port: info.port,
  };
  if (server.authRequired()) v.auth_required = true;
  if (tlsEnabled(o.tls)) {
    v.tls_required = true;
    if (o.tls?.verify || o.tls?.verifyAndMap) v.tls_verify = true;
  }
  if (cf.connectURLs && cf.connectURLs.length > 0) v.connect_urls = [...cf.connectURLs];
  v.max_connections = o.maxConnections;
  if (o.maxSubscriptions > 0) v.max_subscriptions = o.maxSubscriptions;
  v.ping_interval = durationNs(o.pingInterval);
  v.ping_max = o.pingMax;
  v.http_host = o.httpHost;
  v.http_port = httpPorts?.http ?? server.httpPort;
  v.http_base_path = o.httpBasePath ?? "";
  v.https_port = httpPorts?.https ?? server.httpsPort;
  v.auth_timeout = server.authTimeoutMs() / 1000;
  v.max_control_line = o.maxControlLine;
  v.max_payload = o.maxPayload;
  v.max_pending = o.maxPending;
  v.cluster = clusterVarz(server);
  v.gateway = gatewayVarz(server);
  v.leaf = leafVarz(server);
  // Not supported by natsfleet-server: present and empty, as nats-server shows them when off.
  v.mqtt = {};
  v.websocket = {};
  v.jetstream = {};
  v.tls_timeout = timeoutS(o.tls);
  v.write_deadline = durationNs(o.writeDeadline);
  v.start = goTime(server.startTime.getTime());
  v.now = goTime(now);
  v.uptime = uptime(now - server.startTime.getTime());
  const u = server.usage();
  v.mem = u.mem;
  v.cores = u.cores;
  // One event loop runs the broker: Go's GOMAXPROCS counterpart is 1.
  v.gomaxprocs = 1;
  v.cpu = processCpu();
  v.connections = server.clients.size;
  v.total_connections = server.stats.totalConnections;
  const routes = routesOf(server).length;
  v.routes = routes;
  v.remotes = cf.remotes?.size ?? routes;
  v.leafnodes = leafsOf(server).length;
  v.in_msgs = server.stats.inMsgs;
  v.out_msgs = server.stats.outMsgs;
  v.in_bytes = server.stats.inBytes;
  v.out_bytes = server.stats.outBytes;
  v.slow_consumers = server.stats.slowConsumers;
  v.subscriptions = totalSubscriptions(server);
  v.http_req_stats = { ...reqStats };
  v.config_load_time = goTime(server.configLoadTime.getTime());
  if (o.serverTags.length > 0) v.tags = [...o.serverTags];
  const sys = systemAccountName(server);
  if (sys) v.system_account = sys;
  return v;
}

/** The system account's name, if the server has one. */
export function systemAccountName(server: Server): string | undefined {
  if (server.opts.systemAccount) return server.opts.systemAccount;
  return server.accounts.has(SYSTEM_ACCOUNT) ? SYSTEM_ACCOUNT : undefined;
}

export function totalSubscriptions(server: Server): number {
  let n = 0;
  for (const acc of server.accounts.values()) n += acc.sublist.size;
  return n;
}

function tlsEnabled(t: TlsOptions | undefined): boolean {
  return !!(t && (t.certFile || t.keyFile));
}

function timeoutS(t: TlsOptions | undefined): number {
  return t?.timeout !== undefined ? t.timeout / 1000 : DEFAULT_TIMEOUT_S;
}

/** `host:port` of a URL (nats-server strips scheme and credentials). */
export function urlHost(u: string): string {
  try {
    const parsed = new URL(u.includes("://") ? u : `nats://${u}`);
    if (parsed.host) return parsed.host;
  } catch {
    /* fall through to the raw text */
  }
  return u.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/^[^@/]*@/, "").replace(/\/.*$/, "");
}

function clusterVarz(server: Server): Record<string, unknown> {
  const c = server.opts.cluster;
  if (!c) return {};
  const out: Record<string, unknown> = {};
  if (c.name) out.name = c.name;
  if (c.host) out.addr = c.host;
  const port = cluster(server).clusterPort ?? c.port;
  if (port > 0) out.cluster_port = port;
  out.auth_timeout = c.authorization?.timeout !== undefined ? c.authorization.timeout / 1000 : DEFAULT_TIMEOUT_S;
  if (c.routes.length > 0) out.urls = c.routes.map(urlHost);
  out.tls_timeout = timeoutS(c.tls);
  if (tlsEnabled(c.tls)) {
    out.tls_required = true;
    out.tls_verify = true;
  }
  return out;
}

function gatewayVarz(server: Server): Record<string, unknown> {
  const g = server.opts.gateway;
  if (!g) return {};
  const out: Record<string, unknown> = {};
  if (g.name) out.name = g.name;
  if (g.host) out.host = g.host;
  const port = cluster(server).gateways?.port ?? g.port;
  if (port > 0) out.port = port;
  out.auth_timeout = g.authorization?.timeout !== undefined ? g.authorization.timeout / 1000 : DEFAULT_TIMEOUT_S;
  out.tls_timeout = timeoutS(g.tls);
  if (tlsEnabled(g.tls)) {
    out.tls_required = true;
    out.tls_verify = true;
  }
  if (g.advertise) out.advertise = g.advertise;
  if (g.connectRetries) out.connect_retries = g.connectRetries;
  if (g.gateways.length > 0) {
    out.gateways = g.gateways.map((r) => {
      const e: Record<string, unknown> = { name: r.name };
      if (r.tls?.timeout !== undefined) e.tls_timeout = r.tls.timeout / 1000;
      if (r.urls.length > 0) e.urls = r.urls.map(urlHost);
      return e;
    });
  }
  if (g.rejectUnknown) out.reject_unknown = true;
  return out;
}

function leafVarz(server: Server): Record<string, unknown> {
  const l = server.opts.leafnodes;
  if (!l) return {};
  const out: Record<string, unknown> = {};
  if (l.host) out.host = l.host;
  const port = cluster(server).leafnodePort ?? l.port;
  if (port > 0) out.port = port;
  out.auth_timeout = l.authorization?.timeout !== undefined ? l.authorization.timeout / 1000 : DEFAULT_TIMEOUT_S;
  out.tls_timeout = timeoutS(l.tls);
  if (tlsEnabled(l.tls)) {
    out.tls_required = true;
    if (l.tls?.verify) out.tls_verify = true;
  }
  if (l.remotes.length > 0) {
    out.remotes = l.remotes.map((r) => {
      const e: Record<string, unknown> = {};
      if (r.account) e.local_account = r.account;
      if (r.tls?.timeout !== undefined) e.tls_timeout = r.tls.timeout / 1000;
      if (r.urls.length > 0) e.urls = r.urls.map(urlHost);
      const deny: Record<string, string[]> = {};
      if (r.denyExports && r.denyExports.length > 0) deny.exports = [...r.denyExports];
      if (r.denyImports && r.denyImports.length > 0) deny.imports = [...r.denyImports];
      if (Object.keys(deny).length > 0) e.deny = deny;
      return e;
    });
  }
  return out;
}
