/**
 * /accountz: the account names, or one account's detail (connections, subscriptions, the
 * configured exports, imports and mappings, index statistics) in nats-server's AccountInfo layout.
 */
import type { Server } from "../server";
import type { AccountConfig, ServiceExport, ServiceImport, StreamExport, StreamImport } from "../options";
import { durationNs, goTime, preciseNow } from "./format";
import { QueryError, param } from "./query";
import { leafsOf } from "./sources";
import { sublistStats } from "./subsz";
import { systemAccountName } from "./varz";

export interface AccountzOptions {
  /** Detail of this account instead of the list. */
  acc?: string;
}

export function accountzOptions(q: URLSearchParams): AccountzOptions {
  return { acc: param(q, "acc") || undefined };
}

export function accountz(server: Server, o: AccountzOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { server_id: server.id, now: goTime(preciseNow()) };
  const sys = systemAccountName(server);
  if (sys) out.system_account = sys;
  if (o.acc === undefined) {
    out.accounts = [...server.accounts.keys()];
    return out;
  }
  out.account_detail = accountInfo(server, o.acc, sys);
  return out;
}

function accountInfo(server: Server, name: string, sys: string | undefined): Record<string, unknown> {
  const acc = server.accounts.get(name);
  if (!acc) throw new QueryError(`Account ${name} does not exist`);
  const cfg = server.opts.accounts.find((a) => a.name === name);
  let clients = 0;
  for (const c of server.clients.values()) if (c.account === acc) clients++;
  const leafs = leafsOf(server).filter((l) => l.account.name === name).length;
  const info: Record<string, unknown> = {
    account_name: name,
    update_time: goTime(server.configLoadTime.getTime()),
  };
  if (name === sys) info.is_system = true;
  Object.assign(info, {
    expired: false,
    complete: true,
    jetstream_enabled: false,
    leafnode_connections: leafs,
    client_connections: clients,
    subscriptions: acc.sublist.size,
  });
  // As nats-server lists them: cumulative weights in ascending order, the unmapped remainder included.
  const mappings = acc.mappings?.describe() ?? {};
  if (Object.keys(mappings).length > 0) info.mappings = mappings;
  const exports = renderExports(cfg);
  if (exports.length > 0) info.exports = exports;
  const imports = renderImports(cfg);
  if (imports.length > 0) info.imports = imports;
  info.sublist_stats = sublistStats(acc);
  return info;
}

function isService(e: StreamExport | ServiceExport): e is ServiceExport {
  return typeof (e as ServiceExport).service === "string";
}

function isServiceImport(i: StreamImport | ServiceImport): i is ServiceImport {
  return typeof (i as ServiceImport).service === "object" && (i as ServiceImport).service !== null;
}

const RESPONSE_TYPE: Record<string, string> = { singleton: "Singleton", stream: "Stream", chunked: "Chunked" };

/** Services first, then streams, as nats-server lists them. */
function renderExports(cfg: AccountConfig | undefined): Record<string, unknown>[] {
  const all = cfg?.exports ?? [];
  const out: Record<string, unknown>[] = [];
  for (const e of all.filter(isService)) {
    const x: Record<string, unknown> = { subject: e.service, type: "service", response_type: RESPONSE_TYPE[e.responseType ?? "singleton"] };
    if (e.responseThreshold) x.response_threshold = durationNs(e.responseThreshold);
    if (e.accounts && e.accounts.length > 0) x.approved_accounts = [...e.accounts];
    out.push(x);
  }
  for (const e of all) {
    if (isService(e)) continue;
    const x: Record<string, unknown> = { subject: e.stream, type: "stream" };
    if (e.accounts && e.accounts.length > 0) x.approved_accounts = [...e.accounts];
    out.push(x);
  }
  return out;
}

/** Streams first, then services; subjects as nats-server reports them (service `subject` is local). */
function renderImports(cfg: AccountConfig | undefined): Record<string, unknown>[] {
  const all = cfg?.imports ?? [];
  const flags = { invalid: false, share: false, tracking: false };
  const out: Record<string, unknown>[] = [];
  for (const i of all) {
    if (isServiceImport(i)) continue;
    const local = i.to ?? (i.prefix ? `${i.prefix}.${i.stream.subject}` : i.stream.subject);
    out.push({ subject: i.stream.subject, account: i.stream.account, local_subject: local, type: "stream", ...flags });
  }
  for (const i of all) {
    if (!isServiceImport(i)) continue;
    out.push({ subject: i.to ?? i.service.subject, account: i.service.account, to: i.service.subject, type: "service", ...flags });
  }
  return out;
}
