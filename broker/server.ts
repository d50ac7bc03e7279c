/**
 * The broker: listeners, connections, accounts and their subject indexes, delivery, flush
 * batching, reload and lame duck. The embedding API (`new Server(opts)`) and the
 * `natsfleet-server` executable share it.
 */
import * as net from "net";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EventEmitter } from "events";
import { createServer as createServerKey } from "@nats-io/nkeys";
import { ServerOptions, ServerOptionsInput, withDefaults, DEFAULT_AUTH_TIMEOUT } from "./options";
import { Logger } from "./log";
import { Client, ClientSub, ConnectOptions, CloseReason } from "./client";
import { Account, GLOBAL_ACCOUNT } from "./account";
import { InMsg, Deliverer, DeliverySub, Kind, InterestListener, Forwarder, ReplyRouter } from "./message";
import * as auth from "./auth";
import { authenticateClient, nonceFor, recheckClients } from "./auth/session";
import { crossAccounts } from "./accounts";
import { configureAccountLinks } from "./accounts/specs";
import { VERSION, PROTOCOL_VERSION } from "./version";
import { describeReloadChanges } from "./config/reload";
import { loadConfigFile } from "./config/options";
import { resolveOptions } from "./embed/validate";
import type { LoadedTls } from "./tls";
import { loadClientTls, tlsMappedConnect } from "./tls/client";
import { tlsInfoFields } from "./tls";

/** Counters reported by /varz and /metrics. */
export interface ServerStats {
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  slowConsumers: number;
  totalConnections: number;
}

/** What /connz shows of a closed connection. */
export interface ClosedClient {
  cid: number;
  ip: string;
  port: number;
  start: number;
  stop: number;
  lastActivity: number;
  rtt: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  subscriptions: string[];
  name?: string;
  lang?: string;
  version?: string;
  account: string;
  user?: string;
  reason: CloseReason;
}

/** Optional pieces started alongside the server (monitoring); kept pluggable to avoid a cycle. */
export interface ServerAddon {
  start(server: Server): Promise<void>;
  /** Called after a successful reload. */
  reloaded?(server: Server): Promise<void>;
  /** Lame-duck mode begins, before clients are told (peers drop this server's client URLs). */
  lameDuck?(server: Server): void;
  close(): Promise<void>;
}

/** Ports the server's listeners actually bound (after -1 or 0 picked one); absent when off. */
export interface ServerPorts {
  /** Client port. */
  client: number;
  /** Monitoring over HTTP. */
  http?: number;
  /** Monitoring over HTTPS. */
  https?: number;
  /** Route listener (`cluster.port`). */
  cluster?: number;
  /** Gateway listener (`gateway.port`). */
  gateway?: number;
  /** Leafnode listener (`leafnodes.port`). */
  leafnode?: number;
}

/** Events a Server emits (`server.on("ready", ...)`). */
export interface ServerEvents {
  /** Listeners are bound; clients can connect. */
  ready: [];
  /** Every connection and listener is closed (after shutdown or lame duck). */
  shutdown: [];
}

const MAX_CLOSED = 10000;

