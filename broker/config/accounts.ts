/** `accounts { }` (users, exports, imports, mappings) and subject `mappings { }`. */
import { exportFor, accountSpecFromConfig } from "../accounts/index";
import { MappingError, compileMapping, destinationsOf, mappingProblem } from "../accounts/mapping";
import {
  AccountConfig,
  Permissions,
  ServiceExport,
  ServiceImport,
  StreamExport,
  StreamImport,
} from "../options";
import { ConfigError, Position } from "./errors";
import { ConfMap, ConfValue, toPlain } from "./tree";
import { parsePermissions, parseUsers } from "./auth";
import {
  MappingContext,
  array,
  durationMs,
  fail,
  int,
  isValidSubject,
  map,
  str,
  stringList,
  walkBlock,
} from "./values";

/** One weighted destination of a subject mapping. */
export interface MappingDestination {
  /**
   * Subject the message is mapped to: with a wildcard source, `$N` / `{{wildcard(N)}}` and the
   * nats-server 2.9 functions (`partition`, `splitFromLeft`, `splitFromRight`, `sliceFromLeft`,
   * `sliceFromRight`, `split`) take the published subject's tokens.
   */
  destination: string;
  /** Percentage 0..100 of messages; the weights of a source add up to 100 at most, the rest stays unmapped. */
  weight: number;
  /** Only servers of this cluster use this destination (instead of the destinations without a cluster). */
  cluster?: string;
}

/** Source subject -> a destination subject, or weighted destinations. */
export type SubjectMappings = Record<string, string | MappingDestination[]>;

/** The reserved name of the global account; nats-server refuses to have it declared. */
const GLOBAL_ACCOUNT = "$G";

const RESPONSE_TYPES: Record<string, ServiceExport["responseType"]> = {
  single: "singleton",
  singleton: "singleton",
  stream: "stream",
  chunk: "chunked",
  chunked: "chunked",
};

function mappingDestination(v: ConfValue, name: string): MappingDestination {
  const m = map(v, name);
  let destination: string | undefined;
  let weight: number | undefined;
  let cluster: string | undefined;
  const dest = (x: ConfValue, _e: unknown, n: string) => (destination = str(x, n));
  walkBlock(m, name, {
    dest,
    destination: dest,
    weight: (x, _e, n) => {
      // nats-server's reading: an integer, or a string of one with an optional "%".
      let w: number;
      if (x.kind === "string") {
        const digits = x.value.replace(/%$/, "");
        if (!/^[+-]?\d+$/.test(digits)) fail(x, `Invalid weight ${JSON.stringify(digits)} for mapping destination`);
        w = Number(digits);
      } else {
        w = int(x, n);
      }
      if (w < 0 || w > 100) fail(x, `Invalid weight ${w} for mapping destination`);
      weight = w;
    },
    cluster: (x, _e, n) => (cluster = str(x, n)),
  });
  if (destination === undefined) fail(m, `"${name}" needs a destination`);
  if (weight === undefined) fail(m, `"${name}" needs a weight for destination ${JSON.stringify(destination)}`);
  return cluster === undefined ? { destination, weight } : { destination, weight, cluster };
}

/**
 * `mappings { "src": "dst", "src2": [ { destination, weight } ] }`. Each mapping is checked as
 * nats-server adds it (destination functions, wildcard indexes, weights), with its errors.
 */
export function parseMappings(v: ConfValue, name: string): SubjectMappings {
  const out: SubjectMappings = {};
  for (const e of map(v, name).entries.values()) {
    if (e.usedAsVariable) continue;
    if (!isValidSubject(e.key)) fail(e, `"${name}": ${JSON.stringify(e.key)} is not a valid subject`);
    const n = `${name}.${e.key}`;
    const val = e.value;
    let dest: string | MappingDestination[];
    if (val.kind === "string") dest = val.value;
    else if (val.kind === "array") dest = val.items.map((i) => mappingDestination(i, n));
    else if (val.kind === "map") dest = [mappingDestination(val, n)];
    else fail(val, `invalid value for "${n}": expected a subject or weighted destinations`);
    try {
      compileMapping(e.key, destinationsOf(dest));
    } catch (err) {
      if (err instanceof MappingError) fail(e, mappingProblem(e.key, dest, err));
      throw err;
    }
    out[e.key] = dest;
  }
  return out;
}

