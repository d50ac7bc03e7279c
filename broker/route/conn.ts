/**
 * One route connection (nats-server 2.9, one route per peer): the route protocol on a socket.
 * It parses the peer's INFO/CONNECT, RS+/RS-/LS+/LS-, RMSG/HMSG/LMSG and PING/PONG, keeps the
 * peer's interest as subscriptions in the account indexes, and writes messages chosen for the
 * peer as one RMSG/HMSG per message with its queue list. Decisions that involve other routes
 * (registration, duplicates, gossip) belong to the `RouteManager`.
 */
import type { Socket } from "net";
import { Parser, Op, ParseError, ParserSink } from "../protocol/parser";
import { Outbound } from "../outbound";
import { InMsg, Deliverer, DeliverySub, Kind } from "../message";
import { isValidSubject } from "../subject";
import type { Server } from "../server";
import type { Client } from "../client";
import { Account, GLOBAL_ACCOUNT } from "../account";
import { RouteInfo, RouteConnect, parseRouteInfo, parseRouteConnect } from "./info";
import type { RouteURL } from "./url";
import { Pinger, PingTarget, pingTarget } from "../peer/pinger";
import { endSocket, WriteDeadline } from "../peer/socket";

const ROUTE_OPS = [
  Op.CONNECT, Op.INFO, Op.PING, Op.PONG, Op.OK, Op.ERR,
  Op.RS_PLUS, Op.RS_MINUS, Op.LS_PLUS, Op.LS_MINUS, Op.RMSG, Op.HMSG, Op.LMSG,
];

const RMSG_ = Buffer.from("RMSG ");
const HMSG_ = Buffer.from("HMSG ");
const LMSG_ = Buffer.from("LMSG ");
const PLUS_ = Buffer.from(" + ");
const PIPE_ = Buffer.from(" |");

/** Arguments a route line may have (queue lists); the control line limit bounds them too. */
const MAX_ROUTE_ARGS = 16384;
/** Route control lines carry queue lists and long INFO; never limit them below this. */
const MIN_ROUTE_CONTROL_LINE = 64 * 1024;

/** Why a route closed, in nats-server's words (logs, and the reconnect decision). */
export type RouteCloseReason =
  | "Client Closed"
  | "Server Shutdown"
  | "Duplicate Route"
  | "Route To Self"
  | "Cluster Name Conflict"
  | "Incorrect Port"
  | "Authentication Failure"
  | "Authentication Timeout"
  | "Protocol Violation"
  | "Parse Error"
  | "Stale Connection"
  | "Read Error"
  | "Route Removed"
  | "Slow Consumer (Pending Bytes)"
  | "Slow Consumer (Write Deadline)";

/** What the route connection asks of the module that owns every route. */
export interface RouteManager {
  readonly server: Server;
  /** The INFO JSON this server sends on a new route (with a fresh nonce). */
  routeInfoJSON(): string;
  /**
   * Accepting side: check the dialer's CONNECT (cluster name, credentials). Returns the -ERR
   * text and close reason to reject it, or null to go on.
   */
  checkConnect(conn: RouteConn, connect: RouteConnect): { err?: string; reason: RouteCloseReason } | null;
  /** First INFO of a route: register it, or close it as a self route or duplicate. */
  firstInfo(conn: RouteConn, info: RouteInfo): void;
  /** A later INFO: an update from the peer, or gossip about another server. */
  laterInfo(conn: RouteConn, info: RouteInfo): void;
  /** The connection closed (subscriptions already removed). */
  closed(conn: RouteConn): void;
  /** Whether the peer may tell us it wants `subject` (cluster export permission). */
  acceptsInterest(subject: string): boolean;
  /** The CONNECT a dialer sends. */
  connectJSON(url: RouteURL): string;
  /** Whether accepted routes must authenticate, and the auth timeout in ms. */
  authTimeoutMs(): number | null;
}

/** The peer's interest in one (account, subject[, queue]): a subscription in our index. */
export class RemoteSub implements DeliverySub {
  /** Queue weight: how many members the peer has (RS+ re-sends it on change). */
  weight = 1;
  readonly accBuf: Buffer;
  readonly queueBuf: Buffer | null;
  /** Monitoring's subscription id: the key the peer's RS+/RS- name it by. */
  readonly sid: string;
  constructor(
    readonly conn: RouteConn,
    readonly account: Account,
    readonly subject: string,
    readonly queue: string | undefined,
    key: string,
    /** The leaf node cluster the interest came from (LS+), if any. */
    readonly origin?: string,
  ) {
    this.sid = key;
    this.accBuf = Buffer.from(account.name, "latin1");
    this.queueBuf = queue === undefined ? null : Buffer.from(queue, "latin1");
  }
}

