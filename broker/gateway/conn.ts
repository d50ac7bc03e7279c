/**
 * One gateway connection (reference section 3). Gateway links are one-way: on an outbound
 * connection (we dialled) we send messages and receive the remote cluster's interest; on an
 * inbound one (we accepted) we receive messages and send our cluster's interest back. This
 * class speaks the wire protocol; what to do with it is the gateway module's (`GatewayLink`).
 */
import type { Socket } from "net";
import { Parser, Op, ParseError, ParserSink } from "../protocol/parser";
import { Outbound } from "../outbound";
import { InMsg, Deliverer, DeliverySub, Kind } from "../message";
import { RemoteInterest, Mode } from "./interest";
import { Pinger, pingTarget } from "../peer/pinger";
import { endSocket } from "../peer/socket";
import type { SubView } from "../monitor/sources";

const GATEWAY_OPS = [
  Op.CONNECT, Op.INFO, Op.PING, Op.PONG, Op.OK, Op.ERR,
  Op.RS_PLUS, Op.RS_MINUS, Op.A_PLUS, Op.A_MINUS, Op.RMSG, Op.HMSG,
];

const RMSG_ = Buffer.from("RMSG ");
const HMSG_ = Buffer.from("HMSG ");
const PLUS_ = Buffer.from("+ ");
const BAR_ = Buffer.from("| ");
const NO_SUBS: ReadonlyMap<string, SubView> = new Map();

/** The INFO fields a gateway peer sends that we read. */
export interface GatewayInfo {
  server_id?: string;
  server_name?: string;
  gateway?: string;
  gateway_urls?: string[];
  gateway_url?: string;
  gateway_cmd?: number;
  gateway_cmd_payload?: string;
  gateway_nrp?: boolean;
  gateway_iom?: boolean;
  headers?: boolean;
}

/** What a gateway connection reports to and asks of the gateway module. */
export interface GatewayLink {
  readonly maxControlLine: number;
  readonly maxPayload: number;
  readonly pingIntervalMs: number;
  readonly pingMax: number;
  /** Unsent bytes beyond which the peer is cut off as a slow consumer. */
  readonly maxPending: number;
  log(level: "info" | "error" | "debug" | "trace", conn: GatewayConn, text: string): void;
  /** A batch of input was processed (flush what it produced for other connections). */
  afterInput(): void;
  /** Flush this connection's output at the end of the current batch. */
  markDirty(conn: GatewayConn): void;
  /** Inbound: CONNECT arrived; return an error text to refuse it (sent as -ERR, then closed). */
  onConnect(conn: GatewayConn, connect: Record<string, unknown>): string | undefined;
  onInfo(conn: GatewayConn, info: GatewayInfo): void;
  /** A message from the remote cluster; `queues` null when it named no queue groups. */
  onMessage(conn: GatewayConn, account: string, m: InMsg, queues: ReadonlySet<string> | null): void;
  onClose(conn: GatewayConn): void;
  /** Outbound: a remote cluster's announced subscription was added or dropped. */
  remoteInterestChanged(account: string, subject: string, queue: string | undefined, added: boolean): void;
}

export type GatewayCloseReason =
  | "Client Closed"
  | "Server Shutdown"
  | "Authentication Timeout"
  | "Authentication Failure"
  | "Protocol Violation"
  | "Parse Error"
  | "Maximum Payload Exceeded"
  | "Stale Connection"
  | "Read Error"
  | "Wrong Gateway"
  | "Wrong Port"
  | "Duplicate Gateway"
  | "Gateway Removed"
  | "Slow Consumer (Pending Bytes)";

export class GatewayConn implements ParserSink, Deliverer {
  readonly kind = Kind.GATEWAY;
  readonly kindName = "Gateway";
  readonly parser: Parser;
  readonly out = new Outbound(4096);
  /** Remote gateway (cluster) name: known when dialling, learned from INFO when accepting. */
  name: string;
  /** The remote server's id (its INFO server_id). */
  remoteId = "";
  remoteName = "";
  closed = false;
  closeReason?: GatewayCloseReason;
  /** Inbound: CONNECT received. Outbound: first INFO received and CONNECT sent. */
  connected = false;
  /** Registered in the module's inbound/outbound tables. */
  registered = false;
  readonly start = Date.now();
  lastActivity = Date.now();
  inMsgs = 0;
  outMsgs = 0;
  inBytes = 0;
  outBytes = 0;
  dirty = false;
  /** Outbound: the remote's interest. */
  readonly remote: RemoteInterest;
  /** Outbound: credentials from the dialled URL (they win over the gateway authorization block). */
  dialCreds?: { user?: string; pass?: string };
  /** Outbound: the remote reads HMSG. */
  headers = false;
  /** Outbound: the remote only knows the old `$GR.` reply prefix. */
  useOldPrefix = false;
  /** Inbound: per account, the interest mode we put it in, or null after we sent A-. */
  readonly sent = new Map<string, Mode | null>();
  /** Monitoring shape (gateway interest is not listed per subscription). */
  readonly subs = NO_SUBS;
  readonly opts: { name?: string } = {};