/** An export with the position of its entry, checked once all accounts are known. */
interface Pending {
  value: ConfValue;
  accounts: string[];
  kind: string;
  /** For imports: what must be exported to the importer. */
  import?: { importer: string; kind: "stream" | "service"; account: string; subject: string };
}

function parseExport(v: ConfValue, name: string, ctx: MappingContext, pending: Pending[]): StreamExport | ServiceExport {
  const m = map(v, name);
  let stream: string | undefined;
  let service: string | undefined;
  let accounts: string[] | undefined;
  let responseType: ServiceExport["responseType"];
  let threshold: number | undefined;
  const rt = (x: ConfValue, _e: unknown, n: string) => {
    const t = RESPONSE_TYPES[str(x, n).toLowerCase()];
    if (!t) fail(x, `invalid value for "${n}": unknown response type ${JSON.stringify(str(x, n))} (singleton, stream, chunked)`);
    responseType = t;
  };
  const thr = (x: ConfValue, _e: unknown, n: string) => (threshold = durationMs(x, n));
  walkBlock(m, name, {
    stream: (x, _e, n) => (stream = str(x, n)),
    service: (x, _e, n) => (service = str(x, n)),
    accounts: (x, _e, n) => (accounts = stringList(x, n)),
    response: rt,
    response_type: rt,
    threshold: thr,
    response_threshold: thr,
    response_max_time: thr,
    response_time: thr,
    latency: (_x, e, n) => ctx.ignore(e, n),
    account_token_position: (_x, e, n) => ctx.ignore(e, n),
  });
  if (stream !== undefined && service !== undefined) fail(m, `"${name}" has both a stream and a service`);
  if (stream === undefined && service === undefined) fail(m, `"${name}" needs a stream or a service`);
  const subject = (stream ?? service) as string;
  if (!isValidSubject(subject)) fail(m, `"${name}": ${JSON.stringify(subject)} is not a valid subject`);
  if (accounts) pending.push({ value: m, accounts, kind: stream !== undefined ? "stream export" : "service export" });
  if (stream !== undefined) {
    if (responseType !== undefined || threshold !== undefined) fail(m, `"${name}": response settings apply to services only`);
    return accounts ? { stream, accounts } : { stream };
  }
  const exp: ServiceExport = { service: subject };
  if (accounts) exp.accounts = accounts;
  if (responseType) exp.responseType = responseType;
  if (threshold !== undefined) exp.responseThreshold = threshold;
  return exp;
}

function importSource(v: ConfValue, name: string): { account: string; subject: string } {
  let account: string | undefined;
  let subject: string | undefined;
  const m = map(v, name);
  walkBlock(m, name, {
    account: (x, _e, n) => (account = str(x, n)),
    subject: (x, _e, n) => (subject = str(x, n)),
  });
  if (!account || !subject) fail(m, `"${name}" needs an account and a subject`);
  return { account, subject };
}

