/**
 * Query-string decoding with nats-server's rules and error texts (Go's strconv syntax), so a
 * script that gets a 400 from nats-server gets the same 400 from us.
 */

/** A bad query parameter or combination: answered with 400 and this message. */
export class QueryError extends Error {}

/** The first value of a query parameter, "" when absent (Go's url.Values.Get). */
export function param(q: URLSearchParams, name: string): string {
  return q.get(name) ?? "";
}

const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** strconv.ParseBool; absent means false. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const s = param(q, name);
  if (s === "" || FALSE.has(s)) return false;
  if (TRUE.has(s)) return true;
  throw new QueryError(`Error decoding boolean for '${name}': strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
}

/** strconv.Atoi (optional sign, decimal, 64-bit range); absent means 0. */
export function intParam(q: URLSearchParams, name: string): number {
  const s = param(q, name);
  if (s === "") return 0;
  if (!/^[+-]?[0-9]+$/.test(s)) throw new QueryError(`Error decoding int for '${name}': strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new QueryError(`Error decoding int for '${name}': strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
  return n;
}

/** strconv.ParseUint (no sign); absent means 0. */
export function uintParam(q: URLSearchParams, name: string): number {
  const s = param(q, name);
  if (s === "") return 0;
  if (!/^[0-9]+$/.test(s)) throw new QueryError(`Error decoding uint64 for '${name}': strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new QueryError(`Error decoding uint64 for '${name}': strconv.ParseUint: parsing ${goQuote(s)}: value out of range`);
  return n;
}

/** `subs=detail` or a boolean: [list, detail]. */
export function subsParam(q: URLSearchParams): { subs: boolean; detail: boolean } {
  if (param(q, "subs").toLowerCase() === "detail") return { subs: false, detail: true };
  return { subs: boolParam(q, "subs"), detail: false };
}

/** Go's %q for the strings that reach an error message (printable ASCII passes through). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}
