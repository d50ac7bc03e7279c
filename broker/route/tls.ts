/**
 * TLS on routes. As in nats-server, a cluster `tls {}` block means mutual TLS: both sides
 * present the same certificate and verify the other's against the same CA (the accepting side
 * always asks for a client certificate; `insecure` only skips verification when dialling).
 * The handshake comes before any protocol line.
 */
import * as fs from "fs";
import * as net from "net";
import * as tls from "tls";
import type { TlsOptions } from "../options";

const DEFAULT_TLS_TIMEOUT_MS = 2000;

/** Certificate material read once per (re)configuration. */
export interface RouteTls {
  readonly opts: TlsOptions;
  readonly context: tls.SecureContext;
  readonly ca?: Buffer;
  readonly timeoutMs: number;
}

/** Load the cluster TLS files; throws an Error naming the file that cannot be used. */
export function loadRouteTls(t: TlsOptions): RouteTls {
  if (!t.certFile || !t.keyFile) throw new Error("cluster tls needs cert_file and key_file");
  const read = (what: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new Error(`cluster tls ${what} ${JSON.stringify(file)}: ${(e as Error).message}`);
    }
  };
  const cert = read("cert_file", t.certFile);
  const key = read("key_file", t.keyFile);
  const ca = t.caFile ? read("ca_file", t.caFile) : undefined;
  let context: tls.SecureContext;
  try {
    context = tls.createSecureContext({ cert, key, ca, ciphers: t.cipherSuites?.join(":") });
  } catch (e) {
    throw new Error(`cluster tls cert_file/key_file unusable: ${(e as Error).message}`);
  }
  return { opts: t, context, ca, timeoutMs: t.timeout ?? DEFAULT_TLS_TIMEOUT_MS };
}

/** Run the handshake on `sock` within the TLS timeout; resolves with the secure socket. */
function handshake(s: tls.TLSSocket, raw: net.Socket, event: "secure" | "secureConnect", timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.destroy();
      raw.destroy();
      reject(new Error("TLS handshake timeout"));
    }, timeoutMs);
    s.once(event, () => {
      clearTimeout(timer);
      s.removeAllListeners("error");
      resolve(s);
    });
    s.once("error", (e: Error) => {
      clearTimeout(timer);
      s.destroy();
      raw.destroy();
      reject(e);
    });
  });
}

/** Server side of an accepted route: require and verify the peer's certificate. */
export function acceptTls(raw: net.Socket, t: RouteTls): Promise<tls.TLSSocket> {
  const s = new tls.TLSSocket(raw, {
    isServer: true,
    secureContext: t.context,
    requestCert: true,
    rejectUnauthorized: true,
    ca: t.ca,
  });
  return handshake(s, raw, "secure", t.timeoutMs);
}

/** Client side of a dialled route: present our certificate, verify the server's unless insecure. */
export function dialTls(raw: net.Socket, host: string, t: RouteTls): Promise<tls.TLSSocket> {
  const s = tls.connect({
    socket: raw,
    secureContext: t.context,
    ca: t.ca,
    // `host` is what the certificate must name; SNI only takes DNS names.
    host,
    servername: net.isIP(host) ? undefined : host,
    rejectUnauthorized: t.opts.insecure !== true,
  });
  return handshake(s, raw, "secureConnect", t.timeoutMs);
}
