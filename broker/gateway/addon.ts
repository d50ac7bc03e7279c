/**
 * GatewayAddon: joins this server's cluster to other clusters (a super-cluster), following
 * reference section 3 and nats-server 2.9: a listener for inbound gateway connections, one
 * outbound connection per remote cluster, interest-only mode, implicit gateways by gossip,
 * queue groups served by exactly one cluster, and `_GR_.` reply routing.
 */
import * as net from "net";
import type { Server, ServerAddon } from "../server";
import type { GatewayOptions } from "../options";
import { InMsg, Deliverer, Kind, InterestListener, Forwarder } from "../message";
import type { GatewayConnView, GatewaysView } from "../monitor/sources";
import { GatewayConn, GatewayInfo, GatewayLink } from "./conn";
import { ClusterInterest } from "./interest";
import { RemoteGateway, dial, CONNECT_DELAY_MS, RECONNECT_DELAY_MS } from "./remotes";
import { ReplyTracker, ReplySender } from "./replies";
import { GatewayTls, loadGatewayTls, dialGatewayTls } from "./tls";
import { acceptPeer } from "../tls";
import { InterestAnnouncer } from "./announce";
import { GatewayRouteHooks, peerGatewayURLs, routeByHash, routeList, sendOverRoute } from "./routes";
import {
  GATEWAY_CMD_ALL_SUBS_COMPLETE,
  GATEWAY_CMD_ALL_SUBS_START,
  GATEWAY_CMD_GOSSIP,
  advertisedURL,
  decodeAccount,
  gatewayInfoLine,
  gossipInfoLine,
  stripV4Mapped,
  hostPort,
} from "./info";
import { gwHash, GW_CLUSTER_OFFSET, GW_HASH_LEN, GW_REPLY_PREFIX, GW_SERVER_OFFSET, GW_SUBJECT_OFFSET, isRoutedReply } from "./hash";

/** Gateway PINGs go out at least this often, whatever ping_interval says (nats-server: 15s). */
const MAX_PING_INTERVAL_MS = 15000;
const DEFAULT_AUTH_TIMEOUT_MS = 2000;
const EMPTY_QUEUES: ReadonlySet<string> = new Set();

export class GatewayAddon implements ServerAddon, GatewayLink, ReplySender {
  private server!: Server;
  private opts: GatewayOptions | undefined;
  private listener: net.Server | null = null;
  /** Bound gateway port. */
  port = 0;
  /** This server's gateway URL (`host:port`) as advertised to other clusters. */
  url = "";
  /** Gateway URLs of the other servers of this cluster (from their route INFO). */
  private readonly clusterURLs = new Set<string>();
  /** The peer URLs last sent to inbound connections. */
  private announcedURLs = "";
  private clusterHash = "";
  private replyPrefix: Buffer = Buffer.alloc(0);
  private serverHash = "";
  private running = false;

  readonly remotes = new Map<string, RemoteGateway>();
  readonly outbound = new Map<string, GatewayConn>();
  readonly inbound = new Map<number, GatewayConn>();
  /** Outbound connections in RTT order (queue groups go to the nearest cluster first). */
  private ordered: GatewayConn[] = [];
  /** Connections not registered yet (handshake in progress). */
  private readonly pending = new Set<GatewayConn>();
  private readonly accountBufs = new Map<string, Buffer>();
  private interest!: ClusterInterest;
  private announcer!: InterestAnnouncer;
  private replies!: ReplyTracker;
  private orderTimer: NodeJS.Timeout | null = null;
  /** The gateway `tls {}` block: accepting side, and dialling side of remotes without their own. */
  private tls: GatewayTls | null = null;
  /** Remotes' own `tls {}` blocks, by gateway name. */
  private readonly remoteTls = new Map<string, GatewayTls>();

  private readonly listenerHook: InterestListener = {
    subAdded: (account, sub) => {
      if (sub.conn.kind !== Kind.GATEWAY) this.interest.add(account, sub);
    },
    subRemoved: (account, sub) => {
      if (sub.conn.kind !== Kind.GATEWAY) this.interest.remove(account, sub);
    },
  };
  private readonly forwarder: Forwarder = (from, account, m, served) => this.forward(from, account, m, served);

  // ---- lifecycle ---------------------------------------------------------------------------------

