/**
 * Subject mappings (issue 8): `mappings { }` at the top level and in accounts, applied as
 * nats-server 2.9.10 applies them. Every scenario runs the same config on natsfleet-server and
 * on nats-server (the reference), with the official `nats` client: plain and wildcard
 * mappings, the 2.9 transform functions, weighted destinations (a statistical check), accounts,
 * permissions on the mapped subject, reload, config errors, /accountz, routes (mapped once, where
 * published) and leaf nodes (mapped where they arrive), cluster-scoped destinations; then the
 * embedding API's options objects.
 */
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as jwt from "@nats-io/jwt";
import { connect, credsAuthenticator, NatsConnection, StringCodec } from "nats";
import { SERVER_KINDS, ServerKind, ServerProcess, natsServerBinary, natsfleetEntry, spawnServer, stopAllServers } from "../helpers/servers";
import { freePort, freePorts, sleep } from "../helpers/ports";
import { getJson } from "../helpers/http";
import { closeAllRaw } from "../helpers/raw";
import { accepted, err, login, reload } from "./security-helpers";
import { ConfigError, OptionsError, Server, startServer } from "../../broker";
import { optionsFromConfig, parseConfigText } from "../../broker/config";

const sc = StringCodec();
const conns: NatsConnection[] = [];

async function client(port: number, opts: Record<string, unknown> = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false, ...opts });
  conns.push(nc);
  return nc;
}

async function closeClients(): Promise<void> {
  await Promise.all(conns.splice(0).map((nc) => nc.close().catch(() => undefined)));
}

/** Subjects of everything `nc` receives on `subject` (a wildcard catches the mapped ones). */
function received(nc: NatsConnection, subject: string): string[] {
  const got: string[] = [];
  nc.subscribe(subject, { callback: (_e, m) => got.push(m.subject) });
  return got;
}

/** Publish each subject once from `nc` and wait until the server has delivered them (echo is on). */
async function publishAll(nc: NatsConnection, subjects: string[]): Promise<void> {
  await nc.flush();
  for (const s of subjects) nc.publish(s, sc.encode(s));
  await nc.flush();
}

/** Poll until `cond` holds. */
async function until(what: string, cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** How many of `list` equal `s`. */
const count = (list: string[], s: string) => list.filter((x) => x === s).length;

const FUNCTIONS = `mappings {
  simple: mapped
  "orders.*.*": "orders.{{wildcard(2)}}.{{ wildcard(1) }}"
  "legacy.*.*": "legacy.$2.$1"
  "tail.*.>": "moved.$1.>"
  "fn.sfl.*": "x.{{splitFromLeft(1,2)}}"
  "fn.sfr.*": "x.{{SplitFromRight(1,3)}}"
  "fn.sll.*": "x.{{sliceFromLeft(1,3)}}"
  "fn.slr.*": "x.{{slicefromright(1,3)}}"
  "fn.split.*": "x.{{split(1,-)}}"
  "fn.part.*": "x.{{partition(10,1)}}.$1"
  "fn.mix.*.*": "x.{{partition(5,1,2)}}.{{wildcard(2)}}"
  "lit": "x.{{wildcard(1)}}"
}`;

const WEIGHTED = `mappings {
  w: [ {destination: w.a, weight: 40%}, {destination: w.b, weight: "60%"} ]
  "r.*": [ {destination: "r.mapped.$1", weight: 30} ]
}`;

/** Expected binomial count with a tolerance of 5 standard deviations. */
function assertShare(label: string, got: number, n: number, p: number): void {
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(got - mean) <= 5 * sd, `${label}: ${got} of ${n}, expected about ${mean} (±${Math.round(5 * sd)})`);
}