export class RouteConn implements ParserSink, Deliverer {
  readonly kind = Kind.ROUTER;
  readonly kindName = "Router";
  readonly parser: Parser;
  readonly out = new Outbound(4096);
  /** The peer's interest, keyed by `acc subj[ queue]`. */
  readonly subs = new Map<string, RemoteSub>();
  /** For monitoring (`name` is the peer's server id, as nats-server shows it). */
  readonly opts: { name?: string } = {};
  readonly start = Date.now();
  lastActivity = Date.now();
  inMsgs = 0;
  outMsgs = 0;
  inBytes = 0;
  outBytes = 0;
  closed = false;
  closeReason?: RouteCloseReason;
  dirty = false;
  /**
   * While a routed LMSG is being delivered: the leaf node cluster it came from (a leaf module
   * must not hand it back to that cluster); "" otherwise.
   */
  msgOrigin = "";
  /** Publishers paused because this route's socket is backed up (the server's stall list). */
  stalled: Client[] | null = null;

  /** The peer's server id (from CONNECT, confirmed by its INFO). */
  remoteId = "";
  remoteName = "";
  /** The peer's first INFO, once received. */
  info: RouteInfo | null = null;
  /** Registered with the manager as the route to `remoteId`. */
  registered = false;
  /** The peer's client URLs (INFO connect_urls). */
  connectURLs: string[] = [];
  /** The peer's leafnode URL(s) (INFO leafnode_urls, one at most from a route). */
  leafnodeURLs: string[] = [];
  /** Whether the peer reads headers (HMSG) and leaf-origin protocols (LS+). */
  peerHeaders = true;
  peerLnoc = false;

  private connectReceived = false;
  private readonly msg = new InMsg();
  private readonly queueFilter = new Set<string>();
  /** What `collect` gathered for the message being routed. */
  private collectedAcc: Buffer | null = null;
  private readonly collectedQueues: Buffer[] = [];
  private readonly accountBufs = new Map<string, Buffer>();
  /** Argument layout of the routed message being read. */
  private msgAccArg = 0;
  private msgReplyArg = -1;
  private msgQueueFrom = 0;
  private msgQueueTo = 0;
  private lastAccBuf: Buffer = Buffer.alloc(0);
  private lastAcc: Account | null = null;
  private authTimer: NodeJS.Timeout | null = null;
  private readonly pinger: Pinger;
  /** A peer that stops reading for write_deadline is cut off, as nats-server does. */
  private readonly writeDeadline: WriteDeadline;

  constructor(
    readonly manager: RouteManager,
    readonly sock: Socket,
    readonly cid: number,
    readonly ip: string,
    readonly port: number,
    /** Set when we dialled: the URL we dialled. */
    readonly url: RouteURL | null,
    /** Dialled because it is in the configured routes (not learned by gossip). */
    public isConfigured: boolean,
  ) {
    const mcl = Math.max(manager.server.opts.maxControlLine, MIN_ROUTE_CONTROL_LINE);
    this.parser = new Parser(this, ROUTE_OPS, mcl);
    // RMSG lists every queue group the sender picked us for; nats-server sets no limit.
    this.parser.maxArgs = MAX_ROUTE_ARGS;
    const opts = () => manager.server.opts;
    // the first PING comes soon so /routez has an RTT; fractional ms: a LAN route's RTT is well below 1 ms
    this.pinger = new Pinger(
      this.pingTarget(),
      { firstDelay: () => Math.min(opts().pingInterval, 1000), interval: () => opts().pingInterval, max: () => opts().pingMax },
      () => performance.now(),
    );
    this.writeDeadline = new WriteDeadline(() => sock.writableLength, () => opts().writeDeadline, () => {
      if (this.closed) return;
      this.server.stats.slowConsumers++;
      this.server.log.info(`${this.describe()} - Slow Consumer Detected: WriteDeadline of ${opts().writeDeadline}ms exceeded`);
      this.close("Slow Consumer (Write Deadline)", true);
    });
  }

  private pingTarget(): PingTarget {
    return pingTarget(this, () => this.sendProto("PING\r\n"), () => this.server.log.debug(`${this.describe()} - Stale Route Connection - Closing`));
  }

