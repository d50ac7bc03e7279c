/**
 * Local process manager: runs one broker process per server under a state folder, the way the
 * local target and `natsfleet up` both need it. Everything it knows lives on disk
 * (`<server>.conf`, `.log`, `.pid`, `.state.json`) so a later, unrelated process (the next
 * `pulumi up`, `natsfleet down`) can pick up where the last one left off.
 */
import * as fs from "fs";
import * as path from "path";
import * as crypto from "crypto";
import { spawn } from "child_process";
import { getJson, httpGet, tcpProbe } from "./http";

/** Which executable runs a server: our bundled broker or the official Go binary. */
export type BrokerKind = "natsfleet" | "nats-server";
export const BROKERS: readonly BrokerKind[] = ["natsfleet", "nats-server"];

/** Ports a server listens on. A change to any of them needs a restart (nats-server refuses to reload them). */
export interface ServerPorts {
  client: number;
  /** Monitoring HTTP port; when set, readiness and reload checks use /healthz and /varz. */
  monitor?: number;
  cluster?: number;
  gateway?: number;
  leafnode?: number;
}

/** Everything needed to run one server. */
export interface ServerSpec {
  /** Server name; also the base name of its files, so it must be file-name safe. */
  name: string;
  /** Full config text in the nats-server format. */
  config: string;
  broker: BrokerKind;
  ports: ServerPorts;
  /** Folder for conf, log, pid and state files (created if missing). */
  stateDir: string;
  /** Address the probes dial (default 127.0.0.1). */
  host?: string;
}

/** How a broker is launched for a config file. */
export interface LaunchCommand {
  command: string;
  args: string[];
}

/** Tuning knobs; the defaults suit interactive use. */
export interface ManagerOptions {
  /** How long a new process may take to become ready (default 15 s). */
  readyTimeoutMs?: number;
  /** How long SIGTERM gets before SIGKILL (default 5 s). */
  stopTimeoutMs?: number;
  /** How long to wait for a SIGHUP to be confirmed before falling back to a restart (default 5 s). */
  reloadTimeoutMs?: number;
  /** Replaces the default launch command (packaged installs, tests). */
  launch?: (broker: BrokerKind, confPath: string) => LaunchCommand;
}

/** What `ensureServer` did. */
export type StartAction = "started" | "unchanged" | "reloaded" | "restarted";

export interface StartResult {
  name: string;
  action: StartAction;
  pid: number;
  /** Why a config change needed a restart instead of a reload, when it did. */
  restartReason?: string;
  files: ServerFiles;
}

export interface StopResult {
  name: string;
  /** False when nothing was running (already stopped, or only a stale pid file). */
  stopped: boolean;
  pid?: number;
  /** True when SIGTERM was not enough. */
  killed?: boolean;
}

export interface ServerStatus {
  name: string;
  running: boolean;
  pid?: number;
  /** A pid file whose process is gone (removed when found). */
  stalePid?: number;
  broker?: BrokerKind;
  ports?: ServerPorts;
  /** /healthz answered ok (or, without monitoring, the client port accepts connections). */
  healthy: boolean;
  /** The running process has loaded the config now on disk. */
  configCurrent?: boolean;
  startedAt?: string;
  files: ServerFiles;
}

/** Paths of one server's files. */
export interface ServerFiles {
  conf: string;
  log: string;
  pid: string;
  state: string;
}

/** What we remember about a running process, beside its pid file. */
interface StateRecord {
  broker: BrokerKind;
  ports: ServerPorts;
  host: string;
  command: string;
  args: string[];
  /** sha256 of the config the process has loaded. */
  configHash: string;
  pid: number;
  startedAt: string;
}

const DEFAULT_HOST = "127.0.0.1";
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** `.natsfleet/<stack>/` under `cwd`: where local servers keep their files by default. */
export function defaultStateDir(stack: string, cwd: string = process.cwd()): string {
  return path.resolve(cwd, ".natsfleet", stack);
}

/** The files of server `name` in `stateDir`. */
export function serverFiles(stateDir: string, name: string): ServerFiles {
  const base = path.join(path.resolve(stateDir), name);
  return { conf: `${base}.conf`, log: `${base}.log`, pid: `${base}.pid`, state: `${base}.state.json` };
}

/** The repository (or installed package) root: the folder holding natsfleet's package.json. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, "utf8")).name === "natsfleet") return dir;
      } catch {
        // an unreadable package.json further down is not ours; keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the natsfleet package root above ${from}`);
    dir = up;
  }
}

/** Absolute path of `exe` on PATH, or undefined. */
export function findOnPath(exe: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, exe);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** True when our own broker has been built (bin/natsfleet-server.js needs dist/broker/main.js). */
export function natsfleetServerBuilt(root: string = packageRoot()): boolean {
  return fs.existsSync(path.join(root, "dist", "broker", "main.js"));
}

