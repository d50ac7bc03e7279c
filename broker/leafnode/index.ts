/**
 * Leaf nodes (reference section 4) as a server addon: the hub side (a `leafnodes` listener
 * accepting spokes) and the spoke side (`leafnodes.remotes`, dialled and kept up), interest
 * propagation between the account's subject index and every leaf connection, and reload of
 * remotes without a restart.
 *
 * Fills `server.leafs` (cid -> connection, read by /leafz and /varz) and `server.leafnodePort`.
 */
import * as net from "net";
import * as os from "os";
import type { Server, ServerAddon } from "../server";
import { Deliverer, DeliverySub, InterestListener, Kind } from "../message";
import { PROTOCOL_VERSION, VERSION } from "../version";
import { LeafConn, LeafHost } from "./conn";
import { RemoteLeaf } from "./remote";
import { HubInfo, LDS_PREFIX, nuid } from "./protocol";
import { leafReplyRouter } from "./replies";
import type { ReplyTracker } from "../gateway/replies";
import type { LoadedTls } from "../tls";
import { loadHubTls, tlsInfoFields } from "./tls";

export { LeafConn } from "./conn";
export type { LeafCloseReason } from "./conn";
export { RemoteLeaf, parseLeafURL } from "./remote";
export { LeafSub } from "./sub";

declare module "../server" {
  interface Server {
    /** Leaf node connections by cid (set by the leaf node addon). */
    leafs?: Map<number, LeafConn>;
    /** Bound leafnode port (after -1), 0 without a listener. */
    leafnodePort?: number;
    /** This server's leafnode URL (`host:port`) for route INFO `leafnode_urls`; "" without a listener. */
    leafnodeURL?: string;
    /**
     * Routes call this with the leafnode URLs their peers advertise, so accepted spokes learn
     * every hub of the cluster (async INFO `leafnode_urls`).
     */
    setLeafnodeURLs?: (urls: string[]) => void;
    /**
     * Interest kept outside the account index (a gateway's interest-only subscriptions from
     * other clusters): the gateway module reports each key's first add and last removal here,
     * and hubs advertise it to their spokes, as nats-server does.
     */
    leafExternalInterest?: (account: string, subject: string, queue: string | undefined, added: boolean) => void;
  }
}

/** Stands in as the connection of interest that lives outside the account index. */
const EXTERNAL: Deliverer = {
  cid: 0,
  kind: Kind.GATEWAY,
  kindName: "Gateway",
  closed: false,
  deliver: () => false,
};

export class LeafNodeAddon implements ServerAddon, LeafHost, InterestListener {
  private srv: Server | null = null;
  private listener: net.Server | null = null;
  /** Host and port as configured for the open listener (port may be -1). */
  private listenSpec: { host: string; port: number } | null = null;
  /** Every open leaf connection (registered or still in its handshake). */
  private readonly conns = new Set<LeafConn>();
  private readonly remotes = new Map<string, RemoteLeaf>();
  private readonly loopSubjects = new Map<string, string>();
  /** External interest by account, then `subject[ queue]`, with how many times it was added. */
  private readonly external = new Map<string, Map<string, { sub: DeliverySub; n: number }>>();
  /** host:port spokes should use for this server (INFO ip). */
  private advertised = "";
  /** Leafnode URLs of the whole cluster (ours first), for INFO leafnode_urls. */
  private clusterURLs: string[] = [];
  /** Gateway-routed replies while no gateway module handles them (see replies.ts). */
  private replies: ReplyTracker | null = null;
  /** The listener's `tls {}` material; reloads replace it for connections accepted after. */
  private tls: LoadedTls | null = null;

  get server(): Server {
    if (!this.srv) throw new Error("leafnode addon used before start()");
    return this.srv;
  }

