/**
 * The client URLs (`host:port`) this server advertises in its own INFO connect_urls and in its
 * route INFO, so clients learn every cluster member and fail over.
 */
import * as os from "os";
import type { Server } from "../server";

const WILDCARD = new Set(["", "0.0.0.0", "::", "[::]"]);

function hostPort(h: string, p: number): string {
  return h.includes(":") ? `[${h}]:${p}` : `${h}:${p}`;
}

/**
 * This server's client URLs: `client_advertise` when set, else the listen host, and for a
 * wildcard host every non-internal IPv4 address (as nats-server lists them), loopback if none.
 */
export function ownClientURLs(server: Server): string[] {
  const o = server.opts;
  if (o.clientAdvertise) {
    const adv = o.clientAdvertise.replace(/^[a-z]+:\/\//i, "");
    const m = /^(.*):(\d+)$/.exec(adv);
    if (m && !adv.endsWith("]")) return [hostPort(m[1].replace(/^\[(.*)\]$/, "$1"), Number(m[2]))];
    return [hostPort(adv.replace(/^\[(.*)\]$/, "$1"), server.port)];
  }
  if (!WILDCARD.has(o.host)) return [hostPort(o.host, server.port)];
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) out.push(hostPort(a.address, server.port));
  }
  return out.length > 0 ? out : [hostPort("127.0.0.1", server.port)];
}

/** Union of URL lists, first occurrence wins (this server's own first). */
export function mergeURLs(lists: Iterable<readonly string[]>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const l of lists) {
    for (const u of l) {
      if (seen.has(u)) continue;
      seen.add(u);
      out.push(u);
    }
  }
  return out;
}
