/**
 * A client connection: the client protocol (reference section 1) on one socket.
 * Bytes -> Parser -> ops here -> the account's subject index -> receivers' Outbound buffers.
 */
import type { Socket } from "net";
import { Parser, Op, ParseError, ParserSink } from "./protocol/parser";
import { Outbound } from "./outbound";
import { InMsg, Deliverer, Kind } from "./message";
import { isValidSubject, isValidLiteralSubject } from "./subject";
import type { Server } from "./server";
import type { Account } from "./account";
import { asStream, upgradeClient, whenClientSpeaks } from "./tls/client";
import type { LoadedTls } from "./tls";
import { ClientPermissions, pubViolation, subViolation, isReservedReply, replyViolation } from "./permissions";
import { clientGone } from "./auth/session";
import { Pinger, pingTarget } from "./peer/pinger";
import { endSocket, WriteDeadline } from "./peer/socket";
import { traceIn, traceOut, tracePayload } from "./trace";
import { MappedSubject, Remapper } from "./accounts/mapping";

const CLIENT_OPS = [Op.CONNECT, Op.PUB, Op.HPUB, Op.SUB, Op.UNSUB, Op.PING, Op.PONG, Op.OK, Op.ERR, Op.INFO];

const MSG_ = Buffer.from("MSG ");
const HMSG_ = Buffer.from("HMSG ");
const NO_RESPONDERS = Buffer.from(" 16 16\r\nNATS/1.0 503\r\n\r\n\r\n");
const GR_PREFIX = "_GR_.";

/** CONNECT fields we read, with their JSON types. */
const CONNECT_FIELDS: ReadonlyArray<readonly [string, "boolean" | "string" | "number"]> = [
  ["verbose", "boolean"], ["pedantic", "boolean"], ["echo", "boolean"], ["headers", "boolean"],
  ["no_responders", "boolean"], ["tls_required", "boolean"], ["new_account", "boolean"],
  ["name", "string"], ["lang", "string"], ["version", "string"], ["user", "string"], ["pass", "string"],
  ["auth_token", "string"], ["nkey", "string"], ["jwt", "string"], ["sig", "string"], ["account", "string"],
  ["protocol", "number"],
];

/** CONNECT options as the client sent them (defaults as nats-server: verbose/pedantic/echo true). */
export interface ConnectOptions {
  verbose: boolean;
  pedantic: boolean;
  echo: boolean;
  tls_required?: boolean;
  headers: boolean;
  no_responders: boolean;
  protocol: number;
  name?: string;
  lang?: string;
  version?: string;
  user?: string;
  pass?: string;
  auth_token?: string;
  nkey?: string;
  jwt?: string;
  sig?: string;
  account?: string;
  new_account?: boolean;
}

export class ClientSub {
  /** Times delivered, for UNSUB max. */
  delivered = 0;
  /** Auto-unsubscribe after this many deliveries (0 = never). */
  max = 0;
  readonly sidBuf: Buffer;
  constructor(
    readonly conn: Client,
    readonly subject: string,
    readonly queue: string | undefined,
    readonly sid: string,
  ) {
    this.sidBuf = Buffer.from(sid, "latin1");
  }
}

/** Why a connection closed, with nats-server's wording for /connz. */
export type CloseReason =
  | "Client Closed"
  | "Server Shutdown"
  | "Authentication Timeout"
  | "Authentication Failure"
  | "Protocol Violation"
  | "Parse Error"
  | "Maximum Payload Exceeded"
  | "Maximum Control Line Exceeded"
  | "Maximum Connections Exceeded"
  | "Slow Consumer (Pending Bytes)"
  | "Slow Consumer (Write Deadline)"
  | "Stale Connection"
  | "Write Error"
  | "Read Error"
  | "Lame Duck Mode"
  | "Authentication Expired"
  | "TLS Handshake Error"
  | "TLS Handshake Failure"
  | "Secure Connection - TLS Required"
  | "Maximum Account Connections Exceeded"
  | "Credentials Revoked";