  async start(server: Server): Promise<void> {
    this.server = server;
    const g = server.opts.gateway;
    if (!g || !g.name) return;
    await this.enable(g);
  }

  private async enable(g: GatewayOptions): Promise<void> {
    const server = this.server;
    if (server.gateways !== undefined) throw new Error(`gateway "${g.name}": this server already runs gateways (a second GatewayAddon?)`);
    if (g.port === 0) throw new Error(`gateway ${JSON.stringify(g.name)} has no port specified (select -1 for random port)`);
    const clusterName = server.opts.cluster?.name;
    if (clusterName && clusterName !== g.name) {
      // A cluster is known to other clusters by its gateway name: two names would split it.
      throw new Error(`cluster name ${JSON.stringify(clusterName)} conflicts with gateway name ${JSON.stringify(g.name)}: they must be the same`);
    }
    for (const r of g.gateways) if (r.urls.length === 0) throw new Error(`gateway ${JSON.stringify(r.name)} has no URL`);
    this.loadTls(g);
    this.opts = g;
    this.clusterHash = gwHash(g.name);
    this.serverHash = gwHash(server.id);
    this.replyPrefix = Buffer.from(`${GW_REPLY_PREFIX}${this.clusterHash}.${this.serverHash}.`, "latin1");
    const listener = net.createServer({ noDelay: true }, (sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(g.port < 0 ? 0 : g.port, g.host, () => {
        listener.removeListener("error", reject);
        resolve();
      });
    }).catch((e: Error) => {
      throw new Error(`Error listening on gateway port: ${g.port} - ${e.message}`);
    });
    listener.on("error", (err) => server.log.error(`Gateway listener error: ${err.message}`));
    this.listener = listener;
    this.port = (listener.address() as net.AddressInfo).port;
    this.url = advertisedURL(g.advertise, g.host, this.port);
    this.running = true;
    this.interest = new ClusterInterest((acc, subj, queue, added) => {
      if (this.inbound.size > 0) this.announcer.changed(this.inbound.values(), acc, subj, queue, added);
    });
    this.announcer = new InterestAnnouncer(this.interest, () => this.opts?.name ?? "");
    for (const acc of server.accounts.values()) for (const sub of acc.sublist.all()) if (sub.conn.kind !== Kind.GATEWAY) this.interest.add(acc.name, sub);
    this.replies = new ReplyTracker(this);
    server.interestListeners.push(this.listenerHook);
    server.forwarders.push(this.forwarder);
    server.replyRouter = this.replies;
    server.gateways = this.view();
    server.gatewayRouteHooks = this.routeHooks();
    server.log.info(`Gateway name is ${g.name}`);
    server.log.info(`Listening for gateways connections on ${hostPort(g.host, this.port)}`);
    server.log.info(`Address for gateway "${g.name}" is ${this.url}`);
    for (const r of g.gateways) {
      if (r.name === g.name) continue; // our own cluster listed for symmetry of configs
      const remote = new RemoteGateway(r.name, false, r.urls);
      this.remotes.set(r.name, remote);
      this.solicit(remote, 0);
    }
    // RTT changes over time: re-sort the outbound list now and then. Cluster peers come and
    // go: tell inbound peers our cluster's gateway URLs when they change, as nats-server does.
    this.orderTimer = setInterval(() => {
      this.orderOutbound();
      this.announceURLs();
    }, 5000);
    this.orderTimer.unref();
  }

  async reloaded(server: Server): Promise<void> {
    const next = server.opts.gateway;
    if (!this.running) {
      if (next && next.name) await this.enable(next);
      return;
    }
    const cur = this.opts!;
    if (!next || !next.name) {
      server.log.info(`Gateway "${cur.name}" removed (reload): closing its connections`);
      await this.close();
      return;
    }
    const samePort = next.port === cur.port || (cur.port < 0 && next.port < 0);
    if (next.name !== cur.name || !samePort || next.host !== cur.host || next.advertise !== cur.advertise) {
      // Other clusters know this one by name and address: reconnect under the new ones.
      server.log.info(`Gateway "${cur.name}" reconfigured (reload): restarting it as "${next.name}"`);
      await this.close();
      await this.enable(next);
      return;
    }
    this.applyRemotes(next);
  }

