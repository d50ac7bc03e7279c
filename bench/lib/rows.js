"use strict";
/**
 * The benchmark rows. Each row runs against one freshly started server and returns named
 * values (shown as table lines) plus notes about anything that makes a number suspect
 * (lost messages, dropped connections, a server that died).
 */
const { LoadProc, sleep } = require("./proc");
const { waitForInterest } = require("./probe");

/**
 * @typedef {object} RowContext
 * @property {string} bin                 natsload binary
 * @property {import("./servers").RunningServer | import("./pair").ServerPair} server  one server,
 *           or for the route/gateway rows a linked pair (publisher on A, subscriber on B)
 * @property {BenchOptions} opts
 * @property {string[]} loadPrefix        command prefix for natsload (taskset when pinning)
 *
 * @typedef {object} BenchOptions
 * @property {number} duration            seconds of publishing (or requesting) per run
 * @property {number} [count]             fixed messages per throughput run instead of duration
 * @property {number} [requests]          fixed round trips for the latency row
 * @property {number} repeat              throughput runs per row; the best is reported
 * @property {number} conns               idle connections for the RSS row
 * @property {number} subs                subscriptions for the RSS row
 * @property {number} runTimeout          seconds after which any single run is cut short
 * @property {number} settleMs            wait before reading RSS
 *
 * @typedef {object} RowResult
 * @property {Record<string, number|undefined>} values
 * @property {string[]} notes
 * @property {any} detail                 raw generator output, for --json
 *
 * @typedef {object} Metric
 * @property {string} key
 * @property {(o: BenchOptions) => string} label
 * @property {"higher"|"lower"} better
 * @property {"rate"|"us"|"mib"} unit
 *
 * @typedef {object} Row
 * @property {string} id
 * @property {import("./pair").LinkKind} [pair]  run on two linked servers instead of one
 * @property {Metric[]} metrics
 * @property {(ctx: RowContext) => Promise<RowResult>} run
 */

const pct = (x) => (x * 100).toFixed(x < 0.001 ? 3 : 1) + "%";

/**
 * One publisher process (pubs connections) -> one subscriber process (subs connections).
 * Main number: messages delivered per second as seen by the subscribers (first .. last
 * received over all of them), like natscli's subscriber rate.
 */
async function throughputOnce(ctx, { pubs, subs, queue, size }) {
  const { bin, server, opts, loadPrefix } = ctx;
  const subject = "bench.tp";
  const base = ["--subject", subject];
  const sub = new LoadProc(
    bin,
    ["sub", "--port", String(server.subPort), ...base, "--conns", String(subs), ...(queue ? ["--queue", "bench.q"] : []),
      "--idle-ms", "1000", "--timeout", String(opts.runTimeout + 10)],
    loadPrefix,
  );
  try {
    await sub.next(10000);
    // Across a link, the subscription must be known on A before timing starts, or the first
    // messages would be dropped there and the rate would measure propagation, not throughput.
    const probe = "servers" in server ? await waitForInterest({ pubPort: server.pubPort, subPort: server.subPort }) : undefined;
    const pubArgs = ["pub", "--port", String(server.pubPort), ...base, "--conns", String(pubs), "--size", String(size), "--timeout", String(opts.runTimeout)];
    if (opts.count) pubArgs.push("--count", String(opts.count));
    else pubArgs.push("--duration", String(opts.duration));
    const servers = "servers" in server ? server.servers : [server];
    const cpu0 = servers.map((x) => x.cpu());
    const t0 = process.hrtime.bigint();
    const pub = new LoadProc(bin, pubArgs, loadPrefix);
    const p = await pub.next((opts.runTimeout + 10) * 1000);
    await pub.stop();
    sub.send(`end ${p.sent}`);
    const s = await sub.next((opts.runTimeout + 20) * 1000);
    // From before the publisher starts until the subscriber has everything (or gave up): the
    // share of one core each server used, to show which one of a pair saturates.
    const serverWall = Number(process.hrtime.bigint() - t0) / 1e9;
    const serverCpuS = servers.map((x, i) => {
      const c = x.cpu();
      return c !== undefined && cpu0[i] !== undefined ? c - cpu0[i] : undefined;
    });
    const serverCore = serverCpuS.map((c) => (c === undefined ? undefined : c / serverWall));
    // CPU per delivered message depends much less than the rate on how much CPU the other
    // processes on the machine left us, so it compares the servers' work on a busy machine.
    const serverUsPerMsg = serverCpuS.map((c) => (c === undefined || !s.received ? undefined : (c * 1e6) / s.received));
    await sub.stop();
    const expected = queue ? p.sent : p.sent * subs;
    const notes = [];
    if (s.received < expected) {
      notes.push(`received ${s.received} of ${expected} messages (lost ${pct((expected - s.received) / expected)}; subscriber stopped: ${s.reason})`);
    } else if (s.received > expected) {
      notes.push(`received ${s.received} messages but only ${expected} were due: duplicates${queue ? " (queue group not honoured)" : ""}`);
    }
    if (p.first_error) notes.push(`publisher: ${p.first_error}`);
    if (!p.flushed) notes.push("publisher: final PING not answered before the deadline");
    if (s.first_error) notes.push(`subscriber: ${s.first_error}`);
    const perConn = s.per_conn || [];
    if (queue && perConn.some((n) => n === 0)) notes.push(`queue members received ${perConn.join("/")}`);
    // Share of one core the generator used over the run: evidence it did not limit the rate.
    const wall = (Math.max(s.last_ns, p.end_ns) - p.start_ns) / 1e9;
    const generatorCore = wall > 0 ? (p.cpu_s + s.cpu_s) / wall : undefined;
    return { values: { rate: s.rate }, notes, detail: { pub: p, sub: s, generatorCore, serverCore, serverCpuS, serverWallS: serverWall, serverUsPerMsg, probe } };
  } finally {
    await sub.stop(100);
  }
}

