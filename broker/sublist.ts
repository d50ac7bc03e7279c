/**
 * The subject index: a token tree of subscriptions with a bounded cache of match results.
 * Shared by every connection kind (clients now; routes, gateways and leaf nodes add remote
 * interest as subscriptions of their own connection).
 */
import { subjectsCollide, hasWildcard } from "./subject";

/** What the index needs from a subscription; the connection owns the rest. */
export interface Subscription {
  /** Subject, latin1 (bytes preserved). */
  subject: string;
  /** Queue group name, or undefined for a plain subscription. */
  queue?: string;
}

/** Plain subscriptions and queue subscriptions grouped by queue name. */
export interface MatchResult<S extends Subscription> {
  psubs: S[];
  /** One array per queue group (members that matched). */
  qsubs: S[][];
}

interface Level<S extends Subscription> {
  nodes: Map<string, Node<S>>;
  pwc?: Node<S>;
  fwc?: Node<S>;
}

interface Node<S extends Subscription> {
  next?: Level<S>;
  psubs: Set<S>;
  qsubs?: Map<string, Set<S>>;
}

const newLevel = <S extends Subscription>(): Level<S> => ({ nodes: new Map() });
const newNode = <S extends Subscription>(): Node<S> => ({ psubs: new Set() });

const EMPTY_RESULT: MatchResult<never> = Object.freeze({ psubs: [], qsubs: [] }) as MatchResult<never>;

export class Sublist<S extends Subscription> {
  private root: Level<S> = newLevel();
  private cache = new Map<string, MatchResult<S>>();
  private count = 0;
  /** Bumped on every change, so per-connection memos of a match know when they went stale. */
  genId = 0;
  stats = { inserts: 0, removes: 0, matches: 0, cacheHits: 0 };

  constructor(private readonly cacheMax = 1024) {}

  get size(): number {
    return this.count;
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  insert(sub: S): void {
    const node = this.findNode(sub.subject.split("."), true)!;
    if (sub.queue === undefined) node.psubs.add(sub);
    else {
      node.qsubs ??= new Map();
      let set = node.qsubs.get(sub.queue);
      if (!set) node.qsubs.set(sub.queue, (set = new Set()));
      set.add(sub);
    }
    this.count++;
    this.stats.inserts++;
    this.changed(sub.subject);
  }

  remove(sub: S): boolean {
    const tokens = sub.subject.split(".");
    const path: Array<[Level<S>, string, Node<S>]> = [];
    let level: Level<S> | undefined = this.root;
    let node: Node<S> | undefined;
    for (const t of tokens) {
      if (!level) return false;
      node = t === "*" ? level.pwc : t === ">" ? level.fwc : level.nodes.get(t);
      if (!node) return false;
      path.push([level, t, node]);
      level = node.next;
    }
    if (!node) return false;
    let removed = false;
    if (sub.queue === undefined) removed = node.psubs.delete(sub);
    else {
      const set = node.qsubs?.get(sub.queue);
      if (set) {
        removed = set.delete(sub);
        if (set.size === 0) node.qsubs!.delete(sub.queue);
      }
    }
    if (!removed) return false;
    this.count--;
    this.stats.removes++;
    // Prune empty nodes bottom-up so a churn of unique subjects does not leak tree nodes.
    for (let i = path.length - 1; i >= 0; i--) {
      const [lvl, t, n] = path[i];
      const empty = n.psubs.size === 0 && (!n.qsubs || n.qsubs.size === 0) && (!n.next || isEmptyLevel(n.next));
      if (!empty) break;
      if (t === "*") lvl.pwc = undefined;
      else if (t === ">") lvl.fwc = undefined;
      else lvl.nodes.delete(t);
    }
    this.changed(sub.subject);
    return true;
  }

  /** All subscriptions matching a literal subject. The result is shared: do not mutate it. */
  match(subject: string): MatchResult<S> {
    this.stats.matches++;
    const cached = this.cache.get(subject);
    if (cached) {
      this.stats.cacheHits++;
      return cached;
    }
    const result: MatchResult<S> = { psubs: [], qsubs: [] };
    const queues = new Map<string, S[]>();
    // A subject with an empty token matches nothing, not even '>' (as nats-server).
    if (!hasEmptyToken(subject)) matchLevel(this.root, subject.split("."), 0, result, queues);
    const out = result.psubs.length === 0 && queues.size === 0 ? (EMPTY_RESULT as MatchResult<S>) : result;
    for (const q of queues.values()) result.qsubs.push(q);
    if (this.cache.size >= this.cacheMax) {
      // Evict the oldest entry (Map keeps insertion order).
      const first = this.cache.keys().next().value;
      if (first !== undefined) this.cache.delete(first);
    }
    this.cache.set(subject, out);
    return out;
  }

  /** The cached match results (fan-out statistics for /subsz). */
  cachedResults(): IterableIterator<MatchResult<S>> {
    return this.cache.values();
  }

  /** Every subscription in the index (monitoring, interest propagation). */
  all(): S[] {
    const out: S[] = [];
    collect(this.root, out);
    return out;
  }

  private findNode(tokens: string[], create: boolean): Node<S> | undefined {
    let level = this.root;
    let node: Node<S> | undefined;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t === "*") node = create ? (level.pwc ??= newNode()) : level.pwc;
      else if (t === ">") node = create ? (level.fwc ??= newNode()) : level.fwc;
      else {
        node = level.nodes.get(t);
        if (!node && create) level.nodes.set(t, (node = newNode()));
      }
      if (!node) return undefined;
      if (i < tokens.length - 1) {
        if (!node.next) {
          if (!create) return undefined;
          node.next = newLevel();
        }
        level = node.next;
      }
    }
    return node;
  }

  private changed(subject: string): void {
    this.genId++;
    if (this.cache.size === 0) return;
    // Cache keys are published subjects: a literal subscription changes only its own entry,
    // so sub/unsub churn of unique inboxes does not scan the whole cache.
    if (!hasWildcard(subject)) {
      this.cache.delete(subject);
      return;
    }
    for (const key of this.cache.keys()) {
      if (subjectsCollide(key, subject)) this.cache.delete(key);
    }
  }
}

