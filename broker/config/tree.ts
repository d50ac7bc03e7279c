/**
 * The parsed form of a nats-server config file: a tree of typed values that each remember
 * where they were written, so that the options mapper can name the exact spot of a mistake.
 */
import { Position } from "./errors";

interface Located {
  pos: Position;
}

export interface ConfString extends Located {
  kind: "string";
  value: string;
}

export interface ConfInteger extends Located {
  kind: "integer";
  /** The value with any size suffix applied (`1k` -> 1000, `1kb` -> 1024). */
  value: number;
  /** Source text, e.g. `2m`: lets a duration field read it as two minutes, not two million. */
  raw: string;
}

export interface ConfFloat extends Located {
  kind: "float";
  value: number;
  raw: string;
}

export interface ConfBool extends Located {
  kind: "bool";
  value: boolean;
}

/** An ISO8601 Zulu timestamp (`2021-01-02T03:04:05Z`), which the format knows as a type. */
export interface ConfDatetime extends Located {
  kind: "datetime";
  value: Date;
  raw: string;
}

export interface ConfArray extends Located {
  kind: "array";
  items: ConfValue[];
}

export interface ConfEntry {
  /** The key as written; nats-server matches option names case-insensitively. */
  key: string;
  keyPos: Position;
  value: ConfValue;
  /**
   * Set when a `$key` reference used this entry: nats-server treats such keys as variables
   * and does not report them as unknown options.
   */
  usedAsVariable: boolean;
}

export interface ConfMap extends Located {
  kind: "map";
  /** In first-definition order; a repeated key replaces the earlier value, as in nats-server. */
  entries: Map<string, ConfEntry>;
}

export type ConfValue = ConfString | ConfInteger | ConfFloat | ConfBool | ConfDatetime | ConfArray | ConfMap;
export type ConfKind = ConfValue["kind"];

/** A parsed config file. */
export interface ConfigDocument {
  /** The top-level file (as given, not resolved). */
  file: string;
  root: ConfMap;
  /** Every file read, the top-level one first, then includes (absolute paths). */
  files: string[];
}

/**
 * The entry at a key path (`findEntry(doc.root, "cluster", "port")`), matching keys
 * case-insensitively as options do: lets later stages (binding a port, loading a certificate)
 * name the config position of the value that failed.
 */
export function findEntry(root: ConfMap, ...keys: string[]): ConfEntry | undefined {
  let map: ConfMap | undefined = root;
  let found: ConfEntry | undefined;
  for (const key of keys) {
    if (!map) return undefined;
    const want = key.toLowerCase();
    found = [...map.entries.values()].find((e) => e.key.toLowerCase() === want);
    if (!found) return undefined;
    map = found.value.kind === "map" ? found.value : undefined;
  }
  return found;
}

/** The value as plain JSON-like data (for blocks we keep without interpreting). */
export function toPlain(v: ConfValue): unknown {
  switch (v.kind) {
    case "array":
      return v.items.map(toPlain);
    case "map": {
      const out: Record<string, unknown> = {};
      for (const e of v.entries.values()) out[e.key] = toPlain(e.value);
      return out;
    }
    case "datetime":
      return v.value.toISOString();
    default:
      return v.value;
  }
}

/** A copy of `v` (deep) with every position replaced, for values pulled in by `$VAR`. */
export function relocate(v: ConfValue, pos: Position): ConfValue {
  switch (v.kind) {
    case "array":
      return { ...v, pos, items: v.items.map((i) => relocate(i, pos)) };
    case "map": {
      const entries = new Map<string, ConfEntry>();
      for (const [k, e] of v.entries) entries.set(k, { ...e, keyPos: pos, value: relocate(e.value, pos) });
      return { ...v, pos, entries };
    }
    default:
      return { ...v, pos };
  }
}

/** Human name of a value's type, for "expected X, got Y" messages. */
export function describeKind(v: ConfValue): string {
  switch (v.kind) {
    case "string":
      return `string ${JSON.stringify(v.value)}`;
    case "integer":
      return `integer ${v.raw}`;
    case "float":
      return `number ${v.raw}`;
    case "bool":
      return `boolean ${v.value}`;
    case "datetime":
      return `date ${v.raw}`;
    case "array":
      return "an array";
    case "map":
      return "a map";
  }
}
