/**
 * The route module's addon (reference section 2, nats-server 2.9's one route per peer): the
 * route listener, route registration and duplicate resolution, gossip and implicit routes,
 * interest propagation (RS+/RS-), the cluster's client URLs, reload and lame duck. Dialling is
 * `RouteDialer`'s job, the wire protocol `RouteConn`'s.
 */
import * as net from "net";
import { randomBytes } from "crypto";
import type { Server, ServerAddon } from "../server";
import type { ClusterOptions } from "../options";
import type { DeliverySub, InterestListener } from "../message";
import { secureEqual } from "../auth";
import { RouteConn, RouteManager, RouteCloseReason } from "./conn";
import { RouteInfo, RouteConnect } from "./info";
import { LocalInterest, InterestEntry, interestLine, isLocalInterest, permitted } from "./interest";
import { RouteURL, parseRouteURL, hostKey, routeIP } from "./url";
import { ownClientURLs, mergeURLs } from "./connect-urls";
import { RouteTls, loadRouteTls } from "./tls";
import { acceptPeer } from "../tls";
import { RouteDialer, RECONNECT_MS, backoff, redact } from "./dialer";
import { RouteIdentity, routeInfo, routeConnect } from "./hello";
import { gatewayHooks, setPeerLeafnodeURLs } from "./peers";

declare module "../server" {
  interface Server {
    /** Registered routes by connection id (read by /routez and /varz). */
    routes?: Map<number, RouteConn>;
    /** Bound cluster port (after -1). */
    clusterPort?: number;
  }
}

export class RouteAddon implements ServerAddon, RouteManager, InterestListener {
  server!: Server;
  /** Registered routes by cid (also `server.routes`). */
  readonly routes = new Map<number, RouteConn>();
  /** Registered routes by the peer's server id. */
  private readonly remotes = new Map<string, RouteConn>();
  /** Every open route connection, registered or still in its handshake. */
  private readonly conns = new Set<RouteConn>();
  private readonly dialer = new RouteDialer({
    log: { error: (t) => this.server.log.error(t), debug: (t) => this.server.log.debug(t) },
    isRunning: () => this.running,
    tls: () => this.tls,
    isConnectedTo: (id) => this.remotes.has(id),
    connectRetries: () => this.cluster?.connectRetries ?? 0,
    connected: (sock, url, configured) => this.newConn(sock, url, configured),
  });
  /** Registered routes that were involved in duplicate resolution: redial if they drop. */
  private readonly retryOnClose = new WeakSet<RouteConn>();
  private readonly interest = new LocalInterest();
  private listener: net.Server | null = null;
  private cluster: ClusterOptions | null = null;
  private name = "";
  private dynamicName = false;
  /** The name the configuration gave (empty when none), to tell a real change on reload. */
  private configuredName = "";
  private running = false;
  private ownURLs: string[] = [];
  private tls: RouteTls | null = null;
  /** A peer has advertised client URLs since routing started (connect_urls go out from then on). */
  private peerURLsSeen = false;

  // ---- lifecycle ------------------------------------------------------------------------------

  async start(server: Server): Promise<void> {
    this.server = server;
    const c = server.opts.cluster;
    if (!c || c.port === 0) return;
    await this.startRouting(c);
  }

  private async startRouting(c: ClusterOptions): Promise<void> {
    const server = this.server;
    this.cluster = c;
    const given = configuredClusterName(c, server);
    this.configuredName = given;
    this.dynamicName = !given;
    this.name = given || randomBytes(11).toString("base64url").replace(/[-_]/g, "x");
    // Monitoring reports the name in use, generated or adopted, as nats-server does.
    c.name = this.name;
    for (const seed of c.routes) parseRouteURL(seed); // a bad URL is an error now, not at dial time
    this.tls = c.tls ? loadRouteTls(c.tls) : null;
    const listener = net.createServer({ noDelay: true }, (sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      listener.once("error", (e: Error) => reject(new Error(`cluster listener on ${hostKey(c.host, c.port)}: ${e.message}`)));
      listener.listen(c.port < 0 ? 0 : c.port, c.host, () => {
        listener.removeAllListeners("error");
        resolve();
      });
    });
    listener.on("error", (err) => server.log.error(`Route listener error: ${err.message}`));
    this.listener = listener;
    this.running = true;
    server.clusterPort = (listener.address() as net.AddressInfo).port;
    server.routes = this.routes;
    server.log.info(`Cluster name is ${this.name}`);
    server.log.info(`Listening for route connections on ${hostKey(c.host, server.clusterPort)}`);
    this.interest.clear();
    for (const acc of server.accounts.values()) for (const sub of acc.sublist.all()) if (isLocalInterest(sub)) this.interest.add(acc.name, sub);
    if (!server.interestListeners.includes(this)) server.interestListeners.push(this);
    this.ownURLs = ownClientURLs(server);
    this.updateConnectURLs();
    for (const raw of c.routes) this.dialer.addSeed(raw);
  }

