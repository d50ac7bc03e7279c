/**
 * What a `natsfleet` subcommand is, and the helpers they share (argument parsing, output,
 * loading a topology with one-line errors). Each subcommand lives in its own module
 * (cli/<name>.ts) exporting `command: Command`; cli/main.ts lists them.
 */
import * as path from "path";
import { parseArgs } from "util";
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

/** An option a command accepts (the util.parseArgs shape, kept to what we use). */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
}

/** The value type of one option, as util.parseArgs produces it. */
export type OptionValue<O extends OptionSpec> = O["type"] extends "string"
  ? O["multiple"] extends true
    ? string[]
    : string
  : O["multiple"] extends true
    ? boolean[]
    : boolean;

/** Parsed command line, typed from the option specs (`values.out` is a string, etc.). */
export interface ParsedArgs<T extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  values: { [K in keyof T]?: OptionValue<T[K]> };
  positionals: string[];
}

/** util.parseArgs with its errors turned into UsageErrors. */
export function parseCommandArgs<const T extends Record<string, OptionSpec>>(args: string[], options: T): ParsedArgs<T> {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: r.values as ParsedArgs<T>["values"], positionals: r.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]!.replace(/\. To specify a positional.*$/, ""));
  }
}

/** A string option's value (the last one if repeated). */
export function stringOption(p: ParsedArgs, name: string): string | undefined {
  const v: unknown = p.values[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof last === "string" ? last : undefined;
}

/** Every value of a repeatable string option. */
export function stringOptions(p: ParsedArgs, name: string): string[] {
  const v: unknown = p.values[name];
  return (Array.isArray(v) ? (v as unknown[]) : v === undefined ? [] : [v]).filter((x): x is string => typeof x === "string");
}

/** Whether a boolean flag was given. */
export function flag(p: ParsedArgs, name: string): boolean {
  return p.values[name] === true;
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
