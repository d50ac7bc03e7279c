/**
 * `TopologyResource`: a resource whose inputs are the normalized topology (and the servers'
 * addresses), so `pulumi preview --diff` shows a topology change as such
 * (`~ topology.clusters.lab`, `+ topology.leafnodes.factory-3`) next to the resource changes
 * it causes, and so the policy pack can read the topology from the stack's resources.
 *
 * A dynamic resource with no-op create/update: it manages nothing, it only records.
 * Component outputs would not do: Pulumi shows them on `up`, never in a preview.
 */
import * as pulumi from "@pulumi/pulumi";
import type { NormalizedTopology } from "./plan/normalize";

/** How a TopologyResource registers (dynamic resources take the `pulumi-nodejs:dynamic:` package). */
export const TOPOLOGY_RESOURCE_TYPE = "pulumi-nodejs:dynamic:Topology";

/** One server's address as the renderer used it. */
export interface RecordedAddress {
  host: string;
  advertise?: string;
}

export interface TopologyResourceInputs {
  /** The normalized topology (normalizeTopology): names as keys, no secret values. */
  topology: NormalizedTopology;
  /** Server name -> how peers reach it (gateway and leaf links dial `advertise`). */
  addresses: Record<string, RecordedAddress>;
}

/**
 * The provider: nothing to create or delete, so every method only hands the inputs back.
 * Kept free of captured module state: Pulumi serializes it into the stack.
 */
export const topologyProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: TopologyResourceInputs, news: TopologyResourceInputs) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (!news.topology || typeof news.topology !== "object" || typeof news.topology.name !== "string") {
      failures.push({ property: "topology", reason: "must be a normalized topology with a name" });
    }
    return { inputs: news, failures };
  },
  async diff(_id: string, olds: TopologyResourceInputs, news: TopologyResourceInputs) {
    const same = JSON.stringify([olds.topology, olds.addresses]) === JSON.stringify([news.topology, news.addresses]);
    return { changes: !same };
  },
  async create(inputs: TopologyResourceInputs) {
    return { id: `topology-${inputs.topology.name}`, outs: inputs };
  },
  async update(_id: string, _olds: TopologyResourceInputs, news: TopologyResourceInputs) {
    return { outs: news };
  },
};

export type TopologyResourceArgs = {
  topology: pulumi.Input<NormalizedTopology>;
  addresses: pulumi.Input<Record<string, pulumi.Input<RecordedAddress>>>;
};

/** The record of one super-cluster's topology in the stack. */
export class TopologyResource extends pulumi.dynamic.Resource {
  public readonly topology!: pulumi.Output<NormalizedTopology>;
  public readonly addresses!: pulumi.Output<Record<string, RecordedAddress>>;

  constructor(name: string, args: TopologyResourceArgs, opts?: pulumi.CustomResourceOptions) {
    super(topologyProvider, name, { ...args }, opts, undefined, "Topology");
  }
}
