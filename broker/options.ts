/**
 * ServerOptions: everything a natsfleet-server can be told, whether it comes from a
 * nats-server config file, command-line flags or the embedding API. Durations are
 * milliseconds, sizes are bytes. Field names follow the config file's keys in camelCase
 * (`max_payload` is `maxPayload`); a field whose key differs says so with `@config`.
 */
import type { ResolverConfig } from "./config/trust";
import type { SubjectMappings } from "./config/accounts";

export type { ResolverConfig } from "./config/trust";
export type { SubjectMappings, MappingDestination } from "./config/accounts";

/** A `tls { }` block: client port, cluster, gateway, leafnode and monitoring listeners. */
export interface TlsOptions {
  /** PEM certificate chain this side presents. */
  certFile?: string;
  /** PEM private key of `certFile`. */
  keyFile?: string;
  /** PEM CA bundle used to verify the peer (clients under `verify`, servers when dialing). */
  caFile?: string;
  /** Require and verify client certificates. */
  verify?: boolean;
  /** Verify client certificates and map their subject/SAN to a user. */
  verifyAndMap?: boolean;
  /** Skip verification of the peer's certificate when we dial (routes, gateways, leafs). */
  insecure?: boolean;
  /** TLS handshake timeout in milliseconds (default 2s). */
  timeout?: number;
  /** Accept only peer certificates whose SubjectPublicKeyInfo SHA-256 (hex) is listed. */
  pinnedCerts?: string[];
  /** Go cipher suite names (e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`); default: nats-server 2.9's. */
  cipherSuites?: string[];
  /** Go curve names (`X25519`, `CurveP256`...), in order of preference. */
  curvePreferences?: string[];
  /**
   * TLS handshake before INFO on the client port (nats-server 2.10 `handshake_first`); the
   * 2.9 default, false, sends INFO in plaintext first.
   */
  handshakeFirst?: boolean;
}

/** Publish/subscribe allow and deny lists. */
export interface SubjectPermission {
  /** Subjects (wildcards allowed) permitted; absent means everything not denied. */
  allow?: string[];
  /** Subjects refused even when `allow` matches. */
  deny?: string[];
}

/** A `permissions { }` block of a user (or `default_permissions`). */
export interface Permissions {
  /** What the user may publish to. */
  publish?: SubjectPermission;
  /** What the user may subscribe to. */
  subscribe?: SubjectPermission;
  /**
   * `allow_responses`: the user may publish to reply subjects of requests it received, at most
   * `maxMsgs` times (negative: unlimited) within `expires` ms. `allow_responses: true` is
   * `{ maxMsgs: 1, expires: 120000 }`. Turns off the implicit "publish anywhere".
   */
  allowResponses?: { maxMsgs: number; expires: number };
}

/** One entry of a `users: [ ]` list. */
export interface UserConfig {
  /** User name (`user`/`username`); absent for nkey users. */
  user?: string;
  /** Plain or bcrypt (`$2a$...`) password. */
  password?: string;
  /** Public user nkey (`U...`); the client signs the server's nonce with its seed. */
  nkey?: string;
  /** This user's permissions (default: the block's `defaultPermissions`). */
  permissions?: Permissions;
  /**
   * Account the user belongs to. Users listed inside `accounts[].users` belong to that
   * account without saying so; leafnode `authorization.users` name it.
   */
  account?: string;
  /** Connection types the user may use: `STANDARD`, `LEAFNODE`, `WEBSOCKET`, `MQTT`... */
  allowedConnectionTypes?: string[];
}

/** The `authorization { }` block (client port, or a cluster/gateway/leafnode listener). */
export interface AuthorizationOptions {
  /** The single user of the listener (with `password`). */
  user?: string;
  /** Password of `user` (plain or bcrypt). */
  password?: string;
  /** A token clients send instead of a user (client port only). */
  token?: string;
  /** Authentication timeout in milliseconds. */
  timeout?: number;
  /** Several users, each with its own password or nkey and permissions. */
  users?: UserConfig[];
  /** Default permissions for `users` without their own. */
  defaultPermissions?: Permissions;
  /** Account for a single user/token listener (leafnodes). */
  account?: string;
}

/** `exports: [ { stream: "subject" } ]`: other accounts may import these messages. */
export interface StreamExport {
  /** Subject (wildcards allowed) exported. */
  stream: string;
  /** Accounts allowed to import it; absent means every account. */
  accounts?: string[];
}

