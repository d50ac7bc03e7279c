/**
 * Options objects given to the embedding API are checked here, field by field, so a mistake
 * is reported as `server option "cluster.port": ...` at createServer time instead of
 * surfacing later as a TypeError deep inside a listener. Config files are checked by
 * broker/config with file:line positions; what they produce passes these checks too.
 */
import {
  AccountConfig,
  AuthorizationOptions,
  ClusterInput,
  GatewayInput,
  LeafNodeInput,
  MappingDestination,
  Permissions,
  RemoteGatewayOptions,
  RemoteLeafOptions,
  ResolverConfig,
  ServerOptions,
  ServerOptionsInput,
  ServiceExport,
  ServiceImport,
  StreamExport,
  StreamImport,
  SubjectPermission,
  TlsOptions,
  UnsupportedBlock,
  UserConfig,
  withDefaults,
} from "../options";
import {
  Check,
  OptionsError,
  anything,
  bool,
  bytes,
  count,
  describe,
  expect,
  intIn,
  isPlainObject,
  list,
  ms,
  noSpaces,
  nonEmpty,
  obj,
  oneOf,
  permissionSubject,
  port,
  positiveMs,
  record,
  required,
  sha256,
  str,
  subject,
  url,
} from "./checks";
import { checkAccounts, checkUsers } from "./rules";
import { MappingError, compileMapping, destinationsOf, mappingProblem } from "../accounts/mapping";

export { OptionsError } from "./checks";

const GLOBAL_ACCOUNT = "$G";
const USER_NKEY = /^U[A-Z2-7]{55}$/;
const CONNECTION_TYPES = ["STANDARD", "WEBSOCKET", "LEAFNODE", "LEAFNODE_WS", "MQTT", "MQTT_WS"];

const TLS = obj<TlsOptions>(
  {
    certFile: str,
    keyFile: str,
    caFile: str,
    verify: bool,
    verifyAndMap: bool,
    insecure: bool,
    timeout: ms,
    pinnedCerts: list(sha256),
    cipherSuites: list(nonEmpty, 1),
    curvePreferences: list(nonEmpty, 1),
    handshakeFirst: bool,
  },
  (t, at) => {
    if (t.certFile !== undefined && t.keyFile === undefined) throw new OptionsError(`${at}.keyFile`, "is required with certFile");
    if (t.keyFile !== undefined && t.certFile === undefined) throw new OptionsError(`${at}.certFile`, "is required with keyFile");
  },
);

const SUBJECT_PERMISSION = obj<SubjectPermission>({ allow: list(permissionSubject), deny: list(permissionSubject) });

const PERMISSIONS = obj<Permissions>({
  publish: SUBJECT_PERMISSION,
  subscribe: SUBJECT_PERMISSION,
  allowResponses: obj<NonNullable<Permissions["allowResponses"]>>({
    maxMsgs: required(intIn(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, "an integer (negative: unlimited)")),
    expires: required(ms),
  }),
});

const USER = obj<UserConfig>(
  {
    user: nonEmpty,
    password: str,
    nkey: expect("a public user nkey (U followed by 55 base32 characters)", (v) => typeof v === "string" && USER_NKEY.test(v)),
    permissions: PERMISSIONS,
    account: nonEmpty,
    allowedConnectionTypes: list(oneOf(CONNECTION_TYPES)),
  },
  (u, at) => {
    if (u.nkey !== undefined && (u.user !== undefined || u.password !== undefined)) {
      throw new OptionsError(at, "an nkey user takes no user or password");
    }
    if (u.nkey === undefined && u.user === undefined) throw new OptionsError(`${at}.user`, "is required (or an nkey)");
  },
);

const AUTHORIZATION = obj<AuthorizationOptions>(
  {
    user: nonEmpty,
    password: str,
    token: nonEmpty,
    timeout: ms,
    users: list(USER),
    defaultPermissions: PERMISSIONS,
    account: nonEmpty,
  },
  (a, at) => {
    if (a.token !== undefined && (a.user !== undefined || a.password !== undefined)) {
      throw new OptionsError(at, "cannot have both a user/password and a token");
    }
    if (a.users !== undefined && a.users.length > 0 && (a.user !== undefined || a.token !== undefined)) {
      throw new OptionsError(at, "cannot have both users and a single user or token");
    }
  },
);

