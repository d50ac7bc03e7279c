/**
 * Keeps docs/embedding.md in step with the code: the option reference is generated from the
 * types and doc comments of broker/options.ts, and each example section is the text of the
 * file under examples/ that the tests compile and run.
 *
 *   npx ts-node scripts/embedding-doc.ts           # rewrite docs/embedding.md
 *   npx ts-node scripts/embedding-doc.ts --check   # exit 1 if it is out of date
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { DEFAULTS } from "../broker/options";

const ROOT = path.join(__dirname, "..");
export const DOC_FILE = path.join(ROOT, "docs", "embedding.md");

/** Where the documented types live, in the order the reference lists them. */
const SOURCES: Array<{ file: string; names?: string[] }> = [
  { file: "broker/options.ts" },
  { file: "broker/config/accounts.ts", names: ["SubjectMappings", "MappingDestination"] },
  { file: "broker/config/trust.ts", names: ["ResolverConfig"] },
];

export interface FieldDoc {
  name: string;
  optional: boolean;
  type: string;
  doc: string;
  /**
   * The config file key: the field in snake_case unless its doc has `@config`, whose text is
   * kept (`null` for `@config -`: no config key).
   */
  configKey: string | null;
  /** True when configKey is the snake_case rule, not an explicit `@config` note. */
  derivedKey: boolean;
}

export interface TypeDoc {
  name: string;
  doc: string;
  /** Properties of an interface; empty for type aliases. */
  fields: FieldDoc[];
  /** The aliased type, for type aliases. */
  alias?: string;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function jsDocOf(node: ts.Node): { doc: string; tags: Map<string, string> } {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  const last = docs[docs.length - 1];
  const tags = new Map<string, string>();
  for (const t of last?.tags ?? []) tags.set(t.tagName.text, oneLine(ts.getTextOfJSDocComment(t.comment) ?? ""));
  return { doc: oneLine(ts.getTextOfJSDocComment(last?.comment) ?? ""), tags };
}

export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function fieldDoc(m: ts.PropertySignature, sf: ts.SourceFile): FieldDoc {
  const name = m.name.getText(sf);
  const { doc, tags } = jsDocOf(m);
  const note = tags.get("config");
  return {
    name,
    optional: m.questionToken !== undefined,
    type: m.type ? oneLine(m.type.getText(sf)) : "unknown",
    doc,
    configKey: note === undefined ? snakeCase(name) : note === "-" ? null : note,
    derivedKey: note === undefined,
  };
}

/** Every documented option type, in source order. */
export function optionTypes(): TypeDoc[] {
  const out: TypeDoc[] = [];
  for (const src of SOURCES) {
    const file = path.join(ROOT, src.file);
    const sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    const found = new Map<string, TypeDoc>();
    for (const st of sf.statements) {
      if (!(ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st))) continue;
      if (!(ts.getCombinedModifierFlags(st) & ts.ModifierFlags.Export)) continue;
      if (ts.isInterfaceDeclaration(st)) {
        const fields = st.members.filter(ts.isPropertySignature).map((m) => fieldDoc(m, sf));
        found.set(st.name.text, { name: st.name.text, doc: jsDocOf(st).doc, fields });
      } else {
        found.set(st.name.text, { name: st.name.text, doc: jsDocOf(st).doc, fields: [], alias: oneLine(st.type.getText(sf)) });
      }
    }
    for (const name of src.names ?? [...found.keys()]) {
      const t = found.get(name);
      if (!t) throw new Error(`${src.file}: no exported type ${name}`);
      out.push(t);
    }
  }
  return out;
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

function code(s: string): string {
  return "`" + cell(s) + "`";
}

function defaultOf(field: string): string {
  const v = (DEFAULTS as unknown as Record<string, unknown>)[field];
  return v === undefined ? "" : code(JSON.stringify(v));
}

/** The option reference as Markdown (one table per type). */
export function renderReference(): string {
  const parts: string[] = [];
  for (const t of optionTypes()) {
    parts.push(`### \`${t.name}\``, "");
    if (t.doc) parts.push(t.doc, "");
    if (t.alias !== undefined) {
      parts.push("```ts", `type ${t.name} = ${t.alias};`, "```", "");
      continue;
    }
    const withDefault = t.name === "ServerOptions";
    parts.push(withDefault ? "| Field | Type | Default | Config key | Description |" : "| Field | Type | Config key | Description |");
    parts.push(withDefault ? "|---|---|---|---|---|" : "|---|---|---|---|");
    for (const f of t.fields) {
      const key = f.configKey === null ? "—" : f.derivedKey ? code(f.configKey) : cell(f.configKey);
      const cols = [code(f.name + (f.optional ? "?" : "")), code(f.type)];
      if (withDefault) cols.push(defaultOf(f.name));
      cols.push(key, cell(f.doc));
      parts.push(`| ${cols.join(" | ")} |`);
    }
    parts.push("");
  }
  return parts.join("\n").trimEnd();
}

const REFERENCE = /(<!-- options-reference: generated by scripts\/embedding-doc\.ts -->)[\s\S]*?(<!-- \/options-reference -->)/;
const EXAMPLE = /(<!-- example: (examples\/[\w.-]+\.ts) -->)[\s\S]*?(<!-- \/example -->)/g;

/** The doc with its generated sections brought up to date. */
export function renderDoc(doc: string): string {
  if (!REFERENCE.test(doc)) throw new Error(`${DOC_FILE}: no options-reference markers`);
  let out = doc.replace(REFERENCE, (_m, open: string, close: string) => `${open}\n${renderReference()}\n${close}`);
  out = out.replace(EXAMPLE, (_m, open: string, file: string, close: string) => {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8").trimEnd();
    return `${open}\n\`\`\`ts\n${text}\n\`\`\`\n${close}`;
  });
  return out;
}

/** The example files the doc shows. */
export function docExamples(doc: string): string[] {
  return [...doc.matchAll(EXAMPLE)].map((m) => m[2]);
}

if (require.main === module) {
  const current = fs.readFileSync(DOC_FILE, "utf8");
  const next = renderDoc(current);
  if (process.argv.includes("--check")) {
    if (next !== current) {
      process.stderr.write(`${path.relative(ROOT, DOC_FILE)} is out of date: run npx ts-node scripts/embedding-doc.ts\n`);
      process.exit(1);
    }
  } else if (next !== current) {
    fs.writeFileSync(DOC_FILE, next);
    process.stdout.write(`updated ${path.relative(ROOT, DOC_FILE)}\n`);
  }
}