export class Client implements ParserSink, Deliverer {
  readonly kind = Kind.CLIENT;
  readonly kindName = "Client";
  readonly parser: Parser;
  readonly out = new Outbound(1024);
  readonly subs = new Map<string, ClientSub>();
  opts: ConnectOptions = {
    verbose: true,
    pedantic: true,
    echo: true,
    headers: false,
    no_responders: false,
    protocol: 0,
  };
  account: Account;
  user?: string;
  /** The user's permissions (null: unrestricted). */
  perms: ClientPermissions | null = null;
  /** Nonce sent in INFO for nkey/JWT signatures. */
  nonce?: string;
  /** Per-user limits from JWTs (-1: only the server's setting applies). */
  limitSubs = -1;
  limitPayload = -1;
  connectReceived = false;
  closed = false;
  closeReason?: CloseReason;
  /** Set in /connz: when it closed (ms epoch). */
  stopTime?: number;
  readonly start = Date.now();
  lastActivity = Date.now();
  inMsgs = 0;
  outMsgs = 0;
  inBytes = 0;
  outBytes = 0;
  /** In the server's dirty list, awaiting a flush. */
  dirty = false;
  /** Producers paused because this connection's socket is backed up. */
  stalled: Client[] | null = null;

  private readonly msg = new InMsg();
  /** The mapped copy of published messages, once the account has mappings. */
  private remapper: Remapper | null = null;
  /**
   * nats-server's client pings: the first within 2 s (jittered, so a reconnect storm does not
   * ping in step), then every ping_interval, skipped while the client is active once its RTT
   * is known.
   */
  private readonly pinger: Pinger = new Pinger(pingTarget(this, () => this.sendOutOfBand("PING\r\n"), () => this.server.log.debug(`${this.describe()} - Stale Client Connection - Closing`)), {
    firstDelay: () => {
      const d = Math.min(this.server.opts.pingInterval, 2000);
      return d + Math.floor(Math.random() * (d / 5));
    },
    interval: () => this.server.opts.pingInterval,
    max: () => this.server.opts.pingMax,
    skip: (): boolean => {
      const now = Date.now();
      const interval = this.server.opts.pingInterval;
      return this.pinger.rtt !== 0 && (now - this.lastActivity < interval || now - this.lastPingIn < interval);
    },
  });
  private readonly writeDeadline = new WriteDeadline(
    () => this.sock.writableLength,
    () => this.server.opts.writeDeadline,
    () => this.slowConsumer("Slow Consumer (Write Deadline)"),
  );
  private lastPingIn = 0;
  private authTimer: NodeJS.Timeout | null = null;
  private firstPongSent = false;
  /** connect_urls changed before the client could take an async INFO. */
  infoPending = false;
  /** Memo of the last published subject's match, valid while the index's genId holds. */
  private lastSubj: Buffer = Buffer.alloc(0);
  private lastSubjStr = "";

  constructor(
    readonly server: Server,
    /** The TCP socket, replaced by its TLSSocket once a TLS handshake completes. */
    public sock: Socket,
    readonly cid: number,
    readonly ip: string,
    readonly port: number,
  ) {
    this.account = server.globalAccount;
    this.parser = new Parser(this, CLIENT_OPS, server.opts.maxControlLine);
  }

  /** Called once the socket is set up: INFO, the TLS handshake if required, timers, reads. */
  start_(): void {
    const s = this.server;
    const t = s.clientTls;
    // `handshake_first` (nats-server 2.10): TLS before any byte of protocol, INFO included.
    if (t?.opts.handshakeFirst) {
      upgradeClient(this, t, (secure) => {
        this.sock = secure;
        this.out.ascii(s.infoLineFor(this));
        this.flush();
        this.begin();
      });
      return;
    }
    this.out.ascii(s.infoLineFor(this));
    this.flush();
    const upgrade = (t: LoadedTls) =>
      upgradeClient(this, t, (secure) => {
        this.sock = secure;
        this.begin();
      });
    // As nats-server, auth and ping timers start only once TLS is up.
    if (t && s.opts.allowNonTls) {
      whenClientSpeaks(this.sock, t.timeoutMs, (first) => {
        if (first?.[0] !== 0x16) return this.begin();
        this.sock = asStream(this.sock);
        upgrade(t);
      });
    } else if (t) upgrade(t);
    else this.begin();
  }