  /** Read every certificate up front: a bad file is an error at start or reload, not at dial time. */
  private loadTls(g: GatewayOptions): void {
    const tls = g.tls ? loadGatewayTls(g.tls, `gateway "${g.name}"`) : null;
    const remotes = new Map<string, GatewayTls>();
    for (const r of g.gateways) if (r.tls) remotes.set(r.name, loadGatewayTls(r.tls, `gateway "${g.name}" remote "${r.name}"`));
    this.tls = tls;
    this.remoteTls.clear();
    for (const [k, v] of remotes) this.remoteTls.set(k, v);
  }

  /** Add, update and remove configured remotes without touching unrelated connections. */
  private applyRemotes(next: GatewayOptions): void {
    const server = this.server;
    try {
      this.loadTls(next);
    } catch (e) {
      server.log.error(`Gateway TLS not reloaded: ${(e as Error).message}`);
    }
    const wanted = new Map(next.gateways.filter((r) => r.name !== next.name).map((r) => [r.name, r]));
    for (const [name, remote] of [...this.remotes]) {
      if (remote.implicit || wanted.has(name)) continue;
      server.log.info(`Removing gateway "${name}" (reload)`);
      remote.removed = true;
      remote.cancel();
      this.remotes.delete(name);
      this.outbound.get(name)?.close("Gateway Removed");
      if (next.rejectUnknown) for (const c of [...this.inbound.values()]) if (c.name === name) c.close("Gateway Removed");
    }
    for (const [name, r] of wanted) {
      const remote = this.remotes.get(name);
      if (remote) {
        remote.implicit = false;
        remote.setURLs(r.urls);
        continue;
      }
      server.log.info(`Adding gateway "${name}" (reload)`);
      const added = new RemoteGateway(name, false, r.urls);
      this.remotes.set(name, added);
      if (!this.outbound.has(name)) this.solicit(added, 0);
    }
    this.opts = { ...next, port: this.opts!.port };
  }

  async close(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const server = this.server;
    if (this.orderTimer) clearInterval(this.orderTimer);
    for (const r of this.remotes.values()) r.cancel();
    const listener = this.listener;
    this.listener = null;
    const closing = listener ? new Promise<void>((r) => listener.close(() => r())) : Promise.resolve();
    for (const c of [...this.outbound.values(), ...this.inbound.values(), ...this.pending]) c.close("Server Shutdown");
    await closing;
    const li = server.interestListeners.indexOf(this.listenerHook);
    if (li >= 0) server.interestListeners.splice(li, 1);
    const fi = server.forwarders.indexOf(this.forwarder);
    if (fi >= 0) server.forwarders.splice(fi, 1);
    if (server.replyRouter === this.replies) server.replyRouter = undefined;
    server.gatewayRouteHooks = undefined;
    server.gateways = undefined;
    this.remotes.clear();
    this.pending.clear();
    this.clusterURLs.clear();
    this.announcedURLs = "";
    this.replies.close();
    this.interest.close();
  }

  // ---- GatewayLink -------------------------------------------------------------------------------

  get maxControlLine(): number {
    return this.server.opts.maxControlLine;
  }

  get maxPayload(): number {
    return this.server.opts.maxPayload;
  }

  get pingIntervalMs(): number {
    return Math.min(this.server.opts.pingInterval, MAX_PING_INTERVAL_MS);
  }

  get pingMax(): number {
    return this.server.opts.pingMax;
  }

  log(level: "info" | "error" | "debug" | "trace", conn: GatewayConn, text: string): void {
    this.server.log[level](`${conn.describe()} - ${text}`);
  }

  afterInput(): void {
    // Deliveries to clients wait in the server's dirty list, as after a client's own input.
    this.server.scheduleFlush();
  }

  markDirty(conn: GatewayConn): void {
    // Flushed with the clients, once per event-loop turn.
    this.server.dirty.push(conn);
    this.server.scheduleFlush();
  }

  get maxPending(): number {
    return this.server.opts.maxPending;
  }

