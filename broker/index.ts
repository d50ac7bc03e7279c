/**
 * The embeddable broker: `import { startServer } from "natsfleet/broker"` runs a NATS server
 * in-process, as Go programs embed nats-server. The natsfleet-server executable is a thin
 * wrapper over this: flags -> options -> createServer -> start, signals -> the same methods.
 * Guide: docs/embedding.md.
 */
import { Server } from "./server";
import { ServerOptions, ServerOptionsInput } from "./options";
import { Logger, LoggerOptions } from "./log";
import { MonitorAddon } from "./monitor";
import { RouteAddon } from "./route";
import { GatewayAddon } from "./gateway/addon";
import { LeafNodeAddon } from "./leafnode";
import { loadConfigFile } from "./config/options";
import { resolveOptions } from "./embed/validate";
import { LogSink, SinkLogger } from "./embed/log";

export { Server } from "./server";
export type { ServerStats, ClosedClient, ServerAddon, ServerPorts, ServerEvents } from "./server";
export type {
  ServerOptions,
  ServerOptionsInput,
  ClusterInput,
  GatewayInput,
  LeafNodeInput,
  TlsOptions,
  SubjectPermission,
  Permissions,
  UserConfig,
  AuthorizationOptions,
  StreamExport,
  ServiceExport,
  StreamImport,
  ServiceImport,
  AccountConfig,
  ClusterOptions,
  RemoteGatewayOptions,
  GatewayOptions,
  RemoteLeafOptions,
  LeafNodeOptions,
  UnsupportedBlock,
  ResolverConfig,
  SubjectMappings,
  MappingDestination,
} from "./options";
export { DEFAULTS, withDefaults } from "./options";
export { Logger } from "./log";
export type { LoggerOptions, Level } from "./log";
export type { LogSink } from "./embed/log";
export { VERSION, PROTOCOL_VERSION } from "./version";
export { loadConfigFile } from "./config/options";
export type { LoadedConfig } from "./config/options";
export { ConfigError } from "./config/errors";
export { OptionsError, resolveOptions } from "./embed/validate";

export interface EmbedOptions {
  /**
   * Logging: `quiet: true` silences the server (tests); `sink` receives every line instead of
   * stderr or `logFile`. `debug`/`trace`/`logtime`/`file` default to the server options'.
   */
  log?: LoggerOptions & { sink?: LogSink };
  /**
   * Changes to the options read from a config file, applied at start (for
   * createServerFromConfig) and on every `server.reload()` without arguments, the way the
   * executable puts its command-line flags on top of the file.
   */
  adjust?: (fromFile: ServerOptions) => ServerOptionsInput;
}

function loggerFor(opts: ServerOptions, log: EmbedOptions["log"] = {}): Logger {
  const { sink, ...settings } = log;
  const base: LoggerOptions = { debug: opts.debug, trace: opts.trace, logtime: opts.logtime, file: opts.logFile, ...settings };
  return sink ? new SinkLogger(sink, base) : new Logger(base);
}

/**
 * A server with the standard addons (monitoring, routes, gateways, leaf nodes), not yet
 * started. Throws OptionsError (naming the field) for a bad options object.
 */
export function createServer(options: ServerOptionsInput = {}, embed: EmbedOptions = {}): Server {
  const opts = resolveOptions(options);
  const server = new Server(opts, loggerFor(opts, embed.log));
  if (embed.adjust) server.adjustFileOptions = embed.adjust;
  // Each addon stays idle unless its block (http, cluster, gateway, leafnodes) is configured.
  server.addons.push(new MonitorAddon(), new RouteAddon(), new GatewayAddon(), new LeafNodeAddon());
  return server;
}

/** A server for a nats-server config file (ConfigError names file:line:col), not yet started. */
export function createServerFromConfig(file: string, embed: EmbedOptions = {}): Server {
  const { options, warnings } = loadConfigFile(file);
  const server = createServer(embed.adjust ? embed.adjust(options) : options, embed);
  for (const w of warnings) server.log.warn(w);
  return server;
}

/** Start, or release what was opened (log file included) and rethrow. */
async function started(server: Server): Promise<Server> {
  try {
    await server.start();
  } catch (e) {
    await server.shutdown();
    throw e;
  }
  return server;
}

/** Create and start a server; resolves once clients can connect (`server.clientURL()`). */
export async function startServer(options: ServerOptionsInput = {}, embed: EmbedOptions = {}): Promise<Server> {
  return started(createServer(options, embed));
}

/** Start a server from a nats-server config file; `server.reload()` re-reads the file. */
export async function startServerFromConfig(file: string, embed: EmbedOptions = {}): Promise<Server> {
  return started(createServerFromConfig(file, embed));
}
