/**
 * A pod's moving parts run for real on this machine, with no Kubernetes: the broker started
 * with the pod's command line on a pod config, its /healthz (the probes), the reloader
 * script picking up a config swapped the way the kubelet swaps a mounted Secret (a `..data`
 * symlink flip) and the broker reloading without a restart, then the preStop command putting
 * it in lame duck mode. Once with the official nats-server, once with the natsfleet bundle.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as http from "http";
import { ChildProcess, spawn, spawnSync } from "child_process";
import { freePorts, killAll, removeDir, sleep, tempDir } from "../helpers";
import { natsServerBinary } from "../../helpers/servers";
import { validateTopology } from "../../../components/topology/validate";
import { render } from "../../../components/topology/render";
import { withServerPorts } from "../../../components/topology/ports";
import { podConfig } from "../../../components/kubernetes/config";
import { POD_PATHS, RELOADER_SCRIPT } from "../../../components/kubernetes/reloader";
import { BUNDLE_UNPACK_DIR, brokerProcess, bundleData } from "../../../components/kubernetes/broker";

const POD = "pod-0";

/** A child process with its output collected, for waiting on log lines. */
interface Proc {
  child: ChildProcess;
  output: () => string;
}

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return { child, output: () => out };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function healthz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/healthz", timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
  });
}

/** A one-server cluster's rendered config on free loopback ports, as a pod would get it. */
async function renderPodConfig(pidFile: string, extra = ""): Promise<{ text: string; client: number; monitor: number }> {
  const [client, monitor] = await freePorts(2);
  const model = withServerPorts(validateTopology({ name: "pod", clusters: [{ name: "pod", target: "kubernetes", servers: 1 }] }), {
    [POD]: { client: client!, http: monitor! },
  });
  const rendered = render(model, { addresses: { [POD]: { host: "127.0.0.1" } }, secrets: {}, listenHosts: { [POD]: "127.0.0.1" } })[POD]!;
  return { text: podConfig(rendered, {}, pidFile) + extra, client: client!, monitor: monitor! };
}

/** The kubelet's layout of a mounted Secret: files are symlinks through `..data`, flipped atomically. */
class MountedSecret {
  private generation = 0;
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }
  write(files: Record<string, string>): void {
    const gen = `..${Date.now()}_${++this.generation}`;
    fs.mkdirSync(path.join(this.dir, gen));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(this.dir, gen, name), text);
    const tmp = path.join(this.dir, "..data_tmp");
    fs.symlinkSync(gen, tmp);
    fs.renameSync(tmp, path.join(this.dir, "..data"));
    for (const name of Object.keys(files)) {
      const link = path.join(this.dir, name);
      if (!fs.existsSync(link)) fs.symlinkSync(path.join("..data", name), link);
    }
  }
}

interface Broker {
  label: string;
  /** The pod's broker command with the config path. */
  command: (config: string) => [string, string[]];
  /** The preStop command's signal part. */
  lameDuck: (pidFile: string) => [string, string[]];
  available: () => boolean;
}

function bundleFile(dir: string): string {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { brokerBundle } = require("../../../components/common/bundle") as typeof import("../../../components/common/bundle");
  const file = path.join(dir, "natsfleet-server.js");
  if (!fs.existsSync(file)) fs.writeFileSync(file, brokerBundle().text);
  return file;
}

/** A stand-in broker that reports each SIGHUP; SIGHUP kills a process that has no handler yet. */
async function standInReady(p: Proc): Promise<Proc> {
  await waitFor("stand-in broker ready", () => p.output().includes("ready"));
  return p;
}

