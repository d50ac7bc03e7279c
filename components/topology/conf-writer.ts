/**
 * Writing the nats-server config format. Output must parse identically in nats-server 2.9's
 * lexer and in our broker's, so it sticks to the common subset: `key: value`, `key { }`,
 * arrays with one element per line, double-quoted strings with the escapes both accept.
 */

/** A value in the config tree. Objects keep insertion order, which is the output order. */
export type ConfValue = string | number | boolean | ConfValue[] | ConfObject | RawConf;
export interface ConfObject {
  [key: string]: ConfValue | undefined;
}

/** A value written verbatim (e.g. a variable reference); never used for user input. */
export class RawConf {
  constructor(readonly text: string) {}
}

/**
 * Double-quoted string. The 2.9 lexer accepts only \t \n \r \" \\ and \xXX inside quotes, and
 * leaves `$`, `#`, `{`, `}` alone there, so everything else is written as is.
 */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + '"';
}

/** Keys are written bare; anything outside this alphabet is quoted. */
const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function key(k: string): string {
  return BARE_KEY.test(k) ? k : quote(k);
}

function scalar(v: string | number | boolean | RawConf): string {
  if (v instanceof RawConf) return v.text;
  if (typeof v === "string") return quote(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} in a config file`);
    return String(v);
  }
  return v ? "true" : "false";
}

function isObject(v: ConfValue): v is ConfObject {
  return typeof v === "object" && !Array.isArray(v) && !(v instanceof RawConf);
}

function writeValue(v: ConfValue, indent: string): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    const inner = indent + "  ";
    return `[\n${v.map((x) => inner + writeValue(x, inner)).join("\n")}\n${indent}]`;
  }
  if (isObject(v)) {
    const body = writeEntries(v, indent + "  ");
    return body === "" ? "{}" : `{\n${body}\n${indent}}`;
  }
  return scalar(v);
}

function writeEntries(o: ConfObject, indent: string): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    // Blocks take no separator (`cluster {`), values take `: ` — both forms all parsers accept.
    const sep = isObject(v) ? " " : ": ";
    lines.push(`${indent}${key(k)}${sep}${writeValue(v, indent)}`);
  }
  return lines.join("\n");
}

/**
 * A whole file: header comment lines, then top-level sections separated by blank lines
 * (each section is a group of keys that belong together).
 */
export function writeConf(header: string[], sections: ConfObject[]): string {
  const parts: string[] = [];
  if (header.length) parts.push(header.map((h) => `# ${h.replace(/[\r\n]+/g, " ")}`).join("\n"));
  for (const s of sections) {
    const body = writeEntries(s, "");
    if (body !== "") parts.push(body);
  }
  return parts.join("\n\n") + "\n";
}
