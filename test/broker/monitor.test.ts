/**
 * The monitoring HTTP endpoints of an in-process natsfleet-server, driven by real `nats` (v2)
 * clients, and their field names checked against Debian's nats-server 2.9.10 side by side.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { connect, NatsConnection } from "nats";
import { Server } from "../../broker/server";
import { Logger } from "../../broker/log";
import { ServerOptions, withDefaults } from "../../broker/options";
import { monitoring, MonitorAddon, goDuration, goTime, uptime } from "../../broker/monitor";
import type { RouteView, LeafView, GatewaysView, GatewayConnView } from "../../broker/monitor";
import { spawnServer, ServerProcess, stopAllServers } from "../helpers/servers";
import { freePort, sleep } from "../helpers/ports";

interface Reply {
  status: number;
  type: string;
  text: string;
}

/** GET without keep-alive, so no pooled socket outlives a test. */
function get(port: number, p: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: p, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), text }));
    });
    req.on("error", reject);
  });
}

async function getJSON(port: number, p: string): Promise<Record<string, any>> {
  const r = await get(port, p);
  assert.strictEqual(r.status, 200, `${p}: ${r.status} ${r.text}`);
  assert.strictEqual(r.type, "application/json", p);
  return JSON.parse(r.text);
}

const CERTS = path.join(__dirname, "fixtures", "config", "certs");

/** GET over TLS, trusting the fixture CA. */
function getTLS(port: number, p: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", port, path: p, agent: false, ca: fs.readFileSync(path.join(CERTS, "ca.pem")) }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), text }));
    });
    req.on("error", reject);
  });
}

const RFC3339_NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const UPTIME = /^(\d+y)?(\d+d)?(\d+h)?(\d+m)?\d+s$/;

const servers: Server[] = [];
const clients: NatsConnection[] = [];

/** An in-process server with the monitoring addon, quiet unless `logFile` is given. */
async function startMonitored(extra: Partial<ServerOptions> = {}): Promise<{ server: Server; addon: MonitorAddon; port: number }> {
  const opts = withDefaults({ host: "127.0.0.1", port: -1, httpHost: "127.0.0.1", httpPort: -1, ...extra });
  const server = new Server(opts, new Logger({ quiet: !opts.logFile, file: opts.logFile }));
  const addon = monitoring();
  server.addons.push(addon);
  servers.push(server);
  await server.start();
  return { server, addon, port: server.httpPort };
}

async function client(server: Server, opts: Record<string, unknown> = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: server.clientURL(), reconnect: false, ...opts });
  clients.push(nc);
  return nc;
}

/** Poll until `check` passes (connection state changes reach the server asynchronously). */
async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, what: string, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (check(v)) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await sleep(20);
  }
}

after(async () => {
  await Promise.all(clients.map((c) => (c.isClosed() ? undefined : c.close())));
  await Promise.all(servers.map((s) => s.shutdown()));
});

describe("monitoring: value formats", () => {
  it("formats durations like Go's time.Duration.String()", () => {
    assert.strictEqual(goDuration(0), "0s");
    assert.strictEqual(goDuration(999), "999ns");
    assert.strictEqual(goDuration(1500), "1.5µs");
    assert.strictEqual(goDuration(922_000), "922µs");
    assert.strictEqual(goDuration(3_782_970), "3.78297ms");
    assert.strictEqual(goDuration(2_500_000), "2.5ms");
    assert.strictEqual(goDuration(1_000_000_000), "1s");
    assert.strictEqual(goDuration(102_000_000_000), "1m42s");
    assert.strictEqual(goDuration(3_600_000_000_000), "1h0m0s");
    assert.strictEqual(goDuration(3_661_500_000_000), "1h1m1.5s");
    assert.strictEqual(goDuration(-2_000_000), "-2ms");
  });

  it("formats times as Go's RFC3339Nano in UTC, trailing zeros trimmed", () => {
    const t = Date.UTC(2026, 10, 24, 6, 0, 0, 123);
    assert.strictEqual(goTime(t), "2026-11-24T06:00:00.123Z");
    assert.strictEqual(goTime(t + 0.456), "2026-11-24T06:00:00.123456Z");
    assert.strictEqual(goTime(Date.UTC(2026, 10, 24, 6, 0, 0, 0)), "2026-11-24T06:00:00Z");
    assert.strictEqual(goTime(Date.UTC(2026, 10, 24, 6, 0, 0, 100)), "2026-11-24T06:00:00.1Z");
  });

  it("formats uptimes in whole seconds with days and years, as nats-server", () => {
    assert.strictEqual(uptime(999), "0s");
    assert.strictEqual(uptime(102_000), "1m42s");
    assert.strictEqual(uptime(3_600_000), "1h0m0s");
    assert.strictEqual(uptime((3 * 86400 + 2 * 3600 + 5) * 1000), "3d2h0m5s");
    assert.strictEqual(uptime((366 * 86400 + 1) * 1000), "1y1d0h0m1s");
  });
});

