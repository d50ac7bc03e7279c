/**
 * This server's own interest as routes see it: aggregated per (account, subject[, queue]),
 * because a route announces a subject once however many local subscriptions share it, and a
 * queue group once with its member count as weight (reference section 2).
 */
import type { DeliverySub } from "../message";
import { Kind } from "../message";
import type { SubjectPermission } from "../options";
import { subjectMatches } from "../subject";

/** One aggregated interest: `count` local subscriptions share it. */
export interface InterestEntry {
  readonly account: string;
  readonly subject: string;
  readonly queue?: string;
  count: number;
}

/** Whether a subscription is this server's own interest (routes never relay route interest). */
export function isLocalInterest(sub: DeliverySub): boolean {
  const k = sub.conn.kind;
  return k === Kind.CLIENT || k === Kind.LEAF;
}

/** Aggregated local interest of every account. */
export class LocalInterest {
  private readonly byAccount = new Map<string, Map<string, InterestEntry>>();

  /**
   * Count one more subscription. Returns the entry when peers must hear about it: a plain
   * subject going from 0 to 1, or any change of a queue group's weight.
   */
  add(account: string, subject: string, queue: string | undefined): InterestEntry | null {
    let m = this.byAccount.get(account);
    if (!m) this.byAccount.set(account, (m = new Map()));
    const key = queue === undefined ? subject : `${subject} ${queue}`;
    let e = m.get(key);
    if (!e) {
      e = queue === undefined ? { account, subject, count: 0 } : { account, subject, queue, count: 0 };
      m.set(key, e);
    }
    e.count++;
    return e.count === 1 || queue !== undefined ? e : null;
  }

  /**
   * Count one subscription less. Returns the entry when peers must hear about it (count 0
   * means the interest is gone: RS-; a queue group with members left gets its new weight).
   */
  remove(account: string, subject: string, queue: string | undefined): InterestEntry | null {
    const m = this.byAccount.get(account);
    const key = queue === undefined ? subject : `${subject} ${queue}`;
    const e = m?.get(key);
    if (!m || !e) return null;
    e.count--;
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

/** `RS+ <acc> <subj>[ <queue> <weight>]` or, at count 0, `RS- <acc> <subj>[ <queue>]`. */
export function interestLine(e: InterestEntry): string {
  if (e.count <= 0) return e.queue === undefined ? `RS- ${e.account} ${e.subject}\r\n` : `RS- ${e.account} ${e.subject} ${e.queue}\r\n`;
  return e.queue === undefined ? `RS+ ${e.account} ${e.subject}\r\n` : `RS+ ${e.account} ${e.subject} ${e.queue} ${e.count}\r\n`;
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
