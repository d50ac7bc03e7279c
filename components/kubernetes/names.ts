/**
 * Kubernetes names, labels and DNS names of one group's objects. Pod DNS names are rendered
 * into peers' configs before anything exists, so every name here is explicit (no Pulumi
 * auto-naming suffix) and derived only from the group's name.
 */
import * as crypto from "crypto";

/**
 * A StatefulSet's name must leave room for `-<ordinal>` in pod names and for the
 * `controller-revision-hash` label (name + 11 characters <= 63).
 */
const MAX_STS_NAME = 52;

/** The group name as a DNS-1123 label; a name that had to change gets a hash so two never meet. */
export function k8sName(groupName: string): string {
  const lowered = groupName.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "nats";
  if (lowered === groupName && lowered.length <= MAX_STS_NAME) return lowered;
  const hash = crypto.createHash("sha256").update(groupName).digest("hex").slice(0, 6);
  return `${lowered.slice(0, MAX_STS_NAME - 7).replace(/-+$/, "")}-${hash}`;
}

/** Every object name of one group's deployment. */
export interface GroupNames {
  /** StatefulSet; pods are `<statefulSet>-<ordinal>`. */
  statefulSet: string;
  /** Headless Service giving each pod a stable DNS name (routes). */
  headless: string;
  /** ClusterIP Service clients inside the Kubernetes cluster use. */
  client: string;
  /** Service exposing gateway and leaf node ports to other clusters (allocate phase). */
  external: string;
  /** Secret holding one rendered config per pod. */
  config: string;
  /** Secret holding every pod's certificate and key, and the CA. */
  tls: string;
  /** ConfigMap holding the reloader script. */
  scripts: string;
  /** ConfigMap holding the natsfleet bundle. */
  broker: string;
  pdb: string;
  networkPolicy: string;
}

export function groupNames(groupName: string): GroupNames {
  const sts = k8sName(groupName);
  return {
    statefulSet: sts,
    headless: `${sts}-headless`,
    client: sts,
    external: `${sts}-external`,
    config: `${sts}-config`,
    tls: `${sts}-tls`,
    scripts: `${sts}-scripts`,
    broker: `${sts}-broker`,
    pdb: sts,
    networkPolicy: sts,
  };
}

/** Pod name of the server at `ordinal`. */
export function podName(names: GroupNames, ordinal: number): string {
  return `${names.statefulSet}-${ordinal}`;
}

/** Stable DNS name of a pod behind the headless Service: what routes dial. */
export function podDns(names: GroupNames, ordinal: number, namespace: string, clusterDomain: string): string {
  return `${podName(names, ordinal)}.${names.headless}.${namespace}.svc.${clusterDomain}`;
}

/** DNS name of a Service inside the Kubernetes cluster. */
export function serviceDns(service: string, namespace: string, clusterDomain: string): string {
  return `${service}.${namespace}.svc.${clusterDomain}`;
}

/**
 * Labels that select a group's pods. Kept to names that never change for the life of the
 * group: a StatefulSet's selector is immutable, and user labels go on top, not in here.
 */
export function selectorLabels(names: GroupNames): Record<string, string> {
  return {
    "app.kubernetes.io/name": "nats",
    "app.kubernetes.io/instance": names.statefulSet,
  };
}

/** Labels put on every object of the group (selector labels plus descriptive ones). */
export function objectLabels(names: GroupNames, kind: "cluster" | "leafnode", extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    ...selectorLabels(names),
    "app.kubernetes.io/component": kind,
    "app.kubernetes.io/managed-by": "natsfleet",
  };
}

/**
 * Annotation naming the topology group: group names may end in '-' or '_', which label
 * values may not, so the exact name travels as an annotation.
 */
export const GROUP_ANNOTATION = "natsfleet.io/group";
