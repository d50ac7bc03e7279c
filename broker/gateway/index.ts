/** Gateways: joining clusters into a super-cluster (reference section 3). */
export { GatewayAddon } from "./addon";
export { gwHash } from "./hash";
