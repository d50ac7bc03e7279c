/**
 * `natsfleet plan`: what a topology change will do before it is applied (two files, or a file
 * against its version at a git revision), or with --live, how the running servers differ
 * from the declared topology.
 */
import * as path from "path";
import { execFileSync } from "child_process";
import { Command, CliIO, EXIT, UsageError, displayPath, parseCommandArgs, reportKnownError, stringOptions } from "./command";
import { parseDeclaration, readDeclaration, validateLoaded, LoadedDeclaration } from "../components/topology/load";
import { TopologySourceError } from "../components/topology/errors";
import { productionClusters } from "../components/plan/normalize";
import { planChange, PlanSide } from "../components/plan/plan";
import { colourWanted, formatPlan } from "../components/plan/format";
import { collectLive, liveDrift, formatDrift, monitorOverrides } from "../components/plan/live";

const USAGE = [
  "usage: natsfleet plan <before> <after> [--json] [--color|--no-color]",
  "       natsfleet plan <file> --rev <git revision> [--json] [--color|--no-color]",
  "       natsfleet plan --live <file> [--monitor server=URL ...] [--json] [--color|--no-color]",
  "",
  "  <before> <after>  two topology or stack config files: the current and the intended one",
  "  --rev REV         compare <file> (the intended topology) with its version at git revision REV",
  "                    (read with `git show REV:<file>`)",
  "  --live FILE       compare FILE's topology with the running servers' /varz, /routez,",
  "                    /gatewayz and /leafz: missing and extra links, wrong cluster names,",
  "                    version mismatches, servers down",
  "  --monitor S=URL   monitoring URL of server S (default: the topology's host and http port;",
  "                    needed for servers on cloud targets); repeatable",
  "  --json            print the plan as JSON",
  "  --color, --no-color  force colours on or off (default: on for a terminal unless NO_COLOR is set)",
  "",
  "A plan lists clusters, leaf nodes, gateway links, leaf links, accounts and servers added (+),",
  "removed (-) and changed (~); for each existing server whether it reloads, restarts or is",
  "replaced and why; a rollout order that never takes two servers of one cluster down at once",
  "(lame duck first); and warnings for risky changes. Exit 0 when the plan could be made;",
  "with --live, exit 1 when the running servers differ from the topology.",
].join("\n");

/** Reads one side: a file, or (with `rev`) that file's content at a git revision. */
function loadSide(file: string, io: CliIO, rev?: string): PlanSide {
  const abs = path.resolve(io.cwd, file);
  const shown = displayPath(file, io);
  let loaded: LoadedDeclaration;
  let source = shown;
  if (rev === undefined) {
    loaded = readDeclaration(abs, shown);
  } else {
    source = `${shown}@${rev}`;
    loaded = parseDeclaration(gitShow(abs, rev, shown), source);
  }
  return { model: validateLoaded(loaded, source), production: productionClusters(loaded.declaration), source };
}

/** `git show REV:./file` run in the file's folder, so the path is relative to where it is. */
function gitShow(abs: string, rev: string, shown: string): string {
  if (rev.startsWith("-")) throw new UsageError(`--rev must be a git revision, got "${rev}"`);
  try {
    return execFileSync("git", ["show", `${rev}:./${path.basename(abs)}`], { cwd: path.dirname(abs), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new TopologySourceError(`${shown}@${rev}: cannot run git (is it installed?)`);
    const why = String(e.stderr ?? e.message).trim().split("\n")[0] ?? "";
    throw new TopologySourceError(`${shown}@${rev}: cannot read it at revision ${rev}: ${why.replace(/^fatal: /, "")}`);
  }
}

function colourOption(values: { color?: boolean; "no-color"?: boolean }): boolean {
  if (values["no-color"]) return false;
  if (values.color) return true;
  return colourWanted(process.stdout.isTTY, process.env);
}

export const command: Command = {
  name: "plan",
  summary: "show what a topology change does (diff, reload/restart/replace, rollout, warnings) or live drift",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseCommandArgs(args, {
      rev: { type: "string" },
      live: { type: "string" },
      monitor: { type: "string", multiple: true },
      json: { type: "boolean" },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
    });
    const { values, positionals } = parsed;
    const colour = colourOption(values);
    try {
      if (values.live !== undefined) {
        if (positionals.length) throw new UsageError(`--live takes one file and no other: unexpected ${positionals.join(" ")}`);
        if (values.rev !== undefined) throw new UsageError("--live and --rev cannot be combined");
        const side = loadSide(values.live, io);
        const overrides = monitorOverrides(stringOptions(parsed, "monitor"), side.model);
        const snapshot = await collectLive(side.model, overrides);
        const drift = liveDrift(side.model, snapshot);
        if (values.json) io.out(JSON.stringify({ topology: side.model.name, source: side.source, ...drift }, null, 2));
        else for (const line of formatDrift(side.model, drift, colour)) io.out(line);
        return drift.problems.length ? EXIT.failed : EXIT.ok;
      }
      if (values.monitor !== undefined) throw new UsageError("--monitor only applies with --live");
      let before: PlanSide;
      let after: PlanSide;
      if (values.rev !== undefined) {
        if (positionals.length !== 1) throw new UsageError(`with --rev, give one topology file (got ${positionals.length})`);
        before = loadSide(positionals[0]!, io, values.rev);
        after = loadSide(positionals[0]!, io);
      } else {
        if (positionals.length !== 2) throw new UsageError(`expected two topology files, <before> <after> (got ${positionals.length}), or one with --rev`);
        before = loadSide(positionals[0]!, io);
        after = loadSide(positionals[1]!, io);
      }
      const plan = planChange(before, after);
      if (values.json) io.out(JSON.stringify(plan, null, 2));
      else for (const line of formatPlan(plan, colour)) io.out(line);
      return EXIT.ok;
    } catch (err) {
      if (reportKnownError(err, io)) return EXIT.failed;
      throw err;
    }
  },
};
