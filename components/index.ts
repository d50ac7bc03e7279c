/**
 * natsfleet's public Pulumi API: the components, the target contract and the local target.
 * The topology model and its validation live under ./topology.
 */
export { SuperCluster, SuperClusterArgs, createSuperCluster, checkTargets } from "./supercluster";
export { Cluster, ClusterArgs } from "./cluster";
export { LeafNode, LeafNodeArgs } from "./leafnode";
export { Target, TargetRegistry, Allocation, DeployRequest, DeployedServer, NodeGroup } from "./target";
export { LocalTarget, LocalTargetOptions } from "./local/target";
export { LocalServer, LocalServerArgs, localServerProvider } from "./local/provider";
export { program, ProgramOutputs } from "./program";
export * as topology from "./topology/model";
