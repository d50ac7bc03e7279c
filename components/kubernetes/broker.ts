/**
 * What runs in the broker container, per broker kind: the official `nats` image, or a Node.js
 * image running the natsfleet-server bundle shipped in a ConfigMap (plain when it fits the
 * ConfigMap size limit, gzip-compressed when only that fits), or a natsfleet image the user
 * built. The start command, the lame-duck preStop command and the bundle's volume follow.
 */
import * as crypto from "crypto";
import * as zlib from "zlib";
import type { BrokerKind } from "../topology/model";
import { K8S_DEFAULTS, KubernetesGroupOptions } from "./options";
import { POD_PATHS } from "./reloader";

/**
 * Kubernetes rejects a ConfigMap over 1 MiB (data, keys and metadata together); the margin
 * leaves room for metadata and the other keys.
 */
export const CONFIGMAP_LIMIT = 1024 * 1024 - 16 * 1024;

const BUNDLE_FILE = "natsfleet-server.js";
const BUNDLE_GZ_FILE = "natsfleet-server.js.gz";
/** Where the compressed bundle is unpacked at start (an emptyDir). */
const UNPACK_DIR = "/var/run/natsfleet";

/** The bundle as a ConfigMap's content. */
export interface BundleData {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  /** sha256 of the bundle text: a new broker build rolls the pods on purpose. */
  sha256: string;
  compressed: boolean;
}

/** Fit the bundle into a ConfigMap, or say why it cannot. */
export function bundleData(text: string, limit = CONFIGMAP_LIMIT): BundleData {
  const sha256 = crypto.createHash("sha256").update(text).digest("hex");
  const size = Buffer.byteLength(text, "utf8");
  if (size <= limit) return { data: { [BUNDLE_FILE]: text }, sha256, compressed: false };
  const gz = zlib.gzipSync(Buffer.from(text, "utf8"), { level: 9 }).toString("base64");
  if (gz.length <= limit) return { binaryData: { [BUNDLE_GZ_FILE]: gz }, sha256, compressed: true };
  throw new Error(
    `the natsfleet-server bundle is ${size} bytes (${gz.length} compressed and base64-encoded), over the ConfigMap limit of ${limit}: ` +
      `build an image with natsfleet-server in it and pass it as the Kubernetes target's natsfleetImage`,
  );
}

/** The broker container's process and its lame-duck hook. */
export interface BrokerProcess {
  image: string;
  command: string[];
  /** preStop exec command: enter lame duck mode, then wait so the pod is not killed early. */
  preStop: string[];
  /** Volumes the broker needs besides config and pid ("bundle" ConfigMap, unpack dir). */
  bundleVolume?: { configMap: string; compressed: boolean };
  /** Annotations on the pod template (the bundle digest). */
  annotations: Record<string, string>;
}

/** Annotation carrying the bundle digest on the pod template. */
export const BUNDLE_ANNOTATION = "natsfleet.io/bundle-sha256";

/**
 * `$(POD_NAME)` is expanded by the kubelet from the container's env, so one pod template
 * serves every server: each pod reads the config named after itself.
 */
export const CONFIG_PATH = `${POD_PATHS.configDir}/$(POD_NAME).conf`;

export function brokerProcess(
  broker: BrokerKind,
  options: KubernetesGroupOptions,
  bundle: BundleData | undefined,
  bundleConfigMap: string,
): BrokerProcess {
  const ldm = `ldm=${POD_PATHS.pidFile}`;
  // the signal returns at once; sleeping keeps the pod in lame duck while clients move away
  const hold = (signal: string) => ["sh", "-c", `${signal} --signal ${ldm}; sleep ${lameDuckHoldSeconds(options)}`];
  if (broker === "nats-server") {
    return {
      image: options.natsServerImage ?? K8S_DEFAULTS.natsServerImage,
      command: ["nats-server", "--config", CONFIG_PATH],
      preStop: hold("nats-server"),
      annotations: {},
    };
  }
  if (options.natsfleetImage) {
    const entry = options.natsfleetEntrypoint ?? K8S_DEFAULTS.natsfleetEntrypoint;
    return { image: options.natsfleetImage, command: ["node", entry, "--config", CONFIG_PATH], preStop: hold(`node ${entry}`), annotations: {} };
  }
  if (!bundle) throw new Error("internal: natsfleet broker without a bundle or natsfleetImage");
  const image = options.nodeImage ?? K8S_DEFAULTS.nodeImage;
  const annotations = { [BUNDLE_ANNOTATION]: bundle.sha256 };
  if (!bundle.compressed) {
    const entry = `${POD_PATHS.brokerDir}/${BUNDLE_FILE}`;
    return { image, command: ["node", entry, "--config", CONFIG_PATH], preStop: hold(`node ${entry}`), bundleVolume: { configMap: bundleConfigMap, compressed: false }, annotations };
  }
  const entry = `${UNPACK_DIR}/${BUNDLE_FILE}`;
  return {
    image,
    command: ["sh", "-c", `gunzip -c ${POD_PATHS.brokerDir}/${BUNDLE_GZ_FILE} > ${entry} && exec node ${entry} --config "${POD_PATHS.configDir}/$POD_NAME.conf"`],
    preStop: hold(`node ${entry}`),
    bundleVolume: { configMap: bundleConfigMap, compressed: true },
    annotations,
  };
}

/** Where the compressed bundle is unpacked (an emptyDir mount of the broker container). */
export const BUNDLE_UNPACK_DIR = UNPACK_DIR;

/** Seconds the preStop hook holds the pod after entering lame duck: the lame duck duration, within the grace period. */
export function lameDuckHoldSeconds(options: KubernetesGroupOptions): number {
  const duration = durationSeconds(options.lameDuckDuration ?? K8S_DEFAULTS.lameDuckDuration);
  const grace = options.terminationGracePeriodSeconds ?? K8S_DEFAULTS.terminationGracePeriodSeconds;
  // leave a few seconds for the broker's own shutdown after the hook returns
  return Math.max(0, Math.min(duration, grace - 5));
}

/** `30s`, `2m`, `1m30s`, `500ms` -> seconds (rounded up). */
export function durationSeconds(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === "ms" ? n / 1000 : m[2] === "s" ? n : m[2] === "m" ? n * 60 : n * 3600;
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== text.length) throw new Error(`"${text}" is not a duration (e.g. 30s, 2m, 1m30s)`);
  return Math.ceil(total);
}
