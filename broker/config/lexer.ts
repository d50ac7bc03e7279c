/**
 * Character-level scanner for the nats-server config format (conf/lex.go in nats-server).
 * The format is context-sensitive (a bare word is a key at the start of a line and a value
 * after it; `//` is a comment only where a key or a separator may start), so the parser tells
 * the lexer what it expects next instead of pulling from a context-free token stream.
 *
 * Deliberate leniencies over nats-server 2.9, none of which changes the meaning of a file it
 * accepts: a bare key also ends at `{` or `[` (`cluster{`), a number directly followed by `]`
 * is still a number, and a float or negative number followed by letters (`1.5s`) is read as a
 * bare string instead of failing, so it can serve as a duration.
 */
import { ConfigError, Position } from "./errors";

export type ScalarTokenType = "string" | "integer" | "float" | "bool" | "datetime" | "variable";

/** A scalar value as written; `text` is the decoded string (escapes applied, quotes removed). */
export interface ScalarToken {
  type: ScalarTokenType;
  text: string;
  pos: Position;
}

export type ValueToken = ScalarToken | { type: "arrayStart" | "mapStart"; text: string; pos: Position };

export type KeyToken =
  | { type: "key"; text: string; pos: Position }
  | { type: "include"; text: string; pos: Position };

/** What ended a value inside an array or a map. */
export type Separator = "next" | "end";

const SIZE_SUFFIX_START = /[kKmMgGtTpPeE]/;
const DIGIT = /[0-9]/;
const DATETIME_AFTER_YEAR = /^-\d\d-\d\dT\d\d:\d\d:\d\dZ/;
const BOOLS = new Set(["true", "false", "yes", "no", "on", "off"]);

function isSpace(c: string): boolean {
  return c === " " || c === "\t";
}

function isNewline(c: string): boolean {
  return c === "\n" || c === "\r";
}

function isBlank(c: string): boolean {
  return isSpace(c) || isNewline(c) || c === "\f" || c === "\v";
}

/** Characters that end an unquoted value (and a number). */
function endsBareValue(c: string): boolean {
  return c === "" || isNewline(c) || isSpace(c) || c === ";" || c === "," || c === "]" || c === "}";
}

export class Lexer {
  private readonly text: string;
  private readonly file: string;
  private i = 0;
  /** Offsets where each line starts, for turning offsets into line/column. */
  private readonly lineStarts: number[] = [0];

  constructor(text: string, file: string) {
    this.text = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    this.file = file;
    for (let k = 0; k < this.text.length; k++) if (this.text[k] === "\n") this.lineStarts.push(k + 1);
  }