  async start(server: Server): Promise<void> {
    this.srv = server;
    const o = server.opts.leafnodes;
    if (!o) return;
    server.leafs = new Map();
    server.leafnodePort = 0;
    server.leafnodeURL = "";
    server.setLeafnodeURLs = (urls) => this.setLeafnodeURLs(urls);
    server.leafExternalInterest = (account, subject, queue, added) => this.externalInterest(account, subject, queue, added);
    server.interestListeners.push(this);
    this.claimReplies(server);
    if (o.port !== 0) {
      // A listener whose certificates cannot be read must not come up in plaintext.
      this.tls = o.tls ? loadHubTls(o.tls) : null;
      await this.listen(o.host, o.port);
    }
    this.syncRemotes();
  }

  async reloaded(server: Server): Promise<void> {
    this.srv = server;
    const o = server.opts.leafnodes;
    // A server that never had leaf nodes and still has none keeps no hooks.
    if (!o && !this.listener && this.remotes.size === 0 && this.conns.size === 0) return;
    if (!server.leafs) server.leafs = new Map();
    server.setLeafnodeURLs ??= (urls) => this.setLeafnodeURLs(urls);
    server.leafExternalInterest ??= (account, subject, queue, added) => this.externalInterest(account, subject, queue, added);
    if (!server.interestListeners.includes(this)) server.interestListeners.push(this);
    this.claimReplies(server);
    const wanted = o && o.port !== 0 ? { host: o.host, port: o.port } : null;
    const spec = this.listenSpec;
    if (this.listener && (!wanted || !spec || wanted.host !== spec.host || wanted.port !== spec.port)) {
      // Connections already accepted stay; only new ones use the new address.
      this.stopListening();
    }
    let tlsOk = true;
    if (wanted) {
      try {
        this.tls = o!.tls ? loadHubTls(o!.tls) : null;
      } catch (e) {
        tlsOk = false;
        server.log.error(`${(e as Error).message}; ${this.listener ? "keeping the previous certificates" : "listener not opened"}`);
      }
    }
    if (wanted && !this.listener && tlsOk) {
      try {
        await this.listen(wanted.host, wanted.port);
      } catch (e) {
        server.log.error((e as Error).message);
      }
    }
    this.syncRemotes();
  }

  private stopListening(): void {
    const l = this.listener;
    this.listener = null;
    this.listenSpec = null;
    // close() stops accepting at once; its callback would wait for accepted connections to end.
    if (l) l.close();
    const s = this.server;
    s.leafnodePort = 0;
    s.leafnodeURL = "";
    this.advertised = "";
    this.clusterURLs = [];
    s.log.info(`Stopped listening for leafnode connections`);
  }

  async close(): Promise<void> {
    for (const r of this.remotes.values()) r.stop("Server Shutdown");
    this.remotes.clear();
    for (const c of [...this.conns]) c.close("Server Shutdown");
    const l = this.listener;
    this.listener = null;
    if (l) await new Promise<void>((r) => l.close(() => r()));
    const srv = this.srv;
    if (srv) {
      const i = srv.interestListeners.indexOf(this);
      if (i >= 0) srv.interestListeners.splice(i, 1);
      if (this.replies && srv.replyRouter === this.replies) srv.replyRouter = undefined;
      this.replies?.close();
      this.replies = null;
      srv.scheduleFlush();
    }
  }

  /**
   * Take gateway-routed replies when no gateway module does (it sets its own router when it
   * starts, and clears it when it stops, after which a reload gives them back to us).
   */
  private claimReplies(server: Server): void {
    if (server.replyRouter !== undefined) return;
    this.replies ??= leafReplyRouter(server);
    server.replyRouter = this.replies;
  }

  /** The cluster's leafnode URLs changed (from routes' INFO): tell accepted spokes. */
  setLeafnodeURLs(urls: string[]): void {
    const list = [this.advertised, ...urls.filter((u) => u !== this.advertised)].filter((u) => u !== "");
    if (list.length === this.clusterURLs.length && list.every((u, i) => u === this.clusterURLs[i])) return;
    this.clusterURLs = list;
    const info = `INFO ${JSON.stringify({ ...this.hubInfo() })} \r\n`;
    for (const c of this.conns) {
      if (c.remote || !c.ready) continue;
      c.out.ascii(info);
      c.markDirty();
    }
    this.srv?.scheduleFlush();
  }

