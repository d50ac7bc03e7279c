/**
 * Subject transforms as nats-server 2.9.10 builds them for `mappings`: a destination whose
 * tokens may be `$N` / `{{wildcard(N)}}` placeholders or the 2.9 functions (`partition`,
 * `splitFromLeft`, `splitFromRight`, `sliceFromLeft`, `sliceFromRight`, `split`), checked when
 * the mapping is added and applied to the tokens of a literal subject the source matched.
 * Error texts are nats-server's, so a config fails with the same words on both servers.
 */

/** A mapping destination nats-server would refuse; `message` is its error text. */
export class MappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MappingError";
  }
}

const INVALID = "invalid mapping destination";
const ERR_BAD_SUBJECT = "invalid subject";
const ERR_DEST_SUBJECT = `${INVALID}: invalid subject`;
const ERR_NOT_ALL_WILDCARDS = `${INVALID}: not using all of the token wildcard(s)`;
const ERR_UNKNOWN_FUNCTION = `${INVALID}: unknown function`;
const ERR_INDEX_RANGE = `${INVALID}: wildcard index out of range`;
const ERR_NOT_ENOUGH = `${INVALID}: not enough arguments passed to the function`;
const ERR_INVALID_ARG = `${INVALID}: function argument is invalid or in the wrong format`;
const ERR_TOO_MANY = `${INVALID}: too many arguments passed to the function`;

/** nats-server's mappingDestinationErr: "<error> in <token>". */
function destError(err: string, token: string): MappingError {
  return new MappingError(`${err} in ${token}`);
}

const enum Fn {
  Literal,
  Wildcard,
  Partition,
  SplitFromLeft,
  SplitFromRight,
  SliceFromLeft,
  SliceFromRight,
  Split,
}

/** One destination token: literal text or a function of source tokens. */
interface DestToken {
  fn: Fn;
  /** The token as written (the text of a literal). */
  text: string;
  /** Source token positions the function reads. */
  from: number[];
  /** Partition count, split position or slice size. */
  n: number;
  /** Split delimiter. */
  sep: string;
}

// The same expressions as nats-server's (unanchored, case-insensitive first letters): a token
// is a function when one of them matches somewhere inside the `{{...}}`.
const FUNCTIONS: ReadonlyArray<readonly [Fn, RegExp]> = [
  [Fn.Wildcard, /{{\s*[wW]ildcard\s*\((.*)\)\s*}}/],
  [Fn.Partition, /{{\s*[pP]artition\s*\((.*)\)\s*}}/],
  [Fn.SplitFromLeft, /{{\s*[sS]plit[fF]rom[lL]eft\s*\((.*)\)\s*}}/],
  [Fn.SplitFromRight, /{{\s*[sS]plit[fF]rom[rR]ight\s*\((.*)\)\s*}}/],
  [Fn.SliceFromLeft, /{{\s*[sS]lice[fF]rom[lL]eft\s*\((.*)\)\s*}}/],
  [Fn.SliceFromRight, /{{\s*[sS]lice[fF]rom[rR]ight\s*\((.*)\)\s*}}/],
  [Fn.Split, /{{\s*[sS]plit\s*\((.*)\)\s*}}/],
];
const COMMA = /,\s*/;

function isMustache(t: string): boolean {
  return t.length > 4 && t.startsWith("{{") && t.endsWith("}}");
}

/** Go's strconv.Atoi: an optional sign and decimal digits, nothing else. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Go's strings.Trim(s, " "). */
function trimSpaces(s: string): string {
  return s.replace(/^ +| +$/g, "");
}

/**
 * nats-server's ValidateMappingDestination: no empty token, nothing after `>`, no blanks
 * outside functions, and every `{{...}}` names a known function.
 */
export function validateDestination(dest: string): void {
  let fwc = false;
  for (const t of dest.split(".")) {
    if (t.length === 0 || fwc) throw destError(ERR_DEST_SUBJECT, t);
    if (isMustache(t)) {
      if (!FUNCTIONS.some(([, re]) => re.test(t))) throw destError(ERR_UNKNOWN_FUNCTION, t);
      continue;
    }
    if (t === ">") fwc = true;
    else if (/[\t\n\f\r ]/.test(t)) throw new MappingError(ERR_DEST_SUBJECT);
  }
}

