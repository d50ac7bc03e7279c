/**
 * A state machine over incoming Buffers for every connection kind. It finds control lines,
 * splits their arguments into offsets (no strings), and hands payloads over as slices of the
 * input chunk whenever they arrive whole. Only a control line or payload split across reads
 * is copied.
 */

export const enum Op {
  CONNECT = 1,
  PUB,
  HPUB,
  SUB,
  UNSUB,
  PING,
  PONG,
  OK,
  ERR,
  INFO,
  MSG,
  HMSG,
  RS_PLUS,
  RS_MINUS,
  LS_PLUS,
  LS_MINUS,
  RMSG,
  LMSG,
  A_PLUS,
  A_MINUS,
}

export const enum ParseError {
  /** Unknown or malformed op word: 'Unknown Protocol Operation'. */
  UnknownOp = 1,
  /** Control line longer than max_control_line. */
  ControlLine,
  /** Arguments of a known op that do not parse (silent close, as nats-server does). */
  BadArgs,
  /** Payload not followed by CRLF. */
  BadTrailer,
}

/** Op names as they appear on the wire (for logs and errors). */
export const OP_NAMES: Record<number, string> = {
  [Op.CONNECT]: "CONNECT", [Op.PUB]: "PUB", [Op.HPUB]: "HPUB", [Op.SUB]: "SUB", [Op.UNSUB]: "UNSUB",
  [Op.PING]: "PING", [Op.PONG]: "PONG", [Op.OK]: "+OK", [Op.ERR]: "-ERR", [Op.INFO]: "INFO",
  [Op.MSG]: "MSG", [Op.HMSG]: "HMSG", [Op.RS_PLUS]: "RS+", [Op.RS_MINUS]: "RS-", [Op.LS_PLUS]: "LS+",
  [Op.LS_MINUS]: "LS-", [Op.RMSG]: "RMSG", [Op.LMSG]: "LMSG", [Op.A_PLUS]: "A+", [Op.A_MINUS]: "A-",
};

/** Receives parsed operations. Argument offsets are read from the parser while a call lasts. */
export interface ParserSink {
  /** A control line without payload (or whose op takes none). Return false to stop parsing. */
  onOp(op: Op, p: Parser): boolean;
  /**
   * The control line of a message op, before its payload. Return the payload size to read
   * (size+2 bytes with CRLF are consumed), or -1 to stop parsing (the sink closed the connection).
   */
  onMsgArgs(op: Op, p: Parser): number;
  /** The payload of the message whose control line came last; line args stay readable. */
  onMsgPayload(op: Op, p: Parser, buf: Buffer, start: number, end: number): boolean;
  onParseError(err: ParseError, p: Parser): void;
}

const MAX_ARGS = 64;
const enum State {
  OpStart,
  Payload,
}

// Lower-cased first bytes of the known op words, used to reject garbage before its CRLF arrives.
const OP_WORDS = ["connect", "pub", "hpub", "hmsg", "sub", "unsub", "ping", "pong", "+ok", "-err", "info", "msg", "rs+", "rs-", "ls+", "ls-", "rmsg", "lmsg", "a+", "a-"];

export class Parser {
  /** Buffer holding the current control line. */
  line: Buffer = Buffer.alloc(0);
  lineStart = 0;
  lineEnd = 0;
  argc = 0;
  as = new Int32Array(MAX_ARGS);
  ae = new Int32Array(MAX_ARGS);
  /**
   * Most arguments a line may have. Route and leaf messages list queue groups, as many as the
   * peer has, so those connections raise it; the offset arrays then grow on demand.
   */
  maxArgs = MAX_ARGS;
  /** Ops this connection kind accepts; others are 'Unknown Protocol Operation'. */
  allowed: Set<Op>;
  maxControlLine: number;

  private state = State.OpStart;
  private op: Op = Op.PING;
  /** Partial control line carried over between reads. */
  private partial: Buffer = Buffer.allocUnsafe(256);
  private partialLen = 0;
  /** Partial payload carried over between reads. */
  private payload: Buffer | null = null;
  private payloadLen = 0;
  private need = 0;
  private stopped = false;

  constructor(private readonly sink: ParserSink, allowed: Iterable<Op>, maxControlLine = 4096) {
    this.allowed = new Set(allowed);
    this.maxControlLine = maxControlLine;
  }