/** A promise with its settle functions, for "wait until" methods. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may be waiting: a failed start is reported by start() itself.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export class Server extends EventEmitter<ServerEvents> {
  opts: ServerOptions;
  readonly log: Logger;
  readonly id: string;
  readonly name: string;
  readonly startTime = new Date();
  configLoadTime = new Date();
  readonly globalAccount = new Account(GLOBAL_ACCOUNT);
  readonly accounts = new Map<string, Account>([[GLOBAL_ACCOUNT, this.globalAccount]]);
  readonly clients = new Map<number, Client>();
  readonly closed: ClosedClient[] = [];
  readonly stats: ServerStats = { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0, slowConsumers: 0, totalConnections: 0 };
  /** Connections with output pending this event-loop turn (clients and peer connections). */
  dirty: Array<{ flush(): void }> = [];
  /** Pause producers once a receiver's socket holds this much unsent data. */
  stallThreshold: number;
  /** The connection whose input is being processed (for producer stalls). */
  current: Client | null = null;
  /** Port actually bound for clients (after -1/0). */
  port = 0;
  /** Monitoring ports actually bound (0 when off), set by the monitoring addon. */
  httpPort = 0;
  httpsPort = 0;
  lameDuck = false;
  readonly addons: ServerAddon[] = [];
  /** Modules told about every interest change (routes, leaf nodes, gateways). */
  readonly interestListeners: InterestListener[] = [];
  /** Called after local delivery of messages from clients and leaf nodes (gateways). */
  readonly forwarders: Forwarder[] = [];
  /** Gateway reply routing (`_GR_.` replies), set while gateways are configured. */
  replyRouter?: ReplyRouter;
  /** Client URLs of this server's cluster, this server first (INFO connect_urls). */
  connectURLs: string[] = [];
  /** Remote connections collected while routing one message (reused, no allocation). */
  private readonly remoteTargets: Deliverer[] = [];
  /**
   * The connection whose message routeMessage is delivering, so remote connections can apply
   * source-dependent rules in collect/flushCollected (leaf nodes: no route-to-spoke relay).
   */
  routingFrom: Deliverer | null = null;

  private listener: net.Server | null = null;
  /** The client port's TLS (certificate loaded from `opts.tls`), null without TLS. */
  clientTls: LoadedTls | null = null;
  private nextCid = 1;
  private flushScheduled = false;
  private running = false;
  private shuttingDown: Promise<void> | null = null;
  private starting: Promise<void> | null = null;
  private readonly readyState = deferred<void>();
  private readonly stopped = deferred<void>();
  /**
   * Adjusts the options read from the config file on `reload()` without arguments, as at start
   * (the executable puts its command-line flags on top here, as nats-server does).
   */
  adjustFileOptions?: (fromFile: ServerOptions) => ServerOptionsInput;
  private portsFile?: string;
  private readonly flushAll = () => this.flushDirty();

  constructor(options: Partial<ServerOptions> = {}, logger?: Logger) {
    super();
    this.opts = normalize(withDefaults(options));
    this.log = logger ?? new Logger({ debug: this.opts.debug, trace: this.opts.trace, logtime: this.opts.logtime, file: this.opts.logFile });
    this.id = createServerKey().getPublicKey();
    this.name = this.opts.serverName || this.id;
    this.stallThreshold = Math.min(this.opts.maxPending / 2, 4 * 1024 * 1024);
    for (const acc of this.opts.accounts) this.accounts.set(acc.name, new Account(acc.name));
    configureAccountLinks(this);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /**
   * Bind listeners and start accepting. Resolves when clients can connect. A server starts
   * once (later calls return the same promise); if starting fails, whatever was bound is
   * released before the promise rejects.
   */
  start(): Promise<void> {
    if (!this.starting) {
      this.starting = this.listenAll().then(
        () => this.readyState.resolve(),
        async (e: Error) => {
          await this.releaseAfterFailedStart();
          this.readyState.reject(e);
          throw e;
        },
      );
    }
    return this.starting;
  }

  /**
   * Resolves once clients can connect (rejects if starting fails). Does not start the server;
   * call it before or after `start()`.
   */
  ready(): Promise<void> {
    return this.readyState.promise;
  }

  /** Go's ReadyForConnections: true once clients can connect, false if not within `timeoutMs`. */
  readyForConnections(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const ready = this.readyState.promise.then(
      () => true,
      () => false,
    );
    return Promise.race([ready, timeout]).finally(() => clearTimeout(timer));
  }

  /** Resolves when the server has shut down (by shutdown(), lame duck or a signal), like Go's WaitForShutdown. */
  waitForShutdown(): Promise<void> {
    return this.stopped.promise;
  }

  private async listenAll(): Promise<void> {
    const o = this.opts;
    this.log.info(`Starting natsfleet-server`);
    this.log.info(`  Version:  ${VERSION} (nats-server protocol ${PROTOCOL_VERSION})`);
    this.log.info(`  Node:     ${process.version}`);
    this.log.info(`  Name:     ${this.name}`);
    this.log.info(`  ID:       ${this.id}`);
    if (o.configFile) this.log.info(`Using configuration file: ${o.configFile}`);
    for (const u of o.unsupported) this.log.warn(`"${u.key}" is not supported by natsfleet-server yet; ignored`);
    this.clientTls = loadClientTls(o);
    const listener = net.createServer({ noDelay: true }, (sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(o.port <= 0 ? 0 : o.port, o.host, () => {
        listener.removeListener("error", reject);
        resolve();
      });
    });
    listener.on("error", (err) => this.log.error(`Client listener error: ${err.message}`));
    this.listener = listener;
    this.port = (listener.address() as net.AddressInfo).port;
    this.running = true;
    for (const addon of this.addons) await addon.start(this);
    this.log.info(`Listening for client connections on ${hostPort(o.host, this.port)}`);
    this.writePidFile();
    this.writePortsFile();
    this.log.info(`Server is ready`);
    this.emit("ready");
  }

  /** Close what a failed start had opened (listeners, addons); the log stays open for the caller. */
  private async releaseAfterFailedStart(): Promise<void> {
    this.running = false;
    const listener = this.listener;
    this.listener = null;
    const closing = listener ? new Promise<void>((r) => listener.close(() => r())) : Promise.resolve();
    // Clients may have connected while the addons were starting.
    for (const c of [...this.clients.values()]) c.close("Server Shutdown");
    await closing;
    for (const addon of this.addons) {
      try {
        await addon.close();
      } catch (e) {
        this.log.error(`Closing after a failed start: ${(e as Error).message}`);
      }
    }
  }

  /** The client listener's bound address (null before start and once it stops accepting). */
  addr(): net.AddressInfo | null {
    return (this.listener?.address() as net.AddressInfo | null | undefined) ?? null;
  }

  /** Every port the listeners bound, e.g. the cluster port chosen for `cluster.port: -1`. */
  ports(): ServerPorts {
    const bound = this as unknown as { clusterPort?: number; leafnodePort?: number; gateways?: { port: number } };
    const out: ServerPorts = { client: this.port };
    if (this.httpPort) out.http = this.httpPort;
    if (this.httpsPort) out.https = this.httpsPort;
    if (bound.clusterPort) out.cluster = bound.clusterPort;
    if (bound.gateways?.port) out.gateway = bound.gateways.port;
    if (bound.leafnodePort) out.leafnode = bound.leafnodePort;
    return out;
  }

  /** Client connections open now (Go: NumClients). */
  numClients(): number {
    return this.clients.size;
  }

  /** Routes to other servers of the cluster (Go: NumRoutes). */
  numRoutes(): number {
    return (this as unknown as { routes?: Map<number, unknown> }).routes?.size ?? 0;
  }

  /** `nats://host:port` a local client can use (wildcard listen hosts become loopback). */
  clientURL(): string {
    const h = this.opts.host === "0.0.0.0" || this.opts.host === "::" || this.opts.host === "" ? "127.0.0.1" : this.opts.host;
    return `nats://${hostPort(h, this.port)}`;
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Stop accepting, close every connection and listener. Idempotent. */
  shutdown(): Promise<void> {
    if (!this.shuttingDown) this.shuttingDown = this.doShutdown();
    return this.shuttingDown;
  }

  private async doShutdown(): Promise<void> {
    // a shutdown during start() waits for the listeners it is opening, then closes them
    if (this.starting) await this.starting.catch(() => undefined);
    if (!this.running) {
      // Never started, or a failed start already released its listeners.
      this.log.close();
      this.stopped.resolve();
      return;
    }
    this.running = false;
    this.log.info(`Initiating Shutdown...`);
    const listener = this.listener;
    this.listener = null;
    const closing = listener ? new Promise<void>((r) => listener.close(() => r())) : Promise.resolve();
    // Routes, gateways and leaf links go first (as nats-server closes everything in one sweep):
    // a peer must drop our client URL from its connect_urls before our clients, reconnecting
    // to it, read its INFO.
    const addonsClosing = this.addons.map((addon) => addon.close());
    for (const c of [...this.clients.values()]) c.close("Server Shutdown");
    await closing;
    await Promise.all(addonsClosing);
    this.removeFiles();
    this.log.info(`Server Exiting..`);
    this.log.close();
    this.emit("shutdown");
    this.stopped.resolve();
  }

  /**
   * Lame-duck mode: stop accepting, tell protocol-1 clients (`ldm` INFO) so they move to other
   * servers, then close the rest spread over the lame-duck duration, then shut down.
   */
  async enterLameDuckMode(): Promise<void> {
    if (this.lameDuck) return this.waitForShutdown();
    if (!this.running) return;
    this.lameDuck = true;
    const o = this.opts;
    this.log.info(`Entering lame duck mode, stop accepting new clients`);
    const listener = this.listener;
    this.listener = null;
    if (listener) listener.close();
    for (const addon of this.addons) addon.lameDuck?.(this);
    for (const c of this.clients.values()) c.sendAsyncInfo(this.infoLineFor(c, true));
    this.scheduleFlush();
    const grace = Math.min(o.lameDuckGracePeriod, o.lameDuckDuration);
    await sleep(grace);
    const clients = [...this.clients.values()];
    const window = Math.max(0, o.lameDuckDuration - grace);
    if (clients.length > 0) {
      this.log.info(`Closing existing clients`);
      // Spread closes so the cluster is not hit by every reconnect at once.
      const batches = Math.max(1, Math.min(clients.length, Math.floor(window / 10) || 1));
      const perBatch = Math.ceil(clients.length / batches);
      const pause = batches > 1 ? window / batches : 0;
      for (let i = 0; i < clients.length; i += perBatch) {
        for (const c of clients.slice(i, i + perBatch)) c.close("Server Shutdown");
        this.scheduleFlush();
        if (pause > 0 && i + perBatch < clients.length) await sleep(pause);
      }
    }
    await this.shutdown();
  }

  // ---- connections -----------------------------------------------------------------------------

  private accept(sock: net.Socket): void {
    if (!this.running || this.lameDuck) {
      sock.destroy();
      return;
    }
    sock.setNoDelay(true);
    const cid = this.nextCid++;
    const ip = stripV4Mapped(sock.remoteAddress ?? "");
    const c = new Client(this, sock, cid, ip, sock.remotePort ?? 0);
    this.stats.totalConnections++;
    if (this.clients.size >= this.opts.maxConnections) {
      c.out.ascii(this.infoLineFor(c));
      c.sendErr("maximum connections exceeded");
      this.log.error(`${c.describe()} - maximum connections exceeded`);
      c.close("Maximum Connections Exceeded");
      return;
    }
    this.clients.set(cid, c);
    this.log.debug(`${c.describe()} - Client connection created`);
    c.start_();
  }

  /** A connection id for a peer connection (routes, gateways, leaf nodes share the client ids). */
  allocCid(): number {
    return this.nextCid++;
  }

  clientClosed(c: Client): void {
    if (!this.clients.delete(c.cid)) return;
    this.log.debug(`${c.describe()} - Client connection closed: ${c.closeReason}`);
    this.closed.push({
      cid: c.cid,
      ip: c.ip,
      port: c.port,
      start: c.start,
      stop: c.stopTime ?? Date.now(),
      lastActivity: c.lastActivity,
      rtt: c.rtt,
      inMsgs: c.inMsgs,
      outMsgs: c.outMsgs,
      inBytes: c.inBytes,
      outBytes: c.outBytes,
      subscriptions: [...c.subs.values()].map((s) => s.subject),
      name: c.opts.name,
      lang: c.opts.lang,
      version: c.opts.version,
      account: c.account.name,
      user: c.user,
      reason: c.closeReason ?? "Client Closed",
    });
    if (this.closed.length > MAX_CLOSED) this.closed.splice(0, this.closed.length - MAX_CLOSED);
  }

  authRequired(): boolean {
    return auth.authRequired(this.opts);
  }

  authTimeoutMs(): number {
    return this.opts.authorization?.timeout ?? DEFAULT_AUTH_TIMEOUT;
  }

  /** Authenticate a CONNECT; returns the account to bind, or undefined to reject. */
  authenticate(c: Client, o: ConnectOptions): Account | undefined {
    const mapped = tlsMappedConnect(this.opts, c.sock, o);
    return mapped ? authenticateClient(this, c, mapped) : undefined;
  }

  // ---- interest and delivery -------------------------------------------------------------------

  addSub(acc: Account, sub: DeliverySub): void {
    acc.sublist.insert(sub);
    for (const l of this.interestListeners) l.subAdded(acc.name, sub);
  }

  removeSub(acc: Account, sub: DeliverySub): void {
    if (!acc.sublist.remove(sub)) return;
    for (const l of this.interestListeners) l.subRemoved(acc.name, sub);
  }

  /** The account of that name, created on first use (peers may name accounts we lack). */
  account(name: string): Account {
    let acc = this.accounts.get(name);
    if (!acc) this.accounts.set(name, (acc = new Account(name)));
    return acc;
  }

  /**
   * Deliver a message inside this server: every matching plain subscription and one member of
   * each queue group, clients right away and remote connections (routes, leaf nodes) once per
   * connection with the queue groups they were picked for. Then forwarders (gateways) get it.
   * `queueFilter` (a message from a route) limits queue delivery to the listed groups.
   * Returns how many subscriptions/connections received it.
   */
  routeMessage(from: Deliverer, acc: Account, m: InMsg, queueFilter?: ReadonlySet<string> | null): number {
    // A response routed back to this cluster by a peer holding the gateway connection.
    if (from.kind === Kind.ROUTER && this.replyRouter !== undefined && m.subject.charCodeAt(0) === 95 && this.replyRouter.routed(from, acc.name, m)) return 1;
    const r = acc.sublist.match(m.subject);
    let n = 0;
    const noEcho = from.kind === Kind.CLIENT && !(from as Client).opts.echo;
    const srcKind = from.kind;
    const fromSpoke = srcKind === Kind.LEAF && from.isSpoke === true;
    // Routes and leaf nodes are paused like clients when a receiver backs up (TCP then slows
    // the peer down); stalls use only `closed` and `sock`, which those connections have as well.
    this.current = from.kind === Kind.CLIENT || from.kind === Kind.ROUTER || from.kind === Kind.LEAF ? (from as Client) : null;
    this.routingFrom = from;
    const remotes = this.remoteTargets;
    const psubs = r.psubs;
    for (let i = 0; i < psubs.length; i++) {
      const sub = psubs[i];
      const conn = sub.conn;
      if (conn === from) {
        if (noEcho || conn.kind !== Kind.CLIENT) continue;
      }
      if (conn.kind === Kind.CLIENT) {
        if (conn.deliver(sub, m)) n++;
      } else if (forwardable(srcKind, conn.kind) && !(fromSpoke && conn.kind === Kind.ROUTER)) {
        if (remotes.indexOf(conn) < 0) remotes.push(conn);
        conn.collect!(sub, m);
      }
    }
    const qsubs = r.qsubs;
    let served: Set<string> | null = null;
    for (let i = 0; i < qsubs.length; i++) {
      const group = qsubs[i];
      const len = group.length;
      const qname = group[0].queue!;
      if (queueFilter && !queueFilter.has(qname)) continue;
      // Leaf members are a fallback: a local or routed member is preferred.
      let leaf: DeliverySub | null = null;
      let done = false;
      const startAt = len === 1 ? 0 : Math.floor(Math.random() * len);
      for (let j = 0; j < len && !done; j++) {
        const sub = group[(startAt + j) % len];
        const conn = sub.conn;
        if (conn.closed || (conn === from && (noEcho || conn.kind !== Kind.CLIENT))) continue;
        if (conn.kind === Kind.CLIENT) {
          done = conn.deliver(sub, m);
        } else if (!forwardable(srcKind, conn.kind)) {
          continue;
        } else if (conn.kind === Kind.LEAF && srcKind !== Kind.ROUTER && srcKind !== Kind.GATEWAY) {
          if (!leaf) leaf = sub;
        } else {
          if (remotes.indexOf(conn) < 0) remotes.push(conn);
          conn.collect!(sub, m);
          done = true;
        }
      }
      if (!done && leaf) {
        if (remotes.indexOf(leaf.conn) < 0) remotes.push(leaf.conn);
        leaf.conn.collect!(leaf, m);
        done = true;
      }
      if (done) {
        n++;
        if (this.forwarders.length > 0) (served ??= new Set()).add(qname);
      }
    }
    if (remotes.length > 0) {
      for (let i = 0; i < remotes.length; i++) if (remotes[i].flushCollected!(m)) n++;
      remotes.length = 0;
    }
    this.current = null;
    this.routingFrom = null;
    if (n > 0) {
      this.stats.outMsgs += n;
      this.stats.outBytes += n * m.size;
    }
    // Exports/imports: the message continues in importing (or requesting) accounts.
    if (acc.links !== null) n += crossAccounts(this, from, acc, m);
    if (this.forwarders.length > 0 && srcKind !== Kind.GATEWAY && srcKind !== Kind.ROUTER) {
      // Counted so a request answered only in another cluster gets no "no responders" reply.
      for (const f of this.forwarders) {
        const k = f(from, acc.name, m, served ?? EMPTY_SET);
        if (k) n += k;
      }
    }
    return n;
  }

  /** One of `c`'s own subscriptions matching `subject` (no-responders replies). */
  findOwnSub(c: Client, subject: string): ClientSub | undefined {
    // Only a plain subscription answers for the requester (as nats-server).
    const r = c.account.sublist.match(subject);
    for (const s of r.psubs) if (s.conn === c) return s as ClientSub;
    return undefined;
  }

  /** Set the cluster's client URLs (INFO connect_urls) and tell protocol-1 clients. */
  setConnectURLs(urls: string[]): void {
    const same = urls.length === this.connectURLs.length && urls.every((u, i) => u === this.connectURLs[i]);
    if (same) return;
    this.connectURLs = urls;
    if (this.opts.noAdvertise || this.opts.cluster?.noAdvertise) return;
    for (const c of this.clients.values()) c.sendAsyncInfo(this.infoLineFor(c, true));
    this.scheduleFlush();
  }

  /** Pause the connection being read because `receiver` is backed up; resumed on its drain. */
  stallProducer(receiver: Client): void {
    const p = this.current;
    // A connection receiving its own messages is paused too: it must not outrun its own socket.
    if (!p || p.closed) return;
    if (!receiver.stalled) receiver.stalled = [];
    if (receiver.stalled.includes(p)) return;
    receiver.stalled.push(p);
    p.sock.pause();
    // Never hold a producer for long: a receiver that stays stuck becomes a slow consumer.
    setTimeout(() => this.resumeStalled(receiver), 100).unref();
  }

  resumeStalled(receiver: Client): void {
    const list = receiver.stalled;
    if (!list) return;
    receiver.stalled = null;
    for (const p of list) if (!p.closed) p.sock.resume();
  }

  scheduleFlush(): void {
    if (this.flushScheduled || this.dirty.length === 0) return;
    this.flushScheduled = true;
    setImmediate(this.flushAll);
  }

  private flushDirty(): void {
    this.flushScheduled = false;
    const list = this.dirty;
    this.dirty = [];
    for (let i = 0; i < list.length; i++) list[i].flush();
  }

  // ---- INFO ------------------------------------------------------------------------------------

  /** The server INFO fields shared by every client. */
  infoFields(): Record<string, unknown> {
    const o = this.opts;
    const info: Record<string, unknown> = {
      server_id: this.id,
      server_name: this.name,
      version: PROTOCOL_VERSION,
      proto: 1,
      go: `natsfleet ${VERSION} node ${process.version}`,
      host: o.host,
      port: this.port,
      headers: !o.noHeaderSupport,
    };
    if (o.clientAdvertise) {
      // nats-server shows the advertised address (the listen port when it names none).
      const adv = o.clientAdvertise.replace(/^[a-z]+:\/\//i, "");
      const m = /^(.*):(\d+)$/.exec(adv);
      const withPort = m !== null && !adv.endsWith("]");
      info.host = (withPort ? m[1] : adv).replace(/^\[(.*)\]$/, "$1");
      if (withPort) info.port = Number(m[2]);
    }
    // With no_auth_user a client needs no credentials, so nats-server does not ask for them.
    if (this.authRequired() && !o.noAuthUser) info.auth_required = true;
    Object.assign(info, tlsInfoFields(this.clientTls));
    // allow_non_tls: TLS is offered, not required (nats-server's tls_available)
    if (this.clientTls && o.allowNonTls) {
      delete info.tls_required;
      info.tls_available = true;
    }
    info.max_payload = o.maxPayload;
    return info;
  }

  infoLine(extra: Record<string, unknown> = {}): string {
    return `INFO ${JSON.stringify({ ...this.infoFields(), ...extra })} \r\n`;
  }

  infoLineFor(c: Client, asyncUpdate = false): string {
    const extra: Record<string, unknown> = { client_id: c.cid, client_ip: c.ip };
    const nonce = nonceFor(this, c);
    if (nonce) extra.nonce = nonce;
    // A cluster member names its cluster, as nats-server does (the name in use, set by routes).
    if (this.opts.cluster?.name && this.opts.cluster.port !== 0) extra.cluster = this.opts.cluster.name;
    if (this.connectURLs.length > 0 && !this.opts.noAdvertise && !this.opts.cluster?.noAdvertise) extra.connect_urls = this.connectURLs;
    if (asyncUpdate && this.lameDuck) extra.ldm = true;
    return this.infoLine(extra);
  }

  // ---- reload ----------------------------------------------------------------------------------

  /**
   * Apply new options, as SIGHUP does, and return the names of the fields that changed.
   * With no argument the config file the server came from is read again (with
   * `adjustFileOptions` on top); with an options object, that object is the whole new
   * configuration (absent fields take their defaults, not their current values, except host,
   * port, server name and config file, which stay). Host, port and server name cannot change
   * (as in nats-server); anything else is applied to new and existing connections. Invalid
   * options, a broken file or a change to those three reject with nothing applied; a listener
   * that cannot move (a monitoring port taken) rejects after the rest was applied.
   */
  async reload(options?: ServerOptionsInput): Promise<string[]> {
    const next = normalize(options === undefined ? this.optionsFromFile() : resolveOptions(this.withIdentity(options)));
    const { changed, refused } = describeReloadChanges(this.opts, next);
    if (refused.length > 0) {
      const names = refused.map((k) => (k === "serverName" ? "server_name" : k));
      throw new Error(`config reload not supported for ${names.join(", ")}`);
    }
    // Re-read even when the paths are unchanged: a rotated certificate keeps its file name.
    // Existing TLS connections keep their session; new ones get the new certificate.
    this.clientTls = loadClientTls(next);
    this.opts = next;
    this.configLoadTime = new Date();
    this.stallThreshold = Math.min(next.maxPending / 2, 4 * 1024 * 1024);
    this.log.configure({ ...this.log.options, debug: next.debug, trace: next.trace, logtime: next.logtime, file: next.logFile });
    for (const acc of next.accounts) if (!this.accounts.has(acc.name)) this.accounts.set(acc.name, new Account(acc.name));
    configureAccountLinks(this);
    for (const c of this.clients.values()) c.parser.maxControlLine = next.maxControlLine;
    // Clients whose credentials no longer pass are disconnected.
    if (changed.some((k) => k === "authorization" || k === "accounts" || k === "noAuthUser" || k === "operator" || k === "resolverPreload")) this.recheckAuth();
    for (const addon of this.addons) await addon.reloaded?.(this);
    for (const k of changed) this.log.info(`Reloaded: ${k}`);
    this.log.info(`Reloaded server configuration`);
    return changed;
  }

  /**
   * Fields a reload cannot change default to their current values, not to DEFAULTS; so does
   * the config file, which a later `reload()` re-reads (as Go's ReloadOptions keeps it).
   */
  private withIdentity(input: ServerOptionsInput): ServerOptionsInput {
    const o = this.opts;
    return {
      ...input,
      host: input.host ?? o.host,
      port: input.port ?? o.port,
      serverName: input.serverName ?? o.serverName,
      configFile: input.configFile ?? o.configFile,
    };
  }

  /** The config file the server came from, read again (Go: "Reload()"). */
  private optionsFromFile(): ServerOptions {
    const file = this.opts.configFile;
    if (!file) throw new Error("can only reload config when a file is provided using -c or --config");
    const { options, warnings } = loadConfigFile(file);
    for (const w of warnings) this.log.warn(w);
    return resolveOptions(this.adjustFileOptions ? this.adjustFileOptions(options) : options);
  }

  private recheckAuth(): void {
    recheckClients(this);
  }

  // ---- files -----------------------------------------------------------------------------------

  private writePidFile(): void {
    const f = this.opts.pidFile;
    if (!f) return;
    try {
      fs.writeFileSync(f, String(process.pid));
    } catch (e) {
      this.log.error(`Could not write pidfile: ${(e as Error).message}`);
    }
  }

  /** `<dir>/<argv0 basename>_<pid>.ports`, the same JSON nats-server writes. */
  writePortsFile(): void {
    const dir = this.opts.portsFileDir;
    if (!dir) return;
    const host = this.clientURL().slice("nats://".length).replace(/:\d+$/, "");
    const ports: Record<string, string[]> = { nats: [`nats://${hostPort(host, this.port)}`] };
    if (this.httpPort) ports.monitoring = [`http://${hostPort(host, this.httpPort)}`];
    if (this.httpsPort) ports.monitoring = [...(ports.monitoring ?? []), `https://${hostPort(host, this.httpsPort)}`];
    // Listener ports the clustering addons bound (declared by them on Server).
    const bound = this as unknown as { clusterPort?: number; leafnodePort?: number };
    if (bound.clusterPort) ports.cluster = [`nats://${hostPort(listenHost(this.opts.cluster?.host), bound.clusterPort)}`];
    if (bound.leafnodePort) ports.leafnodes = [`nats://${hostPort(listenHost(this.opts.leafnodes?.host), bound.leafnodePort)}`];
    const exe = path.basename(process.argv[1] ?? "natsfleet-server").replace(/\.js$/, "");
    const file = path.join(dir, `${exe}_${process.pid}.ports`);
    try {
      fs.writeFileSync(file, JSON.stringify(ports));
      this.portsFile = file;
    } catch (e) {
      this.log.error(`Error writing ports file (${file}): ${(e as Error).message}`);
    }
  }

  private removeFiles(): void {
    for (const f of [this.portsFile, this.opts.pidFile]) {
      if (!f) continue;
      try {
        fs.unlinkSync(f);
      } catch {
        /* already gone */
      }
    }
  }

  /** Memory and cores for /varz and /metrics (CPU is sampled by the monitoring addon). */
  usage(): { mem: number; cores: number } {
    return { mem: process.memoryUsage().rss, cores: os.cpus().length };
  }

}

/** Derived defaults that depend on other options. */
function normalize(o: ServerOptions): ServerOptions {
  if (!o.httpHost) o.httpHost = o.host;
  return o;
}

const EMPTY_SET: ReadonlySet<string> = new Set();

/**
 * Whether a message that arrived over `src` may go out over `dst`: a full-mesh cluster never
 * relays route to route, and gateways are fed by forwarders, not by the index.
 */
function forwardable(src: Kind, dst: Kind): boolean {
  if (dst === Kind.ROUTER) return src !== Kind.ROUTER;
  if (dst === Kind.LEAF) return true;
  return dst === Kind.CLIENT;
}

/** A listen host as a dialable address (wildcards become loopback). */
function listenHost(h: string | undefined): string {
  return !h || h === "0.0.0.0" || h === "::" ? "127.0.0.1" : h;
}

function hostPort(h: string, p: number): string {
  return h.includes(":") ? `[${h}]:${p}` : `${h}:${p}`;
}

function stripV4Mapped(ip: string): string {
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
