/** `natsfleet down <file>`: stop a topology's local servers started by `natsfleet up` (or the local target). */
import * as fs from "fs";
import * as path from "path";
import { Command, EXIT, loadOrReport, onePositional, parseCommandArgs, reportKnownError } from "./command";
import { downLocal, planLocal, stateDirFor, LocalPlan } from "../components/local/runner";

export const command: Command = {
  name: "down",
  summary: "stop a topology's local servers",
  usage: [
    "usage: natsfleet down <file> [--state-dir DIR] [--purge]",
    "",
    "  <file>       the topology or stack config given to `natsfleet up`",
    "  --state-dir  the state folder given to `natsfleet up`, if any",
    "  --purge      also delete the state folder (logs and kept passwords)",
    "",
    "Stops every server of the topology and anything else still running from the state folder",
    "(SIGTERM, then SIGKILL after 5 s), and deletes their configs.",
  ].join("\n"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { "state-dir": { type: "string" }, purge: { type: "boolean" } });
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
    const results = await downLocal(plan);
    const stopped = results.filter((r) => r.stopped);
    for (const r of stopped) io.out(`  stopped    ${r.name} (pid ${r.pid}${r.killed ? ", needed SIGKILL" : ""})`);
    if (values.purge) fs.rmSync(stateDir, { recursive: true, force: true });
    const where = shown(io.cwd, stateDir);
    io.out(stopped.length ? `${stopped.length} server(s) stopped${values.purge ? `; removed ${where}` : ""}` : `nothing was running from ${where}${values.purge ? `; removed it` : ""}`);
    return EXIT.ok;
  },
};

/** A path as the user would type it: relative when under the working folder, else absolute. */
function shown(cwd: string, p: string): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}
