/**
 * Interest bookkeeping for gateways, on both ends of a one-way gateway connection.
 *
 * - `ClusterInterest` (inbound side): what this cluster subscribes to, tallied per
 *   (account, subject[, queue]) from local, routed and leaf subscriptions, so that the first
 *   and last subscription of a key are what crosses to other clusters (RS+/RS-), and which
 *   subscriptions are recent (a reply to them gets the `_GR_.` prefix).
 * - `RemoteInterest` (outbound side): what a remote cluster told us about its interest, in
 *   interest-only mode (only what it announced) or optimistic mode (everything but what it
 *   refused with RS-/A-), per account, as nats-server keeps it.
 */
import { Sublist } from "../sublist";
import { hasWildcard, subjectMatches } from "../subject";
import type { DeliverySub } from "../message";

/** How long a new subscription counts as "recent" for reply mapping (nats-server: 2s). */
export const RECENT_SUB_MS = 2000;

/** A key's count, and whether it is a queue subscription. */
interface Tally {
  n: number;
  subject: string;
  queue?: string;
}

/** Called when a key gets its first subscription (`added`) or loses its last one. */
export type InterestChange = (account: string, subject: string, queue: string | undefined, added: boolean) => void;

interface RecentSub {
  subject: string;
  queue?: string;
}

export class ClusterInterest {
  /** account -> "subject" or "subject queue" -> tally. */
  readonly accounts = new Map<string, Map<string, Tally>>();
  private readonly recent = new Map<string, Sublist<RecentSub>>();
  /** Recent subscriptions in the order they expire (all live RECENT_SUB_MS): one timer for all. */
  private readonly expiring: Array<{ sl: Sublist<RecentSub>; entry: RecentSub; at: number }> = [];
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly onChange: InterestChange) {}

  add(account: string, sub: DeliverySub): void {
    const key = sub.queue === undefined ? sub.subject : `${sub.subject} ${sub.queue}`;
    let acc = this.accounts.get(account);
    if (!acc) this.accounts.set(account, (acc = new Map()));
    const t = acc.get(key);
    if (t) t.n++;
    else acc.set(key, { n: 1, subject: sub.subject, queue: sub.queue });
    this.remember(account, sub);
    if (!t) this.onChange(account, sub.subject, sub.queue, true);
  }

  remove(account: string, sub: DeliverySub): void {
    const key = sub.queue === undefined ? sub.subject : `${sub.subject} ${sub.queue}`;
    const acc = this.accounts.get(account);
    const t = acc?.get(key);
    if (!acc || !t) return;
    if (--t.n > 0) return;
    acc.delete(key);
    if (acc.size === 0) this.accounts.delete(account);
    this.onChange(account, sub.subject, sub.queue, false);
  }

  /** Plain subjects (queue false) or [subject, queue] pairs (queue true) of an account. */
  keys(account: string, queues: boolean): Tally[] {
    const acc = this.accounts.get(account);
    if (!acc) return [];
    const out: Tally[] = [];
    for (const t of acc.values()) if ((t.queue !== undefined) === queues) out.push(t);
    return out;
  }

  /** Whether the account has any subscription at all. */
  hasAny(account: string): boolean {
    return (this.accounts.get(account)?.size ?? 0) > 0;
  }

  /** Whether `reply` matches a subscription made in the last two seconds. */
  isRecent(account: string, reply: string): boolean {
    const sl = this.recent.get(account);
    if (!sl || sl.size === 0) return false;
    const r = sl.match(reply);
    return r.psubs.length + r.qsubs.length > 0;
  }

  private remember(account: string, sub: DeliverySub): void {
    let sl = this.recent.get(account);
    if (!sl) this.recent.set(account, (sl = new Sublist<RecentSub>(256)));
    // A copy: the subscription object may be reused or removed before the timer fires.
    const entry: RecentSub = { subject: sub.subject, queue: sub.queue };
    sl.insert(entry);
    this.expiring.push({ sl, entry, at: Date.now() + RECENT_SUB_MS });
    if (!this.expiryTimer) this.armExpiry();
  }

  private armExpiry(): void {
    const head = this.expiring[0];
    if (!head) return;
    this.expiryTimer = setTimeout(() => this.expire(), Math.max(0, head.at - Date.now()));
    this.expiryTimer.unref();
  }

  private expire(): void {
    this.expiryTimer = null;
    const now = Date.now();
    let n = 0;
    while (n < this.expiring.length && this.expiring[n].at <= now) {
      const e = this.expiring[n++];
      e.sl.remove(e.entry);
    }
    this.expiring.splice(0, n);
    this.armExpiry();
  }

  close(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    this.expiring.length = 0;
    this.recent.clear();
  }
}

/** nats-server's per-account interest modes of a gateway. */
export const enum Mode {
  Optimistic = 0,
  Transitioning = 1,
  InterestOnly = 2,
}

/** A subscription a remote cluster announced (RS+), kept per outbound connection. */
export interface RemoteSub {
  subject: string;
  queue?: string;
}

interface RemoteAccount {
  mode: Mode;
  /** Optimistic mode: subjects the remote said it has no interest in (RS-). null once interest-only. */
  ni: Set<string> | null;
  sl: Sublist<RemoteSub>;
  /** "subject" or "subject queue" -> sub in `sl`. */
  subs: Map<string, RemoteSub>;
  qsubs: number;
}

/** What `interest()` found: plain interest, and matching remote queue groups. */
export interface RemoteMatch {
  plain: boolean;
  /** Queue group names with members there (one entry per group). */
  queues: string[];
}


