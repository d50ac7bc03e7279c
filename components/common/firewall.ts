/**
 * Which port is open to whom, per role, independent of the platform. Targets turn the rules
 * into security group rules (AWS), firewall rules (GCP) or NetworkPolicies (Kubernetes).
 *
 * The minimal set, per group:
 * - client port: from `allowedCidrs` only (no rule when the list is empty);
 * - leafnode port (hub clusters only): from `allowedCidrs` only;
 * - cluster (route) port: from the group's own servers only;
 * - gateway port: from the other clusters' servers' advertised addresses only (/32 or /128);
 * - monitoring: never public (from `monitorCidrs` when given, which must not be the internet).
 */
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";
import type { NodeGroup } from "../target";
import type { AddressBook, Listener, Topology } from "../topology/model";

/** Who may connect. */
export type FirewallSource =
  /** Fixed address ranges (user-declared). */
  | { kind: "cidrs"; cidrs: string[] }
  /** The group's own servers (security group self-reference, network tag, pod selector). */
  | { kind: "group" }
  /** Single hosts: other clusters' servers, by name with their advertised address. */
  | { kind: "servers"; servers: Array<{ name: string; group: string; address: pulumi.Input<string> }> };

/** One allowed ingress: TCP to `port` on every server of `group`. */
export interface FirewallRule {
  group: string;
  listener: Listener;
  port: number;
  source: FirewallSource;
  /** Short, stable: also used to name the platform resource. */
  id: string;
  description: string;
}

/** The user's choices. */
export interface FirewallPolicy {
  /** Who may reach client and leaf node ports (e.g. ["203.0.113.0/24"]). Empty: nobody outside. */
  allowedCidrs: string[];
  /** Who may reach the monitoring port; must not include the internet. Default: nobody. */
  monitorCidrs?: string[];
}

/** A CIDR that opens a port to every address. */
export function isInternet(cidr: string): boolean {
  const [ip, bits] = cidr.split("/");
  return bits === "0" && (ip === "0.0.0.0" || ip === "::");
}

/** Problems with a CIDR list, each naming `where` and the entry: empty when fine. */
export function cidrProblems(cidrs: unknown, where: string, allowInternet: boolean): string[] {
  if (!Array.isArray(cidrs)) return [`${where}: expected a list of CIDRs like "203.0.113.0/24", got ${JSON.stringify(cidrs)}`];
  const out: string[] = [];
  cidrs.forEach((c, i) => {
    const m = typeof c === "string" ? /^([^/]+)\/(\d{1,3})$/.exec(c) : null;
    const family = m ? net.isIP(m[1]!) : 0;
    if (!m || family === 0 || Number(m[2]) > (family === 4 ? 32 : 128)) {
      out.push(`${where}[${i}]: ${JSON.stringify(c)} is not a CIDR (e.g. "203.0.113.0/24")`);
    } else if (!allowInternet && isInternet(c as string)) {
      out.push(`${where}[${i}]: ${c} would make the port public`);
    }
  });
  return out;
}

/** A single address as a host CIDR. */
export function hostCidr(address: string): string {
  const bare = address.replace(/^\[|\]$/g, "");
  return net.isIP(bare) === 6 ? `${bare}/128` : `${bare}/32`;
}

function portsOf(group: NodeGroup, l: Listener): number[] {
  return [...new Set(group.servers.map((s) => s.ports[l]).filter((p) => p > 0))].sort((a, b) => a - b);
}

/** The minimal rules for `group`. Throws when the policy's CIDRs are malformed or too open. */
export function firewallRules(model: Topology, group: NodeGroup, addresses: AddressBook<pulumi.Input<string>>, policy: FirewallPolicy): FirewallRule[] {
  const problems = [...cidrProblems(policy.allowedCidrs, "allowedCidrs", true), ...cidrProblems(policy.monitorCidrs ?? [], "monitorCidrs", false)];
  if (problems.length) throw new Error(`firewall of ${group.name}: ${problems.join("; ")}`);
  const rules: FirewallRule[] = [];
  const add = (listener: Listener, source: FirewallSource, who: string, description: string) => {
    for (const port of portsOf(group, listener)) rules.push({ group: group.name, listener, port, source, id: `${listener}-${port}-${who}`, description });
  };
  if (policy.allowedCidrs.length) add("client", { kind: "cidrs", cidrs: [...policy.allowedCidrs] }, "allowed", "NATS clients from allowedCidrs");
  if (group.kind === "cluster" && group.leafnodes.length > 0 && policy.allowedCidrs.length) {
    add("leafnode", { kind: "cidrs", cidrs: [...policy.allowedCidrs] }, "allowed", "leaf node connections from allowedCidrs");
  }
  if (group.servers.length > 1) add("cluster", { kind: "group" }, "self", `routes inside ${group.name}`);
  if (group.kind === "cluster" && model.gateways.enabled) {
    for (const other of model.clusters) {
      if (other.name === group.name) continue;
      const servers = other.servers.map((s) => {
        const a = addresses[s.name];
        if (!a) throw new Error(`firewall of ${group.name}: no address for server ${s.name} of cluster ${other.name}`);
        return { name: s.name, group: other.name, address: a.advertise ?? a.host };
      });
      add("gateway", { kind: "servers", servers }, `gw-${other.name}`, `gateways from cluster ${other.name}`);
    }
  }
  if (policy.monitorCidrs?.length) add("http", { kind: "cidrs", cidrs: [...policy.monitorCidrs] }, "monitor", "monitoring from monitorCidrs");
  return rules;
}
