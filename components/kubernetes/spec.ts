/**
 * One group's Kubernetes objects as plain specs (no Pulumi resources), so the shapes that
 * matter (ports, probes, selectors, what the pod template depends on) are decided in one
 * place and can be read without a cluster.
 *
 * The pod template depends only on things that do not change when the topology grows (the
 * group's name, ports, images, options): server count and configs live in `replicas` and in
 * the config Secret, so adding a server never rolls existing pods.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { core } from "@pulumi/kubernetes/types/input";
import type { Listener, Ports } from "../topology/model";
import type { BrokerProcess } from "./broker";
import { BUNDLE_UNPACK_DIR } from "./broker";
import { GROUP_ANNOTATION, GroupNames, objectLabels, selectorLabels } from "./names";
import { K8S_DEFAULTS, KubernetesGroupOptions } from "./options";
import { POD_PATHS, RELOADER_FILE } from "./reloader";



/** What the specs of one group are built from. */
export interface GroupSpec {
  names: GroupNames;
  namespace: string;
  /** Topology group name (annotation). */
  groupName: string;
  kind: "cluster" | "leafnode";
  replicas: number;
  /** The ports every server of the group uses (one pod template for all). */
  ports: Ports;
  options: KubernetesGroupOptions;
  /** The group's `kubernetes.storageClass`, used when storage is on and names none. */
  storageClass?: string;
  broker: BrokerProcess;
  /** Mount the TLS Secret and have the reloader watch the pod's certificate files. */
  tls?: boolean;
}

/** The pod's certificate files, as the reloader watches them (`$(POD_NAME)` expanded by the kubelet). */
const TLS_WATCH = ["$(POD_NAME).crt", "$(POD_NAME).key", "ca.crt"].map((f) => `${POD_PATHS.tlsDir}/${f}`).join(":");

/** Port names used by containers and Services (`targetPort` refers to them). */
export const PORT_NAMES: Readonly<Record<Listener, string>> = {
  client: "nats",
  cluster: "cluster",
  gateway: "gateway",
  leafnode: "leafnodes",
  http: "monitor",
};

function metadata(g: GroupSpec, name: string, annotations: Record<string, string> = {}) {
  return {
    name,
    namespace: g.namespace,
    labels: objectLabels(g.names, g.kind, g.options.labels),
    annotations: { ...annotations, [GROUP_ANNOTATION]: g.groupName },
  };
}

function containerPorts(p: Ports): core.v1.ContainerPort[] {
  return (Object.keys(PORT_NAMES) as Listener[]).filter((l) => p[l] > 0).map((l) => ({ name: PORT_NAMES[l], containerPort: p[l], protocol: "TCP" }));
}

function servicePorts(p: Ports, listeners: Listener[]): core.v1.ServicePort[] {
  return listeners.filter((l) => p[l] > 0).map((l) => ({ name: PORT_NAMES[l], port: p[l], targetPort: PORT_NAMES[l], protocol: "TCP" }));
}

/** Listeners other clusters and leaf nodes dial: what the external Service carries. */
export function externalListeners(p: Ports): Listener[] {
  return (["gateway", "leafnode"] as Listener[]).filter((l) => p[l] > 0);
}

/** Headless Service: a DNS name per pod, published before pods are ready so routes form early. */
export function headlessService(g: GroupSpec): k8s.core.v1.ServiceArgs {
  return {
    metadata: metadata(g, g.names.headless),
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(g.names),
      ports: servicePorts(g.ports, ["client", "cluster", "gateway", "leafnode", "http"]),
    },
  };
}

/** ClusterIP Service clients inside the Kubernetes cluster use (ready pods only). */
export function clientService(g: GroupSpec): k8s.core.v1.ServiceArgs {
  return {
    metadata: metadata(g, g.names.client),
    spec: { type: "ClusterIP", selector: selectorLabels(g.names), ports: servicePorts(g.ports, ["client"]) },
  };
}

/** Service for gateways and leaf nodes from outside, when the group opens either. */
export function externalService(g: Omit<GroupSpec, "broker" | "replicas">, serviceType: "LoadBalancer" | "ClusterIP"): k8s.core.v1.ServiceArgs {
  const spec: core.v1.ServiceSpec = {
    type: serviceType,
    selector: selectorLabels(g.names),
    ports: servicePorts(g.ports, externalListeners(g.ports)),
  };
  if (serviceType === "LoadBalancer") {
    spec.loadBalancerSourceRanges = g.options.allowedCidrs ?? [];
    // keep client source addresses (gateway authorization logs, leaf node limits)
    spec.externalTrafficPolicy = "Local";
  }
  return { metadata: metadata(g as GroupSpec, g.names.external, g.options.externalServiceAnnotations), spec };
}