  /** Round-trip time of the last PING, in ms (fractional). */
  get rtt(): number {
    return this.pinger.rtt;
  }

  get didSolicit(): boolean {
    return this.url !== null;
  }

  get server(): Server {
    return this.manager.server;
  }

  /** Send the opening lines (the dialer's CONNECT first), arm timers, start reading. */
  begin(): void {
    const m = this.manager;
    if (this.url) this.out.ascii(`CONNECT ${m.connectJSON(this.url)}\r\n`);
    this.out.ascii(`INFO ${m.routeInfoJSON()} \r\n`);
    this.flush();
    if (!this.url) {
      const t = m.authTimeoutMs();
      if (t !== null) this.authTimer = setTimeout(() => this.authTimeout(), t);
    }
    this.pinger.start();
    this.sock.on("data", (b: Buffer) => this.onData(b));
    this.sock.on("error", () => this.close("Read Error"));
    this.sock.on("close", () => this.close("Client Closed"));
    this.sock.on("drain", () => this.onDrain());
  }

  /**
   * The server's producer stall takes a receiver with a `stalled` list; a route is one too, so
   * a publisher outrunning the route's socket is paused as it would be for a slow client.
   */
  private asStallable(): Client {
    return this as unknown as Client;
  }

  describe(): string {
    return `${this.ip}:${this.port} - rid:${this.cid}`;
  }

  // ---- input ----------------------------------------------------------------------------------

  private onData(b: Buffer): void {
    this.lastActivity = Date.now();
    this.parser.parse(b);
    this.server.scheduleFlush();
  }

  onParseError(err: ParseError): void {
    if (err === ParseError.UnknownOp) {
      this.sendErr("Unknown Protocol Operation");
      this.close("Parse Error");
    } else if (err === ParseError.ControlLine) {
      this.sendErr("maximum control line exceeded");
      this.close("Protocol Violation");
    } else {
      this.close("Protocol Violation");
    }
  }

  onOp(op: Op, p: Parser): boolean {
    if (this.closed) return false;
    // An accepted route speaks only after its CONNECT proved who it is.
    if (!this.url && !this.connectReceived && op !== Op.CONNECT && this.manager.authTimeoutMs() !== null) {
      this.authViolation();
      return false;
    }
    switch (op) {
      case Op.CONNECT:
        return this.processConnect(p);
      case Op.INFO:
        return this.processInfo(p);
      case Op.PING:
        this.out.ascii("PONG\r\n");
        this.markDirty();
        return true;
      case Op.PONG:
        this.pinger.pong();
        return true;
      case Op.OK:
        return true;
      case Op.ERR:
        this.server.log.error(`${this.describe()} - Route Error ${p.rest()}`);
        this.close("Parse Error");
        return false;
      case Op.RS_PLUS:
        return this.processSub(p, false);
      case Op.LS_PLUS:
        return this.processSub(p, true);
      case Op.RS_MINUS:
      case Op.LS_MINUS:
        return this.processUnsub(p);
    }
    this.sendErr("Unknown Protocol Operation");
    this.close("Parse Error");
    return false;
  }

  private processConnect(p: Parser): boolean {
    if (this.url || this.connectReceived) {
      this.protocolViolation("unexpected CONNECT");
      return false;
    }
    const c = parseRouteConnect(p.rest());
    if (typeof c === "string") {
      this.protocolViolation(`invalid route CONNECT: ${c}`);
      return false;
    }
    if (c.lang !== undefined) {
      this.sendErr("attempted to connect to route port");
      this.close("Incorrect Port");
      return false;
    }
    const rejected = this.manager.checkConnect(this, c);
    if (rejected) {
      if (rejected.err) this.sendErr(rejected.err);
      this.close(rejected.reason);
      return false;
    }
    if (this.authTimer) {
      clearTimeout(this.authTimer);
      this.authTimer = null;
    }
    this.connectReceived = true;
    this.remoteId = c.name ?? "";
    this.opts.name = c.name;
    this.peerLnoc = c.lnoc === true;
    this.peerHeaders = c.headers !== false;
    return true;
  }

  private processInfo(p: Parser): boolean {
    const info = parseRouteInfo(p.rest());
    if (typeof info === "string") {
      this.protocolViolation(`invalid route INFO: ${info}`);
      return false;
    }
    if (this.info === null) {
      this.info = info;
      this.remoteId = info.server_id;
      this.remoteName = info.server_name ?? "";
      this.opts.name = info.server_id;
      this.peerLnoc = info.lnoc === true;
      this.peerHeaders = info.headers !== false;
      this.connectURLs = info.connect_urls ? [...info.connect_urls] : [];
      if (Array.isArray(info.leafnode_urls)) this.leafnodeURLs = info.leafnode_urls.filter((u): u is string => typeof u === "string");
      this.manager.firstInfo(this, info);
    } else {
      this.manager.laterInfo(this, info);
    }
    return !this.closed;
  }