async function throughput(ctx, shape) {
  let best;
  for (let i = 0; i < ctx.opts.repeat; i++) {
    const r = await throughputOnce(ctx, shape);
    if (!best || (r.values.rate || 0) > (best.values.rate || 0)) best = r;
    if (!ctx.server.alive) break;
  }
  return best;
}

/** Latency from --repeat runs: the one with the lowest median, since noise only adds time. */
async function latency(ctx) {
  let best;
  for (let i = 0; i < ctx.opts.repeat; i++) {
    const r = await latencyOnce(ctx);
    if (!best || (r.values.p50 !== undefined && (best.values.p50 === undefined || r.values.p50 < best.values.p50))) best = r;
    if (!ctx.server.alive) break;
  }
  return best;
}

/** One requester and one responder, sequential round trips, after 500 warm-up requests. */
async function latencyOnce(ctx) {
  const { bin, server, opts, loadPrefix } = ctx;
  const args = ["lat", "--port", String(server.port), "--subject", "bench.svc", "--size", "16", "--warmup", "500",
    "--timeout", String(opts.runTimeout)];
  if (opts.requests) args.push("--count", String(opts.requests));
  else args.push("--duration", String(opts.duration));
  const lat = new LoadProc(bin, args, loadPrefix);
  const r = await lat.next((opts.runTimeout + 10) * 1000);
  await lat.stop();
  const notes = [];
  if (r.stop !== "complete") notes.push(`stopped after ${r.round_trips} round trips: ${r.stop}${r.first_error ? ` (${r.first_error})` : ""}`);
  const us = (ns) => (r.samples ? ns / 1000 : undefined);
  return {
    values: { p50: us(r.p50_ns), p99: us(r.p99_ns) },
    notes,
    detail: r,
  };
}

/** Read RSS after the server had a moment to settle (a GC'd runtime shrinks after bursts). */
async function settledRss(ctx) {
  await sleep(ctx.opts.settleMs);
  return ctx.server.rss();
}

const CONNS_PER_PROCESS = 5000;

/** RSS with N idle, fully connected (CONNECT + PING/PONG done) clients, spread over processes. */
async function idleConnections(ctx) {
  const { bin, server, opts, loadPrefix } = ctx;
  const idle = await settledRss(ctx);
  const nprocs = Math.ceil(opts.conns / CONNS_PER_PROCESS);
  const procs = [];
  for (let i = 0; i < nprocs; i++) {
    const share = Math.floor(opts.conns / nprocs) + (i < opts.conns % nprocs ? 1 : 0);
    procs.push(new LoadProc(bin, ["conns", "--port", String(server.port), "--conns", String(share), "--window", "128",
      "--setup-timeout", String(opts.runTimeout), "--timeout", String(opts.runTimeout + 60)], loadPrefix));
  }
  try {
    const ready = await Promise.all(procs.map((p) => p.next((opts.runTimeout + 10) * 1000)));
    const established = ready.reduce((a, r) => a + r.established, 0);
    const rss = await settledRss(ctx);
    procs.forEach((p) => p.finish());
    const finals = await Promise.all(procs.map((p) => p.next(20000)));
    const notes = [];
    if (established < opts.conns) {
      const err = finals.map((f) => f.first_error).find(Boolean);
      notes.push(`only ${established} of ${opts.conns} connections established${err ? ` (${err})` : ""}`);
    }
    const dropped = finals.reduce((a, f) => a + f.dropped_while_idle, 0);
    if (dropped) notes.push(`${dropped} idle connections were closed by the server`);
    const setup = Math.max(...ready.map((r) => r.setup_ms));
    return {
      values: { rssIdle: idle && idle / 1024, rss: rss && rss / 1024 },
      notes,
      detail: { established, setup_ms: setup, idle_kib: idle, rss_kib: rss, ready, finals },
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop(100)));
  }
}

