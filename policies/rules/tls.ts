/**
 * Gateways and leaf links that leave this machine carry TLS: a link crosses the internet unless
 * both ends run on the local target (or, with `sameRegionIsPrivate`, in one region of one
 * cloud, for networks that are private end to end).
 * Gateway TLS is per cluster (each side dials with its own settings); a leaf link follows its
 * hub's leafnode listener; a link to an external hub (a hosted service) needs a tls:// URL.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { crossesInternet, groups, topologyOf } from "./common";

export interface TlsConfig {
  /** Treat links inside one cloud region as private (default false: any non-local link needs TLS). */
  sameRegionIsPrivate: boolean;
}

export const tlsAcrossInternet: ResourceValidationPolicy = {
  name: "natsfleet-tls-across-internet",
  description: "Gateways and leaf node links between different networks (non-local targets, other regions) use TLS.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { sameRegionIsPrivate: { type: "boolean", default: false } } },
  validateResource: (args, reportViolation) => {
    const rec = topologyOf(args);
    if (!rec) return;
    const { sameRegionIsPrivate } = args.getConfig<TlsConfig>();
    const t = rec.topology;
    const clusters = Object.entries(t.clusters);
    if (t.gateways?.enabled) {
      for (const [name, c] of clusters) {
        if (c.tls?.gateway) continue;
        const far = clusters.filter(([o, oc]) => o !== name && crossesInternet(c, oc, sameRegionIsPrivate)).map(([o]) => o);
        if (far.length) reportViolation(`topology ${t.name}: cluster ${name} (${c.target?.kind}) has gateways to ${far.join(", ")} across the internet without TLS; set tls.enabled (with gateway in tls.listeners) on ${name}`);
      }
    }
    // an external hub is always elsewhere: only a local server may dial it in plain text
    for (const { name, kind, group } of groups(t)) {
      const ext = group.externalHub;
      if (!ext || ext.tls || group.target?.kind === "local") continue;
      reportViolation(
        `topology ${t.name}: ${kind === "cluster" ? "cluster" : "leaf node"} ${name} (${group.target?.kind}) connects to external hub ${ext.urls.join(", ")} without TLS; use a tls:// URL`,
      );
    }
    for (const [name, l] of Object.entries(t.leafnodes)) {
      if (l.externalHub) continue;
      const hub = t.clusters[l.hub];
      if (!hub || hub.tls?.leafnode) continue;
      if (crossesInternet(l, hub, sameRegionIsPrivate)) {
        reportViolation(`topology ${t.name}: leaf node ${name} (${l.target?.kind}) connects to hub ${l.hub} (${hub.target?.kind}) across the internet without TLS; turn TLS on for ${l.hub}'s leafnode listener`);
      }
    }
  },
};
