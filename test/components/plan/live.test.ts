/**
 * `natsfleet plan --live`: a local super-cluster of real broker processes, nats-server and ours (started with
 * `natsfleet up` on free ports), checked while whole, then with one gateway link's server
 * killed: the drift report names exactly that server and the gateway links it took down.
 * Plus the comparison itself on recorded answers, for what a healthy local run cannot show
 * (wrong cluster names, version mismatches, extra links).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { runCaptured } from "../../../cli/main";
import { listServers, serverFiles, stopServer } from "../../../components/local/processes";
import { validateTopology } from "../../../components/topology/validate";
import { liveDrift, ServerSnapshot, monitorUrls } from "../../../components/plan/live";
import { freePorts, tempDir, removeDir, killAll, sleep } from "../helpers";

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  return runCaptured(argv, cwd);
}

/** Explicit ports for every listener of the given groups, all from one freePorts call (separate calls may hand out a port twice). */
async function serverLists(groups: Array<[string, number]>) {
  const total = groups.reduce((n, [, k]) => n + k, 0);
  const ports = await freePorts(5 * total);
  let next = 0;
  const take = () => ports[next++]!;
  return groups.map(([prefix, n]) => Array.from({ length: n }, (_, i) => ({ name: `${prefix}-${i}`, ports: { client: take(), cluster: take(), gateway: take(), leafnode: take(), http: take() } })));
}

function pidsIn(stateDir: string): number[] {
  return listServers(stateDir)
    .map((n) => Number(fs.existsSync(serverFiles(stateDir, n).pid) ? fs.readFileSync(serverFiles(stateDir, n).pid, "utf8") : NaN))
    .filter((p) => p > 0);
}

for (const broker of ["nats-server", "natsfleet"]) describe(`natsfleet plan --live (drift) on ${broker} processes`, function () {
  this.timeout(90000);
  let dir: string;
  let stateDir: string;
  let file: string;
  const seen = new Set<number>();

  before(async () => {
    dir = tempDir("plan-live");
    stateDir = path.join(dir, "state");
    file = path.join(dir, "topology.json");
    const [east, west, edge] = await serverLists([["east", 2], ["west", 1], ["edge", 1]]);
    const topology = {
      name: "drift",
      broker,
      accounts: { APP: { users: [{ user: "app" }] } },
      clusters: [
        { name: "east", target: "local", servers: east },
        { name: "west", target: "local", servers: west },
      ],
      leafnodes: [{ name: "edge", target: "local", hub: "east", account: "APP", servers: edge }],
    };
    fs.writeFileSync(file, JSON.stringify(topology, null, 2));
    const up = await cli(dir, "up", file, "--state-dir", stateDir, "--wait");
    for (const p of pidsIn(stateDir)) seen.add(p);
    assert.equal(up.code, 0, [...up.out, ...up.err].join("\n"));
  });

  after(async () => {
    await cli(dir, "down", file, "--state-dir", stateDir);
    for (const p of pidsIn(stateDir)) seen.add(p);
    killAll(seen);
    removeDir(dir);
  });

  it("the whole super-cluster: no drift, exit 0", async () => {
    const r = await cli(dir, "plan", "--live", file, "--no-color");
    assert.equal(r.code, 0, [...r.out, ...r.err].join("\n"));
    assert.match(r.out[0]!, /^Live state of topology drift: 4 of 4 server\(s\) answered$/);
    assert.match(r.out[1]!, /^ {2}version 2\.9\.\d+ everywhere$/);
    assert.ok(r.out.includes("No drift: every declared route, gateway and leaf link is up, names and versions match."), r.out.join("\n"));
  });

  it("west-0 killed: exactly west-0 down and the gateways to west missing, exit 1", async () => {
    const stopped = await stopServer(stateDir, "west-0");
    assert.equal(stopped.stopped, true);
    // east's outbound gateway connections close when the peer goes; give them a moment
    let r = await cli(dir, "plan", "--live", file, "--json");
    for (let i = 0; i < 40; i++) {
      const problems = JSON.parse(r.out.join("\n")).problems as unknown[];
      if (problems.length >= 3) break;
      await sleep(250);
      r = await cli(dir, "plan", "--live", file, "--json");
    }
    assert.equal(r.code, 1, r.err.join("\n"));
    const report = JSON.parse(r.out.join("\n"));
    assert.deepEqual(
      report.problems.map((p: { kind: string; server: string }) => `${p.kind} ${p.server}`).sort(),
      ["down west-0", "missing-gateway east-0", "missing-gateway east-1"],
    );
    assert.deepEqual(report.checked.sort(), ["east-0", "east-1", "edge-0"]);
    const human = await cli(dir, "plan", "--live", file, "--no-color");
    assert.equal(human.code, 1);
    assert.ok(human.out.some((l) => /^ {2}missing-gateway {2}gateway east-0 -> cluster west is missing \(every server of west is down\)$/.test(l)), human.out.join("\n"));
    assert.ok(human.out.some((l) => /^ {2}down {13}west-0 \(cluster west\) is down or unreachable: /.test(l)), human.out.join("\n"));
  });
});