function hasEmptyToken(subject: string): boolean {
  const n = subject.length;
  return n === 0 || subject.charCodeAt(0) === 46 || subject.charCodeAt(n - 1) === 46 || subject.includes("..");
}

function isEmptyLevel<S extends Subscription>(l: Level<S>): boolean {
  return l.nodes.size === 0 && !l.pwc && !l.fwc;
}

function addNode<S extends Subscription>(node: Node<S>, result: MatchResult<S>, queues: Map<string, S[]>): void {
  for (const s of node.psubs) result.psubs.push(s);
  if (node.qsubs) {
    for (const [q, set] of node.qsubs) {
      let arr = queues.get(q);
      if (!arr) queues.set(q, (arr = []));
      for (const s of set) arr.push(s);
    }
  }
}

function matchLevel<S extends Subscription>(
  level: Level<S>,
  tokens: string[],
  i: number,
  result: MatchResult<S>,
  queues: Map<string, S[]>,
): void {
  const last = i === tokens.length - 1;
  if (level.fwc) addNode(level.fwc, result, queues);
  if (level.pwc) {
    if (last) addNode(level.pwc, result, queues);
    else if (level.pwc.next) matchLevel(level.pwc.next, tokens, i + 1, result, queues);
  }
  const n = level.nodes.get(tokens[i]);
  if (n) {
    if (last) addNode(n, result, queues);
    else if (n.next) matchLevel(n.next, tokens, i + 1, result, queues);
  }
}

function collect<S extends Subscription>(level: Level<S>, out: S[]): void {
  const visit = (n: Node<S>) => {
    for (const s of n.psubs) out.push(s);
    if (n.qsubs) for (const set of n.qsubs.values()) for (const s of set) out.push(s);
    if (n.next) collect(n.next, out);
  };
  for (const n of level.nodes.values()) visit(n);
  if (level.pwc) visit(level.pwc);
  if (level.fwc) visit(level.fwc);
}
