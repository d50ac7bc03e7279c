/**
 * The subject index: literal and wildcard matching, queue groups, removal with pruning, and a
 * match cache that stays correct under churn (checked against a naive matcher).
 */
import * as assert from "assert";
import { Sublist, Subscription, MatchResult } from "../../broker/sublist";
import { Prng, seedFrom } from "../helpers/prng";

class Sub implements Subscription {
  /** Pre-split for the naive matcher, which runs millions of times in the churn test. */
  readonly tokens: string[];
  constructor(readonly subject: string, readonly queue?: string, readonly id = `${subject}|${queue ?? ""}|${Sub.next++}`) {
    this.tokens = subject.split(".");
  }
  static next = 0;
}

/** A result as sorted ids: plain subs, and each queue group's members, groups sorted. */
function norm(r: MatchResult<Sub>): { p: string[]; q: string[][] } {
  return {
    p: r.psubs.map((s) => s.id).sort(),
    q: r.qsubs.map((g) => g.map((s) => s.id).sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1)),
  };
}

/** Token-by-token matching written independently of the broker's. */
function naiveMatches(p: string[], s: string[]): boolean {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

function naiveMatch(subs: Iterable<Sub>, subject: string): { p: string[]; q: string[][] } {
  const p: string[] = [];
  const groups = new Map<string, string[]>();
  const tokens = subject.split(".");
  for (const s of subs) {
    if (!naiveMatches(s.tokens, tokens)) continue;
    if (s.queue === undefined) p.push(s.id);
    else {
      const g = groups.get(s.queue) ?? [];
      g.push(s.id);
      groups.set(s.queue, g);
    }
  }
  return { p: p.sort(), q: [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1)) };
}

const subjectsOf = (r: MatchResult<Sub>) => r.psubs.map((s) => s.subject).sort();

/** The index's private tree, to prove pruning (memory) rather than only behaviour. */
interface Tree {
  root: { nodes: Map<string, unknown>; pwc?: unknown; fwc?: unknown };
}
const treeOf = (sl: Sublist<Sub>) => (sl as unknown as Tree).root;

