/** `natsfleet up <file>`: run a topology's local servers, as the local target would, without Pulumi. */
import * as path from "path";
import { Command, EXIT, UsageError, loadOrReport, onePositional, parseCommandArgs, reportKnownError } from "./command";
import { brokerOption, linksComplete, planLocal, stateDirFor, statusLocal, upLocal, LocalPlan } from "../components/local/runner";
import type { Topology } from "../components/topology/model";

export const command: Command = {
  name: "up",
  summary: "start (or reload) a topology's local servers without Pulumi",
  usage: [
    "usage: natsfleet up <file> [--state-dir DIR] [--broker natsfleet|nats-server] [--wait] [--timeout SECONDS]",
    "",
    "  <file>          a topology (YAML or JSON) or a Pulumi stack config (natsfleet:topology key)",
    "  --state-dir     where configs, logs and pids live (default .natsfleet/<stack>, the stack",
    "                  being <stack> of Pulumi.<stack>.yaml, else the topology's name)",
    "  --broker        run every server with this broker instead of the declared one",
    "  --wait          after starting, wait until every route, gateway and leaf link is up",
    "  --timeout       seconds to wait for readiness and links (default 30)",
    "",
    "Servers already running the same config are left alone, a changed config is reloaded",
    "(SIGHUP), a changed broker or port restarts the server, and servers the topology no",
    "longer has are stopped. Groups on other targets are skipped. Stop with `natsfleet down <file>`.",
  ].join("\n"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      "state-dir": { type: "string" },
      broker: { type: "string" },
      wait: { type: "boolean" },
      timeout: { type: "string" },
    });
    const file = path.resolve(io.cwd, onePositional(positionals, "topology file"));
    const timeoutS = values.timeout === undefined ? 30 : Number(values.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got "${values.timeout}"`);
    let broker;
    try {
      broker = brokerOption(values.broker);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const topology = loadOrReport(file, io);
    if (!topology) return EXIT.failed;
    const stateDir = stateDirFor(file, topology, io.cwd, values["state-dir"]);
    let plan: LocalPlan;
    try {
      plan = planLocal(topology, { stateDir, broker });
    } catch (e) {
      if (reportKnownError(e, io)) return EXIT.failed;
      throw e;
    }
    for (const s of plan.skipped) io.out(`skipped ${s}: natsfleet up runs local servers only`);
    if (plan.servers.length === 0) {
      io.err(`${shown(io.cwd, file)}: topology "${topology.name}" has no local servers to run`);
      return EXIT.failed;
    }
    io.out(`natsfleet up: topology "${topology.name}", ${plan.servers.length} local server(s), state ${shown(io.cwd, stateDir)}`);
    const report = await upLocal(plan, { readyTimeoutMs: timeoutS * 1000 });
    for (const p of report.pruned) io.out(`  stopped    ${p.name} (no longer in the topology)`);
    const byName = new Map(plan.servers.map((s) => [s.spec.name, s]));
    const width = Math.max(...plan.servers.map((s) => s.spec.name.length));
    for (const r of report.started) {
      const s = byName.get(r.name)!;
      const host = s.spec.host ?? "127.0.0.1";
      const http = s.ports.http ? `  http://${host}:${s.ports.http}` : "";
      const why = r.restartReason ? `  (${r.restartReason})` : "";
      io.out(`  ${r.action.padEnd(10)} ${r.name.padEnd(width)}  ${s.spec.broker.padEnd(11)}  pid ${String(r.pid).padEnd(7)}  nats://${host}:${s.ports.client}${http}${why}`);
    }
    for (const f of report.failed) {
      io.err(`  failed     ${f.name}: ${f.error}`);
    }
    if (report.failed.length) {
      io.err(`${report.failed.length} of ${plan.servers.length} server(s) failed to start; \`natsfleet down ${shown(io.cwd, file)}\` stops the rest`);
      return EXIT.failed;
    }
    if (values.wait) {
      const ok = await waitForLinks(plan, topology, timeoutS * 1000);
      if (!ok.done) {
        io.err(`links not complete after ${timeoutS}s: ${ok.missing.join(", ")} (see \`natsfleet status\`)`);
        return EXIT.failed;
      }
      io.out(`all routes, gateways and leaf links are up`);
    }
    io.out(`${plan.servers.length} server(s) running; \`natsfleet status ${shown(io.cwd, file)}\` shows their links`);
    return EXIT.ok;
  },
};

async function waitForLinks(plan: LocalPlan, topology: Topology, timeoutMs: number): Promise<{ done: boolean; missing: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await statusLocal(plan, topology);
    const missing = st.filter((s) => !linksComplete(s)).map((s) => s.name);
    if (missing.length === 0) return { done: true, missing };
    if (Date.now() > deadline) return { done: false, missing };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A path as the user would type it: relative when under the working folder, else absolute. */
function shown(cwd: string, p: string): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}