for (const kind of SERVER_KINDS) {
  describe(`subject mappings: ${kind}`, function () {
    this.timeout(30000);
    let s: ServerProcess;

    before(function () {
      if (kind === "nats-server" && !natsServerBinary()) this.skip();
    });
    afterEach(async () => {
      await closeClients();
      await closeAllRaw();
      await stopAllServers();
    });

    it("a plain mapping moves the message; nothing is left on the source subject", async () => {
      s = await spawnServer(kind as ServerKind, [], { config: `mappings { foo: bar, "a.b": "c.d.e" }` });
      const nc = await client(s.port);
      const got = received(nc, ">");
      await publishAll(nc, ["foo", "a.b", "other"]);
      assert.deepStrictEqual(got, ["bar", "c.d.e", "other"]);
      // The payload and a reply travel with it: a request on the source reaches a responder on the destination.
      nc.subscribe("bar", { callback: (_e, m) => m.respond(sc.encode(`re:${m.subject}:${sc.decode(m.data)}`)) });
      const r = await nc.request("foo", sc.encode("q"), { timeout: 2000 });
      assert.strictEqual(sc.decode(r.data), "re:bar:q");
    });

    it("wildcards reorder with {{wildcard(N)}} and $N; a trailing > carries the rest", async () => {
      s = await spawnServer(kind as ServerKind, [], { config: FUNCTIONS });
      const nc = await client(s.port);
      const got = received(nc, ">");
      await publishAll(nc, ["orders.eu.42", "legacy.one.two", "tail.k.a.b.c", "orders.only"]);
      assert.deepStrictEqual(got, ["orders.42.eu", "legacy.two.one", "moved.k.a.b.c", "orders.only"]);
    });

    it("transform functions: split/slice from left and right, split on a delimiter, partition", async () => {
      s = await spawnServer(kind as ServerKind, [], { config: FUNCTIONS });
      const nc = await client(s.port);
      const got = received(nc, ">");
      const keys = ["k1", "k2", "k3", "alpha", "beta"];
      await publishAll(nc, [
        "fn.sfl.abcd",
        "fn.sfr.abcdefg",
        "fn.sll.abcdefgh",
        "fn.slr.abcdefgh",
        "fn.split.-a--b-",
        "fn.sfl.a", // too short to split: unchanged token
        ...keys.map((k) => `fn.part.${k}`),
        "fn.mix.a.b",
        "lit", // a literal source takes its destination as is, braces included
        "simple",
      ]);
      assert.deepStrictEqual(got.slice(0, 6), ["x.ab.cd", "x.abcd.efg", "x.abc.def.gh", "x.ab.cde.fgh", "x.a.b", "x.a"]);
      // FNV-1a partitions: the same numbers on both servers (checked against nats-server).
      assert.deepStrictEqual(got.slice(6, 11), ["x.9.k1", "x.2.k2", "x.1.k3", "x.7.alpha", "x.1.beta"]);
      assert.deepStrictEqual(got.slice(11), ["x.1.b", "x.{{wildcard(1)}}", "mapped"]);
      // Partitions are stable: the same key always lands in the same one.
      const again = received(nc, "x.*.k1");
      await publishAll(nc, ["fn.part.k1", "fn.part.k1", "fn.part.k1"]);
      assert.deepStrictEqual(again, ["x.9.k1", "x.9.k1", "x.9.k1"]);
    });

    it("weighted destinations split by weight; below 100% the rest stays unmapped", async () => {
      s = await spawnServer(kind as ServerKind, [], { config: WEIGHTED });
      const nc = await client(s.port);
      const got = received(nc, ">");
      const n = 2000;
      await publishAll(nc, Array.from({ length: n }, () => "w"));
      await publishAll(nc, Array.from({ length: n }, (_x, i) => `r.${i % 7}`));
      const w = got.slice(0, n);
      assert.strictEqual(count(w, "w.a") + count(w, "w.b"), n, "every message on w is mapped");
      assertShare("w.a (40%)", count(w, "w.a"), n, 0.4);
      assertShare("w.b (60%)", count(w, "w.b"), n, 0.6);
      const r = got.slice(n);
      const mapped = r.filter((x) => x.startsWith("r.mapped.")).length;
      assertShare("r.* mapped (30%)", mapped, n, 0.3);
      assert.strictEqual(r.filter((x) => /^r\.\d$/.test(x)).length, n - mapped, "the rest keeps its subject");
      assert.ok(r.every((x, i) => x === `r.${i % 7}` || x === `r.mapped.${i % 7}`), "wildcard tokens carried over");
    });

    it("account mappings apply to that account's publishers only", async () => {
      s = await spawnServer(kind as ServerKind, [], {
        config: `accounts {
  A: { users: [ {user: a, password: a} ], mappings: { "in.*": "a.$1" } }
  B: { users: [ {user: b, password: b} ], mappings: { "in.*": [ {destination: "b.$1", weight: 100} ] } }
  C: { users: [ {user: c, password: c} ] }
}`,
      });
      const [a, b, c] = await Promise.all(["a", "b", "c"].map((u) => client(s.port, { user: u, pass: u })));
      const got = [received(a, ">"), received(b, ">"), received(c, ">")];
      await publishAll(a, ["in.x"]);
      await publishAll(b, ["in.y"]);
      await publishAll(c, ["in.z"]);
      await Promise.all([a.flush(), b.flush(), c.flush()]);
      assert.deepStrictEqual(got, [["a.x"], ["b.y"], ["in.z"]]);
    });

    it("permissions are checked on the mapped subject, as nats-server checks them", async () => {
      s = await spawnServer(kind as ServerKind, [], {
        config: `authorization { users: [ {user: p, password: p, permissions: { publish: "src.>" }}, {user: s, password: s} ] }
mappings { "src.x": "dst.x", "other": "src.y" }`,
      });
      const sub = await client(s.port, { user: "s", pass: "s" });
      const got = received(sub, ">");
      await sub.flush();
      const p = await login(s.port, { user: "p", pass: "p" });
      assert.ok(accepted(p), p.afterInfo());
      const mark = p.afterInfo().length;
      // Allowed source, denied destination: refused. Denied source, allowed destination: delivered.
      p.send("PUB src.x 1\r\n1\r\nPUB other 1\r\n2\r\nPUB src.z 1\r\n3\r\n");
      await p.sync();
      assert.strictEqual(p.afterInfo().slice(mark), `${err('Permissions Violation for Publish to "dst.x"')}PONG\r\n`);
      await until("deliveries", () => got.length >= 2);
      await sub.flush();
      assert.deepStrictEqual(got, ["src.y", "src.z"]);
    });

    it("reload: changed, added and removed mappings apply to later messages on open connections", async () => {
      s = await spawnServer(kind as ServerKind, [], { config: `mappings { foo: bar }` });
      const nc = await client(s.port);
      const got = received(nc, ">");
      await publishAll(nc, ["foo", "new.1"]);
      await reload(s, `mappings { foo: baz, "new.*": "added.$1" }`);
      await publishAll(nc, ["foo", "new.2"]);
      await reload(s, `port: ${s.port}\n`);
      await publishAll(nc, ["foo", "new.3"]);
      assert.deepStrictEqual(got, ["bar", "new.1", "baz", "added.2", "foo", "new.3"]);
    });

    it("a cluster-scoped destination is not used outside that cluster", async () => {
      s = await spawnServer(kind as ServerKind, [], { config: `mappings { cs: [ {destination: cs.east, weight: 100%, cluster: east} ], both: [ {destination: both.east, weight: 50, cluster: east}, {destination: both.any, weight: 50} ] }` });
      const nc = await client(s.port);
      const got = received(nc, ">");
      await publishAll(nc, ["cs", "cs", "both", "both", "both", "both"]);
      assert.deepStrictEqual(got.slice(0, 2), ["cs", "cs"]);
      assert.ok(got.slice(2).every((x) => x === "both" || x === "both.any"), got.join(","));
    });

    it("a request through a service import is mapped by the exporting account's mappings", async () => {
      s = await spawnServer(kind as ServerKind, [], {
        config: `accounts {
  A: { users: [ {user: a, password: a} ], exports: [ {service: "svc.*"} ], mappings: { "svc.v1": "svc.v2" } }
  B: { users: [ {user: b, password: b} ], imports: [ {service: {account: A, subject: "svc.v1"}, to: "echo"} ] }
}`,
      });
      const a = await client(s.port, { user: "a", pass: "a" });
      a.subscribe("svc.*", { callback: (_e, m) => m.respond(sc.encode(`A got ${m.subject}`)) });
      await a.flush();
      const b = await client(s.port, { user: "b", pass: "b" });
      const r = await b.request("echo", sc.encode("x"), { timeout: 2000 });
      assert.strictEqual(sc.decode(r.data), "A got svc.v2");
    });

    it("operator mode: an account JWT's mappings apply (a weight left out means 100%)", async () => {
      const op = jwt.createOperator();
      const sys = jwt.createAccount();
      const app = jwt.createAccount();
      const limits = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
      const mappings = { "j.*": [{ subject: "jwt.$1" }], "k": [{ subject: "k.half", weight: 50 }] };
      const sysJwt = await jwt.encodeAccount("SYS", sys, {}, { signer: op });
      const appJwt = await jwt.encodeAccount("APP", app, { limits, mappings } as Parameters<typeof jwt.encodeAccount>[2], { signer: op });
      const config = [
        `operator: ${await jwt.encodeOperator("OP", op, { system_account: sys.getPublicKey() })}`,
        `system_account: ${sys.getPublicKey()}`,
        "resolver: MEMORY",
        `resolver_preload: { ${sys.getPublicKey()}: ${sysJwt}, ${app.getPublicKey()}: ${appJwt} }`,
      ].join("\n");
      s = await spawnServer(kind as ServerKind, [], { config });
      const u = jwt.createUser();
      const creds = jwt.fmtCreds(await jwt.encodeUser("u", u, app), u);
      const nc = await client(s.port, { authenticator: credsAuthenticator(creds) });
      const got = received(nc, ">");
      const n = 400;
      await publishAll(nc, ["j.1", ...Array.from({ length: n }, () => "k")]);
      assert.strictEqual(got[0], "jwt.1");
      const k = got.slice(1);
      assert.strictEqual(count(k, "k") + count(k, "k.half"), n);
      assertShare("k.half (50%)", count(k, "k.half"), n, 0.5);
    });

    it("/accountz lists each mapping's destinations with cumulative weights, the unmapped rest included", async () => {
      const http = await freePort();
      const config = WEIGHTED.replace("mappings {", `http: "127.0.0.1:${http}"\nmappings {\n  foo: bar, "orders.*.*": "orders.{{wildcard(2)}}.{{wildcard(1)}}"`);
      s = await spawnServer(kind as ServerKind, [], { config });
      const detail = (await getJson(http, "/accountz?acc=$G")).body as { account_detail: { mappings: unknown } };
      assert.deepStrictEqual(detail.account_detail.mappings, {
        foo: [{ subject: "bar", weight: 100 }],
        "orders.*.*": [{ subject: "orders.{{wildcard(2)}}.{{wildcard(1)}}", weight: 100 }],
        "r.*": [
          { subject: "r.mapped.$1", weight: 30 },
          { subject: "r.$1", weight: 100 },
        ],
        w: [
          { subject: "w.a", weight: 40 },
          { subject: "w.b", weight: 100 },
        ],
      });
    });
  });
}