  onConnect(conn: GatewayConn, connect: Record<string, unknown>): string | undefined {
    const g = this.opts!;
    const gwName = typeof connect.gateway === "string" ? connect.gateway : "";
    if (!gwName) return this.refuse(conn, "attempted to connect to gateway port", "Wrong Port");
    if (g.rejectUnknown && !this.remotes.has(gwName)) {
      this.log("error", conn, `Rejecting connection from gateway "${gwName}"`);
      return this.refuse(conn, `Connection to gateway "${g.name}" rejected`, "Wrong Gateway");
    }
    const a = g.authorization;
    if (a && (a.user !== undefined || a.token !== undefined)) {
      const ok = a.token !== undefined ? connect.auth_token === a.token : connect.user === a.user && connect.pass === a.password;
      if (!ok) {
        this.log("error", conn, `Gateway authentication error`);
        return this.refuse(conn, "Authorization Violation", "Authentication Failure");
      }
    }
    conn.name = gwName;
    return undefined;
  }

  private refuse(conn: GatewayConn, text: string, reason: "Wrong Port" | "Wrong Gateway" | "Authentication Failure"): string {
    conn.sendErr(text);
    conn.close(reason);
    return text;
  }

  onInfo(conn: GatewayConn, info: GatewayInfo): void {
    if (conn.outbound) this.outboundInfo(conn, info);
    else this.inboundInfo(conn, info);
  }

  remoteInterestChanged(account: string, subject: string, queue: string | undefined, added: boolean): void {
    // Leaf hubs advertise other clusters' interest to their spokes, as nats-server does.
    this.server.leafExternalInterest?.(account, subject, queue, added);
  }

  onClose(conn: GatewayConn): void {
    const server = this.server;
    this.pending.delete(conn);
    if (conn.outbound) {
      conn.remote.clear();
      if (this.outbound.get(conn.name) === conn) {
        this.outbound.delete(conn.name);
        this.orderOutbound();
        server.log.info(`${conn.describe()} - Gateway connection closed: ${conn.closeReason} (outbound to "${conn.name}")`);
      }
      const remote = this.remotes.get(conn.name);
      if (remote && !remote.removed && this.running && conn.closeReason !== "Duplicate Gateway") {
        // Explicit gateways are redialled after a pause; implicit ones only while retries last.
        this.solicit(remote, remote.implicit ? Math.floor(Math.random() * 100) : RECONNECT_DELAY_MS + Math.floor(Math.random() * 100));
      }
    } else if (this.inbound.delete(conn.cid)) {
      server.log.info(`${conn.describe()} - Gateway connection closed: ${conn.closeReason} (inbound from "${conn.name}")`);
    }
  }

  // ---- dialling ----------------------------------------------------------------------------------

  /** Start (or keep) the dial loop of a remote, after `delayMs`. */
  private solicit(remote: RemoteGateway, delayMs: number): void {
    if (remote.dialing || remote.removed || !this.running) return;
    remote.dialing = true;
    remote.timer = setTimeout(() => {
      remote.timer = null;
      void this.dialLoop(remote);
    }, delayMs);
    remote.timer.unref();
  }

  private async dialLoop(remote: RemoteGateway): Promise<void> {
    const server = this.server;
    const kind = remote.implicit ? "implicit" : "explicit";
    while (this.running && !remote.removed && !this.outbound.has(remote.name)) {
      const urls = remote.shuffled();
      if (urls.length === 0) break;
      remote.attempts++;
      for (const u of urls) {
        if (!this.running || remote.removed) break;
        const report = remote.attempts === 1 || remote.attempts % 60 === 0;
        const msg = `Connecting to ${kind} gateway "${remote.name}" (${u.hostPort}) at ${u.hostPort} (attempt ${remote.attempts})`;
        if (report) server.log.info(msg);
        else server.log.debug(msg);
        let sock = await dial(remote, u);
        const t = this.remoteTls.get(remote.name) ?? this.tls;
        if (sock && t) {
          sock.on("error", () => undefined);
          sock = await dialGatewayTls(sock, u.host, t).catch((e: Error) => {
            server.log.error(`Gateway TLS handshake with "${remote.name}" at ${u.hostPort} failed: ${e.message}`);
            return undefined;
          });
        }
        if (sock) {
          if (!this.running || remote.removed || this.outbound.has(remote.name)) {
            sock.destroy();
            remote.dialing = false;
            return;
          }
          remote.dialing = false;
          this.createOutbound(remote, u, sock);
          return;
        }
        const err = `Error connecting to ${kind} gateway "${remote.name}" (${u.hostPort}) at ${u.hostPort} (attempt ${remote.attempts})`;
        if (report) server.log.error(err);
        else server.log.debug(err);
      }
      if (remote.implicit) {
        const retries = this.opts?.connectRetries ?? 0;
        if (retries === 0 || remote.attempts > retries) {
          // Keep trying while that cluster is connected to us: it is alive, we will get through.
          if (![...this.inbound.values()].some((c) => c.name === remote.name)) {
            this.remotes.delete(remote.name);
            remote.removed = true;
            break;
          }
        }
      }
      await new Promise<void>((r) => {
        remote.timer = setTimeout(() => {
          remote.timer = null;
          r();
        }, CONNECT_DELAY_MS);
        remote.timer.unref();
      });
    }
    remote.dialing = false;
  }

