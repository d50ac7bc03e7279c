/**
 * The natsfleet-server executable: nats-server's flags and config file, signals, exit codes.
 * A thin wrapper over the embedding API: flags -> options -> createServer -> start, and each
 * signal calls the public method an embedding application would (shutdown, reload,
 * enterLameDuckMode).
 */
import { createServer, OptionsError, resolveOptions } from "./index";
import { ServerOptions, withDefaults } from "./options";
import { loadConfigFile } from "./config/options";
import { ConfigError } from "./config/errors";
import { parseFlags, mergeOptions, USAGE, FlagError, ParsedFlags } from "./cli/flags";
import { VERSION, PROTOCOL_VERSION } from "./version";
import { sendSignal } from "./cli/signal";
import type { Server } from "./server";

function fail(msg: string): never {
  process.stderr.write(`natsfleet-server: ${msg}\n`);
  process.exit(1);
}

/** Options from the config file (if any) with the flags on top, as nats-server merges them. */
function optionsFor(flags: ParsedFlags): { options: ServerOptions; warnings: string[] } {
  let base = withDefaults({});
  let warnings: string[] = [];
  if (flags.configFile) {
    const loaded = loadConfigFile(flags.configFile);
    base = loaded.options;
    warnings = loaded.warnings;
  }
  return { options: resolveOptions(mergeOptions(base, flags)), warnings: [...warnings, ...flags.warnings] };
}

export function main(argv: string[]): void {
  let flags: ParsedFlags;
  try {
    flags = parseFlags(argv);
  } catch (e) {
    if (e instanceof FlagError) fail(`${e.message}\n${USAGE}`);
    throw e;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (flags.version) {
    process.stdout.write(`natsfleet-server: v${VERSION} (nats-server protocol ${PROTOCOL_VERSION})\n`);
    process.exit(0);
  }
  let resolved: { options: ServerOptions; warnings: string[] };
  try {
    resolved = optionsFor(flags);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof OptionsError) fail(e.message);
    fail(`configuration error: ${(e as Error).message}`);
  }
  if (flags.signal !== undefined) {
    try {
      process.stdout.write(`natsfleet-server: ${sendSignal(flags.signal, resolved.options.pidFile)}\n`);
      process.exit(0);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  if (flags.checkConfig) {
    for (const w of resolved.warnings) process.stderr.write(`natsfleet-server: warning: ${w}\n`);
    process.stdout.write(`natsfleet-server: configuration file ${flags.configFile ?? "(none)"} is valid\n`);
    process.exit(0);
  }
  // SIGHUP re-reads the file and puts the same flags on top.
  const server = createServer(resolved.options, { adjust: (fromFile) => mergeOptions(fromFile, flags) });
  for (const w of resolved.warnings) server.log.warn(w);
  installSignals(server);
  server.start().catch((e: Error) => {
    server.log.fatal(`Error listening on port: ${e.message}`);
    process.exit(1);
  });
}

function installSignals(server: Server): void {
  const stop = (sig: string) => {
    server.log.info(`Trapped "${sig}" signal`);
    server.shutdown().then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("interrupt"));
  process.on("SIGTERM", () => stop("terminated"));
  process.on("SIGHUP", () => {
    server.log.info(`Trapped "hangup" signal`);
    server.reload().catch((e: Error) => server.log.error(`Failed to reload server configuration: ${e.message}`));
  });
  process.on("SIGUSR1", () => {
    server.log.info(`Trapped "user defined signal 1" signal, reopening log file`);
    server.log.reopen();
  });
  process.on("SIGUSR2", () => {
    server.log.info(`Trapped "user defined signal 2" signal`);
    server.enterLameDuckMode().then(() => process.exit(0));
  });
}