/** Run a server binary on a config that must fail; resolves with its exit code and output. */
function runFailing(kind: ServerKind, file: string): Promise<{ code: number; output: string }> {
  const [cmd, args] = kind === "natsfleet" ? [process.execPath, [natsfleetEntry(), "-c", file]] : [natsServerBinary()!, ["-c", file]];
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 15000 }, (e, stdout, stderr) => {
      const code = e ? (typeof (e as { code?: unknown }).code === "number" ? (e as { code: number }).code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe("subject mappings: config errors", function () {
  this.timeout(30000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-mappings-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Each refused on the line of its mapping, with nats-server's words.
  const cases: Array<[string, string, number, string]> = [
    ["wildcard index", `mappings {\n  "foo.*": "bar.{{wildcard(2)}}"\n}`, 2, `Error adding mapping for "foo.*" to "bar.{{wildcard(2)}}" : invalid mapping destination: wildcard index out of range in {{wildcard(2)}}: [2]`],
    ["legacy index", `accounts {\n  A {\n    mappings { "foo.*": "bar.$3" }\n  }\n}`, 3, `Error adding mapping for "foo.*" to "bar.$3" : invalid mapping destination: wildcard index out of range in $3: [3]`],
    ["unused wildcard", `mappings {\n  "foo.*.*": "bar.$1"\n}`, 2, `Error adding mapping for "foo.*.*" to "bar.$1" : invalid mapping destination: not using all of the token wildcard(s) in bar.$1`],
    ["unknown function", `mappings {\n\n  "foo.*": "bar.{{nope(1)}}"\n}`, 3, `Error adding mapping for "foo.*" to "bar.{{nope(1)}}" : invalid mapping destination: unknown function in {{nope(1)}}`],
    ["missing arguments", `mappings {\n  "foo.*": "bar.{{partition(3)}}"\n}`, 2, `Error adding mapping for "foo.*" to "bar.{{partition(3)}}" : invalid mapping destination: not enough arguments passed to the function in {{partition(3)}}`],
    ["wildcard in destination", `mappings { "foo.*": "bar.*" }`, 1, `Error adding mapping for "foo.*" to "bar.*" : invalid subject`],
    ["weight over 100%", `mappings {\n  foo: [ {destination: a, weight: 160%} ]\n}`, 2, `Invalid weight 160 for mapping destination`],
  ];
  for (const kind of SERVER_KINDS) {
    for (const [what, text, line, message] of cases) {
      it(`${kind}: ${what}`, async function () {
        if (kind === "nats-server" && !natsServerBinary()) this.skip();
        const file = path.join(dir, `${what.replace(/\W+/g, "-")}.conf`);
        fs.writeFileSync(file, `port: -1\n${text}\n`);
        const r = await runFailing(kind, file);
        assert.notStrictEqual(r.code, 0, r.output);
        // Lines count from the `port` line written first.
        assert.match(r.output, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${line + 1}:\\d+: `), r.output);
        assert.ok(r.output.includes(message), r.output);
      });
    }
  }

  it("in process: the config loader reports each bad mapping at its position", () => {
    const errorOf = (text: string): string => {
      try {
        optionsFromConfig(parseConfigText(text, "m.conf", {}), {});
      } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.message;
      }
      return assert.fail(`no error for ${text}`);
    };
    assert.strictEqual(errorOf(`mappings {\n  foo: [ {destination: a, weight: 10}, {destination: a, weight: 20} ]\n}`), `m.conf:2:3: Error adding mapping for "foo" : duplicate entry for "a"`);
    assert.strictEqual(errorOf(`mappings { foo: { destination: a, weight: "ten%" } }`), `m.conf:1:43: Invalid weight "ten" for mapping destination`);
    assert.strictEqual(errorOf(`mappings { "foo.>": bar }`), `m.conf:1:12: Error adding mapping for "foo.>" to "bar" : invalid subject`);
    assert.strictEqual(errorOf(`mappings { "foo.*": "bar.{{split(1,a b)}}" }`), `m.conf:1:12: Error adding mapping for "foo.*" to "bar.{{split(1,a b)}}" : invalid mapping destination: function argument is invalid or in the wrong format in {{split(1,a b)}}`);
    // A dot splits the destination into tokens before any function is read (as in nats-server).
    assert.strictEqual(errorOf(`mappings { "foo.*": "bar.{{split(1,.)}}" }`), `m.conf:1:12: Error adding mapping for "foo.*" to "bar.{{split(1,.)}}" : invalid mapping destination: not using all of the token wildcard(s) in bar.{{split(1,.)}}`);
    // nats-server 2.9.10 accepts a partition count of 0 and then crashes on the first message.
    assert.match(errorOf(`mappings { "p.*": "p.{{partition(0,1)}}" }`), /m\.conf:1:12: .*the number of partitions must not be 0/);
    // Cluster-scoped destinations count toward the same 100%, as in nats-server.
    assert.match(errorOf(`mappings { c: [ {destination: a, weight: 100, cluster: x}, {destination: b, weight: 100} ] }`), /total weight needs to be <= 100/);
  });

  it("natsfleet: weights adding up to more than 100% (nats-server reports a Go panic text there)", async () => {
    const file = path.join(dir, "total.conf");
    fs.writeFileSync(file, `port: -1\nmappings {\n  foo: [ {destination: a, weight: 60}, {destination: b, weight: 50} ]\n}\n`);
    const r = await runFailing("natsfleet", file);
    assert.notStrictEqual(r.code, 0);
    assert.ok(r.output.includes(`${file}:3:3: Error adding mapping for "foo" : total weight needs to be <= 100`), r.output);
  });
});

/** Every pairing of the two binaries, for links between two servers. */
const BINARY_PAIRS: Array<[ServerKind, ServerKind]> = [
  ["natsfleet", "natsfleet"],
  ["natsfleet", "nats-server"],
  ["nats-server", "natsfleet"],
  ["nats-server", "nats-server"],
];

describe("subject mappings across a route: mapped once, where published", function () {
  this.timeout(40000);
  const pairs = BINARY_PAIRS;
  const MAPPINGS = [`mappings { "chain.a": "chain.b", "chain.b": "chain.c", cs: [ {destination: cs.east, weight: 100%, cluster: east} ] }`];

  afterEach(async () => {
    await closeClients();
    await stopAllServers();
  });

  for (const [k1, k2] of pairs) {
    it(`publish on ${k1}, subscribers on ${k2}`, async function () {
      if ((k1 === "nats-server" || k2 === "nats-server") && !natsServerBinary()) this.skip();
      const { startMember, memberPorts } = await import("./route-helpers");
      const [p1, p2] = [await memberPorts(), await memberPorts()];
      const m1 = await startMember(k1, { name: "s1", cluster: "east", ports: p1, extra: MAPPINGS, routes: [`nats-route://127.0.0.1:${p2.cluster}`] });
      await startMember(k2, { name: "s2", cluster: "east", ports: p2, extra: MAPPINGS, routes: [`nats-route://127.0.0.1:${p1.cluster}`] });
      const sub = await client(p2.client);
      const got = received(sub, "chain.>");
      const scoped = received(sub, "cs.>");
      const probe = received(sub, "probe");
      await sub.flush();
      const pub = await client(p1.client);
      // Route interest takes a moment to arrive.
      await until("route interest", () => {
        pub.publish("probe");
        return probe.length > 0;
      });
      await publishAll(pub, ["chain.a", "chain.b", "cs"]);
      await until("deliveries", () => got.length >= 2 && scoped.length >= 1);
      await sleep(200);
      await sub.flush();
      // chain.a became chain.b on s1; s2 does not map it again to chain.c.
      assert.deepStrictEqual(got, ["chain.b", "chain.c"]);
      // Both servers are in cluster east: its destination is used.
      assert.deepStrictEqual(scoped, ["cs.east"]);
    });
  }
});

describe("subject mappings on leaf node messages: mapped where they arrive", function () {
  this.timeout(40000);
  const pairs = BINARY_PAIRS;

  afterEach(async () => {
    await closeClients();
    await stopAllServers();
  });

  for (const [hubKind, leafKind] of pairs) {
    it(`hub ${hubKind} maps what a ${leafKind} leaf sends; the sources are interest the hub sends`, async function () {
      if ((hubKind === "nats-server" || leafKind === "nats-server") && !natsServerBinary()) this.skip();
      const [leafPort] = await freePorts(1);
      const hubConfig = (m: string) => `leafnodes { listen: "127.0.0.1:${leafPort}" }\nmappings { ${m} }\n`;
      const LEAF = `leafnodes { remotes: [ { url: "nats://127.0.0.1:${leafPort}" } ] }\n`;
      const hub = await spawnServer(hubKind, [], { config: hubConfig(`"lf.in.*": "out.$1"`) });
      const leaf = await spawnServer(leafKind, [], { config: LEAF });
      const sub = await client(hub.port);
      const got = received(sub, "out.>");
      await sub.flush();
      const pub = await client(leaf.port);
      // Nothing on the hub subscribes to lf.*: the mapping's source itself is interest the hub
      // sends, so the leaf forwards what the hub maps.
      await until("the mapped message", () => {
        pub.publish("lf.in.1");
        return got.length > 0;
      });
      assert.strictEqual(got[0], "out.1");
      // A mapping added by reload: a leaf that connects afterwards gets its source as interest.
      await reload(hub, hubConfig(`"lf.in.*": "out.$1", "lf.late": "out.after"`));
      const leaf2 = await spawnServer(leafKind, [], { config: LEAF });
      const pub2 = await client(leaf2.port);
      await until("a source added by reload, from a new leaf", () => {
        pub2.publish("lf.late");
        return got.includes("out.after");
      });
      if (hubKind === "natsfleet") {
        // natsfleet-server also tells leafs that were already connected (nats-server 2.9.10 does
        // so for account JWT updates, not for a config reload).
        await sleep(300); // the new leaf's messages still in flight
        const before = count(got, "out.after");
        await until("a source added by reload, from a connected leaf", () => {
          pub.publish("lf.late");
          return count(got, "out.after") > before + 1;
        });
      }
      await sleep(100);
      assert.ok(got.every((x) => x === "out.1" || x === "out.after"), got.join(","));
    });
  }
});

describe("subject mappings: embedding options", function () {
  this.timeout(20000);
  const servers: Server[] = [];
  afterEach(async () => {
    await closeClients();
    await Promise.all(servers.splice(0).map((s) => s.shutdown()));
  });

  it("an options object with mappings starts a server that applies them, reload included", async () => {
    const s = await startServer(
      {
        host: "127.0.0.1",
        port: -1,
        mappings: { "in.*": "g.$1", w: [{ destination: "w.a", weight: 50 }, { destination: "w.b", weight: 50, cluster: "other" }] },
        authorization: { users: [{ user: "g", password: "g" }] },
        accounts: [{ name: "A", users: [{ user: "a", password: "a" }], mappings: { "in.*": "a.{{wildcard(1)}}" } }],
      },
      { log: { quiet: true } },
    );
    servers.push(s);
    const g = await client(s.addr()!.port, { user: "g", pass: "g" });
    const a = await client(s.addr()!.port, { user: "a", pass: "a" });
    const [gg, ag] = [received(g, ">"), received(a, ">")];
    await publishAll(g, ["in.1"]);
    await publishAll(a, ["in.2"]);
    assert.deepStrictEqual([gg, ag], [["g.1"], ["a.2"]]);
    await s.reload({ host: "127.0.0.1", authorization: { users: [{ user: "g", password: "g" }] }, mappings: { "in.*": "h.$1" } });
    await publishAll(g, ["in.3"]);
    assert.deepStrictEqual(gg, ["g.1", "h.3"]);
  });

  it("a bad mapping is an OptionsError naming the field, with nats-server's words", async () => {
    await assert.rejects(startServer({ port: -1, mappings: { "foo.*": "bar.$2" } }, { log: { quiet: true } }), (e: Error) => {
      assert.ok(e instanceof OptionsError, String(e));
      assert.strictEqual(e.message, `server option "mappings.foo.*": Error adding mapping for "foo.*" to "bar.$2" : invalid mapping destination: wildcard index out of range in $2: [2]`);
      return true;
    });
    await assert.rejects(
      startServer({ port: -1, accounts: [{ name: "A", mappings: { x: [{ destination: "a", weight: 70 }, { destination: "b", weight: 40 }] } }] }, { log: { quiet: true } }),
      /server option "accounts\[0\]\.mappings\.x": Error adding mapping for "x" : total weight needs to be <= 100/,
    );
  });
});