  private createOutbound(remote: RemoteGateway, u: { user?: string; pass?: string; hostPort: string }, sock: net.Socket): void {
    sock.setNoDelay(true);
    const conn = new GatewayConn(this, sock, this.server.allocCid(), true, remote.name, stripV4Mapped(sock.remoteAddress ?? ""), sock.remotePort ?? 0, !remote.implicit);
    conn.dialCreds = { user: u.user, pass: u.pass };
    this.pending.add(conn);
    this.server.log.info(`${conn.describe()} - Creating outbound gateway connection to "${remote.name}"`);
    conn.begin();
  }

  /** INFO on a connection we dialled: the handshake, then gossip and interest-mode commands. */
  private outboundInfo(conn: GatewayConn, info: GatewayInfo): void {
    const g = this.opts!;
    const server = this.server;
    const first = !conn.connected;
    if (!info.gateway) {
      conn.sendErr(`Attempt to connect to gateway "${conn.name}" using wrong port`);
      conn.close("Wrong Port");
      return;
    }
    if (info.gateway !== conn.name) {
      if (!first && info.gateway_cmd === GATEWAY_CMD_GOSSIP) {
        if (g.rejectUnknown && !this.remotes.has(info.gateway)) return;
        this.implicitGateway(info);
        return;
      }
      this.log("error", conn, `Failing connection to gateway "${conn.name}", remote gateway name is "${info.gateway}"`);
      conn.sendErr(`Connection from "${g.name}" rejected, wanted to connect to "${conn.name}", this is "${info.gateway}"`);
      conn.close("Wrong Gateway");
      return;
    }
    const remote = this.remotes.get(conn.name);
    if (info.gateway_urls && remote) remote.addURLs(info.gateway_urls);
    if (first || info.gateway_cmd === undefined || info.gateway_cmd === 0) this.tellRoutes(conn.name);
    if (first) {
      conn.connected = true;
      conn.remoteId = info.server_id ?? "";
      conn.remoteName = info.server_name ?? "";
      conn.opts.name = conn.remoteId;
      conn.remote.interestOnly = info.gateway_iom === true;
      conn.headers = info.headers === true;
      conn.useOldPrefix = info.gateway_nrp !== true;
      const creds = conn.dialCreds;
      const user = creds?.user ?? g.authorization?.user;
      const pass = creds?.user !== undefined ? creds.pass : g.authorization?.password;
      const connect: Record<string, unknown> = { echo: false, verbose: false, pedantic: false };
      if (user !== undefined) connect.user = user;
      if (pass !== undefined) connect.pass = pass;
      const secure = (this.remoteTls.get(conn.name) ?? this.tls) !== null;
      Object.assign(connect, { tls_required: secure, name: server.id, gateway: g.name });
      conn.sendProto(`CONNECT ${JSON.stringify(connect)}\r\n`);
      conn.sendProto(this.infoLine());
      this.pending.delete(conn);
      if (this.outbound.has(conn.name)) {
        conn.close("Duplicate Gateway");
        return;
      }
      this.outbound.set(conn.name, conn);
      conn.registered = true;
      if (remote) remote.attempts = 0;
      this.orderOutbound();
      server.log.info(`${conn.describe()} - Outbound gateway connection to "${conn.name}" (${conn.remoteId}) registered`);
      conn.startPings();
      return;
    }
    switch (info.gateway_cmd) {
      case GATEWAY_CMD_ALL_SUBS_START:
      case GATEWAY_CMD_ALL_SUBS_COMPLETE: {
        const account = decodeAccount(info.gateway_cmd_payload);
        if (account === undefined) {
          const what = info.gateway_cmd === GATEWAY_CMD_ALL_SUBS_START ? "start" : "complete";
          conn.sendErr(`Account absent from receive-all-subscriptions-${what} command`);
          conn.close("Protocol Violation");
          return;
        }
        if (info.gateway_cmd === GATEWAY_CMD_ALL_SUBS_START) conn.remote.allSubsStart(account);
        else conn.remote.allSubsComplete(account);
        return;
      }
      case undefined:
      case 0:
        return;
      default:
        server.log.warn(`Received unknown command ${info.gateway_cmd} from gateway "${conn.name}"`);
    }
  }

