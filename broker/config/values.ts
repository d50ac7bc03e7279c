/**
 * Typed reading of config values: each reader either returns the value in the unit
 * ServerOptions wants (ms, bytes) or throws a ConfigError naming the key and position.
 */
import { ConfigError, formatPosition } from "./errors";
import { formatDuration, parseGoDuration } from "./duration";
import { ConfArray, ConfEntry, ConfMap, ConfValue, describeKind, toPlain } from "./tree";
import { UnsupportedBlock } from "../options";

/** Collects warnings and unsupported blocks while a document is mapped to options. */
export class MappingContext {
  readonly warnings: string[] = [];
  readonly unsupported: UnsupportedBlock[] = [];

  warn(entry: { keyPos: ConfEntry["keyPos"] } | ConfValue, message: string): void {
    const pos = "keyPos" in entry ? entry.keyPos : entry.pos;
    this.warnings.push(`${formatPosition(pos)}: ${message}`);
  }

  /** A real nats-server key whose absence of effect is harmless: accepted with a warning. */
  ignore(entry: ConfEntry, name: string): void {
    this.warn(entry, `"${name}" is not supported by natsfleet-server yet; ignored`);
    this.unsupported.push({ key: name, value: toPlain(entry.value) });
  }

  /** A real nats-server key that would weaken security or correctness if ignored. */
  refuse(entry: ConfEntry, name: string, why: string): never {
    throw new ConfigError(entry.keyPos, `"${name}" is not supported by natsfleet-server (${why})`);
  }
}

export type Handler = (value: ConfValue, entry: ConfEntry, name: string) => void;

/**
 * Calls the handler of every entry of `map`. Handlers are keyed by lowercase option name
 * (aliases listed as separate keys, as nats-server matches keys case-insensitively).
 * `where` is the dotted path of the block ("" at the top level), used to name nested keys.
 */
export function walkBlock(map: ConfMap, where: string, handlers: Record<string, Handler>): void {
  for (const entry of map.entries.values()) {
    const name = where ? `${where}.${entry.key}` : entry.key;
    const handler = Object.prototype.hasOwnProperty.call(handlers, entry.key.toLowerCase())
      ? handlers[entry.key.toLowerCase()]
      : undefined;
    if (handler) {
      handler(entry.value, entry, name);
      continue;
    }
    // A key that a `$key` reference used is a variable definition, not an option.
    if (entry.usedAsVariable) continue;
    const inBlock = where ? ` in "${where}"` : "";
    throw new ConfigError(entry.keyPos, `unknown configuration key "${entry.key}"${inBlock}`);
  }
}

function typeError(v: ConfValue, name: string, expected: string): never {
  throw new ConfigError(v.pos, `invalid value for "${name}": expected ${expected}, got ${describeKind(v)}`);
}

export function fail(v: ConfValue | ConfEntry, problem: string): never {
  throw new ConfigError("keyPos" in v ? v.keyPos : v.pos, problem);
}

export function str(v: ConfValue, name: string): string {
  if (v.kind !== "string") typeError(v, name, "a string");
  return v.value;
}

/** A non-empty string. */
export function nonEmpty(v: ConfValue, name: string): string {
  const s = str(v, name);
  if (s === "") fail(v, `invalid value for "${name}": must not be empty`);
  return s;
}

export function int(v: ConfValue, name: string): number {
  if (v.kind !== "integer") typeError(v, name, "an integer");
  return v.value;
}

/** An integer within [min, max]. */
export function intIn(v: ConfValue, name: string, min: number, max: number): number {
  const n = int(v, name);
  if (n < min || n > max) fail(v, `invalid value for "${name}": ${n} is out of range ${min}..${max}`);
  return n;
}

/** A port: -1 means random, 0 means "not set/off" in nats-server. */
export function port(v: ConfValue, name: string): number {
  return intIn(v, name, -1, 65535);
}

export function bool(v: ConfValue, name: string): boolean {
  if (v.kind !== "bool") typeError(v, name, "a boolean (true/false, yes/no, on/off)");
  return v.value;
}

export function map(v: ConfValue, name: string): ConfMap {
  if (v.kind !== "map") typeError(v, name, "a map { ... }");
  return v;
}

export function array(v: ConfValue, name: string): ConfArray {
  if (v.kind !== "array") typeError(v, name, "an array [ ... ]");
  return v;
}

/** A string, or an array of strings (nats-server accepts both for lists). */
export function stringList(v: ConfValue, name: string): string[] {
  if (v.kind === "string") return [v.value];
  if (v.kind !== "array") typeError(v, name, "a string or an array of strings");
  return v.items.map((item) => str(item, name));
}