  /** Stop for good (the connection is closing): later input is ignored. */
  stop(): void {
    this.stopped = true;
  }

  parse(buf: Buffer): void {
    let pos = 0;
    const len = buf.length;
    while (pos < len && !this.stopped) {
      if (this.state === State.Payload) {
        pos = this.readPayload(buf, pos);
        continue;
      }
      const lf = buf.indexOf(10, pos);
      if (lf < 0) {
        this.keepPartialLine(buf, pos, len);
        return;
      }
      let lineBuf: Buffer;
      let s: number;
      let e: number;
      if (this.partialLen > 0) {
        this.appendPartial(buf, pos, lf);
        lineBuf = this.partial;
        s = 0;
        e = this.partialLen;
        this.partialLen = 0;
      } else {
        lineBuf = buf;
        s = pos;
        e = lf;
      }
      pos = lf + 1;
      if (e > s && lineBuf[e - 1] === 13) e--;
      if (!this.controlLine(lineBuf, s, e)) return;
    }
  }

  /** Report a protocol error once; nothing after it is parsed. */
  private fail(err: ParseError): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sink.onParseError(err, this);
  }

  /** Argument i as a latin1 string (bytes preserved). */
  str(i: number): string {
    return this.line.toString("latin1", this.as[i], this.ae[i]);
  }

  /** Argument i as a non-negative integer, or -1. */
  int(i: number): number {
    return parseSize(this.line, this.as[i], this.ae[i]);
  }

  /** The whole control line after the op word, for JSON ops. */
  rest(): string {
    return this.argc === 0 ? "" : this.line.toString("utf8", this.as[0], this.lineEnd);
  }

  private controlLine(b: Buffer, s: number, e: number): boolean {
    // CONNECT and INFO take the rest of the line as JSON, with or without a space (as nats-server).
    if (e - s >= 4 && packed4(b, s) === W_INFO && this.allowed.has(Op.INFO)) return this.dispatch(Op.INFO, b, s, s + 4, e);
    if (e - s >= 7 && packed4(b, s) === W_CONN && packed4(b, s + 3) === W_NECT && this.allowed.has(Op.CONNECT)) {
      if (argBytes(b, s + 7, e) > this.maxControlLine) {
        this.fail(ParseError.ControlLine);
        return false;
      }
      return this.dispatch(Op.CONNECT, b, s, s + 7, e);
    }
    // Op word: up to the first space or tab.
    let i = s;
    while (i < e && b[i] !== 32 && b[i] !== 9) i++;
    const op = opCode(b, s, i);
    if (op === 0 || !this.allowed.has(op) || (i === e && needsArgs(op))) {
      // nats-server accepts anything after PING/PONG/+OK on the same line.
      const loose = looseOp(b, s, e);
      if (loose !== 0 && this.allowed.has(loose)) return this.dispatch(loose, b, s, e, e);
      this.fail(ParseError.UnknownOp);
      return false;
    }
    if (argBytes(b, i, e) > this.maxControlLine) {
      this.fail(ParseError.ControlLine);
      return false;
    }
    return this.dispatch(op, b, s, i, e);
  }

  private dispatch(op: Op, b: Buffer, s: number, opEnd: number, e: number): boolean {
    this.line = b;
    this.lineStart = s;
    this.lineEnd = e;
    let argc = 0;
    let i = opEnd;
    if (op === Op.CONNECT || op === Op.INFO || op === Op.ERR) {
      // One argument: the rest of the line (JSON or error text).
      while (i < e && (b[i] === 32 || b[i] === 9)) i++;
      if (i < e) {
        this.as[0] = i;
        this.ae[0] = e;
        argc = 1;
      }
    } else if (op !== Op.PING && op !== Op.PONG && op !== Op.OK) {
      // nats-server splits arguments on CR too (a stray CR inside a line is a separator).
      while (i < e) {
        while (i < e && (b[i] === 32 || b[i] === 9 || b[i] === 13)) i++;
        if (i >= e) break;
        const start = i;
        while (i < e && b[i] !== 32 && b[i] !== 9 && b[i] !== 13) i++;
        if (argc === this.as.length) {
          if (argc >= this.maxArgs) {
            this.fail(ParseError.BadArgs);
            return false;
          }
          this.growArgs();
        }
        this.as[argc] = start;
        this.ae[argc] = i;
        argc++;
      }
    }
    this.argc = argc;
    this.op = op;
    if (!isMsgOp(op)) return this.sink.onOp(op, this);
    const size = this.sink.onMsgArgs(op, this);
    if (size < 0) return false;
    this.need = size + 2;
    this.payloadLen = 0;
    this.payload = null;
    this.state = State.Payload;
    return true;
  }

  private readPayload(buf: Buffer, pos: number): number {
    const avail = buf.length - pos;
    if (this.payload === null && avail >= this.need) {
      // Whole payload in this chunk: hand over a view, no copy.
      const end = pos + this.need;
      this.state = State.OpStart;
      if (buf[end - 2] !== 13 || buf[end - 1] !== 10) {
        this.fail(ParseError.BadTrailer);
        return buf.length;
      }
      if (!this.sink.onMsgPayload(this.op, this, buf, pos, end - 2)) this.stopped = true;
      return end;
    }
    if (this.payload === null) this.payload = Buffer.allocUnsafe(this.need);
    const take = Math.min(avail, this.need - this.payloadLen);
    buf.copy(this.payload, this.payloadLen, pos, pos + take);
    this.payloadLen += take;
    if (this.payloadLen < this.need) return pos + take;
    const p = this.payload;
    this.payload = null;
    this.state = State.OpStart;
    if (p[this.need - 2] !== 13 || p[this.need - 1] !== 10) {
      this.fail(ParseError.BadTrailer);
      return buf.length;
    }
    if (!this.sink.onMsgPayload(this.op, this, p, 0, this.need - 2)) this.stopped = true;
    return pos + take;
  }

  private growArgs(): void {
    const n = Math.min(this.as.length * 2, this.maxArgs);
    const as = new Int32Array(n);
    const ae = new Int32Array(n);
    as.set(this.as);
    ae.set(this.ae);
    this.as = as;
    this.ae = ae;
  }

  private keepPartialLine(buf: Buffer, pos: number, len: number): void {
    this.appendPartial(buf, pos, len);
    // Reject garbage early (as nats-server's byte state machine does) and bound memory.
    if (!this.plausiblePrefix()) {
      this.fail(ParseError.UnknownOp);
    } else if (this.partialArgBytes() > this.maxControlLine && !this.isInfo()) {
      this.fail(ParseError.ControlLine);
    } else if (this.partialLen > 64 * 1024 * 1024) {
      this.fail(ParseError.ControlLine);
    }
  }

  private appendPartial(buf: Buffer, s: number, e: number): void {
    const n = e - s;
    if (this.partialLen + n > this.partial.length) {
      const next = Buffer.allocUnsafe(Math.max(this.partial.length * 2, this.partialLen + n));
      this.partial.copy(next, 0, 0, this.partialLen);
      this.partial = next;
    }
    buf.copy(this.partial, this.partialLen, s, e);
    this.partialLen += n;
  }

  private plausiblePrefix(): boolean {
    const n = Math.min(this.partialLen, 8);
    let word = "";
    for (let i = 0; i < n; i++) {
      const c = this.partial[i];
      if (c === 32 || c === 9) break;
      word += String.fromCharCode(c | (c >= 65 && c <= 90 ? 32 : 0));
    }
    if (word.length === 0) return this.partialLen === 0 || false;
    return OP_WORDS.some((w) => w.startsWith(word) || word.startsWith(w));
  }

  /** INFO from a peer may be large (routes, gateways); it is bounded only by the 64 MB cap. */
  private isInfo(): boolean {
    return (this.partial[0] | 32) === 105 /* i */;
  }

  /** Argument bytes of the partial line so far (nats-server limits arguments, not the op). */
  private partialArgBytes(): number {
    const b = this.partial;
    let i = 0;
    while (i < this.partialLen && b[i] !== 32 && b[i] !== 9 && b[i] !== 123 /* { */) i++;
    return argBytes(b, i, this.partialLen);
  }

}