  /** Line/column of an offset (1-based). */
  positionAt(offset: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, column: offset - this.lineStarts[lo] + 1 };
  }

  get position(): Position {
    return this.positionAt(this.i);
  }

  fail(problem: string, offset = this.i): never {
    throw new ConfigError(this.positionAt(offset), problem);
  }

  private peek(ahead = 0): string {
    return this.text.charAt(this.i + ahead);
  }

  private describe(c: string): string {
    if (c === "") return "end of file";
    if (c === "\n" || c === "\r") return "a new line";
    return `'${c}'`;
  }

  private isCommentStart(): boolean {
    const c = this.peek();
    return c === "#" || (c === "/" && this.peek(1) === "/");
  }

  private skipComment(): void {
    while (this.i < this.text.length && !isNewline(this.text[this.i])) this.i++;
  }

  /**
   * Before a top-level key: skips blanks, new lines, comments and the optional braces that may
   * wrap a whole file. Returns false at end of input.
   */
  startTopLevelKey(): boolean {
    for (;;) {
      const c = this.peek();
      if (c === "") return false;
      if (isBlank(c) || c === "{" || c === "}") this.i++;
      else if (this.isCommentStart()) this.skipComment();
      else return true;
    }
  }

  /**
   * Before a key inside a map: returns "key" when one starts here, "end" after consuming the
   * closing `}`.
   */
  startMapKey(openedAt: Position): "key" | "end" {
    for (;;) {
      const c = this.peek();
      if (c === "") throw new ConfigError(openedAt, "map is never closed: '}' expected before end of file");
      if (isBlank(c)) this.i++;
      else if (this.isCommentStart()) this.skipComment();
      else if (c === "}") {
        this.i++;
        return "end";
      } else if (c === "=" || c === ":") this.fail(`unexpected key separator '${c}': a key is missing`);
      else if (c === "]" || c === "," || c === ";") this.fail(`unexpected '${c}' where a key was expected`);
      else return "key";
    }
  }

  /** A key, or an `include <file>` directive (lowercase keyword followed by blank space). */
  readKey(): KeyToken {
    const start = this.i;
    const pos = this.position;
    const q = this.peek();
    if (q === '"' || q === "'") {
      this.i++;
      const end = this.text.indexOf(q, this.i);
      if (end < 0) this.fail("quoted key is never closed", start);
      const text = this.text.slice(this.i, end);
      this.i = end + 1;
      return { type: "key", text, pos };
    }
    while (this.i < this.text.length) {
      const c = this.text[this.i];
      if (isBlank(c) || c === "=" || c === ":" || c === "{" || c === "[") break;
      this.i++;
    }
    const text = this.text.slice(start, this.i);
    if (text.toLowerCase() === "include" && isBlank(this.peek())) {
      return { type: "include", text: this.readIncludeName(), pos };
    }
    return { type: "key", text, pos };
  }

  private readIncludeName(): string {
    while (isSpace(this.peek())) this.i++;
    const start = this.i;
    const c = this.peek();
    if (c === "'" || c === '"') {
      this.i++;
      const end = this.text.indexOf(c, this.i);
      if (end < 0) this.fail("quoted include file name is never closed", start);
      const name = this.text.slice(this.i, end);
      this.i = end + 1;
      return name;
    }
    if (c === "" || isNewline(c) || "[{(\\-".includes(c) || DIGIT.test(c)) {
      this.fail(`expected an include file name but found ${this.describe(c)}`);
    }
    while (this.i < this.text.length) {
      const d = this.text[this.i];
      if (isBlank(d) || d === ";" || d === "}" || d === "'") break;
      this.i++;
    }
    return this.text.slice(start, this.i);
  }

  /**
   * After a key: skips the optional `=`/`:` and the blanks around it. Returns false when the
   * key is followed by nothing at all (end of file, or the `}` of the enclosing map).
   */
  afterKey(inMap: boolean): boolean {
    while (isBlank(this.peek())) this.i++;
    if (this.peek() === "=" || this.peek() === ":") {
      this.i++;
      // After a separator nats-server allows new lines before the value only inside maps.
      while (inMap ? isBlank(this.peek()) : isSpace(this.peek())) this.i++;
    }
    const c = this.peek();
    return !(c === "" || (inMap && c === "}"));
  }

  /** The start of a value: a scalar, or `[` / `{` (consumed). */
  readValue(): ValueToken {
    while (isSpace(this.peek())) this.i++;
    const start = this.i;
    const pos = this.position;
    const c = this.peek();
    if (c === "[") {
      this.i++;
      return { type: "arrayStart", text: c, pos };
    }
    if (c === "{") {
      this.i++;
      return { type: "mapStart", text: c, pos };
    }
    if (c === "'") return { type: "string", text: this.readSingleQuoted(), pos };
    if (c === '"') return { type: "string", text: this.readDoubleQuoted(), pos };
    if (c === "(") return { type: "string", text: this.readBlock(), pos };
    if (c === "-") return this.readNumber(start, pos, true);
    if (DIGIT.test(c)) return this.readNumber(start, pos, false);
    if (c === ".") this.fail("numbers must start with a digit, not '.'");
    if (c === "" || isNewline(c)) this.fail(`expected a value but found ${this.describe(c)}`);
    if (c === "," || c === ";" || c === "]" || c === "}") this.fail(`expected a value but found '${c}'`);
    return this.readBare(start, pos);
  }

  private readSingleQuoted(): string {
    const open = this.i++;
    const end = this.text.indexOf("'", this.i);
    if (end < 0) this.fail("string is never closed: ' expected", open);
    const s = this.text.slice(this.i, end);
    this.i = end + 1;
    return s;
  }

  private readDoubleQuoted(): string {
    const open = this.i++;
    let out = "";
    for (;;) {
      const c = this.peek();
      if (c === "") this.fail('string is never closed: " expected', open);
      this.i++;
      if (c === '"') return out;
      out += c === "\\" ? this.readEscape() : c;
    }
  }

  /** After a backslash, in double-quoted or bare strings. */
  private readEscape(): string {
    const at = this.i - 1;
    const c = this.peek();
    this.i++;
    switch (c) {
      case "t":
        return "\t";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case '"':
        return '"';
      case "\\":
        return "\\";
      case "x": {
        const hex = this.text.slice(this.i, this.i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail(`expected two hexadecimal digits after '\\x', got '${hex}'`, at);
        this.i += 2;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        return this.fail(
          `invalid escape ${c === "" ? "at end of file" : `'\\${c}'`}; allowed are \\xXX, \\t, \\n, \\r, \\" and \\\\`,
          at,
        );
    }
  }

  /** `( ... )`: raw text up to a line holding only `)`, as nats-server reads JWTs and keys. */
  private readBlock(): string {
    const open = this.i++;
    let from = this.i;
    for (;;) {
      const close = this.text.indexOf(")", from);
      if (close < 0) this.fail("block string is never closed: ')' expected alone at the start of a line", open);
      const after = this.text.charAt(close + 1);
      if (this.text.charAt(close - 1) === "\n" && (after === "" || isNewline(after))) {
        const s = this.text.slice(open + 1, close);
        this.i = close + 1;
        return s;
      }
      from = close + 1;
    }
  }

  /** Numbers, sizes (`1k`, `1MB`), floats, dates, IPs, and strings that start with a digit. */
  private readNumber(start: number, pos: Position, negative: boolean): ScalarToken {
    if (negative) {
      this.i++;
      if (!DIGIT.test(this.peek())) this.fail(`expected a digit after '-' but found ${this.describe(this.peek())}`);
    }
    while (DIGIT.test(this.peek())) this.i++;
    const c = this.peek();
    if (c === "-" && !negative) {
      if (this.i - start === 4 && DATETIME_AFTER_YEAR.test(this.text.slice(this.i))) {
        this.i += 16;
        return { type: "datetime", text: this.text.slice(start, this.i), pos };
      }
      if (this.i - start === 4) this.fail("dates must be in full ISO8601 Zulu form, e.g. 2021-01-02T03:04:05Z", start);
      return this.readBare(start, pos);
    }
    if (c === ".") {
      this.i++;
      if (!DIGIT.test(this.peek())) this.fail(`expected a digit after '.' but found ${this.describe(this.peek())}`);
      while (DIGIT.test(this.peek())) this.i++;
      if (this.peek() === ".") {
        // A second dot: an IP address, possibly with a port (127.0.0.1:4222, 127.0.0.1:-1).
        while (/[0-9.:-]/.test(this.peek())) this.i++;
        if (endsBareValue(this.peek())) return { type: "string", text: this.text.slice(start, this.i), pos };
        return this.readBare(start, pos);
      }
      if (endsBareValue(this.peek())) return { type: "float", text: this.text.slice(start, this.i), pos };
      return this.readBare(start, pos);
    }
    if (SIZE_SUFFIX_START.test(c)) {
      this.i++;
      while (/[bBiI]/.test(this.peek())) this.i++;
      if (endsBareValue(this.peek())) return { type: "integer", text: this.text.slice(start, this.i), pos };
      return this.readBare(start, pos);
    }
    if (endsBareValue(c)) return { type: "integer", text: this.text.slice(start, this.i), pos };
    return this.readBare(start, pos);
  }

  /** An unquoted word: bool, `$variable`, or string. Starts over from `start`. */
  private readBare(start: number, pos: Position): ScalarToken {
    this.i = start;
    let out = "";
    let escaped = false;
    for (;;) {
      const c = this.peek();
      if (endsBareValue(c)) break;
      this.i++;
      if (c === "\\") {
        out += this.readEscape();
        escaped = true;
      } else out += c;
    }
    if (!escaped && BOOLS.has(out.toLowerCase())) return { type: "bool", text: out, pos };
    if (!escaped && out.startsWith("$")) {
      if (out.length === 1) this.fail("'$' must be followed by a variable name", start);
      return { type: "variable", text: out.slice(1), pos };
    }
    return { type: "string", text: out, pos };
  }

  /** After a top-level value: only blanks or a comment may follow before the line ends. */
  endTopLevelValue(): void {
    while (isSpace(this.peek())) this.i++;
    const c = this.peek();
    if (this.isCommentStart()) return this.skipComment();
    if (c === "" || isNewline(c) || c === ";" || c === "," || c === "}") {
      if (c !== "") this.i++;
      return;
    }
    this.fail(`expected a new line, ';', comment or end of file after the value, but found ${this.describe(c)}`);
  }

  /** After a value inside a map: `,`, `;`, a new line or a comment lead to the next key. */
  endMapValue(): Separator {
    for (;;) {
      while (isSpace(this.peek())) this.i++;
      const c = this.peek();
      if (this.isCommentStart()) {
        this.skipComment();
        continue;
      }
      if (c === "}") {
        this.i++;
        return "end";
      }
      if (c === "," || c === ";" || isNewline(c)) {
        this.i++;
        return "next";
      }
      this.fail(`expected ',', ';', a new line or '}' after the value, but found ${this.describe(c)}`);
    }
  }

  /** Before an array element: returns "end" after consuming `]`. */
  startArrayValue(openedAt: Position): "value" | "end" {
    for (;;) {
      const c = this.peek();
      if (c === "") throw new ConfigError(openedAt, "array is never closed: ']' expected before end of file");
      if (isBlank(c)) this.i++;
      else if (this.isCommentStart()) this.skipComment();
      else if (c === "]") {
        this.i++;
        return "end";
      } else if (c === ",") this.fail("unexpected ',' in array: a value is missing");
      else return "value";
    }
  }

  /** After an array element: `,` or a new line lead to the next one. */
  endArrayValue(): Separator {
    for (;;) {
      while (isSpace(this.peek())) this.i++;
      const c = this.peek();
      if (this.isCommentStart()) {
        this.skipComment();
        continue;
      }
      if (c === "]") {
        this.i++;
        return "end";
      }
      if (c === "," || isNewline(c)) {
        this.i++;
        return "next";
      }
      this.fail(`expected ',', a new line or ']' after the array value, but found ${this.describe(c)}`);
    }
  }
}
