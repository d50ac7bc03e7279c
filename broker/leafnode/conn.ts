/**
 * One leaf node connection, either role: accepted on the leafnode port (we are the hub unless
 * the peer says it is one) or dialled from a `remotes` entry (we are the spoke). It binds one
 * account, mirrors the peer's LS+/LS- interest into that account's subject index, tells the
 * peer about our interest following the hub/spoke rules, and carries LMSG/HMSG both ways.
 */
import type { Socket } from "net";
import type { TLSSocket } from "tls";
import type { LoadedTls } from "../tls";
import { acceptTls, dialTls } from "./tls";
import { Parser, Op, ParseError, ParserSink } from "../protocol/parser";
import { Outbound } from "../outbound";
import { InMsg, Deliverer, DeliverySub, Kind } from "../message";
import { isValidSubject, subjectMatches } from "../subject";
import { PROTOCOL_VERSION } from "../version";
import type { Server } from "../server";
import type { Account } from "../account";
import { LeafSub, interestKey, originOf, weightOf } from "./sub";
import { Remapper } from "../accounts/mapping";
import { authorizeLeaf } from "./auth";
import { signWithCredentials } from "./creds";
import { Pinger, pingTarget } from "../peer/pinger";
import { endSocket } from "../peer/socket";
import {
  ERR_AUTH,
  ERR_AUTH_TIMEOUT,
  ERR_DUPLICATE,
  ERR_SAME_CLUSTER,
  ERR_STALE_CONNECT,
  ERR_WRONG_PORT_CLIENT,
  GW_REPLY_INTEREST,
  HubInfo,
  INFO_WAIT_MS,
  LDS_PREFIX,
  LeafConnect,
  RECONNECT_DELAY_AFTER_REJECT_MS,
  SERVICE_REPLY_PREFIX,
  gatewayOnLeafPortText,
  loopDetectedText,
  nonce as makeNonce,
  parseObject,
  readConnect,
} from "./protocol";

const LEAF_OPS = [Op.INFO, Op.CONNECT, Op.PING, Op.PONG, Op.OK, Op.ERR, Op.LS_PLUS, Op.LS_MINUS, Op.LMSG, Op.HMSG];
const LMSG_ = Buffer.from("LMSG ");
const HMSG_ = Buffer.from("HMSG ");
const PLUS_ = Buffer.from(" + ");
const BAR_ = Buffer.from(" |");
/** A message without a queue list reaches plain subscriptions only (never local queue groups). */
const NO_QUEUES: ReadonlySet<string> = new Set();
const EMPTY = Buffer.alloc(0);

/** Why a leaf connection closed (nats-server's wording where it has one). */
export type LeafCloseReason =
  | "Client Closed"
  | "Server Shutdown"
  | "Authentication Timeout"
  | "Authentication Failure"
  | "Protocol Violation"
  | "Parse Error"
  | "Maximum Payload Exceeded"
  | "Wrong Port"
  | "Cluster Name Conflict"
  | "Duplicate Remote LeafNode Connection"
  | "Stale Connection"
  | "Read Error"
  | "Missing Account"
  | "Remote Removed"
  | "Loop Detected"
  | "TLS Required"
  | "TLS Handshake Failure"
  | "Slow Consumer (Pending Bytes)";

/** What a leaf connection needs from the addon that owns it. */
export interface LeafHost {
  readonly server: Server;
  /** The account's `$LDS.<nuid>` subject (one per account, made on first use). */
  loopSubject(account: string): string;
  /** The hub INFO fields shared by every accepted connection (no client_id/nonce). */
  hubInfo(): HubInfo;
  /** This server's cluster name ("" without one). */
  clusterName(): string;
  /** Interest held outside the account index (gateways), told to leafs we are the hub for. */
  externalSubs(account: string): DeliverySub[];
  /** The hub listener's TLS (spokes must handshake after our INFO), null without one. */
  hubTls(): LoadedTls | null;
  /** The handshake finished: the connection is in `server.leafs` from now on. */
  registered(c: LeafConn): void;
  closed(c: LeafConn): void;
}

/** The dialling side's view of the `remotes` entry it came from. */
export interface LeafRemoteLink {
  /** Local account to bind. */
  readonly account: string;
  readonly credentials?: string;
  readonly denyImports: string[];
  readonly denyExports: string[];
  readonly hub: boolean;
  /** user/password for the URL being used (from the URL itself or the first URL that had one). */
  userInfo(): { user?: string; pass?: string };
  /** The hub told us its cluster's leafnode URLs. */
  learnURLs(urls: string[]): void;
  /** Wait this long before the next attempt (loop, same cluster name). */
  delayNextAttempt(ms: number): void;
  /** The connection it dialled ended; the link decides when to try again. */
  connClosed(c: LeafConn): void;
  describeURL(): string;
  /** The spoke insists on TLS (a `tls {}` block, a tls:// URL, or a hub that asked for it before). */
  wantsTls(): boolean;
  /** The hub asked for TLS: from now on this remote requires it (nats-server keeps that too). */
  tlsSeen(): void;
  /** Settings for the client handshake; throws TlsConfigError when they cannot be used. */
  spokeTls(): LoadedTls;
  /** The name the hub's certificate is checked against. */
  tlsHost(): string;
}

