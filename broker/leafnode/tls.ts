/**
 * TLS on leaf node links, as nats-server 2.9 does it: the hub sends its INFO in plaintext with
 * `tls_required` (and `tls_verify` when it checks spokes' certificates), then the spoke starts
 * the handshake. The handshakes themselves (and the real chain check on the accepting side)
 * are the shared broker/tls module's; this file only turns leaf `tls {}` blocks into its
 * LoadedTls, including a spoke's block without a certificate of its own.
 */
import * as fs from "fs";
import * as tls from "tls";
import type { TlsOptions } from "../options";
import { DEFAULT_TLS_TIMEOUT_MS, LoadedTls, TlsConfigError, loadTls } from "../tls";

export { acceptTls, dialTls, tlsInfoFields, TlsConfigError } from "../tls";

/**
 * The hub listener's `leafnodes { tls {} }`: a certificate is required; spokes' certificates
 * are requested and verified only with `verify` (as nats-server).
 */
export function loadHubTls(t: TlsOptions): LoadedTls {
  return loadTls(t, "leafnodes tls");
}

/**
 * A spoke's TLS settings for one remote. A remote may have no `tls {}` block (the hub asked for
 * TLS, or the URL scheme is tls://) or a block with only `ca_file`/`insecure`: the spoke then
 * presents no certificate, which a hub without `verify` accepts. `where` names the remote.
 */
export function loadSpokeTls(t: TlsOptions | undefined, where: string): LoadedTls {
  if (t?.certFile || t?.keyFile) return loadTls(t, `${where} tls`);
  const opts: TlsOptions = t ?? {};
  let ca: Buffer | undefined;
  if (opts.caFile) {
    try {
      ca = fs.readFileSync(opts.caFile);
    } catch (e) {
      throw new TlsConfigError(`${where} tls: cannot read ca_file ${JSON.stringify(opts.caFile)}: ${(e as Error).message}`);
    }
  }
  let context: tls.SecureContext;
  try {
    // Without ca_file Node's default roots apply, as Go's system pool does for nats-server.
    context = tls.createSecureContext(ca ? { ca } : {});
  } catch (e) {
    throw new TlsConfigError(`${where} tls: ca_file ${JSON.stringify(opts.caFile)} unusable: ${(e as Error).message}`);
  }
  return { opts, context, dialContext: context, ca, timeoutMs: opts.timeout ?? DEFAULT_TLS_TIMEOUT_MS, verify: false };
}
