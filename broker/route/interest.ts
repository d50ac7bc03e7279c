/**
 * This server's own interest as routes see it: aggregated per (account, subject[, queue]),
 * because a route announces a subject once however many local subscriptions share it, and a
 * queue group once with its member count as weight (reference section 2).
 */
import type { DeliverySub } from "../message";
import { Kind } from "../message";
import type { SubjectPermission } from "../options";
import { subjectMatches } from "../subject";

/** One aggregated interest: `count` local subscriptions (queue members) share it. */
export interface InterestEntry {
  readonly account: string;
  readonly subject: string;
  readonly queue?: string;
  count: number;
  /** The leaf node cluster of the subscription that created it (announced with LS+). */
  readonly origin?: string;
}

/** Whether a subscription is this server's own interest (routes never relay route interest). */
export function isLocalInterest(sub: DeliverySub): boolean {
  const k = sub.conn.kind;
  return k === Kind.CLIENT || k === Kind.LEAF;
}

/** The leaf cluster a subscription came from (leaf node subscriptions carry `origin`). */
function originOf(sub: DeliverySub): string | undefined {
  const o = (sub as { origin?: unknown }).origin;
  return typeof o === "string" && o !== "" ? o : undefined;
}

/** A leaf's queue interest stands for as many members as the leaf announced. */
function weightOf(sub: DeliverySub): number {
  if (sub.queue === undefined || sub.conn.kind !== Kind.LEAF) return 1;
  const w = (sub as { weight?: unknown }).weight;
  return typeof w === "number" && w > 0 ? w : 1;
}

/** Aggregated local interest of every account. */
export class LocalInterest {
  private readonly byAccount = new Map<string, Map<string, InterestEntry>>();
  /** What each subscription added, so removal subtracts the same even if its weight changed. */
  private readonly counted = new WeakMap<DeliverySub, number>();

  /**
   * Count one more subscription. Returns the entry when peers must hear about it: a plain
   * subject going from 0 to 1, or any change of a queue group's weight.
   */
  add(account: string, sub: DeliverySub): InterestEntry | null {
    const { subject, queue } = sub;
    let m = this.byAccount.get(account);
    if (!m) this.byAccount.set(account, (m = new Map()));
    const key = queue === undefined ? subject : `${subject} ${queue}`;
    let e = m.get(key);
    if (!e) {
      const origin = originOf(sub);
      e = { account, subject, count: 0 };
      if (queue !== undefined) (e as { queue?: string }).queue = queue;
      if (origin !== undefined) (e as { origin?: string }).origin = origin;
      m.set(key, e);
    }
    const w = weightOf(sub);
    this.counted.set(sub, w);
    e.count += w;
    return e.count === w || queue !== undefined ? e : null;
  }

  /**
   * Count one subscription less. Returns the entry when peers must hear about it (count 0
   * means the interest is gone: RS-; a queue group with members left gets its new weight).
   */
  remove(account: string, sub: DeliverySub): InterestEntry | null {
    const { subject, queue } = sub;
    const m = this.byAccount.get(account);
    const key = queue === undefined ? subject : `${subject} ${queue}`;
    const e = m?.get(key);
    if (!m || !e) return null;
    e.count -= this.counted.get(sub) ?? 1;
    this.counted.delete(sub);
    if (e.count <= 0) {
      e.count = 0;
      m.delete(key);
      if (m.size === 0) this.byAccount.delete(account);
      return e;
    }
    return queue !== undefined ? e : null;
  }

  /** Every current interest (sent in full to a route that just registered). */
  *entries(): IterableIterator<InterestEntry> {
    for (const m of this.byAccount.values()) yield* m.values();
  }

  clear(): void {
    this.byAccount.clear();
  }
}

/**
 * `RS+ <acc> <subj>[ <queue> <weight>]` or, at count 0, `RS- <acc> <subj>[ <queue>]`; leaf
 * node interest as `LS+ <origin> ...` / `LS- ...` to peers that understand it (lnoc).
 */
export function interestLine(e: InterestEntry, lnoc: boolean): string {
  const leaf = lnoc && e.origin !== undefined;
  const q = e.queue === undefined ? "" : ` ${e.queue}`;
  if (e.count <= 0) return `${leaf ? "LS-" : "RS-"} ${e.account} ${e.subject}${q}\r\n`;
  const w = e.queue === undefined ? "" : ` ${e.count}`;
  return leaf ? `LS+ ${e.origin} ${e.account} ${e.subject}${q}${w}\r\n` : `RS+ ${e.account} ${e.subject}${q}${w}\r\n`;
}

/**
 * A cluster permission check: allowed unless denied, and, when an allow list exists, only if
 * listed. A wildcard subject passes when a pattern covers it token by token.
 */
export function permitted(p: SubjectPermission | undefined, subject: string): boolean {
  if (!p) return true;
  if (p.allow && p.allow.length > 0 && !p.allow.some((a) => covers(a, subject))) return false;
  if (p.deny && p.deny.some((d) => covers(d, subject))) return false;
  return true;
}

function covers(pattern: string, subject: string): boolean {
  return pattern === subject || subjectMatches(subject, pattern);
}