/** What nats-server's subjectInfo reports: validity, tokens, `*` count and a trailing `>`. */
function subjectInfo(subject: string): { valid: boolean; tokens: string[]; pwcs: number; fwc: boolean } {
  const tokens = subject.split(".");
  let pwcs = 0;
  let fwc = false;
  if (subject === "") return { valid: false, tokens, pwcs, fwc };
  for (const t of tokens) {
    if (t.length === 0 || fwc) return { valid: false, tokens, pwcs, fwc };
    if (t === ">") fwc = true;
    else if (t === "*") pwcs++;
  }
  return { valid: true, tokens, pwcs, fwc };
}

/** A destination token's function and its raw arguments (wildcard indexes not yet resolved). */
interface Placeholder {
  fn: Fn;
  indexes: number[];
  n: number;
  sep: string;
}

function indexAndInt(token: string, args: string[], fn: Fn): Placeholder {
  if (args.length < 2) throw destError(ERR_NOT_ENOUGH, token);
  if (args.length > 2) throw destError(ERR_TOO_MANY, token);
  const i = atoi(trimSpaces(args[0]));
  const n = atoi(trimSpaces(args[1]));
  if (i === undefined || n === undefined) throw destError(ERR_INVALID_ARG, token);
  return { fn, indexes: [i], n: n | 0, sep: "" };
}

/** nats-server's indexPlaceHolders: what a destination token computes, or null for a literal. */
function placeholder(token: string): Placeholder | null {
  if (token.length <= 1) return null;
  if (token[0] === "$") {
    // `$N`, the pre-2.8 form; any other `$` token is literal text.
    const i = atoi(token.slice(1));
    return i === undefined ? null : { fn: Fn.Wildcard, indexes: [i], n: -1, sep: "" };
  }
  if (!isMustache(token)) return null;
  for (const [fn, re] of FUNCTIONS) {
    const m = re.exec(token);
    if (!m) continue;
    const args = m[1].split(COMMA);
    switch (fn) {
      case Fn.Wildcard: {
        if (args.length === 1 && args[0] === "") throw destError(ERR_NOT_ENOUGH, token);
        if (args.length > 1) throw destError(ERR_TOO_MANY, token);
        const i = atoi(trimSpaces(args[0]));
        if (i === undefined) throw destError(ERR_INVALID_ARG, token);
        return { fn, indexes: [i], n: -1, sep: "" };
      }
      case Fn.Partition: {
        if (args.length < 2) throw destError(ERR_NOT_ENOUGH, token);
        const count = atoi(trimSpaces(args[0]));
        if (count === undefined) throw destError(ERR_INVALID_ARG, token);
        // Held as an int32 there; 0 is accepted by nats-server 2.9.10, which then dies
        // dividing by it on the first message.
        const n = count | 0;
        if (n === 0) throw destError(`${INVALID}: the number of partitions must not be 0`, token);
        const indexes: number[] = [];
        for (const a of args.slice(1)) {
          const i = atoi(trimSpaces(a));
          if (i === undefined) throw destError(ERR_INVALID_ARG, token);
          indexes.push(i);
        }
        return { fn, indexes, n, sep: "" };
      }
      case Fn.Split: {
        if (args.length < 2) throw destError(ERR_NOT_ENOUGH, token);
        if (args.length > 2) throw destError(ERR_TOO_MANY, token);
        const i = atoi(trimSpaces(args[0]));
        if (i === undefined || args[1].includes(" ") || args[1].includes(".")) throw destError(ERR_INVALID_ARG, token);
        return { fn, indexes: [i], n: -1, sep: args[1] };
      }
      default:
        return indexAndInt(token, args, fn);
    }
  }
  throw destError(ERR_UNKNOWN_FUNCTION, token);
}

/** A checked source -> destination transform (nats-server's newTransform). */
export class Transform {
  /** Destination tokens; null when the destination is taken as is (a literal source). */
  private readonly tokens: DestToken[] | null;
  /** Source token count: with a trailing `>`, the subject's tokens from there on are appended. */
  private readonly srcLen: number;
  private readonly tail: boolean;