const enum Phase {
  /** Dialled: waiting for the hub's INFO. */
  AwaitInfo,
  /** Either side: the TLS handshake after the hub's plaintext INFO is under way. */
  Handshaking,
  /** Accepted: waiting for the spoke's CONNECT. */
  AwaitConnect,
  /** Dialled: CONNECT sent, waiting for the INFO with connect_info. */
  AwaitConnectInfo,
  Ready,
}

export class LeafConn implements ParserSink, Deliverer {
  readonly kind = Kind.LEAF;
  readonly kindName = "Leafnode";
  readonly parser: Parser;
  readonly out = new Outbound(1024);
  /** Interest the peer declared, by `subject[ queue]`. */
  readonly subs = new Map<string, LeafSub>();
  /** The peer's software (monitoring). */
  readonly opts: { name?: string; lang?: string; version?: string } = {};
  readonly start = Date.now();
  lastActivity = Date.now();
  inMsgs = 0;
  outMsgs = 0;
  inBytes = 0;
  outBytes = 0;
  closed = false;
  closeReason?: LeafCloseReason;
  dirty = false;
  /** Bound account; for accepted connections only after CONNECT. */
  account: Account | null = null;
  /** We only send local interest on this connection (we dialled a hub, or the peer is a hub). */
  isSpoke: boolean;
  /** The peer's server name and cluster (from its INFO or CONNECT). */
  remoteServer = "";
  remoteCluster = "";
  /** The peer reads HMSG. */
  headers = false;
  /** Subjects we never send messages for / never declare interest in. */
  private denyPub: string[] = [];
  private denySub: string[] = [];

  private phase: Phase;
  /** Interest told to the peer: key -> count (plain) or total weight (queue). */
  private readonly smap = new Map<string, number>();
  private readonly msg = new InMsg();
  /** The mapped copy of inbound messages, once the account has mappings. */
  private remapper: Remapper | null = null;
  private readonly queueFilter = new Set<string>();
  private lastSubj: Buffer = EMPTY;
  private lastSubjStr = "";
  private replyArg = -1;
  private queueStart = 0;
  private queueEnd = 0;
  /** What routeMessage collected for the message being delivered. */
  private collectedPlain = false;
  private readonly collectedQueues: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly pinger = new Pinger(pingTarget(this, () => this.sendOutOfBand("PING\r\n"), () => this.server.log.error(`${this.describe()} - Stale Leafnode Connection - Closing`)), {
    firstDelay: () => 1000,
    interval: () => this.server.opts.pingInterval,
    max: () => this.server.opts.pingMax,
  });

  constructor(
    readonly host: LeafHost,
    /** Replaced by the TLS socket once the handshake is done. */
    public sock: Socket,
    readonly cid: number,
    readonly ip: string,
    readonly port: number,
    /** Set when we dialled this connection. */
    readonly remote: LeafRemoteLink | null,
  ) {
    const s = host.server;
    this.parser = new Parser(this, LEAF_OPS, Math.max(s.opts.maxControlLine, 4096));
    this.isSpoke = remote !== null && !remote.hub;
    if (remote) {
      this.denyPub = remote.denyExports;
      this.denySub = remote.denyImports;
      this.phase = Phase.AwaitInfo;
    } else {
      this.phase = Phase.AwaitConnect;
    }
  }

  get server(): Server {
    return this.host.server;
  }

  get ready(): boolean {
    return this.phase === Phase.Ready && !this.closed;
  }

  private readonly onDataBound = (b: Buffer) => this.onData(b);
  private readonly onErrorBound = () => this.close("Read Error");
  private readonly onCloseBound = () => this.close("Client Closed");

  private attach(): void {
    this.sock.on("data", this.onDataBound);
    this.sock.on("error", this.onErrorBound);
    this.sock.on("close", this.onCloseBound);
  }

  /** The TLS socket takes over the raw one; the handshake reports its own failures. */
  private detach(): void {
    this.sock.removeListener("data", this.onDataBound);
    this.sock.removeListener("error", this.onErrorBound);
    this.sock.removeListener("close", this.onCloseBound);
    this.guardRaw();
  }

  /**
   * During the handshake the raw socket can still fail a write (the plaintext INFO to a peer
   * that already left); the handshake's own close/error report it, but an unheard 'error'
   * event would take the process down.
   */
  private guardRaw(): void {
    this.sock.on("error", (e) => this.server.log.debug(`${this.describe()} - socket error during TLS handshake: ${e.message}`));
  }

