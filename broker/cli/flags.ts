/**
 * natsfleet-server's command line: the flags of nats-server 2.9.10 (main.go, server/opts.go
 * ConfigureOptions), parsed the way Go's flag package does, so scripts and client test suites
 * written for nats-server run unchanged. Flags override the config file, as in nats-server.
 */
import {
  AuthorizationOptions,
  ClusterOptions,
  DEFAULTS,
  ServerOptions,
  TlsOptions,
} from "../options";

/** A bad command line; the message names the flag and the problem. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

/**
 * What the flags set. Only flags actually given appear. `cluster` and `authorization` hold just
 * the fields the flags set (merged into the file's blocks); `tls: null` (from `-tls=false`)
 * turns off TLS configured in the file, and `cluster.port: 0` (from `--cluster ""`) turns off
 * the route listener.
 */
export interface FlagOverrides
  extends Partial<Omit<ServerOptions, "cluster" | "tls" | "authorization">> {
  authorization?: Pick<AuthorizationOptions, "user" | "password" | "token">;
  cluster?: Partial<Omit<ClusterOptions, "authorization">> & {
    /** Set (possibly to undefined) when `--cluster` was given: its URL's user:password. */
    authorization?: AuthorizationOptions;
  };
  tls?: TlsOptions | null;
}

export interface ParsedFlags {
  /** `-c`/`--config`. */
  configFile?: string;
  overrides: FlagOverrides;
  /** `-h`, `--help`, `--help_tls` or the `help` command: print USAGE and exit. */
  help: boolean;
  /** `-v`, `--version` or the `version` command. */
  version: boolean;
  /** `-t`: check the config file and exit. */
  checkConfig: boolean;
  /** `--signal`/`-sl` as given (`reload=<pid|pidfile>`): the caller sends it and exits. */
  signal?: string;
  /** Flags accepted but without effect (JetStream, syslog, profiling...). */
  warnings: string[];
}

export const USAGE = `
Usage: natsfleet-server [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222, -1 for random)
    -n, --name
        --server_name <server_name>  Server name (default: auto)
    -P, --pid <file>                 File to store PID
    -m, --http_port <port>           Use port for http monitoring
    -ms,--https_port <port>          Use port for https monitoring
    -c, --config <file>              Configuration file (nats-server format)
    -t                               Test configuration and exit
    -sl,--signal <signal>[=<pid>]    Send signal to natsfleet-server process (ldm, stop, quit, term, reopen, reload)
                                     <pid> can be either a PID (e.g. 1) or the path to a PID file
        --client_advertise <string>  Client URL to advertise to other servers
        --ports_file_dir <dir>       Creates a ports file in the specified directory (<executable_name>_<pid>.ports)

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true; -T=false to disable)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -DV                              Debug and trace
    -VV, -DVV                        Verbose trace: accepted, same as -V / -DV
    -s, --syslog                     Accepted, ignored (no syslog support)
    -r, --remote_syslog <addr>       Accepted, ignored
        --log_size_limit <limit>     Accepted, ignored
        --max_traced_msg_len <len>   Cut traced payloads after <len> bytes

JetStream Options (accepted, ignored: natsfleet-server has no JetStream yet):
    -js, --jetstream                 Enable JetStream functionality
    -sd, --store_dir <dir>           Set the storage directory

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Cluster Options:
        --routes <rurl-1, rurl-2>    Routes to solicit and connect
        --cluster <cluster-url>      Cluster URL for solicited routes (nats://host:port, port -1 for random)
        --cluster_name <string>      Cluster Name, if not set one will be dynamically generated
        --no_advertise <bool>        Do not advertise known cluster information to clients
        --cluster_advertise <string> Cluster URL to advertise to other servers
        --connect_retries <number>   For implicit routes, number of connect retries
        --cluster_listen <url>       Cluster url from which members can solicit routes

Profiling Options:
        --profile <port>             Accepted, ignored

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
        --help_tls                   TLS help (same as --help)

Flags take one or two dashes (-port or --port) and a value as the next argument or after '='
(-p 4222, -p=4222). Boolean flags take a value only after '=' (-T=false).
`;