/** Bytes of a control line's arguments: after the op word and its separating blanks. */
function argBytes(b: Buffer, opEnd: number, e: number): number {
  let i = opEnd;
  while (i < e && (b[i] === 32 || b[i] === 9)) i++;
  return e - i;
}

function needsArgs(op: Op): boolean {
  // A bare `-ERR` is 'Unknown Protocol Operation' in nats-server; `-ERR <text>` is not.
  return op !== Op.PING && op !== Op.PONG && op !== Op.OK;
}

function isMsgOp(op: Op): boolean {
  return op === Op.PUB || op === Op.HPUB || op === Op.MSG || op === Op.HMSG || op === Op.RMSG || op === Op.LMSG;
}

const lc = (c: number) => c | 32;

/** Decode the op word b[s..e) case-insensitively; 0 when unknown. */
function opCode(b: Buffer, s: number, e: number): Op | 0 {
  const n = e - s;
  if (n < 2) return 0;
  const c0 = lc(b[s]);
  switch (n) {
    case 2:
      if (c0 === 97 /* a */) return b[s + 1] === 43 ? Op.A_PLUS : b[s + 1] === 45 ? Op.A_MINUS : 0;
      return 0;
    case 3:
      if (c0 === 112 && lc(b[s + 1]) === 117 && lc(b[s + 2]) === 98) return Op.PUB;
      if (c0 === 115 && lc(b[s + 1]) === 117 && lc(b[s + 2]) === 98) return Op.SUB;
      if (c0 === 109 && lc(b[s + 1]) === 115 && lc(b[s + 2]) === 103) return Op.MSG;
      if (b[s] === 43 && lc(b[s + 1]) === 111 && lc(b[s + 2]) === 107) return Op.OK;
      if (c0 === 114 && lc(b[s + 1]) === 115) return b[s + 2] === 43 ? Op.RS_PLUS : b[s + 2] === 45 ? Op.RS_MINUS : 0;
      if (c0 === 108 && lc(b[s + 1]) === 115) return b[s + 2] === 43 ? Op.LS_PLUS : b[s + 2] === 45 ? Op.LS_MINUS : 0;
      return 0;
    case 4:
      switch (packed4(b, s)) {
        case W_HPUB: return Op.HPUB;
        case W_PING: return Op.PING;
        case W_PONG: return Op.PONG;
        case W_INFO: return Op.INFO;
        case W_HMSG: return Op.HMSG;
        case W_RMSG: return Op.RMSG;
        case W_LMSG: return Op.LMSG;
        case W_ERR: return Op.ERR;
      }
      return 0;
    case 5:
      return word(b, s, e) === "unsub" ? Op.UNSUB : 0;
    case 7:
      return word(b, s, e) === "connect" ? Op.CONNECT : 0;
  }
  return 0;
}