describe("monitoring: endpoints with live clients", function () {
  this.timeout(20000);
  let server: Server;
  let port: number;
  let alpha: NatsConnection;
  let beta: NatsConnection;
  let received = 0;

  before(async () => {
    ({ server, port } = await startMonitored());
    alpha = await client(server, { name: "alpha" });
    alpha.subscribe("foo.*", { callback: () => received++ });
    alpha.subscribe("bar", { queue: "q", max: 5 });
    await alpha.flush();
    beta = await client(server, { name: "beta" });
    for (let i = 0; i < 3; i++) beta.publish("foo.x", "hello");
    await beta.flush();
    await eventually(async () => received, (n) => n === 3, "3 deliveries");
  });

  it("serves an index page linking every endpoint, each of which answers", async () => {
    const r = await get(port, "/");
    assert.strictEqual(r.status, 200);
    assert.match(r.type, /^text\/html/);
    const links = [...r.text.matchAll(/href="\.\/([a-z]+)"/g)].map((m) => m[1]);
    assert.deepStrictEqual(links, ["varz", "jsz", "connz", "accountz", "subsz", "routez", "leafz", "gatewayz", "healthz", "metrics"]);
    for (const l of links) assert.strictEqual((await get(port, `/${l}`)).status, 200, l);
  });

  it("/varz: identity, units and counters", async () => {
    const v = await getJSON(port, "/varz");
    assert.strictEqual(v.server_id, server.id);
    assert.strictEqual(v.server_name, server.name);
    assert.strictEqual(v.version, "2.9.10");
    assert.strictEqual(v.proto, 1);
    assert.strictEqual(v.host, "127.0.0.1");
    assert.strictEqual(v.port, server.port);
    assert.strictEqual(v.http_host, "127.0.0.1");
    assert.strictEqual(v.http_port, port);
    assert.strictEqual(v.https_port, 0);
    assert.strictEqual(v.ping_interval, 120_000_000_000, "ping_interval in ns");
    assert.strictEqual(v.write_deadline, 10_000_000_000, "write_deadline in ns");
    assert.strictEqual(v.auth_timeout, 2, "auth_timeout in s");
    assert.strictEqual(v.max_payload, 1024 * 1024);
    assert.deepStrictEqual([v.cluster, v.gateway, v.leaf], [{}, {}, {}]);
    assert.match(v.start, RFC3339_NANO);
    assert.match(v.now, RFC3339_NANO);
    assert.match(v.config_load_time, RFC3339_NANO);
    assert.match(v.uptime, UPTIME);
    assert.ok(Date.parse(v.now) >= Date.parse(v.start));
    assert.strictEqual(v.connections, 2);
    assert.strictEqual(v.total_connections, 2);
    assert.strictEqual(v.subscriptions, 2);
    assert.strictEqual(v.in_msgs, 3);
    assert.strictEqual(v.out_msgs, 3);
    assert.strictEqual(v.in_bytes, 15);
    assert.strictEqual(v.out_bytes, 15);
    assert.strictEqual(v.slow_consumers, 0);
    assert.ok(v.mem > 0 && v.cores > 0 && typeof v.cpu === "number");
    assert.strictEqual(v.routes + v.remotes + v.leafnodes, 0);
    const before = v.http_req_stats["/varz"];
    const again = await getJSON(port, "/varz");
    assert.strictEqual(again.http_req_stats["/varz"], before + 1);
  });

  it("/connz: open connections with nats-server's fields", async () => {
    const c = await getJSON(port, "/connz");
    assert.strictEqual(c.server_id, server.id);
    assert.match(c.now, RFC3339_NANO);
    assert.deepStrictEqual([c.num_connections, c.total, c.offset, c.limit], [2, 2, 0, 1024]);
    const [a, b] = c.connections;
    assert.deepStrictEqual([a.cid, a.kind, a.type, a.ip, a.name, a.lang], [1, "Client", "nats", "127.0.0.1", "alpha", "nats.js"]);
    assert.ok(a.port > 0 && typeof a.version === "string");
    assert.match(a.start, RFC3339_NANO);
    assert.match(a.last_activity, RFC3339_NANO);
    assert.match(a.uptime, UPTIME);
    assert.match(a.idle, UPTIME);
    assert.match(a.rtt, /^\d+(\.\d+)?(ns|µs|ms|s)$/);
    assert.deepStrictEqual([a.subscriptions, a.in_msgs, a.out_msgs, a.in_bytes, a.out_bytes, a.pending_bytes], [2, 0, 3, 0, 15, 0]);
    assert.deepStrictEqual([b.cid, b.name, b.subscriptions, b.in_msgs, b.in_bytes, b.out_msgs], [2, "beta", 0, 3, 15, 0]);
    assert.strictEqual(a.subscriptions_list, undefined, "no list unless subs=1");
    assert.strictEqual(a.stop, undefined);
    assert.strictEqual(a.reason, undefined);
  });

  it("/connz: subs=1 lists subjects, subs=detail gives sid, queue, msgs and max", async () => {
    const list = await getJSON(port, "/connz?subs=1");
    assert.deepStrictEqual(list.connections[0].subscriptions_list.sort(), ["bar", "foo.*"]);
    assert.strictEqual(list.connections[1].subscriptions_list, undefined, "omitted when empty");
    const detail = await getJSON(port, "/connz?subs=detail");
    const d = detail.connections[0].subscriptions_list_detail;
    assert.deepStrictEqual(d, [
      { subject: "foo.*", sid: "1", msgs: 3, cid: 1 },
      { subject: "bar", qgroup: "q", sid: "2", msgs: 0, max: 5, cid: 1 },
    ]);
  });

  it("/connz: paging with offset and limit, and cid", async () => {
    const p = await getJSON(port, "/connz?offset=1&limit=1");
    assert.deepStrictEqual([p.num_connections, p.total, p.offset, p.limit], [1, 2, 1, 1]);
    assert.strictEqual(p.connections[0].cid, 2);
    const past = await getJSON(port, "/connz?offset=5");
    assert.deepStrictEqual([past.num_connections, past.total, past.connections], [0, 2, []]);
    const neg = await getJSON(port, "/connz?offset=-3&limit=0");
    assert.deepStrictEqual([neg.offset, neg.limit, neg.num_connections], [0, 1024, 2]);
    const one = await getJSON(port, "/connz?cid=2");
    assert.deepStrictEqual([one.limit, one.num_connections, one.connections[0].name], [1, 1, "beta"]);
    const none = await getJSON(port, "/connz?cid=99");
    assert.deepStrictEqual(none.connections, []);
  });

  it("/connz: sort keys order as nats-server", async () => {
    const cids = async (q: string) => (await getJSON(port, `/connz?${q}`)).connections.map((c: { cid: number }) => c.cid);
    assert.deepStrictEqual(await cids("sort=cid"), [1, 2]);
    assert.deepStrictEqual(await cids("sort=start"), [1, 2]);
    assert.deepStrictEqual(await cids("sort=subs"), [1, 2]);
    assert.deepStrictEqual(await cids("sort=msgs_from"), [2, 1]);
    assert.deepStrictEqual(await cids("sort=bytes_from"), [2, 1]);
    assert.deepStrictEqual(await cids("sort=msgs_to"), [1, 2]);
    assert.deepStrictEqual(await cids("sort=bytes_to"), [1, 2]);
    for (const k of ["pending", "last", "idle", "uptime"]) assert.strictEqual((await cids(`sort=${k}`)).length, 2, k);
  });

  it("/connz: bad queries are 400 with nats-server's message", async () => {
    const cases: Array<[string, string]> = [
      ["sort=bogus", "invalid sorting option: bogus"],
      ["sort=stop", "sort by stop only valid on closed connections"],
      ["sort=reason&state=any", "sort by reason only valid on closed connections"],
      ["offset=x", `Error decoding int for 'offset': strconv.Atoi: parsing "x": invalid syntax`],
      ["limit=1.5", `Error decoding int for 'limit': strconv.Atoi: parsing "1.5": invalid syntax`],
      ["cid=-1", `Error decoding uint64 for 'cid': strconv.ParseUint: parsing "-1": invalid syntax`],
      ["subs=maybe", `Error decoding boolean for 'subs': strconv.ParseBool: parsing "maybe": invalid syntax`],
      ["auth=2", `Error decoding boolean for 'auth': strconv.ParseBool: parsing "2": invalid syntax`],
      ["state=weird", "Error decoding state for weird"],
    ];
    for (const [q, msg] of cases) {
      const r = await get(port, `/connz?${q}`);
      assert.strictEqual(r.status, 400, q);
      assert.match(r.type, /^text\/plain/);
      assert.strictEqual(r.text, msg, q);
    }
  });

  it("/subsz: index counts, cache statistics, list, test subject", async () => {
    const s = await getJSON(port, "/subsz");
    assert.deepStrictEqual(Object.keys(s), ["num_subscriptions", "num_cache", "num_inserts", "num_removes", "num_matches", "cache_hit_rate", "max_fanout", "avg_fanout"]);
    assert.strictEqual(s.num_subscriptions, 2);
    assert.strictEqual(s.num_inserts, 2);
    assert.strictEqual(s.num_removes, 0);
    assert.strictEqual(s.num_matches, 3, "one lookup per published message");
    assert.strictEqual(s.num_cache, 1);
    assert.strictEqual(s.cache_hit_rate, 2 / 3);
    assert.strictEqual(s.max_fanout, 1);
    assert.strictEqual(s.avg_fanout, 1);
    const l = await getJSON(port, "/subsz?subs=1");
    assert.strictEqual(l.server_id, server.id);
    assert.deepStrictEqual([l.total, l.offset, l.limit], [2, 0, 1024]);
    const subjects = l.subscriptions_list.map((x: { subject: string }) => x.subject).sort();
    assert.deepStrictEqual(subjects, ["bar", "foo.*"]);
    assert.deepStrictEqual(l.subscriptions_list.find((x: { subject: string }) => x.subject === "bar"), { account: "$G", subject: "bar", qgroup: "q", sid: "2", msgs: 0, max: 5, cid: 1 });
    const t = await getJSON(port, "/subsz?subs=1&test=foo.x");
    assert.deepStrictEqual(t.subscriptions_list.map((x: { subject: string }) => x.subject), ["foo.*"]);
    const paged = await getJSON(port, "/subsz?subs=1&offset=1&limit=1");
    assert.deepStrictEqual([paged.total, paged.subscriptions_list.length], [2, 1]);
    const bad = await get(port, "/subsz?test=foo.*");
    assert.deepStrictEqual([bad.status, bad.text], [400, "invalid test subject, must be valid publish subject: foo.*"]);
    const other = await getJSON(port, "/subsz?acc=nope");
    assert.strictEqual(other.num_subscriptions, 0);
  });

  it("/accountz: names, then detail with connections and index statistics", async () => {
    const a = await getJSON(port, "/accountz");
    assert.deepStrictEqual(a.accounts, ["$G"]);
    assert.strictEqual(a.system_account, undefined);
    const d = (await getJSON(port, "/accountz?acc=$G")).account_detail;
    assert.deepStrictEqual(
      [d.account_name, d.expired, d.complete, d.jetstream_enabled, d.client_connections, d.leafnode_connections, d.subscriptions],
      ["$G", false, true, false, 2, 0, 2],
    );
    assert.match(d.update_time, RFC3339_NANO);
    assert.strictEqual(d.sublist_stats.num_subscriptions, 2);
    const bad = await get(port, "/accountz?acc=nope");
    assert.deepStrictEqual([bad.status, bad.text], [400, "Account nope does not exist"]);
  });

  it("/healthz: compact ok while serving; bad flags are 400", async () => {
    const r = await get(port, "/healthz");
    assert.deepStrictEqual([r.status, r.type, r.text], [200, "application/json", `{"status":"ok"}`]);
    const bad = await get(port, "/healthz?js-enabled-only=x");
    assert.strictEqual(bad.status, 400);
  });

  it("/routez, /gatewayz, /leafz, /jsz: empty but shaped as nats-server's", async () => {
    const r = await getJSON(port, "/routez");
    assert.deepStrictEqual(Object.keys(r), ["server_id", "now", "num_routes", "routes"]);
    assert.deepStrictEqual([r.num_routes, r.routes], [0, []]);
    const g = await getJSON(port, "/gatewayz");
    assert.deepStrictEqual(Object.keys(g), ["server_id", "now", "outbound_gateways", "inbound_gateways"]);
    assert.deepStrictEqual([g.outbound_gateways, g.inbound_gateways], [{}, {}]);
    const l = await getJSON(port, "/leafz");
    assert.deepStrictEqual([l.leafnodes, l.leafs], [0, null]);
    const j = await getJSON(port, "/jsz");
    assert.strictEqual(j.disabled, true);
  });

  it("/metrics: Prometheus text with server labels, agreeing with /varz", async () => {
    const r = await get(port, "/metrics");
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.type, "text/plain; version=0.0.4; charset=utf-8");
    const samples = new Map<string, number>();
    const types = new Map<string, string>();
    for (const line of r.text.trimEnd().split("\n")) {
      const t = /^# TYPE (\S+) (gauge|counter)$/.exec(line);
      if (t) types.set(t[1], t[2]);
      if (line.startsWith("#")) continue;
      const m = /^(natsfleet_[a-z_]+)\{(.*)\} (\S+)$/.exec(line);
      assert.ok(m, `malformed sample line: ${line}`);
      assert.ok(m[2].includes(`server_id="${server.id}"`) && m[2].includes(`server_name="${server.name}"`), line);
      samples.set(m[1], Number(m[3]));
    }
    const expect: Record<string, [string, number | undefined]> = {
      natsfleet_connections: ["gauge", 2],
      natsfleet_total_connections: ["counter", 2],
      natsfleet_subscriptions: ["gauge", 2],
      natsfleet_slow_consumers: ["counter", 0],
      natsfleet_in_msgs: ["counter", 3],
      natsfleet_out_msgs: ["counter", 3],
      natsfleet_in_bytes: ["counter", 15],
      natsfleet_out_bytes: ["counter", 15],
      natsfleet_routes: ["gauge", 0],
      natsfleet_gateways: ["gauge", 0],
      natsfleet_leafnodes: ["gauge", 0],
      natsfleet_mem_bytes: ["gauge", undefined],
      natsfleet_cpu_percent: ["gauge", undefined],
    };
    for (const [name, [type, value]] of Object.entries(expect)) {
      assert.strictEqual(types.get(name), type, name);
      assert.ok(samples.has(name), name);
      if (value !== undefined) assert.strictEqual(samples.get(name), value, name);
    }
    assert.ok(samples.get("natsfleet_mem_bytes")! > 0);
  });

  it("unknown paths are 404; JSONP callbacks wrap JSON", async () => {
    for (const p of ["/nope", "/varz/", "/varzz", "/connz/x"]) {
      const r = await get(port, p);
      assert.deepStrictEqual([r.status, r.text], [404, "404 page not found\n"], p);
    }
    const j = await get(port, "/healthz?callback=cb");
    assert.deepStrictEqual([j.status, j.type, j.text], [200, "application/javascript", `cb({"status":"ok"})`]);
    const bad = await get(port, "/varz?callback=alert(1)");
    assert.strictEqual(bad.status, 400);
  });

  // Last: closes beta.
  it("/connz?state=closed|any: a disconnected client with reason and stop", async () => {
    await beta.close();
    const closed = await eventually(() => getJSON(port, "/connz?state=closed"), (c) => c.total === 1, "beta in closed list");
    const b = closed.connections[0];
    assert.deepStrictEqual([b.cid, b.name, b.reason, b.in_msgs, b.in_bytes], [2, "beta", "Client Closed", 3, 15]);
    assert.match(b.stop, RFC3339_NANO);
    assert.ok(Date.parse(b.stop) >= Date.parse(b.start));
    const open = await getJSON(port, "/connz");
    assert.deepStrictEqual(open.connections.map((c: { cid: number }) => c.cid), [1]);
    const any = await getJSON(port, "/connz?state=any");
    assert.deepStrictEqual(any.connections.map((c: { cid: number; reason?: string }) => [c.cid, c.reason]), [[1, undefined], [2, "Client Closed"]]);
    const byStop = await getJSON(port, "/connz?state=closed&sort=stop");
    assert.strictEqual(byStop.connections[0].cid, 2);
    const byReason = await getJSON(port, "/connz?state=closed&sort=reason");
    assert.strictEqual(byReason.connections[0].reason, "Client Closed");
    const v = await getJSON(port, "/varz");
    assert.deepStrictEqual([v.connections, v.total_connections], [1, 2]);
  });
});