  /** First INFO on a connection we accepted: register, send interest, dial back, gossip. */
  private inboundInfo(conn: GatewayConn, info: GatewayInfo): void {
    if (conn.registered) return;
    if (info.gateway && info.gateway !== conn.name) conn.name = info.gateway;
    conn.remoteId = info.server_id ?? "";
    conn.remoteName = info.server_name ?? "";
    conn.opts.name = conn.remoteId;
    this.pending.delete(conn);
    this.inbound.set(conn.cid, conn);
    conn.registered = true;
    this.server.log.info(`${conn.describe()} - Inbound gateway connection from "${conn.name}" (${conn.remoteId}) registered`);
    this.announcer.sendQueueSubs(conn);
    this.implicitGateway(info);
    this.gossipTo(conn);
    // Every account we know, even without subscriptions: the peer then sends nothing for it.
    const accounts = new Set<string>(this.server.accounts.keys());
    for (const a of this.interest.accounts.keys()) accounts.add(a);
    for (const account of accounts) this.announcer.sendAllSubs(conn, account);
  }

  /** Learn a gateway from an inbound connection or gossip: dial it unless already known. */
  private implicitGateway(info: GatewayInfo): void {
    const name = info.gateway;
    if (!name || name === this.opts!.name) return;
    const known = this.remotes.get(name);
    if (known) {
      if (info.gateway_urls) known.addURLs(info.gateway_urls);
      if (!this.outbound.has(name)) this.solicit(known, 0);
      return;
    }
    const urls = info.gateway_urls ?? [];
    if (urls.length === 0) return;
    const remote = new RemoteGateway(name, true, urls);
    if (remote.urls.size === 0) return;
    this.remotes.set(name, remote);
    this.solicit(remote, 0);
  }

  /** Tell a newly connected cluster about every other gateway we know (implicit full mesh). */
  private gossipTo(conn: GatewayConn): void {
    for (const [name, remote] of this.remotes) {
      if (name === conn.name || remote.urls.size === 0) continue;
      conn.sendProto(gossipInfoLine(this.server.id, undefined, name, remote.urlStrings()));
    }
  }

  /** Gossip INFO about a remote gateway, for routes (so the rest of the cluster connects too). */
  private gossipLine(name: string): string | undefined {
    const remote = this.remotes.get(name);
    if (!remote || remote.urls.size === 0) return undefined;
    // Not our server id: an older peer would otherwise take it for a route to itself.
    return gossipInfoLine(`GW${this.server.id}`, this.server.name, name, remote.urlStrings());
  }

  private tellRoutes(name: string): void {
    const line = this.gossipLine(name);
    if (!line) return;
    for (const r of routeList(this.server)) if (!r.closed && typeof r.sendProto === "function") r.sendProto(line);
  }

  private routeHooks(): GatewayRouteHooks {
    const self = this;
    return {
      get url() {
        return self.url;
      },
      onRouteInfo(info) {
        if (!self.running) return;
        if (info.gateway_url && info.gateway_url !== self.url) self.clusterURLs.add(info.gateway_url);
        if (info.gateway && info.gateway_cmd === GATEWAY_CMD_GOSSIP) {
          if (self.opts!.rejectUnknown && !self.remotes.has(info.gateway)) return;
          self.implicitGateway(info);
        }
      },
      infosForNewRoute() {
        const out: string[] = [];
        for (const name of self.outbound.keys()) {
          const line = self.gossipLine(name);
          if (line) out.push(line);
        }
        return out;
      },
    };
  }

  // ---- messages from other clusters --------------------------------------------------------------

