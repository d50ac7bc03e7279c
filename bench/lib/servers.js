"use strict";
/**
 * The servers under test: how to start one on a free loopback port with a raised open-files
 * limit, know when it is ready, read its resident memory, and stop it.
 */
const fs = require("fs");
const net = require("net");
const path = require("path");
const { spawn } = require("child_process");
const { sleep } = require("./proc");

const REPO = path.resolve(__dirname, "..", "..");

/** Debian installs nats-server in /usr/sbin; NATS_SERVER_BIN overrides, PATH is the fallback. */
function natsServerBin() {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  return ["/usr/sbin/nats-server", "/usr/bin/nats-server"].find((p) => fs.existsSync(p)) || "nats-server";
}

/**
 * @typedef {object} ServerSpec
 * @property {string} id       name used on the command line (--servers)
 * @property {string} label    column header
 * @property {(port: number) => string[]} argv  command line for a server on that port
 * @property {(configFile: string) => string[]} configArgv  command line for a server run from a
 *           config file (the cluster rows: routes and gateways only exist in config files)
 */

/** @type {Record<string, ServerSpec>} */
const SERVERS = {
  nats: {
    id: "nats",
    label: "nats-server",
    argv: (port) => [natsServerBin(), "-a", "127.0.0.1", "-p", String(port)],
    configArgv: (file) => [natsServerBin(), "-c", file],
  },
  natsfleet: {
    id: "natsfleet",
    label: "natsfleet",
    argv: (port) => [process.execPath, path.join(REPO, "bin", "natsfleet-server.js"), "-a", "127.0.0.1", "-p", String(port)],
    configArgv: (file) => [process.execPath, path.join(REPO, "bin", "natsfleet-server.js"), "-c", file],
  },
};

/** @returns {Promise<number>} a port nothing listens on right now */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {net.AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/** Resolves true once the port answers with a NATS INFO line. */
function probe(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    let buf = "";
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on("error", () => done(false));
    sock.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\n")) done(/^INFO\s/i.test(buf));
    });
  });
}

/** Resident set size of a process in KiB, from /proc/<pid>/status VmRSS (undefined if gone). */
function rssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (undefined if gone). */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK), not readable from Node directly. */
const CLOCK_TICKS = 100;

/** A running server under test. */
class RunningServer {
  /**
   * @param {ServerSpec} spec
   * @param {{ logFile: string, prefix?: string[], configFile?: string, port?: number }} opts log path;
   *   command prefix (taskset); for a server run from a config file, the file and the client
   *   port it sets
   */
  constructor(spec, opts) {
    this.spec = spec;
    this.logFile = opts.logFile;
    this.prefix = opts.prefix || [];
    this.configFile = opts.configFile;
    this.fixedPort = opts.port;
  }

  async start(readyTimeoutMs = 15000) {
    this.port = this.configFile ? this.fixedPort : await freePort();
    const argv = [...this.prefix, ...(this.configFile ? this.spec.configArgv(this.configFile) : this.spec.argv(this.port))];
    fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
    const log = fs.openSync(this.logFile, "w");
    // 10,000 clients need as many descriptors in the server; exec keeps the pid we measure.
    this.child = spawn("/bin/sh", ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", ...argv], {
      stdio: ["ignore", log, log],
    });
    fs.closeSync(log);
    this.exit = undefined;
    this.exited = new Promise((resolve) =>
      this.child.on("exit", (code, signal) => {
        this.exit = code === null ? `signal ${signal}` : `exit code ${code}`;
        resolve(this.exit);
      }),
    );
    const until = Date.now() + readyTimeoutMs;
    while (Date.now() < until) {
      if (this.exit !== undefined) throw new Error(`${this.spec.label} exited at startup (${this.exit}): ${this.logTail()}`);
      if (await probe(this.port)) return this;
      await sleep(100);
    }
    await this.stop();
    throw new Error(`${this.spec.label} did not accept NATS clients on port ${this.port} within ${readyTimeoutMs} ms: ${this.logTail()}`);
  }

  get pid() {
    return this.child.pid;
  }

  /** Where throughput rows publish; a ServerPair answers with its server A. */
  get pubPort() {
    return this.port;
  }

  /** Where throughput rows subscribe; a ServerPair answers with its server B. */
  get subPort() {
    return this.port;
  }

  get alive() {
    return this.exit === undefined;
  }

  /** @returns {number|undefined} CPU seconds used so far */
  cpu() {
    return cpuSeconds(this.pid);
  }

  /** @returns {number|undefined} VmRSS in KiB */
  rss() {
    return rssKiB(this.pid);
  }

  logTail(lines = 8) {
    try {
      return fs.readFileSync(this.logFile, "utf8").trim().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  async stop() {
    if (!this.child || this.exit !== undefined) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

module.exports = { SERVERS, RunningServer, freePort, rssKiB, cpuSeconds, natsServerBin, REPO };
