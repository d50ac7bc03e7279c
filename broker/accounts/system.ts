/**
 * The system account's events, as nats-server 2.9 publishes them for `$SYS` users:
 * `$SYS.ACCOUNT.<acc>.CONNECT` / `.DISCONNECT` advisories for clients of named accounts,
 * `$SYS.SERVER.<id>.STATSZ` heartbeats (250 ms after start, doubling up to 30 s), and
 * answers to `$SYS.REQ.SERVER.PING` / `$SYS.REQ.SERVER.PING.STATSZ` /
 * `$SYS.REQ.SERVER.<id>.STATSZ` requests.
 */
import { randomBytes } from "crypto";
import type { Server } from "../server";
import type { Client } from "../client";
import type { Account } from "../account";
import { InMsg, Deliverer, DeliverySub, Kind } from "../message";
import { GLOBAL_ACCOUNT, SYSTEM_ACCOUNT } from "../account";
import { VERSION, PROTOCOL_VERSION } from "../version";
import { compile } from "../auth";

const STATSZ_FIRST = 250;
const STATSZ_MAX = 30000;

/**
 * The server's own connection into the system account. It is a remote-style receiver (collect
 * then flushCollected), which routeMessage hands a message once per delivery; as a sender it
 * is neither a client (no echo rules, no producer stalls) nor a route (its messages go out).
 */
class SystemConnection implements Deliverer {
  readonly cid = 0;
  readonly kind = Kind.LEAF;
  readonly kindName = "System";
  closed = false;
  private pending: InMsg | null = null;

  constructor(private readonly onRequest: (m: InMsg) => void) {}

  deliver(): boolean {
    return false;
  }

  collect(_sub: DeliverySub, m: InMsg): void {
    this.pending = m;
  }

  flushCollected(m: InMsg): boolean {
    if (this.pending !== m) return false;
    this.pending = null;
    this.onRequest(m);
    return true;
  }
}

function eventId(): string {
  return randomBytes(16).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 22);
}

/** One server's system events. */
export class SystemEvents {
  private readonly conn: SystemConnection;
  private readonly subs: DeliverySub[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private interval = STATSZ_FIRST;

  constructor(
    private readonly server: Server,
    readonly account: Account,
  ) {
    this.conn = new SystemConnection((m) => this.request(m));
    const id = server.id;
    for (const subject of ["$SYS.REQ.SERVER.PING", "$SYS.REQ.SERVER.PING.STATSZ", `$SYS.REQ.SERVER.${id}.STATSZ`]) {
      const sub: DeliverySub = { subject, conn: this.conn };
      this.subs.push(sub);
      server.addSub(account, sub);
    }
  }

  start(): void {
    if (this.timer || this.conn.closed) return;
    this.timer = setTimeout(() => this.heartbeat(), this.interval);
    this.timer.unref();
  }

  stop(): void {
    this.conn.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const s of this.subs) this.server.removeSub(this.account, s);
  }

  private heartbeat(): void {
    this.timer = null;
    if (this.conn.closed) return;
    this.publish(`$SYS.SERVER.${this.server.id}.STATSZ`, this.statsz());
    this.interval = Math.min(this.interval * 2, STATSZ_MAX);
    this.start();
  }

  private request(m: InMsg): void {
    const reply = m.reply || `$SYS.SERVER.${this.server.id}.STATSZ`;
    // Answered after the current delivery finishes: routeMessage is not re-entrant.
    setImmediate(() => this.publish(reply, this.statsz()));
  }

  private serverInfo(): Record<string, unknown> {
    const s = this.server;
    const info: Record<string, unknown> = { name: s.name, host: s.opts.host, id: s.id };
    if (s.opts.cluster?.name) info.cluster = s.opts.cluster.name;
    info.ver = PROTOCOL_VERSION;
    if (s.opts.serverTags.length > 0) info.tags = s.opts.serverTags;
    info.seq = ++this.seq;
    info.jetstream = false;
    info.time = new Date().toISOString();
    return info;
  }

  private statsz(): Record<string, unknown> {
    const s = this.server;
    const usage = s.usage();
    let subs = 0;
    for (const acc of s.accounts.values()) subs += acc.sublist.size;
    const seen = new Set<Account>();
    for (const c of s.clients.values()) seen.add(c.account);
    const active = seen.size;
    return {
      server: this.serverInfo(),
      statsz: {
        start: s.startTime.toISOString(),
        mem: usage.mem,
        cores: usage.cores,
        cpu: 0,
        connections: s.clients.size,
        total_connections: s.stats.totalConnections,
        active_accounts: active,
        subscriptions: subs,
        sent: { msgs: s.stats.outMsgs, bytes: s.stats.outBytes },
        received: { msgs: s.stats.inMsgs, bytes: s.stats.inBytes },
        slow_consumers: s.stats.slowConsumers,
        active_servers: 1,
      },
    };
  }

