/**
 * Per-user publish/subscribe permissions, evaluated as nats-server 2.9 does: an allow list
 * (absent = everything) then a deny list; queue entries ("foo q"); allow_responses (reply
 * subjects of received requests become publishable for a while); and a delivery-time deny
 * filter so a wide wildcard subscription does not receive denied subjects.
 */
import type { Permissions } from "./options";

/** One permission entry: a subject pattern and, for subscribe entries, an optional queue. */
interface Entry {
  tokens: string[];
  queue?: string;
}

/** How many published subjects' verdicts a connection remembers (as nats-server, 128). */
const PUB_CACHE_MAX = 128;
/** Tracked reply subjects before expired ones are pruned (nats-server's replyPermLimit). */
const REPLY_LIMIT = 4096;

/**
 * Whether `subject` (its tokens) is matched by `pattern`, where the subject itself may hold
 * wildcards (a SUB): a literal pattern token only matches the same literal token, so
 * subscribing to `foo.*` is not covered by an allow entry `foo.bar`.
 */
function tokensMatch(subject: string[], pattern: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === ">") return subject.length > i;
    if (i >= subject.length) return false;
    if (p !== "*" && p !== subject[i]) return false;
  }
  return subject.length === pattern.length;
}

function entries(list: string[] | undefined, withQueues: boolean): Entry[] | null {
  if (list === undefined) return null;
  return list.map((s) => {
    const t = s.trim();
    if (withQueues) {
      const m = /^(\S+)\s+(\S+)$/.exec(t);
      if (m) return { tokens: m[1].split("."), queue: m[2] };
    }
    return { tokens: t.split(".") };
  });
}

/** A queue name matches a permission's queue literally or as a wildcard pattern. */
function queueMatches(queue: string, pattern: string): boolean {
  if (queue === pattern) return true;
  return pattern.includes("*") || pattern.includes(">") ? tokensMatch(queue.split("."), pattern.split(".")) : false;
}

/** What a list says about a subject: plain entries matched, queue entries matched. */
function lookup(list: Entry[], subject: string[]): { plain: boolean; queues: string[] } {
  let plain = false;
  const queues: string[] = [];
  for (const e of list) {
    if (!tokensMatch(subject, e.tokens)) continue;
    if (e.queue === undefined) plain = true;
    else queues.push(e.queue);
  }
  return { plain, queues };
}

/** A user's permissions compiled once (per configuration), shared by its connections. */
export class PermissionSet {
  readonly pubAllow: Entry[] | null;
  readonly pubDeny: Entry[] | null;
  readonly subAllow: Entry[] | null;
  readonly subDeny: Entry[] | null;
  readonly responses: { maxMsgs: number; expires: number } | null;

  constructor(readonly source: Permissions) {
    this.pubAllow = entries(source.publish?.allow, false);
    const pd = source.publish?.deny;
    this.pubDeny = pd && pd.length > 0 ? entries(pd, false) : null;
    const sa = source.subscribe?.allow;
    this.subAllow = sa && sa.length > 0 ? entries(sa, true) : null;
    const sd = source.subscribe?.deny;
    this.subDeny = sd && sd.length > 0 ? entries(sd, true) : null;
    this.responses = source.allowResponses ?? null;
  }

  /** Whether publishing is restricted at all (no checks otherwise). */
  get checksPublish(): boolean {
    return this.pubAllow !== null || this.pubDeny !== null;
  }

  /** The static publish verdict (allow then deny), without reply tracking. */
  publishAllowed(subject: string): boolean {
    const toks = subject.split(".");
    let allowed = true;
    if (this.pubAllow !== null) allowed = lookup(this.pubAllow, toks).plain;
    if (allowed && this.pubDeny !== null) allowed = !lookup(this.pubDeny, toks).plain;
    return allowed;
  }

  /** nats-server's canSubscribe: plain entries decide, a matching queue entry overrides. */
  canSubscribe(subject: string, queue?: string): boolean {
    const toks = subject.split(".");
    let allowed = true;
    if (this.subAllow !== null) {
      const r = lookup(this.subAllow, toks);
      allowed = r.plain;
      if (queue !== undefined && r.queues.length > 0) allowed = r.queues.some((q) => queueMatches(queue, q));
    }
    if (allowed && this.subDeny !== null) {
      const r = lookup(this.subDeny, toks);
      allowed = !r.plain;
      if (queue !== undefined && r.queues.length > 0) allowed = !r.queues.some((q) => queueMatches(queue, q));
    }
    return allowed;
  }

