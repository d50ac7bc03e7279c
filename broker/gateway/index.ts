/**
 * Gateways: joining clusters into a super-cluster (reference section 3). `GatewayAddon` is the
 * ServerAddon; it also sets `server.gateways` (monitoring), `server.replyRouter` (`_GR_.`
 * replies) and `server.gatewayRouteHooks` (what the route module tells and asks it).
 */
export { GatewayAddon } from "./addon";
export type { GatewayRouteHooks } from "./routes";
export { gwHash } from "./hash";
