/**
 * Topology: declaration -> validated model -> per-server nats-server configs.
 * Pure and Pulumi-free except render-output.ts (imported separately by components).
 */
export * from "./model";
export { TopologyError, TopologySourceError, formatIssue, formatPath } from "./errors";
export type { TopologyIssue, TopologyPath } from "./errors";
export { checkTopology, validateTopology, secretKeys, serviceUsers, DEFAULT_SYSTEM_ACCOUNT } from "./validate";
export type { CheckResult } from "./validate";
export { TOPOLOGY_CONFIG_KEY, loadTopology, parseDeclaration, readDeclaration, validateLoaded } from "./load";
export type { LoadedDeclaration } from "./load";
export { render, renderTopology, RenderError } from "./render";
export type { RenderOptions } from "./render";
export { localAddresses, localServerNames, resolveSecrets, generatePassword } from "./addresses";
export { quote } from "./conf-writer";
export { localPorts, remotePorts, withServerPorts, BASE_STRIDE, BASE_SLOTS } from "./ports";