  /** `RS+ <acc> <subj> [<queue> <weight>]`, `LS+ <origin> <acc> <subj> [<queue> <weight>]`. */
  private processSub(p: Parser, hasOrigin: boolean): boolean {
    const off = hasOrigin ? 1 : 0;
    const n = p.argc - off;
    if (n !== 2 && n !== 4) {
      this.protocolViolation(`malformed ${hasOrigin ? "LS+" : "RS+"}`);
      return false;
    }
    const accName = p.str(off);
    const subject = p.str(off + 1);
    const queue = n === 4 ? p.str(off + 2) : undefined;
    const weight = n === 4 ? p.int(off + 3) : 1;
    if (!isValidSubject(subject) || weight < 0) {
      this.server.log.debug(`${this.describe()} - ignoring invalid remote subscription ${JSON.stringify(subject)}`);
      return true;
    }
    if (!this.manager.acceptsInterest(subject)) return true;
    const key = queue === undefined ? `${accName} ${subject}` : `${accName} ${subject} ${queue}`;
    const existing = this.subs.get(key);
    if (existing) {
      // A queue's RS+ again is a weight update, not a new subscription.
      existing.weight = weight;
      return true;
    }
    const acc = this.server.account(accName);
    const sub = new RemoteSub(this, acc, subject, queue, key, hasOrigin ? p.str(0) : undefined);
    sub.weight = weight;
    this.subs.set(key, sub);
    this.server.addSub(acc, sub);
    return true;
  }

  /** `RS- <acc> <subj> [<queue>]` (LS- has the same arguments). */
  private processUnsub(p: Parser): boolean {
    if (p.argc !== 2 && p.argc !== 3) {
      this.protocolViolation("malformed RS-");
      return false;
    }
    const key = p.argc === 2 ? `${p.str(0)} ${p.str(1)}` : `${p.str(0)} ${p.str(1)} ${p.str(2)}`;
    const sub = this.subs.get(key);
    if (!sub) return true;
    this.subs.delete(key);
    this.server.removeSub(sub.account, sub);
    return true;
  }

  /**
   * RMSG `<acc> <subj> [reply | + reply q.. | | q..] <size>`; HMSG adds `<hdr>` before the
   * size; LMSG is HMSG with the origin cluster first.
   */
  onMsgArgs(op: Op, p: Parser): number {
    if (this.closed) return -1;
    if (!this.url && !this.connectReceived && this.manager.authTimeoutMs() !== null) {
      this.authViolation();
      return -1;
    }
    const off = op === Op.LMSG ? 1 : 0;
    const withHdr = op !== Op.RMSG;
    const fixed = off + 2 + (withHdr ? 2 : 1); // account, subject, [hdr], size
    const argc = p.argc;
    if (op !== Op.RMSG && op !== Op.HMSG && op !== Op.LMSG) return this.badMsg(op);
    if (argc < fixed) return this.badMsg(op);
    this.msgAccArg = off;
    const extra = argc - fixed;
    if (extra === 0) {
      this.msgReplyArg = -1;
      this.msgQueueFrom = this.msgQueueTo = 0;
    } else if (extra === 1) {
      this.msgReplyArg = off + 2;
      this.msgQueueFrom = this.msgQueueTo = 0;
    } else {
      const ind = off + 2;
      if (p.ae[ind] - p.as[ind] !== 1) return this.badMsg(op);
      const c = p.line[p.as[ind]];
      if (c === 43 /* + */) {
        if (extra < 3) return this.badMsg(op);
        this.msgReplyArg = ind + 1;
        this.msgQueueFrom = ind + 2;
      } else if (c === 124 /* | */) {
        this.msgReplyArg = -1;
        this.msgQueueFrom = ind + 1;
      } else {
        return this.badMsg(op);
      }
      this.msgQueueTo = argc - (withHdr ? 2 : 1);
    }
    const size = p.int(argc - 1);
    if (size < 0) return this.badMsg(op);
    const m = this.msg;
    if (withHdr) {
      const hdr = p.int(argc - 2);
      if (hdr < 0 || hdr > size) return this.badMsg(op);
      m.hdr = hdr > 0 ? hdr : -1;
    } else {
      m.hdr = -1;
    }
    return size;
  }

