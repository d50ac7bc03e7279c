/**
 * Reading a topology from a file: a standalone YAML/JSON topology, or a Pulumi stack config
 * (`config: { natsfleet:topology: ... }`). Problems are reported with `file:line:col` where the
 * YAML node of the offending path can be found.
 */
import * as fs from "fs";
import { LineCounter, parseDocument, isMap, isNode } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import type { Topology } from "./model";
import { TopologyError, TopologyIssue, TopologyPath, TopologySourceError } from "./errors";
import { checkTopology } from "./validate";

/** The stack config key holding the topology. */
export const TOPOLOGY_CONFIG_KEY = "natsfleet:topology";

export interface LoadedDeclaration {
  /** The raw declaration object, as parsed (not yet validated). */
  declaration: unknown;
  /** Where it sits in the document: [] for a standalone file, ["config", "natsfleet:topology"] in a stack file. */
  basePath: TopologyPath;
  /** Maps a declaration path to `file:line:col`, when it can be found. */
  locate(path: TopologyPath): string | undefined;
}

/** Parse YAML or JSON text and find the topology in it. */
export function parseDeclaration(text: string, source: string): LoadedDeclaration {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? (e.pos ? lines.linePos(e.pos[0]) : undefined);
    const where = pos ? `${source}:${pos.line}:${pos.col}` : source;
    throw new TopologySourceError(`${where}: not valid YAML/JSON: ${firstLine(e.message)}`);
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new TopologySourceError(`${source}: expected a topology (a mapping with name and clusters) or a stack config with ${TOPOLOGY_CONFIG_KEY}`);
  }
  const obj = data as Record<string, unknown>;
  let basePath: TopologyPath;
  if (obj.config !== undefined && typeof obj.config === "object" && obj.config !== null) {
    const cfg = obj.config as Record<string, unknown>;
    if (!(TOPOLOGY_CONFIG_KEY in cfg)) {
      throw new TopologySourceError(`${source}: stack config has no "${TOPOLOGY_CONFIG_KEY}" key under config`);
    }
    basePath = ["config", TOPOLOGY_CONFIG_KEY];
  } else if (TOPOLOGY_CONFIG_KEY in obj) {
    basePath = [TOPOLOGY_CONFIG_KEY];
  } else {
    basePath = [];
  }
  let declaration: unknown = obj;
  for (const k of basePath) declaration = (declaration as Record<string, unknown>)[k as string];
  return {
    declaration,
    basePath,
    locate: (path) => locateNode(doc, lines, [...basePath, ...path], source),
  };
}

/** Read a file; missing/unreadable files are TopologySourceErrors with the reason. */
export function readDeclaration(file: string, source: string = file): LoadedDeclaration {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : String((err as Error).message);
    throw new TopologySourceError(`${source}: cannot read: ${why}`);
  }
  return parseDeclaration(text, source);
}

/** Validate a loaded declaration; on failure the TopologyError's issues carry file locations. */
export function validateLoaded(loaded: LoadedDeclaration, source: string): Topology {
  const r = checkTopology(loaded.declaration);
  if (r.ok) return r.topology;
  const issues: TopologyIssue[] = r.issues.map((i) => {
    const location = loaded.locate(i.path);
    return location ? { ...i, location } : i;
  });
  // In file order, so the list reads top to bottom like the file (stable for equal places).
  issues.sort((a, b) => lineCol(a.location) - lineCol(b.location));
  throw new TopologyError(issues, source);
}

/** Read, parse and validate a topology or stack config file; `source` names it in messages. */
export function loadTopology(file: string, source: string = file): Topology {
  return validateLoaded(readDeclaration(file, source), source);
}

/** Deepest existing node on the path (an unknown or missing key points at its parent). */
function locateNode(doc: Document, lines: LineCounter, path: TopologyPath, source: string): string | undefined {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    // For an object key, point at the key itself (more useful for "unknown field").
    const node = sub.length === 0 ? doc.contents : keyOrValue(doc, sub);
    if (node && isNode(node) && node.range) {
      const pos = lines.linePos(node.range[0]);
      return `${source}:${pos.line}:${pos.col}`;
    }
  }
  return undefined;
}

function keyOrValue(doc: Document, path: TopologyPath): YamlNode | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((p) => {
      const k = isNode(p.key) ? (p.key as { value?: unknown }).value : p.key;
      return k === last;
    });
    if (pair && isNode(pair.key)) return pair.key as YamlNode;
  }
  const v = doc.getIn(path, true);
  return isNode(v) ? (v as YamlNode) : undefined;
}

function lineCol(location: string | undefined): number {
  const m = location ? /:(\d+):(\d+)$/.exec(location) : null;
  return m ? Number(m[1]) * 100000 + Number(m[2]) : Number.MAX_SAFE_INTEGER;
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.trim();
}