  private begin(): void {
    const s = this.server;
    if (s.authRequired()) {
      const t = s.authTimeoutMs();
      this.authTimer = setTimeout(() => this.authTimeout(), t);
    }
    this.pinger.start();
    this.sock.on("data", (b: Buffer) => this.onData(b));
    this.sock.on("error", () => this.close("Read Error"));
    this.sock.on("close", () => this.close("Client Closed"));
    this.sock.on("drain", () => this.onDrain());
  }

  // ---- input ----------------------------------------------------------------------------------

  private onData(b: Buffer): void {
    this.lastActivity = Date.now();
    this.parser.parse(b);
    this.server.scheduleFlush();
  }

  onParseError(err: ParseError): void {
    switch (err) {
      case ParseError.ControlLine:
        this.sendErr("maximum control line exceeded");
        this.close("Maximum Control Line Exceeded");
        return;
      case ParseError.BadArgs:
        this.close("Protocol Violation");
        return;
      default:
        this.sendErr("Unknown Protocol Operation");
        this.close("Parse Error");
    }
  }

  onOp(op: Op, p: Parser): boolean {
    if (this.closed) return false;
    if (this.server.log.traceEnabled) traceIn(this, p);
    if (op !== Op.CONNECT && !this.connectReceived && this.server.authRequired() && !this.admitWithoutConnect()) return false;
    switch (op) {
      case Op.CONNECT:
        return this.processConnect(p);
      case Op.SUB:
        return this.processSub(p);
      case Op.UNSUB:
        return this.processUnsub(p);
      case Op.PING:
        return this.processPing();
      case Op.PONG:
        this.pinger.pong();
        return true;
      case Op.OK:
        return true;
      case Op.INFO:
        // A client's INFO is ignored, but like nats-server it must at least be JSON.
        if (!isJsonObject(p.rest())) {
          this.close("Protocol Violation");
          return false;
        }
        return true;
      case Op.ERR:
        this.server.log.debug(`${this.describe()} - Client sent -ERR: ${p.rest()}`);
        this.close("Protocol Violation");
        return false;
    }
    this.sendErr("Unknown Protocol Operation");
    this.close("Parse Error");
    return false;
  }

  onMsgArgs(op: Op, p: Parser): number {
    if (this.closed) return -1;
    if (this.server.log.traceEnabled) traceIn(this, p);
    if (!this.connectReceived && this.server.authRequired() && !this.admitWithoutConnect()) return -1;
    const m = this.msg;
    let size: number;
    if (op === Op.HPUB) {
      if (!this.opts.headers) {
        this.close("Protocol Violation");
        return -1;
      }
      // HPUB <subj> [reply] <hdr> <total>
      if (p.argc !== 3 && p.argc !== 4) return this.badArgs();
      const hdr = p.int(p.argc - 2);
      size = p.int(p.argc - 1);
      if (hdr < 0 || size < 0 || hdr > size) return this.badArgs();
      // A zero header length is a plain message (nats-server delivers it as MSG).
      m.hdr = hdr > 0 ? hdr : -1;
    } else {
      // PUB <subj> [reply] <size>
      if (p.argc !== 2 && p.argc !== 3) return this.badArgs();
      size = p.int(p.argc - 1);
      if (size < 0) return this.badArgs();
      m.hdr = -1;
    }
    if (size > this.server.opts.maxPayload || (this.limitPayload >= 0 && size > this.limitPayload)) {
      this.sendErr("Maximum Payload Violation");
      this.close("Maximum Payload Exceeded");
      return -1;
    }
    // nats-server checks the subject on the PUB line, before the payload; the message is
    // still delivered.
    if (this.opts.pedantic && !isValidLiteralSubject(p.str(0))) this.sendErr("Invalid Publish Subject");
    return size;
  }

