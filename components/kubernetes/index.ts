/** The Kubernetes target: a StatefulSet per cluster or leaf node, configs reloaded in place. */
export { KubernetesTarget, KubernetesTargetError } from "./target";
export type { KubernetesTargetOptions, KubernetesGroupOptions, Resources, StorageOptions, SpreadOptions } from "./options";
export { K8S_DEFAULTS } from "./options";
export { groupNames, podDns, k8sName } from "./names";
export { RELOADER_SCRIPT, POD_PATHS } from "./reloader";
export { kubernetesOptionsFromConfig, kubernetesTargetFromStack } from "./stack-config";