  private readonly msg = new InMsg();
  private queues: Set<string> | null = null;
  private authTimer: NodeJS.Timeout | null = null;
  /** Gateways ping regardless of traffic (every min(ping_interval, 15s)); the first one soon, for RTT. */
  private readonly pinger: Pinger;
  private lastAccBuf: Buffer = Buffer.alloc(0);
  private lastAcc = "";

  constructor(
    private readonly link: GatewayLink,
    readonly sock: Socket,
    readonly cid: number,
    readonly outbound: boolean,
    name: string,
    readonly ip: string,
    readonly port: number,
    /** Outbound: the remote was in our configuration (not learned by gossip). */
    readonly configured = false,
  ) {
    this.name = name;
    this.parser = new Parser(this, GATEWAY_OPS, Math.max(link.maxControlLine, 4096));
    this.remote = new RemoteInterest((acc, subj, queue, added) => link.remoteInterestChanged(acc, subj, queue, added));
    this.pinger = new Pinger(
      pingTarget(this, () => this.sendProto("PING\r\n"), () => this.link.log("debug", this, `Stale gateway connection - closing`)),
      { firstDelay: () => Math.min(1000, link.pingIntervalMs), interval: () => link.pingIntervalMs, max: () => link.pingMax },
    );
  }

  /** Round-trip time of the last PING, in ms. */
  get rtt(): number {
    return this.pinger.rtt;
  }

  /** Start reading; an inbound connection first gets `infoLine` and must CONNECT within `authMs`. */
  begin(infoLine?: string, authMs?: number): void {
    if (infoLine) {
      this.out.ascii(infoLine);
      this.flush();
    }
    if (authMs !== undefined) {
      this.authTimer = setTimeout(() => this.authTimeout(), authMs);
      this.authTimer.unref();
    }
    this.sock.on("data", (b: Buffer) => this.onData(b));
    this.sock.on("error", () => this.close("Read Error"));
    this.sock.on("close", () => this.close("Client Closed"));
  }

  // ---- input ----------------------------------------------------------------------------------

  private onData(b: Buffer): void {
    this.lastActivity = Date.now();
    this.parser.parse(b);
    this.link.afterInput();
  }

  onParseError(err: ParseError): void {
    if (err === ParseError.ControlLine) this.sendErr("maximum control line exceeded");
    else if (err === ParseError.UnknownOp) this.sendErr("Unknown Protocol Operation");
    this.close(err === ParseError.BadArgs ? "Protocol Violation" : "Parse Error");
  }

  onOp(op: Op, p: Parser): boolean {
    if (this.closed) return false;
    if (!this.outbound && !this.connected && op !== Op.CONNECT && op !== Op.PING && op !== Op.PONG) {
      this.authFailure();
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
        this.link.log("error", this, `Gateway error from remote: ${p.rest()}`);
        this.close("Protocol Violation");
        return false;
      case Op.RS_PLUS:
      case Op.RS_MINUS:
        return this.processInterest(op, p);
      case Op.A_PLUS:
      case Op.A_MINUS:
        if (!this.outbound) return this.violation(`${op === Op.A_PLUS ? "A+" : "A-"} on inbound connection`);
        if (p.argc < 1) return this.violation("A+/A- without account");
        if (op === Op.A_PLUS) this.remote.accountSubscribe(p.str(0));
        else this.remote.accountUnsubscribe(p.str(0));
        return true;
    }
    this.sendErr("Unknown Protocol Operation");
    this.close("Parse Error");
    return false;
  }

  private processConnect(p: Parser): boolean {
    if (this.outbound || this.connected) return this.violation("unexpected CONNECT");
    let parsed: Record<string, unknown>;
    try {
      const v = JSON.parse(p.rest());
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
      parsed = v as Record<string, unknown>;
    } catch {
      this.link.log("error", this, `Invalid gateway CONNECT JSON`);
      this.close("Protocol Violation");
      return false;
    }
    const refusal = this.link.onConnect(this, parsed);
    if (refusal !== undefined) return false;
    if (this.authTimer) {
      clearTimeout(this.authTimer);
      this.authTimer = null;
    }
    this.connected = true;
    if (typeof parsed.name === "string") this.opts.name = parsed.name;
    this.startPings();
    return true;
  }

