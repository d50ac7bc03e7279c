/**
 * What gateways need from routes: nats-server spreads gateway knowledge over routes (so every
 * server of a cluster dials every other cluster) and hands a routed reply to the cluster peer
 * that made the request. The route module owns route connections; this reads them duck-typed.
 */
import type { Deliverer, InMsg } from "../message";
import type { GatewaysView } from "../monitor/sources";
import type { Server } from "../server";
import { gwHash } from "./hash";

declare module "../server" {
  interface Server {
    /** This server's gateways, for /gatewayz and /varz (see monitor/sources.ts). */
    gateways?: GatewaysView;
    /** Set while gateways run: what the route module tells and asks the gateway module. */
    gatewayRouteHooks?: GatewayRouteHooks;
  }
}

/**
 * The route side of gateways (nats-server spreads gateway knowledge over routes, so every
 * server of a cluster holds its own outbound connection to every other cluster).
 */
export interface GatewayRouteHooks {
  /** This server's gateway URL, for the route INFO field `gateway_url`. */
  readonly url: string;
  /**
   * A route INFO: `gateway_url` (a peer's gateway URL, advertised in our gateway_urls) and/or
   * `gateway` with `gateway_cmd` 1 (a gateway a peer connected to: connect to it too).
   */
  onRouteInfo(info: { gateway?: string; gateway_urls?: string[]; gateway_cmd?: number; gateway_url?: string }): void;
  /** INFO lines for a newly registered route: the gateways this server has connections to. */
  infosForNewRoute(): string[];
}

/** What this module reads of routes (duck-typed: the route module owns the class). */
export interface RouteLike extends Partial<Deliverer> {
  remoteId?: string;
  /** The peer's route INFO (nats-server peers advertise their `gateway_url` there). */
  info?: { gateway_url?: string } | null;
  sendProto?(text: string): void;
  sendMessage?(account: string, m: InMsg): boolean;
}

/** The server's registered routes (none without the route module). */
export function routeList(server: Server): RouteLike[] {
  const routes = (server as unknown as { routes?: ReadonlyMap<number, RouteLike> }).routes;
  return routes ? [...routes.values()] : [];
}

/** The route to the cluster peer whose server id hashes to `hash` (routed replies). */
export function routeByHash(server: Server, hash: string): RouteLike | undefined {
  for (const r of routeList(server)) if (r.remoteId && !r.closed && gwHash(r.remoteId) === hash) return r;
  return undefined;
}

/** Pass a message to a route peer as is (subject unchanged, no queue list). */
export function sendOverRoute(route: RouteLike, account: string, m: InMsg): boolean {
  if (typeof route.sendMessage === "function") return route.sendMessage(account, m);
  if (typeof route.collect !== "function" || typeof route.flushCollected !== "function") return false;
  const sub = { subject: m.subject, conn: route as Deliverer, account };
  route.collect(sub, m);
  return route.flushCollected(m);
}

/** Gateway URLs the cluster peers advertised in their route INFO. */
export function peerGatewayURLs(server: Server): string[] {
  const out: string[] = [];
  for (const r of routeList(server)) {
    const u = r.info?.gateway_url;
    if (!r.closed && typeof u === "string" && u !== "") out.push(u);
  }
  return out;
}
