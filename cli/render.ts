/**
 * `natsfleet render <file> --out <dir>`: write `<server>.conf` for every server on the local
 * target, and for servers of other targets whose addresses are given with --address.
 */
import * as fs from "fs";
import * as path from "path";
import type { AddressBook, SecretBook } from "../components/topology/model";
import { allServers } from "../components/topology/model";
import { localAddresses, resolveSecrets } from "../components/topology/addresses";
import { renderTopology } from "../components/topology/render";
import { CliIO, Command, EXIT, UsageError, displayPath, loadOrReport, onePositional, parseCommandArgs, reportKnownError, stringOption, stringOptions } from "./command";

export const command: Command = {
  name: "render",
  summary: "write each server's nats-server config file from a topology",
  usage: [
    "usage: natsfleet render <file> --out <dir> [--address <server>=<host>[,<advertise>]]... [--secrets <file>]",
    "",
    "  <file>       a topology (YAML or JSON) or a Pulumi stack config (natsfleet:topology key)",
    "  --out        directory to write <server>.conf into (created if missing)",
    "  --address    where a server of a non-local target is reached: <host> by its cluster's",
    "               routes, <advertise> (default <host>) by gateways and leaf nodes; repeatable.",
    "               Servers with an address are rendered too; their peers need addresses as well.",
    "  --secrets    JSON file of secret values (passwords) by key; missing ones are generated",
    "               and written back. Default: <out>/secrets.json (mode 0600).",
    "",
    "Local servers are always rendered: their addresses and ports are known from the topology.",
  ].join("\n"),
  async run(args, io) {
    const parsed = parseCommandArgs(args, {
      out: { type: "string", short: "o" },
      address: { type: "string", short: "a", multiple: true },
      secrets: { type: "string" },
    });
    const file = onePositional(parsed.positionals, "topology file");
    const outOption = stringOption(parsed, "out");
    if (!outOption) throw new UsageError("missing --out <dir>");
    const outDir = path.resolve(io.cwd, outOption);
    const model = loadOrReport(file, io);
    if (!model) return EXIT.failed;

    const known = allServers(model).map((s) => s.server.name);
    const addresses: AddressBook<string> = localAddresses(model);
    const selected = new Set(Object.keys(addresses));
    for (const spec of stringOptions(parsed, "address")) {
      const m = /^([^=]+)=([^,]+)(?:,(.+))?$/.exec(spec);
      if (!m) throw new UsageError(`--address ${spec}: expected <server>=<host>[,<advertise>]`);
      const [, name, host, advertise] = m as unknown as [string, string, string, string | undefined];
      if (!known.includes(name)) throw new UsageError(`--address ${spec}: no server named "${name}" (known: ${known.join(", ")})`);
      addresses[name] = advertise ? { host, advertise } : { host };
      selected.add(name);
    }
    if (selected.size === 0) {
      io.err(`${displayPath(file, io)}: no server on the local target and no --address given: nothing to render`);
      return EXIT.failed;
    }

    const secretsFile = path.resolve(io.cwd, stringOption(parsed, "secrets") ?? path.join(outDir, "secrets.json"));
    const existing = readSecrets(secretsFile, io);
    if (existing === undefined) return EXIT.failed;
    const { secrets, generated } = resolveSecrets(model, existing);

    let configs: Map<string, string>;
    try {
      configs = renderTopology(model, { addresses, secrets }, { servers: known.filter((n) => selected.has(n)) });
    } catch (err) {
      if (reportKnownError(err, io)) return EXIT.failed;
      throw err;
    }

    try {
      fs.mkdirSync(outDir, { recursive: true });
      if (generated.length > 0) writeSecrets(secretsFile, { ...existing, ...pick(secrets, generated) });
      for (const [name, text] of configs) fs.writeFileSync(path.join(outDir, `${name}.conf`), text, { mode: 0o600 });
    } catch (err) {
      io.err(`cannot write to ${outDir}: ${(err as Error).message}`);
      return EXIT.failed;
    }
    for (const name of configs.keys()) io.out(displayPath(path.join(outDir, `${name}.conf`), io));
    if (generated.length > 0) io.err(`generated ${generated.length} secret(s) into ${displayPath(secretsFile, io)}`);
    return EXIT.ok;
  },
};

function pick(book: SecretBook<string>, keys: string[]): SecretBook<string> {
  return Object.fromEntries(keys.map((k) => [k, book[k]!]));
}

/** Secrets from a previous run; {} when the file does not exist, undefined (reported) when it is bad. */
function readSecrets(file: string, io: CliIO): SecretBook<string> | undefined {
  if (!fs.existsSync(file)) return {};
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    io.err(`${file}: not a JSON secrets file: ${(err as Error).message}`);
    return undefined;
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    io.err(`${file}: expected a JSON object of secret key -> value`);
    return undefined;
  }
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== "string") {
      io.err(`${file}: secret ${JSON.stringify(k)} must be a string`);
      return undefined;
    }
  }
  return data as SecretBook<string>;
}

function writeSecrets(file: string, secrets: SecretBook<string>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
}
