"use strict";
/** Formats benchmark results as a plain-text table with the natsfleet/nats-server ratio. */

/** @param {number|undefined} v @param {"rate"|"us"|"mib"} unit */
function fmt(v, unit) {
  if (v === undefined || v === null || Number.isNaN(v)) return "n/a";
  if (unit === "rate") return Math.round(v).toLocaleString("en-US");
  return v.toFixed(1);
}

/**
 * @param {object} args
 * @param {import("./rows").Row[]} args.rows
 * @param {{ id: string, label: string }[]} args.servers
 * @param {Record<string, Record<string, import("./rows").RowResult>>} args.results  server id -> row id -> result
 * @param {import("./rows").BenchOptions} args.opts
 * @returns {string}
 */
function renderTable({ rows, servers, results, opts }) {
  const withRatio = servers.some((s) => s.id === "natsfleet") && servers.some((s) => s.id === "nats");
  const head = ["", "better", ...servers.map((s) => s.label)];
  if (withRatio) head.push("natsfleet/nats-server");
  const body = [];
  const notes = [];
  for (const row of rows) {
    for (const m of row.metrics) {
      const line = [m.label(opts), m.better];
      const vals = {};
      for (const s of servers) {
        const r = results[s.id] && results[s.id][row.id];
        let cell = fmt(r && r.values[m.key], m.unit);
        if (r && r.notes.length && m === row.metrics[row.metrics.length - 1]) {
          const from = notes.length + 1;
          notes.push(...r.notes.map((n) => `${s.label}, ${row.id}: ${n}`));
          cell += from === notes.length ? ` [${from}]` : ` [${from}-${notes.length}]`;
        }
        vals[s.id] = r && r.values[m.key];
        line.push(cell);
      }
      if (withRatio) {
        const ours = vals.natsfleet;
        const theirs = vals.nats;
        line.push(ours !== undefined && theirs ? `${(ours / theirs).toFixed(2)}x` : "n/a");
      }
      body.push(line);
    }
  }
  const widths = head.map((_, c) => Math.max(...[head, ...body].map((l) => String(l[c]).length)));
  const pad = (l) => l.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join("  ");
  const out = [pad(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(pad)];
  if (withRatio) {
    out.push("", "ratio = natsfleet / nats-server. Throughput rows: higher is better, so a ratio above 1 means natsfleet is",
      "faster. Latency and RSS rows: lower is better, so a ratio below 1 means natsfleet is better.");
  }
  if (notes.length) {
    out.push("", "Notes:");
    notes.forEach((n, i) => out.push(`[${i + 1}] ${n}`));
  }
  return out.join("\n");
}

module.exports = { renderTable, fmt };