  /** Interest from outside the account index changed (see `Server.leafExternalInterest`). */
  externalInterest(account: string, subject: string, queue: string | undefined, added: boolean): void {
    let m = this.external.get(account);
    const key = queue === undefined ? subject : `${subject} ${queue}`;
    if (added) {
      if (!m) this.external.set(account, (m = new Map()));
      const e = m.get(key);
      if (e) {
        e.n++;
        return;
      }
      const sub: DeliverySub = queue === undefined ? { subject, conn: EXTERNAL } : { subject, queue, conn: EXTERNAL };
      m.set(key, { sub, n: 1 });
      this.interest(account, sub, 1);
    } else {
      const e = m?.get(key);
      if (!m || !e) return;
      if (--e.n > 0) return;
      m.delete(key);
      if (m.size === 0) this.external.delete(account);
      this.interest(account, e.sub, -1);
    }
    this.srv?.scheduleFlush();
  }

  /** External interest of an account (a new leaf connection is told about it too). */
  externalSubs(account: string): DeliverySub[] {
    const m = this.external.get(account);
    return m ? [...m.values()].map((e) => e.sub) : [];
  }

  /** This server's own leafnode URL (host:port), "" without a listener. */
  leafnodeURL(): string {
    return this.advertised;
  }

  /** Open connections, registered or not (tests, monitoring). */
  connections(): LeafConn[] {
    return [...this.conns];
  }

  // ---- LeafHost --------------------------------------------------------------------------------

  loopSubject(account: string): string {
    let s = this.loopSubjects.get(account);
    if (!s) this.loopSubjects.set(account, (s = LDS_PREFIX + nuid()));
    return s;
  }

  clusterName(): string {
    const s = this.server;
    const dynamic = (s as unknown as { clusterName?: unknown }).clusterName;
    if (typeof dynamic === "string" && dynamic !== "") return dynamic;
    return s.opts.cluster?.name ?? s.opts.gateway?.name ?? "";
  }

  hubTls(): LoadedTls | null {
    return this.tls;
  }

  hubInfo(): HubInfo {
    const s = this.server;
    const [host, portStr] = splitHostPort(this.advertised);
    const info: HubInfo = {
      server_id: s.id,
      server_name: s.name,
      version: PROTOCOL_VERSION,
      proto: 1,
      go: `natsfleet ${VERSION} node ${process.version}`,
      host,
      port: Number(portStr),
      headers: true,
      auth_required: true,
      max_payload: s.opts.maxPayload,
      ip: this.advertised,
      client_id: 0,
      info_on_connect: true,
      leafnode_urls: this.clusterURLs.length > 0 ? this.clusterURLs : [this.advertised],
      ...tlsInfoFields(this.tls),
    };
    const cluster = this.clusterName();
    if (cluster) info.cluster = cluster;
    return info;
  }

  registered(c: LeafConn): void {
    const s = this.server;
    if (!c.remote) {
      // A spoke reconnecting before we noticed its old connection dropped replaces it.
      for (const old of this.conns) {
        if (old === c || old.remote || !old.ready || !old.account) continue;
        if (old.remoteServer !== "" && old.remoteServer === c.remoteServer && old.remoteCluster === c.remoteCluster && old.account === c.account) {
          old.sendErr("Duplicate Remote LeafNode Connection");
          old.close("Duplicate Remote LeafNode Connection");
          s.log.warn(`${c.describe()} - Replacing connection from same server`);
        }
      }
    }
    s.leafs?.set(c.cid, c);
  }

  closed(c: LeafConn): void {
    this.conns.delete(c);
    this.srv?.leafs?.delete(c.cid);
    c.remote?.connClosed(c);
  }

  // ---- InterestListener ------------------------------------------------------------------------

  subAdded(account: string, sub: DeliverySub): void {
    this.interest(account, sub, 1);
  }

  subRemoved(account: string, sub: DeliverySub): void {
    this.interest(account, sub, -1);
  }

  private interest(account: string, sub: DeliverySub, delta: 1 | -1): void {
    if (this.conns.size === 0) return;
    for (const c of this.conns) if (c.account?.name === account) c.interestChanged(sub, delta);
  }

