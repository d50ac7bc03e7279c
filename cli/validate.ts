/** `natsfleet validate <file>`: check a topology (or stack config) and print every problem. */
import { allServers } from "../components/topology/model";
import { Command, EXIT, displayPath, flag, loadOrReport, onePositional, parseCommandArgs } from "./command";

export const command: Command = {
  name: "validate",
  summary: "check a topology or stack config file and list every problem",
  usage: [
    "usage: natsfleet validate <file> [--quiet]",
    "",
    "  <file>   a topology (YAML or JSON) or a Pulumi stack config (natsfleet:topology key)",
    "  --quiet  print nothing when the topology is valid",
    "",
    "Prints one line per problem, `file:line:col: path: message`, and exits 1 when there is any.",
  ].join("\n"),
  async run(args, io) {
    const parsed = parseCommandArgs(args, { quiet: { type: "boolean", short: "q" } });
    const { positionals } = parsed;
    const file = onePositional(positionals, "topology file");
    const model = loadOrReport(file, io);
    if (!model) return EXIT.failed;
    if (!flag(parsed, "quiet")) {
      const servers = allServers(model).length;
      const gw = model.gateways.enabled ? `, gateways ${model.gateways.mode}` : "";
      io.out(`${displayPath(file, io)}: topology "${model.name}" is valid: ${model.clusters.length} cluster(s), ${model.leafnodes.length} leaf node(s), ${servers} server(s)${gw}`);
    }
    return EXIT.ok;
  },
};