  onMsgPayload(op: Op, p: Parser, buf: Buffer, start: number, end: number): boolean {
    if (this.closed) return false;
    if (this.server.log.traceEnabled) tracePayload(this, buf, start, end);
    const m = this.msg;
    const line = p.line;
    m.line = line;
    m.ss = p.as[0];
    m.se = p.ae[0];
    const hasReply = p.argc === (op === Op.HPUB ? 4 : 3);
    if (hasReply) {
      m.rs = p.as[1];
      m.re = p.ae[1];
    } else {
      m.rs = m.re = 0;
    }
    m.data = buf;
    m.ds = start;
    m.de = end;
    m.subject = this.subjectString(line, m.ss, m.se);
    m.reply = hasReply ? line.toString("latin1", m.rs, m.re) : "";
    this.inMsgs++;
    this.inBytes += end - start;
    const s = this.server;
    s.stats.inMsgs++;
    s.stats.inBytes += end - start;
    // Subject mappings first: as in nats-server, every check below sees the mapped subject.
    const mapper = this.account.mappings;
    if (mapper !== null) {
      const to = mapper.map(m.subject);
      if (to !== null) return this.publishMapped(m, to);
    }
    return this.publish(m);
  }

  /** A message whose subject a mapping changed ("" when its weights left it nowhere). */
  private publishMapped(orig: InMsg, to: MappedSubject): boolean {
    if (to.subject === "") {
      if (this.opts.verbose) this.sendOK();
      if (orig.re > orig.rs && this.opts.no_responders) this.noResponders(orig);
      return !this.closed;
    }
    return this.publish((this.remapper ??= new Remapper()).apply(orig, to));
  }

  /** Checks, then delivery, of a published message. */
  private publish(m: InMsg): boolean {
    const s = this.server;
    const hasReply = m.re > m.rs;
    if (m.subject.startsWith(GR_PREFIX)) {
      this.sendErr(`Permissions Violation for Publish to "${m.subject}"`);
      return true;
    }
    // A denied publish is dropped; the connection stays.
    if (this.perms !== null && !this.perms.canPublish(m.subject)) {
      this.sendErr(pubViolation(m.subject));
      s.log.error(`${this.describe()} - Publish Violation - User ${JSON.stringify(this.user ?? "")}, Subject ${JSON.stringify(m.subject)}`);
      return true;
    }
    // Replies the server itself hands out (service imports, JetStream acks, gateways) cannot be forged.
    if (hasReply && isReservedReply(m.reply)) {
      this.sendErr(replyViolation(m.reply));
      return true;
    }
    if (this.opts.verbose) this.sendOK();
    // A response to a request that came over a gateway goes straight back to its cluster.
    const rr = s.replyRouter;
    if (rr !== undefined && rr.active && rr.published(this, this.account.name, m)) return !this.closed;
    const delivered = s.routeMessage(this, this.account, m);
    if (delivered === 0 && hasReply && this.opts.no_responders) this.noResponders(m);
    return !this.closed;
  }