  onMsgPayload(op: Op, p: Parser, buf: Buffer, start: number, end: number): boolean {
    if (this.closed) return false;
    const m = this.msg;
    const line = p.line;
    const a = this.msgAccArg;
    m.line = line;
    m.ss = p.as[a + 1];
    m.se = p.ae[a + 1];
    if (this.msgReplyArg >= 0) {
      m.rs = p.as[this.msgReplyArg];
      m.re = p.ae[this.msgReplyArg];
    } else {
      m.rs = m.re = 0;
    }
    m.data = buf;
    m.ds = start;
    m.de = end;
    m.subject = line.toString("latin1", m.ss, m.se);
    m.reply = m.re > m.rs ? line.toString("latin1", m.rs, m.re) : "";
    this.inMsgs++;
    this.inBytes += end - start;
    const s = this.server;
    s.stats.inMsgs++;
    s.stats.inBytes += end - start;
    const acc = this.accountFor(line, p.as[a], p.ae[a]);
    // Without a queue list the sender served every queue group itself: deliver to none here.
    const qf = this.queueFilter;
    qf.clear();
    for (let i = this.msgQueueFrom; i < this.msgQueueTo; i++) qf.add(line.toString("latin1", p.as[i], p.ae[i]));
    if (op === Op.LMSG) {
      this.msgOrigin = line.toString("latin1", p.as[0], p.ae[0]);
      try {
        s.routeMessage(this, acc, m, qf);
      } finally {
        this.msgOrigin = "";
      }
    } else {
      s.routeMessage(this, acc, m, qf);
    }
    return !this.closed;
  }

