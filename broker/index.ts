/**
 * The embeddable broker: `import { startServer } from "natsfleet/broker"` runs a NATS server
 * in-process, as Go programs embed nats-server. The natsfleet-server executable is a thin
 * wrapper over this.
 */
import { Server } from "./server";
import { ServerOptions, withDefaults } from "./options";
import { Logger, LoggerOptions } from "./log";
import { MonitorAddon } from "./monitor";
import { RouteAddon } from "./route";
import { GatewayAddon } from "./gateway/addon";
import { LeafNodeAddon } from "./leafnode";
import { loadConfigFile } from "./config/options";

export { Server } from "./server";
export type { ServerStats, ClosedClient, ServerAddon } from "./server";
export type { ServerOptions } from "./options";
export { DEFAULTS, withDefaults } from "./options";
export { Logger } from "./log";
export { VERSION, PROTOCOL_VERSION } from "./version";
export { loadConfigFile } from "./config/options";
export { ConfigError } from "./config/errors";

export interface EmbedOptions {
  /** Logger settings; `quiet: true` silences the server (tests, embedding). */
  log?: LoggerOptions;
}

/** A server with the standard addons (monitoring, routes, gateways, leaf nodes), not yet started. */
export function createServer(options: Partial<ServerOptions> = {}, embed: EmbedOptions = {}): Server {
  const opts = withDefaults(options);
  const logger = new Logger({ debug: opts.debug, trace: opts.trace, logtime: opts.logtime, file: opts.logFile, ...embed.log });
  const server = new Server(opts, logger);
  // Each addon stays idle unless its block (http, cluster, gateway, leafnodes) is configured.
  server.addons.push(new MonitorAddon(), new RouteAddon(), new GatewayAddon(), new LeafNodeAddon());
  return server;
}

/** Create and start a server; resolves once clients can connect (`server.clientURL()`). */
export async function startServer(options: Partial<ServerOptions> = {}, embed: EmbedOptions = {}): Promise<Server> {
  const server = createServer(options, embed);
  await server.start();
  return server;
}

/** Start a server from a nats-server config file. */
export async function startServerFromConfig(file: string, embed: EmbedOptions = {}): Promise<Server> {
  const { options, warnings } = loadConfigFile(file);
  const server = createServer(options, embed);
  for (const w of warnings) server.log.warn(w);
  await server.start();
  return server;
}
