/**
 * Server processes for black-box tests: natsfleet-server (our binary) and Debian's nats-server
 * (the reference peer), started with the same nats-server flags, waited for, and stopped.
 * Every process started here is tracked so `stopAllServers()` can clean up after a failed test.
 */
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { freePort, canConnect, sleep } from "./ports";

export type ServerKind = "natsfleet" | "nats-server";
export const SERVER_KINDS: readonly ServerKind[] = ["natsfleet", "nats-server"];

const REPO = path.resolve(__dirname, "..", "..");

/**
 * Debian installs nats-server in /usr/sbin, other setups in /usr/bin or on PATH;
 * NATS_SERVER_BIN overrides the search.
 */
export function natsServerBinary(): string | undefined {
  const candidates = [process.env.NATS_SERVER_BIN, "/usr/bin/nats-server", "/usr/sbin/nats-server"];
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) if (dir) candidates.push(path.join(dir, "nats-server"));
  for (const c of candidates) {
    if (!c) continue;
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch {
      /* try the next one */
    }
  }
  return undefined;
}

/**
 * The natsfleet-server entry script: bin/natsfleet-server.js (needs `npm run build`), or
 * NATSFLEET_SERVER_BIN (a JS file run with node) to test another build.
 */
export function natsfleetEntry(): string {
  const override = process.env.NATSFLEET_SERVER_BIN;
  if (override) return path.resolve(override);
  const main = path.join(REPO, "dist", "broker", "main.js");
  if (!fs.existsSync(main)) {
    throw new Error(`natsfleet-server is not built: ${main} is missing; run \`npm run build\` first`);
  }
  warnIfStale(main);
  return path.join(REPO, "bin", "natsfleet-server.js");
}

let staleWarned = false;
/** Tests of a stale build mislead: say so (once) when broker sources are newer than dist. */
function warnIfStale(main: string): void {
  if (staleWarned) return;
  staleWarned = true;
  const built = fs.statSync(main).mtimeMs;
  const newer: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && fs.statSync(p).mtimeMs > built) newer.push(path.relative(REPO, p));
    }
  };
  walk(path.join(REPO, "broker"));
  if (newer.length > 0) {
    console.warn(`      warning: dist/ is older than ${newer.slice(0, 3).join(", ")}${newer.length > 3 ? ", ..." : ""}; run \`npm run build\``);
  }
}

export interface SpawnOptions {
  /** nats-server config text; written to a temporary file passed with `-c` before `args`. */
  config?: string;
  /** How long to wait for the client port (default 15 s: a cold node start on a busy machine). */
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** A running server process. */
export class ServerProcess {
  /** stdout and stderr, interleaved as they arrived (for failure messages). */
  output = "";
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;

  constructor(
    readonly kind: ServerKind,
    readonly proc: ChildProcess,
    readonly host: string,
    readonly port: number,
    readonly args: string[],
    private readonly tmpDir?: string,
  ) {
    const collect = (b: Buffer) => {
      // Bounded: a chatty server must not grow the test process without limit.
      this.output = (this.output + b.toString("utf8")).slice(-64 * 1024);
    };
    proc.stdout?.on("data", collect);
    proc.stderr?.on("data", collect);
    this.exited = new Promise((resolve) => {
      proc.once("exit", (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        live.delete(this);
        if (this.tmpDir) fs.rmSync(this.tmpDir, { recursive: true, force: true });
        resolve();
      });
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get url(): string {
    return `nats://${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  /** Signal the process and wait for it to exit; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 5000): Promise<void> {
    if (!this.running) return this.exited;
    this.proc.kill(signal);
    const timer = setTimeout(() => {
      if (this.running) this.proc.kill("SIGKILL");
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  describe(): string {
    const status = this.running ? `pid ${this.pid}` : `exited code=${this.exitCode} signal=${this.exitSignal}`;
    return `${this.kind} ${this.args.join(" ")} (${status})\n--- output ---\n${this.output.slice(-4000)}`;
  }
}

const live = new Set<ServerProcess>();

// If the test process dies (a crash, mocha's process.exit after a failure), take its servers
// along instead of leaving them orphaned and holding ports.
process.once("exit", () => {
  for (const s of live) if (s.running) s.proc.kill("SIGKILL");
});

function argValue(args: string[], names: string[]): string | undefined {
  for (let i = 0; i < args.length - 1; i++) if (names.includes(args[i])) return args[i + 1];
  return undefined;
}

/**
 * Start `kind` with nats-server flags and wait until its client port accepts connections.
 * Without `-p`, a free port is added (and `-a 127.0.0.1` without `-a`), so tests never use
 * fixed ports. Throws with the server's output if it exits or never listens.
 */
export async function spawnServer(kind: ServerKind, args: string[] = [], opts: SpawnOptions = {}): Promise<ServerProcess> {
  const full = [...args];
  let tmpDir: string | undefined;
  if (opts.config !== undefined) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-test-"));
    const file = path.join(tmpDir, "server.conf");
    fs.writeFileSync(file, opts.config);
    full.unshift("-c", file);
  }
  if (!argValue(full, ["-a", "--addr", "-addr", "--net", "-net"])) full.push("-a", "127.0.0.1");
  if (!argValue(full, ["-p", "--port", "-port"])) full.push("-p", String(await freePort()));
  const host = argValue(full, ["-a", "--addr", "-addr", "--net", "-net"])!;
  const port = Number(argValue(full, ["-p", "--port", "-port"]));

  let proc: ChildProcess;
  if (kind === "natsfleet") {
    proc = spawn(process.execPath, [natsfleetEntry(), ...full], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...opts.env } });
  } else {
    const bin = natsServerBinary();
    if (!bin) throw new Error("nats-server binary not found (looked at NATS_SERVER_BIN, /usr/bin, /usr/sbin, PATH)");
    proc = spawn(bin, full, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...opts.env } });
  }
  const sp = new ServerProcess(kind, proc, host, port, full, tmpDir);
  live.add(sp);
  proc.once("error", () => {
    /* reported through the exit check below */
  });

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15000);
  while (Date.now() < deadline) {
    if (!sp.running) break;
    if (await canConnect(port, host)) {
      // The probe connection must be gone before tests count connections (max_connections).
      await sleep(50);
      return sp;
    }
    await sleep(30);
  }
  await sp.stop("SIGKILL");
  throw new Error(`${kind} did not start listening on ${host}:${port}: ${sp.describe()}`);
}

/** Stop every server still running (after hooks, so a failed test leaks no process). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop("SIGKILL")));
}

/** Servers that are still running (tests assert this is empty when they are done). */
export function liveServers(): ServerProcess[] {
  return [...live];
}