/** PING/PONG/+OK followed by anything up to CRLF still count, as in nats-server. */
function looseOp(b: Buffer, s: number, e: number): Op | 0 {
  if (e - s >= 4) {
    const w = packed4(b, s);
    if (w === W_PING) return Op.PING;
    if (w === W_PONG) return Op.PONG;
  }
  if (e - s >= 3 && b[s] === 43 && lc(b[s + 1]) === 111 && lc(b[s + 2]) === 107) return Op.OK;
  return 0;
}

/** Four lower-cased bytes as one integer, so 4-letter ops compare without a string. */
function packed4(b: Buffer, s: number): number {
  return ((lc(b[s]) << 24) | (lc(b[s + 1]) << 16) | (lc(b[s + 2]) << 8) | lc(b[s + 3])) >>> 0;
}
const pack = (w: string) => packed4(Buffer.from(w, "latin1"), 0);
const W_HPUB = pack("hpub");
const W_PING = pack("ping");
const W_PONG = pack("pong");
const W_INFO = pack("info");
const W_HMSG = pack("hmsg");
const W_RMSG = pack("rmsg");
const W_LMSG = pack("lmsg");
const W_ERR = pack("-err");
const W_CONN = pack("conn");
const W_NECT = pack("nect");

function word(b: Buffer, s: number, e: number): string {
  let w = "";
  for (let i = s; i < e; i++) w += String.fromCharCode(lc(b[i]));
  return w;
}

/** Parse a decimal size; -1 if empty, non-digit or longer than 9 digits (as nats-server). */
export function parseSize(b: Buffer, s: number, e: number): number {
  if (e <= s || e - s > 9) return -1;
  let n = 0;
  for (let i = s; i < e; i++) {
    const d = b[i] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
