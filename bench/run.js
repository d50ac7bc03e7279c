#!/usr/bin/env node
"use strict";
/**
 * npm run bench: benchmarks natsfleet-server and nats-server one after the other on this
 * machine with the raw-protocol generator bench/natsload.c, and prints one table.
 * See bench/README.md for the method.
 */
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");
const { ensureNatsload, OUT_DIR } = require("./lib/build");
const { SERVERS, RunningServer, natsServerBin, REPO } = require("./lib/servers");
const { ROWS } = require("./lib/rows");
const { ServerPair } = require("./lib/pair");
const { renderTable } = require("./lib/table");

const USAGE = `usage: npm run bench -- [options]
  --servers LIST     servers to run, in order (default nats,natsfleet)
  --only LIST        rows to run: ${ROWS.map((r) => r.id).join(", ")} (default all)
  --duration SEC     seconds of publishing per throughput run, and of requests for reqrep (default 3)
  --count N          fixed messages per throughput run instead of --duration
  --requests N       fixed round trips for reqrep instead of --duration
  --repeat N         throughput runs per row, best reported (default 1)
  --conns N          idle connections for the RSS row (default 10000)
  --subs N           subscriptions for the RSS row (default 100000)
  --run-timeout SEC  cut any single run short after this long (default 60)
  --pin              pin the server to CPU 0 and the generator to CPU 1 (taskset)
  --json FILE        also write the raw results as JSON
  -h, --help         this text
Environment: NATS_SERVER_BIN (default /usr/sbin/nats-server, then /usr/bin, then PATH), CC (default gcc).`;

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = {
    servers: ["nats", "natsfleet"], only: ROWS.map((r) => r.id), duration: 3, count: 0, requests: 0, repeat: 1,
    conns: 10000, subs: 100000, runTimeout: 60, settleMs: 1000, pin: false, json: "",
  };
  const num = (flag, v, { int = true, min = 1 } = {}) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) {
      throw new UsageError(`option ${flag}: expected ${int ? "an integer" : "a number"} >= ${min}, got ${v === undefined ? "nothing" : `'${v}'`}`);
    }
    return n;
  };
  const list = (flag, v, allowed) => {
    if (!v) throw new UsageError(`option ${flag}: expected a comma-separated list of ${allowed.join(", ")}`);
    const items = v.split(",").map((s) => s.trim()).filter(Boolean);
    for (const it of items) {
      if (!allowed.includes(it)) throw new UsageError(`option ${flag}: unknown '${it}' (expected one of ${allowed.join(", ")})`);
    }
    return items;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const val = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case "--servers": opts.servers = list(flag, val(), Object.keys(SERVERS)); break;
      case "--only": opts.only = list(flag, val(), ROWS.map((r) => r.id)); break;
      case "--duration": opts.duration = num(flag, val(), { int: false, min: 0.1 }); break;
      case "--count": opts.count = num(flag, val()); break;
      case "--requests": opts.requests = num(flag, val()); break;
      case "--repeat": opts.repeat = num(flag, val()); break;
      case "--conns": opts.conns = num(flag, val()); break;
      case "--subs": opts.subs = num(flag, val()); break;
      case "--run-timeout": opts.runTimeout = num(flag, val(), { int: false, min: 1 }); break;
      case "--pin": opts.pin = true; break;
      case "--json": opts.json = val(); if (!opts.json) throw new UsageError("option --json: expected a file name"); break;
      case "-h": case "--help": console.log(USAGE); process.exit(0); break;
      default: throw new UsageError(`unknown option '${a}'`);
    }
  }
  return opts;
}

function tryRun(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10000 }).trim();
  } catch {
    return "unavailable";
  }
}

/** What the numbers were measured on, printed above the table. */
function machine() {
  const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
  const model = (/^model name\s*:\s*(.*)$/m.exec(cpuinfo) || [])[1] || "unknown";
  return {
    nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    cpu: model,
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    natsServer: tryRun(natsServerBin(), ["--version"]),
    loadavg: os.loadavg().map((l) => l.toFixed(2)).join(" "),
    gcc: tryRun(process.env.CC || "gcc", ["-dumpfullversion"]),
  };
}

const log = (msg) => process.stderr.write(`${msg}\n`);