type FlagKind = "bool" | "int" | "string";

/** Every flag nats-server 2.9.10 defines, by name (without dashes). */
const FLAGS: Record<string, FlagKind> = {
  h: "bool", help: "bool", help_tls: "bool", v: "bool", version: "bool", t: "bool",
  p: "int", port: "int", a: "string", addr: "string", net: "string",
  n: "string", name: "string", server_name: "string", client_advertise: "string",
  m: "int", http_port: "int", ms: "int", https_port: "int",
  c: "string", config: "string", sl: "string", signal: "string",
  P: "string", pid: "string", ports_file_dir: "string",
  l: "string", log: "string", log_size_limit: "int", s: "bool", syslog: "bool",
  r: "string", remote_syslog: "string", max_traced_msg_len: "int", profile: "int",
  D: "bool", debug: "bool", V: "bool", trace: "bool", VV: "bool", DV: "bool", DVV: "bool",
  T: "bool", logtime: "bool",
  user: "string", pass: "string", auth: "string",
  routes: "string", cluster: "string", cluster_listen: "string", cluster_advertise: "string",
  no_advertise: "bool", connect_retries: "int", cluster_name: "string",
  tls: "bool", tlsverify: "bool", tlscert: "string", tlskey: "string", tlscacert: "string",
  js: "bool", jetstream: "bool", sd: "string", store_dir: "string",
};

/** Go's strconv.ParseBool. */
function parseBool(s: string): boolean | undefined {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(s)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(s)) return false;
  return undefined;
}

/** Decimal or 0x-hex integer, as Go's ParseInt with base 0 mostly reads it. */
function parseIntFlag(s: string): number | undefined {
  const t = s.replace(/_/g, "");
  let n: number;
  if (/^[+-]?\d+$/.test(t)) n = Number(t);
  else if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) n = (t.startsWith("-") ? -1 : 1) * parseInt(t.replace(/^[+-]/, ""), 16);
  else return undefined;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** One flag occurrence: its name, how the user wrote it, and its raw value. */
interface FlagUse {
  name: string;
  written: string;
  value: string | boolean | number;
}

/** Go flag package semantics: stops at the first non-flag argument or after `--`. */
function scan(argv: string[]): { uses: FlagUse[]; rest: string[] } {
  const uses: FlagUse[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i];
    if (arg.length < 2 || arg[0] !== "-") break;
    i++;
    if (arg === "--") break;
    const dashes = arg[1] === "-" ? 2 : 1;
    const body = arg.slice(dashes);
    if (body === "" || body[0] === "-" || body[0] === "=") throw new FlagError(`bad flag syntax: ${arg}`);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const written = arg.slice(0, dashes) + name;
    const kind = FLAGS[name];
    if (!kind) throw new FlagError(`unknown flag ${written}`);
    let raw: string | undefined = eq < 0 ? undefined : body.slice(eq + 1);
    if (kind === "bool") {
      const b = raw === undefined ? true : parseBool(raw);
      if (b === undefined) throw new FlagError(`invalid value "${raw}" for flag ${written}: expected true or false`);
      uses.push({ name, written, value: b });
      continue;
    }
    if (raw === undefined) {
      // Go takes the next argument as the value whatever it looks like (so `-p -1` works).
      if (i >= argv.length) throw new FlagError(`flag needs an argument: ${written}`);
      raw = argv[i++];
    }
    if (kind === "int") {
      const n = parseIntFlag(raw);
      if (n === undefined) throw new FlagError(`invalid value "${raw}" for flag ${written}: expected an integer`);
      uses.push({ name, written, value: n });
    } else {
      uses.push({ name, written, value: raw });
    }
  }
  return { uses, rest: argv.slice(i) };
}

function checkPort(u: FlagUse): number {
  const n = u.value as number;
  if (n < -1 || n > 65535) throw new FlagError(`invalid value "${n}" for flag ${u.written}: port must be -1..65535`);
  return n;
}

