/**
 * Dialling routes: the configured seed routes (retried until they are removed from the config,
 * with a growing pause) and the implicit routes learned by gossip (`connect_retries` more
 * attempts). A TCP connection (and its TLS handshake) becomes a route through the host.
 */
import * as net from "net";
import type { RouteConn } from "./conn";
import { RouteURL, parseRouteURL, hostKey } from "./url";
import { RouteTls, dialTls } from "./tls";

/** nats-server's route dial timeout and reconnect pause. */
const DIAL_TIMEOUT_MS = 1000;
export const RECONNECT_MS = 1000;
/** Reconnect pauses grow to this after repeated failures of a configured route. */
const MAX_RECONNECT_MS = 5000;

/** A configured route URL and the state of its dialling. */
export interface Seed {
  readonly url: RouteURL;
  /** Dropped from the config (reload) or routing stopped: never dial again. */
  stopped: boolean;
  /** The URL led back to this server: never dial again. */
  self: boolean;
  /** The connection dialled through it, while it lasts. */
  conn: RouteConn | null;
  /** The server id found behind it, to dial again when every route to it is gone. */
  remoteId?: string;
  timer: NodeJS.Timeout | null;
  /** A TCP (and TLS) connect is under way. */
  dialing: boolean;
  /** Failed attempts in a row (connect or handshake), for the pause before the next. */
  failures: number;
}

/** What the dialer needs from the route module. */
export interface DialerHost {
  readonly log: { error(text: string): void; debug(text: string): void };
  /** False once routing stopped: nothing is dialled any more. */
  isRunning(): boolean;
  tls(): RouteTls | null;
  /** Whether a registered route to this server id exists. */
  isConnectedTo(remoteId: string): boolean;
  connectRetries(): number;
  /** Make a route of a dialled connection. */
  connected(sock: net.Socket, url: RouteURL, configured: boolean): RouteConn;
}

export class RouteDialer {
  /** Seeds by their configured URL text. */
  readonly seeds = new Map<string, Seed>();
  /** Implicit routes being dialled, by `host:port`. */
  private readonly implicit = new Map<string, NodeJS.Timeout | null>();

  constructor(private readonly host: DialerHost) {}

  addSeed(raw: string): void {
    const seed: Seed = { url: parseRouteURL(raw), stopped: false, self: false, conn: null, timer: null, dialing: false, failures: 0 };
    this.seeds.set(raw, seed);
    this.dialSeed(seed);
  }

  /** Stop dialling a seed and forget it; returns it (its connection is the caller's business). */
  removeSeed(raw: string): Seed | undefined {
    const seed = this.seeds.get(raw);
    if (!seed) return undefined;
    this.stop(seed);
    this.seeds.delete(raw);
    return seed;
  }

  /** Stop everything (routing stops). */
  stopAll(): void {
    for (const seed of this.seeds.values()) this.stop(seed);
    this.seeds.clear();
    for (const t of this.implicit.values()) if (t) clearTimeout(t);
    this.implicit.clear();
  }

  /** The seed a dialled connection came from. */
  seedOf(conn: RouteConn): Seed | undefined {
    if (!conn.url) return undefined;
    for (const seed of this.seeds.values()) if (seed.conn === conn || (seed.url === conn.url && !seed.stopped)) return seed;
    return undefined;
  }

  /** Whether `host:port` is a configured seed (gossip about it needs no implicit route). */
  isSeed(key: string): boolean {
    for (const seed of this.seeds.values()) if (hostKey(seed.url.host, seed.url.port) === key) return true;
    return false;
  }

  isDiallingImplicit(key: string): boolean {
    return this.implicit.has(key);
  }

  /** Dial a seed again after `ms` (nothing happens if it is stopped, self or already due). */
  schedule(seed: Seed, ms: number): void {
    if (seed.stopped || seed.self || seed.timer || !this.host.isRunning()) return;
    seed.timer = setTimeout(() => this.dialSeed(seed), ms);
    seed.timer.unref();
  }