  async reloaded(server: Server): Promise<void> {
    const next = server.opts.cluster;
    const prev = this.cluster;
    const active = next !== undefined && next.port !== 0;
    if (!this.running) {
      if (active) await this.startRouting(next);
      return;
    }
    if (!active || !prev || next.host !== prev.host || (next.port !== prev.port && !(next.port < 0 && prev.port < 0)) || configuredClusterName(next, server) !== this.configuredName) {
      // The listener or the cluster's identity changed: start over.
      await this.stopRouting();
      if (active) await this.startRouting(next);
      return;
    }
    for (const bad of next.routes) parseRouteURL(bad);
    // New certificates apply to new connections; existing routes stay up.
    this.tls = next.tls ? loadRouteTls(next.tls) : null;
    this.cluster = next;
    if (!next.name) next.name = this.name;
    const wanted = new Set(next.routes);
    for (const raw of [...this.dialer.seeds.keys()]) {
      if (wanted.has(raw)) continue;
      const seed = this.dialer.removeSeed(raw)!;
      server.log.info(`Removed route ${redact(seed.url)}`);
      const conn = seed.conn ?? (seed.remoteId ? this.remotes.get(seed.remoteId) : undefined);
      if (conn && conn.didSolicit) conn.close("Route Removed");
    }
    for (const raw of next.routes) {
      if (this.dialer.seeds.has(raw)) continue;
      server.log.info(`Added route ${redact(parseRouteURL(raw))}`);
      this.dialer.addSeed(raw);
    }
    // client_advertise or no_advertise may have changed (setConnectURLs ignores no change).
    this.ownURLs = server.lameDuck ? [] : ownClientURLs(server);
    this.updateConnectURLs();
  }

  /**
   * Lame duck: peers learn it (INFO with ldm) and drop our client URLs; our own clients are
   * pointed at the other members only (the server sends them the INFO next).
   */
  lameDuck(server: Server): void {
    if (!this.running) return;
    const line = `INFO ${JSON.stringify(routeInfo(server, this.identity(), { lameDuck: true }))} \r\n`;
    for (const r of this.routes.values()) r.sendProto(line);
    this.ownURLs = [];
    const others = this.cluster?.noAdvertise ? [] : mergeURLs([...this.routes.values()].map((r) => r.connectURLs));
    // Assigned directly: the server sends the lame-duck INFO to clients itself.
    server.connectURLs = others;
    server.scheduleFlush();
  }

  async close(): Promise<void> {
    await this.stopRouting();
  }

  private async stopRouting(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const listener = this.listener;
    this.listener = null;
    const closing = listener ? new Promise<void>((r) => listener.close(() => r())) : Promise.resolve();
    this.dialer.stopAll();
    for (const conn of [...this.conns]) conn.close("Server Shutdown");
    const i = this.server.interestListeners.indexOf(this);
    if (i >= 0) this.server.interestListeners.splice(i, 1);
    this.interest.clear();
    this.server.scheduleFlush();
    await closing;
    this.server.clusterPort = undefined;
    this.ownURLs = [];
    this.peerURLsSeen = false;
    this.server.setConnectURLs([]);
  }

  // ---- connections ----------------------------------------------------------------------------

