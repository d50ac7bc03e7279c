/**
 * Clustering over routes (reference section 2): `RouteAddon` joins the server to a cluster of
 * natsfleet-servers and nats-servers. See addon.ts (membership), conn.ts (wire protocol),
 * dialer.ts (seeds and implicit routes), interest.ts (RS+/RS-), hello.ts (INFO/CONNECT).
 */
export { RouteAddon } from "./addon";
export { RouteConn, RemoteSub } from "./conn";
export type { RouteCloseReason, RouteManager } from "./conn";
export type { RouteInfo, RouteConnect } from "./info";