/** `exports: [ { service: "subject" } ]`: other accounts may send requests here. */
export interface ServiceExport {
  /** Subject (wildcards allowed) the service listens on. */
  service: string;
  /** Accounts allowed to import it; absent means every account. */
  accounts?: string[];
  /** How many responses a request gets: one (default), a stream, or chunks. */
  responseType?: "singleton" | "stream" | "chunked";
  /** How long (ms) the response path stays open for a request. */
  responseThreshold?: number;
}

/** `imports: [ { stream: { account, subject } } ]`: another account's stream in this one. */
export interface StreamImport {
  /** The exporting account and the subject it exports. */
  stream: { account: string; subject: string };
  /** Messages arrive here under `<prefix>.<subject>`. */
  prefix?: string;
  /** Messages arrive here under this subject instead (not with `prefix`). */
  to?: string;
}

/** `imports: [ { service: { account, subject } } ]`: call another account's service. */
export interface ServiceImport {
  /** The exporting account and the subject its service listens on. */
  service: { account: string; subject: string };
  /** Local subject this account's clients send requests to (default: the same subject). */
  to?: string;
}

/** One account of `accounts { }`: a separate subject space with its own users. */
export interface AccountConfig {
  /** Account name. @config the key inside `accounts { }` */
  name: string;
  /** The account's users (they need not set `account`). */
  users?: UserConfig[];
  /** What other accounts may import from this one. */
  exports?: Array<StreamExport | ServiceExport>;
  /** What this account takes from others (the exporter must allow it). */
  imports?: Array<StreamImport | ServiceImport>;
  /** Subject mappings of this account, applied to what its clients and leaf nodes publish. */
  mappings?: SubjectMappings;
  /** Accepted for config compatibility and ignored (no JetStream yet). */
  jetstream?: unknown;
}

/** The `cluster { }` block: routes to the other servers of this cluster (full mesh). */
export interface ClusterOptions {
  /** Cluster name; generated (and adopted from peers) when absent. Must equal the gateway name. */
  name?: string;
  /** Route listen host (config: `host`/`net`, or the host of `listen`). */
  host: string;
  /** Route listen port; -1 picks a random port, 0 disables listening. */
  port: number;
  /** Seed routes, e.g. `nats-route://user:pass@host:6222`. */
  routes: string[];
  /** `host:port` other servers should dial for routes (behind NAT). */
  advertise?: string;
  /** Do not tell clients the other servers' URLs (INFO `connect_urls`). */
  noAdvertise?: boolean;
  /** How often to retry a seed route that cannot be reached (0: forever for explicit routes). */
  connectRetries?: number;
  /** The user/password routes must present. */
  authorization?: AuthorizationOptions;
  /** TLS between routes. */
  tls?: TlsOptions;
  /** Subjects accepted from (`import`) and sent to (`export`) routes. */
  permissions?: { import?: SubjectPermission; export?: SubjectPermission };
  /** nats-server 2.10 route pooling: accepted, one route per peer is used. */
  poolSize?: number;
}

/** One entry of `gateway.gateways`: another cluster of the super-cluster. */
export interface RemoteGatewayOptions {
  /** That cluster's gateway name. */
  name: string;
  /** Its gateway URLs (config: `url` or `urls`). */
  urls: string[];
  /** TLS used when dialing it. */
  tls?: TlsOptions;
}

/** The `gateway { }` block: this cluster's link to other clusters (super-cluster). */
export interface GatewayOptions {
  /** This cluster's gateway name (same as `cluster.name`). */
  name: string;
  /** Gateway listen host. */
  host: string;
  /** Gateway listen port; -1 picks a random port. */
  port: number;
  /** `host:port` other clusters should dial. */
  advertise?: string;
  /** Retries for a configured gateway that cannot be reached. */
  connectRetries?: number;
  /** Refuse gateways of clusters not listed in `gateways` (`reject_unknown_cluster`). */
  rejectUnknown?: boolean;
  /** The user/password other clusters must present. */
  authorization?: AuthorizationOptions;
  /** TLS between gateways. */
  tls?: TlsOptions;
  /** The other clusters to dial. */
  gateways: RemoteGatewayOptions[];
}

/** One entry of `leafnodes.remotes`: a hub this server connects to as a leaf node. */
export interface RemoteLeafOptions {
  /** The hub's leafnode URLs, tried in random order (config: `url` or `urls`). */
  urls: string[];
  /** Local account this remote binds (`account` or `local`). */
  account?: string;
  /** Path of a `.creds` file (user JWT + nkey seed). */
  credentials?: string;
  /** TLS to the hub (also implied by `tls://` URLs). */
  tls?: TlsOptions;
  /** Subjects not accepted from the hub. */
  denyImports?: string[];
  /** Subjects not sent to the hub. */
  denyExports?: string[];
  /** This side acts as the hub of the link. */
  hub?: boolean;
  /** Try `urls` in the given order (`dont_randomize`). */
  noRandomize?: boolean;
}

