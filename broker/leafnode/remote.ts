/**
 * One `leafnodes.remotes` entry: dials the hub, keeps one leaf connection up, and reconnects
 * with backoff when it drops. URLs rotate (configured ones plus those the hub advertises in
 * `leafnode_urls`); user/password in a URL are reused for bare advertised URLs.
 */
import * as net from "net";
import type { RemoteLeafOptions } from "../options";
import type { LoadedTls } from "../tls";
import { loadSpokeTls } from "./tls";
import { GLOBAL_ACCOUNT } from "../account";
import { LeafConn, LeafHost, LeafRemoteLink } from "./conn";
import { DEFAULT_LEAF_PORT, DEFAULT_RECONNECT_INTERVAL_MS } from "./protocol";

/** A parsed leafnode URL. */
export interface LeafURL {
  host: string;
  port: number;
  user?: string;
  pass?: string;
  /** As configured or advertised, credentials removed (for logs). */
  display: string;
  /** The tls:// scheme: this URL must be reached over TLS. */
  tls: boolean;
}

/** Parse `nats-leaf://` or `tls://[user:pass@]host[:port]`; throws an Error naming the URL when malformed. */
export function parseLeafURL(raw: string): LeafURL {
  let u: URL;
  try {
    u = new URL(raw.includes("://") ? raw : `nats-leaf://${raw}`);
  } catch {
    throw new Error(`leafnode remote URL ${JSON.stringify(raw)} is not a URL like nats-leaf://host:7422`);
  }
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (!host) throw new Error(`leafnode remote URL ${JSON.stringify(raw)} has no host`);
  const scheme = u.protocol.replace(/:$/, "");
  if (scheme === "ws" || scheme === "wss") throw new Error(`leafnode remote URL ${JSON.stringify(raw)}: websocket remotes are not supported yet`);
  const port = u.port ? Number(u.port) : DEFAULT_LEAF_PORT;
  const out: LeafURL = { host, port, display: `${scheme}://${u.host}`, tls: scheme === "tls" };
  if (u.username) out.user = decodeURIComponent(u.username);
  if (u.password) out.pass = decodeURIComponent(u.password);
  return out;
}

/** Longest pause between attempts, however many failed. */
const MAX_BACKOFF_MS = 10_000;

export class RemoteLeaf implements LeafRemoteLink {
  readonly account: string;
  readonly credentials?: string;
  readonly denyImports: string[];
  readonly denyExports: string[];
  readonly hub: boolean;
  /** The live connection, if any. */
  conn: LeafConn | null = null;
  private readonly configured: LeafURL[];
  private urls: LeafURL[];
  private current: LeafURL | null = null;
  private savedUser?: { user?: string; pass?: string };
  private attempts = 0;
  private nextDelay = 0;
  private timer: NodeJS.Timeout | null = null;
  private dialing: net.Socket | null = null;
  private stopped = false;
  /** Certificate material of the `tls {}` block (loaded lazily when there is none). */
  private tlsLoaded: LoadedTls | null = null;
  /** Set once a hub asked for TLS, or by configuration. */
  private requireTls: boolean;

  constructor(
    private readonly host: LeafHost,
    readonly cfg: RemoteLeafOptions,
  ) {
    this.account = cfg.account ?? GLOBAL_ACCOUNT;
    this.credentials = cfg.credentials;
    this.denyImports = cfg.denyImports ?? [];
    this.denyExports = cfg.denyExports ?? [];
    this.hub = cfg.hub === true;
    this.configured = cfg.urls.map(parseLeafURL);
    this.requireTls = cfg.tls !== undefined || this.configured.some((u) => u.tls);
    // A bad tls {} block is reported when the remote is configured, not at the first dial.
    if (cfg.tls) this.tlsLoaded = loadSpokeTls(cfg.tls, this.where());
    if (cfg.tls?.insecure) host.server.log.warn(`${this.where()}: TLS certificate chain and hostname of the hub will not be verified. DO NOT USE IN PRODUCTION!`);
    this.urls = [...this.configured];
    if (!cfg.noRandomize) shuffle(this.urls);
    const withUser = this.configured.find((u) => u.user !== undefined);
    if (withUser) this.savedUser = { user: withUser.user, pass: withUser.pass };
  }

  /** A stable identity for reload: same options, same remote. */
  static key(cfg: RemoteLeafOptions): string {
    return JSON.stringify(cfg, Object.keys(cfg).sort());
  }

  start(): void {
    this.dial();
  }

  private where(): string {
    return `leafnode remote ${this.configured.map((u) => u.display).join(", ")}`;
  }