/** `--cluster nats://user:pass@host:port` (port -1 for random, "" to turn routes off). */
function clusterListen(u: FlagUse): FlagOverrides["cluster"] {
  const text = String(u.value).trim();
  if (text === "") return { port: 0 };
  // WHATWG URLs refuse port -1; nats-server swaps it for 0 while parsing, so do we.
  const random = text.endsWith(":-1");
  let url: URL;
  try {
    url = new URL(random ? text.slice(0, -3) + ":0" : text);
  } catch {
    throw new FlagError(`invalid value "${text}" for flag ${u.written}: expected a URL like nats://host:port`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host || (url.port === "" && !random && !/:0$/.test(text))) {
    throw new FlagError(`invalid value "${text}" for flag ${u.written}: expected a URL like nats://host:port`);
  }
  const port = random ? -1 : Number(url.port || "0");
  let authorization: AuthorizationOptions | undefined;
  if (url.username) {
    if (!url.password) throw new FlagError(`invalid value "${text}" for flag ${u.written}: a cluster user needs a password`);
    authorization = { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }
  return { host, port, authorization };
}

function routeList(u: FlagUse): string[] {
  const text = String(u.value);
  if (text.trim() === "") return [];
  return text.split(",").map((r) => {
    const s = r.trim();
    try {
      if (new URL(s).host !== "") return s;
    } catch {
      // fall through to the error below
    }
    throw new FlagError(`invalid value "${text}" for flag ${u.written}: ${JSON.stringify(s)} is not a URL like nats://host:port`);
  });
}

/**
 * Parses the command line (arguments after the program name). Throws FlagError on unknown
 * flags, bad values, or inconsistent TLS flags.
 */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  const { uses, rest } = scan([...argv]);
  const out: ParsedFlags = { overrides: {}, help: false, version: false, checkConfig: false, warnings: [] };
  const o = out.overrides;
  const cluster = () => (o.cluster ??= {});
  const auth = () => (o.authorization ??= {});
  const tlsFlags: Record<string, FlagUse> = {};
  const ignored = (u: FlagUse, what: string) => out.warnings.push(`flag ${u.written} ${what}; ignored`);

  for (const u of uses) {
    const v = u.value;
    switch (u.name) {
      case "h": case "help": case "help_tls": out.help = v as boolean; break;
      case "v": case "version": out.version = v as boolean; break;
      case "t": out.checkConfig = v as boolean; break;
      case "c": case "config": out.configFile = v as string; break;
      // nats-server treats port 0 as "the default port".
      case "p": case "port": o.port = checkPort(u) || DEFAULTS.port; break;
      case "a": case "addr": case "net": o.host = v as string; break;
      case "n": case "name": case "server_name": o.serverName = v as string; break;
      case "client_advertise": o.clientAdvertise = v as string; break;
      case "m": case "http_port": o.httpPort = checkPort(u); break;
      case "ms": case "https_port": o.httpsPort = checkPort(u); break;
      case "P": case "pid": o.pidFile = v as string; break;
      case "ports_file_dir": o.portsFileDir = v as string; break;
      case "l": case "log": o.logFile = v as string; break;
      case "D": case "debug": o.debug = v as boolean; break;
      case "V": case "trace": o.trace = v as boolean; break;
      case "VV":
        o.trace = v as boolean;
        if (v) out.warnings.push(`flag ${u.written}: verbose tracing is not supported; plain trace is used`);
        break;
      case "DV": o.debug = o.trace = v as boolean; break;
      case "DVV":
        o.debug = o.trace = v as boolean;
        if (v) out.warnings.push(`flag ${u.written}: verbose tracing is not supported; debug and plain trace are used`);
        break;
      case "T": case "logtime": o.logtime = v as boolean; break;
      case "user": auth().user = v as string; break;
      case "pass": auth().password = v as string; break;
      case "auth": auth().token = v as string; break;
      case "cluster": case "cluster_listen": Object.assign(cluster(), clusterListen(u)); break;
      case "routes": cluster().routes = routeList(u); break;
      case "cluster_name": cluster().name = v as string; break;
      case "cluster_advertise": cluster().advertise = v as string; break;
      case "no_advertise": cluster().noAdvertise = v as boolean; break;
      case "connect_retries":
        if ((v as number) < 0) throw new FlagError(`invalid value "${v}" for flag ${u.written}: must not be negative`);
        cluster().connectRetries = v as number;
        break;
      case "tls": case "tlsverify": case "tlscert": case "tlskey": case "tlscacert": tlsFlags[u.name] = u; break;
      case "js": case "jetstream": if (v) ignored(u, "(JetStream) is not supported by natsfleet-server yet"); break;
      case "sd": case "store_dir": ignored(u, "(JetStream store) is not supported by natsfleet-server yet"); break;
      case "s": case "syslog": if (v) ignored(u, "(syslog) is not supported by natsfleet-server"); break;
      case "r": case "remote_syslog": ignored(u, "(remote syslog) is not supported by natsfleet-server"); break;
      case "log_size_limit": ignored(u, "(log rotation) is not supported by natsfleet-server"); break;
      case "max_traced_msg_len": o.maxTracedMsgLen = v as number; break;
      case "profile": ignored(u, "(Go profiling) does not apply to natsfleet-server"); break;
      case "sl": case "signal":
        out.signal = v as string;
        break;
    }
  }

  applyTlsFlags(tlsFlags, o);

  if (rest.length > 0) {
    const cmd = rest[0].toLowerCase();
    if (cmd === "version") out.version = true;
    else if (cmd === "help") out.help = true;
    else throw new FlagError(`unrecognized command: "${rest[0]}"`);
  }
  if (out.checkConfig && !out.configFile && !out.help && !out.version) {
    throw new FlagError("-t needs a configuration file: give it with -c <file>");
  }
  return out;
}

/** nats-server: `-tls=false` turns TLS off; any other TLS flag builds the client TLS config. */
function applyTlsFlags(flags: Record<string, FlagUse>, o: FlagOverrides): void {
  if (Object.keys(flags).length === 0) return;
  if (flags.tls && flags.tls.value === false) {
    o.tls = null;
    return;
  }
  const cert = flags.tlscert?.value as string | undefined;
  const key = flags.tlskey?.value as string | undefined;
  if (!cert) throw new FlagError("TLS flags need a server certificate: give it with --tlscert <file>");
  if (!key) throw new FlagError("TLS flags need the certificate's private key: give it with --tlskey <file>");
  const tls: TlsOptions = { certFile: cert, keyFile: key };
  if (flags.tlscacert) tls.caFile = flags.tlscacert.value as string;
  if (flags.tlsverify?.value === true) tls.verify = true;
  o.tls = tls;
}

/**
 * The options to run with: `fromFile` (the config file's options, or `withDefaults({})`)
 * with the flags applied on top. Throws FlagError when `--routes` is given but the result has
 * no cluster listener (as nats-server does).
 */
export function mergeOptions(fromFile: ServerOptions, flags: { overrides: FlagOverrides }): ServerOptions {
  const { cluster, tls, authorization, ...scalars } = flags.overrides;
  const out: ServerOptions = { ...fromFile };
  for (const [k, v] of Object.entries(scalars)) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  if (authorization) out.authorization = { ...fromFile.authorization, ...authorization };
  if (tls === null) out.tls = undefined;
  else if (tls) out.tls = tls;
  if (cluster) {
    const base: ClusterOptions = fromFile.cluster
      ? { ...fromFile.cluster }
      : { host: DEFAULTS.host, port: 0, routes: [] };
    const { authorization: clusterAuth, ...rest } = cluster;
    for (const [k, v] of Object.entries(rest)) {
      if (v !== undefined) (base as unknown as Record<string, unknown>)[k] = v;
    }
    // --cluster replaces the route credentials, clearing them when its URL has none.
    if ("authorization" in cluster) {
      base.authorization = clusterAuth ? { ...fromFile.cluster?.authorization, ...clusterAuth } : undefined;
    }
    if (cluster.routes && cluster.routes.length > 0 && base.port === 0) {
      throw new FlagError("solicited routes require cluster capabilities, e.g. --cluster nats://127.0.0.1:6222");
    }
    out.cluster = base;
  }
  return out;
}