  onMessage(conn: GatewayConn, account: string, m: InMsg, queues: ReadonlySet<string> | null): void {
    const server = this.server;
    server.stats.inMsgs++;
    server.stats.inBytes += m.size;
    if (m.subject.charCodeAt(0) === 95 && isRoutedReply(m.subject)) {
      this.routedReply(conn, account, m);
      return;
    }
    const acc = server.accounts.get(account);
    if (!acc) {
      if (!conn.outbound && conn.sent.get(account) !== null) {
        conn.sent.set(account, null);
        conn.sendInterest(`A- ${account}\r\n`);
      }
      return;
    }
    if (!conn.outbound && conn.sent.get(account) === undefined) {
      // An optimistic sender: switch the account to interest-only rather than refuse subjects one by one.
      this.announcer.sendAllSubs(conn, account);
    }
    server.routeMessage(conn, acc, m, queues ?? EMPTY_QUEUES);
  }

  /**
   * `_GR_.<cluster>.<server>.<reply>`: a response for a request that left this cluster. Ours:
   * deliver it (on the originating server, reached over a route when it is not us).
   */
  private routedReply(conn: GatewayConn, account: string, m: InMsg): void {
    const s = m.subject;
    if (s.substr(GW_CLUSTER_OFFSET, GW_HASH_LEN) !== this.clusterHash) return;
    const acc = this.server.accounts.get(account);
    if (!acc) return;
    const srv = s.substr(GW_SERVER_OFFSET, GW_HASH_LEN);
    if (srv !== this.serverHash) {
      const route = routeByHash(this.server, srv);
      if (route && sendOverRoute(route, account, m)) return;
    }
    this.deliverStripped(conn, acc.name, m);
  }

  routedFromRoute(from: Deliverer, account: string, m: InMsg): boolean {
    const s = m.subject;
    if (!isRoutedReply(s)) return false;
    if (!this.running) return false;
    if (s.substr(GW_CLUSTER_OFFSET, GW_HASH_LEN) !== this.clusterHash) return true;
    this.deliverStripped(from, account, m);
    return true;
  }

  /** Deliver a routed reply under its original subject; queue subscribers count (no filter). */
  private deliverStripped(from: Deliverer, account: string, m: InMsg): void {
    const acc = this.server.accounts.get(account);
    if (!acc) return;
    const ss = m.ss;
    const subject = m.subject;
    m.ss = ss + GW_SUBJECT_OFFSET;
    m.subject = subject.slice(GW_SUBJECT_OFFSET);
    try {
      this.server.routeMessage(from, acc, m, null);
    } finally {
      m.ss = ss;
      m.subject = subject;
    }
  }

  // ---- messages to other clusters ---------------------------------------------------------------

  private accountBuf(account: string): Buffer {
    let b = this.accountBufs.get(account);
    if (!b) this.accountBufs.set(account, (b = Buffer.from(account, "latin1")));
    return b;
  }

  /**
   * The forwarder: after local delivery of a client or leaf message, send it to each cluster
   * with interest. Queue groups served here stay here; any other goes to one cluster only.
   */
  private forward(_from: Deliverer, account: string, m: InMsg, served: ReadonlySet<string>): number {
    const list = this.ordered;
    if (list.length === 0) return 0;
    // A response already addressed to its cluster (a leaf spoke sends these): straight there.
    if (m.subject.charCodeAt(0) === 95 && isRoutedReply(m.subject)) return this.sendDirect(account, m);
    let sent = 0;
    let claimed: string[] | null = null;
    let mapReply: boolean | undefined;
    const acc = this.accountBuf(account);
    for (let i = 0; i < list.length; i++) {
      const conn = list[i];
      if (conn.closed) continue;
      const r = conn.remote.interest(account, m.subject);
      if (!r.plain && r.queues.length === 0) continue;
      let queues: string[] | null = null;
      for (let j = 0; j < r.queues.length; j++) {
        const q = r.queues[j];
        if (served.has(q) || (claimed !== null && claimed.includes(q))) continue;
        (queues ??= []).push(q);
        (claimed ??= []).push(q);
      }
      if (!r.plain && queues === null) continue;
      let prefix: Buffer | null = null;
      if (m.re > m.rs) {
        if (mapReply === undefined) mapReply = this.interest.isRecent(account, m.reply);
        if (mapReply) prefix = conn.useOldPrefix ? null : this.replyPrefix;
      }
      conn.sendMsg(acc, m.line, m.ss, m.se, m, prefix, queues);
      sent++;
    }
    if (sent > 0) {
      this.server.stats.outMsgs += sent;
      this.server.stats.outBytes += sent * m.size;
    }
    return sent;
  }

