/**
 * The GCP target's entry in the default target registry (SuperCluster without `targets`,
 * i.e. the program `pulumi up` runs), configured from stack config (`natsfleet:allowedCidrs`,
 * `natsfleet:monitorCidrs`, `natsfleet:gcp`). Loaded lazily: topologies without a GCP group
 * do not load @pulumi/gcp. Bad options fail here, before anything registers.
 */
import type { TargetRegistry } from "../target";
import type { Topology } from "../topology/model";

/** `{ gcp }` when the topology uses it, else `{}`. */
export function gcpIfUsed(model: Topology): TargetRegistry {
  if (![...model.clusters, ...model.leafnodes].some((g) => g.target.kind === "gcp")) return {};
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { GcpTarget } = require("./target") as typeof import("./target");
  const target = new GcpTarget();
  void target.options;
  return { gcp: target };
}
