/**
 * The Kubernetes target's typed arguments: what the nats-io Helm chart lets users tune, as
 * target-wide defaults with per-group overrides. Namespace, service type, context and storage
 * class come from the topology (`kubernetes:` block of a group); these are the rest.
 */
import type * as k8s from "@pulumi/kubernetes";

/** Container resource requests/limits, as in a pod spec. */
export interface Resources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

/** A persistent volume per server (a volumeClaimTemplate); off unless given. */
export interface StorageOptions {
  /** Requested size, e.g. `10Gi`. */
  size: string;
  /** Storage class; default: the group's `kubernetes.storageClass`, else the cluster default. */
  storageClass?: string;
  /** Where the volume is mounted in the broker container (default `/data`). */
  mountPath?: string;
}

/** How pods spread over failure domains (one topologySpreadConstraint per key). */
export interface SpreadOptions {
  /** Node label keys to spread across (default zone, then hostname). */
  topologyKeys?: string[];
  maxSkew?: number;
  /** `ScheduleAnyway` (default: a best effort on small clusters) or `DoNotSchedule`. */
  whenUnsatisfiable?: "ScheduleAnyway" | "DoNotSchedule";
}

/** Knobs that may differ per group. */
export interface KubernetesGroupOptions {
  /** Image of the official server for `broker: nats-server` (must contain `nats-server` on PATH). */
  natsServerImage?: string;
  /** Node.js image that runs the natsfleet bundle (`broker: natsfleet`, no `natsfleetImage`). */
  nodeImage?: string;
  /**
   * An image with natsfleet-server baked in at `natsfleetEntrypoint`: used instead of the
   * bundle ConfigMap (e.g. when the bundle is over the ConfigMap size limit).
   */
  natsfleetImage?: string;
  /** Path of the natsfleet-server script inside `natsfleetImage` (default `/opt/natsfleet/natsfleet-server.js`). */
  natsfleetEntrypoint?: string;
  /** Image of the config reloader sidecar (a Node.js image; default `nodeImage`). */
  reloaderImage?: string;
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** Broker container resources (default 100m CPU, 128Mi memory requested; 512Mi limit). */
  resources?: Resources;
  /** Reloader sidecar resources (default 10m / 32Mi requested, 64Mi limit). */
  reloaderResources?: Resources;
  storage?: StorageOptions;
  spread?: SpreadOptions;
  nodeSelector?: Record<string, string>;
  tolerations?: k8s.types.input.core.v1.Toleration[];
  /** Extra labels on every object and pod (the selector labels are fixed). */
  labels?: Record<string, string>;
  /** Extra annotations on the pods. */
  podAnnotations?: Record<string, string>;
  /** Extra annotations on the external (gateway/leaf node) Service, e.g. cloud LB settings. */
  externalServiceAnnotations?: Record<string, string>;
  /**
   * Source ranges allowed to reach the external Service (loadBalancerSourceRanges). Required
   * for a LoadBalancer that carries gateway or leaf node ports: an empty list opens them to
   * the whole internet.
   */
  allowedCidrs?: string[];
  /** Seconds pods get to drain (lame duck) before they are killed (default 60). */
  terminationGracePeriodSeconds?: number;
  /** Lame duck durations written into every config (defaults `30s`, grace `10s`). */
  lameDuckDuration?: string;
  lameDuckGracePeriod?: string;
  /** How often the reloader compares the mounted config (default 2000 ms). */
  reloadPollMs?: number;
  /**
   * User (and group) both containers run as (default 1000, the `node` user of the Node
   * images; the official nats image runs as any user). Never root.
   */
  runAsUser?: number;
  /** Add a NetworkPolicy: routes from own pods only, monitoring from the namespace (default false; see spec.ts networkPolicy). */
  networkPolicy?: boolean;
}

/** Arguments of `new KubernetesTarget(...)`. */
export interface KubernetesTargetOptions extends KubernetesGroupOptions {
  /**
   * Provider for groups that declare no `kubernetes.context`. Without it the target creates
   * one on the current kube context. A provider you pass must allow ConfigMap and Secret
   * updates in place (`enableConfigMapMutable`, `enableSecretMutable`), or config changes
   * replace objects.
   */
  provider?: k8s.Provider;
  /** Providers by kubeconfig context name; a context with none gets a provider made here. */
  providers?: Record<string, k8s.Provider>;
  /** The namespaces already exist: create no Namespace objects (default false). */
  existingNamespace?: boolean;
  /** Cluster DNS domain used in pod and Service names (default `cluster.local`). */
  clusterDomain?: string;
  /**
   * The natsfleet-server single-file bundle (text), or a function producing it on first use.
   * Needed for `broker: natsfleet` groups without `natsfleetImage`.
   */
  bundle?: string | (() => string);
  /** Per-group overrides by topology group name. */
  groups?: Record<string, KubernetesGroupOptions>;
}

export const K8S_DEFAULTS = {
  natsServerImage: "nats:2.10.22-alpine",
  nodeImage: "node:20-alpine",
  natsfleetEntrypoint: "/opt/natsfleet/natsfleet-server.js",
  clusterDomain: "cluster.local",
  terminationGracePeriodSeconds: 60,
  lameDuckDuration: "30s",
  lameDuckGracePeriod: "10s",
  reloadPollMs: 2000,
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } } as Resources,
  reloaderResources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } } as Resources,
  spread: { topologyKeys: ["topology.kubernetes.io/zone", "kubernetes.io/hostname"], maxSkew: 1, whenUnsatisfiable: "ScheduleAnyway" as const },
  storageMountPath: "/data",
  runAsUser: 1000,
};

/** A group's options: its overrides on top of the target-wide ones. */
export function groupOptions(opts: KubernetesTargetOptions, group: string): KubernetesGroupOptions {
  const { provider: _p, providers: _ps, existingNamespace: _e, clusterDomain: _d, bundle: _b, groups, ...shared } = opts;
  return { ...shared, ...(groups?.[group] ?? {}) };
}