const ACCOUNT_REF = { account: required(nonEmpty), subject: required(subject) };

function exportOrImport(stream: Check, service: Check, what: string): Check {
  return (v, at) => {
    if (isPlainObject(v) && "stream" in v && !("service" in v)) return stream(v, at);
    if (isPlainObject(v) && "service" in v && !("stream" in v)) return service(v, at);
    throw new OptionsError(at, `expected a ${what} with either "stream" or "service", got ${describe(v)}`);
  };
}

const EXPORT = exportOrImport(
  obj<StreamExport>({ stream: required(subject), accounts: list(nonEmpty) }),
  obj<ServiceExport>({
    service: required(subject),
    accounts: list(nonEmpty),
    responseType: oneOf(["singleton", "stream", "chunked"]),
    responseThreshold: ms,
  }),
  "export",
);

const IMPORT = exportOrImport(
  obj<StreamImport>({ stream: required(obj<StreamImport["stream"]>(ACCOUNT_REF)), prefix: subject, to: subject }, (i, at) => {
    if (i.prefix !== undefined && i.to !== undefined) throw new OptionsError(at, "a stream import takes a prefix or a to, not both");
  }),
  obj<ServiceImport>({ service: required(obj<ServiceImport["service"]>(ACCOUNT_REF)), to: subject }),
  "import",
);

const MAPPING: Check = (v, at) => {
  if (typeof v === "string") return nonEmpty(v, at);
  const dest = obj<MappingDestination>({ destination: required(nonEmpty), weight: required(intIn(0, 100)), cluster: nonEmpty });
  if (isPlainObject(v)) return dest(v, at);
  list(dest, 1)(v, at);
};

/** Source subject -> destinations, each then checked as nats-server adds a mapping (config files get the same check). */
const MAPPINGS: Check = (v, at) => {
  record(MAPPING)(v, at);
  for (const [src, x] of Object.entries(v as Record<string, string | MappingDestination | MappingDestination[]>)) {
    const value = isPlainObject(x) ? [x as MappingDestination] : (x as string | MappingDestination[]);
    try {
      compileMapping(src, destinationsOf(value));
    } catch (e) {
      if (e instanceof MappingError) throw new OptionsError(`${at}.${src}`, mappingProblem(src, value, e));
      throw e;
    }
  }
};

const ACCOUNT = obj<AccountConfig>({
  name: required(expect(`an account name other than "${GLOBAL_ACCOUNT}"`, (v) => typeof v === "string" && v !== "" && v !== GLOBAL_ACCOUNT)),
  users: list(USER),
  exports: list(EXPORT),
  imports: list(IMPORT),
  mappings: MAPPINGS,
  jetstream: anything,
});

const CLUSTER = obj<ClusterInput>({
  name: noSpaces,
  host: str,
  port: required(port),
  routes: list(url),
  advertise: nonEmpty,
  noAdvertise: bool,
  connectRetries: count,
  authorization: AUTHORIZATION,
  tls: TLS,
  permissions: obj<NonNullable<ClusterInput["permissions"]>>({ import: SUBJECT_PERMISSION, export: SUBJECT_PERMISSION }),
  poolSize: intIn(-1, 1024),
});

const REMOTE_GATEWAY = obj<RemoteGatewayOptions>({ name: required(noSpaces), urls: required(list(url, 1)), tls: TLS });

const GATEWAY = obj<GatewayInput>({
  name: required(expect("a gateway name without spaces", (v) => typeof v === "string" && v !== "" && !/\s/.test(v))),
  host: str,
  port,
  advertise: nonEmpty,
  connectRetries: count,
  rejectUnknown: bool,
  authorization: AUTHORIZATION,
  tls: TLS,
  gateways: list(REMOTE_GATEWAY),
});

const REMOTE_LEAF = obj<RemoteLeafOptions>({
  urls: required(list(url, 1)),
  account: nonEmpty,
  credentials: nonEmpty,
  tls: TLS,
  denyImports: list(permissionSubject),
  denyExports: list(permissionSubject),
  hub: bool,
  noRandomize: bool,
});

