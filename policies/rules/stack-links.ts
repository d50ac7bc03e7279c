/**
 * Stack-wide link checks: every leaf node's declared hub is a cluster of its topology with deployed
 * servers, and every gateway can be dialled from the other clusters (an advertise address is
 * set, and is not loopback, nor private when the clusters are in different networks).
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { crossesInternet, isLocalOnly, isPrivate, serverNames, topologies } from "./common";

export const leafHubsExist: StackValidationPolicy = {
  name: "natsfleet-leaf-hubs-exist",
  description: "Every leaf node's hub is a cluster of the same topology, with servers in the stack.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const rec of topologies(args.resources)) {
      const t = rec.topology;
      for (const [name, l] of Object.entries(t.leafnodes)) {
        // an external hub (a hosted service) is outside the stack: nothing here to look up
        if (l.externalHub) continue;
        const hub = t.clusters[l.hub];
        if (!hub) {
          reportViolation(`topology ${t.name}: leaf node ${name}'s hub ${l.hub} is not a cluster of the topology (clusters: ${Object.keys(t.clusters).join(", ") || "none"})`, rec.urn);
          continue;
        }
        const servers = serverNames(hub);
        const deployed = servers.filter((s) => rec.addresses[s] !== undefined);
        if (!servers.length || !deployed.length) reportViolation(`topology ${t.name}: leaf node ${name}'s hub ${l.hub} has no deployed servers to connect to`, rec.urn);
        if (!hub.leafnodes?.includes(name)) reportViolation(`topology ${t.name}: hub ${l.hub} does not accept leaf node ${name} (its leafnode listener lists ${hub.leafnodes?.join(", ") || "none"})`, rec.urn);
      }
    }
  },
};

export interface GatewaysReachableConfig {
  /** Accept private advertise addresses between different networks (a VPN or peering joins them). */
  allowPrivate: boolean;
  sameRegionIsPrivate: boolean;
}

export const gatewaysReachable: StackValidationPolicy = {
  name: "natsfleet-gateways-reachable",
  description: "Every gateway is reachable from the other clusters: advertise set for non-local servers, not loopback, not private across networks.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { allowPrivate: { type: "boolean", default: false }, sameRegionIsPrivate: { type: "boolean", default: true } } },
  validateStack: (args, reportViolation) => {
    const cfg = args.getConfig<GatewaysReachableConfig>();
    for (const rec of topologies(args.resources)) {
      const t = rec.topology;
      if (!t.gateways?.enabled) continue;
      const clusters = Object.entries(t.clusters);
      for (const [name, c] of clusters) {
        const others = clusters.filter(([o]) => o !== name);
        const far = others.some(([, oc]) => crossesInternet(c, oc, cfg.sameRegionIsPrivate));
        const allLocal = others.every(([, oc]) => oc.target?.kind === "local") && c.target?.kind === "local";
        for (const s of serverNames(c)) {
          const a = rec.addresses[s];
          if (a === undefined) {
            reportViolation(`topology ${t.name}: gateway of ${s} (cluster ${name}) has no address`, rec.urn);
            continue;
          }
          if (c.target?.kind === "local") {
            if (!allLocal && typeof a.host === "string" && isLocalOnly(a.advertise ?? a.host)) {
              reportViolation(`topology ${t.name}: gateway of local server ${s} advertises ${a.advertise ?? a.host}, which clusters on other targets cannot dial`, rec.urn);
            }
            continue;
          }
          // unknown during a preview (an address not allocated yet): nothing to judge
          if (a.advertise === undefined || a.advertise === null) {
            if (typeof a.host === "string") reportViolation(`topology ${t.name}: gateway of ${s} (cluster ${name}, ${c.target?.kind}) has no advertise address; other clusters would dial ${a.host}`, rec.urn);
            continue;
          }
          if (typeof a.advertise !== "string") continue;
          if (a.advertise === "" || isLocalOnly(a.advertise)) reportViolation(`topology ${t.name}: gateway of ${s} (cluster ${name}) advertises ${a.advertise || "an empty address"}, which no other cluster can dial`, rec.urn);
          else if (far && !cfg.allowPrivate && isPrivate(a.advertise)) reportViolation(`topology ${t.name}: gateway of ${s} (cluster ${name}) advertises private address ${a.advertise} to clusters in other networks; advertise a public address or load balancer (or set allowPrivate when networks are peered)`, rec.urn);
        }
      }
    }
  },
};