  /** Reload: read the `tls {}` files again (new connections use them); keeps the old on error. */
  reloadTls(): void {
    if (!this.cfg.tls) return;
    try {
      this.tlsLoaded = loadSpokeTls(this.cfg.tls, this.where());
    } catch (e) {
      this.host.server.log.error(`${(e as Error).message}; keeping the previous certificates`);
    }
  }

  wantsTls(): boolean {
    return this.requireTls;
  }

  tlsSeen(): void {
    this.requireTls = true;
  }

  spokeTls(): LoadedTls {
    this.tlsLoaded ??= loadSpokeTls(this.cfg.tls, this.where());
    return this.tlsLoaded;
  }

  tlsHost(): string {
    const c = this.current ?? this.urls[0];
    // An advertised URL may be an IP while the certificate names the configured host.
    if (net.isIP(c.host) !== 0) {
      const named = this.configured.find((u) => net.isIP(u.host) === 0);
      if (named && !this.configured.some((u) => u.host === c.host)) return named.host;
    }
    return c.host;
  }

  /** Stop for good: no more attempts; the connection closes. */
  stop(reason: "Server Shutdown" | "Remote Removed"): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dialing?.destroy();
    this.dialing = null;
    this.conn?.close(reason);
    this.conn = null;
  }

  describeURL(): string {
    return (this.current ?? this.urls[0]).display;
  }

  userInfo(): { user?: string; pass?: string } {
    const c = this.current;
    if (c?.user !== undefined) return { user: c.user, pass: c.pass };
    return this.savedUser ?? {};
  }

  learnURLs(list: string[]): void {
    const learned: LeafURL[] = [];
    for (const hp of list) {
      let u: LeafURL;
      try {
        u = parseLeafURL(`${this.requireTls ? "tls" : "nats-leaf"}://${hp}`);
      } catch {
        continue;
      }
      if (this.configured.some((c) => c.host === u.host && c.port === u.port)) continue;
      learned.push(u);
    }
    this.urls = [...learned, ...this.configured];
  }

  delayNextAttempt(ms: number): void {
    this.nextDelay = Math.max(this.nextDelay, ms);
  }

  /** The connection ended (or never came up): try again unless stopped. */
  connClosed(c: LeafConn): void {
    if (this.conn === c) this.conn = null;
    if (this.stopped) return;
    // A connection that got through the handshake resets the backoff.
    if (c.account && c.remoteServer) this.attempts = 0;
    this.schedule();
  }

  private nextURL(): LeafURL {
    // Rotate: the URL just used goes to the back when there are others.
    if (this.current && this.urls.length > 1 && sameURL(this.urls[0], this.current)) this.urls.push(this.urls.shift()!);
    this.current = this.urls[0];
    return this.current;
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const base = this.host.server.opts.leafnodes?.reconnectInterval ?? DEFAULT_RECONNECT_INTERVAL_MS;
    let delay = Math.min(base * 2 ** Math.min(Math.max(this.attempts - 1, 0), 6), Math.max(base, MAX_BACKOFF_MS));
    if (this.nextDelay > 0) {
      delay = Math.max(delay, this.nextDelay);
      this.nextDelay = 0;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dial();
    }, delay);
    this.timer.unref();
  }

  private dial(): void {
    if (this.stopped || !this.host.server.isRunning()) return;
    const u = this.nextURL();
    const s = this.host.server;
    s.log.debug(`Trying to connect as leafnode to remote server on ${u.display}`);
    const sock = net.connect({ host: u.host, port: u.port });
    this.dialing = sock;
    sock.setNoDelay(true);
    const onError = (err: Error) => {
      if (this.dialing !== sock) return;
      this.dialing = null;
      sock.destroy();
      this.attempts++;
      const text = `Error trying to connect as leafnode to remote server ${JSON.stringify(u.display)} (attempt ${this.attempts}): ${err.message}`;
      // Report the first failure and then every so often, as nats-server does.
      if (this.attempts === 1 || this.attempts % 60 === 0) s.log.error(text);
      else s.log.debug(text);
      this.schedule();
    };
    sock.once("error", onError);
    sock.setTimeout(2000, () => onError(new Error("dial timeout")));
    sock.once("connect", () => {
      if (this.dialing !== sock) return;
      this.dialing = null;
      sock.setTimeout(0);
      sock.removeListener("error", onError);
      if (this.stopped) {
        sock.destroy();
        return;
      }
      this.attempts++;
      const c = new LeafConn(this.host, sock, s.allocCid(), stripV4Mapped(sock.remoteAddress ?? u.host), sock.remotePort ?? u.port, this);
      this.conn = c;
      c.begin();
    });
  }
}

function sameURL(a: LeafURL, b: LeafURL): boolean {
  return a.host === b.host && a.port === b.port;
}

function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}

function stripV4Mapped(ip: string): string {
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}
