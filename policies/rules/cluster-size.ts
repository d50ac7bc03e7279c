/** Production clusters keep a majority through one failure: an odd number of servers, at least `minSize`. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { serverNames, topologyOf } from "./common";

export interface ClusterSizeConfig {
  /** Smallest allowed size (default 3). */
  minSize: number;
  /** Sizes must be odd (default true): an even size tolerates no more failures than one less. */
  requireOdd: boolean;
  /** `production` (default): clusters declared `production: true`; `all`: every cluster. */
  applyTo: "production" | "all";
}

export const clusterSize: ResourceValidationPolicy = {
  name: "natsfleet-cluster-size",
  description: "Clusters marked production have an odd number of servers, at least 3 (configurable).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minSize: { type: "integer", minimum: 1, default: 3 },
      requireOdd: { type: "boolean", default: true },
      applyTo: { type: "string", enum: ["production", "all"], default: "production" },
    },
  },
  validateResource: (args, reportViolation) => {
    const rec = topologyOf(args);
    if (!rec) return;
    const cfg = args.getConfig<ClusterSizeConfig>();
    for (const [name, c] of Object.entries(rec.topology.clusters)) {
      if (cfg.applyTo !== "all" && c.production !== true) continue;
      const n = serverNames(c).length;
      const what = c.production ? "production cluster" : "cluster";
      if (n < cfg.minSize) reportViolation(`topology ${rec.topology.name}: ${what} ${name} has ${n} server(s); it needs at least ${cfg.minSize} to survive a server failure`);
      else if (cfg.requireOdd && n % 2 === 0) reportViolation(`topology ${rec.topology.name}: ${what} ${name} has ${n} servers, an even number: ${n} tolerates no more failures than ${n - 1}; use ${n - 1} or ${n + 1}`);
    }
  },
};
