/**
 * The AWS target's entry in the default target registry (SuperCluster without `targets`,
 * i.e. the program `pulumi up` runs), configured from stack config (`natsfleet:allowedCidrs`,
 * `natsfleet:monitorCidrs`, `natsfleet:aws`). Loaded lazily: topologies without a AWS group
 * do not load @pulumi/aws. Bad options fail here, before anything registers.
 */
import type { TargetRegistry } from "../target";
import type { Topology } from "../topology/model";

/** `{ aws }` when the topology uses it, else `{}`. */
export function awsIfUsed(model: Topology): TargetRegistry {
  if (![...model.clusters, ...model.leafnodes].some((g) => g.target.kind === "aws")) return {};
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { AwsTarget } = require("./target") as typeof import("./target");
  const target = new AwsTarget();
  void target.options;
  return { aws: target };
}
