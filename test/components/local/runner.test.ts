/**
 * `natsfleet up / status / down`: the local runner on real nats-server processes, driven
 * through the CLI dispatcher with captured output. The topology pins every port to a free one.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { runCaptured } from "../../../cli/main";
import { listServers, serverFiles } from "../../../components/local/processes";
import { freePorts, tempDir, removeDir, pidAlive, killAll } from "../helpers";

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function cli(cwd: string, ...argv: string[]): Promise<Run> {
  return runCaptured(argv, cwd);
}

/** Explicit free ports for every listener of `n` servers. */
async function serverList(prefix: string, n: number) {
  const ports = await freePorts(5 * n);
  return Array.from({ length: n }, (_, i) => ({
    name: `${prefix}-${i}`,
    ports: { client: ports[5 * i], cluster: ports[5 * i + 1], gateway: ports[5 * i + 2], leafnode: ports[5 * i + 3], http: ports[5 * i + 4] },
  }));
}

function pidsIn(stateDir: string): number[] {
  return listServers(stateDir)
    .map((n) => Number(fs.existsSync(serverFiles(stateDir, n).pid) ? fs.readFileSync(serverFiles(stateDir, n).pid, "utf8") : NaN))
    .filter((p) => p > 0);
}

describe("natsfleet up / status / down (local runner on nats-server)", function () {
  this.timeout(60000);
  let dir: string;
  let stateDir: string;
  let file: string;
  let topology: Record<string, any>;
  const seen = new Set<number>();

  before(async () => {
    dir = tempDir("runner");
    stateDir = path.join(dir, "state");
    file = path.join(dir, "topology.json");
    topology = {
      name: "mini",
      broker: "nats-server",
      accounts: { APP: { users: [{ user: "app" }] } },
      clusters: [
        { name: "east", target: "local", servers: await serverList("east", 2) },
        { name: "west", target: "local", servers: await serverList("west", 2) },
      ],
      leafnodes: [{ name: "edge", target: "local", hub: "east", account: "APP", servers: await serverList("edge", 1) }],
    };
    fs.writeFileSync(file, JSON.stringify(topology, null, 2));
  });

  after(async () => {
    // stop whatever a failed step left behind, then make sure
    await cli(dir, "down", file, "--state-dir", stateDir);
    for (const p of pidsIn(stateDir)) seen.add(p);
    killAll(seen);
    removeDir(dir);
  });

  it("up starts every server and waits for routes, gateways and leaf links", async () => {
    const r = await cli(dir, "up", file, "--state-dir", stateDir, "--wait");
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.equal(r.out.filter((l) => /^\s+started\s/.test(l)).length, 5, r.out.join("\n"));
    assert.ok(r.out.includes("all routes, gateways and leaf links are up"), r.out.join("\n"));
    for (const p of pidsIn(stateDir)) seen.add(p);
    assert.equal(seen.size, 5);
    // generated passwords are kept, owner-only, for the next run
    const secrets = JSON.parse(fs.readFileSync(path.join(stateDir, "secrets.json"), "utf8"));
    assert.deepEqual(Object.keys(secrets).sort(), ["leaf:edge", "user:APP:app"]);
    assert.equal(fs.statSync(path.join(stateDir, "secrets.json")).mode & 0o777, 0o600);
  });

  it("status reads each server's monitoring endpoints and exits 0 when all links are up", async () => {
    const r = await cli(dir, "status", file, "--state-dir", stateDir);
    assert.equal(r.code, 0, r.out.join("\n"));
    const rows = new Map(r.out.slice(1).map((l) => [l.split(/\s+/)[0], l]));
    assert.match(rows.get("east-0")!, /cluster east\s+nats-server\s+\d+\s+ok\s+nats:\/\/127\.0\.0\.1:\d+\s+1\/1\s+1\/1/);
    assert.match(rows.get("west-1")!, /\s1\/1\s+1\/1\s+0$/);
    assert.match(rows.get("edge-0")!, /leaf edge .* ok .*\s-\s+-\s+1 \(APP\)$/);
    assert.equal(r.out[r.out.length - 1], "5 server(s) healthy, every link up");
    const json = await cli(dir, "status", file, "--state-dir", stateDir, "--json");
    const parsed = JSON.parse(json.out.join("\n"));
    const east = parsed.servers.filter((s: any) => s.group === "east");
    assert.equal(east.reduce((n: number, s: any) => n + s.leafs.count, 0), 1, "the leaf node is connected to one east server");
    for (const s of parsed.servers) assert.equal(s.complete, true, s.name);
  });

  it("a second up changes nothing", async () => {
    const before = pidsIn(stateDir).sort();
    const r = await cli(dir, "up", file, "--state-dir", stateDir);
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.equal(r.out.filter((l) => /^\s+unchanged\s/.test(l)).length, 5, r.out.join("\n"));
    assert.deepEqual(pidsIn(stateDir).sort(), before);
  });

  it("a reloadable config change (a new user) reloads every server in place", async () => {
    const before = new Map(listServers(stateDir).map((n) => [n, fs.readFileSync(serverFiles(stateDir, n).pid, "utf8").trim()]));
    topology = { ...topology, accounts: { APP: { users: [{ user: "app" }, { user: "ops" }] } } };
    fs.writeFileSync(file, JSON.stringify(topology, null, 2));
    const r = await cli(dir, "up", file, "--state-dir", stateDir, "--wait");
    assert.equal(r.code, 0, r.err.join("\n") + r.out.join("\n"));
    const reloaded = r.out.filter((l) => /^\s+reloaded\s/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
    assert.deepEqual(reloaded.sort(), ["east-0", "east-1", "edge-0", "west-0", "west-1"], r.out.join("\n"));
    for (const n of reloaded) assert.equal(fs.readFileSync(serverFiles(stateDir, n).pid, "utf8").trim(), before.get(n), `${n} kept its pid`);
    const secrets = JSON.parse(fs.readFileSync(path.join(stateDir, "secrets.json"), "utf8"));
    assert.ok(secrets["user:APP:ops"], "new user's password generated and kept");
    assert.ok(fs.readFileSync(serverFiles(stateDir, "east-0").conf, "utf8").includes(secrets["user:APP:ops"]));
  });

  it("dropping the leaf node stops it, and restarts servers whose change cannot be reloaded", async () => {
    const edgePid = Number(fs.readFileSync(serverFiles(stateDir, "edge-0").pid, "utf8"));
    topology = { ...topology, leafnodes: [] };
    fs.writeFileSync(file, JSON.stringify(topology, null, 2));
    const r = await cli(dir, "up", file, "--state-dir", stateDir, "--wait");
    for (const p of pidsIn(stateDir)) seen.add(p);
    assert.equal(r.code, 0, r.err.join("\n") + r.out.join("\n"));
    assert.ok(r.out.some((l) => /stopped\s+edge-0 \(no longer in the topology\)/.test(l)), r.out.join("\n"));
    assert.ok(!pidAlive(edgePid), "dropped leaf node still running");
    const line = (n: string) => r.out.find((l) => l.trim().split(/\s+/)[1] === n) ?? "";
    // east loses its leafnode listener: a port change, so a restart without trying SIGHUP
    assert.match(line("east-0"), /restarted .*\(broker, host or ports changed\)/);
    // west only loses the system account, which nats-server 2.9 refuses to reload
    assert.match(line("west-0"), /restarted .*\(Failed to reload server configuration: config reload not supported for SystemAccount/);
  });

  it("down stops every server; status then reports them down and exits 1", async () => {
    const pids = pidsIn(stateDir);
    assert.equal(pids.length, 4);
    const r = await cli(dir, "down", file, "--state-dir", stateDir);
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.equal(r.out[r.out.length - 1], "4 server(s) stopped");
    for (const p of pids) assert.ok(!pidAlive(p), `pid ${p} still running`);
    assert.deepEqual(listServers(stateDir), []);
    const st = await cli(dir, "status", file, "--state-dir", stateDir);
    assert.equal(st.code, 1);
    assert.match(st.out.find((l) => l.startsWith("east-0"))!, /\sdown\s/);
  });

  it("bad input: an invalid topology names the path; a bad --broker is a usage error", async () => {
    const bad = path.join(dir, "bad.yaml");
    fs.writeFileSync(bad, "name: x\nclusters:\n  - name: a\n    target: local\n  - name: a\n    target: local\n");
    const r = await cli(dir, "up", bad, "--state-dir", stateDir);
    assert.equal(r.code, 1);
    assert.ok(r.err.some((l) => /bad\.yaml:5:\d+: clusters\[1\]\.name: "a" is already used by clusters\[0\]/.test(l)), r.err.join("\n"));
    const u = await cli(dir, "up", file, "--broker", "gnatsd");
    assert.equal(u.code, 2);
    assert.match(u.err.join("\n"), /--broker must be natsfleet or nats-server, got "gnatsd"/);
    const missing = await cli(dir, "status", path.join(dir, "nope.yaml"));
    assert.equal(missing.code, 1);
    assert.match(missing.err.join("\n"), /nope\.yaml: cannot read: no such file/);
  });
});