export class RemoteInterest {
  /** account -> state; null means the remote said A- (no interest in the whole account). */
  private readonly accounts = new Map<string, RemoteAccount | null>();
  /** Set when the remote's INFO had gateway_iom: it announces every account before use. */
  interestOnly = false;
  private readonly scratch: RemoteMatch = { plain: false, queues: [] };

  /**
   * `onChange` hears every subscription the remote announced being kept or dropped (interest-only
   * and queue interest; optimistic refusals are not interest), for leaf hubs to pass on.
   */
  constructor(private readonly onChange?: InterestChange) {}

  private entry(): RemoteAccount {
    return { mode: Mode.Optimistic, ni: new Set(), sl: new Sublist<RemoteSub>(1024), subs: new Map(), qsubs: 0 };
  }

  /** RS+ (a plain subscription, or a queue group with `queue`). */
  subscribe(account: string, subject: string, queue: string | undefined): void {
    let e = this.accounts.get(account);
    let useSl: boolean;
    if (e) {
      useSl = queue !== undefined || e.mode !== Mode.Optimistic;
    } else if (queue === undefined) {
      // A plain RS+ only clears an earlier RS- (optimistic mode): nothing to clear.
      return;
    } else {
      e = this.entry();
      this.accounts.set(account, e);
      useSl = true;
    }
    if (useSl) {
      const key = queue === undefined ? subject : `${subject} ${queue}`;
      if (e.subs.has(key)) return;
      const sub: RemoteSub = { subject, queue };
      e.sl.insert(sub);
      e.subs.set(key, sub);
      if (queue !== undefined) e.qsubs++;
      this.onChange?.(account, subject, queue, true);
    } else if (e.ni) {
      if (hasWildcard(subject)) {
        for (const k of e.ni) if (subjectMatches(k, subject)) e.ni.delete(k);
      } else {
        e.ni.delete(subject);
      }
    }
  }

  /** RS-. */
  unsubscribe(account: string, subject: string, queue: string | undefined): void {
    let e = this.accounts.get(account);
    let useSl: boolean;
    if (e) {
      useSl = queue !== undefined || e.mode !== Mode.Optimistic;
    } else if (queue !== undefined) {
      return;
    } else {
      // Optimistic mode: remember the refusal.
      e = this.entry();
      this.accounts.set(account, e);
      useSl = false;
    }
    if (useSl) {
      const key = queue === undefined ? subject : `${subject} ${queue}`;
      const sub = e.subs.get(key);
      if (!sub) return;
      e.sl.remove(sub);
      e.subs.delete(key);
      if (queue !== undefined) e.qsubs--;
      this.onChange?.(account, subject, queue, false);
      if (e.subs.size === 0 && e.mode === Mode.Optimistic && (e.ni?.size ?? 0) === 0) this.accounts.delete(account);
    } else {
      e.ni?.add(subject);
    }
  }

  /** A-: no interest in the account (queue interest, if any, stays). */
  accountUnsubscribe(account: string): void {
    const e = this.accounts.get(account);
    if (e) {
      if (e.qsubs > 0) {
        e.ni = new Set();
        return;
      }
    } else if (this.accounts.has(account)) {
      return;
    }
    this.accounts.set(account, null);
  }

  /** A+: clears an A-. */
  accountSubscribe(account: string): void {
    const e = this.accounts.get(account);
    if (e === null) this.accounts.delete(account);
    else if (e && e.qsubs === 0 && e.subs.size === 0) this.accounts.delete(account);
  }

  /** INFO gateway_cmd 2: the remote is about to send all its plain subscriptions of the account. */
  allSubsStart(account: string): void {
    let e = this.accounts.get(account);
    if (!e) {
      e = this.entry();
      e.ni = null;
      this.accounts.set(account, e);
    }
    e.mode = Mode.Transitioning;
  }

  /** INFO gateway_cmd 3: it has sent them all; from now on only announced interest counts. */
  allSubsComplete(account: string): void {
    const e = this.accounts.get(account);
    if (!e) return;
    e.ni = null;
    e.mode = Mode.InterestOnly;
  }

  /**
   * Whether the remote wants messages on this subject, and which of its queue groups match.
   * The result is reused by the next call (this runs for every message sent to a gateway).
   */
  interest(account: string, subject: string): RemoteMatch {
    const out = this.scratch;
    out.plain = false;
    out.queues.length = 0;
    const e = this.accounts.get(account);
    if (e === null) return out;
    if (e === undefined) {
      out.plain = !this.interestOnly;
      return out;
    }
    if (!this.interestOnly && e.ni !== null && !e.ni.has(subject)) out.plain = true;
    if (e.ni === null || e.qsubs > 0) {
      const r = e.sl.match(subject);
      if (r.psubs.length > 0) out.plain = true;
      for (let i = 0; i < r.qsubs.length; i++) out.queues.push(r.qsubs[i][0].queue!);
    }
    return out;
  }

  /** The connection is gone: everything it announced is dropped (and reported). */
  clear(): void {
    const entries = [...this.accounts];
    this.accounts.clear();
    if (!this.onChange) return;
    for (const [account, e] of entries) if (e) for (const sub of e.subs.values()) this.onChange(account, sub.subject, sub.queue, false);
  }

  /** Number of subscriptions known (for monitoring). */
  get size(): number {
    let n = 0;
    for (const e of this.accounts.values()) if (e) n += e.subs.size;
    return n;
  }
}