  private clientInfo(c: Client, stop?: number): Record<string, unknown> {
    const ci: Record<string, unknown> = { start: new Date(c.start).toISOString(), host: c.ip, id: c.cid, acc: c.account.name };
    if (c.user) ci.user = c.user;
    if (c.opts.name) ci.name = c.opts.name;
    if (c.opts.lang) ci.lang = c.opts.lang;
    if (c.opts.version) ci.ver = c.opts.version;
    if (stop !== undefined && c.rtt > 0) ci.rtt = c.rtt * 1e6;
    if (stop !== undefined) ci.stop = new Date(stop).toISOString();
    if (c.opts.jwt) ci.jwt = c.opts.jwt;
    ci.kind = "Client";
    ci.client_type = "nats";
    return ci;
  }

  /** A client finished CONNECT in a named account. */
  connected(c: Client): void {
    if (c.account.name === GLOBAL_ACCOUNT) return;
    this.publish(`$SYS.ACCOUNT.${c.account.name}.CONNECT`, {
      type: "io.nats.server.advisory.v1.client_connect",
      id: eventId(),
      timestamp: new Date().toISOString(),
      server: this.serverInfo(),
      client: this.clientInfo(c),
    });
  }

  /** A client of a named account closed. */
  disconnected(c: Client): void {
    if (!c.connectReceived || c.account.name === GLOBAL_ACCOUNT) return;
    const now = c.stopTime ?? Date.now();
    this.publish(`$SYS.ACCOUNT.${c.account.name}.DISCONNECT`, {
      type: "io.nats.server.advisory.v1.client_disconnect",
      id: eventId(),
      timestamp: new Date(now).toISOString(),
      server: this.serverInfo(),
      client: this.clientInfo(c, now),
      sent: { msgs: c.inMsgs, bytes: c.inBytes },
      received: { msgs: c.outMsgs, bytes: c.outBytes },
      reason: c.closeReason ?? "Client Closed",
    });
  }

  private publish(subject: string, body: unknown): void {
    if (this.conn.closed || !this.server.isRunning()) return;
    const payload = Buffer.from(JSON.stringify(body), "utf8");
    const m = new InMsg();
    m.line = Buffer.from(subject, "latin1");
    m.ss = 0;
    m.se = subject.length;
    m.subject = subject;
    m.data = payload;
    m.ds = 0;
    m.de = payload.length;
    // Never from inside another delivery: the index walk is not re-entrant.
    if (this.server.routingFrom !== null) {
      setImmediate(() => this.send(m));
      return;
    }
    this.send(m);
  }

  private send(m: InMsg): void {
    if (this.conn.closed) return;
    this.server.routeMessage(this.conn, this.account, m);
    this.server.scheduleFlush();
  }
}

const bySystem = new WeakMap<Server, SystemEvents>();

/**
 * The system account's name for these options, or undefined when it is off. Events run only
 * when the system account can have users (named by `system_account`, declared in `accounts`,
 * or named by the operator): nobody could read them otherwise, and internal subscriptions
 * would only show up in monitoring counts.
 */
export function systemAccountName(server: Server): string | undefined {
  const o = server.opts;
  if (o.noSystemAccount) return undefined;
  if (o.systemAccount) return o.systemAccount;
  if (o.accounts.some((a) => a.name === SYSTEM_ACCOUNT)) return SYSTEM_ACCOUNT;
  // In operator mode the operator JWT names the system account; without one there is none.
  const trust = compile(o).trust;
  return trust?.systemAccount;
}

/** Set up (or, after a reload, move) the server's system events. */
export function configureSystemEvents(server: Server): void {
  const name = systemAccountName(server);
  const cur = bySystem.get(server);
  if (cur && cur.account.name === name) return;
  if (cur) {
    cur.stop();
    bySystem.delete(server);
  }
  if (!name) return;
  const ev = new SystemEvents(server, server.account(name));
  bySystem.set(server, ev);
  if (server.isRunning()) ev.start();
  else server.once("ready", () => ev.start());
  server.once("shutdown", () => ev.stop());
}

export function systemEventsOf(server: Server): SystemEvents | undefined {
  return bySystem.get(server);
}
