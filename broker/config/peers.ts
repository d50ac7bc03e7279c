/** `cluster { }`, `gateway { }` and `leafnodes { }`: how servers connect to each other. */
import * as os from "os";
import {
  ClusterOptions,
  GatewayOptions,
  LeafNodeOptions,
  RemoteGatewayOptions,
  RemoteLeafOptions,
} from "../options";
import { ConfEntry, ConfValue } from "./tree";
import { parseLeafAuthorization, parsePeerAuthorization, parsePermissions } from "./auth";
import { parseTls } from "./tls";
import { ConfigEnv } from "./parser";
import {
  MappingContext,
  array,
  bool,
  durationMs,
  fail,
  hostPort,
  int,
  intIn,
  isValidPermissionSubject,
  map,
  port,
  str,
  stringList,
  walkBlock,
} from "./values";

const ANY_HOST = "0.0.0.0";

/** A route/gateway/leafnode URL: must parse, as nats-server's url.Parse requires. */
function urlList(v: ConfValue, name: string): string[] {
  const items = v.kind === "array" ? v.items : [v];
  const out: string[] = [];
  for (const item of items) {
    const s = str(item, name).trim();
    let ok = false;
    try {
      ok = new URL(s).host !== "";
    } catch {
      ok = false;
    }
    if (!ok) fail(item, `invalid value for "${name}": ${JSON.stringify(s)} is not a URL like nats://host:port`);
    // Duplicates are dropped, as nats-server does (it warns).
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

function listen(target: { host: string; port: number }, v: ConfValue, name: string): void {
  const hp = hostPort(v, name);
  if (hp.host !== undefined) target.host = hp.host;
  target.port = hp.port;
}

export function parseCluster(value: ConfValue, where: string, ctx: MappingContext): ClusterOptions {
  const c: ClusterOptions = { host: ANY_HOST, port: 0, routes: [] };
  let explicitPermissions = false;
  const host = (v: ConfValue, _e: ConfEntry, n: string) => (c.host = str(v, n));
  const advertise = (v: ConfValue, _e: ConfEntry, n: string) => (c.advertise = str(v, n));
  walkBlock(map(value, where), where, {
    name: (v, _e, n) => (c.name = str(v, n)),
    listen: (v, _e, n) => listen(c, v, n),
    port: (v, _e, n) => (c.port = port(v, n)),
    host,
    net: host,
    authorization: (v, _e, n) => {
      const { auth, permissions } = parsePeerAuthorization(v, n, "cluster", ctx);
      c.authorization = auth;
      if (permissions && !explicitPermissions) c.permissions = { import: permissions.publish, export: permissions.subscribe };
    },
    routes: (v, _e, n) => (c.routes = urlList(v, n)),
    tls: (v, _e, n) => (c.tls = parseTls(v, n, ctx)),
    advertise,
    cluster_advertise: advertise,
    no_advertise: (v, _e, n) => (c.noAdvertise = bool(v, n)),
    connect_retries: (v, _e, n) => (c.connectRetries = intIn(v, n, 0, Number.MAX_SAFE_INTEGER)),
    permissions: (v, _e, n) => {
      const p = parsePermissions(v, n);
      if (p.allowResponses) fail(v, `"${n}": cluster permissions do not support allow_responses`);
      // Import (what we accept from the route) is written as publish, export as subscribe.
      c.permissions = { import: p.publish, export: p.subscribe };
      explicitPermissions = true;
    },
    // nats-server 2.10 key; accepted so that newer configs keep working.
    pool_size: (v, _e, n) => (c.poolSize = intIn(v, n, -1, 1024)),
  });
  return c;
}

function parseRemoteGateway(value: ConfValue, where: string, ctx: MappingContext): RemoteGatewayOptions {
  const m = map(value, where);
  let name: string | undefined;
  const urls: string[] = [];
  let tls: RemoteGatewayOptions["tls"];
  walkBlock(m, where, {
    name: (v, _e, n) => (name = str(v, n)),
    url: (v, _e, n) => urls.push(...urlList(v, n)),
    urls: (v, _e, n) => urls.push(...urlList(array(v, n), n)),
    tls: (v, _e, n) => (tls = parseTls(v, n, ctx)),
  });
  if (!name) fail(m, `"${where}" entry needs a name`);
  if (urls.length === 0) fail(m, `gateway ${JSON.stringify(name)} has no url`);
  return tls ? { name, urls, tls } : { name, urls };
}

export function parseGateway(value: ConfValue, where: string, ctx: MappingContext): GatewayOptions {
  const m = map(value, where);
  const g: GatewayOptions = { name: "", host: ANY_HOST, port: 0, gateways: [] };
  const host = (v: ConfValue, _e: ConfEntry, n: string) => (g.host = str(v, n));
  const reject = (v: ConfValue, _e: ConfEntry, n: string) => (g.rejectUnknown = bool(v, n));
  walkBlock(m, where, {
    name: (v, _e, n) => (g.name = str(v, n)),
    listen: (v, _e, n) => listen(g, v, n),
    port: (v, _e, n) => (g.port = port(v, n)),
    host,
    net: host,
    authorization: (v, _e, n) => (g.authorization = parsePeerAuthorization(v, n, "gateway", ctx).auth),
    tls: (v, _e, n) => (g.tls = parseTls(v, n, ctx)),
    advertise: (v, _e, n) => (g.advertise = str(v, n)),
    connect_retries: (v, _e, n) => (g.connectRetries = intIn(v, n, 0, Number.MAX_SAFE_INTEGER)),
    gateways: (v, _e, n) => (g.gateways = array(v, n).items.map((i) => parseRemoteGateway(i, n, ctx))),
    reject_unknown: reject,
    reject_unknown_cluster: reject,
  });
  if (!g.name && (g.port !== 0 || g.gateways.length > 0)) fail(m, `"${where}" needs a name`);
  if (/\s/.test(g.name)) fail(m, `gateway name ${JSON.stringify(g.name)} cannot contain spaces`);
  return g;
}

/** nats-server expands `~` and environment variables in credentials paths. */
function expandPath(p: string, env: ConfigEnv): string {
  const expanded = p.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string, b: string) => env[a ?? b] ?? "");
  if (expanded === "~" || expanded.startsWith("~/")) return os.homedir() + expanded.slice(1);
  return expanded;
}

