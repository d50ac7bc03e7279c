/**
 * Account exports/imports and subject mappings from their two sources: the `accounts { }`
 * config block (and top-level `mappings`) and, in operator mode, the account JWTs the
 * resolver holds. Then wired into the server's accounts.
 */
import { decode } from "@nats-io/jwt";
import type { Server } from "../server";
import { compile } from "../auth";
import type { TrustedAccount } from "../jwt";
import { AccountSpec, ExportSpec, ImportSpec, linkAccounts, accountSpecFromConfig } from "./index";
import { configureSystemEvents } from "./system";
import { Mapping, MappingError, SubjectMapper, compileMapping, destinationsOf, mappingProblem } from "./mapping";
import { GLOBAL_ACCOUNT } from "../account";
import type { MappingDestination, SubjectMappings } from "../options";

interface JwtExport {
  subject?: string;
  type?: string;
  token_req?: boolean;
  response_type?: string;
  response_threshold?: number;
}
interface JwtImport {
  subject?: string;
  account?: string;
  type?: string;
  to?: string;
  local_subject?: string;
  token?: string;
}

/**
 * An account JWT's exports and imports. A `token_req` export is private: an import reaches it
 * only with an activation token signed by the exporter for the importer.
 */
function fromJwt(acc: TrustedAccount, all: Map<string, TrustedAccount>): AccountSpec {
  const nats = acc.claims.nats as { exports?: JwtExport[]; imports?: JwtImport[] };
  const exports: ExportSpec[] = (nats.exports ?? []).flatMap((e): ExportSpec[] => {
    if (!e.subject || (e.type !== "stream" && e.type !== "service")) return [];
    const responseType = e.response_type?.toLowerCase() as ExportSpec["responseType"];
    // Private: the importers are the ones holding activations; filled in from their imports.
    return [{ kind: e.type, subject: e.subject, accounts: e.token_req ? [] : undefined, responseType, responseThreshold: e.response_threshold ? e.response_threshold / 1e6 : undefined }];
  });
  const imports: ImportSpec[] = (nats.imports ?? []).flatMap((i): ImportSpec[] => {
    if (!i.subject || !i.account || (i.type !== "stream" && i.type !== "service")) return [];
    // As nats-server 2.9 reads them: without local_subject, a stream's `to` is a prefix, and a
    // service's `subject` is the local subject with `to` the exporter's (default the same).
    let spec: ImportSpec;
    if (i.type === "stream") {
      spec = i.local_subject ? { kind: "stream", account: i.account, subject: i.subject, to: i.local_subject } : { kind: "stream", account: i.account, subject: i.subject, prefix: i.to };
    } else if (i.local_subject) {
      spec = { kind: "service", account: i.account, subject: i.subject, to: i.local_subject };
    } else {
      spec = { kind: "service", account: i.account, subject: i.to || i.subject, to: i.subject };
    }
    if (i.token) activate(i, spec.subject, acc.publicKey, all);
    return [spec];
  });
  return { name: acc.publicKey, exports, imports };
}

/** Activations grant an importer a private export: remembered on the exporter's claims. */
const activations = new WeakMap<TrustedAccount, Set<string>>();

function activate(i: JwtImport, subject: string, importer: string, all: Map<string, TrustedAccount>): void {
  const exporter = all.get(i.account!);
  if (!exporter) return;
  try {
    const claims = decode<{ subject?: string }>(i.token!);
    if (claims.sub !== importer || !exporter.signers.has(claims.iss)) return;
    if (claims.exp && claims.exp * 1000 < Date.now()) return;
    let set = activations.get(exporter);
    if (!set) activations.set(exporter, (set = new Set()));
    set.add(`${importer} ${subject}`);
  } catch {
    /* a bad activation token grants nothing */
  }
}

/**
 * (Re)build every account's exports/imports for the server's current options: config accounts,
 * or the operator's accounts in operator mode.
 */
export function configureAccountLinks(server: Server): void {
  const trust = compile(server.opts).trust;
  let specs: AccountSpec[];
  if (trust) {
    const list = [...trust.accounts.values()];
    specs = list.map((a) => fromJwt(a, trust.accounts));
    // Private exports admit the importers that hold an activation for that subject.
    for (const spec of specs) {
      const granted = activations.get(trust.accounts.get(spec.name)!);
      for (const e of spec.exports) {
        if (e.accounts === undefined) continue;
        for (const other of specs) {
          for (const imp of other.imports) {
            if (imp.account === spec.name && granted?.has(`${other.name} ${imp.subject}`)) e.accounts.push(other.name);
          }
        }
      }
    }
    for (const p of trust.problems) server.log.error(p);
  } else {
    specs = server.opts.accounts.map(accountSpecFromConfig);
  }
  linkAccounts(server, specs, (msg) => server.log.error(msg));
  configureMappings(server, trust ? [...trust.accounts.values()] : undefined);
  configureSystemEvents(server);
}

/** An account JWT's `mappings` (a weight of 0 or none means 100, as nats-server reads it). */
function jwtMappings(acc: TrustedAccount): SubjectMappings | undefined {
  const raw = (acc.claims.nats as { mappings?: Record<string, Array<{ subject?: string; weight?: number; cluster?: string }>> }).mappings;
  if (!raw || typeof raw !== "object") return undefined;
  const out: SubjectMappings = {};
  for (const [src, list] of Object.entries(raw)) {
    if (!Array.isArray(list)) continue;
    out[src] = list.map((m): MappingDestination => {
      const d: MappingDestination = { destination: m.subject ?? "", weight: m.weight ? m.weight : 100 };
      if (m.cluster) d.cluster = m.cluster;
      return d;
    });
  }
  return out;
}

/**
 * (Re)compile every account's subject mappings: the top-level `mappings` for the global
 * account, then the config accounts' (or, in operator mode, the account JWTs'). Later
 * messages use the new ones; config files and options objects were checked already, a JWT's
 * bad mapping is logged and skipped as nats-server skips it.
 */
function configureMappings(server: Server, jwtAccounts: TrustedAccount[] | undefined): void {
  for (const acc of server.accounts.values()) acc.mappings = null;
  const clusterName = () => server.opts.cluster?.name ?? server.opts.gateway?.name ?? "";
  const set = (account: string, mappings: SubjectMappings | undefined) => {
    const list: Mapping[] = [];
    for (const [src, value] of Object.entries(mappings ?? {})) {
      try {
        list.push(compileMapping(src, destinationsOf(value)));
      } catch (e) {
        if (!(e instanceof MappingError)) throw e;
        server.log.error(`Account ${account}: ${mappingProblem(src, value, e)}`);
      }
    }
    if (list.length > 0) server.account(account).mappings = new SubjectMapper(list, clusterName);
  };
  set(GLOBAL_ACCOUNT, server.opts.mappings);
  if (jwtAccounts) for (const a of jwtAccounts) set(a.publicKey, jwtMappings(a));
  else for (const a of server.opts.accounts) set(a.name, a.mappings);
  // Leaf nodes already connected learn the new sources as interest.
  for (const leaf of server.leafs?.values() ?? []) leaf.addMappingInterest();
  if (server.leafs && server.leafs.size > 0) server.scheduleFlush();
}
