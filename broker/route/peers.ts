/**
 * What the gateway and leaf node modules offer routes, read duck-typed from the server so the
 * route module does not depend on them: nats-server spreads gateway knowledge and leafnode URLs
 * over routes.
 */
import type { Server } from "../server";
import type { RouteInfo } from "./info";

/** `server.gatewayRouteHooks`, set while gateways run. */
export interface GatewayHooks {
  /** This server's gateway URL, for the route INFO field `gateway_url`. */
  readonly url: string;
  /** A route INFO with gateway knowledge (`gateway_url`, or a gossiped `gateway`). */
  onRouteInfo(info: RouteInfo): void;
  /** INFO lines for a newly registered route: the gateways this server knows. */
  infosForNewRoute(): string[];
}

/** The leaf node module's fields: this server's leafnode URL and the cluster-wide list setter. */
interface LeafFields {
  leafnodeURL?: unknown;
  setLeafnodeURLs?: unknown;
}

export function gatewayHooks(s: Server): GatewayHooks | undefined {
  const h = (s as unknown as { gatewayRouteHooks?: GatewayHooks }).gatewayRouteHooks;
  return h && typeof h.onRouteInfo === "function" && typeof h.infosForNewRoute === "function" ? h : undefined;
}

/** This server's leafnode URL (`host:port`), or undefined without a leafnode listener. */
export function ownLeafnodeURL(s: Server): string | undefined {
  const u = (s as unknown as LeafFields).leafnodeURL;
  return typeof u === "string" && u !== "" ? u : undefined;
}

/** Tell the leaf node module the other members' leafnode URLs (no-op without it). */
export function setPeerLeafnodeURLs(s: Server, urls: string[]): void {
  const set = (s as unknown as LeafFields).setLeafnodeURLs;
  if (typeof set === "function") (set as (u: string[]) => void)(urls);
}
