/**
 * TLS on routes. As in nats-server, a cluster `tls {}` block means mutual TLS: both sides
 * present the same certificate and verify the other's against the same CA (the accepting side
 * always verifies; `insecure` only skips verification when dialling). The handshake comes
 * before any protocol line. The mechanics (and the real peer-chain check a hand-made
 * server-side TLSSocket needs) live in the shared broker/tls module.
 */
import type { TlsOptions } from "../options";
import { loadTls, LoadedTls } from "../tls";

export { dialTls } from "../tls";

/** Certificate material read once per (re)configuration. */
export type RouteTls = LoadedTls;

/** Load the cluster TLS files; throws an Error naming the file that cannot be used. */
export function loadRouteTls(t: TlsOptions): RouteTls {
  return loadTls(t, "cluster tls", true);
}
