/**
 * What a `natsfleet` subcommand is, and the helpers they share (argument parsing, output,
 * loading a topology with one-line errors). Each subcommand lives in its own module
 * (cli/<name>.ts) exporting `command: Command`; cli/main.ts lists them.
 */
import * as path from "path";
import { parseArgs, ParseArgsConfig } from "util";
import { TopologyError, TopologySourceError } from "../components/topology/errors";
import { loadTopology } from "../components/topology/load";
import type { Topology } from "../components/topology/model";
import { RenderError } from "../components/topology/render";

/** Where a command writes; tests capture it instead of the process streams. */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

export interface Command {
  name: string;
  /** One line for `natsfleet help`. */
  summary: string;
  /** Full usage text for `natsfleet help <name>`. */
  usage: string;
  /** Returns the exit code. Throw UsageError for bad arguments; other errors are reported by main. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** Exit codes, shared by every subcommand. */
export const EXIT = {
  ok: 0,
  /** The input is wrong: invalid topology, unreadable file, a server that will not start... */
  failed: 1,
  /** The command line is wrong. */
  usage: 2,
} as const;

/** Bad command line; main prints it with a pointer to the help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** util.parseArgs with its errors turned into UsageErrors. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]!.replace(/\. To specify a positional.*$/, ""));
  }
}

/** Exactly one positional argument (the topology file). */
export function onePositional(positionals: string[], what: string): string {
  if (positionals.length === 0) throw new UsageError(`missing ${what}`);
  if (positionals.length > 1) throw new UsageError(`expected one ${what}, got ${positionals.length}: ${positionals.join(" ")}`);
  return positionals[0]!;
}

/**
 * Load and validate; on failure print every problem (one per line) and return undefined, so the
 * caller exits with EXIT.failed.
 */
export function loadOrReport(file: string, io: CliIO): Topology | undefined {
  try {
    return loadTopology(path.resolve(io.cwd, file), displayPath(file, io));
  } catch (err) {
    if (reportKnownError(err, io)) return undefined;
    throw err;
  }
}

/** Print errors whose messages are meant for people; false for anything unexpected. */
export function reportKnownError(err: unknown, io: CliIO): boolean {
  if (err instanceof TopologyError) {
    for (const line of err.lines()) io.err(line);
    io.err(`${err.issues.length} problem${err.issues.length === 1 ? "" : "s"} found`);
    return true;
  }
  if (err instanceof RenderError) {
    for (const p of err.problems) io.err(p);
    return true;
  }
  if (err instanceof TopologySourceError) {
    io.err(err.message);
    return true;
  }
  return false;
}

/** A path as people want to read it: relative when under the working directory. */
export function displayPath(p: string, io: CliIO): string {
  const abs = path.resolve(io.cwd, p);
  const rel = path.relative(io.cwd, abs);
  return rel === "" ? "." : rel.startsWith("..") || path.isAbsolute(rel) ? abs : rel;
}
