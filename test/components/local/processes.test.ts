/**
 * Process manager edge cases: pid files that point at someone else's process, busy ports,
 * reload confirmed from the log when there is no monitoring port, SIGKILL after a SIGTERM
 * that is ignored, status.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ensureServer, stopServer, serverStatus, serverFiles, listServers, ServerSpec } from "../../../components/local/processes";
import { freePorts, tempDir, removeDir, pidAlive, killAll } from "../helpers";
import * as net from "net";

describe("local process manager", function () {
  this.timeout(30000);
  let dir: string;
  const started = new Set<number>();

  beforeEach(() => {
    dir = tempDir("processes");
  });
  afterEach(() => {
    killAll(started);
    started.clear();
    removeDir(dir);
  });

  async function spec(name: string, extra = ""): Promise<ServerSpec> {
    const [client] = await freePorts(1);
    return { name, broker: "nats-server", stateDir: dir, ports: { client }, config: `server_name: ${name}\nlisten: 127.0.0.1:${client}\n${extra}` };
  }

  it("never signals the process a pid file names unless it runs this server's config", async () => {
    // our own pid: alive, but not a broker started on s1.conf
    fs.writeFileSync(serverFiles(dir, "s1").pid, `${process.pid}\n`);
    const st = await serverStatus(dir, "s1");
    assert.equal(st.running, false);
    assert.equal(st.stalePid, process.pid);
    fs.writeFileSync(serverFiles(dir, "s1").pid, `${process.pid}\n`);
    assert.deepEqual(await stopServer(dir, "s1"), { name: "s1", stopped: false });
    fs.writeFileSync(serverFiles(dir, "s1").pid, `${process.pid}\n`);
    const r = await ensureServer(await spec("s1"));
    started.add(r.pid);
    assert.equal(r.action, "started");
    assert.notEqual(r.pid, process.pid);
    await stopServer(dir, "s1");
  });

  it("refuses to start on a port another process holds, naming the port", async () => {
    const s = await spec("s2");
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(s.ports.client, "127.0.0.1", () => r()));
    try {
      await assert.rejects(ensureServer(s), new RegExp(`server "s2": port ${s.ports.client} \\(client\\) already in use by another process`));
      assert.deepEqual(listServers(dir), []);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it("confirms a reload from the broker's log when there is no monitoring port", async () => {
    const s = await spec("s3", "max_payload: 1000\n");
    const first = await ensureServer(s);
    started.add(first.pid);
    const second = await ensureServer({ ...s, config: s.config.replace("max_payload: 1000", "max_payload: 2000") });
    assert.equal(second.action, "reloaded");
    assert.equal(second.pid, first.pid);
    assert.match(fs.readFileSync(serverFiles(dir, "s3").log, "utf8"), /Reloaded: max_payload = 2000/);
    const st = await serverStatus(dir, "s3");
    assert.deepEqual([st.running, st.healthy, st.configCurrent, st.broker], [true, true, true, "nats-server"]);
    await stopServer(dir, "s3");
  });

  it("SIGKILLs a process that ignores SIGTERM, after the stop timeout", async () => {
    const s = await spec("s4");
    // a stand-in broker that listens on the client port and shrugs off SIGTERM
    const script = path.join(dir, "stubborn.js");
    fs.writeFileSync(
      script,
      `process.on("SIGTERM", () => {}); require("net").createServer().listen(${s.ports.client}, "127.0.0.1");`,
    );
    const launch = (_b: string, conf: string) => ({ command: process.execPath, args: [script, "-c", conf] });
    const r = await ensureServer(s, { launch });
    started.add(r.pid);
    const t0 = Date.now();
    const stop = await stopServer(dir, "s4", { stopTimeoutMs: 500 });
    assert.deepEqual(stop, { name: "s4", stopped: true, pid: r.pid, killed: true });
    assert.ok(Date.now() - t0 >= 500, "SIGKILL came before the timeout");
    assert.ok(!pidAlive(r.pid));
  });

  it("rejects bad specs with the field at fault", async () => {
    const s = await spec("s5");
    await assert.rejects(ensureServer({ ...s, name: "../etc" }), /server "\.\.\/etc": name must be letters, digits/);
    await assert.rejects(ensureServer({ ...s, broker: "gnatsd" as any }), /server "s5": broker must be one of natsfleet, nats-server, got "gnatsd"/);
    await assert.rejects(ensureServer({ ...s, ports: { client: 0 } }), /server "s5": ports\.client must be a port number 1-65535, got 0/);
    await assert.rejects(ensureServer({ ...s, config: "" }), /server "s5": config text is empty/);
    assert.deepEqual(listServers(dir), []);
  });
});