  // ---- listener and remotes --------------------------------------------------------------------

  private async listen(host: string, port: number): Promise<void> {
    const s = this.server;
    const l = net.createServer({ noDelay: true }, (sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      l.once("error", (e) => reject(new Error(`Error listening on leafnode port ${hostPort(host, port)}: ${e.message}`)));
      l.listen(port <= 0 ? 0 : port, host, () => resolve());
    });
    l.on("error", (err) => s.log.error(`Leafnode listener error: ${err.message}`));
    this.listener = l;
    this.listenSpec = { host, port };
    const bound = (l.address() as net.AddressInfo).port;
    s.leafnodePort = bound;
    const adv = s.opts.leafnodes?.advertise;
    this.advertised = adv ? withPort(adv, bound) : hostPort(publicHost(host), bound);
    this.clusterURLs = [this.advertised];
    // With no_advertise, routes do not spread this URL to the cluster's other hubs' spokes.
    s.leafnodeURL = s.opts.leafnodes?.noAdvertise ? "" : this.advertised;
    s.log.info(`Listening for leafnode connections on ${hostPort(host, bound)}`);
    if (adv) s.log.info(`Advertise address for leafnode is set to ${this.advertised}`);
  }

  private accept(sock: net.Socket): void {
    const s = this.server;
    if (!s.isRunning() || s.lameDuck) {
      sock.destroy();
      return;
    }
    sock.setNoDelay(true);
    const ip = (sock.remoteAddress ?? "").replace(/^::ffff:/, "");
    const c = new LeafConn(this, sock, s.allocCid(), ip, sock.remotePort ?? 0, null);
    this.conns.add(c);
    c.begin();
  }

  /** Start remotes that are new in the options and stop those that are gone. */
  private syncRemotes(): void {
    const s = this.server;
    const wanted = new Map<string, NonNullable<typeof s.opts.leafnodes>["remotes"][number]>();
    for (const r of s.opts.leafnodes?.remotes ?? []) wanted.set(RemoteLeaf.key(r), r);
    for (const [key, r] of this.remotes) {
      if (wanted.has(key)) {
        r.reloadTls();
        continue;
      }
      s.log.info(`Leafnode remote ${r.describeURL()} removed`);
      r.stop("Remote Removed");
      this.remotes.delete(key);
    }
    for (const [key, cfg] of wanted) {
      if (this.remotes.has(key)) continue;
      let r: RemoteLeaf;
      try {
        r = new RemoteLeaf(this.trackingHost(), cfg);
      } catch (e) {
        s.log.error((e as Error).message);
        continue;
      }
      this.remotes.set(key, r);
      r.start();
    }
  }

  /** The host remotes use: the addon itself, but counting dialled connections as they open. */
  private trackingHost(): LeafHost {
    const self = this;
    return {
      get server() {
        return self.server;
      },
      loopSubject: (a) => self.loopSubject(a),
      hubInfo: () => self.hubInfo(),
      clusterName: () => self.clusterName(),
      externalSubs: (a) => self.externalSubs(a),
      hubTls: () => self.hubTls(),
      registered: (c) => {
        self.conns.add(c);
        self.registered(c);
      },
      closed: (c) => self.closed(c),
    };
  }
}

function hostPort(h: string, p: number): string {
  return h.includes(":") ? `[${h}]:${p}` : `${h}:${p}`;
}

/** `advertise` may omit the port: the bound one is used then. */
function withPort(adv: string, port: number): string {
  return /:\d+$/.test(adv) ? adv : hostPort(adv, port);
}

function splitHostPort(hp: string): [string, string] {
  const i = hp.lastIndexOf(":");
  return i < 0 ? [hp, "0"] : [hp.slice(0, i).replace(/^\[|\]$/g, ""), hp.slice(i + 1)];
}

/** A wildcard listen host is advertised as the first non-internal IPv4 address (or loopback). */
function publicHost(host: string): string {
  if (host !== "0.0.0.0" && host !== "::" && host !== "") return host;
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}
