/**
 * Building blocks for checking plain option objects: each check throws an OptionsError that
 * names the field by its path (`cluster.port`, `accounts[1].users[0].nkey`).
 */
import { isValidPermissionSubject, isValidSubject } from "../config/values";

export class OptionsError extends Error {
  readonly field: string;
  readonly problem: string;

  constructor(field: string, problem: string) {
    super(`server option "${field}": ${problem}`);
    this.name = "OptionsError";
    this.field = field;
    this.problem = problem;
  }
}

/** Checks one value; `at` is its path. Throws OptionsError. */
export type Check = (v: unknown, at: string) => void;

/** One check per field of T, so a field added to the options types must be added here too. */
export type Fields<T> = { [K in keyof T]-?: Check };

const INT32_MAX = 2 ** 31 - 1;

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "function") return "a function";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

export function expect(what: string, ok: (v: unknown) => boolean): Check {
  return (v, at) => {
    if (!ok(v)) throw new OptionsError(at, `expected ${what}, got ${describe(v)}`);
  };
}

export const str = expect("a string", (v) => typeof v === "string");
export const nonEmpty = expect("a non-empty string", (v) => typeof v === "string" && v !== "");
export const bool = expect("a boolean", (v) => typeof v === "boolean");
export const anything: Check = () => undefined;
export const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

export function intIn(min: number, max: number, what = `an integer in ${min}..${max}`): Check {
  return expect(what, (v) => isInt(v) && v >= min && v <= max);
}

export const port = intIn(-1, 65535, "a port number (-1 for a random port, 0 for none)");
export const count = intIn(0, Number.MAX_SAFE_INTEGER, "an integer >= 0");
export const bytes = intIn(1, INT32_MAX, `a size in bytes (1..${INT32_MAX})`);
export const ms = expect("a duration in milliseconds (a number >= 0)", (v) => typeof v === "number" && Number.isFinite(v) && v >= 0);
export const positiveMs = expect("a duration in milliseconds (a number > 0)", (v) => typeof v === "number" && Number.isFinite(v) && v > 0);
export const noSpaces = expect("a name without spaces", (v) => typeof v === "string" && !/\s/.test(v));
export const subject = expect("a valid subject (tokens separated by dots)", (v) => typeof v === "string" && isValidSubject(v));
export const permissionSubject = expect("a valid subject", (v) => typeof v === "string" && isValidPermissionSubject(v));
export const url = expect("a URL like nats://host:port", (v) => {
  if (typeof v !== "string") return false;
  try {
    return new URL(v.trim()).host !== "";
  } catch {
    return false;
  }
});
export const sha256 = expect("a hex SHA-256 of a SubjectPublicKeyInfo", (v) => typeof v === "string" && /^[0-9a-fA-F]{64}$/.test(v));

export function oneOf(values: readonly string[]): Check {
  return expect(`one of ${values.map((x) => JSON.stringify(x)).join(", ")}`, (v) => typeof v === "string" && values.includes(v));
}

export function list(item: Check, minLength = 0): Check {
  return (v, at) => {
    if (!Array.isArray(v)) throw new OptionsError(at, `expected an array, got ${describe(v)}`);
    if (v.length < minLength) throw new OptionsError(at, `needs at least ${minLength} entr${minLength === 1 ? "y" : "ies"}`);
    v.forEach((x, i) => item(x, `${at}[${i}]`));
  };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function record(value: Check): Check {
  return (v, at) => {
    if (!isPlainObject(v)) throw new OptionsError(at, `expected an object, got ${describe(v)}`);
    for (const [k, x] of Object.entries(v)) value(x, `${at}.${k}`);
  };
}

/** Checks made with `required`: the field must be present (others may be absent or undefined). */
const REQUIRED = new WeakSet<Check>();

export function required(check: Check): Check {
  const r: Check = (v, at) => {
    if (v === undefined) throw new OptionsError(at, "is required");
    check(v, at);
  };
  REQUIRED.add(r);
  return r;
}

function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** Levenshtein distance, for "did you mean" on misspelt keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_x, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function suggestion(key: string, known: string[]): string {
  const c = camel(key);
  if (c !== key && known.includes(c)) return ` (options use camelCase: "${c}")`;
  const close = known.filter((k) => distance(k.toLowerCase(), key.toLowerCase()) <= 2);
  return close.length > 0 ? ` (did you mean "${close[0]}"?)` : "";
}

/** An object with exactly these fields (unknown keys are errors), then `extra` cross-checks. */
export function obj<T>(fields: Fields<T>, extra?: (v: T, at: string) => void): Check {
  const spec = fields as Record<string, Check>;
  const known = Object.keys(spec);
  return (v, at) => {
    if (!isPlainObject(v)) throw new OptionsError(at, `expected an object, got ${describe(v)}`);
    for (const k of Object.keys(v)) {
      if (!Object.prototype.hasOwnProperty.call(spec, k)) {
        throw new OptionsError(at ? `${at}.${k}` : k, `unknown option${suggestion(k, known)}`);
      }
    }
    for (const k of known) {
      const x = v[k];
      const path = at ? `${at}.${k}` : k;
      if (x === undefined && !REQUIRED.has(spec[k])) continue;
      spec[k](x, path);
    }
    extra?.(v as T, at);
  };
}