  /** Whether a delivered subject hits a subscribe deny entry (plain entries only). */
  deliveryDenied(subject: string): boolean {
    return this.subDeny !== null && lookup(this.subDeny, subject.split(".")).plain;
  }
}

/** A reply subject a connection may answer: when it was received and how often it was used. */
interface ReplyGrant {
  at: number;
  used: number;
}

/** One connection's view of its permissions: verdict caches and reply grants. */
export class ClientPermissions {
  private readonly pubCache = new Map<string, boolean>();
  private readonly denyCache = new Map<string, boolean>();
  private readonly replies: Map<string, ReplyGrant> | null;
  /** Deliveries are filtered once the client holds a wildcard subscription and deny entries exist. */
  filterDeliveries = false;

  constructor(readonly set: PermissionSet) {
    this.replies = set.responses ? new Map() : null;
  }

  /** Publish check with allow_responses accounting (nats-server's pubAllowedFullCheck). */
  canPublish(subject: string): boolean {
    const set = this.set;
    if (!set.checksPublish) return true;
    const cached = this.pubCache.get(subject);
    if (cached === true) return true;
    const allowed = cached ?? set.publishAllowed(subject);
    if (allowed || this.replies === null) {
      if (cached === undefined) {
        if (this.pubCache.size >= PUB_CACHE_MAX) prune(this.pubCache);
        this.pubCache.set(subject, allowed);
      }
      if (allowed) return true;
      return false;
    }
    // Denied statically; a tracked reply subject may still be answered.
    const grant = this.replies.get(subject);
    if (!grant) return false;
    grant.used++;
    const r = set.responses!;
    if (r.maxMsgs > 0 && grant.used > r.maxMsgs) {
      this.replies.delete(subject);
      return false;
    }
    if (r.expires > 0 && Date.now() - grant.at > r.expires) {
      this.replies.delete(subject);
      return false;
    }
    return true;
  }

  /** A message with a reply subject was delivered to this connection. */
  trackReply(reply: string): void {
    const replies = this.replies;
    if (replies === null) return;
    replies.set(reply, { at: Date.now(), used: 0 });
    if (replies.size > REPLY_LIMIT) this.pruneReplies();
  }

  get tracksReplies(): boolean {
    return this.replies !== null;
  }

  canSubscribe(subject: string, queue?: string): boolean {
    const ok = this.set.canSubscribe(subject, queue);
    // As nats-server: deny entries narrower than an allowed wildcard are enforced per message.
    if (ok && this.set.subDeny !== null && (subject.includes("*") || subject.includes(">"))) this.filterDeliveries = true;
    return ok;
  }

  /** Whether a message on `subject` must not be delivered (subscribe deny filter). */
  deliveryDenied(subject: string): boolean {
    let d = this.denyCache.get(subject);
    if (d === undefined) {
      d = this.set.deliveryDenied(subject);
      if (this.denyCache.size >= PUB_CACHE_MAX) prune(this.denyCache);
      this.denyCache.set(subject, d);
    }
    return d;
  }

  private pruneReplies(): void {
    const r = this.set.responses!;
    const now = Date.now();
    for (const [k, g] of this.replies!) {
      if ((r.maxMsgs > 0 && g.used >= r.maxMsgs) || (r.expires > 0 && now - g.at > r.expires)) this.replies!.delete(k);
    }
  }
}

function prune(m: Map<string, boolean>): void {
  let n = 0;
  for (const k of m.keys()) {
    m.delete(k);
    if (++n >= PUB_CACHE_MAX / 4) break;
  }
}

/** -ERR texts, exactly as nats-server words them. */
export function pubViolation(subject: string): string {
  return `Permissions Violation for Publish to ${JSON.stringify(subject)}`;
}

export function subViolation(subject: string, queue?: string): string {
  const base = `Permissions Violation for Subscription to ${JSON.stringify(subject)}`;
  return queue === undefined ? base : `${base} using queue ${JSON.stringify(queue)}`;
}

export function replyViolation(reply: string): string {
  return `Permissions Violation for Publish with Reply of ${JSON.stringify(reply)}`;
}

/** Reply prefixes only the server assigns: service import replies, JetStream acks, gateway replies. */
export function isReservedReply(reply: string): boolean {
  const c = reply.charCodeAt(0);
  if (c === 95 /* _ */) return (reply.length > 4 && reply.startsWith("_R_.")) || (reply.length > 5 && reply.startsWith("_GR_."));
  return c === 36 /* $ */ && reply.length > 8 && reply.startsWith("$JS.ACK.");
}
