/**
 * Maps a parsed nats-server config file onto ServerOptions (durations in ms, sizes in bytes),
 * following server/opts.go of nats-server 2.9.10: same keys and aliases, case-insensitive.
 */
import { ServerOptions, UserConfig, withDefaults, DEFAULTS } from "../options";
import { ConfigError } from "./errors";
import { ConfigEnv, parseConfigFile } from "./parser";
import { parseAccounts, parseMappings, SubjectMappings } from "./accounts";
import { parseClientAuthorization } from "./auth";
import { parseCluster, parseGateway, parseLeafNodes } from "./peers";
import { parseTls } from "./tls";
import { parseOperators, parsePreload, parseResolver } from "./trust";
import { ConfEntry, ConfValue, ConfigDocument } from "./tree";
import {
  Handler,
  MappingContext,
  bool,
  durationAtLeast,
  durationMs,
  fail,
  hostPort,
  intIn,
  map,
  port,
  size,
  str,
  stringList,
  walkBlock,
} from "./values";

export { describeReloadChanges, RELOAD_REFUSED } from "./reload";
export type { ReloadChanges } from "./reload";
export type { SubjectMappings, MappingDestination } from "./accounts";
export type { ResolverConfig } from "./trust";

/** Result of mapping a config file. */
export interface LoadedConfig {
  options: ConfigServerOptions;
  /** `file:line:col: message` lines for keys accepted but ignored, deprecated forms, etc. */
  warnings: string[];
  /** Every file read (the config file, then its includes; absolute), e.g. to watch for reload. */
  files: string[];
}

/**
 * ServerOptions plus the top-level `mappings` (subject mappings of the global account), which
 * the shared contract does not carry yet.
 */
export type ConfigServerOptions = ServerOptions & { mappings?: SubjectMappings };

/** Real nats-server keys that only matter to features we do not have: accepted, warned about. */
export const IGNORED_TOP_LEVEL_KEYS: readonly string[] = [
  "jetstream",
  "store_dir",
  "storedir",
  "mqtt",
  "websocket",
  "ws",
  "syslog",
  "remote_syslog",
  "logfile_size_limit",
  "log_size_limit",
  "prof_port",
  "disable_sublist_cache",
  "no_sublist_cache",
  "connect_error_reports",
  "reconnect_error_reports",
  "max_sub_tokens",
  "max_subscription_tokens",
  "default_js_domain",
  "ocsp",
  "resolver_tls",
];

/** nats-server's cap on max_payload and max_control_line (int32). */
const INT32_MAX = 2 ** 31 - 1;
/** nats-server refuses shorter lame duck durations. */
const MIN_LAME_DUCK_MS = 30_000;

/** Mutable state while walking the top level. */
interface TopLevel {
  o: Partial<ConfigServerOptions>;
  ctx: MappingContext;
  noAuthUserEntry?: ConfEntry;
  systemAccountEntry?: ConfEntry;
}

