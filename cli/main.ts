/**
 * The `natsfleet` command line: `natsfleet <command> [args]`.
 *
 * Adding a subcommand: create `cli/<name>.ts` exporting `command: Command` (see command.ts)
 * and add one line to COMMANDS below. Modules load only when their command runs, so
 * `validate` never pays for loading Pulumi, and a command whose module is not there yet
 * reports that instead of breaking the others.
 */
import * as path from "path";
import { CliIO, Command, EXIT, UsageError } from "./command";

interface CommandEntry {
  name: string;
  /** Shown by `natsfleet help` without loading the module. */
  summary: string;
  load: () => Command;
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const COMMANDS: readonly CommandEntry[] = [
  { name: "validate", summary: "check a topology or stack config file and list every problem", load: () => require("./validate").command },
  { name: "render", summary: "write each server's nats-server config file from a topology", load: () => require("./render").command },
  // Owned by the local runner (issue 5, "pulumi" part): cli/up.ts, cli/down.ts, cli/status.ts.
  { name: "up", summary: "start (or update) a topology's local servers", load: () => require("./up").command },
  { name: "down", summary: "stop a topology's local servers", load: () => require("./down").command },
  { name: "status", summary: "show each local server's health, routes, gateways and leaf links", load: () => require("./status").command },
  { name: "plan", summary: "show what a topology change does (diff, reload/restart/replace, rollout, warnings) or live drift", load: () => require("./plan").command },
];
/* eslint-enable @typescript-eslint/no-require-imports */

// A reader that goes away (`natsfleet status | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const processIO: CliIO = {
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
  cwd: process.cwd(),
};

function version(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return String(require(path.join(__dirname, "..", "..", "package.json")).version ?? "unknown");
  } catch {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return String(require(path.join(__dirname, "..", "package.json")).version ?? "unknown");
    } catch {
      return "unknown";
    }
  }
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), "help".length);
  return [
    "natsfleet: declare NATS super-clusters and leaf nodes, validate and render them, run them locally",
    "",
    "usage: natsfleet <command> [arguments]",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${"help".padEnd(width)}  show this, or a command's usage: natsfleet help <command>`,
    "",
    "options: --version, --help",
  ].join("\n");
}

/** Loads a command; undefined (reported) when its module is not part of this build. */
function loadCommand(entry: CommandEntry, io: CliIO): Command | undefined {
  try {
    return entry.load();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Only "this very module is missing" means not available; anything else is a real bug.
    if (e.code === "MODULE_NOT_FOUND" && new RegExp(`['"/\\\\]${entry.name}['"]`).test(e.message.split("\n")[0] ?? "")) {
      io.err(`natsfleet ${entry.name}: not available in this build`);
      return undefined;
    }
    throw err;
  }
}

function help(topic: string | undefined, io: CliIO): number {
  if (topic === undefined || topic === "help") {
    io.out(overview());
    return EXIT.ok;
  }
  const entry = COMMANDS.find((c) => c.name === topic);
  if (!entry) {
    io.err(`natsfleet help: unknown command "${topic}" (commands: ${COMMANDS.map((c) => c.name).join(", ")}, help)`);
    return EXIT.usage;
  }
  const cmd = loadCommand(entry, io);
  if (!cmd) return EXIT.failed;
  io.out(`natsfleet ${cmd.name}: ${cmd.summary}\n\n${cmd.usage}`);
  return EXIT.ok;
}

/**
 * Run the CLI. Returns the exit code and sets process.exitCode (bin/natsfleet.js does not
 * wait on the promise). Never throws: unexpected errors are printed as one line
 * (set NATSFLEET_DEBUG=1 for the stack).
 */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const code = await dispatch(argv, io);
  if (io === processIO) process.exitCode = code;
  return code;
}

/** A run whose output was kept rather than printed. */
export interface CapturedRun {
  code: number;
  out: string[];
  err: string[];
}

/** Run the CLI in `cwd` keeping what it prints: for tests and generated docs. */
export async function runCaptured(argv: string[], cwd: string): Promise<CapturedRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), cwd });
  return { code, out, err };
}

async function dispatch(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "help" || first === "--help" || first === "-h") return help(first === "help" ? rest[0] : undefined, io);
  if (first === "--version" || first === "-v" || first === "version") {
    io.out(`natsfleet ${version()}`);
    return EXIT.ok;
  }
  const entry = COMMANDS.find((c) => c.name === first);
  if (!entry) {
    io.err(`natsfleet: unknown command "${first}" (commands: ${COMMANDS.map((c) => c.name).join(", ")}, help)`);
    return EXIT.usage;
  }
  try {
    const cmd = loadCommand(entry, io);
    if (!cmd) return EXIT.failed;
    if (rest.includes("--help") || rest.includes("-h")) return help(entry.name, io);
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`natsfleet ${entry.name}: ${err.message} (see: natsfleet help ${entry.name})`);
      return EXIT.usage;
    }
    const e = err as Error;
    io.err(`natsfleet ${entry.name}: ${e?.message?.split("\n")[0] ?? String(err)}`);
    if (process.env.NATSFLEET_DEBUG) io.err(String(e?.stack ?? err));
    return EXIT.failed;
  }
}