  /** Dial a server learned by gossip, with `connect_retries` more attempts after the first. */
  dialImplicit(url: RouteURL, attempt = 0): void {
    if (!this.host.isRunning()) return;
    const key = hostKey(url.host, url.port);
    this.implicit.set(key, null);
    this.dial(
      url,
      false,
      () => this.implicit.delete(key),
      (e) => {
        this.host.log.debug(`Error trying to connect to implicit route ${key} (attempt ${attempt + 1}): ${e.message}`);
        if (attempt >= this.host.connectRetries() || !this.host.isRunning()) {
          this.implicit.delete(key);
          return;
        }
        const t = setTimeout(() => this.dialImplicit(url, attempt + 1), RECONNECT_MS);
        t.unref();
        this.implicit.set(key, t);
      },
    );
  }

  /** Dial an implicit route again after the usual pause, unless its server is back by then. */
  redialImplicit(url: RouteURL, remoteId: string): void {
    const t = setTimeout(() => {
      if (!this.host.isConnectedTo(remoteId)) this.dialImplicit(url);
    }, RECONNECT_MS + Math.floor(Math.random() * 100));
    t.unref();
  }

  private stop(seed: Seed): void {
    seed.stopped = true;
    if (seed.timer) clearTimeout(seed.timer);
    seed.timer = null;
  }

  private dialSeed(seed: Seed): void {
    seed.timer = null;
    if (seed.stopped || seed.self || seed.conn || seed.dialing || !this.host.isRunning()) return;
    // Someone else's connection already links us to the server behind this seed.
    if (seed.remoteId && this.host.isConnectedTo(seed.remoteId)) return;
    seed.dialing = true;
    this.dial(
      seed.url,
      true,
      (conn) => {
        seed.dialing = false;
        seed.conn = conn;
        if (seed.stopped) conn.close("Route Removed");
      },
      (e) => {
        seed.dialing = false;
        if (seed.stopped) return;
        seed.failures++;
        const log = this.host.log;
        const text = `Error trying to connect to route ${redact(seed.url)} (attempt ${seed.failures}): ${e.message}`;
        if (seed.failures === 1 || seed.failures % 30 === 0) log.error(text);
        else log.debug(text);
        this.schedule(seed, backoff(seed.failures));
      },
    );
  }

  /** Dial `url` once; `failed` when no TCP connection (or TLS handshake) could be made. */
  private dial(url: RouteURL, configured: boolean, connected: (c: RouteConn) => void, failed: (e: Error) => void): void {
    this.host.log.debug(`Trying to connect to route on ${hostKey(url.host, url.port)}`);
    const sock = net.connect({ host: url.host, port: url.port });
    const timer = setTimeout(() => sock.destroy(new Error("dial timeout")), DIAL_TIMEOUT_MS);
    const onError = (e: Error) => {
      clearTimeout(timer);
      sock.destroy();
      failed(e);
    };
    sock.once("error", onError);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeListener("error", onError);
      if (!this.host.isRunning()) {
        sock.destroy();
        return;
      }
      const t = this.host.tls();
      if (!t) {
        connected(this.host.connected(sock, url, configured));
        return;
      }
      sock.on("error", () => undefined);
      dialTls(sock, url.host, t).then(
        (s) => {
          if (!this.host.isRunning()) s.destroy();
          else connected(this.host.connected(s, url, configured));
        },
        (e: Error) => failed(new Error(`TLS handshake: ${e.message}`)),
      );
    });
  }
}

/** Pause before the n-th retry of a configured route: 1s, growing after a few failures. */
export function backoff(failures: number): number {
  const ms = failures <= 3 ? RECONNECT_MS : RECONNECT_MS * Math.pow(1.5, failures - 3);
  return Math.min(MAX_RECONNECT_MS, Math.round(ms)) + Math.floor(Math.random() * 100);
}

/** A route URL for logs, without its password. */
export function redact(u: RouteURL): string {
  return u.user ? u.raw.replace(/\/\/[^@/]*@/, `//${u.user}:xxxxx@`) : u.raw;
}
