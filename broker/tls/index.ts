/**
 * TLS for every listener and dial of the broker (client port, routes, gateways, leaf nodes):
 * one place that turns a `tls {}` block into a secure context and runs handshakes with a
 * timeout and real peer verification.
 *
 * Why not tls.createServer: the client port speaks INFO in plaintext before the handshake
 * (nats-server 2.9), so sockets are wrapped after accept. A hand-made server-side TLSSocket does
 * NOT enforce `rejectUnauthorized` (Node only checks the chain in tls.Server's own connection
 * handler; OpenSSL merely insists that some certificate is sent), so `acceptTls` checks the
 * verification result itself and refuses a certificate from an unknown CA.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as tls from "tls";
import type { TlsOptions } from "../options";
import { opensslCiphers, opensslCurves } from "./ciphers";

/**
 * nats-server 2.9's default TLS 1.2 suites (ECDHE with AEAD only; TLS 1.3 suites are always
 * allowed). OpenSSL's own default would also accept static-RSA key exchange, which nats-server
 * refuses.
 */
const NATS_DEFAULT_CIPHER_SUITES = [
  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
];

/** nats-server's default TLS handshake timeout. */
export const DEFAULT_TLS_TIMEOUT_MS = 2000;

/** Certificate material of one `tls {}` block, read when the listener starts or reloads. */
export interface LoadedTls {
  readonly opts: TlsOptions;
  /**
   * Accepting side: our certificate, and the CA only when peers are verified. Node sends the
   * CA along in the chain whenever the context holds it, which nats-server (sending cert_file
   * as is) does not: a client that does not trust it then reports a different error.
   */
  readonly context: tls.SecureContext;
  /** Dialling side: our certificate and the CA the peer is verified against. */
  readonly dialContext: tls.SecureContext;
  /** CA certificates peers are verified against (system roots when absent). */
  readonly ca?: Buffer;
  readonly timeoutMs: number;
  /** Whether an accepting side requires and verifies the peer's certificate. */
  readonly verify: boolean;
}

/** Thrown when a `tls {}` block cannot be used; the message names the block and the file. */
export class TlsConfigError extends Error {}

/**
 * Read a `tls {}` block's files and build the context. `where` names the block in errors
 * ("tls", "cluster tls", ...). `verifyPeers` forces verification of accepted peers (routes and
 * gateways always verify; the client port only with `verify`/`verify_and_map`).
 */
export function loadTls(t: TlsOptions, where: string, verifyPeers = false): LoadedTls {
  if (!t.certFile) throw new TlsConfigError(`${where}: missing 'cert_file' in TLS configuration`);
  if (!t.keyFile) throw new TlsConfigError(`${where}: missing 'key_file' in TLS configuration`);
  const read = (key: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new TlsConfigError(`${where}: cannot read ${key} ${JSON.stringify(file)}: ${(e as Error).message}`);
    }
  };
  const cert = read("cert_file", t.certFile);
  const key = read("key_file", t.keyFile);
  const ca = t.caFile ? read("ca_file", t.caFile) : undefined;
  let ciphers: string | undefined;
  let ecdhCurve: string | undefined;
  try {
    ciphers = opensslCiphers(t.cipherSuites ?? NATS_DEFAULT_CIPHER_SUITES, where);
    ecdhCurve = t.curvePreferences ? opensslCurves(t.curvePreferences, where) : undefined;
  } catch (e) {
    throw new TlsConfigError((e as Error).message);
  }
  const verify = verifyPeers || t.verify === true || t.verifyAndMap === true;
  let context: tls.SecureContext;
  let dialContext: tls.SecureContext;
  try {
    dialContext = tls.createSecureContext({ cert, key, ca, ciphers, ecdhCurve });
    context = verify || !ca ? dialContext : tls.createSecureContext({ cert, key, ciphers, ecdhCurve });
  } catch (e) {
    throw new TlsConfigError(`${where}: cert_file ${JSON.stringify(t.certFile)} / key_file ${JSON.stringify(t.keyFile)} unusable: ${(e as Error).message}`);
  }
  return { opts: t, context, dialContext, ca, timeoutMs: t.timeout ?? DEFAULT_TLS_TIMEOUT_MS, verify };
}

/** Why a handshake did not complete (the socket is destroyed by then). */
export class TlsHandshakeError extends Error {
  constructor(message: string, readonly timedOut = false) {
    super(message);
  }
}

/**
 * The peer-verification result of a handshaken socket. Null means the chain verified;
 * anything else is the reason it did not (fail closed when Node hides the result).
 */