/** The default launch command: `node <repo>/bin/natsfleet-server.js -c conf` or `nats-server -c conf`. */
export function defaultLaunch(broker: BrokerKind, confPath: string): LaunchCommand {
  if (broker === "natsfleet") {
    const root = packageRoot();
    if (!natsfleetServerBuilt(root)) {
      throw new Error(`broker "natsfleet": ${path.join(root, "dist/broker/main.js")} is missing; run \`npm run build\` first`);
    }
    return { command: process.execPath, args: [path.join(root, "bin", "natsfleet-server.js"), "-c", confPath] };
  }
  const exe = findOnPath("nats-server");
  if (!exe) throw new Error(`broker "nats-server": no nats-server executable on PATH; install it or use broker: natsfleet`);
  return { command: exe, args: ["-c", confPath] };
}

function hashConfig(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

function checkSpec(spec: ServerSpec): void {
  const where = `server ${JSON.stringify(spec.name)}`;
  if (typeof spec.name !== "string" || !NAME_RE.test(spec.name)) {
    throw new Error(`${where}: name must be letters, digits, '_', '.', '-' (it names the server's files)`);
  }
  if (!BROKERS.includes(spec.broker)) {
    throw new Error(`${where}: broker must be one of ${BROKERS.join(", ")}, got ${JSON.stringify(spec.broker)}`);
  }
  if (typeof spec.config !== "string" || spec.config.length === 0) throw new Error(`${where}: config text is empty`);
  if (!spec.stateDir) throw new Error(`${where}: stateDir is required`);
  for (const [k, v] of Object.entries(spec.ports ?? {})) {
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 1 || v > 65535) throw new Error(`${where}: ports.${k} must be a port number 1-65535, got ${v}`);
  }
  if (spec.ports?.client === undefined) throw new Error(`${where}: ports.client is required`);
}

function samePorts(a: ServerPorts, b: ServerPorts): boolean {
  const keys: Array<keyof ServerPorts> = ["client", "monitor", "cluster", "gateway", "leafnode"];
  return keys.every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

function readState(files: ServerFiles): StateRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(files.state, "utf8")) as StateRecord;
  } catch {
    return undefined;
  }
}

