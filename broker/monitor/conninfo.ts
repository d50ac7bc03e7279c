/**
 * One connection as /connz (and /gatewayz) shows it: nats-server's ConnInfo, field for field and
 * in its order, with Go's omitempty rules applied.
 */
import type { TLSSocket } from "tls";
import type { ClosedClient } from "../server";
import { GLOBAL_ACCOUNT } from "../account";
import { goDuration, goTime, uptime } from "./format";
import type { ConnView, SubView } from "./sources";

/** A subscription entry of `subscriptions_list_detail` / subsz `subscriptions_list`. */
export interface SubDetail {
  account?: string;
  subject: string;
  qgroup?: string;
  sid: string;
  msgs: number;
  max?: number;
  cid: number;
}

export type ConnInfo = Record<string, unknown>;

/** What a ConnInfo is built from, open or closed; kept to sort before rendering. */
export interface ConnRow {
  cid: number;
  kind: string;
  type?: string;
  ip: string;
  port: number;
  start: number;
  lastActivity: number;
  stop?: number;
  reason?: string;
  rtt: number;
  pending: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  numSubs: number;
  name?: string;
  lang?: string;
  version?: string;
  tlsVersion?: string;
  tlsCipher?: string;
  user?: string;
  account?: string;
  /** Subscriptions, with detail when the connection is open. */
  subs: Array<SubView | string>;
}

/** nats-server calls client connections "nats" (others would be websocket, mqtt). */
const CLIENT_TYPE = "nats";

export function openRow(c: ConnView & { user?: string; sock?: unknown }): ConnRow {
  const kind = c.kindName ?? "Client";
  const row: ConnRow = {
    cid: c.cid,
    kind,
    type: kind === "Client" ? CLIENT_TYPE : undefined,
    ip: c.ip,
    port: c.port,
    start: c.start,
    lastActivity: c.lastActivity,
    rtt: c.rtt,
    pending: c.pendingBytes,
    inMsgs: c.inMsgs,
    outMsgs: c.outMsgs,
    inBytes: c.inBytes,
    outBytes: c.outBytes,
    numSubs: c.subs.size,
    name: c.opts?.name,
    lang: c.opts?.lang,
    version: c.opts?.version,
    user: c.user,
    account: c.account?.name,
    subs: [...c.subs.values()],
  };
  const tls = tlsState(c.sock);
  if (tls) {
    row.tlsVersion = tls.version;
    row.tlsCipher = tls.cipher;
  }
  return row;
}

export function closedRow(c: ClosedClient): ConnRow {
  return {
    cid: c.cid,
    kind: "Client",
    type: CLIENT_TYPE,
    ip: c.ip,
    port: c.port,
    start: c.start,
    lastActivity: c.lastActivity,
    stop: c.stop,
    reason: c.reason,
    rtt: c.rtt,
    pending: 0,
    inMsgs: c.inMsgs,
    outMsgs: c.outMsgs,
    inBytes: c.inBytes,
    outBytes: c.outBytes,
    numSubs: c.subscriptions.length,
    name: c.name,
    lang: c.lang,
    version: c.version,
    user: c.user,
    account: c.account,
    subs: c.subscriptions,
  };
}

export interface RenderOptions {
  subs: boolean;
  detail: boolean;
  auth: boolean;
}

/** Render a row as nats-server's ConnInfo JSON object. */
export function renderConn(r: ConnRow, now: number, o: RenderOptions): ConnInfo {
  // A closed connection's clock stopped when it closed.
  const end = r.stop ?? now;
  const ci: ConnInfo = { cid: r.cid, kind: r.kind };
  if (r.type) ci.type = r.type;
  ci.ip = r.ip;
  ci.port = r.port;
  ci.start = goTime(r.start);
  ci.last_activity = goTime(r.lastActivity);
  if (r.stop !== undefined) ci.stop = goTime(r.stop);
  if (r.reason) ci.reason = r.reason;
  ci.rtt = goDuration(Math.round(r.rtt * 1e6));
  ci.uptime = uptime(end - r.start);
  ci.idle = uptime(end - r.lastActivity);
  ci.pending_bytes = r.pending;
  ci.in_msgs = r.inMsgs;
  ci.out_msgs = r.outMsgs;
  ci.in_bytes = r.inBytes;
  ci.out_bytes = r.outBytes;
  ci.subscriptions = r.numSubs;
  if (r.name) ci.name = r.name;
  if (r.lang) ci.lang = r.lang;
  if (r.version) ci.version = r.version;
  if (r.tlsVersion) ci.tls_version = r.tlsVersion;
  if (r.tlsCipher) ci.tls_cipher_suite = r.tlsCipher;
  if (o.auth) {
    if (r.user) ci.authorized_user = r.user;
    // nats-server names the account only when it is not the global one.
    if (r.account && r.account !== GLOBAL_ACCOUNT) ci.account = r.account;
  }
  if (r.subs.length > 0 && (o.subs || o.detail)) {
    const withDetail = r.subs.filter((s): s is SubView => typeof s !== "string");
    // Closed connections keep subjects only, so detail falls back to the plain list for them.
    if (o.detail && withDetail.length === r.subs.length) {
      ci.subscriptions_list_detail = withDetail.map((s) => subDetail(s, r.cid));
    } else {
      ci.subscriptions_list = r.subs.map((s) => (typeof s === "string" ? s : s.subject));
    }
  }
  return ci;
}

/** nats-server's SubDetail, in Go's field order (account only where it says so: subsz, not connz). */
export function subDetail(s: SubView, cid: number, account?: string): SubDetail {
  const d = (account ? { account } : {}) as SubDetail;
  d.subject = s.subject;
  if (s.queue) d.qgroup = s.queue;
  d.sid = s.sid;
  d.msgs = s.delivered ?? 0;
  if (s.max) d.max = s.max;
  d.cid = cid;
  return d;
}

/** Go's tls_version ("1.3") and cipher suite name, when the socket is TLS and handshaken. */
function tlsState(sock: unknown): { version: string; cipher: string } | undefined {
  const t = sock as Partial<TLSSocket> | undefined;
  if (!t || typeof t.getProtocol !== "function" || typeof t.getCipher !== "function") return undefined;
  const proto = t.getProtocol();
  if (!proto) return undefined;
  const cipher = t.getCipher();
  return { version: proto.replace(/^TLSv/, ""), cipher: cipher?.standardName ?? cipher?.name ?? "" };
}