  private accept(sock: net.Socket): void {
    if (!this.running) {
      sock.destroy();
      return;
    }
    acceptPeer(sock, this.tls, () => this.running, (msg) => this.server.log.error(msg), "Route", (s) => this.newConn(s, null, false));
  }

  private newConn(sock: net.Socket, url: RouteURL | null, configured: boolean): RouteConn {
    sock.setNoDelay(true);
    const ip = (sock.remoteAddress ?? "").replace(/^::ffff:/, "");
    const conn = new RouteConn(this, sock, this.server.allocCid(), ip, sock.remotePort ?? 0, url, configured);
    this.conns.add(conn);
    this.server.log.info(`${conn.describe()} - Route connection created`);
    conn.begin();
    return conn;
  }

  // ---- RouteManager ---------------------------------------------------------------------------

  routeInfoJSON(): string {
    return JSON.stringify(routeInfo(this.server, this.identity(), { nonce: true }));
  }

  connectJSON(url: RouteURL): string {
    return routeConnect(this.server, this.identity(), url);
  }

  private identity(): RouteIdentity {
    return { cluster: this.cluster!, name: this.name, dynamic: this.dynamicName, clientURLs: this.ownURLs, authRequired: this.authRequired() };
  }

  private authRequired(): boolean {
    const a = this.cluster?.authorization;
    return !!(a && (a.user || a.password));
  }

  authTimeoutMs(): number | null {
    if (!this.authRequired()) return null;
    return this.cluster?.authorization?.timeout ?? 2000;
  }

  checkConnect(conn: RouteConn, c: RouteConnect): { err?: string; reason: RouteCloseReason } | null {
    if (c.gateway) {
      const err = `Rejecting connection from gateway "${c.gateway}" on the Route port`;
      this.server.log.error(`${conn.describe()} - ${err}`);
      return { err, reason: "Incorrect Port" };
    }
    if ((c.cluster ?? "") !== this.name && !this.adoptClusterName(c.cluster ?? "", c.dynamic === true, conn)) {
      const err = `Rejecting connection, cluster name "${c.cluster ?? ""}" does not match "${this.name}"`;
      this.server.log.error(`${conn.describe()} - ${err}`);
      return { err, reason: "Cluster Name Conflict" };
    }
    const a = this.cluster?.authorization;
    if (this.authRequired()) {
      const userOk = a!.user === undefined || (c.user !== undefined && secureEqual(a!.user, c.user));
      const passOk = a!.password === undefined || (c.pass !== undefined && secureEqual(a!.password, c.pass));
      if (!userOk || !passOk) {
        this.server.log.error(`${conn.describe()} - authentication error`);
        return { err: "Authorization Violation", reason: "Authentication Failure" };
      }
    }
    return null;
  }

  /**
   * A server without a configured cluster name takes a configured peer's name (or the larger
   * of two generated ones), as nats-server does; returns whether the names now agree.
   */
  private adoptClusterName(theirs: string, theirsDynamic: boolean, keep: RouteConn): boolean {
    if (!this.dynamicName || theirs === "") return false;
    // Two generated names: the larger wins (byte order, as nats-server compares).
    if (theirsDynamic && !(this.name < theirs)) return false;
    this.server.log.info(`Cluster name updated to ${theirs}`);
    this.name = theirs;
    if (this.cluster) this.cluster.name = theirs;
    if (!theirsDynamic) this.dynamicName = false;
    for (const r of [...this.conns]) if (r !== keep) r.close("Cluster Name Conflict");
    return true;
  }