  constructor(
    readonly src: string,
    readonly dest: string,
  ) {
    const s = subjectInfo(src);
    const d = subjectInfo(dest);
    if (!s.valid || !d.valid || d.pwcs > 0 || s.fwc !== d.fwc) throw new MappingError(ERR_BAD_SUBJECT);
    this.srcLen = s.tokens.length;
    this.tail = d.fwc;
    if (s.pwcs === 0 && !s.fwc) {
      // Without wildcards in the source nothing is substituted, `$1` and `{{...}}` included.
      this.tokens = null;
      return;
    }
    // Wildcard number (1-based) -> source token position.
    const positions = new Map<number, number>();
    s.tokens.forEach((t, i) => {
      if (t === "*") positions.set(positions.size + 1, i);
    });
    let placeholders = 0;
    this.tokens = d.tokens.map((text): DestToken => {
      const p = placeholder(text);
      if (p === null) return { fn: Fn.Literal, text, from: [], n: -1, sep: "" };
      placeholders++;
      const from = p.indexes.map((w) => {
        if (w > s.pwcs) throw destError(ERR_INDEX_RANGE, `${text}: [${w}]`);
        // As nats-server: an index below 1 reads the subject's first token.
        return positions.get(w) ?? 0;
      });
      return { fn: p.fn, text, from, n: p.n, sep: p.sep };
    });
    // nats-server counts placeholders, not distinct wildcards.
    if (placeholders < s.pwcs) throw destError(ERR_NOT_ALL_WILDCARDS, dest);
  }

  /** The destination for a literal subject (split into `subject`'s tokens) the source matched. */
  apply(subject: string[]): string {
    const dt = this.tokens;
    if (dt === null) return this.dest;
    let out = "";
    const last = dt.length - 1;
    for (let i = 0; i < dt.length; i++) {
      const t = dt[i];
      if (t.fn === Fn.Literal) {
        if (t.text === ">") break;
        out += t.text;
      } else {
        out += compute(t, subject);
      }
      if (i < last) out += ".";
    }
    if (this.tail) out += subject.slice(this.srcLen - 1).join(".");
    return out;
  }
}

function compute(t: DestToken, subject: string[]): string {
  switch (t.fn) {
    case Fn.Wildcard:
      return subject[t.from[0]];
    case Fn.Partition: {
      let key = "";
      for (const i of t.from) key += subject[i];
      return String(fnv1a32(key) % (t.n >>> 0));
    }
    case Fn.SplitFromLeft: {
      const s = subject[t.from[0]];
      return t.n > 0 && t.n < s.length ? `${s.slice(0, t.n)}.${s.slice(t.n)}` : s;
    }
    case Fn.SplitFromRight: {
      const s = subject[t.from[0]];
      return t.n > 0 && t.n < s.length ? `${s.slice(0, s.length - t.n)}.${s.slice(s.length - t.n)}` : s;
    }
    case Fn.SliceFromLeft:
      return sliceFromLeft(subject[t.from[0]], t.n);
    case Fn.SliceFromRight:
      return sliceFromRight(subject[t.from[0]], t.n);
    case Fn.Split:
      return split(subject[t.from[0]], t.sep);
    default:
      return t.text;
  }
}

/** Slices of `size` from the left; a shorter rest is the last slice. */
function sliceFromLeft(s: string, size: number): string {
  if (size <= 0 || size >= s.length) return s;
  const parts: string[] = [];
  let i = 0;
  for (; i + size <= s.length; i += size) parts.push(s.slice(i, i + size));
  if (i < s.length) parts.push(s.slice(i));
  return parts.join(".");
}

/** Slices of `size` from the right; a shorter rest is the first slice. */
function sliceFromRight(s: string, size: number): string {
  if (size <= 0 || size >= s.length) return s;
  const rem = s.length % size;
  const parts: string[] = rem > 0 ? [s.slice(0, rem)] : [];
  for (let i = rem; i + size <= s.length; i += size) parts.push(s.slice(i, i + size));
  return parts.join(".");
}

/**
 * Split on `sep` into tokens, skipping empty pieces the way nats-server's loop does (a run of
 * leading separators can still leave a leading dot, as there).
 */
function split(s: string, sep: string): string {
  const parts = s.split(sep);
  let out = "";
  for (let j = 0; j < parts.length; j++) {
    const p = parts[j];
    out += p;
    if (j < parts.length - 1 && parts[j + 1] !== "" && !(j === 0 && p === "")) out += ".";
  }
  return out;
}

/** FNV-1a 32-bit over the bytes of a latin1 string (Go's hash/fnv New32a). */
function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i) & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** nats-server's transformTokenize: `foo.*.*` -> `foo.$1.$2` (the unmapped remainder of a wildcard source). */
export function tokenize(subject: string): string {
  let i = 1;
  return subject
    .split(".")
    .map((t) => (t === "*" ? `$${i++}` : t))
    .join(".");
}
