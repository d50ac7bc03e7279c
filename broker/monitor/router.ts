/**
 * Maps a request to an endpoint and its reply: base path, JSONP callbacks, 400 for bad queries
 * and 404 for unknown paths with nats-server's texts. Pure (no sockets), so it is easy to test.
 */
import * as path from "path";
import type { Server } from "../server";
import { goJSON } from "./format";
import { QueryError, param } from "./query";
import { connz, connzOptions } from "./connz";
import { subsz, subszOptions } from "./subsz";
import { varz, RequestStats } from "./varz";
import { routez, routezOptions, gatewayz, gatewayzOptions, leafz, leafzOptions } from "./peers";
import { accountz, accountzOptions } from "./accountz";
import { healthz, healthzOptions, jsz, jszOptions } from "./health";
import { metrics, METRICS_CONTENT_TYPE } from "./metrics";
import { indexPage } from "./root";

export interface Reply {
  status: number;
  contentType: string;
  body: string;
}

/** What an endpoint sees besides the server: its query and the monitor's own state. */
export interface RequestContext {
  server: Server;
  query: URLSearchParams;
  stats: RequestStats;
  ports: { http: number; https: number };
}

type Endpoint = (ctx: RequestContext) => Reply;

const JSON_TYPE = "application/json";
const TEXT_TYPE = "text/plain; charset=utf-8";

const json = (v: unknown, status = 200): Reply => ({ status, contentType: JSON_TYPE, body: goJSON(v) });

/** Endpoints by path relative to the base path. */
export const ENDPOINTS: Readonly<Record<string, Endpoint>> = {
  "/": (c) => ({ status: 200, contentType: "text/html; charset=utf-8", body: indexPage(c.server.name) }),
  "/varz": (c) => json(varz(c.server, c.stats, c.ports)),
  "/connz": (c) => json(connz(c.server, connzOptions(c.query))),
  "/subsz": (c) => json(subsz(c.server, subszOptions(c.query))),
  // nats-server's older name, kept for the same reason it keeps it: existing scripts.
  "/subscriptionsz": (c) => json(subsz(c.server, subszOptions(c.query))),
  "/routez": (c) => json(routez(c.server, routezOptions(c.query))),
  "/gatewayz": (c) => json(gatewayz(c.server, gatewayzOptions(c.query))),
  "/leafz": (c) => json(leafz(c.server, leafzOptions(c.query))),
  "/accountz": (c) => json(accountz(c.server, accountzOptions(c.query))),
  "/jsz": (c) => {
    jszOptions(c.query);
    return json(jsz(c.server));
  },
  "/healthz": (c) => {
    healthzOptions(c.query);
    const h = healthz(c.server);
    // Probes read this compact, as nats-server writes it.
    return { status: h.status === "ok" ? 200 : 503, contentType: JSON_TYPE, body: goJSON(h, false) };
  },
  "/metrics": (c) => ({ status: 200, contentType: METRICS_CONTENT_TYPE, body: metrics(c.server) }),
};

/** nats-server's base path rule: leading slash, cleaned, "/" when empty. */
export function normalizeBasePath(p: string | undefined): string {
  if (!p) return "/";
  return path.posix.normalize(p.startsWith("/") ? p : "/" + p).replace(/(.)\/+$/, "$1");
}

/** Go's path.Join: cleaned, no trailing slash except for the root itself. */
export function joinPath(base: string, p: string): string {
  return path.posix.join(base, p).replace(/(.)\/+$/, "$1");
}

/** The endpoint key for a request path under `base`, or undefined. */
export function endpointFor(pathname: string, base: string): string | undefined {
  for (const key of Object.keys(ENDPOINTS)) {
    if (joinPath(base, key) === pathname) return key;
  }
  return undefined;
}

const CALLBACK = /^[A-Za-z_$][\w$.]*$/;

/** Answer one request. `url` is the request target (path and query). */
export function route(url: string, base: string, ctx: Omit<RequestContext, "query">): Reply {
  let u: URL;
  let pathname: string;
  try {
    u = new URL(url, "http://monitor.invalid");
    pathname = decodeURIComponent(u.pathname);
  } catch {
    return { status: 400, contentType: TEXT_TYPE, body: `invalid request path: ${url}` };
  }
  const key = endpointFor(pathname, base);
  if (!key) return { status: 404, contentType: TEXT_TYPE, body: "404 page not found\n" };
  ctx.stats[key] = (ctx.stats[key] ?? 0) + 1;
  let reply: Reply;
  try {
    reply = ENDPOINTS[key]({ ...ctx, query: u.searchParams });
  } catch (e) {
    if (e instanceof QueryError) return { status: 400, contentType: TEXT_TYPE, body: e.message };
    throw e;
  }
  // JSONP for dashboards served from elsewhere, as nats-server offers it.
  const callback = param(u.searchParams, "callback");
  if (callback && reply.contentType === JSON_TYPE) {
    if (!CALLBACK.test(callback)) return { status: 400, contentType: TEXT_TYPE, body: `invalid callback name: ${JSON.stringify(callback)}` };
    return { status: reply.status, contentType: "application/javascript", body: `${callback}(${reply.body})` };
  }
  return reply;
}