  /** `m`'s subject is a routed reply: send it to the cluster its hash names, whatever the interest. */
  private sendDirect(account: string, m: InMsg): number {
    const hash = m.subject.substr(GW_CLUSTER_OFFSET, GW_HASH_LEN);
    for (const conn of this.ordered) {
      if (conn.closed || this.remotes.get(conn.name)?.hash !== hash) continue;
      conn.sendMsg(this.accountBuf(account), m.line, m.ss, m.se, m, null, null);
      this.server.stats.outMsgs++;
      this.server.stats.outBytes += m.size;
      return 1;
    }
    return 0;
  }

  /** A client's response to a routed request: straight to the requester's cluster. */
  sendBack(account: string, routed: string, m: InMsg): void {
    const hash = routed.substr(GW_CLUSTER_OFFSET, GW_HASH_LEN);
    for (const conn of this.ordered) {
      if (conn.closed || this.remotes.get(conn.name)?.hash !== hash) continue;
      const subj = Buffer.from(routed, "latin1");
      let prefix: Buffer | null = null;
      if (m.re > m.rs && !conn.useOldPrefix && this.interest.isRecent(account, m.reply)) prefix = this.replyPrefix;
      conn.sendMsg(this.accountBuf(account), subj, 0, subj.length, m, prefix, null);
      this.server.stats.outMsgs++;
      this.server.stats.outBytes += m.size;
      return;
    }
  }

  private orderOutbound(): void {
    this.ordered = [...this.outbound.values()].sort((a, b) => (a.rtt || Number.MAX_SAFE_INTEGER) - (b.rtt || Number.MAX_SAFE_INTEGER));
  }

  // ---- INFO ------------------------------------------------------------------------------------

  /** The gateway INFO (accepting side, and the dialler after its CONNECT). */
  infoLine(): string {
    const g = this.opts!;
    return gatewayInfoLine({
      serverId: this.server.id,
      serverName: this.server.name,
      url: this.url,
      clusterURLs: this.peerURLs(),
      gateway: g.name,
      maxPayload: this.server.opts.maxPayload,
      authRequired: g.authorization?.user !== undefined || g.authorization?.token !== undefined,
      tls: this.tls !== null,
    });
  }

  /** Gateway URLs of the other servers of this cluster. */
  private peerURLs(): string[] {
    return [...new Set([...this.clusterURLs, ...peerGatewayURLs(this.server)])].filter((u) => u !== this.url).sort();
  }

  private announceURLs(): void {
    const key = this.peerURLs().join(",");
    if (key === this.announcedURLs) return;
    this.announcedURLs = key;
    if (this.inbound.size === 0) return;
    const line = this.infoLine();
    for (const c of this.inbound.values()) c.sendProto(line);
  }

  private accept(sock: net.Socket): void {
    if (!this.running) {
      sock.destroy();
      return;
    }
    acceptPeer(sock, this.tls, () => this.running, (msg) => this.server.log.error(msg), "Gateway", (s) => this.createInbound(s));
  }

  private createInbound(sock: net.Socket): void {
    sock.setNoDelay(true);
    const conn = new GatewayConn(this, sock, this.server.allocCid(), false, "", stripV4Mapped(sock.remoteAddress ?? ""), sock.remotePort ?? 0);
    this.pending.add(conn);
    this.server.log.info(`${conn.describe()} - Processing inbound gateway connection`);
    conn.begin(this.infoLine(), this.opts!.authorization?.timeout ?? DEFAULT_AUTH_TIMEOUT_MS);
  }

  // ---- monitoring -------------------------------------------------------------------------------

  private view(): GatewaysView {
    const self = this;
    return {
      get name() {
        return self.opts?.name ?? "";
      },
      get host() {
        return self.opts?.host ?? "";
      },
      get port() {
        return self.port;
      },
      get outbound(): ReadonlyMap<string, GatewayConnView> {
        return self.outbound;
      },
      get inbound(): Iterable<GatewayConnView> {
        return self.inbound.values();
      },
    };
  }
}