/** The `leafnodes { }` block: a listener for leaf nodes and/or remotes to hubs. */
export interface LeafNodeOptions {
  /** Leafnode listen host. */
  host: string;
  /** Leafnode listen port; 0 means no listener (remotes only), -1 picks a random port. */
  port: number;
  /** `host:port` leaf nodes should dial. */
  advertise?: string;
  /** Do not tell leaf nodes about the other servers of this cluster. */
  noAdvertise?: boolean;
  /** Who may connect as a leaf node: a user/password or users bound to accounts. */
  authorization?: AuthorizationOptions;
  /** TLS of the leafnode listener. */
  tls?: TlsOptions;
  /** Hubs to connect to. */
  remotes: RemoteLeafOptions[];
  /** Delay (ms) before reconnecting to a hub (`reconnect`; nats-server takes seconds). */
  reconnectInterval?: number;
}

/** Options from config keys we accept but do not implement yet (jetstream, mqtt, websocket). */
export interface UnsupportedBlock {
  /** The key as written. */
  key: string;
  /** Its value as plain data. */
  value: unknown;
}

/**
 * Everything a server runs with. Embedding applications pass a ServerOptionsInput (any
 * subset); config files and flags produce this complete form.
 */
export interface ServerOptions {
  /** Server name in INFO, monitoring and peers' views (default: the server id). No spaces. */
  serverName?: string;
  /** Client listen host (`host`/`net`/`listen`). */
  host: string;
  /** Client listen port; -1 (or 0 via the API) picks a random free port. */
  port: number;
  /** `host:port` given to clients and peers instead of the listen address. */
  clientAdvertise?: string;
  /** Send no `connect_urls` to clients (API and `--no_advertise`; the file has `cluster.no_advertise`). @config - */
  noAdvertise?: boolean;

  /** Monitoring listen host ("" = the client host, as nats-server). @config the host of `http`/`https` */
  httpHost: string;
  /** Monitoring HTTP port (`http_port`/`monitor_port`, or `http: host:port`); 0 means off, -1 random. */
  httpPort: number;
  /** Monitoring HTTPS port (needs `tls`); 0 means off, -1 random. */
  httpsPort: number;
  /** Base path for monitoring endpoints. */
  httpBasePath?: string;

  /** Largest message payload accepted, bytes (default 1 MB). */
  maxPayload: number;
  /** Longest protocol line, bytes (default 4 KB). */
  maxControlLine: number;
  /** Unsent bytes a connection may hold before it is a slow consumer (default 64 MB). */
  maxPending: number;
  /** Most client connections at once (`max_connections`/`max_conn`). */
  maxConnections: number;
  /** Most subscriptions per connection (`max_subscriptions`/`max_subs`); 0 means unlimited. */
  maxSubscriptions: number;
  /** How often to PING an idle connection, ms (default 2 minutes). */
  pingInterval: number;
  /** Unanswered PINGs before the connection is closed (default 2). */
  pingMax: number;
  /** How long a blocked write may take before the connection is closed, ms (default 10s). */
  writeDeadline: number;
  /** Lame-duck mode: time over which clients are closed, ms (default 2 minutes; the file takes 30s at least). */
  lameDuckDuration: number;
  /** Lame-duck mode: wait before the first client is closed, ms (default 10s). */
  lameDuckGracePeriod: number;

  /**
   * With client-port `tls`: also admit clients that do not start TLS (INFO says
   * tls_available instead of tls_required; a client that wants TLS starts the handshake).
   * @config allow_non_tls
   */
  allowNonTls?: boolean;
  /**
   * Turn message headers off on the client port: INFO says `headers: false` and clients may
   * not send HPUB, as with an old server. (nats-server also tells route, gateway and leaf
   * peers; natsfleet-server keeps headers on those links.)
   * @config no_header_support
   */
  noHeaderSupport?: boolean;

