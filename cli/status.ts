/** `natsfleet status <file>`: each local server's health and links, from its monitoring endpoints. */
import * as path from "path";
import { Command, EXIT, loadOrReport, onePositional, parseCommandArgs, reportKnownError } from "./command";
import { linksComplete, planLocal, stateDirFor, statusLocal, LinkStatus, LocalPlan } from "../components/local/runner";

export const command: Command = {
  name: "status",
  summary: "show each local server's health, routes, gateways and leaf links",
  usage: [
    "usage: natsfleet status <file> [--state-dir DIR] [--json]",
    "",
    "  <file>       the topology or stack config given to `natsfleet up`",
    "  --state-dir  the state folder given to `natsfleet up`, if any",
    "  --json       print the full status as JSON",
    "",
    "Reads /healthz, /varz, /routez, /gatewayz and /leafz of every server. ROUTES is up/expected",
    "(the other servers of the cluster), GATEWAYS the clusters connected out of those expected,",
    "LEAFS the leaf connections (accepted on a hub, to the hub on a leaf node).",
    "Exits 0 when every server is healthy with all its links, 1 otherwise.",
  ].join("\n"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { "state-dir": { type: "string" }, json: { type: "boolean" } });
    const file = path.resolve(io.cwd, onePositional(positionals, "topology file"));
    const topology = loadOrReport(file, io);
    if (!topology) return EXIT.failed;
    const stateDir = stateDirFor(file, topology, io.cwd, values["state-dir"]);
    let plan: LocalPlan;
    try {
      plan = planLocal(topology, { stateDir, render: false });
    } catch (e) {
      if (reportKnownError(e, io)) return EXIT.failed;
      throw e;
    }
    const statuses = await statusLocal(plan, topology);
    const bad = statuses.filter((s) => !linksComplete(s));
    if (values.json) {
      io.out(JSON.stringify({ topology: topology.name, stateDir, skipped: plan.skipped, servers: statuses.map((s) => ({ ...s, complete: linksComplete(s) })) }, null, 2));
      return bad.length ? EXIT.failed : EXIT.ok;
    }
    for (const s of plan.skipped) io.out(`skipped ${s}: not a local group`);
    for (const line of table(statuses)) io.out(line);
    if (bad.length) {
      io.out(`${bad.length} of ${statuses.length} server(s) not ready or missing links: ${bad.map((s) => s.name).join(", ")}`);
      return EXIT.failed;
    }
    io.out(`${statuses.length} server(s) healthy, every link up`);
    return EXIT.ok;
  },
};

function health(s: LinkStatus): string {
  if (!s.process.running) return s.process.stalePid ? `down (stale pid ${s.process.stalePid})` : "down";
  if (s.error) return "unreachable";
  if (!s.process.healthy) return "unhealthy";
  return s.process.configCurrent === false ? "ok (old config)" : "ok";
}

function row(s: LinkStatus): string[] {
  const routes = s.routes ? `${s.routes.up}/${s.routes.expected}` : "-";
  let gateways = "-";
  if (s.gateways && s.gateways.expected.length) {
    const missing = s.gateways.expected.filter((g) => !s.gateways!.up.includes(g));
    gateways = `${s.gateways.up.length}/${s.gateways.expected.length}${missing.length ? ` (missing ${missing.join(",")})` : ""}`;
  }
  const leafs = s.leafs ? `${s.leafs.count}${s.leafs.accounts.length ? ` (${s.leafs.accounts.join(",")})` : ""}` : "-";
  return [
    s.name,
    `${s.groupKind === "cluster" ? "cluster" : "leaf"} ${s.group}`,
    s.process.broker ?? "-",
    s.process.pid ? String(s.process.pid) : "-",
    health(s),
    s.clientUrl,
    routes,
    gateways,
    leafs,
  ];
}

function table(statuses: LinkStatus[]): string[] {
  const head = ["SERVER", "GROUP", "BROKER", "PID", "HEALTH", "CLIENT", "ROUTES", "GATEWAYS", "LEAFS"];
  const rows = [head, ...statuses.map(row)];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd());
}