describe("monitoring: accounts and users", function () {
  this.timeout(20000);
  let server: Server;
  let port: number;

  before(async () => {
    ({ server, port } = await startMonitored({
      systemAccount: "SYS",
      accounts: [
        { name: "SYS" },
        {
          name: "A",
          users: [{ user: "ua", password: "pa" }],
          exports: [{ stream: "s.>" }, { service: "svc", responseType: "stream" }],
          mappings: { m1: "m2" },
        },
        { name: "B", users: [{ user: "ub", password: "pb" }], imports: [{ stream: { account: "A", subject: "s.>" } }, { service: { account: "A", subject: "svc" }, to: "svc2" }] },
      ],
    }));
    const a = await client(server, { user: "ua", pass: "pa", name: "in-a" });
    a.subscribe("x");
    await a.flush();
    await client(server, { user: "ub", pass: "pb", name: "in-b" });
  });

  it("/connz?auth=1 names the user and the account; acc= filters", async () => {
    const plain = await getJSON(port, "/connz");
    assert.strictEqual(plain.connections[0].authorized_user, undefined, "only with auth=1");
    const c = await getJSON(port, "/connz?auth=1");
    assert.deepStrictEqual(c.connections.map((x: Record<string, string>) => [x.name, x.authorized_user, x.account]), [["in-a", "ua", "A"], ["in-b", "ub", "B"]]);
    const onlyB = await getJSON(port, "/connz?acc=B");
    assert.deepStrictEqual([onlyB.total, onlyB.connections[0].name], [1, "in-b"]);
    const byUser = await getJSON(port, "/connz?auth=1&user=ua");
    assert.deepStrictEqual(byUser.connections.map((x: Record<string, string>) => x.name), ["in-a"]);
  });

  it("/varz and /accountz report the system account; detail shows config", async () => {
    assert.strictEqual((await getJSON(port, "/varz")).system_account, "SYS");
    const list = await getJSON(port, "/accountz");
    assert.strictEqual(list.system_account, "SYS");
    assert.deepStrictEqual([...list.accounts].sort(), ["$G", "A", "B", "SYS"]);
    const a = (await getJSON(port, "/accountz?acc=A")).account_detail;
    assert.deepStrictEqual([a.client_connections, a.subscriptions, a.is_system], [1, 1, undefined]);
    assert.deepStrictEqual(a.mappings, { m1: [{ subject: "m2", weight: 100 }] });
    assert.deepStrictEqual(a.exports, [
      { subject: "svc", type: "service", response_type: "Stream" },
      { subject: "s.>", type: "stream" },
    ]);
    const b = (await getJSON(port, "/accountz?acc=B")).account_detail;
    assert.deepStrictEqual(b.imports, [
      { subject: "s.>", account: "A", local_subject: "s.>", type: "stream", invalid: false, share: false, tracking: false },
      { subject: "svc2", account: "A", to: "svc", type: "service", invalid: false, share: false, tracking: false },
    ]);
    assert.strictEqual((await getJSON(port, "/accountz?acc=SYS")).account_detail.is_system, true);
  });

  it("escapes <, > and & in JSON strings the way Go does", async () => {
    const r = await get(port, "/accountz?acc=A");
    assert.ok(r.text.includes(`"s.\\u003e"`), "subject s.> escaped as Go's encoding/json does");
  });
});

