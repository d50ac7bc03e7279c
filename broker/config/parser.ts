/**
 * Builds the value tree of a nats-server config file (conf/parse.go in nats-server): converts
 * scalars, applies size suffixes, resolves `$VAR` references and `include` directives.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError, Position } from "./errors";
import { KeyToken, Lexer, ScalarToken } from "./lexer";
import { ConfArray, ConfigDocument, ConfMap, ConfValue, relocate } from "./tree";

/** Environment used to resolve `$VAR` references not defined in the file. */
export type ConfigEnv = Record<string, string | undefined>;

/**
 * Size suffixes nats-server 2.9 accepts (conf/parse.go), case-insensitive: single letters are
 * powers of 1000, `b`, `i` and `ib` forms powers of 1024.
 */
const SIZE_MULTIPLIERS: Record<string, number> = (() => {
  const out: Record<string, number> = { "": 1 };
  ["k", "m", "g", "t", "p", "e"].forEach((letter, idx) => {
    out[letter] = 1000 ** (idx + 1);
    for (const tail of ["b", "i", "ib"]) out[letter + tail] = 1024 ** (idx + 1);
  });
  return out;
})();

/** Deeper nesting than this is surely a mistake, and must not exhaust the stack. */
const MAX_DEPTH = 128;

/** bcrypt hashes (`$2a$11$...`) look like variable references; nats-server passes them through. */
const BCRYPT_PREFIX = /^2[aby]\$/;

interface ParseContext {
  env: ConfigEnv;
  /** Absolute paths of the files being parsed, outermost first, for include cycle detection. */
  includeChain: string[];
  /** Every file read so far (shared across includes). */
  files: string[];
  /** Names of environment variables being expanded, against `A=$A` loops. */
  expanding: Set<string>;
}

class Parser {
  private readonly lx: Lexer;
  private readonly file: string;
  private readonly ctx: ParseContext;
  /** Maps being filled, outermost first: the scopes `$VAR` looks in. */
  private readonly scopes: ConfMap[] = [];
  /** Arrays and maps currently open. */
  private depth = 0;

  constructor(text: string, file: string, ctx: ParseContext) {
    this.lx = new Lexer(text, file);
    this.file = file;
    this.ctx = ctx;
  }

  parseDocument(): ConfMap {
    const root: ConfMap = { kind: "map", entries: new Map(), pos: { file: this.file, line: 1, column: 1 } };
    this.scopes.push(root);
    while (this.lx.startTopLevelKey()) {
      this.parseEntry(root, false);
      this.lx.endTopLevelValue();
    }
    this.scopes.pop();
    return root;
  }

  /** One `key value` (or include) into `target`. */
  private parseEntry(target: ConfMap, inMap: boolean): void {
    const key = this.lx.readKey();
    if (key.type === "include") {
      this.include(key, target);
      return;
    }
    if (key.text === "") this.lx.fail("empty key");
    if (!this.lx.afterKey(inMap)) {
      throw new ConfigError(key.pos, `key ${JSON.stringify(key.text)} has no value`);
    }
    const value = this.parseValue();
    target.entries.set(key.text, { key: key.text, keyPos: key.pos, value, usedAsVariable: false });
  }

  private parseValue(): ConfValue {
    const tok = this.lx.readValue();
    if (tok.type !== "arrayStart" && tok.type !== "mapStart") return this.scalar(tok as ScalarToken);
    if (++this.depth > MAX_DEPTH) throw new ConfigError(tok.pos, `arrays and maps are nested more than ${MAX_DEPTH} deep`);
    try {
      return tok.type === "arrayStart" ? this.parseArray(tok.pos) : this.parseMap(tok.pos);
    } finally {
      this.depth--;
    }
  }

  private parseArray(pos: Position): ConfArray {
    const arr: ConfArray = { kind: "array", items: [], pos };
    while (this.lx.startArrayValue(pos) === "value") {
      arr.items.push(this.parseValue());
      if (this.lx.endArrayValue() === "end") break;
    }
    return arr;
  }

  private parseMap(pos: Position): ConfMap {
    const map: ConfMap = { kind: "map", entries: new Map(), pos };
    this.scopes.push(map);
    while (this.lx.startMapKey(pos) === "key") {
      this.parseEntry(map, true);
      if (this.lx.endMapValue() === "end") break;
    }
    this.scopes.pop();
    return map;
  }