  /** The account named by line[s..e), remembering the last one (peers mostly use one). */
  private accountFor(line: Buffer, s: number, e: number): Account {
    const last = this.lastAccBuf;
    if (this.lastAcc && e - s === last.length) {
      let same = true;
      for (let i = 0; i < last.length; i++) {
        if (line[s + i] !== last[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastAcc;
    }
    this.lastAccBuf = Buffer.from(line.subarray(s, e));
    this.lastAcc = this.server.account(line.toString("latin1", s, e));
    return this.lastAcc;
  }

  private badMsg(op: Op): number {
    this.protocolViolation(`malformed ${op === Op.RMSG ? "RMSG" : op === Op.HMSG ? "HMSG" : op === Op.LMSG ? "LMSG" : "message"}`);
    return -1;
  }

  // ---- output ---------------------------------------------------------------------------------

  /** Routes never take per-subscription delivery: `collect` / `flushCollected` instead. */
  deliver(sub: DeliverySub, m: InMsg): boolean {
    this.collect(sub, m);
    return this.flushCollected(m);
  }

  collect(sub: DeliverySub, _m: InMsg): void {
    if (sub instanceof RemoteSub) {
      this.collectedAcc = sub.accBuf;
      // A plain match needs nothing more: the message goes once, queue list or not.
      if (sub.queueBuf !== null) this.collectedQueues.push(sub.queueBuf);
      return;
    }
    // Another module sending through this route (gateway replies) with a subscription of its own.
    const acc = (sub as { account?: unknown }).account;
    const name = typeof acc === "string" ? acc : acc instanceof Account ? acc.name : GLOBAL_ACCOUNT;
    this.collectedAcc = this.nameBuf(name);
    if (sub.queue !== undefined) this.collectedQueues.push(Buffer.from(sub.queue, "latin1"));
  }

  /** Send `m` to the peer for `account` as a plain message (no queue list). */
  sendMessage(account: string, m: InMsg): boolean {
    this.collectedAcc = this.nameBuf(account);
    return this.flushCollected(m);
  }

  private nameBuf(name: string): Buffer {
    let b = this.accountBufs.get(name);
    if (!b) this.accountBufs.set(name, (b = Buffer.from(name, "latin1")));
    return b;
  }

  flushCollected(m: InMsg): boolean {
    const acc = this.collectedAcc;
    const queues = this.collectedQueues;
    this.collectedAcc = null;
    if (this.closed || acc === null) {
      queues.length = 0;
      return false;
    }
    const out = this.out;
    let ds = m.ds;
    const origin = this.leafOrigin();
    // A message from a leaf node goes as LMSG with its origin cluster, headers or not.
    const withHdr = origin !== null || (m.hdr >= 0 && this.peerHeaders);
    if (!withHdr && m.hdr > 0) ds += m.hdr;
    if (origin !== null) {
      out.bytes(LMSG_, 0, 5);
      out.bytes(origin, 0, origin.length);
      out.byte(32);
    } else if (withHdr) {
      out.bytes(HMSG_, 0, 5);
    } else {
      out.bytes(RMSG_, 0, 5);
    }
    out.bytes(acc, 0, acc.length);
    out.byte(32);
    out.bytes(m.line, m.ss, m.se);
    const hasReply = m.re > m.rs;
    if (queues.length > 0) {
      if (hasReply) {
        out.bytes(PLUS_, 0, 3);
        out.bytes(m.line, m.rs, m.re);
      } else {
        out.bytes(PIPE_, 0, 2);
      }
      for (let i = 0; i < queues.length; i++) {
        out.byte(32);
        out.bytes(queues[i], 0, queues[i].length);
      }
      queues.length = 0;
    } else if (hasReply) {
      out.byte(32);
      out.bytes(m.line, m.rs, m.re);
    }
    out.byte(32);
    if (withHdr) {
      out.int(m.hdr > 0 ? m.hdr : 0);
      out.byte(32);
    }
    out.int(m.de - ds);
    out.crlf();
    out.bytes(m.data, ds, m.de);
    out.crlf();
    this.outMsgs++;
    this.outBytes += m.de - ds;
    if (!this.dirty) this.markDirty();
    if (out.len + this.sock.writableLength > this.server.opts.maxPending) {
      this.server.stats.slowConsumers++;
      this.server.log.info(`${this.describe()} - Slow Consumer Detected: route pending bytes over max_pending`);
      this.out.clear();
      this.close("Slow Consumer (Pending Bytes)", true);
      return false;
    }
    if (this.sock.writableLength > this.server.stallThreshold) this.server.stallProducer(this.asStallable());
    return true;
  }

  /**
   * The origin cluster of the message being routed when it came from a leaf node that named
   * its cluster, for a peer that reads LMSG (lnoc); null otherwise.
   */
  private leafOrigin(): Buffer | null {
    if (!this.peerLnoc) return null;
    const from = this.server.routingFrom;
    if (from === null || from.kind !== Kind.LEAF) return null;
    const rc = (from as { remoteCluster?: unknown }).remoteCluster;
    if (typeof rc !== "string" || rc === "") return null;
    return this.nameBuf(rc);
  }

  /** Queue a protocol line (RS+/RS-, INFO...). */
  sendProto(line: string): void {
    if (this.closed) return;
    this.out.ascii(line);
    this.markDirty();
  }

  sendErr(text: string): void {
    this.sendProto(`-ERR '${text}'\r\n`);
  }

  markDirty(): void {
    if (this.dirty || this.closed) return;
    this.dirty = true;
    this.server.dirty.push(this);
    this.server.scheduleFlush();
  }

  flush(): void {
    this.dirty = false;
    const b = this.out.take();
    if (!b || this.sock.destroyed) return;
    this.sock.write(b);
    if (this.sock.writableLength > 0) this.writeDeadline.arm();
  }

  private onDrain(): void {
    this.writeDeadline.clear();
    this.server.resumeStalled(this.asStallable());
  }

  get pendingBytes(): number {
    return this.out.len + this.sock.writableLength;
  }

  // ---- liveness -------------------------------------------------------------------------------

  private authTimeout(): void {
    this.authTimer = null;
    if (this.connectReceived || this.closed) return;
    this.sendErr("Authentication Timeout");
    this.close("Authentication Timeout");
  }

  authViolation(): void {
    this.server.log.error(`${this.describe()} - authentication error`);
    this.sendErr("Authorization Violation");
    this.close("Authentication Failure");
  }

  private protocolViolation(why: string): void {
    this.server.log.error(`${this.describe()} - ${why}`);
    this.close("Protocol Violation");
  }

  // ---- teardown -------------------------------------------------------------------------------

  /** Close: flush what is pending (an -ERR) unless `drop`, remove the peer's interest. */
  close(reason: RouteCloseReason, drop = false): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.parser.stop();
    this.pinger.stop();
    this.writeDeadline.clear();
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    const pending = drop ? null : this.out.take();
    this.out.clear();
    endSocket(this.sock, pending);
    for (const sub of this.subs.values()) this.server.removeSub(sub.account, sub);
    this.subs.clear();
    this.server.resumeStalled(this.asStallable());
    this.manager.closed(this);
  }
}