  /**
   * The subject string, reusing the last one when a publisher repeats a subject (the common
   * case), so steady publishing allocates no strings.
   */
  private subjectString(line: Buffer, s: number, e: number): string {
    const last = this.lastSubj;
    const n = e - s;
    if (n === last.length) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (line[s + i] !== last[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastSubjStr;
    }
    if (n <= 256) {
      if (last.length < n || last.length > n) this.lastSubj = Buffer.allocUnsafe(n);
      line.copy(this.lastSubj, 0, s, e);
      this.lastSubjStr = line.toString("latin1", s, e);
      return this.lastSubjStr;
    }
    return line.toString("latin1", s, e);
  }

  private badArgs(): number {
    this.close("Protocol Violation");
    return -1;
  }

  /**
   * An op before CONNECT on a server that wants credentials: with no_auth_user the client is
   * that user (as nats-server allows, for telnet-style use); otherwise 'Authorization Violation'.
   */
  private admitWithoutConnect(): boolean {
    const account = this.server.opts.noAuthUser ? this.server.authenticate(this, this.opts) : undefined;
    if (!account) {
      this.authViolation();
      return false;
    }
    this.account = account;
    this.connectReceived = true;
    if (this.authTimer) {
      clearTimeout(this.authTimer);
      this.authTimer = null;
    }
    return true;
  }

  private processConnect(p: Parser): boolean {
    let parsed: Record<string, unknown>;
    try {
      const v = JSON.parse(p.rest());
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
      parsed = v as Record<string, unknown>;
    } catch {
      this.server.log.error(`${this.describe()} - Invalid CONNECT JSON: ${truncate(p.rest(), 128)}`);
      this.close("Protocol Violation");
      return false;
    }
    // Like Go's json.Unmarshal into typed fields: a wrong type fails the CONNECT (closed with no
    // -ERR), null leaves the default.
    const wrongType = CONNECT_FIELDS.find(([k, t]) => parsed[k] !== undefined && parsed[k] !== null && typeof parsed[k] !== t);
    if (wrongType || (typeof parsed.protocol === "number" && !Number.isInteger(parsed.protocol))) {
      this.server.log.error(`${this.describe()} - CONNECT field "${wrongType?.[0] ?? "protocol"}" has the wrong type`);
      this.close("Protocol Violation");
      return false;
    }
    const o = this.opts as unknown as Record<string, unknown>;
    for (const [k] of CONNECT_FIELDS) if (parsed[k] !== undefined && parsed[k] !== null) o[k] = parsed[k];
    // headers need both ends (nats-server: server support and the client's CONNECT)
    if (this.server.opts.noHeaderSupport) this.opts.headers = false;
    if (this.opts.protocol !== 0 && this.opts.protocol !== 1) {
      this.sendErr("invalid client protocol");
      this.close("Protocol Violation");
      return false;
    }
    if (this.opts.no_responders && !this.opts.headers) {
      this.sendErr("no responders requires headers support");
      this.close("Protocol Violation");
      return false;
    }
    // nats-server authenticates every CONNECT that carries credentials, not just the first.
    const credentials = CREDENTIAL_FIELDS.some((k) => typeof parsed[k] === "string");
    if (this.server.authRequired() && (!this.connectReceived || credentials)) {
      const account = this.server.authenticate(this, this.opts);
      if (!account) {
        this.authViolation();
        return false;
      }
      // A later CONNECT keeps the connection in its first account (as nats-server keeps its subscriptions).
      if (!this.connectReceived) this.account = account;
    }
    if (this.authTimer) {
      clearTimeout(this.authTimer);
      this.authTimer = null;
    }
    this.connectReceived = true;
    // Credentials are not kept past authentication.
    this.opts.pass = undefined;
    this.opts.auth_token = undefined;
    if (this.opts.verbose) this.sendOK();
    return true;
  }

  private processSub(p: Parser): boolean {
    if (p.argc !== 2 && p.argc !== 3) {
      this.close("Protocol Violation");
      return false;
    }
    const subject = p.str(0);
    const queue = p.argc === 3 ? p.str(1) : undefined;
    const sid = p.str(p.argc - 1);
    // nats-server checks permissions before the subject's validity and the subscription limit.
    if (this.perms !== null && !this.perms.canSubscribe(subject, queue)) {
      this.sendErr(subViolation(subject, queue));
      this.server.log.error(`${this.describe()} - Subscription Violation - User ${JSON.stringify(this.user ?? "")}, Subject ${JSON.stringify(subject)}, SID ${sid}`);
      return true;
    }
    if (!isValidSubject(subject) || (queue !== undefined && !isValidQueue(queue))) {
      this.sendErr("Invalid Subject");
      return true;
    }
    const so = this.server.opts.maxSubscriptions;
    const max = this.limitSubs >= 0 && (so === 0 || this.limitSubs < so) ? this.limitSubs : so > 0 ? so : -1;
    if (max >= 0 && this.subs.size >= max) {
      this.sendErr("maximum subscriptions exceeded");
      return true;
    }
    if (!this.subs.has(sid)) {
      const sub = new ClientSub(this, subject, queue, sid);
      this.subs.set(sid, sub);
      this.server.addSub(this.account, sub);
    }
    if (this.opts.verbose) this.sendOK();
    return true;
  }

  private processUnsub(p: Parser): boolean {
    if (p.argc !== 1 && p.argc !== 2) {
      this.close("Protocol Violation");
      return false;
    }
    const sid = p.str(0);
    const max = p.argc === 2 ? p.int(1) : -1;
    const sub = this.subs.get(sid);
    if (sub) {
      if (max > 0 && sub.delivered < max) sub.max = max;
      else this.removeSub(sub);
    }
    if (this.opts.verbose) this.sendOK();
    return true;
  }

  removeSub(sub: ClientSub): void {
    if (this.subs.get(sub.sid) !== sub) return;
    this.subs.delete(sub.sid);
    this.server.removeSub(this.account, sub);
  }

  private processPing(): boolean {
    if (this.server.log.traceEnabled) traceOut(this, "PONG");
    this.out.ascii("PONG\r\n");
    this.markDirty();
    this.lastPingIn = Date.now();
    if (!this.connectReceived) return true;
    if (!this.firstPongSent) {
      this.firstPongSent = true;
      if (this.opts.protocol >= 1 && this.infoPending) {
        this.infoPending = false;
        this.out.ascii(this.server.infoLineFor(this, true));
      }
    }
    return true;
  }

  /** Async INFO (connect_urls change, lame duck) to protocol-1 clients after their first PONG. */
  sendAsyncInfo(line: string): void {
    if (this.closed || this.opts.protocol < 1) return;
    if (!this.firstPongSent) {
      this.infoPending = true;
      return;
    }
    this.out.ascii(line);
    this.markDirty();
  }

  private noResponders(m: InMsg): void {
    const sub = this.server.findOwnSub(this, m.reply);
    if (!sub) return;
    const out = this.out;
    out.bytes(HMSG_, 0, HMSG_.length);
    out.bytes(m.line, m.rs, m.re);
    out.byte(32);
    out.bytes(sub.sidBuf, 0, sub.sidBuf.length);
    out.bytes(NO_RESPONDERS, 0, NO_RESPONDERS.length);
    this.markDirty();
  }

  // ---- output ---------------------------------------------------------------------------------

  deliver(sub: ClientSub, m: InMsg): boolean {
    if (this.closed) return false;
    const perms = this.perms;
    if (perms !== null) {
      if (perms.filterDeliveries && perms.deliveryDenied(m.subject)) return false;
      // allow_responses: the reply of a received request becomes publishable.
      if (perms.tracksReplies && m.re > m.rs) perms.trackReply(m.reply);
    }
    const out = this.out;
    const mark = out.len;
    const withHdr = m.hdr >= 0 && this.opts.headers;
    if (withHdr) out.bytes(HMSG_, 0, 5);
    else out.bytes(MSG_, 0, 4);
    out.bytes(m.line, m.ss, m.se);
    out.byte(32);
    out.bytes(sub.sidBuf, 0, sub.sidBuf.length);
    out.byte(32);
    if (m.re > m.rs) {
      // Replies routed over a gateway (`_GR_.` prefix) reach clients without the prefix.
      const rs = m.line[m.rs] === 95 && this.server.replyRouter !== undefined ? this.server.replyRouter.delivered(this, m) : m.rs;
      out.bytes(m.line, rs, m.re);
      out.byte(32);
    }
    let ds = m.ds;
    if (withHdr) {
      out.int(m.hdr);
      out.byte(32);
    } else if (m.hdr > 0) {
      ds += m.hdr; // strip headers for a client that cannot read them
    }
    out.int(m.de - ds);
    if (this.server.log.traceEnabled) traceOut(this, out.buf.toString("latin1", mark, out.len));
    out.crlf();
    out.bytes(m.data, ds, m.de);
    out.crlf();
    this.outMsgs++;
    this.outBytes += m.de - ds;
    if (!this.dirty) this.markDirty();
    if (out.len + this.sock.writableLength > this.server.opts.maxPending) {
      this.slowConsumer("Slow Consumer (Pending Bytes)");
      return false;
    }
    sub.delivered++;
    if (sub.max > 0 && sub.delivered >= sub.max) this.removeSub(sub);
    if (this.sock.writableLength > this.server.stallThreshold) this.server.stallProducer(this);
    return true;
  }

  sendOK(): void {
    if (this.server.log.traceEnabled) traceOut(this, "OK");
    this.out.ascii("+OK\r\n");
    this.markDirty();
  }

  sendErr(text: string): void {
    if (this.server.log.traceEnabled) traceOut(this, `-ERR '${text}'`);
    this.out.ascii(`-ERR '${text}'\r\n`);
    this.markDirty();
  }

  /** A protocol line from a timer, outside any read: flushed on its own. */
  private sendOutOfBand(line: string): void {
    if (this.server.log.traceEnabled) traceOut(this, line.trimEnd());
    this.out.ascii(line);
    this.markDirty();
    this.server.scheduleFlush();
  }

  markDirty(): void {
    if (this.dirty || this.closed) return;
    this.dirty = true;
    this.server.dirty.push(this);
  }

  /** Hand pending output to the socket: one write per batch. */
  flush(): void {
    this.dirty = false;
    const b = this.out.take();
    if (!b || this.sock.destroyed) return;
    this.sock.write(b);
    if (this.sock.writableLength > 0) {
      this.writeDeadline.arm();
      if (this.sock.writableLength > this.server.opts.maxPending) this.slowConsumer("Slow Consumer (Pending Bytes)");
    }
  }

  /** Pending bytes not yet handed to the kernel (for /connz pending_bytes). */
  get pendingBytes(): number {
    return this.out.len + this.sock.writableLength;
  }

  private onDrain(): void {
    this.writeDeadline.clear();
    this.server.resumeStalled(this);
  }

  private slowConsumer(reason: CloseReason): void {
    if (this.closed) return;
    this.server.stats.slowConsumers++;
    this.server.log.info(`${this.describe()} - Slow Consumer Detected: ${reason}`);
    this.out.clear();
    this.close(reason, true);
  }

  // ---- liveness --------------------------------------------------------------------------------

  /** Round-trip time of the last PING, in ms. */
  get rtt(): number {
    return this.pinger.rtt;
  }

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

  // ---- teardown --------------------------------------------------------------------------------

  /**
   * Close the connection. Pending protocol (an -ERR) is flushed first unless `drop` is set
   * (slow consumers get nothing more).
   */
  close(reason: CloseReason, drop = false): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.stopTime = Date.now();
    this.parser.stop();
    this.pinger.stop();
    this.writeDeadline.clear();
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    const pending = drop ? null : this.out.take();
    this.out.clear();
    endSocket(this.sock, pending);
    for (const sub of this.subs.values()) this.server.removeSub(this.account, sub);
    clientGone(this);
    this.server.clientClosed(this);
    this.server.resumeStalled(this);
  }

  describe(): string {
    return `${this.ip}:${this.port} - cid:${this.cid}`;
  }
}

const CREDENTIAL_FIELDS = ["user", "pass", "auth_token", "nkey", "jwt", "sig"] as const;

function isValidQueue(q: string): boolean {
  for (let i = 0; i < q.length; i++) {
    const c = q.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) return false;
  }
  return q.length > 0;
}

function isJsonObject(s: string): boolean {
  try {
    const v = JSON.parse(s);
    return typeof v === "object" && v !== null;
  } catch {
    return false;
  }
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) + "..." : s;
}
