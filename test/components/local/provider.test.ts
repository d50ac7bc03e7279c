/**
 * The local target's dynamic provider, called directly (its create never runs under mocks):
 * real broker processes are started, reloaded and stopped.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawn, spawnSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { makeLocalServerProvider, LocalServerInputs, LocalServerOutputs } from "../../../components/local/provider";
import { natsfleetServerBuilt, BrokerKind } from "../../../components/local/processes";
import { getJson } from "../../../components/local/http";
import { freePorts, tempDir, removeDir, pidAlive, killAll, sleep } from "../helpers";

/** Brokers to run the suite with: nats-server always, ours once it has been built. */
const brokers: BrokerKind[] = natsfleetServerBuilt() ? ["nats-server", "natsfleet"] : ["nats-server"];

function configText(name: string, ports: { client: number; monitor: number }, maxPayload: number): string {
  return [
    `server_name: ${name}`,
    `host: 127.0.0.1`,
    `port: ${ports.client}`,
    `http: "127.0.0.1:${ports.monitor}"`,
    `max_payload: ${maxPayload}`,
    "",
  ].join("\n");
}

for (const broker of brokers) {
  describe(`local provider (${broker})`, function () {
    this.timeout(30000);
    const provider = makeLocalServerProvider();
    const started = new Set<number>();
    let dir: string;

    beforeEach(() => {
      dir = tempDir("provider");
    });
    afterEach(() => {
      // safety net: whatever a failed assertion left running
      killAll(started);
      started.clear();
      removeDir(dir);
    });

    async function inputs(name: string, maxPayload = 1000000): Promise<LocalServerInputs> {
      const [client, monitor] = await freePorts(2);
      return {
        name,
        config: configText(name, { client, monitor }, maxPayload),
        broker,
        ports: { client, monitor },
        stateDir: dir,
        readyTimeoutMs: 15000,
        stopTimeoutMs: 3000,
      };
    }

    async function create(ins: LocalServerInputs): Promise<LocalServerOutputs> {
      const r = await provider.create(ins);
      const outs = r.outs as LocalServerOutputs;
      started.add(outs.pid);
      assert.equal(r.id, `${dir}#${ins.name}`);
      return outs;
    }

    const varz = (o: LocalServerOutputs) => getJson<Record<string, any>>(`${o.monitorUrl}/varz`);

    it("create starts a detached server with conf, log and pid files, and reports its URLs", async () => {
      const ins = await inputs("s1");
      const outs = await create(ins);
      assert.ok(pidAlive(outs.pid));
      assert.equal(outs.lastAction, "started");
      assert.equal(outs.clientUrl, `nats://127.0.0.1:${ins.ports.client}`);
      assert.equal(outs.monitorUrl, `http://127.0.0.1:${ins.ports.monitor}`);
      assert.equal(fs.readFileSync(path.join(dir, "s1.conf"), "utf8"), ins.config);
      assert.equal(fs.readFileSync(path.join(dir, "s1.pid"), "utf8").trim(), String(outs.pid));
      assert.ok(fs.statSync(path.join(dir, "s1.log")).size > 0);
      assert.equal(fs.statSync(path.join(dir, "s1.conf")).mode & 0o777, 0o600);
      const v = await varz(outs);
      assert.equal(v.server_name, "s1");
      assert.equal(v.port, ins.ports.client);
      const health = await getJson(`${outs.monitorUrl}/healthz`);
      assert.equal(health.status, "ok");
      await provider.delete!(`${dir}#s1`, outs);
    });

    it("a second create with the same inputs is a no-op on the running process", async () => {
      const ins = await inputs("s2");
      const first = await create(ins);
      const start = (await varz(first)).start;
      const second = await create(ins);
      assert.equal(second.pid, first.pid);
      assert.equal(second.lastAction, "unchanged");
      assert.equal((await varz(second)).start, start);
      await provider.delete!(`${dir}#s2`, second);
    });

    it("update with a config-only change reloads with SIGHUP: same pid, new max_payload", async () => {
      const ins = await inputs("s3", 1000000);
      const outs = await create(ins);
      assert.equal((await varz(outs)).max_payload, 1000000);
      const news = { ...ins, config: configText("s3", { client: ins.ports.client, monitor: ins.ports.monitor! }, 2000000) };
      const diff = await provider.diff!(`${dir}#s3`, outs, news);
      assert.equal(diff.changes, true);
      assert.deepEqual(diff.replaces, []);
      const upd = (await provider.update!(`${dir}#s3`, outs, news)).outs as LocalServerOutputs;
      assert.equal(upd.lastAction, "reloaded");
      assert.equal(upd.pid, outs.pid);
      assert.ok(pidAlive(outs.pid));
      const v = await varz(upd);
      assert.equal(v.max_payload, 2000000);
      assert.equal(fs.readFileSync(path.join(dir, "s3.conf"), "utf8"), news.config);
      await provider.delete!(`${dir}#s3`, upd);
    });

    it("update with a port change restarts the process on the new ports", async () => {
      const ins = await inputs("s4");
      const outs = await create(ins);
      const [client, monitor] = await freePorts(2);
      const news = { ...ins, ports: { client, monitor }, config: configText("s4", { client, monitor }, 1000000) };
      const upd = (await provider.update!(`${dir}#s4`, outs, news)).outs as LocalServerOutputs;
      started.add(upd.pid);
      assert.equal(upd.lastAction, "restarted");
      assert.notEqual(upd.pid, outs.pid);
      assert.ok(!pidAlive(outs.pid), "the old process is gone");
      assert.equal((await varz(upd)).port, client);
      await provider.delete!(`${dir}#s4`, upd);
    });

    if (broker === "nats-server") {
      it("falls back to a restart when the broker refuses the reload (server_name change)", async () => {
        const ins = await inputs("s5");
        const outs = await create(ins);
        const news = { ...ins, config: ins.config.replace("server_name: s5", "server_name: s5-renamed") };
        const upd = (await provider.update!(`${dir}#s5`, outs, news)).outs as LocalServerOutputs;
        started.add(upd.pid);
        assert.equal(upd.lastAction, "restarted");
        assert.notEqual(upd.pid, outs.pid);
        assert.equal((await varz(upd)).server_name, "s5-renamed");
        await provider.delete!(`${dir}#s5`, upd);
      });
    }

    it("delete stops the process and leaves no pid, state or config file behind", async () => {
      const ins = await inputs("s6");
      const outs = await create(ins);
      await provider.delete!(`${dir}#s6`, outs);
      assert.ok(!pidAlive(outs.pid), "process still running after delete");
      for (const f of ["s6.pid", "s6.state.json", "s6.conf"]) assert.ok(!fs.existsSync(path.join(dir, f)), `${f} left behind`);
      // the port is free again
      await assert.rejects(getJson(`${outs.monitorUrl}/varz`, 500));
      // deleting again is harmless
      await provider.delete!(`${dir}#s6`, outs);
    });

    it("read reports a dead server as gone, so the next up recreates it", async () => {
      const ins = await inputs("s7");
      const outs = await create(ins);
      const live = await provider.read!(`${dir}#s7`, outs);
      assert.equal(live.id, `${dir}#s7`);
      process.kill(outs.pid, "SIGKILL");
      for (let i = 0; i < 100 && pidAlive(outs.pid); i++) await sleep(20);
      const gone = await provider.read!(`${dir}#s7`, outs);
      assert.equal(gone.id, undefined);
    });

    it("a stale pid file (process gone) is replaced by a fresh start", async () => {
      const ins = await inputs("s8");
      const dead = spawnSync("true").pid!;
      fs.writeFileSync(path.join(dir, "s8.pid"), `${dead}\n`);
      const outs = await create(ins);
      assert.equal(outs.lastAction, "started");
      assert.notEqual(outs.pid, dead);
      await provider.delete!(`${dir}#s8`, outs);
    });

    it("a config the broker rejects fails create with the log, and leaves no process", async () => {
      const ins = await inputs("s9");
      ins.config = `port: ${ins.ports.client}\nthis is { not a valid config\n`;
      await assert.rejects(provider.create(ins), (e: Error) => {
        assert.match(e.message, /server "s9".*exited during start-up/);
        assert.match(e.message, /s9\.log/);
        return true;
      });
      assert.ok(!fs.existsSync(path.join(dir, "s9.pid")));
    });
  });
}