function verifyFailure(s: tls.TLSSocket): string | null {
  const handle = (s as unknown as { ssl?: { verifyError?: () => Error | null } }).ssl;
  if (typeof handle?.verifyError !== "function") return "peer verification result unavailable";
  const err = handle.verifyError();
  if (err) return err.message;
  if (!s.getPeerCertificate() || Object.keys(s.getPeerCertificate()).length === 0) return "peer did not return a certificate";
  return null;
}

/** SHA-256 (hex) of the peer certificate's SubjectPublicKeyInfo, as `pinned_certs` lists them. */
export function peerKeyId(s: tls.TLSSocket): string | undefined {
  const cert = s.getPeerX509Certificate();
  if (!cert) return undefined;
  return createHash("sha256").update(cert.publicKey.export({ type: "spki", format: "der" })).digest("hex");
}

/** With `pinned_certs`, the peer's key must be one of them (checked after chain verification). */
function pinFailure(s: tls.TLSSocket, t: LoadedTls): string | null {
  const pins = t.opts.pinnedCerts;
  if (!pins || pins.length === 0) return null;
  const id = peerKeyId(s);
  return id !== undefined && pins.includes(id) ? null : `certificate not pinned${id ? ` (key id ${id})` : ""}`;
}

function settle(s: tls.TLSSocket, raw: net.Socket, event: "secure" | "secureConnect", timeoutMs: number, check?: () => string | null): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (e: TlsHandshakeError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      raw.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new TlsHandshakeError("TLS handshake timeout", true)), timeoutMs);
    // OpenSSL's own message spans lines with source paths; its reason says it in a phrase.
    const onError = (e: Error) => fail(new TlsHandshakeError((e as { reason?: string }).reason ?? e.message));
    const onClose = () => fail(new TlsHandshakeError("connection closed during the TLS handshake"));
    s.once("error", onError);
    s.once("close", onClose);
    s.once(event, () => {
      const problem = check?.() ?? null;
      if (problem) return fail(new TlsHandshakeError(`peer certificate rejected: ${problem}`));
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.removeListener("error", onError);
      s.removeListener("close", onClose);
      resolve(s);
    });
  });
}

/**
 * Accepting side: wrap `raw` and complete the server handshake within the timeout. With
 * `t.verify` the peer must present a certificate that chains to `ca_file`.
 */
export function acceptTls(raw: net.Socket, t: LoadedTls): Promise<tls.TLSSocket> {
  const s = new tls.TLSSocket(raw, {
    isServer: true,
    secureContext: t.context,
    requestCert: t.verify,
    rejectUnauthorized: t.verify,
  });
  return settle(s, raw, "secure", t.timeoutMs, () => (t.verify ? verifyFailure(s) : null) ?? pinFailure(s, t));
}

/** Dialling side: present our certificate; verify the server's for `host` unless `insecure`. */
export function dialTls(raw: net.Socket, host: string, t: LoadedTls): Promise<tls.TLSSocket> {
  const s = tls.connect({
    socket: raw,
    secureContext: t.dialContext,
    ca: t.ca,
    host,
    // SNI carries DNS names only.
    servername: net.isIP(host) ? undefined : host,
    rejectUnauthorized: t.opts.insecure !== true,
  });
  return settle(s, raw, "secureConnect", t.timeoutMs, () => pinFailure(s, t));
}

/** INFO fields for a TLS listener (nats-server: tls_required, and tls_verify when verifying). */
export function tlsInfoFields(t: LoadedTls | null): { tls_required?: true; tls_verify?: true } {
  if (!t) return {};
  return t.verify ? { tls_required: true, tls_verify: true } : { tls_required: true };
}

/**
 * An accepted inter-server socket (route, gateway): through the TLS handshake first when the
 * listener has TLS, then to `create` unless the listener stopped meanwhile. A failed handshake
 * is logged, in the words of `kind` ("Route", "Gateway"), and never thrown.
 */
export function acceptPeer(sock: net.Socket, t: LoadedTls | null, running: () => boolean, logError: (msg: string) => void, kind: string, create: (s: net.Socket) => void): void {
  if (!t) {
    create(sock);
    return;
  }
  const where = `${(sock.remoteAddress ?? "").replace(/^::ffff:/, "")}:${sock.remotePort ?? 0}`;
  sock.on("error", () => undefined);
  acceptTls(sock, t).then(
    (s) => (running() ? create(s) : s.destroy()),
    (e: Error) => logError(`${where} - ${kind} TLS handshake error: ${e.message}`),
  );
}
