/**
 * Remote gateways this server dials: the configured ones (`gateway.gateways`) and the implicit
 * ones learned from gossip or from an inbound connection. Each keeps its URLs (configured ones
 * plus those the remote advertises) and a dial loop that tries them in random order.
 */
import * as net from "net";
import { gwHash } from "./hash";

/** Retry pause between dial rounds (nats-server: 1s). */
export const CONNECT_DELAY_MS = 1000;
/** Extra pause before redialling an explicit gateway after a disconnect (nats-server: 1s). */
export const RECONNECT_DELAY_MS = 1000;
const DIAL_TIMEOUT_MS = 2000;

/** A parsed remote URL: where to dial and with which credentials. */
export interface RemoteURL {
  /** `host:port` (the key URLs are de-duplicated by). */
  hostPort: string;
  host: string;
  port: number;
  user?: string;
  pass?: string;
}

/** Parse `nats://[user:pass@]host:port` or a bare `host:port`; undefined when it does not parse. */
export function parseRemoteURL(s: string): RemoteURL | undefined {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `nats://${s}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return undefined;
  }
  if (!u.hostname) return undefined;
  const port = u.port ? Number(u.port) : 7222;
  const host = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  const hostPort = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const out: RemoteURL = { hostPort, host, port };
  if (u.username) out.user = decodeURIComponent(u.username);
  if (u.password) out.pass = decodeURIComponent(u.password);
  return out;
}

export class RemoteGateway {
  readonly hash: string;
  readonly urls = new Map<string, RemoteURL>();
  /** Dial rounds since the last successful connection. */
  attempts = 0;
  /** A dial loop is running or scheduled. */
  dialing = false;
  /** Removed by a reload or dropped after its retries: stop dialling. */
  removed = false;
  timer: NodeJS.Timeout | null = null;
  socket: net.Socket | null = null;

  constructor(
    readonly name: string,
    /** Learned from gossip or an inbound connection rather than configured. */
    public implicit: boolean,
    urls: Iterable<string>,
  ) {
    this.hash = gwHash(name);
    this.addURLs(urls);
  }

  /** Add URLs (config, INFO gateway_urls, gossip); malformed ones are ignored. */
  addURLs(urls: Iterable<string>): void {
    for (const s of urls) {
      const u = parseRemoteURL(s);
      if (u && !this.urls.has(u.hostPort)) this.urls.set(u.hostPort, u);
    }
  }

  /** Replace the configured URLs (reload). */
  setURLs(urls: Iterable<string>): void {
    this.urls.clear();
    this.addURLs(urls);
  }

  urlStrings(): string[] {
    return [...this.urls.keys()];
  }

  /** URLs in random order, as nats-server tries them. */
  shuffled(): RemoteURL[] {
    const list = [...this.urls.values()];
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    return list;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.socket) this.socket.destroy();
    this.socket = null;
    this.dialing = false;
  }
}

/** Connect to one URL; resolves with the socket or undefined on failure or timeout. */
export function dial(remote: RemoteGateway, u: RemoteURL): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: u.host, port: u.port });
    remote.socket = sock;
    let settled = false;
    const onConnect = () => done(true);
    const onFail = () => done(false);
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.removeListener("connect", onConnect);
      sock.removeListener("error", onFail);
      sock.removeListener("close", onFail);
      if (remote.socket === sock) remote.socket = null;
      if (!ok) sock.destroy();
      resolve(ok ? sock : undefined);
    };
    const timer = setTimeout(onFail, DIAL_TIMEOUT_MS);
    sock.once("connect", onConnect);
    sock.once("error", onFail);
    sock.once("close", onFail);
  });
}
