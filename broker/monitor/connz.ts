/**
 * /connz: open and closed client connections with paging, sorting and filters, as nats-server.
 */
import type { Server } from "../server";
import type { Client } from "../client";
import { goTime, preciseNow } from "./format";
import { ConnInfo, ConnRow, closedRow, openRow, renderConn } from "./conninfo";
import { QueryError, boolParam, intParam, param, subsParam, uintParam } from "./query";

/** Page size when no (or a non-positive) limit is given. */
export const DEFAULT_CONN_LIST_SIZE = 1024;

export type ConnState = "open" | "closed" | "any";

export const SORT_KEYS = [
  "cid",
  "start",
  "subs",
  "pending",
  "msgs_to",
  "msgs_from",
  "bytes_to",
  "bytes_from",
  "last",
  "idle",
  "uptime",
  "stop",
  "reason",
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface ConnzOptions {
  sort?: SortKey;
  /** Include authorized user and account. */
  auth?: boolean;
  subs?: boolean;
  subsDetail?: boolean;
  offset?: number;
  limit?: number;
  /** Only this connection id. */
  cid?: number;
  state?: ConnState;
  /** Only connections of this user (needs auth). */
  user?: string;
  /** Only connections bound to this account. */
  acc?: string;
}

export interface Connz {
  server_id: string;
  now: string;
  num_connections: number;
  total: number;
  offset: number;
  limit: number;
  connections: ConnInfo[];
}

/** Decode /connz query parameters (nats-server's names and errors). */
export function connzOptions(q: URLSearchParams): ConnzOptions {
  const sort = param(q, "sort");
  const auth = boolParam(q, "auth");
  const { subs, detail } = subsParam(q);
  const offset = intParam(q, "offset");
  const limit = intParam(q, "limit");
  const cid = uintParam(q, "cid");
  const stateStr = param(q, "state").toLowerCase();
  let state: ConnState;
  if (stateStr === "" || stateStr === "open") state = "open";
  else if (stateStr === "closed") state = "closed";
  else if (stateStr === "any" || stateStr === "all") state = "any";
  else throw new QueryError(`Error decoding state for ${param(q, "state")}`);
  if (sort !== "" && !(SORT_KEYS as readonly string[]).includes(sort)) {
    throw new QueryError(`invalid sorting option: ${sort}`);
  }
  return {
    sort: (sort || undefined) as SortKey | undefined,
    auth,
    subs,
    subsDetail: detail,
    offset,
    limit,
    cid,
    state,
    user: param(q, "user") || undefined,
    acc: param(q, "acc") || undefined,
  };
}

export function connz(server: Server, o: ConnzOptions = {}): Connz {
  const sort: SortKey = o.sort ?? "cid";
  if (!SORT_KEYS.includes(sort)) throw new QueryError(`invalid sorting option: ${sort}`);
  const state = o.state ?? "open";
  if (sort === "stop" && state !== "closed") throw new QueryError("sort by stop only valid on closed connections");
  if (sort === "reason" && state !== "closed") throw new QueryError("sort by reason only valid on closed connections");
  const offset = Math.max(0, o.offset ?? 0);
  let limit = o.limit && o.limit > 0 ? o.limit : DEFAULT_CONN_LIST_SIZE;
  const cid = o.cid ?? 0;
  if (cid > 0) limit = 1;
  const now = preciseNow();

  const keep = (r: ConnRow) =>
    (cid === 0 || r.cid === cid) && (o.acc === undefined || r.account === o.acc) && (o.user === undefined || r.user === o.user);
  const rows: ConnRow[] = [];
  if (state !== "closed") {
    const c = cid > 0 ? server.clients.get(cid) : undefined;
    const open: Iterable<Client> = cid > 0 ? (c ? [c] : []) : server.clients.values();
    for (const client of open) {
      const r = openRow(client);
      if (keep(r)) rows.push(r);
    }
  }
  if (state !== "open") {
    for (const cc of server.closed) {
      const r = closedRow(cc);
      if (keep(r)) rows.push(r);
    }
  }
  rows.sort(comparator(sort, now));
  const page = rows.slice(Math.min(offset, rows.length), Math.min(offset + limit, rows.length));
  const render = { subs: !!o.subs, detail: !!o.subsDetail, auth: !!o.auth };
  return {
    server_id: server.id,
    now: goTime(now),
    num_connections: page.length,
    total: rows.length,
    offset,
    limit,
    connections: page.map((r) => renderConn(r, now, render)),
  };
}

type Cmp = (a: ConnRow, b: ConnRow) => number;

/**
 * nats-server's orders: cid/start and reason ascending, uptime shortest first, everything else
 * largest first. Ties fall back to cid so pages are stable between requests.
 */
function comparator(sort: SortKey, now: number): Cmp {
  const desc = (f: (r: ConnRow) => number): Cmp => (a, b) => f(b) - f(a) || a.cid - b.cid;
  const asc = (f: (r: ConnRow) => number): Cmp => (a, b) => f(a) - f(b) || a.cid - b.cid;
  const end = (r: ConnRow) => r.stop ?? now;
  switch (sort) {
    case "cid":
    case "start":
      return (a, b) => a.cid - b.cid;
    case "subs":
      return desc((r) => r.numSubs);
    case "pending":
      return desc((r) => r.pending);
    case "msgs_to":
      return desc((r) => r.outMsgs);
    case "msgs_from":
      return desc((r) => r.inMsgs);
    case "bytes_to":
      return desc((r) => r.outBytes);
    case "bytes_from":
      return desc((r) => r.inBytes);
    case "last":
      return desc((r) => r.lastActivity);
    case "idle":
      return desc((r) => end(r) - r.lastActivity);
    case "uptime":
      return asc((r) => end(r) - r.start);
    case "stop":
      return desc((r) => r.stop ?? 0);
    case "reason":
      return (a, b) => byteOrder(a.reason ?? "", b.reason ?? "") || a.cid - b.cid;
  }
}

/** Go compares strings bytewise, not by locale. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
