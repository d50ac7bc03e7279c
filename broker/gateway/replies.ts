/**
 * Routed replies (`_GR_.<cluster hash>.<server hash>.<reply>`), the receiving half: a client that
 * gets a request whose reply carries the prefix sees the plain reply, and for two seconds a
 * message it publishes to that plain reply is sent straight back to the requester's cluster
 * instead of being routed by interest, as nats-server does (its gwReplyMapping).
 */
import type { Deliverer, InMsg, ReplyRouter } from "../message";
import { GW_SUBJECT_OFFSET, isRoutedReplyBytes } from "./hash";
import { RECENT_SUB_MS } from "./interest";

interface Mapping {
  routed: string;
  expires: number;
}

/** How the tracker hands messages back to the gateway module. */
export interface ReplySender {
  /** Send `m` (published by a client) to the cluster named in `routed`, with that subject. */
  sendBack(account: string, routed: string, m: InMsg): void;
  /** A `_GR_.` subject arrived over a route: deliver it here or drop it. */
  routedFromRoute(from: Deliverer, account: string, m: InMsg): boolean;
}

export class ReplyTracker implements ReplyRouter {
  private readonly byConn = new Map<Deliverer, Map<string, Mapping>>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly sender: ReplySender) {}

  get active(): boolean {
    return this.byConn.size > 0;
  }

  delivered(conn: Deliverer, m: InMsg): number {
    if (!isRoutedReplyBytes(m.line, m.rs, m.re)) return m.rs;
    const plain = m.line.toString("latin1", m.rs + GW_SUBJECT_OFFSET, m.re);
    let map = this.byConn.get(conn);
    if (!map) this.byConn.set(conn, (map = new Map()));
    const routed = m.reply !== "" ? m.reply : m.line.toString("latin1", m.rs, m.re);
    map.set(plain, { routed, expires: Date.now() + RECENT_SUB_MS });
    this.armSweeper();
    return m.rs + GW_SUBJECT_OFFSET;
  }

  published(conn: Deliverer, account: string, m: InMsg): boolean {
    const map = this.byConn.get(conn);
    if (!map) return false;
    const e = map.get(m.subject);
    if (!e) return false;
    if (e.expires < Date.now()) {
      map.delete(m.subject);
      if (map.size === 0) this.byConn.delete(conn);
      return false;
    }
    this.sender.sendBack(account, e.routed, m);
    return true;
  }

  routed(from: Deliverer, account: string, m: InMsg): boolean {
    return this.sender.routedFromRoute(from, account, m);
  }

  private armSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), RECENT_SUB_MS / 2);
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [conn, map] of this.byConn) {
      if (conn.closed) {
        this.byConn.delete(conn);
        continue;
      }
      for (const [k, e] of map) if (e.expires < now) map.delete(k);
      if (map.size === 0) this.byConn.delete(conn);
    }
    if (this.byConn.size === 0) this.stop();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  close(): void {
    this.stop();
    this.byConn.clear();
  }
}