/** At most one server down at a time for voluntary disruptions (node drains, upgrades). */
export function podDisruptionBudget(g: GroupSpec): k8s.policy.v1.PodDisruptionBudgetArgs {
  return { metadata: metadata(g, g.names.pdb), spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(g.names) } } };
}

/**
 * Opt-in NetworkPolicy (a policy that selects the pods denies every ingress it does not
 * list): routes only from the group's own pods, monitoring only from the namespace, gateways
 * from the namespace, `allowedCidrs` and the other clusters' servers (`gatewayPeers`: their
 * advertised IPs as host CIDRs; the external Service keeps client IPs), clients and leaf
 * nodes from anywhere (Services and LB source ranges limit those). The CNI must let the
 * kubelet's probes through, as the common ones do.
 */
export function networkPolicy(g: GroupSpec, gatewayPeers: pulumi.Input<string[]> = []): k8s.networking.v1.NetworkPolicyArgs | undefined {
  if (g.options.networkPolicy !== true) return undefined;
  const own = { podSelector: { matchLabels: selectorLabels(g.names) } };
  const namespace = { podSelector: {} };
  const port = (l: Listener) => ({ port: g.ports[l], protocol: "TCP" });
  const ingress: k8s.types.input.networking.v1.NetworkPolicyIngressRule[] = [];
  if (g.ports.cluster > 0) ingress.push({ from: [own], ports: [port("cluster")] });
  if (g.ports.http > 0) ingress.push({ from: [namespace], ports: [port("http")] });
  if (g.ports.gateway > 0) {
    const allowed = g.options.allowedCidrs ?? [];
    const from = pulumi.output(gatewayPeers).apply((peers) => [namespace, ...[...new Set([...allowed, ...peers])].map((cidr) => ({ ipBlock: { cidr } }))]);
    ingress.push({ from, ports: [port("gateway")] });
  }
  const open = (["client", "leafnode"] as Listener[]).filter((l) => g.ports[l] > 0).map(port);
  if (open.length) ingress.push({ ports: open });
  return {
    metadata: metadata(g, g.names.networkPolicy),
    spec: { podSelector: { matchLabels: selectorLabels(g.names) }, policyTypes: ["Ingress"], ingress },
  };
}

function probe(port: string, period: number, failures: number, initialDelay = 0): core.v1.Probe {
  return { httpGet: { path: "/healthz", port }, periodSeconds: period, failureThreshold: failures, timeoutSeconds: 5, initialDelaySeconds: initialDelay };
}

/** Nothing in the pod writes outside its emptyDirs or needs a capability. */
const CONTAINER_SECURITY: core.v1.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

function podSecurity(o: KubernetesGroupOptions): core.v1.PodSecurityContext {
  const uid = o.runAsUser ?? K8S_DEFAULTS.runAsUser;
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: "RuntimeDefault" } };
}

const POD_NAME_ENV: core.v1.EnvVar = { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } };

function brokerContainer(g: GroupSpec): core.v1.Container {
  const o = g.options;
  const mounts: core.v1.VolumeMount[] = [
    { name: "config", mountPath: POD_PATHS.configDir, readOnly: true },
    { name: "pid", mountPath: POD_PATHS.pidDir },
  ];
  if (g.broker.bundleVolume) {
    mounts.push({ name: "broker", mountPath: POD_PATHS.brokerDir, readOnly: true });
    if (g.broker.bundleVolume.compressed) mounts.push({ name: "unpacked", mountPath: BUNDLE_UNPACK_DIR });
  }
  if (o.storage) mounts.push({ name: "data", mountPath: o.storage.mountPath ?? K8S_DEFAULTS.storageMountPath });
  if (g.tls) mounts.push({ name: "tls", mountPath: POD_PATHS.tlsDir, readOnly: true });
  const c: core.v1.Container = {
    name: "nats",
    image: g.broker.image,
    command: g.broker.command,
    env: [POD_NAME_ENV],
    ports: containerPorts(g.ports),
    volumeMounts: mounts,
    resources: o.resources ?? K8S_DEFAULTS.resources,
    lifecycle: { preStop: { exec: { command: g.broker.preStop } } },
    securityContext: CONTAINER_SECURITY,
  };
  if (o.imagePullPolicy) c.imagePullPolicy = o.imagePullPolicy;
  if (g.ports.http > 0) {
    const port = PORT_NAMES.http;
    // startup: up to 90s to come up; then readiness every 10s, liveness with more patience
    c.startupProbe = probe(port, 3, 30);
    c.readinessProbe = probe(port, 10, 3);
    c.livenessProbe = probe(port, 30, 3);
  }
  return c;
}

