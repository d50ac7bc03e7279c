/**
 * The VM bootstrap: shellcheck-clean for both brokers, and its start/sync parts really run on
 * this machine under a temporary NF_ROOT: the bundled broker (and the official nats-server)
 * start from the script against a local config, a channel change is installed by `sync`, and
 * the SIGHUP that systemd's ExecReload sends makes the running broker pick it up.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ChildProcess, spawn, spawnSync } from "child_process";
import { connect, StringCodec } from "nats";
import { bootstrapScript, USER_DATA_LIMIT } from "../../../components/common/bootstrap";
import { brokerBundle } from "../../../components/common/bundle";
import { freePorts, killAll, removeDir, sleep, tempDir } from "../helpers";
import { haveShellcheck, shellcheck } from "./cloud-mocks";
import type { BrokerKind } from "../../../components/topology/model";

/** A script whose channel is a local folder ($NF_SRC), so sync runs without a cloud. */
const localScript = (broker: BrokerKind) =>
  bootstrapScript({ server: "t-0", broker, files: ["nats.conf", "tls/ca.pem"], fetchFile: 'cp "$NF_SRC/$1" "$2"', fetchBundle: 'cp "$NF_SRC/bundle.js" "$1"', pollSeconds: 1 });

async function waitHttp(url: string, ms = 15000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return await r.json();
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${ms} ms`);
    await sleep(100);
  }
}

function conf(name: string, client: number, http: number, extra = ""): string {
  return `server_name: ${name}\nlisten: "127.0.0.1:${client}"\nhttp: "127.0.0.1:${http}"\n${extra}`;
}

describe("VM bootstrap script", function () {
  this.timeout(60000);
  let root: string;
  let src: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    root = tempDir("boot-root");
    src = tempDir("boot-src");
  });
  afterEach(async () => {
    killAll(children.map((c) => c.pid!).filter(Boolean));
    children.length = 0;
    removeDir(root);
    removeDir(src);
  });

  function script(broker: BrokerKind): string {
    const file = path.join(root, "bootstrap.sh");
    fs.writeFileSync(file, localScript(broker), { mode: 0o755 });
    return file;
  }

  function start(broker: BrokerKind): ChildProcess {
    const child = spawn("bash", [script(broker), "start"], { env: { ...process.env, NF_ROOT: root }, stdio: ["ignore", "ignore", "pipe"] });
    children.push(child);
    return child;
  }

  async function stop(child: ChildProcess): Promise<number | null> {
    const done = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    return done;
  }

  it("is small and shellcheck-clean for both brokers", function () {
    for (const b of ["natsfleet", "nats-server"] as const) assert.ok(Buffer.byteLength(localScript(b)) < USER_DATA_LIMIT / 2);
    if (!haveShellcheck()) {
      console.log("      (shellcheck not installed: apt-get install shellcheck; bootstrap lint skipped)");
      this.skip();
    }
    for (const b of ["natsfleet", "nats-server"] as const) assert.equal(shellcheck(localScript(b)), "", b);
  });

  it("rejects names that would need shell quoting", () => {
    assert.throws(() => bootstrapScript({ server: "a;rm -rf /", broker: "natsfleet", fetchFile: "true", fetchBundle: "true" }), /server name "a;rm -rf \/" may only contain/);
    assert.throws(() => bootstrapScript({ server: "a", broker: "natsfleet", fetchFile: "true", fetchBundle: "true", files: ["x.conf"] }), /must include nats\.conf/);
  });

  for (const broker of ["natsfleet", "nats-server"] as const) {
    it(`starts ${broker} from the synced config and reloads it on SIGHUP`, async function () {
      const natsServer = spawnSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" }).stdout.trim();
      if (broker === "nats-server" && !natsServer) {
        console.log("      (nats-server not installed: the official broker's start is not exercised)");
        this.skip();
      }
      const [client, http] = await freePorts(2);
      fs.writeFileSync(path.join(src, "nats.conf"), conf("t-0", client!, http!));
      fs.writeFileSync(path.join(src, "ca.pem"), "not used\n");
      fs.mkdirSync(path.join(src, "tls"));
      fs.writeFileSync(path.join(src, "tls/ca.pem"), "ca\n");
      const sync = () => spawnSync("bash", [script(broker), "sync"], { env: { ...process.env, NF_ROOT: root, NF_SRC: src }, encoding: "utf8" });
      const r = sync();
      assert.equal(r.status, 0, r.stderr);
      assert.equal(fs.readFileSync(path.join(root, "etc/natsfleet/nats.conf"), "utf8"), conf("t-0", client!, http!));
      assert.equal(fs.statSync(path.join(root, "etc/natsfleet/nats.conf")).mode & 0o777, 0o600);
      assert.equal(fs.readFileSync(path.join(root, "etc/natsfleet/tls/ca.pem"), "utf8"), "ca\n");
      if (broker === "natsfleet") {
        fs.mkdirSync(path.join(root, "opt/natsfleet"), { recursive: true });
        fs.writeFileSync(path.join(root, "opt/natsfleet/natsfleet-server.js"), brokerBundle().text);
      } else {
        fs.mkdirSync(path.join(root, "opt/natsfleet/bin"), { recursive: true });
        fs.symlinkSync(natsServer, path.join(root, "opt/natsfleet/bin/nats-server"));
      }
      const child = start(broker);
      const varz = await waitHttp(`http://127.0.0.1:${http}/varz`);
      assert.equal(varz.server_name, "t-0");
      const nc = await connect({ servers: `127.0.0.1:${client}` });
      try {
        const sc = StringCodec();
        const sub = nc.subscribe("boot.>", { max: 1 });
        nc.publish("boot.ok", sc.encode("hello"));
        for await (const msg of sub) assert.equal(sc.decode(msg.data), "hello");
      } finally {
        await nc.close();
      }
      // a channel change: sync installs it, SIGHUP (ExecReload) applies it
      fs.writeFileSync(path.join(src, "nats.conf"), conf("t-0", client!, http!, "max_payload: 65536\n"));
      assert.equal(sync().status, 0);
      assert.match(fs.readFileSync(path.join(root, "etc/natsfleet/nats.conf"), "utf8"), /max_payload: 65536/);
      child.kill("SIGHUP");
      const deadline = Date.now() + 10000;
      let payload = 0;
      while (Date.now() < deadline && payload !== 65536) {
        payload = (await waitHttp(`http://127.0.0.1:${http}/varz`)).max_payload;
        await sleep(100);
      }
      assert.equal(payload, 65536, "reloaded max_payload");
      assert.ok(child.exitCode === null, "still the same process after reload");
      await stop(child);
    });
  }

  it("reports an unknown command without doing anything", () => {
    const r = spawnSync("bash", [script("natsfleet"), "bogus"], { env: { ...process.env, NF_ROOT: root }, encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command bogus/);
    assert.deepEqual(fs.readdirSync(root), ["bootstrap.sh"]);
  });
});
