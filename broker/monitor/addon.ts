/**
 * The monitoring HTTP listener as a ServerAddon: bound on start when `httpPort` is set, rebound
 * on reload when `httpHost`/`httpPort` change, closed with the server. It only reads the
 * server's counters when a request comes in, so the message path never pays for it.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import type { Server, ServerAddon } from "../server";
import { RequestStats } from "./varz";
import { normalizeBasePath, route } from "./router";

/** Where the listener is bound (port after -1 was resolved). */
interface Binding {
  host: string;
  /** The configured port (-1 = random), to tell whether a reload changed it. */
  configured: number;
  port: number;
}

export class MonitorAddon implements ServerAddon {
  /** Requests per endpoint since start (`http_req_stats` of /varz). */
  readonly requestStats: RequestStats = {};
  private server: Server | null = null;
  private http: http.Server | null = null;
  private binding: Binding | null = null;
  private warnedHttps = false;

  /** The bound HTTP port, 0 when not listening. */
  get port(): number {
    return this.binding?.port ?? 0;
  }

  async start(server: Server): Promise<void> {
    this.server = server;
    this.warnHttps(server);
    if (server.opts.httpPort !== 0) await this.listen(server);
  }

  async reloaded(server: Server): Promise<void> {
    this.server = server;
    this.warnHttps(server);
    const o = server.opts;
    const b = this.binding;
    const same = b ? o.httpPort !== 0 && b.host === o.httpHost && b.configured === o.httpPort : o.httpPort === 0;
    if (same) return;
    await this.stop();
    if (o.httpPort !== 0) {
      try {
        await this.listen(server);
      } catch (e) {
        // Keep monitoring reachable where it was rather than lose it over a bad new address.
        if (b) await this.listen(server, b).catch(() => undefined);
        server.writePortsFile();
        throw e;
      }
    }
    server.writePortsFile();
  }

  async close(): Promise<void> {
    await this.stop();
  }

  private warnHttps(server: Server): void {
    const p = server.opts.httpsPort;
    if (p === 0 || this.warnedHttps) return;
    this.warnedHttps = true;
    server.log.warn(`HTTPS monitoring (https_port ${p}) is not supported by natsfleet-server yet; use http_port. No HTTPS monitor started`);
  }

  /** Bind the configured address, or `at` (a previous binding being restored). */
  private async listen(server: Server, at?: Binding): Promise<void> {
    const host = at ? at.host : server.opts.httpHost;
    const configured = at ? at.configured : server.opts.httpPort;
    const want = at ? at.port : Math.max(0, configured);
    const srv = http.createServer((req, res) => this.handle(req, res));
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
    const port = (srv.address() as AddressInfo).port;
    this.http = srv;
    this.binding = { host, configured, port };
    server.httpPort = port;
    server.log.info(`Starting http monitor on ${hostPort(host, port)}`);
  }

  private async stop(): Promise<void> {
    const srv = this.http;
    this.http = null;
    this.binding = null;
    if (this.server) this.server.httpPort = 0;
    if (!srv) return;
    const closed = new Promise<void>((r) => srv.close(() => r()));
    // Keep-alive connections would otherwise hold the listener (and the process) open.
    srv.closeAllConnections();
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
        ports: { http: this.port, https: 0 },
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

function hostPort(h: string, p: number): string {
  return h.includes(":") ? `[${h}]:${p}` : `${h}:${p}`;
}