function reloaderContainer(g: GroupSpec): core.v1.Container {
  const o = g.options;
  const c: core.v1.Container = {
    name: "reloader",
    image: o.reloaderImage ?? o.nodeImage ?? K8S_DEFAULTS.nodeImage,
    command: ["node", `${POD_PATHS.scriptsDir}/${RELOADER_FILE}`],
    env: [
      POD_NAME_ENV,
      { name: "CONFIG_FILE", value: `${POD_PATHS.configDir}/$(POD_NAME).conf` },
      { name: "PID_FILE", value: POD_PATHS.pidFile },
      { name: "POLL_MS", value: String(o.reloadPollMs ?? K8S_DEFAULTS.reloadPollMs) },
      ...(g.tls ? [{ name: "WATCH_EXTRA", value: TLS_WATCH }] : []),
    ],
    volumeMounts: [
      { name: "config", mountPath: POD_PATHS.configDir, readOnly: true },
      { name: "scripts", mountPath: POD_PATHS.scriptsDir, readOnly: true },
      { name: "pid", mountPath: POD_PATHS.pidDir },
      ...(g.tls ? [{ name: "tls", mountPath: POD_PATHS.tlsDir, readOnly: true }] : []),
    ],
    resources: o.reloaderResources ?? K8S_DEFAULTS.reloaderResources,
    securityContext: CONTAINER_SECURITY,
  };
  if (o.imagePullPolicy) c.imagePullPolicy = o.imagePullPolicy;
  return c;
}

function volumes(g: GroupSpec): core.v1.Volume[] {
  const v: core.v1.Volume[] = [
    { name: "config", secret: { secretName: g.names.config } },
    { name: "scripts", configMap: { name: g.names.scripts } },
    { name: "pid", emptyDir: {} },
  ];
  if (g.tls) v.push({ name: "tls", secret: { secretName: g.names.tls } });
  if (g.broker.bundleVolume) {
    v.push({ name: "broker", configMap: { name: g.broker.bundleVolume.configMap } });
    if (g.broker.bundleVolume.compressed) v.push({ name: "unpacked", emptyDir: {} });
  }
  return v;
}

function spread(g: GroupSpec): core.v1.TopologySpreadConstraint[] {
  const s = { ...K8S_DEFAULTS.spread, ...(g.options.spread ?? {}) };
  return s.topologyKeys.map((topologyKey) => ({
    topologyKey,
    maxSkew: s.maxSkew,
    whenUnsatisfiable: s.whenUnsatisfiable,
    labelSelector: { matchLabels: selectorLabels(g.names) },
  }));
}

/** The StatefulSet: Parallel start (routes need peers up), one config Secret read per pod name. */
export function statefulSet(g: GroupSpec): k8s.apps.v1.StatefulSetArgs {
  const o = g.options;
  const podSpec: core.v1.PodSpec = {
    // the reloader signals the broker's pid from the broker's pid file
    shareProcessNamespace: true,
    // one non-root user for both containers: the reloader may signal the broker without CAP_KILL
    securityContext: podSecurity(o),
    terminationGracePeriodSeconds: o.terminationGracePeriodSeconds ?? K8S_DEFAULTS.terminationGracePeriodSeconds,
    containers: [brokerContainer(g), reloaderContainer(g)],
    volumes: volumes(g),
    topologySpreadConstraints: spread(g),
  };
  if (o.nodeSelector) podSpec.nodeSelector = o.nodeSelector;
  if (o.tolerations) podSpec.tolerations = o.tolerations;
  const spec: k8s.types.input.apps.v1.StatefulSetSpec = {
    serviceName: g.names.headless,
    replicas: g.replicas,
    podManagementPolicy: "Parallel",
    updateStrategy: { type: "RollingUpdate" },
    selector: { matchLabels: selectorLabels(g.names) },
    template: {
      metadata: {
        labels: objectLabels(g.names, g.kind, o.labels),
        annotations: { ...(o.podAnnotations ?? {}), ...g.broker.annotations, [GROUP_ANNOTATION]: g.groupName },
      },
      spec: podSpec,
    },
  };
  if (o.storage) {
    const storageClassName = o.storage.storageClass ?? g.storageClass;
    spec.volumeClaimTemplates = [
      {
        metadata: { name: "data" },
        spec: {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: o.storage.size } },
          ...(storageClassName ? { storageClassName } : {}),
        },
      },
    ];
  }
  return { metadata: metadata(g, g.names.statefulSet), spec };
}
