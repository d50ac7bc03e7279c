/**
 * The Kubernetes target's options from stack config (`natsfleet:kubernetes`), for the
 * program run by `pulumi up`: the serializable part of KubernetesTargetOptions (providers and
 * the bundle are code, not config), checked so a typo is named with its path.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { KubernetesTarget } from "./target";
import type { KubernetesGroupOptions, KubernetesTargetOptions } from "./options";

const stringMap = z.record(z.string(), z.string());
const resources = z.strictObject({ requests: stringMap.optional(), limits: stringMap.optional() });
const duration = z.string().regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, { error: "must be a duration such as 30s or 1m30s" });

const groupShape = {
  natsServerImage: z.string().min(1).optional(),
  nodeImage: z.string().min(1).optional(),
  natsfleetImage: z.string().min(1).optional(),
  natsfleetEntrypoint: z.string().min(1).optional(),
  reloaderImage: z.string().min(1).optional(),
  imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
  resources: resources.optional(),
  reloaderResources: resources.optional(),
  storage: z.strictObject({ size: z.string().min(1), storageClass: z.string().min(1).optional(), mountPath: z.string().startsWith("/").optional() }).optional(),
  spread: z
    .strictObject({
      topologyKeys: z.array(z.string().min(1)).optional(),
      maxSkew: z.number().int().min(1).optional(),
      whenUnsatisfiable: z.enum(["ScheduleAnyway", "DoNotSchedule"]).optional(),
    })
    .optional(),
  nodeSelector: stringMap.optional(),
  tolerations: z.array(z.record(z.string(), z.unknown())).optional(),
  labels: stringMap.optional(),
  podAnnotations: stringMap.optional(),
  externalServiceAnnotations: stringMap.optional(),
  allowedCidrs: z.array(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, { error: "must be a CIDR such as 203.0.113.0/24" })).optional(),
  terminationGracePeriodSeconds: z.number().int().min(1).optional(),
  lameDuckDuration: duration.optional(),
  lameDuckGracePeriod: duration.optional(),
  reloadPollMs: z.number().int().min(100).optional(),
  networkPolicy: z.boolean().optional(),
  runAsUser: z.number().int().min(1).optional(),
};

const schema = z.strictObject({
  ...groupShape,
  existingNamespace: z.boolean().optional(),
  clusterDomain: z.string().min(1).optional(),
  groups: z.record(z.string(), z.strictObject(groupShape)).optional(),
});

/** Options from the config value (undefined: none given); throws naming every bad field. */
export function kubernetesOptionsFromConfig(value: unknown, key = "natsfleet:kubernetes"): KubernetesTargetOptions {
  if (value === undefined || value === null) return {};
  const r = schema.safeParse(value);
  if (r.success) return r.data as KubernetesTargetOptions & { groups?: Record<string, KubernetesGroupOptions> };
  const lines = r.error.issues.flatMap((i) => {
    const at = [key, ...i.path.map(String)].join(".");
    if (i.code === "unrecognized_keys") return (i as unknown as { keys: string[] }).keys.map((k) => `${at}.${k}: unknown field`);
    return [`${at}: ${i.message}`];
  });
  // RunError: `pulumi up` prints the message alone, without a stack trace
  throw new pulumi.RunError(`stack config ${key} is not valid:\n${lines.map((l) => `  ${l}`).join("\n")}`);
}

/** The target as the stack configures it: what the program's target registry registers. */
export function kubernetesTargetFromStack(): KubernetesTarget {
  const config = new pulumi.Config("natsfleet");
  return new KubernetesTarget(kubernetesOptionsFromConfig(config.getObject("kubernetes")));
}