describe("Sublist", () => {
  describe("matching", () => {
    it("matches literal subjects exactly", () => {
      const sl = new Sublist<Sub>();
      for (const s of ["foo", "foo.bar", "foo.bar.baz", "bar"]) sl.insert(new Sub(s));
      assert.deepStrictEqual(subjectsOf(sl.match("foo.bar")), ["foo.bar"]);
      assert.deepStrictEqual(subjectsOf(sl.match("foo")), ["foo"]);
      assert.deepStrictEqual(subjectsOf(sl.match("foo.baz")), []);
      assert.deepStrictEqual(subjectsOf(sl.match("foo.bar.baz.qux")), []);
      assert.deepStrictEqual(subjectsOf(sl.match("Foo")), [], "subjects are case-sensitive");
    });

    it("* matches exactly one token in any position", () => {
      const sl = new Sublist<Sub>();
      for (const s of ["*", "foo.*", "*.bar", "foo.*.baz", "*.*"]) sl.insert(new Sub(s));
      assert.deepStrictEqual(subjectsOf(sl.match("foo")), ["*"]);
      assert.deepStrictEqual(subjectsOf(sl.match("foo.bar")), ["*.*", "*.bar", "foo.*"]);
      assert.deepStrictEqual(subjectsOf(sl.match("foo.x.baz")), ["foo.*.baz"]);
      assert.deepStrictEqual(subjectsOf(sl.match("foo.x.y")), []);
      assert.deepStrictEqual(subjectsOf(sl.match("x.y.z")), []);
    });

    it("> matches one or more trailing tokens, never zero", () => {
      const sl = new Sublist<Sub>();
      for (const s of [">", "foo.>", "foo.*.>", "foo.bar.>"]) sl.insert(new Sub(s));
      assert.deepStrictEqual(subjectsOf(sl.match("foo")), [">"]);
      assert.deepStrictEqual(subjectsOf(sl.match("foo.bar")), [">", "foo.>"]);
      assert.deepStrictEqual(subjectsOf(sl.match("foo.bar.baz")), [">", "foo.*.>", "foo.>", "foo.bar.>"]);
      assert.deepStrictEqual(subjectsOf(sl.match("a.b.c.d.e.f")), [">"]);
    });

    it("a literal '*' or '>' token in a published subject matches wildcard subscriptions like any token", () => {
      const sl = new Sublist<Sub>();
      for (const s of ["foo.*", "foo.x"]) sl.insert(new Sub(s));
      assert.deepStrictEqual(subjectsOf(sl.match("foo.*")), ["foo.*"]);
    });

    it("a subject with an empty token matches nothing, not even '>' (as nats-server's Match)", () => {
      const sl = new Sublist<Sub>();
      for (const s of [">", "*.*", "a.>", "*"]) sl.insert(new Sub(s));
      for (const subj of ["a..b", ".a", "a.", ".", "", "a.b..c"]) assert.deepStrictEqual(norm(sl.match(subj)), { p: [], q: [] }, JSON.stringify(subj));
      assert.strictEqual(sl.match("a.b").psubs.length, 3);
    });

    it("returns every subscription on the same subject, and the same object inserted twice only once", () => {
      const sl = new Sublist<Sub>();
      const a = new Sub("x");
      const b = new Sub("x");
      sl.insert(a);
      sl.insert(b);
      assert.strictEqual(sl.match("x").psubs.length, 2);
      sl.insert(a);
      assert.strictEqual(sl.match("x").psubs.length, 2);
    });
  });

  describe("queue groups", () => {
    it("groups queue subscriptions by queue name, apart from plain ones, across wildcard levels", () => {
      const sl = new Sublist<Sub>();
      const p = new Sub("orders.new");
      const g1 = new Sub("orders.new", "g");
      const g2 = new Sub("orders.*", "g");
      const g3 = new Sub("orders.>", "g");
      const h1 = new Sub("orders.new", "h");
      for (const s of [p, g1, g2, g3, h1]) sl.insert(s);
      const r = sl.match("orders.new");
      assert.deepStrictEqual(r.psubs, [p]);
      assert.strictEqual(r.qsubs.length, 2);
      const byQueue = new Map(r.qsubs.map((g) => [g[0].queue, new Set(g)]));
      assert.deepStrictEqual(byQueue.get("g"), new Set([g1, g2, g3]));
      assert.deepStrictEqual(byQueue.get("h"), new Set([h1]));
      assert.deepStrictEqual(norm(sl.match("orders.eu.new")).q, [[g3.id]]);
    });

    it("drops a group from results when its last member leaves", () => {
      const sl = new Sublist<Sub>();
      const a = new Sub("q", "g");
      const b = new Sub("q", "g");
      sl.insert(a);
      sl.insert(b);
      assert.strictEqual(sl.match("q").qsubs[0].length, 2);
      sl.remove(a);
      assert.deepStrictEqual(sl.match("q").qsubs, [[b]]);
      sl.remove(b);
      assert.deepStrictEqual(sl.match("q").qsubs, []);
    });
  });

  describe("removal and pruning", () => {
    it("removes exactly the given subscription and reports whether it was there", () => {
      const sl = new Sublist<Sub>();
      const a = new Sub("a.b");
      const b = new Sub("a.b");
      sl.insert(a);
      sl.insert(b);
      assert.strictEqual(sl.size, 2);
      assert.strictEqual(sl.remove(a), true);
      assert.strictEqual(sl.remove(a), false, "second removal");
      assert.strictEqual(sl.remove(new Sub("a.b")), false, "never inserted");
      assert.strictEqual(sl.remove(new Sub("nope.x")), false, "unknown subject");
      assert.strictEqual(sl.remove(new Sub("a.b", "g")), false, "as a queue member");
      assert.strictEqual(sl.size, 1);
      assert.deepStrictEqual(sl.match("a.b").psubs, [b]);
    });

    it("prunes empty tree nodes so churn of unique subjects leaves nothing behind", () => {
      const sl = new Sublist<Sub>();
      const subs: Sub[] = [];
      for (let i = 0; i < 2000; i++) {
        const s = new Sub(`_INBOX.${i}.${i % 7 === 0 ? "*" : "x"}.${i % 5 === 0 ? ">" : "y"}`, i % 3 === 0 ? "q" : undefined);
        subs.push(s);
        sl.insert(s);
        sl.match(`_INBOX.${i}.x.y`);
      }
      for (const s of subs) assert.ok(sl.remove(s));
      assert.strictEqual(sl.size, 0);
      assert.deepStrictEqual(sl.all(), []);
      const root = treeOf(sl);
      assert.strictEqual(root.nodes.size, 0, "no literal nodes left");
      assert.strictEqual(root.pwc, undefined);
      assert.strictEqual(root.fwc, undefined);
    });

    it("keeps a node that still has children or other subscriptions", () => {
      const sl = new Sublist<Sub>();
      const parent = new Sub("a");
      const child = new Sub("a.b.c");
      sl.insert(parent);
      sl.insert(child);
      sl.remove(parent);
      assert.deepStrictEqual(sl.match("a.b.c").psubs, [child]);
      sl.insert(parent);
      sl.remove(child);
      assert.deepStrictEqual(sl.match("a").psubs, [parent]);
      assert.deepStrictEqual(sl.match("a.b.c").psubs, []);
    });
  });

  describe("match cache", () => {
    it("serves repeated matches from the cache and counts hits", () => {
      const sl = new Sublist<Sub>();
      sl.insert(new Sub("foo.*"));
      sl.match("foo.bar");
      sl.match("foo.bar");
      sl.match("foo.bar");
      assert.strictEqual(sl.stats.matches, 3);
      assert.strictEqual(sl.stats.cacheHits, 2);
      assert.strictEqual(sl.cacheSize, 1);
    });

    it("sees subscriptions added or removed after a result was cached, wildcards included", () => {
      const sl = new Sublist<Sub>();
      assert.strictEqual(sl.match("a.b.c").psubs.length, 0);
      const w = new Sub("a.>");
      sl.insert(w);
      assert.deepStrictEqual(sl.match("a.b.c").psubs, [w]);
      const s = new Sub("*.b.*");
      sl.insert(s);
      assert.deepStrictEqual(new Set(sl.match("a.b.c").psubs), new Set([w, s]));
      sl.remove(w);
      assert.deepStrictEqual(sl.match("a.b.c").psubs, [s]);
      const q = new Sub("a.b.c", "g");
      sl.insert(q);
      assert.deepStrictEqual(sl.match("a.b.c").qsubs, [[q]]);
      sl.remove(q);
      sl.remove(s);
      assert.deepStrictEqual(norm(sl.match("a.b.c")), { p: [], q: [] });
    });

    it("does not mutate a result handed out before a change", () => {
      const sl = new Sublist<Sub>();
      const a = new Sub("x");
      sl.insert(a);
      const before = sl.match("x");
      sl.insert(new Sub("x"));
      sl.insert(new Sub(">", "g"));
      assert.deepStrictEqual(before.psubs, [a]);
      assert.deepStrictEqual(before.qsubs, []);
    });

    it("stays bounded by its size limit", () => {
      const sl = new Sublist<Sub>(64);
      sl.insert(new Sub(">"));
      for (let i = 0; i < 1000; i++) sl.match(`s.${i}`);
      assert.ok(sl.cacheSize <= 64, `cache holds ${sl.cacheSize}`);
      assert.strictEqual(sl.match("s.1").psubs.length, 1, "an evicted subject still matches");
    });

    it("bumps genId on every change", () => {
      const sl = new Sublist<Sub>();
      const g0 = sl.genId;
      const s = new Sub("a");
      sl.insert(s);
      const g1 = sl.genId;
      sl.remove(s);
      assert.ok(g1 > g0 && sl.genId > g1);
    });

    it("agrees with a naive matcher over thousands of random subscribes, unsubscribes and matches", function () {
      const seed = seedFrom("SUBLIST_SEED");
      const r = new Prng(seed);
      const tokens = ["a", "b", "c", "*", ">"];
      const literal = ["a", "b", "c", "d"];
      const randomSubject = (lit: boolean): string => {
        const n = r.range(1, 4);
        const out: string[] = [];
        for (let i = 0; i < n; i++) {
          const t = lit ? r.pick(literal) : r.pick(tokens);
          out.push(t);
          if (t === ">") break;
        }
        return out.join(".");
      };
      // A small cache forces evictions too.
      const sl = new Sublist<Sub>(32);
      const live: Sub[] = [];
      let checks = 0;
      for (let step = 0; step < 20000; step++) {
        const roll = r.int(10);
        // Inserts and removals balance around a few hundred live subscriptions.
        if (live.length === 0 || (roll < 3 && live.length < 400)) {
          const s = new Sub(randomSubject(false), r.chance(0.3) ? r.pick(["q1", "q2"]) : undefined);
          sl.insert(s);
          live.push(s);
        } else if (roll < 5) {
          const [s] = live.splice(r.int(live.length), 1);
          assert.strictEqual(sl.remove(s), true);
        } else {
          const subj = randomSubject(true);
          assert.deepStrictEqual(norm(sl.match(subj)), naiveMatch(live, subj), `seed ${seed} (SUBLIST_SEED) step ${step}: match ${subj}`);
          checks++;
        }
      }
      assert.strictEqual(sl.size, live.length);
      assert.ok(checks > 5000 && sl.stats.cacheHits > 0, `${checks} checks, ${sl.stats.cacheHits} cache hits`);
    });
  });
});
