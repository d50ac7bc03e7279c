/**
 * TLS on gateway connections. As nats-server does, the handshake comes first (the accepting
 * side's INFO follows it), both sides present a certificate, the accepting side verifies the
 * dialler's against its CA and the dialler verifies the server's unless `insecure` is set.
 * The mechanics live in the shared broker/tls module.
 */
import type { TlsOptions } from "../options";
import { loadTls, dialTls, LoadedTls } from "../tls";

/** Certificate material, read when the gateway starts or reloads. */
export type GatewayTls = LoadedTls;

/** Read a `tls {}` block's files; throws an Error naming `where` and the file at fault. */
export function loadGatewayTls(t: TlsOptions, where: string): GatewayTls {
  return loadTls(t, `${where} tls`, true);
}

export const dialGatewayTls = dialTls;