  firstInfo(conn: RouteConn, info: RouteInfo): void {
    const s = this.server;
    const seed = this.dialer.seedOf(conn);
    if (info.server_id === s.id) {
      s.log.debug(`${conn.describe()} - Detected route to self, ignoring ${conn.url ? redact(conn.url) : ""}`);
      if (seed) seed.self = true;
      conn.close("Route To Self");
      return;
    }
    if (info.cluster !== undefined && info.cluster !== "" && info.cluster !== this.name && !this.adoptClusterName(info.cluster, info.cluster_dynamic === true, conn)) {
      s.log.error(`${conn.describe()} - Rejecting connection, cluster name "${info.cluster}" does not match "${this.name}"`);
      conn.close("Cluster Name Conflict");
      return;
    }
    if (!conn.didSolicit && info.server_name && info.server_name === s.name && s.name !== s.id) {
      s.log.error(`${conn.describe()} - Remote server has a duplicate name: "${info.server_name}"`);
      conn.close("Protocol Violation");
      return;
    }
    const existing = this.remotes.get(info.server_id);
    if (seed) seed.remoteId = info.server_id;
    if (seed && !existing) seed.failures = 0;
    if (existing) {
      s.log.debug(`${conn.describe()} - Detected duplicate remote route "${info.server_id}"`);
      // Both sides may keep opposite connections and drop both: the survivor redials if it drops.
      this.retryOnClose.add(existing);
      conn.close("Duplicate Route");
      return;
    }
    this.remotes.set(info.server_id, conn);
    this.routes.set(conn.cid, conn);
    conn.registered = true;
    s.log.debug(`${conn.describe()} - Registering remote route "${info.server_id}"`);
    this.sendAllInterest(conn);
    if (this.routes.size > 1) this.gossip(conn, info);
    this.updateConnectURLs();
    this.updateLeafURLs();
    const gw = gatewayHooks(s);
    if (gw) {
      if (info.gateway_url) gw.onRouteInfo(info);
      for (const line of gw.infosForNewRoute()) conn.sendProto(line);
    }
    s.scheduleFlush();
  }

  /** Tell the other routes about a new peer so they connect to it too (implicit routes). */
  private gossip(conn: RouteConn, info: RouteInfo): void {
    const fwd: RouteInfo = { ...info };
    delete fwd.nonce;
    if (!fwd.ip) fwd.ip = routeIP(conn.ip, info.port ?? 0);
    const line = `INFO ${JSON.stringify(fwd)} \r\n`;
    for (const r of this.routes.values()) if (r !== conn && r.remoteId !== info.server_id) r.sendProto(line);
  }

  laterInfo(conn: RouteConn, info: RouteInfo): void {
    if (info.gateway) {
      const gw = gatewayHooks(this.server);
      if (gw) gw.onRouteInfo(info);
      else this.server.log.debug(`${conn.describe()} - gateway INFO for "${info.gateway}" over a route, but gateways are not configured`);
      return;
    }
    if (info.server_id !== conn.remoteId) {
      this.implicitRoute(info);
      return;
    }
    conn.connectURLs = info.ldm ? [] : info.connect_urls ? [...info.connect_urls] : conn.connectURLs;
    if (Array.isArray(info.leafnode_urls)) conn.leafnodeURLs = info.leafnode_urls.filter((u): u is string => typeof u === "string");
    this.updateConnectURLs();
    this.updateLeafURLs();
    if (info.gateway_url) gatewayHooks(this.server)?.onRouteInfo(info);
  }

  /** Gossip about a server we may not know: dial it unless known, configured or self. */
  private implicitRoute(info: RouteInfo): void {
    const s = this.server;
    if (!this.running || info.server_id === s.id || this.remotes.has(info.server_id)) return;
    if (info.host !== undefined && info.port !== undefined) {
      const key = hostKey(info.host, info.port);
      if (this.dialer.isSeed(key)) return;
    }
    if (!info.ip) return;
    let url: RouteURL;
    try {
      url = parseRouteURL(info.ip);
    } catch (e) {
      s.log.error(`Error parsing URL from INFO: ${(e as Error).message}`);
      return;
    }
    const key = hostKey(url.host, url.port);
    if (this.dialer.isDiallingImplicit(key)) return;
    for (const c of this.conns) if (c.url && hostKey(c.url.host, c.url.port) === key) return;
    const a = this.cluster?.authorization;
    if (info.auth_required && a?.user) url = { ...url, user: a.user, pass: a.password ?? "" };
    this.dialer.dialImplicit(url);
  }

