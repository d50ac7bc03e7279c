/**
 * Route URLs (`nats-route://user:pass@host:port`): where to dial and with which credentials.
 * Kept apart from the connection code so config values and gossiped `ip` fields share one parser.
 */

/** A parsed route URL. */
export interface RouteURL {
  /** The URL as configured or gossiped (credentials included). */
  readonly raw: string;
  readonly host: string;
  readonly port: number;
  readonly user?: string;
  readonly pass?: string;
}

/** Default cluster port when a route URL names none (as nats-server). */
const DEFAULT_ROUTE_PORT = 6222;

/**
 * Parse a route URL; throws an Error naming the URL when it cannot be dialled. Any scheme is
 * accepted (nats-route, nats, tls), as nats-server only looks at host, port and user info.
 */
export function parseRouteURL(raw: string): RouteURL {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new Error(`invalid route URL ${JSON.stringify(raw)}: expected nats-route://host:port`);
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host) throw new Error(`invalid route URL ${JSON.stringify(raw)}: no host`);
  const port = u.port ? Number(u.port) : DEFAULT_ROUTE_PORT;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid route URL ${JSON.stringify(raw)}: bad port`);
  const out: { raw: string; host: string; port: number; user?: string; pass?: string } = { raw: raw.trim(), host, port };
  if (u.username) out.user = decodeURIComponent(u.username);
  if (u.password) out.pass = decodeURIComponent(u.password);
  return out;
}

/** `host:port` in lower case, the key nats-server compares configured routes by. */
export function hostKey(host: string, port: number): string {
  const h = host.toLowerCase();
  return h.includes(":") ? `[${h}]:${port}` : `${h}:${port}`;
}

/** `nats-route://host:port/`, the form of the INFO `ip` field. */
export function routeIP(host: string, port: number): string {
  return `nats-route://${hostKey(host, port)}/`;
}