function readPidFile(files: ServerFiles): number | undefined {
  try {
    const n = Number(fs.readFileSync(files.pid, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function removeQuietly(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch {
    // already gone
  }
}

/**
 * True when `pid` is a live process. On Linux a zombie counts as dead, and when `confPath`
 * is given the process must have it on its command line: a recycled pid then is not mistaken
 * for our server.
 */
export function isAlive(pid: number, confPath?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but is someone else's; never ours
    return false;
  }
  const proc = `/proc/${pid}`;
  if (!fs.existsSync("/proc/self")) return true;
  try {
    const stat = fs.readFileSync(`${proc}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    if (confPath) return fs.readFileSync(`${proc}/cmdline`, "utf8").split("\0").includes(confPath);
    return true;
  } catch {
    return false;
  }
}

/** The pid of the live process behind the pid file, clearing stale pid/state files. */
function livePid(files: ServerFiles): { pid?: number; stalePid?: number } {
  const pid = readPidFile(files);
  if (pid === undefined) return {};
  if (isAlive(pid, files.conf)) return { pid };
  removeQuietly(files.pid);
  removeQuietly(files.state);
  return { stalePid: pid };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function logTail(files: ServerFiles, lines = 15): string {
  try {
    return fs.readFileSync(files.log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function logSince(files: ServerFiles, offset: number): string {
  try {
    const fd = fs.openSync(files.log, "r");
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= offset) return "";
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      return buf.toString("utf8");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return "";
  }
}

function logSize(files: ServerFiles): number {
  try {
    return fs.statSync(files.log).size;
  } catch {
    return 0;
  }
}

/** One readiness probe: /healthz when monitoring is on, else a TCP connect to the client port. */
async function probeReady(host: string, ports: ServerPorts): Promise<boolean> {
  if (ports.monitor) {
    try {
      return (await httpGet(`http://${host}:${ports.monitor}/healthz`, 1000)).status === 200;
    } catch {
      return false;
    }
  }
  return tcpProbe(host, ports.client, 500);
}

async function waitReady(spec: ServerSpec, pid: number, files: ServerFiles, timeoutMs: number): Promise<void> {
  const host = spec.host ?? DEFAULT_HOST;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive(pid, files.conf)) {
      throw new Error(`server "${spec.name}" (${spec.broker}) exited during start-up; log ${files.log}:\n${logTail(files)}`);
    }
    if (await probeReady(host, spec.ports)) return;
    if (Date.now() > deadline) {
      throw new Error(`server "${spec.name}" (${spec.broker}, pid ${pid}) not ready after ${timeoutMs} ms; log ${files.log}:\n${logTail(files)}`);
    }
    await sleep(50);
  }
}

async function portsInUse(host: string, ports: ServerPorts): Promise<string[]> {
  const busy: string[] = [];
  await Promise.all(
    Object.entries(ports).map(async ([role, port]) => {
      if (port && (await tcpProbe(host, port, 300))) busy.push(`${port} (${role})`);
    }),
  );
  return busy.sort();
}

function writeConf(files: ServerFiles, config: string): void {
  // configs carry account passwords: owner-only
  fs.writeFileSync(files.conf, config, { mode: 0o600 });
  fs.chmodSync(files.conf, 0o600);
}

async function launch(spec: ServerSpec, files: ServerFiles, opts: ManagerOptions): Promise<number> {
  const host = spec.host ?? DEFAULT_HOST;
  const busy = await portsInUse(host, spec.ports);
  if (busy.length) {
    throw new Error(`server "${spec.name}": port ${busy.join(", ")} already in use by another process; stop it or choose other ports`);
  }
  writeConf(files, spec.config);
  const { command, args } = (opts.launch ?? defaultLaunch)(spec.broker, files.conf);
  const log = fs.openSync(files.log, "a");
  let pid: number | undefined;
  try {
    // detached: own session, so the server outlives the CLI or Pulumi's provider process
    const child = spawn(command, args, { detached: true, stdio: ["ignore", log, log], cwd: path.dirname(files.conf) });
    const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
    pid = child.pid;
    if (pid === undefined) throw await spawnError;
    child.on("error", () => undefined);
    child.unref();
  } finally {
    fs.closeSync(log);
  }
  fs.writeFileSync(files.pid, `${pid}\n`);
  const record: StateRecord = {
    broker: spec.broker,
    ports: spec.ports,
    host,
    command,
    args,
    configHash: hashConfig(spec.config),
    pid,
    startedAt: new Date().toISOString(),
  };
  fs.writeFileSync(files.state, JSON.stringify(record, null, 2) + "\n");
  try {
    await waitReady(spec, pid, files, opts.readyTimeoutMs ?? 15000);
  } catch (e) {
    await terminate(pid, files, opts.stopTimeoutMs ?? 5000);
    removeQuietly(files.pid);
    removeQuietly(files.state);
    throw e;
  }
  return pid;
}

/** SIGTERM, wait, then SIGKILL. Returns true when SIGKILL was needed. */
async function terminate(pid: number, files: ServerFiles, timeoutMs: number): Promise<boolean> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid, files.conf)) return false;
    await sleep(25);
  }
  signal("SIGKILL");
  const killDeadline = Date.now() + 5000;
  while (isAlive(pid, files.conf)) {
    if (Date.now() > killDeadline) throw new Error(`process ${pid} survived SIGKILL`);
    await sleep(25);
  }
  return true;
}

async function configLoadTime(host: string, monitor: number): Promise<string | undefined> {
  try {
    const v = await getJson<{ config_load_time?: string }>(`http://${host}:${monitor}/varz`, 1000);
    return v.config_load_time;
  } catch {
    return undefined;
  }
}

/**
 * Write the new config and SIGHUP the process. Confirmation comes from /varz's
 * config_load_time moving or the broker's "Reloaded server configuration" log line; "Failed
 * to reload" (e.g. nats-server refusing a gateway change) means the caller must restart.
 */
async function reload(
  spec: ServerSpec,
  pid: number,
  files: ServerFiles,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const host = spec.host ?? DEFAULT_HOST;
  const before = spec.ports.monitor ? await configLoadTime(host, spec.ports.monitor) : undefined;
  const offset = logSize(files);
  writeConf(files, spec.config);
  try {
    process.kill(pid, "SIGHUP");
  } catch (e) {
    return { ok: false, reason: `SIGHUP failed: ${(e as Error).message}` };
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(25);
    if (!isAlive(pid, files.conf)) return { ok: false, reason: "the process exited on SIGHUP" };
    const text = logSince(files, offset);
    const failed = /Failed to reload[^\n]*/i.exec(text);
    if (failed) return { ok: false, reason: failed[0].replace(/^.*?Failed/, "Failed").trim() };
    if (/Reloaded server configuration/i.test(text)) return { ok: true };
    if (spec.ports.monitor && before !== undefined) {
      const now = await configLoadTime(host, spec.ports.monitor);
      if (now !== undefined && now !== before) return { ok: true };
    }
  }
  return { ok: false, reason: `no reload confirmation within ${timeoutMs} ms` };
}