function topLevelHandlers(t: TopLevel, env: ConfigEnv): Record<string, Handler> {
  const { o, ctx } = t;
  const host: Handler = (v, _e, n) => (o.host = str(v, n));
  const httpPort: Handler = (v, _e, n) => (o.httpPort = port(v, n));
  const maxConn: Handler = (v, _e, n) => (o.maxConnections = intIn(v, n, 0, Number.MAX_SAFE_INTEGER));
  const maxSubs: Handler = (v, _e, n) => (o.maxSubscriptions = intIn(v, n, 0, Number.MAX_SAFE_INTEGER));
  const logFile: Handler = (v, _e, n) => (o.logFile = str(v, n));
  const pidFile: Handler = (v, _e, n) => (o.pidFile = str(v, n));
  const leaf: Handler = (v, _e, n) => (o.leafnodes = parseLeafNodes(v, n, ctx, env));
  const operator: Handler = (v, _e, n) => (o.operator = parseOperators(v, n));
  const resolver: Handler = (v, _e, n) => (o.resolver = parseResolver(v, n));
  const system: Handler = (v, e, n) => {
    o.systemAccount = str(v, n);
    t.systemAccountEntry = e;
  };
  const noSystem: Handler = (v, _e, n) => (o.noSystemAccount = bool(v, n));
  const mappings: Handler = (v, _e, n) => (o.mappings = parseMappings(v, n));
  const ignore: Handler = (_v, e, n) => ctx.ignore(e, n);
  const handlers: Record<string, Handler> = {
    listen: (v, _e, n) => {
      const hp = hostPort(v, n);
      if (hp.host !== undefined) o.host = hp.host;
      o.port = hp.port;
    },
    host,
    net: host,
    // nats-server treats port 0 as "use the default".
    port: (v, _e, n) => (o.port = port(v, n) || DEFAULTS.port),
    server_name: (v, _e, n) => {
      const s = str(v, n);
      if (/\s/.test(s)) fail(v, `invalid value for "${n}": server name cannot contain spaces`);
      o.serverName = s;
    },
    client_advertise: (v, _e, n) => (o.clientAdvertise = str(v, n)),
    http: (v, _e, n) => {
      const hp = hostPort(v, n);
      if (hp.host !== undefined) o.httpHost = hp.host;
      o.httpPort = hp.port;
    },
    https: (v, _e, n) => {
      const hp = hostPort(v, n);
      if (hp.host !== undefined) o.httpHost = hp.host;
      o.httpsPort = hp.port;
    },
    http_port: httpPort,
    monitor_port: httpPort,
    https_port: (v, _e, n) => (o.httpsPort = port(v, n)),
    http_base_path: (v, _e, n) => (o.httpBasePath = str(v, n)),
    debug: (v, _e, n) => (o.debug = bool(v, n)),
    trace: (v, _e, n) => (o.trace = bool(v, n)),
    trace_verbose: (v, e, n) => {
      o.trace = bool(v, n) || o.trace;
      ctx.warn(e, `"${n}" is not supported by natsfleet-server yet; plain trace is used`);
    },
    logtime: (v, _e, n) => (o.logtime = bool(v, n)),
    logfile: logFile,
    log_file: logFile,
    pidfile: pidFile,
    pid_file: pidFile,
    ports_file_dir: (v, _e, n) => (o.portsFileDir = str(v, n)),
    max_payload: (v, _e, n) => (o.maxPayload = sizeAtMost(v, n, INT32_MAX)),
    max_control_line: (v, _e, n) => (o.maxControlLine = sizeAtMost(v, n, INT32_MAX)),
    max_pending: (v, _e, n) => (o.maxPending = size(v, n)),
    max_connections: maxConn,
    max_conn: maxConn,
    max_subscriptions: maxSubs,
    max_subs: maxSubs,
    ping_interval: (v, _e, n) => (o.pingInterval = positiveDuration(v, n, ctx)),
    ping_max: (v, _e, n) => (o.pingMax = intIn(v, n, 0, Number.MAX_SAFE_INTEGER)),
    write_deadline: (v, _e, n) => (o.writeDeadline = positiveDuration(v, n, ctx)),
    lame_duck_duration: (v, _e, n) => (o.lameDuckDuration = durationAtLeast(v, n, MIN_LAME_DUCK_MS, ctx)),
    lame_duck_grace_period: (v, _e, n) => (o.lameDuckGracePeriod = durationAtLeast(v, n, 0, ctx)),
    server_tags: (v, _e, n) => (o.serverTags = stringList(v, n)),
    tls: (v, _e, n) => (o.tls = parseTls(v, n, ctx)),
    allow_non_tls: (v, _e, n) => (o.allowNonTls = bool(v, n)),
    no_header_support: (v, _e, n) => (o.noHeaderSupport = bool(v, n)),
    max_traced_msg_len: (v, _e, n) => (o.maxTracedMsgLen = intIn(v, n, 0, Number.MAX_SAFE_INTEGER)),
    authorization: (v, _e, n) => (o.authorization = parseClientAuthorization(v, n)),
    no_auth_user: (v, e, n) => {
      o.noAuthUser = str(v, n);
      t.noAuthUserEntry = e;
    },
    accounts: (v, _e, n) => (o.accounts = parseAccounts(v, n, ctx)),
    system_account: system,
    system: system,
    no_system_account: noSystem,
    no_system: noSystem,
    no_sys_acc: noSystem,
    mappings,
    maps: mappings,
    operator,
    operators: operator,
    root: operator,
    roots: operator,
    root_operator: operator,
    root_operators: operator,
    resolver,
    account_resolver: resolver,
    accounts_resolver: resolver,
    resolver_preload: (v, _e, n) => (o.resolverPreload = parsePreload(v, n)),
    resolver_pinned_accounts: (_v, e, n) => ctx.refuse(e, n, "ignoring it would accept accounts that are not pinned"),
    trusted: (_v, e, n) => ctx.refuse(e, n, "ignoring it would skip operator trust checks; use operator"),
    trusted_keys: (_v, e, n) => ctx.refuse(e, n, "ignoring it would skip operator trust checks; use operator"),
    cluster: (v, _e, n) => (o.cluster = parseCluster(v, n, ctx)),
    gateway: (v, _e, n) => (o.gateway = parseGateway(v, n, ctx)),
    leaf: leaf,
    leafnodes: leaf,
  };
  for (const k of IGNORED_TOP_LEVEL_KEYS) handlers[k] = ignore;
  return handlers;
}