const SUB_CONNECTIONS = 10;

/** RSS with N subscriptions on distinct literal subjects, spread over 10 connections. */
async function manySubscriptions(ctx) {
  const { bin, server, opts, loadPrefix } = ctx;
  const p = new LoadProc(bin, ["subs", "--port", String(server.port), "--conns", String(SUB_CONNECTIONS),
    "--subs", String(opts.subs), "--subject", "bench.subs", "--setup-timeout", String(opts.runTimeout),
    "--timeout", String(opts.runTimeout + 60)], loadPrefix);
  try {
    const ready = await p.next((opts.runTimeout + 10) * 1000);
    const rss = await settledRss(ctx);
    p.finish();
    const fin = await p.next(20000);
    const notes = [];
    if (ready.errors || fin.first_error) notes.push(`server reported: ${fin.first_error || "errors"}`);
    if (fin.closed) notes.push(`${fin.closed} subscribing connections were closed by the server`);
    return { values: { rss: rss && rss / 1024 }, notes, detail: { setup_ms: ready.setup_ms, rss_kib: rss, ready, fin } };
  } finally {
    await p.stop(100);
  }
}

const higher = "higher";
const lower = "lower";

/** @type {Row[]} */
const ROWS = [
  {
    id: "pub16",
    metrics: [{ key: "rate", label: () => "1 pub -> 1 sub, 16 B (msg/s)", better: higher, unit: "rate" }],
    run: (ctx) => throughput(ctx, { pubs: 1, subs: 1, size: 16 }),
  },
  {
    id: "pub128",
    metrics: [{ key: "rate", label: () => "1 pub -> 1 sub, 128 B (msg/s)", better: higher, unit: "rate" }],
    run: (ctx) => throughput(ctx, { pubs: 1, subs: 1, size: 128 }),
  },
  {
    id: "fanout",
    metrics: [{ key: "rate", label: () => "1 pub -> 4 subs, 128 B (delivered msg/s)", better: higher, unit: "rate" }],
    run: (ctx) => throughput(ctx, { pubs: 1, subs: 4, size: 128 }),
  },
  {
    id: "queue",
    metrics: [{ key: "rate", label: () => "4 pubs -> queue group of 4, 16 B (msg/s)", better: higher, unit: "rate" }],
    run: (ctx) => throughput(ctx, { pubs: 4, subs: 4, queue: true, size: 16 }),
  },
  {
    id: "route",
    pair: "route",
    metrics: [{ key: "rate", label: () => "1 pub -> 1 sub over a route, 16 B (msg/s)", better: higher, unit: "rate" }],
    run: (ctx) => throughput(ctx, { pubs: 1, subs: 1, size: 16 }),
  },
  {
    id: "gateway",
    pair: "gateway",
    metrics: [{ key: "rate", label: () => "1 pub -> 1 sub over a gateway, 16 B (msg/s)", better: higher, unit: "rate" }],
    run: (ctx) => throughput(ctx, { pubs: 1, subs: 1, size: 16 }),
  },
  {
    id: "reqrep",
    metrics: [
      { key: "p50", label: () => "request/reply p50 latency (us)", better: lower, unit: "us" },
      { key: "p99", label: () => "request/reply p99 latency (us)", better: lower, unit: "us" },
    ],
    run: latency,
  },
  {
    id: "conns",
    metrics: [
      { key: "rssIdle", label: () => "RSS, no clients (MiB)", better: lower, unit: "mib" },
      { key: "rss", label: (o) => `RSS, ${o.conns.toLocaleString("en-US")} idle connections (MiB)`, better: lower, unit: "mib" },
    ],
    run: idleConnections,
  },
  {
    id: "subs",
    metrics: [{ key: "rss", label: (o) => `RSS, ${o.subs.toLocaleString("en-US")} subscriptions (MiB)`, better: lower, unit: "mib" }],
    run: manySubscriptions,
  },
];

module.exports = { ROWS };