describe("natsfleet plan --live: comparing recorded answers", () => {
  const t = validateTopology({
    name: "rec",
    clusters: [
      { name: "a", target: "local", servers: 2, ports: { client: 4000, cluster: 4100, gateway: 4200, http: 4400 } },
      { name: "b", target: "local", servers: 1, ports: { client: 4010, gateway: 4210, http: 4410 } },
    ],
  });
  const healthy = (): ServerSnapshot[] => [
    { name: "a-0", group: "a", groupKind: "cluster", monitorUrl: "http://x", varz: { server_id: "ID0", server_name: "a-0", version: "2.9.10", cluster: { name: "a" } }, routez: { routes: [{ remote_id: "ID1" }] }, gatewayz: { name: "a", outbound_gateways: { b: { connection: {} } }, inbound_gateways: { b: [{}] } }, leafz: { leafs: [] } },
    { name: "a-1", group: "a", groupKind: "cluster", monitorUrl: "http://y", varz: { server_id: "ID1", server_name: "a-1", version: "2.9.10", cluster: { name: "a" } }, routez: { routes: [{ remote_id: "ID0" }] }, gatewayz: { name: "a", outbound_gateways: { b: { connection: {} } }, inbound_gateways: {} }, leafz: { leafs: [] } },
    { name: "b-0", group: "b", groupKind: "cluster", monitorUrl: "http://z", varz: { server_id: "ID2", server_name: "b-0", version: "2.9.10" }, routez: { routes: [] }, gatewayz: { name: "b", outbound_gateways: { a: { connection: {} } }, inbound_gateways: { a: [{}, {}] } }, leafz: { leafs: [] } },
  ];

  it("a healthy record has no drift", () => {
    assert.deepEqual(liveDrift(t, healthy()).problems, []);
  });

  it("wrong cluster name, another version, an unknown route and an undeclared gateway are each reported", () => {
    const s = healthy();
    s[1]!.varz!.cluster = { name: "oops" };
    s[1]!.varz!.version = "2.10.1";
    s[0]!.routez = { routes: [{ remote_id: "ID1" }, { remote_id: "STRANGER" }] };
    s[2]!.gatewayz!.inbound_gateways = { a: [{}], c: [{}] };
    s[2]!.gatewayz!.outbound_gateways = { a: { connection: {} }, c: { configured: false } };
    assert.deepEqual(
      liveDrift(t, s).problems.map((p) => p.message),
      [
        "a-0 has a route to unknown server STRANGER, which is not in cluster a",
        'a-1: runs in cluster "oops", declared in cluster a',
        'b-0 has a gateway link with "c", which is not another cluster of the topology',
        "a-1 runs version 2.10.1, most servers run 2.9.10",
      ],
    );
  });

  it("leaf links: matched to the hub by its leafnode port; a link elsewhere and a surplus link on the hub are reported", () => {
    const lt = validateTopology({
      name: "leafy",
      accounts: { APP: { users: [{ user: "u" }] } },
      clusters: [{ name: "hub", target: "local", ports: { client: 5000, leafnode: 5300, http: 5400 } }],
      leafnodes: [{ name: "shop", target: "local", hub: "hub", account: "APP", ports: { client: 5010, http: 5410 } }],
    });
    const snap = (hubLeafs: unknown[], shopLeafs: unknown[]): ServerSnapshot[] => [
      { name: "hub-0", group: "hub", groupKind: "cluster", monitorUrl: "http://h", varz: { server_id: "H", server_name: "hub-0", version: "2.9.10" }, routez: {}, gatewayz: {}, leafz: { leafs: hubLeafs } },
      { name: "shop", group: "shop", groupKind: "leafnode", monitorUrl: "http://s", varz: { server_id: "S", server_name: "shop", version: "2.9.10" }, routez: {}, gatewayz: {}, leafz: { leafs: shopLeafs } },
    ];
    assert.deepEqual(liveDrift(lt, snap([{ account: "APP", port: 41000 }], [{ account: "APP", ip: "127.0.0.1", port: 5300 }])).problems, []);
    assert.deepEqual(
      liveDrift(lt, snap([{ account: "APP", port: 41000 }, { account: "$G", port: 41001 }], [{ account: "APP", ip: "127.0.0.1", port: 6300 }])).problems.map((p) => `${p.kind}: ${p.message}`),
      [
        "missing-leaf: leaf link shop -> hub hub is missing",
        "extra-leaf: shop has a leaf link to 127.0.0.1:6300, which is not a server of hub hub",
        "extra-leaf: cluster hub accepts 2 leaf connection(s) where 1 declared leaf server(s) are up; unexpected: one in account $G",
      ],
    );
  });

  it("a cloud server without a monitoring URL is listed as not checked, not as down", () => {
    const cloud = validateTopology({ name: "c", clusters: [{ name: "x", target: "aws", region: "us-east-1" }] });
    assert.deepEqual(monitorUrls(cloud), { "x-0": undefined });
    const d = liveDrift(cloud, [{ name: "x-0", group: "x", groupKind: "cluster", error: "no monitoring URL (target aws; give --monitor x-0=URL)" }]);
    assert.deepEqual([d.skipped, d.problems.map((p) => p.kind)], [["x-0"], ["not-checked"]]);
  });
});