function summarize(row, r) {
  return row.metrics
    .map((m) => {
      const v = r.values[m.key];
      if (v === undefined) return `${m.key}=n/a`;
      return `${m.key}=${m.unit === "rate" ? Math.round(v).toLocaleString("en-US") : v.toFixed(1)}`;
    })
    .join(" ") +
    (r.detail && r.detail.generatorCore !== undefined ? `, generator used ${(r.detail.generatorCore * 100).toFixed(0)}% of a core` : "") +
    (r.detail && r.detail.serverCore ? `, server${r.detail.serverCore.length > 1 ? "s A/B" : ""} ` +
      `${r.detail.serverCore.map((c) => (c === undefined ? "n/a" : `${(c * 100).toFixed(0)}%`)).join("/")} of a core, ` +
      `${r.detail.serverUsPerMsg.map((c) => (c === undefined ? "n/a" : c.toFixed(2))).join("/")} us CPU per message` : "") +
    (r.notes.length ? `  (${r.notes.join("; ")})` : "");
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    log(`bench: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const bin = ensureNatsload();
  const m = machine();
  const started = Date.now();
  log(`machine: ${m.nproc} cores (${m.cpu}), ${m.memGiB} GiB, node ${m.node}, ${m.natsServer}, load average ${m.loadavg}`);
  if (Number(m.loadavg.split(" ")[0]) > 0.5) log("warning: the machine is busy (load average above 0.5); numbers will be noisy");
  const rows = ROWS.filter((r) => opts.only.includes(r.id));
  const servers = opts.servers.map((id) => SERVERS[id]);
  const serverPrefix = opts.pin ? ["taskset", "-c", "0"] : [];
  const loadPrefix = opts.pin ? ["taskset", "-c", "1"] : [];
  /** @type {Record<string, Record<string, import("./lib/rows").RowResult>>} */
  const results = {};
  for (const spec of servers) {
    results[spec.id] = {};
    if (spec.id === "natsfleet" && !fs.existsSync(path.join(REPO, "dist", "broker", "main.js"))) {
      for (const row of rows) results[spec.id][row.id] = { values: {}, notes: ["not built: run `npm run build` first"], detail: null };
      log(`[${spec.label}] skipped: dist/broker/main.js is missing (run npm run build)`);
      continue;
    }
    for (const row of rows) {
      const logFile = path.join(OUT_DIR, "logs", `${spec.id}-${row.id}.log`);
      // The pair rows put both servers under the same prefix: with --pin they share CPU 0.
      const server = row.pair
        ? new ServerPair(spec, row.pair, { dir: path.join(OUT_DIR, "conf"), logPrefix: logFile.replace(/\.log$/, ""), prefix: serverPrefix })
        : new RunningServer(spec, { logFile, prefix: serverPrefix });
      let r;
      let serverUp = false;
      try {
        await server.start();
        serverUp = true;
        r = await row.run({ bin, server, opts, loadPrefix });
      } catch (err) {
        r = { values: {}, notes: [String(err.message || err).split("\n")[0]], detail: null };
      }
      for (const s of row.pair ? server.servers : [server]) {
        if (serverUp && !s.alive) r.notes.push(`server exited during the run (${s.exit}): ${s.logTail(3).replace(/\n/g, " | ")}`);
      }
      await server.stop();
      results[spec.id][row.id] = r;
      log(`[${spec.label}] ${row.id}: ${summarize(row, r)}`);
    }
  }
  const table = renderTable({ rows, servers, results, opts });
  const mode = opts.count ? `${opts.count.toLocaleString("en-US")} messages per run` : `${opts.duration} s per run`;
  console.log(`\nnatsfleet bench: ${m.nproc} cores (${m.cpu}), ${m.memGiB} GiB, node ${m.node}, ${m.natsServer}`);
  console.log(`load average at start ${m.loadavg}; ${mode}${opts.repeat > 1 ? `, best of ${opts.repeat}` : ""}${opts.pin ? ", pinned" : ""}; ` +
    `took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  console.log(table);
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ machine: m, opts, results }, null, 2) + "\n");
}

main().catch((err) => {
  log(`bench: ${err.message || err}`);
  process.exit(1);
});
