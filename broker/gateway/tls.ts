/**
 * TLS on gateway connections. As nats-server does, the handshake comes first (the accepting
 * side's INFO follows it), both sides present a certificate, the accepting side verifies the
 * dialler's against its CA and the dialler verifies the server's unless `insecure` is set.
 */
import * as fs from "fs";
import * as net from "net";
import * as tls from "tls";
import type { TlsOptions } from "../options";

const DEFAULT_TLS_TIMEOUT_MS = 2000;

/** Certificate material, read when the gateway starts or reloads. */
export interface GatewayTls {
  readonly opts: TlsOptions;
  readonly context: tls.SecureContext;
  readonly ca?: Buffer;
  readonly timeoutMs: number;
}

/** Read a `tls {}` block's files; throws an Error naming `where` and the file at fault. */
export function loadGatewayTls(t: TlsOptions, where: string): GatewayTls {
  if (!t.certFile || !t.keyFile) throw new Error(`${where} tls needs cert_file and key_file`);
  const read = (key: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new Error(`${where} tls ${key} ${JSON.stringify(file)}: ${(e as Error).message}`);
    }
  };
  const cert = read("cert_file", t.certFile);
  const key = read("key_file", t.keyFile);
  const ca = t.caFile ? read("ca_file", t.caFile) : undefined;
  try {
    const context = tls.createSecureContext({ cert, key, ca, ciphers: t.cipherSuites?.join(":") });
    return { opts: t, context, ca, timeoutMs: t.timeout ?? DEFAULT_TLS_TIMEOUT_MS };
  } catch (e) {
    throw new Error(`${where} tls: certificate or key unusable: ${(e as Error).message}`);
  }
}

function settle(s: tls.TLSSocket, raw: net.Socket, done: "secure" | "secureConnect", timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const fail = (e: Error) => {
      clearTimeout(timer);
      s.destroy();
      raw.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error("TLS handshake timeout")), timeoutMs);
    s.once(done, () => {
      clearTimeout(timer);
      s.removeListener("error", fail);
      resolve(s);
    });
    s.once("error", fail);
  });
}

/** Accepting side: require and verify the dialler's certificate. */
export function acceptGatewayTls(raw: net.Socket, t: GatewayTls): Promise<tls.TLSSocket> {
  const s = new tls.TLSSocket(raw, { isServer: true, secureContext: t.context, requestCert: true, rejectUnauthorized: true, ca: t.ca });
  return settle(s, raw, "secure", t.timeoutMs);
}

/** Dialling side: present our certificate; verify the server's for `host` unless insecure. */
export function dialGatewayTls(raw: net.Socket, host: string, t: GatewayTls): Promise<tls.TLSSocket> {
  const s = tls.connect({
    socket: raw,
    secureContext: t.context,
    ca: t.ca,
    host,
    servername: net.isIP(host) ? undefined : host,
    rejectUnauthorized: t.opts.insecure !== true,
  });
  return settle(s, raw, "secureConnect", t.timeoutMs);
}
