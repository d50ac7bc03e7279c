/**
 * No firewall rule opens route, gateway or monitoring ports to the whole internet. Checked on
 * the cloud and Kubernetes resource types by their type tokens and inputs; the ports are the
 * configured list plus every cluster, gateway and http port the stack's topologies use.
 * Clients (4222) and leaf nodes (7422) are meant to be reached from outside and are not listed.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { asArray, asString, isObject, plain, topologies, ResourceLike } from "./common";

export interface FirewallConfig {
  /** Ports that must not be open to the world (default 6222 routes, 7222 gateways, 8222 monitoring). */
  ports: number[];
  /** What counts as "the world" (default 0.0.0.0/0 and ::/0). */
  openCidrs: string[];
}

type Range = [number, number];

function tcp(protocol: unknown): boolean {
  const p = String(plain(protocol) ?? "tcp").toLowerCase();
  return p === "tcp" || p === "-1" || p === "all" || p === "6";
}

function num(v: unknown): number | undefined {
  const p = plain(v);
  const n = typeof p === "string" ? Number(p) : p;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

/** AWS: protocol -1 means every port whatever from/to say. */
function awsRange(protocol: unknown, from: unknown, to: unknown): Range | undefined {
  if (!tcp(protocol)) return undefined;
  if (String(plain(protocol)) === "-1" || String(plain(protocol)).toLowerCase() === "all") return [0, 65535];
  const f = num(from);
  const t = num(to) ?? f;
  if (f === undefined || t === undefined) return [0, 65535];
  return f === -1 ? [0, 65535] : [f, t];
}

/** "6222" or "7000-8000" (GCP), or a number; a named Kubernetes port cannot be resolved: undefined. */
function portRange(v: unknown): Range | undefined {
  const p = plain(v);
  if (typeof p === "number") return [p, p];
  if (typeof p !== "string") return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(p.trim());
  return m ? [Number(m[1]), Number(m[2] ?? m[1])] : undefined;
}

/** Each open-to-the-world rule of a resource: which source and which port ranges. */
function openRules(r: ResourceLike, world: Set<string>): Array<{ source: string; ranges: Range[] }> {
  const p = r.props ?? {};
  const out: Array<{ source: string; ranges: Range[] }> = [];
  const open = (cidrs: unknown[]) => cidrs.map((c) => asString(c)).find((c): c is string => c !== undefined && world.has(c));
  switch (r.type) {
    case "aws:ec2/securityGroup:SecurityGroup":
      for (const rule of asArray(p.ingress)) {
        if (!isObject(rule)) continue;
        const src = open([...asArray(rule.cidrBlocks), ...asArray(rule.ipv6CidrBlocks)]);
        const range = awsRange(rule.protocol, rule.fromPort, rule.toPort);
        if (src && range) out.push({ source: src, ranges: [range] });
      }
      break;
    case "aws:ec2/securityGroupRule:SecurityGroupRule": {
      if (asString(p.type) !== "ingress") break;
      const src = open([...asArray(p.cidrBlocks), ...asArray(p.ipv6CidrBlocks)]);
      const range = awsRange(p.protocol, p.fromPort, p.toPort);
      if (src && range) out.push({ source: src, ranges: [range] });
      break;
    }
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
      const src = open([p.cidrIpv4, p.cidrIpv6]);
      const range = awsRange(p.ipProtocol, p.fromPort, p.toPort);
      if (src && range) out.push({ source: src, ranges: [range] });
      break;
    }
    case "gcp:compute/firewall:Firewall": {
      if ((asString(p.direction) ?? "INGRESS").toUpperCase() !== "INGRESS") break;
      const src = open(asArray(p.sourceRanges));
      if (!src) break;
      const ranges: Range[] = [];
      for (const allow of asArray(p.allows)) {
        if (!isObject(allow) || !tcp(allow.protocol)) continue;
        const ports = asArray(allow.ports);
        if (ports.length === 0) ranges.push([0, 65535]);
        for (const port of ports) {
          const rg = portRange(port);
          if (rg) ranges.push(rg);
        }
      }
      if (ranges.length) out.push({ source: src, ranges });
      break;
    }
    case "kubernetes:networking.k8s.io/v1:NetworkPolicy": {
      const spec = plain(p.spec);
      if (!isObject(spec)) break;
      for (const rule of asArray(spec.ingress)) {
        if (!isObject(rule)) continue;
        const from = asArray(rule.from);
        // no `from` at all admits every source
        const src = from.length === 0 ? "any source" : open(from.map((f) => (isObject(f) && isObject(f.ipBlock) ? f.ipBlock.cidr : undefined)));
        if (!src) continue;
        const ports = asArray(rule.ports);
        const ranges = ports.length === 0 ? [[0, 65535] as Range] : ports.map((x) => (isObject(x) ? portRange(x.port) : undefined)).filter((x): x is Range => x !== undefined);
        if (ranges.length) out.push({ source: src, ranges });
      }
      break;
    }
    case "kubernetes:core/v1:Service": {
      const spec = plain(p.spec);
      if (!isObject(spec)) break;
      const type = asString(spec.type) ?? "ClusterIP";
      if (type !== "LoadBalancer" && type !== "NodePort") break;
      const limits = asArray(spec.loadBalancerSourceRanges).map((c) => asString(c));
      const src = limits.length === 0 ? `a ${type} Service with no loadBalancerSourceRanges` : open(limits);
      if (!src) break;
      const ranges = asArray(spec.ports).flatMap((x) => (isObject(x) ? [portRange(x.port), portRange(x.targetPort)] : [])).filter((x): x is Range => x !== undefined);
      if (ranges.length) out.push({ source: src, ranges });
      break;
    }
  }
  return out;
}

export const noOpenClusterPorts: StackValidationPolicy = {
  name: "natsfleet-no-open-cluster-ports",
  description: "No security group, firewall, network policy or load balancer opens route, gateway or monitoring ports to 0.0.0.0/0.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ports: { type: "array", items: { type: "integer" }, default: [6222, 7222, 8222] },
      openCidrs: { type: "array", items: { type: "string" }, default: ["0.0.0.0/0", "::/0"] },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = args.getConfig<FirewallConfig>();
    const protectedPorts = new Map<number, string>();
    for (const p of cfg.ports) protectedPorts.set(p, p === 6222 ? "route" : p === 7222 ? "gateway" : p === 8222 ? "monitoring" : "protected");
    for (const rec of topologies(args.resources)) {
      for (const g of [...Object.values(rec.topology.clusters), ...Object.values(rec.topology.leafnodes)]) {
        for (const s of Object.values(g.servers ?? {})) {
          if (s?.ports?.cluster) protectedPorts.set(s.ports.cluster, "route");
          if (s?.ports?.gateway) protectedPorts.set(s.ports.gateway, "gateway");
          if (s?.ports?.http) protectedPorts.set(s.ports.http, "monitoring");
        }
      }
    }
    const world = new Set(cfg.openCidrs);
    for (const r of args.resources) {
      for (const rule of openRules(r, world)) {
        const hit = [...protectedPorts].filter(([port]) => rule.ranges.some(([a, b]) => port >= a && port <= b)).sort((a, b) => a[0] - b[0]);
        if (!hit.length) continue;
        const list = hit.map(([port, role]) => `${port} (${role})`).join(", ");
        reportViolation(`${r.type} ${r.name}: opens ${list} to ${rule.source}; allow only the peers' addresses`, r.urn);
      }
    }
  },
};