  closed(conn: RouteConn): void {
    const s = this.server;
    this.conns.delete(conn);
    const reason = conn.closeReason ?? "Client Closed";
    if (conn.registered) {
      this.routes.delete(conn.cid);
      if (this.remotes.get(conn.remoteId) === conn) this.remotes.delete(conn.remoteId);
      s.log.info(`${conn.describe()} - Router connection closed: ${reason}`);
      this.updateConnectURLs();
      this.updateLeafURLs();
    } else {
      s.log.debug(`${conn.describe()} - Router connection closed: ${reason}`);
    }
    if (!this.running || reason === "Server Shutdown" || reason === "Route Removed") return;
    const seed = this.dialer.seedOf(conn);
    if (seed) {
      seed.conn = null;
      // A handshake that keeps failing (wrong cluster, bad credentials) is retried ever slower.
      if (!conn.registered && reason !== "Duplicate Route") seed.failures++;
    }
    if (reason === "Route To Self") return;
    if (conn.remoteId && this.remotes.has(conn.remoteId)) return;
    const delay = RECONNECT_MS + Math.floor(Math.random() * 100);
    if (seed) {
      this.dialer.schedule(seed, seed.failures > 0 ? backoff(seed.failures) : delay);
    } else if (conn.url && (conn.registered || reason === "Duplicate Route")) {
      this.dialer.redialImplicit(conn.url, conn.remoteId);
    } else if (conn.registered && this.retryOnClose.has(conn) && conn.info?.port) {
      // We kept the peer's connection over our own: now that it dropped, dial it ourselves.
      const url = parseRouteURL(conn.info.ip || routeIP(conn.ip, conn.info.port));
      const a = this.cluster?.authorization;
      this.dialer.redialImplicit(conn.info.auth_required && a?.user ? { ...url, user: a.user, pass: a.password ?? "" } : url, conn.remoteId);
    }
    // Configured seeds that stood back because this peer was already connected dial it now.
    if (conn.registered) {
      for (const sd of this.dialer.seeds.values()) if (sd.remoteId === conn.remoteId && !sd.conn) this.dialer.schedule(sd, delay);
    }
  }

  acceptsInterest(subject: string): boolean {
    return permitted(this.cluster?.permissions?.export, subject);
  }

  // ---- interest -------------------------------------------------------------------------------

  subAdded(account: string, sub: DeliverySub): void {
    if (!isLocalInterest(sub)) return;
    const e = this.interest.add(account, sub);
    if (e) this.broadcast(e);
  }

  subRemoved(account: string, sub: DeliverySub): void {
    if (!isLocalInterest(sub)) return;
    const e = this.interest.remove(account, sub);
    if (e) this.broadcast(e);
  }

  private broadcast(e: InterestEntry): void {
    if (this.routes.size === 0 || !permitted(this.cluster?.permissions?.import, e.subject)) return;
    for (const r of this.routes.values()) r.sendProto(interestLine(e, r.peerLnoc));
  }

  private sendAllInterest(conn: RouteConn): void {
    const imp = this.cluster?.permissions?.import;
    for (const e of this.interest.entries()) if (permitted(imp, e.subject)) conn.sendProto(interestLine(e, conn.peerLnoc));
  }

  // ---- connect_urls ---------------------------------------------------------------------------

  /** The leaf node module advertises every member's leafnode URL to its spokes. */
  private updateLeafURLs(): void {
    setPeerLeafnodeURLs(this.server, mergeURLs([...this.routes.values()].map((r) => r.leafnodeURLs)));
  }

  /**
   * Clients see connect_urls once a peer contributed URLs (as nats-server: a lone member sends
   * none), then this server's own first and every peer's after them.
   */
  private updateConnectURLs(): void {
    if (!this.running) return;
    const peers = this.cluster?.noAdvertise === true ? [] : mergeURLs([...this.routes.values()].map((r) => r.connectURLs));
    if (peers.some((u) => !this.ownURLs.includes(u))) this.peerURLsSeen = true;
    this.server.setConnectURLs(this.peerURLsSeen ? mergeURLs([this.ownURLs, peers]) : []);
  }
}

/**
 * The cluster name the configuration gives: the cluster block's, else the gateway's (a cluster is
 * known to other clusters by its gateway name, and nats-server then treats it as configured,
 * not generated); "" when neither names it.
 */
function configuredClusterName(c: ClusterOptions, server: Server): string {
  return c.name || server.opts.gateway?.name || "";
}