function permSubjects(v: ConfValue, name: string): string[] {
  const list = stringList(v, name);
  for (const s of list) {
    if (!isValidPermissionSubject(s)) fail(v, `invalid value for "${name}": ${JSON.stringify(s)} is not a valid subject`);
  }
  return list;
}

function parseRemoteLeaf(value: ConfValue, where: string, ctx: MappingContext, env: ConfigEnv): RemoteLeafOptions {
  const m = map(value, where);
  const r: RemoteLeafOptions = { urls: [] };
  const noRandomize = (v: ConfValue, _e: ConfEntry, n: string) => (r.noRandomize = bool(v, n));
  const urls = (v: ConfValue, _e: ConfEntry, n: string) => (r.urls = urlList(v, n));
  const account = (v: ConfValue, _e: ConfEntry, n: string) => (r.account = str(v, n));
  const creds = (v: ConfValue, _e: ConfEntry, n: string) => (r.credentials = expandPath(str(v, n), env));
  const denyImports = (v: ConfValue, _e: ConfEntry, n: string) => (r.denyImports = permSubjects(v, n));
  const denyExports = (v: ConfValue, _e: ConfEntry, n: string) => (r.denyExports = permSubjects(v, n));
  const ignore = (_v: ConfValue, e: ConfEntry, n: string) => ctx.ignore(e, n);
  walkBlock(m, where, {
    no_randomize: noRandomize,
    dont_randomize: noRandomize,
    url: urls,
    urls,
    account,
    local: account,
    creds,
    credentials: creds,
    tls: (v, _e, n) => (r.tls = parseTls(v, n, ctx)),
    hub: (v, _e, n) => (r.hub = bool(v, n)),
    deny_imports: denyImports,
    deny_import: denyImports,
    deny_exports: denyExports,
    deny_export: denyExports,
    ws_compress: ignore,
    ws_compression: ignore,
    websocket_compress: ignore,
    websocket_compression: ignore,
    ws_no_masking: ignore,
    websocket_no_masking: ignore,
    jetstream_cluster_migrate: ignore,
    js_cluster_migrate: ignore,
  });
  if (r.urls.length === 0) fail(m, `"${where}" entry needs a url`);
  return r;
}

export function parseLeafNodes(value: ConfValue, where: string, ctx: MappingContext, env: ConfigEnv): LeafNodeOptions {
  const l: LeafNodeOptions = { host: ANY_HOST, port: 0, remotes: [] };
  const host = (v: ConfValue, _e: ConfEntry, n: string) => (l.host = str(v, n));
  const advertise = (v: ConfValue, _e: ConfEntry, n: string) => (l.advertise = str(v, n));
  const reconnect = (v: ConfValue, _e: ConfEntry, n: string) => {
    // nats-server takes an integer number of seconds; we also take a duration string.
    l.reconnectInterval = v.kind === "integer" && !/[a-z]/i.test(v.raw) ? int(v, n) * 1000 : durationMs(v, n);
  };
  walkBlock(map(value, where), where, {
    listen: (v, _e, n) => listen(l, v, n),
    port: (v, _e, n) => (l.port = port(v, n)),
    host,
    net: host,
    authorization: (v, _e, n) => (l.authorization = parseLeafAuthorization(v, n)),
    remotes: (v, _e, n) => (l.remotes = array(v, n).items.map((i) => parseRemoteLeaf(i, n, ctx, env))),
    reconnect,
    reconnect_delay: reconnect,
    reconnect_interval: reconnect,
    tls: (v, _e, n) => (l.tls = parseTls(v, n, ctx)),
    advertise,
    leafnode_advertise: advertise,
    no_advertise: (v, _e, n) => (l.noAdvertise = bool(v, n)),
    min_version: (_v, e, n) => ctx.ignore(e, n),
    minimum_version: (_v, e, n) => ctx.ignore(e, n),
  });
  return l;
}