function sizeAtMost(v: ConfValue, name: string, max: number): number {
  const n = size(v, name);
  if (n > max) fail(v, `invalid value for "${name}": ${n} is too big (maximum ${max})`);
  return n;
}

function positiveDuration(v: ConfValue, name: string, ctx: MappingContext): number {
  const ms = durationMs(v, name, ctx);
  if (ms <= 0) fail(v, `invalid value for "${name}": must be greater than zero`);
  return ms;
}

function allUsers(o: Partial<ServerOptions>): UserConfig[] {
  return [...(o.authorization?.users ?? []), ...(o.accounts ?? []).flatMap((a) => a.users ?? [])];
}

/** Cross-key checks nats-server makes once the whole file is read. */
function checkConsistency(t: TopLevel, root: ConfigDocument["root"]): void {
  const o = t.o;
  const users = allUsers(o);
  const seen = new Set<string>();
  for (const u of users) {
    const id = u.nkey ?? u.user ?? "";
    if (seen.has(id)) {
      const at = root.entries.get("accounts") ?? root.entries.get("authorization");
      throw new ConfigError(at ? at.keyPos : root.pos, `user ${JSON.stringify(id)} is defined more than once`);
    }
    seen.add(id);
  }
  const accountUsers = (o.accounts ?? []).some((a) => (a.users ?? []).length > 0);
  const authEntry = [...root.entries.values()].find((e) => e.key.toLowerCase() === "authorization");
  if (accountUsers && authEntry && o.authorization?.user !== undefined) {
    throw new ConfigError(authEntry.keyPos, "cannot have a single authorization user and users in accounts");
  }
  if (accountUsers && authEntry && o.authorization?.token !== undefined) {
    throw new ConfigError(authEntry.keyPos, "cannot have an authorization token and users in accounts");
  }
  if (o.noAuthUser !== undefined && t.noAuthUserEntry) {
    if (!users.some((u) => u.user === o.noAuthUser || u.nkey === o.noAuthUser)) {
      throw new ConfigError(
        t.noAuthUserEntry.value.pos,
        `no_auth_user ${JSON.stringify(o.noAuthUser)} is not a user of the authorization block or of an account`,
      );
    }
  }
  // With an operator the system account comes from JWTs; otherwise it must be declared here.
  if (o.systemAccount !== undefined && t.systemAccountEntry && !o.operator && o.systemAccount !== "$SYS") {
    if (!(o.accounts ?? []).some((a) => a.name === o.systemAccount)) {
      throw new ConfigError(t.systemAccountEntry.value.pos, `system_account ${JSON.stringify(o.systemAccount)} is not a defined account`);
    }
  }
}

/** Maps a parsed document to options. Throws ConfigError on the first mistake. */
export function optionsFromConfig(doc: ConfigDocument, env: ConfigEnv = process.env): LoadedConfig {
  const ctx = new MappingContext();
  const t: TopLevel = { o: {}, ctx };
  walkBlock(doc.root, "", topLevelHandlers(t, env));
  checkConsistency(t, doc.root);
  const options = withDefaults(t.o) as ConfigServerOptions;
  options.unsupported = ctx.unsupported;
  options.configFile = doc.file;
  return { options, warnings: ctx.warnings, files: doc.files };
}

/** Reads, parses and maps a config file. Throws ConfigError. */
export function loadConfigFile(file: string, env: ConfigEnv = process.env): LoadedConfig {
  return optionsFromConfig(parseConfigFile(file, env), env);
}