/**
 * Make server `spec.name` run `spec.config` with `spec.broker` on `spec.ports`: start it if it
 * is not running, do nothing if it already runs exactly this, reload (SIGHUP) when only the
 * config changed, and restart when the broker or ports changed or the broker refused the reload.
 */
export async function ensureServer(spec: ServerSpec, opts: ManagerOptions = {}): Promise<StartResult> {
  checkSpec(spec);
  fs.mkdirSync(spec.stateDir, { recursive: true, mode: 0o700 });
  const files = serverFiles(spec.stateDir, spec.name);
  const host = spec.host ?? DEFAULT_HOST;
  const { pid } = livePid(files);
  if (pid === undefined) {
    return { name: spec.name, action: "started", pid: await launch(spec, files, opts), files };
  }
  const state = readState(files);
  const sameProcessShape = state && state.broker === spec.broker && samePorts(state.ports, spec.ports) && state.host === host;
  if (!sameProcessShape) {
    await terminate(pid, files, opts.stopTimeoutMs ?? 5000);
    const newPid = await launch(spec, files, opts);
    return { name: spec.name, action: "restarted", pid: newPid, restartReason: "broker, host or ports changed", files };
  }
  const hash = hashConfig(spec.config);
  let onDisk: string | undefined;
  try {
    onDisk = fs.readFileSync(files.conf, "utf8");
  } catch {
    onDisk = undefined;
  }
  if (state.configHash === hash && onDisk === spec.config) {
    await waitReady(spec, pid, files, opts.readyTimeoutMs ?? 15000);
    return { name: spec.name, action: "unchanged", pid, files };
  }
  const result = await reload(spec, pid, files, opts.reloadTimeoutMs ?? 5000);
  if (result.ok) {
    fs.writeFileSync(files.state, JSON.stringify({ ...state, configHash: hash }, null, 2) + "\n");
    return { name: spec.name, action: "reloaded", pid, files };
  }
  await terminate(pid, files, opts.stopTimeoutMs ?? 5000);
  const newPid = await launch(spec, files, opts);
  return { name: spec.name, action: "restarted", pid: newPid, restartReason: result.reason, files };
}

/** Options for `stopServer`. */
export interface StopOptions extends ManagerOptions {
  /** Also delete the config file (it holds secrets); the log stays for post-mortems. */
  removeConfig?: boolean;
}

/** Stop server `name` (SIGTERM, then SIGKILL after the timeout) and clear its pid/state files. */
export async function stopServer(stateDir: string, name: string, opts: StopOptions = {}): Promise<StopResult> {
  if (!NAME_RE.test(name)) throw new Error(`server ${JSON.stringify(name)}: not a valid server name`);
  const files = serverFiles(stateDir, name);
  const { pid } = livePid(files);
  let killed: boolean | undefined;
  if (pid !== undefined) killed = await terminate(pid, files, opts.stopTimeoutMs ?? 5000);
  removeQuietly(files.pid);
  removeQuietly(files.state);
  if (opts.removeConfig) removeQuietly(files.conf);
  return pid === undefined ? { name, stopped: false } : { name, stopped: true, pid, killed };
}

/** What is known about server `name`: process, health, and whether its config is the one on disk. */
export async function serverStatus(stateDir: string, name: string): Promise<ServerStatus> {
  const files = serverFiles(stateDir, name);
  const { pid, stalePid } = livePid(files);
  if (pid === undefined) return { name, running: false, healthy: false, stalePid, files };
  const state = readState(files);
  let configCurrent: boolean | undefined;
  try {
    configCurrent = state ? hashConfig(fs.readFileSync(files.conf, "utf8")) === state.configHash : undefined;
  } catch {
    configCurrent = false;
  }
  const healthy = state ? await probeReady(state.host, state.ports) : false;
  return {
    name,
    running: true,
    pid,
    broker: state?.broker,
    ports: state?.ports,
    healthy,
    configCurrent,
    startedAt: state?.startedAt,
    files,
  };
}

/** Names of the servers with a pid or state file in `stateDir` (running or not). */
export function listServers(stateDir: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(stateDir);
  } catch {
    return [];
  }
  const names = new Set<string>();
  for (const f of entries) {
    const m = /^(.*)\.(pid|state\.json)$/.exec(f);
    if (m && NAME_RE.test(m[1])) names.add(m[1]);
  }
  return [...names].sort();
}
