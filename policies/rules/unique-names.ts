/**
 * Server names and cluster names are unique across the stack: server names key state files,
 * DNS names and monitoring identities, and NATS requires unique server names in a super-cluster;
 * two topologies (or two LocalServers in one state folder) reusing one would fight over them.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { asString, groups, serverNames, topologies } from "./common";

const LOCAL_SERVER = "pulumi-nodejs:dynamic:LocalServer";

export const uniqueNames: StackValidationPolicy = {
  name: "natsfleet-unique-names",
  description: "Server names and cluster/leaf node names are unique across the stack's topologies.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const servers = new Map<string, string[]>();
    const groupNames = new Map<string, string[]>();
    for (const rec of topologies(args.resources)) {
      for (const g of groups(rec.topology)) {
        const where = `${g.kind === "cluster" ? "cluster" : "leaf node"} ${g.name} of topology ${rec.topology.name}`;
        groupNames.set(g.name, [...(groupNames.get(g.name) ?? []), `topology ${rec.topology.name}`]);
        for (const s of serverNames(g.group)) servers.set(s, [...(servers.get(s) ?? []), where]);
      }
    }
    for (const [name, where] of servers) if (where.length > 1) reportViolation(`server name ${name} is used ${where.length} times: in ${where.join("; ")}`);
    for (const [name, where] of groupNames) if (where.length > 1) reportViolation(`cluster/leaf node name ${name} is used ${where.length} times: in ${where.join("; ")}`);
    const files = new Map<string, string[]>();
    for (const r of args.resources) {
      if (r.type !== LOCAL_SERVER) continue;
      const key = `${asString(r.props?.stateDir)}/${asString(r.props?.name)}`;
      files.set(key, [...(files.get(key) ?? []), r.name]);
    }
    for (const [key, names] of files) if (names.length > 1) reportViolation(`local servers ${names.join(", ")} share the files ${key}.*: give them different names or state folders`);
  },
};