  /** Client authentication and default permissions. */
  authorization?: AuthorizationOptions;
  /** Clients without credentials log in as this user (of `authorization` or an account). */
  noAuthUser?: string;
  /** Accounts: separate subject spaces joined by exports and imports. */
  accounts: AccountConfig[];
  /** Account of `$SYS` events (`system_account`/`system`); must be one of `accounts` unless in operator mode. */
  systemAccount?: string;
  /** Do not create the default system account (`no_system_account`). */
  noSystemAccount?: boolean;
  /** Decentralized auth: operator JWT(s), inline or as file paths (`operator`/`operators`). */
  operator?: string[];
  /** Where account JWTs come from in operator mode (`MEMORY`, `URL(...)` or a directory). */
  resolver?: ResolverConfig;
  /** Account public key -> account JWT, for `resolver: MEMORY`. */
  resolverPreload?: Record<string, string>;
  /** TLS on the client port (and the key/certificate for `httpsPort`). */
  tls?: TlsOptions;
  /** Subject mappings of the global account (clients without an account), as top-level `mappings`. */
  mappings?: SubjectMappings;

  /** Routes to the other servers of this cluster. */
  cluster?: ClusterOptions;
  /** Gateways to other clusters. */
  gateway?: GatewayOptions;
  /** Leaf node listener and remotes. */
  leafnodes?: LeafNodeOptions;

  /** Tags shown in /varz and system events. */
  serverTags: string[];

  /** Directory for a `<exe>_<pid>.ports` file listing the bound ports. */
  portsFileDir?: string;
  /** File the process id is written to (`pid_file`/`pidfile`). */
  pidFile?: string;
  /** Log to this file instead of stderr (`log_file`/`logfile`). */
  logFile?: string;
  /** Timestamp log lines (default true). */
  logtime: boolean;
  /** Log debug lines. */
  debug: boolean;
  /** Log every protocol line (trace). */
  trace: boolean;
  /**
   * Cut traced message payloads after this many bytes (0: whole payloads).
   * @config max_traced_msg_len
   */
  maxTracedMsgLen?: number;
  /** Config file this came from, if any: `reload()` with no argument re-reads it. @config - */
  configFile?: string;

  /** Blocks accepted with a warning (jetstream, mqtt, websocket...). @config - */
  unsupported: UnsupportedBlock[];
}

/** `cluster` as the embedding API takes it: the listen host and seed routes may be left out. */
export type ClusterInput = Omit<ClusterOptions, "host" | "routes"> & Partial<Pick<ClusterOptions, "host" | "routes">>;

/** `gateway` as the embedding API takes it: host, port and remote gateways may be left out. */
export type GatewayInput = Omit<GatewayOptions, "host" | "port" | "gateways"> & Partial<Pick<GatewayOptions, "host" | "port" | "gateways">>;

/** `leafnodes` as the embedding API takes it: host, port and remotes may be left out. */
export type LeafNodeInput = Omit<LeafNodeOptions, "host" | "port" | "remotes"> & Partial<Pick<LeafNodeOptions, "host" | "port" | "remotes">>;

/**
 * What `createServer`, `startServer` and `server.reload` take: any subset of ServerOptions.
 * Absent fields take nats-server's defaults (DEFAULTS); absent block fields take the config
 * file's (listen host 0.0.0.0, port 0 = no listener, no routes/gateways/remotes).
 */
export type ServerOptionsInput = Partial<Omit<ServerOptions, "cluster" | "gateway" | "leafnodes">> & {
  cluster?: ClusterInput;
  gateway?: GatewayInput;
  leafnodes?: LeafNodeInput;
};

/** nats-server 2.9 defaults (reference section 1). */
export const DEFAULTS: ServerOptions = {
  host: "0.0.0.0",
  port: 4222,
  httpHost: "",
  httpPort: 0,
  httpsPort: 0,
  maxPayload: 1024 * 1024,
  maxControlLine: 4096,
  maxPending: 64 * 1024 * 1024,
  maxConnections: 64 * 1024,
  maxSubscriptions: 0,
  pingInterval: 2 * 60 * 1000,
  pingMax: 2,
  writeDeadline: 10 * 1000,
  lameDuckDuration: 2 * 60 * 1000,
  lameDuckGracePeriod: 10 * 1000,
  accounts: [],
  serverTags: [],
  logtime: true,
  debug: false,
  trace: false,
  unsupported: [],
};

/** Default auth timeout (2s) when an authorization block gives none. */
export const DEFAULT_AUTH_TIMEOUT = 2000;

/** Fill defaults into a partial options object (the embedding API's entry point). */
export function withDefaults(partial: Partial<ServerOptions>): ServerOptions {
  const out: ServerOptions = { ...DEFAULTS, accounts: [], serverTags: [], unsupported: [] };
  for (const [k, v] of Object.entries(partial)) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}
