/**
 * /routez, /gatewayz and /leafz: the server's peers. They read the optional cluster fields of
 * `sources.ts`, so they are empty (and correctly shaped) until clustering provides them.
 */
import type { Server } from "../server";
import type { SubjectPermission } from "../options";
import { goDuration, goTime, preciseNow, uptime } from "./format";
import { ConnInfo, openRow, renderConn, subDetail } from "./conninfo";
import { boolParam, param, subsParam } from "./query";
import { cluster, leafsOf, routesOf, GatewayConnView } from "./sources";

// ---- /routez -----------------------------------------------------------------------------------

export interface RoutezOptions {
  subs?: boolean;
  subsDetail?: boolean;
}

export function routezOptions(q: URLSearchParams): RoutezOptions {
  const { subs, detail } = subsParam(q);
  return { subs, subsDetail: detail };
}

export function routez(server: Server, o: RoutezOptions = {}): Record<string, unknown> {
  const now = preciseNow();
  const out: Record<string, unknown> = { server_id: server.id, now: goTime(now) };
  const perms = server.opts.cluster?.permissions;
  const imp = permission(perms?.import);
  const exp = permission(perms?.export);
  if (imp) out.import = imp;
  if (exp) out.export = exp;
  const routes = routesOf(server);
  out.num_routes = routes.length;
  out.routes = routes.map((r) => {
    const ri: Record<string, unknown> = {
      rid: r.cid,
      remote_id: r.remoteId,
      did_solicit: r.didSolicit,
      is_configured: r.isConfigured,
      ip: r.ip,
      port: r.port,
      start: goTime(r.start),
      last_activity: goTime(r.lastActivity),
      rtt: goDuration(Math.round(r.rtt * 1e6)),
      uptime: uptime(now - r.start),
      idle: uptime(now - r.lastActivity),
    };
    if (imp) ri.import = imp;
    if (exp) ri.export = exp;
    Object.assign(ri, {
      pending_size: r.pendingBytes,
      in_msgs: r.inMsgs,
      out_msgs: r.outMsgs,
      in_bytes: r.inBytes,
      out_bytes: r.outBytes,
      subscriptions: r.subs.size,
    });
    if (r.subs.size > 0) {
      if (o.subsDetail) ri.subscriptions_list_detail = [...r.subs.values()].map((s) => subDetail(s, r.cid));
      else if (o.subs) ri.subscriptions_list = [...r.subs.values()].map((s) => s.subject);
    }
    return ri;
  });
  return out;
}

function permission(p: SubjectPermission | undefined): SubjectPermission | undefined {
  if (!p) return undefined;
  const out: SubjectPermission = {};
  if (p.allow && p.allow.length > 0) out.allow = [...p.allow];
  if (p.deny && p.deny.length > 0) out.deny = [...p.deny];
  return out.allow || out.deny ? out : undefined;
}

// ---- /gatewayz ---------------------------------------------------------------------------------

export interface GatewayzOptions {
  /** Only this remote gateway. */
  name?: string;
  /** Include per-account interest (not tracked yet: omitted). */
  accounts?: boolean;
  accountName?: string;
}

export function gatewayzOptions(q: URLSearchParams): GatewayzOptions {
  const accounts = boolParam(q, "accs");
  const accountName = param(q, "acc_name") || undefined;
  return { name: param(q, "gw_name") || undefined, accounts: accounts || accountName !== undefined, accountName };
}

export function gatewayz(server: Server, o: GatewayzOptions = {}): Record<string, unknown> {
  const now = preciseNow();
  const gw = cluster(server).gateways;
  const out: Record<string, unknown> = { server_id: server.id, now: goTime(now) };
  if (!gw) {
    out.outbound_gateways = {};
    out.inbound_gateways = {};
    return out;
  }
  out.name = gw.name;
  if (gw.host) out.host = gw.host;
  if (gw.port) out.port = gw.port;
  const render = (c: GatewayConnView): ConnInfo => {
    const row = openRow(c);
    if (!c.kindName) {
      row.kind = "Gateway";
      row.type = undefined;
    }
    return renderConn(row, now, { subs: false, detail: false, auth: false });
  };
  const outbound: Record<string, unknown> = {};
  for (const [name, c] of gw.outbound) {
    if (o.name !== undefined && o.name !== name) continue;
    outbound[name] = { configured: c.configured ?? false, connection: render(c) };
  }
  const inbound: Record<string, unknown[]> = {};
  for (const c of gw.inbound) {
    if (o.name !== undefined && o.name !== c.name) continue;
    (inbound[c.name] ??= []).push({ configured: false, connection: render(c) });
  }
  out.outbound_gateways = outbound;
  out.inbound_gateways = inbound;
  return out;
}

// ---- /leafz ------------------------------------------------------------------------------------

export interface LeafzOptions {
  subs?: boolean;
  /** Only leaf connections bound to this account. */
  acc?: string;
}

export function leafzOptions(q: URLSearchParams): LeafzOptions {
  return { subs: boolParam(q, "subs"), acc: param(q, "acc") || undefined };
}

export function leafz(server: Server, o: LeafzOptions = {}): Record<string, unknown> {
  const leafs = leafsOf(server).filter((l) => o.acc === undefined || l.account.name === o.acc);
  const list = leafs.map((l) => {
    const li: Record<string, unknown> = {
      account: l.account.name,
      ip: l.ip,
      port: l.port,
      rtt: goDuration(Math.round(l.rtt * 1e6)),
      in_msgs: l.inMsgs,
      out_msgs: l.outMsgs,
      in_bytes: l.inBytes,
      out_bytes: l.outBytes,
      subscriptions: l.subs.size,
    };
    if (o.subs && l.subs.size > 0) li.subscriptions_list = [...l.subs.values()].map((s) => s.subject);
    return li;
  });
  // nats-server leaves `leafs` null (Go nil slice) when there are none.
  return { server_id: server.id, now: goTime(preciseNow()), leafnodes: list.length, leafs: list.length > 0 ? list : null };
}