  private processInfo(p: Parser): boolean {
    let info: GatewayInfo;
    try {
      const v = JSON.parse(p.rest());
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
      info = v as GatewayInfo;
    } catch {
      this.link.log("error", this, `Invalid gateway INFO JSON`);
      this.close("Protocol Violation");
      return false;
    }
    this.link.onInfo(this, info);
    return !this.closed;
  }

  /** RS+ <acc> <subj> [<queue> <weight>] and RS- <acc> <subj> [<queue>], on outbound connections. */
  private processInterest(op: Op, p: Parser): boolean {
    if (!this.outbound) return this.violation(`${op === Op.RS_PLUS ? "RS+" : "RS-"} on inbound connection`);
    if (p.argc < 2 || p.argc > 4) return this.violation("malformed RS+/RS-");
    const account = p.str(0);
    const subject = p.str(1);
    const queue = p.argc >= 3 ? p.str(2) : undefined;
    if (op === Op.RS_PLUS) this.remote.subscribe(account, subject, queue);
    else this.remote.unsubscribe(account, subject, queue);
    return true;
  }

  /**
   * RMSG <acc> <subj> [reply] <size>, RMSG <acc> <subj> + <reply> <q..> <size>,
   * RMSG <acc> <subj> | <q..> <size>; HMSG has <hdr> <total> instead of <size>.
   */
  onMsgArgs(op: Op, p: Parser): number {
    if (this.closed) return -1;
    if (!this.outbound && !this.connected) {
      this.authFailure();
      return -1;
    }
    const sizes = op === Op.HMSG ? 2 : 1;
    if (p.argc < 2 + sizes) return this.badArgs();
    const m = this.msg;
    const end = p.argc - sizes;
    m.rs = m.re = 0;
    this.queues = null;
    if (end > 2) {
      const first = p.line[p.as[2]];
      const single = p.ae[2] - p.as[2] === 1;
      if (single && first === 43 /* + */) {
        if (end < 5) return this.badArgs();
        m.rs = p.as[3];
        m.re = p.ae[3];
        this.queues = this.queueSet(p, 4, end);
      } else if (single && first === 124 /* | */) {
        if (end < 4) return this.badArgs();
        this.queues = this.queueSet(p, 3, end);
      } else if (end === 3) {
        m.rs = p.as[2];
        m.re = p.ae[2];
      } else {
        return this.badArgs();
      }
    }
    let size: number;
    if (op === Op.HMSG) {
      const hdr = p.int(p.argc - 2);
      size = p.int(p.argc - 1);
      if (hdr < 0 || size < 0 || hdr > size) return this.badArgs();
      m.hdr = hdr > 0 ? hdr : -1;
    } else {
      size = p.int(p.argc - 1);
      if (size < 0) return this.badArgs();
      m.hdr = -1;
    }
    if (size > this.link.maxPayload) {
      this.sendErr("Maximum Payload Violation");
      this.close("Maximum Payload Exceeded");
      return -1;
    }
    return size;
  }

  private queueSet(p: Parser, from: number, to: number): Set<string> {
    const s = new Set<string>();
    for (let i = from; i < to; i++) s.add(p.str(i));
    return s;
  }

  onMsgPayload(_op: Op, p: Parser, buf: Buffer, start: number, end: number): boolean {
    if (this.closed) return false;
    const m = this.msg;
    m.line = p.line;
    m.ss = p.as[1];
    m.se = p.ae[1];
    m.subject = p.line.toString("latin1", m.ss, m.se);
    m.reply = m.re > m.rs ? p.line.toString("latin1", m.rs, m.re) : "";
    m.data = buf;
    m.ds = start;
    m.de = end;
    this.inMsgs++;
    this.inBytes += end - start;
    this.link.onMessage(this, this.accountName(p), m, this.queues);
    return !this.closed;
  }