describe("monitoring: cluster fields filled by the clustering work", function () {
  let server: Server;
  let port: number;

  before(async () => {
    ({ server, port } = await startMonitored());
    const now = Date.now();
    const conn = {
      ip: "10.0.0.9",
      port: 6222,
      start: now - 65_000,
      lastActivity: now - 1000,
      rtt: 1.5,
      pendingBytes: 7,
      inMsgs: 10,
      outMsgs: 20,
      inBytes: 100,
      outBytes: 200,
      subs: new Map([["1", { subject: "a.>", sid: "1" }]]),
    };
    const route: RouteView = { ...conn, cid: 40, kindName: "Router", remoteId: "NREMOTE", didSolicit: true, isConfigured: true };
    const leaf: LeafView = { ...conn, cid: 41, kindName: "Leafnode", account: { name: "$G" } };
    const out: GatewayConnView = { ...conn, cid: 42, name: "east", configured: true };
    const inb: GatewayConnView = { ...conn, cid: 43, name: "west" };
    const gateways: GatewaysView = { name: "here", host: "127.0.0.1", port: 7222, outbound: new Map([["east", out]]), inbound: [inb] };
    Object.assign(server, { routes: new Map([[40, route]]), leafs: new Map([[41, leaf]]), gateways });
  });

  it("/routez shows routes with nats-server's RouteInfo fields", async () => {
    const r = await getJSON(port, "/routez?subs=1");
    assert.strictEqual(r.num_routes, 1);
    const x = r.routes[0];
    assert.deepStrictEqual(
      [x.rid, x.remote_id, x.did_solicit, x.is_configured, x.ip, x.port, x.rtt, x.uptime, x.idle, x.pending_size, x.in_msgs, x.out_bytes, x.subscriptions, x.subscriptions_list],
      [40, "NREMOTE", true, true, "10.0.0.9", 6222, "1.5ms", "1m5s", "1s", 7, 10, 200, 1, ["a.>"]],
    );
  });

  it("/leafz and /gatewayz show leaf and gateway connections", async () => {
    const l = await getJSON(port, "/leafz?subs=1");
    assert.strictEqual(l.leafnodes, 1);
    assert.deepStrictEqual(l.leafs[0], { account: "$G", ip: "10.0.0.9", port: 6222, rtt: "1.5ms", in_msgs: 10, out_msgs: 20, in_bytes: 100, out_bytes: 200, subscriptions: 1, subscriptions_list: ["a.>"] });
    assert.strictEqual((await getJSON(port, "/leafz?acc=other")).leafnodes, 0);
    const g = await getJSON(port, "/gatewayz");
    assert.deepStrictEqual([g.name, g.host, g.port], ["here", "127.0.0.1", 7222]);
    assert.strictEqual(g.outbound_gateways.east.configured, true);
    assert.deepStrictEqual([g.outbound_gateways.east.connection.cid, g.outbound_gateways.east.connection.kind], [42, "Gateway"]);
    assert.deepStrictEqual(g.inbound_gateways.west.map((x: { connection: { cid: number } }) => x.connection.cid), [43]);
    const only = await getJSON(port, "/gatewayz?gw_name=west");
    assert.deepStrictEqual([Object.keys(only.outbound_gateways), Object.keys(only.inbound_gateways)], [[], ["west"]]);
  });

  it("/varz and /metrics count them", async () => {
    const v = await getJSON(port, "/varz");
    assert.deepStrictEqual([v.routes, v.remotes, v.leafnodes], [1, 1, 1]);
    const m = (await get(port, "/metrics")).text;
    for (const name of ["routes", "gateways", "leafnodes"]) assert.match(m, new RegExp(`^natsfleet_${name}\\{[^}]*\\} 1$`, "m"), name);
  });
});

