/**
 * natsfleet's public Pulumi API: the components, the target contract and the local target.
 * The topology model and its validation live under ./topology.
 */
export { SuperCluster, createSuperCluster, checkTargets } from "./supercluster";
export type { SuperClusterArgs } from "./supercluster";
export { Cluster } from "./cluster";
export type { ClusterArgs } from "./cluster";
export { LeafNode } from "./leafnode";
export type { LeafNodeArgs } from "./leafnode";
export type { Target, TargetRegistry, Allocation, DeployRequest, DeployedServer, NodeGroup } from "./target";
export { LocalTarget } from "./local/target";
export type { LocalTargetOptions } from "./local/target";
export { LocalServer, localServerProvider } from "./local/provider";
export type { LocalServerArgs } from "./local/provider";
export { program } from "./program";
export type { ProgramOutputs, ProgramOptions } from "./program";
export * as topology from "./topology/model";