describe("local provider (inputs and serialization)", function () {
  this.timeout(30000);
  const provider = makeLocalServerProvider();
  let dir: string;
  const started = new Set<number>();
  beforeEach(() => {
    dir = tempDir("provider");
  });
  afterEach(() => {
    killAll(started);
    started.clear();
    removeDir(dir);
  });

  it("check names the bad inputs", async () => {
    const r = await provider.check!({} as any, { name: "a b", broker: "gnatsd", config: "", stateDir: dir, ports: { client: 70000 } });
    const props = r.failures!.map((f) => `${f.property}: ${f.reason}`);
    assert.deepEqual(props, [
      `name: must be letters, digits, '_', '.', '-', got "a b"`,
      `broker: must be natsfleet or nats-server, got "gnatsd"`,
      "config: is empty",
      "ports: ports.client must be 1-65535, got 70000",
    ]);
  });

  it("diff replaces (delete first) on a new name or state folder, updates otherwise", async () => {
    const olds = { name: "a", broker: "nats-server", config: "port: 1", stateDir: dir, ports: { client: 1 } } as LocalServerOutputs;
    assert.deepEqual(await provider.diff!("x", olds, { ...olds }), { changes: false, replaces: [], deleteBeforeReplace: false, stables: ["name", "stateDir"] });
    const renamed = await provider.diff!("x", olds, { ...olds, name: "b" });
    assert.deepEqual(renamed.replaces, ["name"]);
    assert.equal(renamed.deleteBeforeReplace, true);
    const rebroker = await provider.diff!("x", olds, { ...olds, broker: "natsfleet" });
    assert.deepEqual([rebroker.changes, rebroker.replaces], [true, []]);
  });

  it("the closure-serialized provider starts and stops a server from another process and folder", async () => {
    // Pulumi runs the serialized text in its own process; a relative require would break there
    const sf = await pulumi.runtime.serializeFunction(() => makeLocalServerProvider(), { allowSecrets: true });
    assert.ok(sf.text.length < 20000, `serialized provider is ${sf.text.length} bytes`);
    const file = path.join(dir, "provider.js");
    fs.writeFileSync(file, sf.text);
    const [client, monitor] = await freePorts(2);
    const ins: LocalServerInputs = {
      name: "ser",
      broker: "nats-server",
      config: configText("ser", { client, monitor }, 1000000),
      ports: { client, monitor },
      stateDir: path.join(dir, "state"),
    };
    const script = `
      const p = require(${JSON.stringify(file)}).handler();
      (async () => {
        const ins = ${JSON.stringify(ins)};
        const r = await p.create(ins);
        console.log(JSON.stringify(r.outs.pid));
        await p.delete(r.id, r.outs);
      })().catch((e) => { console.error(e.message); process.exit(1); });`;
    const child = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), "-e", script], {
      cwd: dir,
      env: { ...process.env, TS_NODE_PROJECT: path.resolve(__dirname, "../../../tsconfig.json") },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? -1)));
    assert.equal(code, 0, err);
    const pid = Number(out.trim());
    assert.ok(pid > 0, out);
    started.add(pid);
    assert.ok(!pidAlive(pid), "serialized delete left the server running");
  });
});
