/** Instance and machine types come from an allowed list (sizing and cost are reviewed once, there). */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asString, topologyOf } from "./common";

export interface MachineTypesConfig {
  /** Allowed AWS instance types and GCP machine types. */
  allowed: string[];
}

export const DEFAULT_ALLOWED_TYPES = [
  "t3.small",
  "t3.medium",
  "t3.large",
  "t3.xlarge",
  "m6i.large",
  "m6i.xlarge",
  "m7i.large",
  "m7i.xlarge",
  "c6i.large",
  "c7i.large",
  "e2-small",
  "e2-medium",
  "e2-standard-2",
  "e2-standard-4",
  "n2-standard-2",
  "n2-standard-4",
];

const TYPE_INPUT: Record<string, string> = {
  "aws:ec2/instance:Instance": "instanceType",
  "aws:ec2/launchTemplate:LaunchTemplate": "instanceType",
  "gcp:compute/instance:Instance": "machineType",
  "gcp:compute/instanceTemplate:InstanceTemplate": "machineType",
};

/** GCP accepts a URL (`zones/z/machineTypes/e2-small`): the last segment is the type. */
function typeName(v: string): string {
  return v.slice(v.lastIndexOf("/") + 1);
}

export const allowedMachineTypes: ResourceValidationPolicy = {
  name: "natsfleet-allowed-machine-types",
  description: "AWS instance types and GCP machine types come from an allowed list (configurable).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { allowed: { type: "array", items: { type: "string" }, default: DEFAULT_ALLOWED_TYPES } } },
  validateResource: (args, reportViolation) => {
    const allowed = new Set(args.getConfig<MachineTypesConfig>().allowed);
    const rec = topologyOf(args);
    if (rec) {
      for (const [kind, entries] of [["cluster", rec.topology.clusters], ["leaf node", rec.topology.leafnodes]] as const) {
        for (const [name, g] of Object.entries(entries)) {
          const t = g.target as { kind: string; instanceType?: string; machineType?: string };
          const type = t.kind === "aws" ? t.instanceType : t.kind === "gcp" ? t.machineType : undefined;
          if (type !== undefined && !allowed.has(typeName(type))) {
            reportViolation(`topology ${rec.topology.name}: ${kind} ${name} uses ${t.kind} type ${type}, not in the allowed list (${[...allowed].join(", ")})`);
          }
        }
      }
      return;
    }
    const input = TYPE_INPUT[args.type];
    if (!input) return;
    const type = asString(args.props?.[input]);
    if (type !== undefined && !allowed.has(typeName(type))) reportViolation(`${args.type} ${args.name}: ${input} ${type} is not in the allowed list (${[...allowed].join(", ")})`);
  },
};