describe("monitoring: listener lifecycle", function () {
  this.timeout(20000);

  it("is off with httpPort 0", async () => {
    const { server, addon } = await startMonitored({ httpPort: 0 });
    assert.deepStrictEqual([server.httpPort, addon.port], [0, 0]);
  });

  it("serves under http_base_path", async () => {
    const { port } = await startMonitored({ httpBasePath: "mon/" });
    assert.strictEqual((await get(port, "/mon/varz")).status, 200);
    assert.match((await get(port, "/mon")).text, /href="\.\/connz"/);
    assert.strictEqual((await get(port, "/varz")).status, 404);
    assert.strictEqual((await getJSON(port, "/mon/varz")).http_base_path, "mon/");
  });

  it("fails start with a clear error when the port is taken", async () => {
    const { port } = await startMonitored();
    const s = new Server(withDefaults({ host: "127.0.0.1", port: -1, httpHost: "127.0.0.1", httpPort: port }), new Logger({ quiet: true }));
    s.addons.push(monitoring());
    servers.push(s);
    await assert.rejects(s.start(), (e: Error) => e.message.startsWith(`Can't listen to the monitor port 127.0.0.1:${port}:`) && /EADDRINUSE/.test(e.message));
  });

  it("serves HTTPS on https_port with the server's tls certificate", async () => {
    const { server, addon } = await startMonitored({ httpPort: 0, httpsPort: -1, tls: { certFile: path.join(CERTS, "server-cert.pem"), keyFile: path.join(CERTS, "server-key.pem") } });
    assert.ok(server.httpsPort > 0);
    assert.deepStrictEqual([server.httpPort, addon.httpsPort], [0, server.httpsPort]);
    const r = await getTLS(server.httpsPort, "/varz");
    assert.strictEqual(r.status, 200);
    const v = JSON.parse(r.text);
    assert.deepStrictEqual([v.https_port, v.http_port], [server.httpsPort, 0]);
  });

  it("refuses https_port without a usable tls certificate, saying why", async () => {
    const noTls = new Server(withDefaults({ host: "127.0.0.1", port: -1, httpHost: "127.0.0.1", httpPort: 0, httpsPort: -1 }), new Logger({ quiet: true }));
    noTls.addons.push(monitoring());
    servers.push(noTls);
    await assert.rejects(noTls.start(), /https_port -1 needs a tls \{ cert_file, key_file \} block/);
    const missing = new Server(
      withDefaults({ host: "127.0.0.1", port: -1, httpHost: "127.0.0.1", httpPort: 0, httpsPort: -1, tls: { certFile: "/nonexistent/cert.pem", keyFile: "/nonexistent/key.pem" } }),
      new Logger({ quiet: true }),
    );
    missing.addons.push(monitoring());
    servers.push(missing);
    // The client port loads the same certificate first, so that is where the start fails.
    await assert.rejects(missing.start(), /tls: cannot read cert_file "\/nonexistent\/cert.pem": ENOENT/);
  });

  it("moves to a new port on reload and closes with the server", async () => {
    // Reload reconfigures logging from the options, so a log file keeps the test output clean.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-monitor-"));
    try {
      const { server, port } = await startMonitored({ logFile: path.join(dir, "server.log") });
      const next = await freePort();
      await server.reload(withDefaults({ ...server.opts, httpPort: next }));
      assert.strictEqual(server.httpPort, next);
      assert.strictEqual((await get(next, "/healthz")).status, 200);
      await assert.rejects(get(port, "/healthz"), /ECONNREFUSED/);
      await server.shutdown();
      await assert.rejects(get(next, "/healthz"), /ECONNREFUSED/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps its port when a reload asks for one that is taken", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-monitor-"));
    try {
      const { port: taken } = await startMonitored();
      const { server, port } = await startMonitored({ logFile: path.join(dir, "server.log") });
      await assert.rejects(server.reload(withDefaults({ ...server.opts, httpPort: taken })), (e: Error) => e.message.startsWith(`Can't listen to the monitor port 127.0.0.1:${taken}:`));
      assert.strictEqual(server.httpPort, port);
      assert.strictEqual((await get(port, "/healthz")).status, 200);
      await server.shutdown();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("/healthz is 503 with status error in lame duck mode (as nats-server 2.9.10)", async () => {
    const { server, port } = await startMonitored({ lameDuckDuration: 1500, lameDuckGracePeriod: 1000 });
    const nc = await client(server);
    const ldm = server.enterLameDuckMode();
    const r = await get(port, "/healthz");
    assert.strictEqual(r.status, 503);
    assert.deepStrictEqual(JSON.parse(r.text), { status: "error", error: "server is in lame duck mode, not accepting clients" });
    await ldm;
    await nc.closed();
  });
});

describe("monitoring: field names match nats-server 2.9.10", function () {
  this.timeout(30000);
  let ours: Server;
  let ourPort: number;
  let real: ServerProcess;
  let realPort: number;

  before(async () => {
    // nats-server always has a system account ($SYS); give ours one so system_account exists.
    ({ server: ours, port: ourPort } = await startMonitored({ systemAccount: "$SYS", accounts: [{ name: "$SYS" }] }));
    realPort = await freePort();
    real = await spawnServer("nats-server", ["-m", String(realPort)]);
    await eventually(() => get(realPort, "/healthz").catch(() => ({ status: 0 }) as Reply), (r) => r.status === 200, "nats-server monitor");
    for (const url of [ours.clientURL(), real.url]) {
      const nc = await client(ours, { servers: url, name: "cmp" });
      nc.subscribe("cmp.>");
      nc.publish("cmp.x", "hi");
      await nc.flush();
    }
  });

  after(async () => {
    await stopAllServers();
  });

  const superset = (ourKeys: string[], realKeys: string[], what: string) => {
    const missing = realKeys.filter((k) => !ourKeys.includes(k));
    assert.deepStrictEqual(missing, [], `${what}: fields nats-server has and we lack`);
  };

  for (const p of ["/varz", "/connz", "/subsz", "/subsz?subs=1", "/routez", "/gatewayz", "/leafz", "/accountz", "/jsz"]) {
    it(`${p}: top-level fields are a superset of nats-server's`, async () => {
      const [o, r] = await Promise.all([getJSON(ourPort, p), getJSON(realPort, p)]);
      superset(Object.keys(o), Object.keys(r), p);
    });
  }

  it("/connz connection entries and /subsz entries carry the same fields", async () => {
    const [o, r] = await Promise.all([getJSON(ourPort, "/connz?subs=1"), getJSON(realPort, "/connz?subs=1")]);
    superset(Object.keys(o.connections[0]), Object.keys(r.connections[0]), "connz connection");
    assert.deepStrictEqual(Object.keys(o.connections[0]).sort(), Object.keys(r.connections[0]).sort());
    const [od, rd] = await Promise.all([getJSON(ourPort, "/connz?subs=detail"), getJSON(realPort, "/connz?subs=detail")]);
    assert.deepStrictEqual(Object.keys(od.connections[0].subscriptions_list_detail[0]), Object.keys(rd.connections[0].subscriptions_list_detail[0]));
    const [os_, rs] = await Promise.all([getJSON(ourPort, "/subsz?subs=1&test=cmp.x"), getJSON(realPort, "/subsz?subs=1&test=cmp.x")]);
    assert.deepStrictEqual(Object.keys(os_.subscriptions_list[0]), Object.keys(rs.subscriptions_list[0]));
  });

  it("/varz configuration values and units agree under the same defaults", async () => {
    const [o, r] = await Promise.all([getJSON(ourPort, "/varz"), getJSON(realPort, "/varz")]);
    const same = ["version", "proto", "host", "max_connections", "ping_interval", "ping_max", "http_host", "http_base_path", "https_port", "auth_timeout", "max_control_line", "max_payload", "max_pending", "cluster", "gateway", "leaf", "mqtt", "websocket", "jetstream", "tls_timeout", "write_deadline", "routes", "remotes", "leafnodes", "slow_consumers"];
    for (const k of same) assert.deepStrictEqual(o[k], r[k], k);
    assert.deepStrictEqual(o.http_port, ourPort);
    assert.deepStrictEqual(r.http_port, realPort);
    for (const k of ["start", "now", "config_load_time"]) {
      assert.match(o[k], RFC3339_NANO, k);
      assert.match(r[k], RFC3339_NANO, k);
    }
    assert.deepStrictEqual([typeof o.cpu, typeof o.mem, typeof o.http_req_stats], [typeof r.cpu, typeof r.mem, typeof r.http_req_stats]);
  });

  it("query errors and 404s read the same", async () => {
    for (const p of ["/connz?sort=bogus", "/connz?offset=x", "/connz?state=weird", "/connz?sort=stop", "/connz?cid=-1", "/subsz?test=a.*", "/accountz?acc=nope", "/nope"]) {
      const [o, r] = await Promise.all([get(ourPort, p), get(realPort, p)]);
      assert.deepStrictEqual([o.status, o.text], [r.status, r.text], p);
    }
  });
});