function parseImport(v: ConfValue, name: string, ctx: MappingContext, pending: Pending[], importer: string): StreamImport | ServiceImport {
  const m = map(v, name);
  let stream: StreamImport["stream"] | undefined;
  let service: ServiceImport["service"] | undefined;
  let prefix: string | undefined;
  let to: string | undefined;
  walkBlock(m, name, {
    stream: (x, _e, n) => (stream = importSource(x, n)),
    service: (x, _e, n) => (service = importSource(x, n)),
    prefix: (x, _e, n) => (prefix = str(x, n)),
    to: (x, _e, n) => (to = str(x, n)),
    share: (_x, e, n) => ctx.ignore(e, n),
  });
  if (stream && service) fail(m, `"${name}" has both a stream and a service`);
  if (stream) {
    if (prefix !== undefined && to !== undefined) fail(m, `"${name}": a stream import cannot have both a prefix and a "to"`);
    pending.push({ value: m, accounts: [stream.account], kind: "stream import", import: { importer, kind: "stream", ...stream } });
    const imp: StreamImport = { stream };
    if (prefix !== undefined) imp.prefix = prefix;
    if (to !== undefined) imp.to = to;
    return imp;
  }
  if (service) {
    if (prefix !== undefined) fail(m, `"${name}": prefix applies to stream imports only`);
    pending.push({ value: m, accounts: [service.account], kind: "service import", import: { importer, kind: "service", ...service } });
    return to !== undefined ? { service, to } : { service };
  }
  return fail(m, `"${name}" needs a stream or a service`);
}

function parseAccount(name: string, v: ConfMap, where: string, ctx: MappingContext, pending: Pending[]): AccountConfig {
  const acc: AccountConfig = { name };
  let usersValue: ConfValue | undefined;
  let defaults: Permissions | undefined;
  walkBlock(v, where, {
    users: (x) => (usersValue = x),
    exports: (x, _e, n) => (acc.exports = array(x, n).items.map((i) => parseExport(i, n, ctx, pending))),
    imports: (x, _e, n) => (acc.imports = array(x, n).items.map((i) => parseImport(i, n, ctx, pending, name))),
    mappings: (x, _e, n) => (acc.mappings = parseMappings(x, n)),
    maps: (x, _e, n) => (acc.mappings = parseMappings(x, n)),
    default_permissions: (x, _e, n) => (defaults = parsePermissions(x, n)),
    jetstream: (x, e, n) => {
      ctx.ignore(e, n);
      acc.jetstream = toPlain(x);
    },
    nkey: (_x, e, n) => ctx.ignore(e, n),
    limits: (_x, e, n) => ctx.ignore(e, n),
  });
  if (usersValue) acc.users = parseUsers(usersValue, `${where}.users`, { account: name, defaultPermissions: defaults });
  return acc;
}

/** `accounts { A: { ... } }` or `accounts: [A, B]`. */
export function parseAccounts(v: ConfValue, name: string, ctx: MappingContext): AccountConfig[] {
  const accounts: AccountConfig[] = [];
  const pending: Pending[] = [];
  const seen = new Set<string>();
  const add = (acc: AccountConfig, pos: Position) => {
    if (acc.name === GLOBAL_ACCOUNT) throw new ConfigError(pos, `"${GLOBAL_ACCOUNT}" is a reserved account name`);
    if (seen.has(acc.name)) throw new ConfigError(pos, `account ${JSON.stringify(acc.name)} is defined twice`);
    seen.add(acc.name);
    accounts.push(acc);
  };
  if (v.kind === "array") {
    for (const item of v.items) add({ name: str(item, name) }, item.pos);
  } else {
    for (const e of map(v, name).entries.values()) {
      // Checked before the name: a key used as a $variable inside accounts is not an account.
      if (e.usedAsVariable) continue;
      const where = `${name}.${e.key}`;
      add(parseAccount(e.key, map(e.value, where), where, ctx, pending), e.keyPos);
    }
  }
  for (const p of pending) {
    for (const a of p.accounts) {
      if (!seen.has(a)) fail(p.value, `account ${JSON.stringify(a)} is not defined (used by a ${p.kind})`);
    }
  }
  // As nats-server, an import the exporting account does not grant stops the server at start.
  const specs = new Map(accounts.map((a) => [a.name, accountSpecFromConfig(a)]));
  for (const p of pending) {
    const i = p.import;
    if (!i) continue;
    const exporter = specs.get(i.account);
    if (exporter && !exportFor(exporter.exports, i.kind, i.subject, i.importer)) {
      fail(p.value, `Error adding ${i.kind} import ${JSON.stringify(i.subject)}: ${i.kind} import not authorized`);
    }
  }
  return accounts;
}
