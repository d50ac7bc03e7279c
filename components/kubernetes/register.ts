/**
 * The Kubernetes target's entry in the default target registry (SuperCluster without
 * `targets`, i.e. the program `pulumi up` runs). Loaded lazily: @pulumi/kubernetes takes
 * a second to load, which topologies without a Kubernetes group should not pay.
 */
import type { TargetRegistry } from "../target";
import type { Topology } from "../topology/model";

/** `{ kubernetes }` configured from `natsfleet:kubernetes` when the topology uses it, else `{}`. */
export function kubernetesIfUsed(model: Topology): TargetRegistry {
  const used = [...model.clusters, ...model.leafnodes].some((g) => g.target.kind === "kubernetes");
  if (!used) return {};
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { kubernetesTargetFromStack } = require("./stack-config") as typeof import("./stack-config");
  return { kubernetes: kubernetesTargetFromStack() };
}
