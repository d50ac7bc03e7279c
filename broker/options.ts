/**
 * ServerOptions: everything a natsfleet-server can be told, whether it comes from a
 * nats-server config file, command-line flags or the embedding API. Durations are
 * milliseconds, sizes are bytes. Field names follow the config file's keys in camelCase.
 */

/** A `tls { }` block: client port, cluster, gateway, leafnode and monitoring listeners. */
export interface TlsOptions {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  /** Require and verify client certificates. */
  verify?: boolean;
  /** Verify client certificates and map their subject/SAN to a user. */
  verifyAndMap?: boolean;
  /** Skip verification of the peer's certificate when we dial (routes, gateways, leafs). */
  insecure?: boolean;
  /** TLS handshake timeout in milliseconds (default 2s). */
  timeout?: number;
  pinnedCerts?: string[];
  cipherSuites?: string[];
  curvePreferences?: string[];
  /**
   * TLS handshake before INFO on the client port (nats-server 2.10 `handshake_first`); the
   * 2.9 default, false, sends INFO in plaintext first.
   */
  handshakeFirst?: boolean;
}

/** Publish/subscribe allow and deny lists. */
export interface SubjectPermission {
  allow?: string[];
  deny?: string[];
}

export interface Permissions {
  publish?: SubjectPermission;
  subscribe?: SubjectPermission;
  /** `allow_responses`: true, or limits on how many responses and for how long (ms). */
  allowResponses?: { maxMsgs: number; expires: number };
}

export interface UserConfig {
  user?: string;
  /** Plain or bcrypt (`$2a$...`) password. */
  password?: string;
  nkey?: string;
  permissions?: Permissions;
  /** Account name the user belongs to (set when declared inside `accounts`). */
  account?: string;
  allowedConnectionTypes?: string[];
}

/** The `authorization { }` block (client port, or a cluster/gateway/leafnode listener). */
export interface AuthorizationOptions {
  user?: string;
  password?: string;
  token?: string;
  /** Authentication timeout in milliseconds. */
  timeout?: number;
  users?: UserConfig[];
  /** Default permissions for `users` without their own. */
  defaultPermissions?: Permissions;
  /** Account for a single user/token listener (leafnodes). */
  account?: string;
}

export interface StreamExport { stream: string; accounts?: string[] }
export interface ServiceExport {
  service: string;
  accounts?: string[];
  responseType?: "singleton" | "stream" | "chunked";
  responseThreshold?: number;
}
export interface StreamImport { stream: { account: string; subject: string }; prefix?: string; to?: string }
export interface ServiceImport { service: { account: string; subject: string }; to?: string }

export interface AccountConfig {
  name: string;
  users?: UserConfig[];
  exports?: Array<StreamExport | ServiceExport>;
  imports?: Array<StreamImport | ServiceImport>;
  /** Subject mappings: source subject -> destination (weighted destinations kept raw). */
  mappings?: Record<string, unknown>;
  jetstream?: unknown;
}

export interface ClusterOptions {
  name?: string;
  host: string;
  /** Route listen port; -1 picks a random port, 0 disables listening. */
  port: number;
  /** Seed routes, e.g. `nats-route://user:pass@host:6222`. */
  routes: string[];
  advertise?: string;
  noAdvertise?: boolean;
  connectRetries?: number;
  authorization?: AuthorizationOptions;
  tls?: TlsOptions;
  permissions?: { import?: SubjectPermission; export?: SubjectPermission };
  poolSize?: number;
}

export interface RemoteGatewayOptions {
  name: string;
  urls: string[];
  tls?: TlsOptions;
}

export interface GatewayOptions {
  name: string;
  host: string;
  port: number;
  advertise?: string;
  connectRetries?: number;
  rejectUnknown?: boolean;
  authorization?: AuthorizationOptions;
  tls?: TlsOptions;
  gateways: RemoteGatewayOptions[];
}

export interface RemoteLeafOptions {
  urls: string[];
  /** Local account this remote binds (`account` or `local`). */
  account?: string;
  /** Path of a `.creds` file (user JWT + nkey seed). */
  credentials?: string;
  tls?: TlsOptions;
  denyImports?: string[];
  denyExports?: string[];
  hub?: boolean;
  noRandomize?: boolean;
}

export interface LeafNodeOptions {
  host: string;
  /** Leafnode listen port; 0 means no listener (remotes only). */
  port: number;
  advertise?: string;
  noAdvertise?: boolean;
  authorization?: AuthorizationOptions;
  tls?: TlsOptions;
  remotes: RemoteLeafOptions[];
  reconnectInterval?: number;
}

/** Options from config keys we accept but do not implement yet (jetstream, mqtt, websocket). */
export interface UnsupportedBlock {
  key: string;
  value: unknown;
}

export interface ServerOptions {
  serverName?: string;
  /** Client listen host (`host`/`net`/`listen`). */
  host: string;
  /** Client listen port; -1 (or 0 via the API) picks a random free port. */
  port: number;
  clientAdvertise?: string;
  noAdvertise?: boolean;

  /** Monitoring HTTP listener host ("" = the client host, as nats-server); port 0 means off, -1 random. */
  httpHost: string;
  httpPort: number;
  httpsPort: number;
  /** Base path for monitoring endpoints. */
  httpBasePath?: string;

  maxPayload: number;
  maxControlLine: number;
  maxPending: number;
  maxConnections: number;
  /** 0 means unlimited. */
  maxSubscriptions: number;
  pingInterval: number;
  pingMax: number;
  writeDeadline: number;
  lameDuckDuration: number;
  lameDuckGracePeriod: number;

  authorization?: AuthorizationOptions;
  noAuthUser?: string;
  accounts: AccountConfig[];
  systemAccount?: string;
  noSystemAccount?: boolean;
  /** Decentralized auth: operator JWT(s) (inline or file paths) and resolver. */
  operator?: string[];
  resolver?: unknown;
  resolverPreload?: Record<string, string>;
  tls?: TlsOptions;

  cluster?: ClusterOptions;
  gateway?: GatewayOptions;
  leafnodes?: LeafNodeOptions;

  serverTags: string[];

  portsFileDir?: string;
  pidFile?: string;
  logFile?: string;
  logtime: boolean;
  debug: boolean;
  trace: boolean;
  /** Config file this came from, if any (used for reload). */
  configFile?: string;

  /** Blocks accepted with a warning (jetstream, mqtt, websocket...). */
  unsupported: UnsupportedBlock[];
}

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
