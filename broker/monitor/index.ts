/**
 * Monitoring for natsfleet-server: nats-server's HTTP endpoints (/varz, /connz, /subsz, /routez,
 * /gatewayz, /leafz, /accountz, /healthz, /jsz) plus Prometheus /metrics, on `httpPort` and/or
 * `httpsPort` (HTTPS uses the server's `tls` certificate).
 *
 *   const server = new Server({ httpPort: 8222 });
 *   server.addons.push(monitoring());
 *   await server.start();
 *
 * The snapshot functions (varz, connz, ...) are exported too, for embedding without HTTP.
 */
import { MonitorAddon } from "./addon";

export { MonitorAddon } from "./addon";
export { varz, totalSubscriptions, systemAccountName } from "./varz";
export type { Varz, RequestStats } from "./varz";
export { connz, connzOptions, SORT_KEYS, DEFAULT_CONN_LIST_SIZE } from "./connz";
export type { Connz, ConnzOptions, ConnState, SortKey } from "./connz";
export { subsz, subszOptions, sublistStats } from "./subsz";
export type { Subsz, SubszOptions, SublistStats } from "./subsz";
export { routez, gatewayz, leafz } from "./peers";
export type { RoutezOptions, GatewayzOptions, LeafzOptions } from "./peers";
export { accountz } from "./accountz";
export type { AccountzOptions } from "./accountz";
export { healthz, jsz } from "./health";
export type { HealthStatus } from "./health";
export { metrics } from "./metrics";
export { QueryError } from "./query";
export type { ConnView, SubView, RouteView, LeafView, GatewayConnView, GatewaysView, ClusterFields } from "./sources";
export { goTime, goDuration, uptime } from "./format";

/** A new monitoring addon; push it to `server.addons` before `server.start()`. */
export function monitoring(): MonitorAddon {
  return new MonitorAddon();
}