/** A size in bytes: an integer, possibly with a suffix the parser already applied (1MB). */
export function size(v: ConfValue, name: string): number {
  if (v.kind !== "integer") typeError(v, name, "a size (e.g. 1048576, 1MB, 64KB)");
  if (v.value < 0) fail(v, `invalid value for "${name}": a size cannot be negative`);
  return v.value;
}

/**
 * A duration in ms: a Go duration string ("10s", "1h30m", "500ms"). An unquoted `2m` lexes as
 * an integer with a size suffix; here we read its source text as a duration instead (nats-server
 * would take two million seconds). A bare integer means seconds, as nats-server reads it, with a
 * warning like nats-server's.
 */
export function durationMs(v: ConfValue, name: string, ctx?: MappingContext): number {
  if (v.kind === "string") {
    const ms = parseGoDuration(v.value);
    if (ms === undefined) {
      fail(v, `invalid value for "${name}": ${JSON.stringify(v.value)} is not a duration (e.g. "500ms", "10s", "2m", "1h30m")`);
    }
    return ms;
  }
  if (v.kind === "integer" || v.kind === "float") {
    if (/[a-z]/i.test(v.raw)) {
      const ms = parseGoDuration(v.raw);
      if (ms === undefined) fail(v, `invalid value for "${name}": ${v.raw} is not a duration (e.g. "500ms", "10s", "2m")`);
      return ms;
    }
    ctx?.warn(v, `"${name}" should be a duration string such as "${v.raw}s"; ${v.raw} taken as seconds`);
    return v.value * 1000;
  }
  return typeError(v, name, 'a duration (e.g. "10s", "2m")');
}

/** A duration with a lower bound, e.g. lame_duck_duration (nats-server: at least 30s). */
export function durationAtLeast(v: ConfValue, name: string, minMs: number, ctx?: MappingContext): number {
  const ms = durationMs(v, name, ctx);
  if (ms < minMs) fail(v, `invalid value for "${name}": ${formatDuration(ms)} is below the minimum of ${formatDuration(minMs)}`);
  return ms;
}

/** Seconds given as a number (authorization and TLS timeouts), or a duration string; in ms. */
export function secondsMs(v: ConfValue, name: string): number {
  if (v.kind === "integer" || v.kind === "float") {
    if (v.kind === "integer" && /[a-z]/i.test(v.raw)) return durationMs(v, name);
    if (v.value < 0) fail(v, `invalid value for "${name}": must not be negative`);
    return v.value * 1000;
  }
  if (v.kind === "string") return durationMs(v, name);
  return typeError(v, name, "a number of seconds or a duration string");
}

export interface HostPort {
  /** Undefined when only a port was given (or ":port"). */
  host?: string;
  port: number;
}

/** `listen`-style values: a port number, or "host:port" ("[::1]:4222", "127.0.0.1:-1"). */
export function hostPort(v: ConfValue, name: string): HostPort {
  if (v.kind === "integer") return { port: port(v, name) };
  if (v.kind !== "string") typeError(v, name, 'a port or "host:port"');
  const parsed = splitHostPort(v.value);
  if (!parsed) fail(v, `invalid value for "${name}": could not parse address ${JSON.stringify(v.value)}, expected "host:port"`);
  if (parsed.port < -1 || parsed.port > 65535) fail(v, `invalid value for "${name}": port ${parsed.port} is out of range`);
  return parsed;
}

/** Go's net.SplitHostPort plus integer port; undefined if malformed. */
export function splitHostPort(s: string): HostPort | undefined {
  let host: string;
  let portText: string;
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0 || s[close + 1] !== ":") return undefined;
    host = s.slice(1, close);
    portText = s.slice(close + 2);
  } else {
    const colon = s.lastIndexOf(":");
    if (colon < 0) return undefined;
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(":")) return undefined;
  }
  if (!/^-?\d+$/.test(portText)) return undefined;
  return { host: host === "" ? undefined : host, port: Number(portText) };
}

/** NATS subject syntax (tokens separated by dots, `*` tokens, `>` last); as in sublist.go. */
export function isValidSubject(subject: string): boolean {
  if (subject === "" || /\s/.test(subject)) return false;
  const tokens = subject.split(".");
  return tokens.every((t, i) => t !== "" && (t !== ">" || i === tokens.length - 1));
}

/** A subject, optionally followed by a queue group ("foo.* workers"), for permissions. */
export function isValidPermissionSubject(subject: string): boolean {
  if (isValidSubject(subject)) return true;
  const parts = subject.trim().split(/\s+/);
  return parts.length === 2 && isValidSubject(parts[0]);
}