describe("Kubernetes pod, run as local processes", function () {
  this.timeout(90000);
  let dir: string;
  const pids = new Set<number>();
  const procs: Proc[] = [];

  before(() => {
    dir = tempDir("k8s-pod");
  });
  afterEach(async () => {
    killAll(pids);
    await Promise.all(procs.splice(0).map((p) => (p.child.exitCode === null && p.child.signalCode === null ? new Promise((r) => p.child.once("exit", r)) : undefined)));
    pids.clear();
  });
  after(() => removeDir(dir));

  const standIn = () => start(process.execPath, ["-e", "process.on('SIGHUP',()=>console.log('HUP'));console.log('ready');setInterval(()=>{},1000)"]);
  const track = (p: Proc) => {
    procs.push(p);
    if (p.child.pid) pids.add(p.child.pid);
    return p;
  };

  const brokers: Broker[] = [
    {
      label: "nats-server",
      command: (config) => [natsServerBinary()!, ["--config", config]],
      lameDuck: (pidFile) => [natsServerBinary()!, ["--signal", `ldm=${pidFile}`]],
      available: () => natsServerBinary() !== undefined,
    },
    {
      label: "natsfleet bundle",
      command: (config) => [process.execPath, [bundleFile(dir), "--config", config]],
      lameDuck: (pidFile) => [process.execPath, [bundleFile(dir), "--signal", `ldm=${pidFile}`]],
      available: () => true,
    },
  ];

  for (const b of brokers) {
    it(`${b.label}: healthz, reload on a swapped Secret without restart, lame duck from preStop`, async () => {
      assert.ok(b.available(), `${b.label} is not installed`);
      const podDir = path.join(dir, b.label.replace(/\W+/g, "-"));
      const pidFile = path.join(podDir, "run", "nats.pid");
      fs.mkdirSync(path.dirname(pidFile), { recursive: true });
      const secret = new MountedSecret(path.join(podDir, "config"));
      const first = await renderPodConfig(pidFile);
      secret.write({ [`${POD}.conf`]: first.text });
      const configPath = path.join(secret.dir, `${POD}.conf`);

      const [cmd, args] = b.command(configPath);
      const broker = track(start(cmd, args));
      await waitFor(`${b.label} /healthz`, async () => (await healthz(first.monitor)) === 200);
      await waitFor("pid file", () => fs.existsSync(pidFile) && /^\d+\s*$/.test(fs.readFileSync(pidFile, "utf8")));
      const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
      assert.equal(pid, broker.child.pid, "the pid file names the broker");

      const script = path.join(podDir, "reloader.js");
      fs.writeFileSync(script, RELOADER_SCRIPT);
      const reloader = track(start(process.execPath, [script], { CONFIG_FILE: configPath, PID_FILE: pidFile, POLL_MS: "50" }));
      await waitFor("reloader start", () => reloader.output().includes("watching"));
      await sleep(300);
      assert.ok(!broker.output().includes("Reloaded server configuration"), "no reload while nothing changed");

      // same ports, one more setting: what a topology change looks like to a running pod
      secret.write({ [`${POD}.conf`]: first.text + "\nmax_payload: 65536\n" });
      await waitFor(`${b.label} reload\n${broker.output()}\n${reloader.output()}`, () => broker.output().includes("Reloaded server configuration"));
      assert.match(reloader.output(), new RegExp(`sent SIGHUP to ${pid}`));
      assert.equal(broker.child.exitCode, null, "the broker still runs (no restart)");
      assert.equal(await healthz(first.monitor), 200);

      const [ldCmd, ldArgs] = b.lameDuck(pidFile);
      const ld = spawnSync(ldCmd, ldArgs, { encoding: "utf8", timeout: 15000 });
      assert.equal(ld.status, 0, `preStop signal failed: ${ld.stdout}${ld.stderr}`);
      await waitFor(`${b.label} lame duck`, () => /lame duck mode/i.test(broker.output()));
    });
  }

  it("compressed bundle: the pod's own start command unpacks it and runs the broker", async () => {
    const podDir = path.join(dir, "packed");
    // the bundle squeezed under a tiny limit, so the compressed form is chosen
    const bundle = bundleData(fs.readFileSync(bundleFile(dir), "utf8"), 200 * 1024);
    assert.equal(bundle.compressed, true);
    const proc = brokerProcess("natsfleet", {}, bundle, "x-broker");
    // the pod's paths, moved under the test folder
    const moved: Record<string, string> = {
      [POD_PATHS.brokerDir]: path.join(podDir, "opt"),
      [BUNDLE_UNPACK_DIR]: path.join(podDir, "unpacked"),
      [POD_PATHS.configDir]: path.join(podDir, "config"),
    };
    for (const d of Object.values(moved)) fs.mkdirSync(d, { recursive: true });
    for (const [name, b64] of Object.entries(bundle.binaryData!)) fs.writeFileSync(path.join(moved[POD_PATHS.brokerDir]!, name), Buffer.from(b64, "base64"));
    const conf = await renderPodConfig(path.join(podDir, "nats.pid"));
    fs.writeFileSync(path.join(moved[POD_PATHS.configDir]!, `${POD}.conf`), conf.text);
    let script = proc.command[2]!;
    for (const [from, to] of Object.entries(moved)) script = script.split(from).join(to);
    assert.deepEqual(proc.command.slice(0, 2), ["sh", "-c"]);
    const broker = track(start("sh", ["-c", script], { POD_NAME: POD }));
    await waitFor(`unpacked broker /healthz\n${broker.output()}`, async () => (await healthz(conf.monitor)) === 200);
    // `exec`: the broker replaces the shell, so the pid file names the container's process
    await waitFor("pid file", () => fs.existsSync(path.join(podDir, "nats.pid")));
    assert.equal(Number(fs.readFileSync(path.join(podDir, "nats.pid"), "utf8").trim()), broker.child.pid);
  });

  it("reloader: waits for the broker's pid file, reports a problem once, then signals", async () => {
    const podDir = path.join(dir, "waits");
    const pidFile = path.join(podDir, "nats.pid");
    const secret = new MountedSecret(path.join(podDir, "config"));
    secret.write({ "p.conf": "a: 1\n" });
    // a stand-in broker that reports each SIGHUP
    const target = await standInReady(track(standIn()));
    const script = path.join(podDir, "reloader.js");
    fs.writeFileSync(script, RELOADER_SCRIPT);
    const reloader = track(start(process.execPath, [script], { CONFIG_FILE: path.join(secret.dir, "p.conf"), PID_FILE: pidFile, POLL_MS: "30" }));
    await waitFor("reloader start", () => reloader.output().includes("watching"));
    secret.write({ "p.conf": "a: 2\n" });
    await waitFor("the problem", () => reloader.output().includes("cannot signal the broker"));
    await sleep(200);
    assert.equal(reloader.output().split("cannot signal the broker").length - 1, 1, "reported once");
    fs.writeFileSync(pidFile, `${target.child.pid}\n`);
    await waitFor("SIGHUP", () => target.output().includes("HUP"));
    await sleep(200);
    assert.equal(target.output().split("HUP").length - 1, 1, "one change, one signal");
  });

  it("reloader: a rotated certificate (WATCH_EXTRA) triggers a reload too", async () => {
    const podDir = path.join(dir, "extra");
    const secret = new MountedSecret(path.join(podDir, "config"));
    secret.write({ "p.conf": "a: 1\n" });
    const certs = new MountedSecret(path.join(podDir, "tls"));
    certs.write({ "p.crt": "one", "ca.crt": "ca" });
    const target = await standInReady(track(standIn()));
    const pidFile = path.join(podDir, "nats.pid");
    fs.writeFileSync(pidFile, `${target.child.pid}\n`);
    const script = path.join(podDir, "reloader.js");
    fs.writeFileSync(script, RELOADER_SCRIPT);
    const extra = ["p.crt", "ca.crt"].map((f) => path.join(certs.dir, f)).join(":");
    const reloader = track(start(process.execPath, [script], { CONFIG_FILE: path.join(secret.dir, "p.conf"), WATCH_EXTRA: extra, PID_FILE: pidFile, POLL_MS: "30" }));
    await waitFor("reloader start", () => reloader.output().includes("watching"));
    certs.write({ "p.crt": "two", "ca.crt": "ca" });
    await waitFor("SIGHUP after rotation", () => target.output().includes("HUP"));
  });

  it("reloader: refuses to start without its environment", () => {
    const script = path.join(dir, "reloader-env.js");
    fs.writeFileSync(script, RELOADER_SCRIPT);
    const r = spawnSync(process.execPath, [script], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" }, timeout: 10000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /CONFIG_FILE and PID_FILE must be set/);
  });
});