  /** The account argument, reusing the last string while a peer repeats it (the usual case). */
  private accountName(p: Parser): string {
    const s = p.as[0];
    const n = p.ae[0] - s;
    const last = this.lastAccBuf;
    if (n === last.length) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (p.line[s + i] !== last[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastAcc;
    }
    this.lastAccBuf = Buffer.from(p.line.subarray(s, s + n));
    this.lastAcc = p.str(0);
    return this.lastAcc;
  }

  private badArgs(): number {
    this.link.log("error", this, `Malformed gateway message arguments`);
    this.close("Protocol Violation");
    return -1;
  }

  private violation(what: string): boolean {
    this.link.log("error", this, `Protocol violation: ${what}`);
    this.close("Protocol Violation");
    return false;
  }

  // ---- output ---------------------------------------------------------------------------------

  /** Gateways are fed by the forwarder, never by the subject index. */
  deliver(_sub: DeliverySub, _m: InMsg): boolean {
    return false;
  }

  /**
   * RMSG/HMSG `<acc> <subject> [reply] [| q..]` with `m`'s payload. The subject is
   * `subj[ss..se)`; the reply, if any, is `replyPrefix` + `m`'s reply.
   */
  sendMsg(acc: Buffer, subj: Buffer, ss: number, se: number, m: InMsg, replyPrefix: Buffer | null, queues: string[] | null): void {
    if (this.closed) return;
    const out = this.out;
    const withHdr = m.hdr > 0 && this.headers;
    if (withHdr) out.bytes(HMSG_, 0, 5);
    else out.bytes(RMSG_, 0, 5);
    out.bytes(acc, 0, acc.length);
    out.byte(32);
    out.bytes(subj, ss, se);
    out.byte(32);
    const hasReply = m.re > m.rs;
    if (queues !== null) {
      if (hasReply) out.bytes(PLUS_, 0, 2);
      else out.bytes(BAR_, 0, 2);
    }
    if (hasReply) {
      if (replyPrefix) out.bytes(replyPrefix, 0, replyPrefix.length);
      out.bytes(m.line, m.rs, m.re);
      out.byte(32);
    }
    if (queues !== null) {
      for (let i = 0; i < queues.length; i++) {
        this.latin1(queues[i]);
        out.byte(32);
      }
    }
    let ds = m.ds;
    if (withHdr) {
      out.int(m.hdr);
      out.byte(32);
    } else if (m.hdr > 0) {
      ds += m.hdr; // a peer without headers gets the payload only
    }
    out.int(m.de - ds);
    out.crlf();
    out.bytes(m.data, ds, m.de);
    out.crlf();
    this.outMsgs++;
    this.outBytes += m.de - ds;
    this.markDirty();
  }

  /** JSON protocol lines (INFO, CONNECT, -ERR): UTF-8 text. */
  sendProto(text: string): void {
    if (this.closed) return;
    this.out.ascii(text);
    this.markDirty();
  }

  /**
   * Interest lines (RS+, RS-, A+, A-) built from subjects, queues and account names, which the
   * broker keeps as latin1 strings of the original bytes: written back byte for byte.
   */
  sendInterest(text: string): void {
    if (this.closed) return;
    this.latin1(text);
    this.markDirty();
  }

  private latin1(s: string): void {
    const out = this.out;
    out.ensure(s.length);
    out.len += out.buf.write(s, out.len, "latin1");
  }

  sendErr(text: string): void {
    this.sendProto(`-ERR '${text}'\r\n`);
  }

  markDirty(): void {
    if (this.dirty || this.closed) return;
    this.dirty = true;
    this.link.markDirty(this);
  }

  flush(): void {
    this.dirty = false;
    const b = this.out.take();
    if (!b || this.sock.destroyed) return;
    this.sock.write(b);
    if (this.sock.writableLength > this.link.maxPending) {
      // A cluster that stops reading must not hold this server's memory hostage.
      this.link.log("error", this, `Slow Consumer Detected: ${this.sock.writableLength} bytes pending`);
      this.sock.destroy();
      this.close("Slow Consumer (Pending Bytes)");
    }
  }

  get pendingBytes(): number {
    return this.out.len + this.sock.writableLength;
  }

  // ---- liveness --------------------------------------------------------------------------------

  startPings(): void {
    this.pinger.start();
  }

  private authTimeout(): void {
    this.authTimer = null;
    if (this.connected || this.closed) return;
    this.sendErr("Authentication Timeout");
    this.close("Authentication Timeout");
  }

  authFailure(): void {
    this.sendErr("Authorization Violation");
    this.close("Authentication Failure");
  }

  // ---- teardown --------------------------------------------------------------------------------

  close(reason: GatewayCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.parser.stop();
    this.pinger.stop();
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    const pending = this.out.take();
    this.out.clear();
    endSocket(this.sock, pending);
    this.link.onClose(this);
  }

  describe(): string {
    return `${this.ip}:${this.port} - gid:${this.cid}`;
  }
}
