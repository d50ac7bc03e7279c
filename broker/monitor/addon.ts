/**
 * The monitoring listeners as a ServerAddon: HTTP on `httpPort`, HTTPS on `httpsPort` with the
 * server's `tls` certificate (no client certificates, as nats-server), bound on start, rebound
 * on reload when host or port change, closed with the server. Endpoints only read the server's
 * counters when a request comes in, so the message path never pays for monitoring.
 */
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import type { Server, ServerAddon } from "../server";
import type { TlsOptions } from "../options";
import { RequestStats } from "./varz";
import { normalizeBasePath, route } from "./router";

type Scheme = "http" | "https";
const SCHEMES: readonly Scheme[] = ["http", "https"];

/** Where a listener is bound (port after -1 was resolved). */
interface Binding {
  host: string;
  /** The configured port (-1 = random), to tell whether a reload changed it. */
  configured: number;
  port: number;
}

interface Listener {
  srv: http.Server;
  binding: Binding;
  /** The TLS files the HTTPS listener was loaded from, to reload them when they change. */
  tls?: string;
}

export class MonitorAddon implements ServerAddon {
  /** Requests per endpoint since start (`http_req_stats` of /varz). */
  readonly requestStats: RequestStats = {};
  private server: Server | null = null;
  private readonly listeners: Partial<Record<Scheme, Listener>> = {};

  /** The bound HTTP port, 0 when not listening. */
  get port(): number {
    return this.listeners.http?.binding.port ?? 0;
  }

  /** The bound HTTPS port, 0 when not listening. */
  get httpsPort(): number {
    return this.listeners.https?.binding.port ?? 0;
  }

  async start(server: Server): Promise<void> {
    this.server = server;
    for (const scheme of SCHEMES) {
      if (configuredPort(server, scheme) !== 0) await this.listen(server, scheme);
    }
  }

  async reloaded(server: Server): Promise<void> {
    this.server = server;
    let moved = false;
    for (const scheme of SCHEMES) {
      const l = this.listeners[scheme];
      const want = configuredPort(server, scheme);
      const same = l ? want !== 0 && l.binding.host === server.opts.httpHost && l.binding.configured === want : want === 0;
      if (same) {
        if (l && scheme === "https") this.reloadCertificate(server, l);
        continue;
      }
      moved = true;
      await this.stop(scheme);
      if (want === 0) continue;
      try {
        await this.listen(server, scheme);
      } catch (e) {
        // Keep monitoring reachable where it was rather than lose it over a bad new address.
        if (l) await this.listen(server, scheme, l.binding).catch(() => undefined);
        server.writePortsFile();
        throw e;
      }
    }
    if (moved) server.writePortsFile();
  }

  async close(): Promise<void> {
    for (const scheme of SCHEMES) await this.stop(scheme);
  }

  /** Bind the configured address, or `at` (a previous binding being restored). */
  private async listen(server: Server, scheme: Scheme, at?: Binding): Promise<void> {
    const host = at ? at.host : server.opts.httpHost;
    const configured = at ? at.configured : configuredPort(server, scheme);
    const want = at ? at.port : Math.max(0, configured);
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    let srv: http.Server;
    let tlsFiles: string | undefined;
    if (scheme === "https") {
      const tls = server.opts.tls;
      const cert = readCertificate(tls, configured);
      try {
        srv = https.createServer({ ...cert, requestCert: false }, handler);
      } catch (e) {
        throw new Error(`HTTPS monitoring: tls cert_file ${tls?.certFile} / key_file ${tls?.keyFile} unusable: ${(e as Error).message}`);
      }
      tlsFiles = JSON.stringify([tls?.certFile, tls?.keyFile]);
    } else {
      srv = http.createServer(handler);
    }
    srv.maxHeadersCount = 100;
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => reject(new Error(`Can't listen to the monitor port ${hostPort(host, configured)}: ${err.message}`));
      srv.once("error", fail);
      srv.listen(want, host || undefined, () => {
        srv.removeListener("error", fail);
        resolve();
      });
    });
    srv.on("error", (err) => server.log.error(`Monitoring listener error: ${err.message}`));
    // Bad TLS handshakes are the client's problem; do not let them reach the error log as ours.
    srv.on("tlsClientError", (err) => server.log.debug(`Monitoring TLS handshake failed: ${err.message}`));
    const port = (srv.address() as AddressInfo).port;
    this.listeners[scheme] = { srv, binding: { host, configured, port }, tls: tlsFiles };
    if (scheme === "http") server.httpPort = port;
    else server.httpsPort = port;
    server.log.info(`Starting ${scheme} monitor on ${hostPort(host, port)}`);
  }

  /** A reload may point `tls` at new files (certificate rotation): serve them from now on. */
  private reloadCertificate(server: Server, l: Listener): void {
    const tls = server.opts.tls;
    const files = JSON.stringify([tls?.certFile, tls?.keyFile]);
    if (files === l.tls) return;
    (l.srv as https.Server).setSecureContext(readCertificate(tls, l.binding.configured));
    l.tls = files;
  }

  private async stop(scheme: Scheme): Promise<void> {
    const l = this.listeners[scheme];
    delete this.listeners[scheme];
    if (this.server) {
      if (scheme === "http") this.server.httpPort = 0;
      else this.server.httpsPort = 0;
    }
    if (!l) return;
    const closed = new Promise<void>((r) => l.srv.close(() => r()));
    // Keep-alive connections would otherwise hold the listener (and the process) open.
    l.srv.closeAllConnections();
    await closed;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const server = this.server;
    if (!server) {
      res.writeHead(503).end();
      return;
    }
    let status = 500;
    let type = "text/plain; charset=utf-8";
    let body: string;
    try {
      const r = route(req.url ?? "/", normalizeBasePath(server.opts.httpBasePath), {
        server,
        stats: this.requestStats,
        ports: { http: this.port, https: this.httpsPort },
      });
      ({ status, contentType: type, body } = r);
    } catch (e) {
      // A bug in an endpoint must not take the broker down, nor leak a stack to the caller.
      server.log.error(`Monitoring request ${req.url} failed: ${(e as Error).message}`);
      body = `internal error answering ${req.url}`;
    }
    res.writeHead(status, {
      "Content-Type": type,
      "Content-Length": Buffer.byteLength(body),
      "X-Content-Type-Options": "nosniff",
    });
    res.end(body);
  }
}

function configuredPort(server: Server, scheme: Scheme): number {
  return scheme === "http" ? server.opts.httpPort : server.opts.httpsPort;
}

/** The server certificate for HTTPS monitoring (nats-server uses the client port's `tls`). */
function readCertificate(tls: TlsOptions | undefined, port: number): { cert: Buffer; key: Buffer } {
  if (!tls?.certFile || !tls.keyFile) {
    throw new Error(`https_port ${port} needs a tls { cert_file, key_file } block: HTTPS monitoring serves the server's certificate`);
  }
  const read = (what: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new Error(`HTTPS monitoring: cannot read tls ${what} ${file}: ${(e as Error).message}`);
    }
  };
  return { cert: read("cert_file", tls.certFile), key: read("key_file", tls.keyFile) };
}

function hostPort(h: string, p: number): string {
  return h.includes(":") ? `[${h}]:${p}` : `${h}:${p}`;
}