  /** Start reading; the hub side speaks first with its INFO. */
  begin(): void {
    const s = this.server;
    if (this.remote) {
      this.attach();
      const acc = s.accounts.get(this.remote.account);
      if (!acc) {
        s.log.error(`Unable to lookup account ${this.remote.account} for solicited leafnode connection to ${this.remote.describeURL()}`);
        this.close("Missing Account");
        return;
      }
      this.account = acc;
      s.log.info(`${this.describe()} - Leafnode connection created for account: ${acc.name}`);
      this.timer = setTimeout(() => {
        this.timer = null;
        s.log.error(`${this.describe()} - Leafnode did not receive the hub's INFO in time`);
        this.close("Stale Connection");
      }, INFO_WAIT_MS);
    } else {
      s.log.info(`${this.describe()} - Leafnode connection created`);
      const info = { ...this.host.hubInfo(), client_id: this.cid, nonce: this.nonce };
      this.out.ascii(`INFO ${JSON.stringify(info)} \r\n`);
      this.flush();
      const t = this.host.hubTls();
      if (!t) {
        this.attach();
        this.startAuthTimer();
        return;
      }
      // The INFO went out in plaintext; the spoke must answer with a ClientHello.
      this.phase = Phase.Handshaking;
      this.guardRaw();
      s.log.debug(`${this.describe()} - Starting TLS leafnode server handshake`);
      acceptTls(this.sock, t).then(
        (secure) => this.secured(secure, () => {
          this.phase = Phase.AwaitConnect;
          this.startAuthTimer();
        }),
        (e: Error) => this.handshakeFailed(e),
      );
    }
  }