  private scalar(tok: ScalarToken): ConfValue {
    const pos = tok.pos;
    switch (tok.type) {
      case "string":
        return { kind: "string", value: tok.text, pos };
      case "bool": {
        const t = tok.text.toLowerCase();
        return { kind: "bool", value: t === "true" || t === "yes" || t === "on", pos };
      }
      case "integer":
        return { kind: "integer", value: this.integer(tok), raw: tok.text, pos };
      case "float": {
        const value = Number(tok.text);
        if (!Number.isFinite(value)) throw new ConfigError(pos, `number ${tok.text} is out of range`);
        return { kind: "float", value, raw: tok.text, pos };
      }
      case "datetime":
        return { kind: "datetime", value: new Date(tok.text), raw: tok.text, pos };
      case "variable":
        return this.variable(tok.text, pos);
    }
  }

  private integer(tok: ScalarToken): number {
    const m = /^(-?\d+)(.*)$/.exec(tok.text);
    if (!m) throw new ConfigError(tok.pos, `invalid integer ${tok.text}`);
    const multiplier = SIZE_MULTIPLIERS[m[2].toLowerCase()];
    if (multiplier === undefined) {
      throw new ConfigError(
        tok.pos,
        `invalid size suffix "${m[2]}" in ${tok.text}; use k, m, g, t (x1000) or kb, mb, gb, tb, ki, mi, gi, ti, kib, mib... (x1024)`,
      );
    }
    const value = Number(m[1]) * multiplier;
    if (!Number.isSafeInteger(value)) throw new ConfigError(tok.pos, `integer ${tok.text} is out of range`);
    return value;
  }

  /** `$name`: the nearest earlier key of that name in an enclosing map, else the environment. */
  private variable(name: string, pos: Position): ConfValue {
    if (BCRYPT_PREFIX.test(name)) return { kind: "string", value: "$" + name, pos };
    for (let s = this.scopes.length - 1; s >= 0; s--) {
      const entry = this.scopes[s].entries.get(name);
      if (entry) {
        entry.usedAsVariable = true;
        return relocate(entry.value, pos);
      }
    }
    const raw = this.ctx.env[name];
    if (raw === undefined) {
      throw new ConfigError(pos, `variable "$${name}" is not defined (neither earlier in the config nor in the environment)`);
    }
    if (this.ctx.expanding.has(name)) {
      throw new ConfigError(pos, `environment variable "$${name}" refers to itself`);
    }
    // As nats-server does, an environment value is read as a config value: "4222" is a number.
    this.ctx.expanding.add(name);
    try {
      const sub = new Parser(`v=${raw}`, `environment variable $${name}`, { ...this.ctx, includeChain: [] });
      const value = sub.parseDocument().entries.get("v")?.value;
      if (!value) throw new ConfigError(pos, `environment variable "$${name}" has no value`);
      return relocate(value, pos);
    } catch (err) {
      if (err instanceof ConfigError && err.position.file.startsWith("environment variable")) {
        throw new ConfigError(pos, `cannot use environment variable "$${name}" (${JSON.stringify(raw)}): ${err.problem}`);
      }
      throw err;
    } finally {
      this.ctx.expanding.delete(name);
    }
  }

  /** `include name`: the other file's keys are set into the map being filled. */
  private include(tok: KeyToken, target: ConfMap): void {
    const base = path.dirname(path.resolve(this.file));
    const resolved = path.resolve(base, tok.text);
    const chain = this.ctx.includeChain;
    if (chain.includes(resolved)) {
      const cycle = [...chain.slice(chain.indexOf(resolved)), resolved].map((f) => path.basename(f)).join(" -> ");
      throw new ConfigError(tok.pos, `include cycle: ${cycle}`);
    }
    const text = readText(resolved, tok.pos, `cannot read include file ${JSON.stringify(tok.text)}`);
    this.ctx.files.push(resolved);
    const displayName = path.isAbsolute(tok.text) ? tok.text : path.join(path.dirname(this.file), tok.text);
    const sub = new Parser(text, displayName, { ...this.ctx, includeChain: [...chain, resolved] });
    for (const [k, e] of sub.parseDocument().entries) target.entries.set(k, e);
  }
}

function readText(file: string, pos: Position, what: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "it is a directory" : e.message;
    throw new ConfigError(pos, `${what}: ${reason}`);
  }
}

/**
 * Parses config text. `file` names it in positions and is the base for relative includes;
 * `env` (default `process.env`) resolves `$VAR` references the file does not define.
 * Throws ConfigError.
 */
export function parseConfigText(text: string, file: string, env: ConfigEnv = process.env): ConfigDocument {
  const abs = path.resolve(file);
  const ctx: ParseContext = { env, includeChain: [abs], files: [abs], expanding: new Set() };
  const root = new Parser(text, file, ctx).parseDocument();
  return { file, root, files: ctx.files };
}

/** Reads and parses a config file (see parseConfigText). Throws ConfigError. */
export function parseConfigFile(file: string, env: ConfigEnv = process.env): ConfigDocument {
  const text = readText(path.resolve(file), { file, line: 1, column: 1 }, "cannot read config file");
  return parseConfigText(text, file, env);
}
