/** natsfleet-server's own version. */
export const VERSION = "0.1.0";
/**
 * The nats-server version whose protocol we speak. INFO reports it as `version` because clients
 * gate features on it (headers need >= 2.2.0, for example).
 */
export const PROTOCOL_VERSION = "2.9.10";