const LEAFNODES = obj<LeafNodeInput>({
  host: str,
  port,
  advertise: nonEmpty,
  noAdvertise: bool,
  authorization: AUTHORIZATION,
  tls: TLS,
  remotes: list(REMOTE_LEAF),
  reconnectInterval: ms,
});

type DirResolver = Extract<ResolverConfig, { dir: string }>;
const RESOLVERS: Record<ResolverConfig["type"], Check> = {
  memory: obj<{ type: "memory" }>({ type: anything }),
  url: obj<{ type: "url"; url: string }>({ type: anything, url: required(url) }),
  full: obj<DirResolver>({ type: anything, dir: required(nonEmpty), allowDelete: bool, limit: count, ttl: ms, interval: ms, timeout: ms }),
  cache: obj<DirResolver>({ type: anything, dir: required(nonEmpty), allowDelete: bool, limit: count, ttl: ms, interval: ms, timeout: ms }),
};
const RESOLVER: Check = (v, at) => {
  const type = isPlainObject(v) ? v.type : undefined;
  if (typeof type !== "string" || !Object.prototype.hasOwnProperty.call(RESOLVERS, type)) {
    throw new OptionsError(`${at}.type`, `expected one of "memory", "url", "full", "cache", got ${describe(type)}`);
  }
  RESOLVERS[type as ResolverConfig["type"]](v, at);
};

const SERVER = obj<ServerOptionsInput>({
  serverName: noSpaces,
  host: str,
  port,
  clientAdvertise: nonEmpty,
  noAdvertise: bool,
  httpHost: str,
  httpPort: port,
  httpsPort: port,
  httpBasePath: str,
  maxPayload: bytes,
  maxControlLine: bytes,
  maxPending: intIn(1, Number.MAX_SAFE_INTEGER, "a size in bytes (> 0)"),
  maxConnections: count,
  maxSubscriptions: count,
  pingInterval: positiveMs,
  pingMax: count,
  writeDeadline: positiveMs,
  lameDuckDuration: ms,
  lameDuckGracePeriod: ms,
  authorization: AUTHORIZATION,
  noAuthUser: nonEmpty,
  allowNonTls: bool,
  noHeaderSupport: bool,
  maxTracedMsgLen: count,
  accounts: list(ACCOUNT),
  systemAccount: nonEmpty,
  noSystemAccount: bool,
  operator: list(nonEmpty),
  resolver: RESOLVER,
  resolverPreload: record(nonEmpty),
  tls: TLS,
  mappings: MAPPINGS,
  cluster: CLUSTER,
  gateway: GATEWAY,
  leafnodes: LEAFNODES,
  serverTags: list(str),
  portsFileDir: nonEmpty,
  pidFile: nonEmpty,
  logFile: nonEmpty,
  logtime: bool,
  debug: bool,
  trace: bool,
  configFile: str,
  unsupported: list(obj<UnsupportedBlock>({ key: required(str), value: anything })),
});

/**
 * Checks an options object and returns a complete, private copy with defaults filled in:
 * top-level fields from DEFAULTS, block fields as a config file would leave them. The server
 * keeps (and may annotate) its copy; the caller's object is never changed.
 */
export function resolveOptions(input: ServerOptionsInput = {}): ServerOptions {
  SERVER(input, "");
  checkAccounts(input);
  checkUsers(input);
  const o = withDefaults(structuredClone(input) as Partial<ServerOptions>);
  const anyHost = "0.0.0.0";
  // The input types let these be absent, ServerOptions does not.
  if (o.cluster) o.cluster = { host: anyHost, routes: [], port: o.cluster.port, ...defined(o.cluster) };
  if (o.gateway) o.gateway = { host: anyHost, port: 0, gateways: [], name: o.gateway.name, ...defined(o.gateway) };
  if (o.leafnodes) o.leafnodes = { host: anyHost, port: 0, remotes: [], ...defined(o.leafnodes) };
  return o;
}

/** Own fields that are not undefined (so `{ host: undefined }` still gets the default). */
function defined<T extends object>(v: T): Partial<T> {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as Partial<T>;
}