  private startAuthTimer(): void {
    const timeout = this.server.opts.leafnodes?.authorization?.timeout ?? 2000;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.phase !== Phase.AwaitConnect) return;
      this.sendErr(ERR_AUTH_TIMEOUT);
      this.close("Authentication Timeout");
    }, timeout);
  }

  private secured(secure: TLSSocket, then: () => void): void {
    if (this.closed) {
      secure.destroy();
      return;
    }
    this.server.log.debug(`${this.describe()} - TLS handshake complete`);
    this.sock = secure;
    this.attach();
    then();
    this.server.scheduleFlush();
  }

  private handshakeFailed(e: Error): void {
    if (this.closed) return;
    this.server.log.error(`${this.describe()} - TLS leafnode handshake error: ${e.message}`);
    this.close("TLS Handshake Failure");
  }

  /** Nonce sent in the hub INFO (what credentials-based spokes sign). */
  readonly nonce = makeNonce();

  // ---- input ----------------------------------------------------------------------------------

  private onData(b: Buffer): void {
    this.lastActivity = Date.now();
    this.parser.parse(b);
    this.server.scheduleFlush();
  }

  onParseError(err: ParseError): void {
    if (err === ParseError.ControlLine) this.sendErr("maximum control line exceeded");
    else if (err === ParseError.UnknownOp) this.sendErr("Unknown Protocol Operation");
    this.server.log.error(`${this.describe()} - leafnode protocol error (${ParseErrorName[err] ?? err})`);
    this.close(err === ParseError.BadArgs ? "Protocol Violation" : "Parse Error");
  }

  onOp(op: Op, p: Parser): boolean {
    if (this.closed) return false;
    switch (op) {
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
        return this.processErr(p.rest());
      case Op.INFO:
        return this.processInfo(p.rest());
      case Op.CONNECT:
        return this.processConnect(p.rest());
    }
    if (!this.account || this.phase === Phase.AwaitConnect || this.phase === Phase.AwaitInfo || this.phase === Phase.Handshaking) {
      return this.authViolation(`${OP_LABEL[op] ?? "operation"} before the handshake finished`);
    }
    if (op === Op.LS_PLUS) return this.processSub(p);
    if (op === Op.LS_MINUS) return this.processUnsub(p);
    this.sendErr("Unknown Protocol Operation");
    this.close("Parse Error");
    return false;
  }

  private processErr(text: string): boolean {
    const s = this.server;
    s.log.error(`${this.describe()} - Leafnode peer sent -ERR ${text}`);
    if (text.includes("Loop detected")) {
      this.remote?.delayNextAttempt(RECONNECT_DELAY_AFTER_REJECT_MS);
      this.close("Loop Detected");
    } else if (text.includes(ERR_SAME_CLUSTER)) {
      this.remote?.delayNextAttempt(RECONNECT_DELAY_AFTER_REJECT_MS);
      this.close("Cluster Name Conflict");
    } else {
      // nats-server closes a leaf connection on any -ERR it receives.
      this.close(text.includes(ERR_AUTH) ? "Authentication Failure" : "Parse Error");
    }
    return false;
  }

  private processInfo(text: string): boolean {
    const info = parseObject(text);
    if (!info) {
      this.server.log.error(`${this.describe()} - leafnode INFO is not a JSON object`);
      this.close("Protocol Violation");
      return false;
    }
    if (!this.remote) return true; // a spoke has nothing to tell us by INFO
    const urls = Array.isArray(info.leafnode_urls) ? info.leafnode_urls.filter((u): u is string => typeof u === "string") : null;
    if (this.phase === Phase.AwaitInfo) {
      if (typeof info.client_id !== "number" || info.client_id === 0 || urls === null) {
        this.server.log.error(`${this.describe()} - Attempted to connect to a port that is not a leafnode port (${this.remote.describeURL()})`);
        this.close("Wrong Port");
        return false;
      }
      this.clearTimer();
      this.remoteServer = str(info.server_name) || str(info.server_id);
      this.remoteCluster = str(info.cluster);
      this.headers = info.headers === true;
      this.opts.name = this.remoteServer;
      this.opts.version = str(info.version) || undefined;
      if (urls.length > 0) this.remote.learnURLs(urls);
      const hubWantsTls = info.tls_required === true;
      if (!hubWantsTls) {
        if (this.remote.wantsTls()) {
          // Talking plaintext to a hub the remote expects TLS from would be a silent downgrade.
          this.server.log.error(`${this.describe()} - TLS required by leafnode remote ${this.remote.describeURL()} but the hub does not offer TLS`);
          this.close("TLS Required");
          return false;
        }
        return this.afterInfo(info, false);
      }
      this.remote.tlsSeen();
      let t: LoadedTls;
      try {
        t = this.remote.spokeTls();
      } catch (e) {
        this.server.log.error(`${this.describe()} - ${(e as Error).message}`);
        this.close("TLS Handshake Failure");
        return false;
      }
      this.phase = Phase.Handshaking;
      this.detach();
      this.server.log.debug(`${this.describe()} - Starting TLS leafnode client handshake`);
      dialTls(this.sock, this.remote.tlsHost(), t).then(
        (secure) => this.secured(secure, () => this.afterInfo(info, true)),
        (e: Error) => this.handshakeFailed(e),
      );
      return true;
    }
    if (urls && urls.length > 0) this.remote.learnURLs(urls);
    if (info.connect_info === true && this.phase === Phase.AwaitConnectInfo) {
      const ra = str(info.remote_account);
      if (ra) this.server.log.debug(`${this.describe()} - bound to remote account ${ra}`);
      this.finishSolicited();
    }
    return !this.closed;
  }

  /** The hub's first INFO is accepted (and TLS is up when it asked): CONNECT and wait. */
  private afterInfo(info: Record<string, unknown>, tlsUp: boolean): boolean {
    if (!this.sendConnect(str(info.nonce), tlsUp)) return false;
    if (info.info_on_connect !== true) {
      this.finishSolicited();
    } else {
      this.phase = Phase.AwaitConnectInfo;
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.phase !== Phase.AwaitConnectInfo) return;
        this.sendErr(ERR_STALE_CONNECT);
        this.close("Stale Connection");
      }, INFO_WAIT_MS);
    }
    return true;
  }

  private sendConnect(nonce: string, tlsUp: boolean): boolean {
    const s = this.server;
    const remote = this.remote!;
    const c: LeafConnect = {
      version: PROTOCOL_VERSION,
      tls_required: tlsUp,
      server_id: s.id,
      name: s.name,
      cluster: this.host.clusterName() || undefined,
      headers: true,
    };
    if (remote.hub) c.is_hub = true;
    if (remote.denyImports.length > 0) c.deny_pub = remote.denyImports;
    if (remote.credentials) {
      try {
        const creds = signWithCredentials(remote.credentials, nonce);
        c.jwt = creds.jwt;
        c.sig = creds.sig;
      } catch (e) {
        s.log.error(`${this.describe()} - ${(e as Error).message}`);
        this.close("Authentication Failure");
        return false;
      }
    } else {
      const ui = remote.userInfo();
      if (ui.user !== undefined) {
        c.user = ui.user;
        if (ui.pass !== undefined) c.pass = ui.pass;
      }
    }
    // Field order as nats-server marshals it, omitting empty optional fields.
    const ordered: Record<string, unknown> = {};
    for (const k of ["version", "jwt", "sig", "user", "pass", "tls_required", "server_id", "domain", "name", "is_hub", "cluster", "headers", "deny_pub"] as const) {
      if (c[k] !== undefined) ordered[k] = c[k];
    }
    this.out.ascii(`CONNECT ${JSON.stringify(ordered)}\r\n`);
    this.markDirty();
    this.server.scheduleFlush();
    return true;
  }

  private finishSolicited(): void {
    this.clearTimer();
    this.register();
  }

  private processConnect(text: string): boolean {
    const s = this.server;
    if (this.remote) {
      this.server.log.error(`${this.describe()} - a hub sent CONNECT`);
      this.close("Protocol Violation");
      return false;
    }
    if (this.phase !== Phase.AwaitConnect) return true;
    const o = parseObject(text);
    if (!o) {
      s.log.error(`${this.describe()} - Invalid leafnode CONNECT JSON: ${text.slice(0, 128)}`);
      this.close("Protocol Violation");
      return false;
    }
    const c = readConnect(o);
    if (c.lang !== undefined) {
      this.sendErr(ERR_WRONG_PORT_CLIENT);
      s.log.error(`${this.describe()} - ${ERR_WRONG_PORT_CLIENT}`);
      this.close("Wrong Port");
      return false;
    }
    const ours = this.host.clusterName();
    if (ours && c.cluster && c.cluster === ours) {
      this.sendErr(ERR_SAME_CLUSTER);
      s.log.error(`${this.describe()} - ${ERR_SAME_CLUSTER} (${ours})`);
      this.close("Cluster Name Conflict");
      return false;
    }
    if (c.gateway) {
      const t = gatewayOnLeafPortText(c.gateway);
      this.sendErr(t);
      s.log.error(`${this.describe()} - ${t}`);
      this.close("Wrong Port");
      return false;
    }
    const r = authorizeLeaf(s.opts, c, this.nonce);
    if (!r.ok) return this.authViolation(r.reason);
    const acc = r.fromClientAuth ? s.account(r.account) : s.accounts.get(r.account);
    if (!acc) return this.authViolation(`account ${JSON.stringify(r.account)} does not exist`);
    this.clearTimer();
    this.account = acc;
    this.headers = c.headers === true;
    this.remoteServer = c.name ?? "";
    this.remoteCluster = c.cluster ?? "";
    this.isSpoke = c.is_hub === true;
    if (c.deny_pub) this.denyPub = c.deny_pub;
    this.opts.name = c.name;
    this.opts.version = c.version;
    // The second INFO tells the spoke which account it is bound to.
    const info = { ...this.host.hubInfo(), client_id: this.cid, connect_info: true, remote_account: acc.name };
    this.out.ascii(`INFO ${JSON.stringify(info)} \r\n`);
    this.markDirty();
    this.register();
    return !this.closed;
  }

  /** Handshake done: join server.leafs, tell the peer all our interest, start pinging. */
  private register(): void {
    if (this.closed) return;
    this.phase = Phase.Ready;
    const acc = this.account!;
    this.host.registered(this);
    if (this.closed) return;
    for (const sub of [...acc.sublist.all(), ...this.host.externalSubs(acc.name)]) {
      if (!this.wants(sub)) continue;
      const key = interestKey(sub.subject, sub.queue);
      this.smap.set(key, (this.smap.get(key) ?? 0) + (sub.queue === undefined ? 1 : weightOf(sub)));
    }
    for (const src of this.mappingSources()) this.smap.set(src, (this.smap.get(src) ?? 0) + 1);
    if (this.server.opts.gateway?.name) for (const k of GW_REPLY_INTEREST) this.smap.set(k, (this.smap.get(k) ?? 0) + 1);
    this.smap.set(this.host.loopSubject(acc.name), 1);
    for (const [key, n] of this.smap) this.writeInterest(key, n);
    this.markDirty();
    this.server.scheduleFlush();
    this.server.log.info(`${this.describe()} - Leafnode connection registered (account ${acc.name}, ${this.isSpoke ? "spoke" : "hub"} side, remote ${this.remoteServer}${this.remoteCluster ? "/" + this.remoteCluster : ""})`);
    this.pinger.start();
  }

  private processSub(p: Parser): boolean {
    if (p.argc !== 1 && p.argc !== 3) return this.protocolError("LS+ needs <subject> [<queue> <weight>]");
    const subject = p.str(0);
    const queue = p.argc === 3 ? p.str(1) : undefined;
    const weight = p.argc === 3 ? p.int(2) : 1;
    if (weight < 0) return this.protocolError(`LS+ ${subject}: bad queue weight`);
    const acc = this.account!;
    if (subject.startsWith(LDS_PREFIX) && subject === this.host.loopSubject(acc.name)) {
      const text = loopDetectedText(acc.name, RECONNECT_DELAY_AFTER_REJECT_MS);
      this.sendErr(text);
      this.server.log.error(`${this.describe()} - ${text}`);
      this.remote?.delayNextAttempt(RECONNECT_DELAY_AFTER_REJECT_MS);
      this.close("Loop Detected");
      return false;
    }
    if (!isValidSubject(subject)) {
      this.server.log.debug(`${this.describe()} - ignoring LS+ with invalid subject ${JSON.stringify(subject)}`);
      return true;
    }
    const key = interestKey(subject, queue);
    const old = this.subs.get(key);
    const s = this.server;
    if (!old) {
      const sub = new LeafSub(this, subject, queue, Math.max(weight, 1), this.remoteCluster || undefined, key);
      this.subs.set(key, sub);
      s.addSub(acc, sub);
    } else if (queue !== undefined && weight > 0 && old.weight !== weight) {
      // Others learn the new weight as a removal and a re-add (interest listeners see no deltas).
      s.removeSub(acc, old);
      old.weight = weight;
      s.addSub(acc, old);
    }
    return true;
  }

  private processUnsub(p: Parser): boolean {
    if (p.argc !== 1 && p.argc !== 2) return this.protocolError("LS- needs <subject> [<queue>]");
    const key = p.argc === 1 ? p.str(0) : `${p.str(0)} ${p.str(1)}`;
    const sub = this.subs.get(key);
    if (sub) {
      this.subs.delete(key);
      this.server.removeSub(this.account!, sub);
    }
    return true;
  }

  onMsgArgs(op: Op, p: Parser): number {
    if (this.closed) return -1;
    if (!this.account || this.phase === Phase.AwaitConnect || this.phase === Phase.AwaitInfo || this.phase === Phase.Handshaking) {
      this.authViolation("message before the handshake finished");
      return -1;
    }
    // LMSG <subj> [reply | + reply q.. | | q..] <size>; HMSG adds <hdr> before <size>.
    const tail = op === Op.HMSG ? 2 : 1;
    const n = p.argc;
    if (n < 1 + tail) return this.badMsgArgs(op, p);
    const size = p.int(n - 1);
    const hdr = op === Op.HMSG ? p.int(n - 2) : -1;
    if (size < 0 || (op === Op.HMSG && (hdr < 0 || hdr > size))) return this.badMsgArgs(op, p);
    const middle = n - tail - 1;
    this.replyArg = -1;
    this.queueStart = this.queueEnd = 0;
    if (middle === 1) {
      this.replyArg = 1;
    } else if (middle >= 2) {
      if (p.ae[1] - p.as[1] !== 1) return this.badMsgArgs(op, p);
      const ind = p.line[p.as[1]];
      if (ind === 43 /* + */) {
        this.replyArg = 2;
        this.queueStart = 3;
      } else if (ind === 124 /* | */) {
        this.queueStart = 2;
      } else {
        return this.badMsgArgs(op, p);
      }
      this.queueEnd = n - tail;
    }
    if (size > this.server.opts.maxPayload) {
      this.sendErr("Maximum Payload Violation");
      this.close("Maximum Payload Exceeded");
      return -1;
    }
    this.msg.hdr = hdr > 0 ? hdr : -1;
    return size;
  }

  onMsgPayload(_op: Op, p: Parser, buf: Buffer, start: number, end: number): boolean {
    if (this.closed) return false;
    const m = this.msg;
    const line = p.line;
    m.line = line;
    m.ss = p.as[0];
    m.se = p.ae[0];
    if (this.replyArg > 0) {
      m.rs = p.as[this.replyArg];
      m.re = p.ae[this.replyArg];
    } else {
      m.rs = m.re = 0;
    }
    m.data = buf;
    m.ds = start;
    m.de = end;
    m.subject = this.subjectString(line, m.ss, m.se);
    m.reply = m.re > m.rs ? line.toString("latin1", m.rs, m.re) : "";
    const size = end - start;
    this.inMsgs++;
    this.inBytes += size;
    const s = this.server;
    s.stats.inMsgs++;
    s.stats.inBytes += size;
    // nats-server maps what leaf nodes send as it maps clients' publishes, before anything else.
    const mapper = this.account!.mappings;
    if (mapper !== null) {
      const to = mapper.map(m.subject);
      if (to !== null) {
        if (to.subject === "") return true;
        return this.deliverIn((this.remapper ??= new Remapper()).apply(m, to), p, true);
      }
    }
    return this.deliverIn(m, p, false);
  }

  private deliverIn(m: InMsg, p: Parser, mapped: boolean): boolean {
    // A spoke that refused imports drops what the hub should not have sent.
    if (this.denySub.length > 0 && matchesAny(m.subject, this.denySub)) return true;
    // The peer picked queue groups for the subject it sent, not for the mapped one: a mapped
    // message without a queue list may go to local queue groups (nats-server's
    // pmrIgnoreEmptyQueueFilter).
    let filter: ReadonlySet<string> | null = mapped ? null : NO_QUEUES;
    if (this.queueEnd > this.queueStart) {
      const f = this.queueFilter;
      f.clear();
      for (let i = this.queueStart; i < this.queueEnd; i++) f.add(p.str(i));
      filter = f;
    }
    this.server.routeMessage(this, this.account!, m, filter);
    return !this.closed;
  }

  /** The subject as a string, reused while the peer repeats a subject (the common case). */
  private subjectString(line: Buffer, s: number, e: number): string {
    const last = this.lastSubj;
    const n = e - s;
    if (n === last.length && line.compare(last, 0, n, s, e) === 0) return this.lastSubjStr;
    this.lastSubjStr = line.toString("latin1", s, e);
    if (n <= 256) {
      if (last.length !== n) this.lastSubj = Buffer.allocUnsafe(n);
      line.copy(this.lastSubj, 0, s, e);
    } else {
      this.lastSubj = EMPTY;
    }
    return this.lastSubjStr;
  }

  private badMsgArgs(op: Op, p: Parser): number {
    this.server.log.error(`${this.describe()} - malformed ${OP_LABEL[op]} arguments: ${p.line.toString("latin1", p.lineStart, p.lineEnd).slice(0, 200)}`);
    this.close("Protocol Violation");
    return -1;
  }

  private protocolError(what: string): boolean {
    this.server.log.error(`${this.describe()} - ${what}`);
    this.close("Protocol Violation");
    return false;
  }

  private authViolation(why: string): boolean {
    this.server.log.error(`${this.describe()} - leafnode authentication error: ${why}`);
    this.sendErr(ERR_AUTH);
    this.close("Authentication Failure");
    return false;
  }

  // ---- interest to the peer -------------------------------------------------------------------

  /**
   * Whether the peer should hear about `sub`. A spoke tells its hub only about local clients
   * (and leafs it is the hub for); a hub tells everything. Interest from the peer's own
   * cluster never goes back there, except the loop-detection subject.
   */
  wants(sub: DeliverySub): boolean {
    const conn = sub.conn;
    if (conn === this) return false;
    if (this.isSpoke && conn.kind !== Kind.CLIENT && !(conn.kind === Kind.LEAF && !(conn as LeafConn).isSpoke)) return false;
    const lds = sub.subject.startsWith(LDS_PREFIX);
    if (!lds) {
      const origin = originOf(sub);
      if (origin !== undefined && origin === this.remoteCluster) return false;
      if (this.denySub.length > 0 && matchesAny(sub.subject, this.denySub)) return false;
    }
    return true;
  }

  /** An interest change in our account (from the addon's interest listener). */
  interestChanged(sub: DeliverySub, delta: 1 | -1): void {
    if (!this.ready || !this.wants(sub)) return;
    const key = interestKey(sub.subject, sub.queue);
    const before = this.smap.get(key) ?? 0;
    const n = before + delta * (sub.queue === undefined ? 1 : weightOf(sub));
    if (n > 0) this.smap.set(key, n);
    else this.smap.delete(key);
    // Queue weights are re-sent on every change; plain interest only when it appears or goes.
    if (sub.queue !== undefined || before === 0 || n <= 0) {
      this.writeInterest(key, n);
      this.markDirty();
    }
  }

  /**
   * Sources of the account's subject mappings: interest of their own (as nats-server), so the
   * peer sends what this server maps; a spoke leaves out what it may not import.
   */
  private mappingSources(): string[] {
    const mapper = this.account?.mappings;
    if (!mapper) return [];
    return mapper.sources.filter((src) => !(this.denySub.length > 0 && matchesAny(src, this.denySub)));
  }

  /** After a reload: sources of new mappings become interest (existing interest stays, as in nats-server). */
  addMappingInterest(): void {
    if (!this.ready) return;
    for (const src of this.mappingSources()) {
      if (this.smap.has(src)) continue;
      this.smap.set(src, 1);
      this.writeInterest(src, 1);
      this.markDirty();
    }
  }

  private writeInterest(key: string, n: number): void {
    if (n > 0) this.out.ascii(key.includes(" ") ? `LS+ ${key} ${n}\r\n` : `LS+ ${key}\r\n`);
    else this.out.ascii(`LS- ${key}\r\n`);
  }

  // ---- messages to the peer -------------------------------------------------------------------

  deliver(sub: DeliverySub, m: InMsg): boolean {
    this.collect(sub, m);
    return this.flushCollected(m);
  }

  collect(sub: DeliverySub, m: InMsg): void {
    if (!this.ready) return;
    const from = this.server.routingFrom;
    if (from) {
      // The hub gets a message from the server of our cluster where it was published, not
      // relayed by every route (replies to service imports excepted).
      if (sub.queue === undefined && from.kind === Kind.ROUTER && this.isSpoke && !m.subject.startsWith(SERVICE_REPLY_PREFIX)) return;
      // Cluster-wide no echo: never back into the cluster the message came from, whether it
      // came over one of our leaf connections or over a route (LMSG with its origin cluster).
      if (this.remoteCluster !== "") {
        if (from.kind === Kind.LEAF && (from as LeafConn).remoteCluster === this.remoteCluster) return;
        if (from.kind === Kind.ROUTER && (from as { msgOrigin?: unknown }).msgOrigin === this.remoteCluster) return;
      }
    }
    if (sub.queue === undefined) {
      this.collectedPlain = true;
    } else if (!this.collectedQueues.includes(sub.queue)) {
      this.collectedQueues.push(sub.queue);
    }
    if (sub instanceof LeafSub) sub.delivered++;
  }

  flushCollected(m: InMsg): boolean {
    const queues = this.collectedQueues;
    if (!this.collectedPlain && queues.length === 0) return false;
    this.collectedPlain = false;
    if (this.closed || (this.denyPub.length > 0 && matchesAny(m.subject, this.denyPub))) {
      queues.length = 0;
      return false;
    }
    const out = this.out;
    const withHdr = m.hdr >= 0 && this.headers;
    if (withHdr) out.bytes(HMSG_, 0, HMSG_.length);
    else out.bytes(LMSG_, 0, LMSG_.length);
    out.bytes(m.line, m.ss, m.se);
    if (queues.length > 0) {
      if (m.re > m.rs) {
        out.bytes(PLUS_, 0, PLUS_.length);
        out.bytes(m.line, m.rs, m.re);
      } else {
        out.bytes(BAR_, 0, BAR_.length);
      }
      for (let i = 0; i < queues.length; i++) {
        out.byte(32);
        out.ascii(queues[i]);
      }
      queues.length = 0;
    } else if (m.re > m.rs) {
      out.byte(32);
      out.bytes(m.line, m.rs, m.re);
    }
    out.byte(32);
    let ds = m.ds;
    if (withHdr) {
      out.int(m.hdr);
      out.byte(32);
    } else if (m.hdr > 0) {
      ds += m.hdr; // the peer cannot read headers
    }
    out.int(m.de - ds);
    out.crlf();
    out.bytes(m.data, ds, m.de);
    out.crlf();
    this.outMsgs++;
    this.outBytes += m.de - ds;
    if (!this.dirty) this.markDirty();
    return true;
  }

  // ---- output ---------------------------------------------------------------------------------

  sendErr(text: string): void {
    this.out.ascii(`-ERR '${text}'\r\n`);
    this.markDirty();
  }

  /** A protocol line from a timer, outside any read: flushed on its own. */
  private sendOutOfBand(line: string): void {
    this.out.ascii(line);
    this.markDirty();
    this.server.scheduleFlush();
  }

  markDirty(): void {
    if (this.dirty || this.closed) return;
    this.dirty = true;
    this.server.dirty.push(this);
  }

  flush(): void {
    this.dirty = false;
    const b = this.out.take();
    if (!b || this.sock.destroyed) return;
    this.sock.write(b);
    // A peer that stops reading must not make us buffer without bound.
    if (this.sock.writableLength > this.server.opts.maxPending) {
      this.server.stats.slowConsumers++;
      this.server.log.error(`${this.describe()} - Slow Consumer Detected: leafnode peer is not reading`);
      this.out.clear();
      this.close("Slow Consumer (Pending Bytes)");
    }
  }

  get pendingBytes(): number {
    return this.out.len + this.sock.writableLength;
  }

  // ---- liveness and teardown --------------------------------------------------------------------

  /** Round-trip time of the last PING, in ms. */
  get rtt(): number {
    return this.pinger.rtt;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  close(reason: LeafCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.parser.stop();
    this.clearTimer();
    this.pinger.stop();
    endSocket(this.sock, this.out.take());
    const acc = this.account;
    if (acc) for (const sub of this.subs.values()) this.server.removeSub(acc, sub);
    this.subs.clear();
    this.smap.clear();
    this.server.log.info(`${this.describe()} - Leafnode connection closed: ${reason}${acc ? ` account: ${acc.name}` : ""}`);
    this.host.closed(this);
    this.server.scheduleFlush();
  }

  describe(): string {
    return `${this.ip}:${this.port} - lid:${this.cid}`;
  }
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function matchesAny(subject: string, patterns: readonly string[]): boolean {
  for (const p of patterns) if (subject === p || subjectMatches(subject, p)) return true;
  return false;
}

const OP_LABEL: Record<number, string> = { [Op.LS_PLUS]: "LS+", [Op.LS_MINUS]: "LS-", [Op.LMSG]: "LMSG", [Op.HMSG]: "HMSG" };
const ParseErrorName: Record<number, string> = {
  [ParseError.UnknownOp]: "unknown operation",
  [ParseError.ControlLine]: "control line too long",
  [ParseError.BadArgs]: "bad arguments",
  [ParseError.BadTrailer]: "payload not followed by CRLF",
};

