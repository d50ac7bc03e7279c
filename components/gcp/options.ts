/**
 * What the GCP target lets a user choose beyond the topology's `gcp:` block (machine type,
 * zone, image, existing network). Given to `new GcpTarget(...)`, or read from stack config:
 * `natsfleet:allowedCidrs`, `natsfleet:monitorCidrs` and the object `natsfleet:gcp`.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as gcp from "@pulumi/gcp";
import { cidrProblems } from "../common/firewall";
import { stackKeyProblems } from "../common/stack-options";

export interface GcpTargetOptions {
  /** Who may reach client and leaf node ports. Default: nobody. */
  allowedCidrs?: string[];
  /** Who may reach the monitoring port (never the internet). Default: nobody. */
  monitorCidrs?: string[];
  /** Range of the subnetwork this target creates per region. Default 10.43.0.0/20. */
  subnetCidr?: string;
  /** Zones to spread a group's servers over, per region (round-robin). Default: the group's zone. */
  zones?: Record<string, string[]>;
  /** Boot image. Default debian-cloud/debian-12 (its Node.js runs the bundle). */
  image?: string;
  /** Boot disk size in GB. Default 20. */
  diskSizeGb?: number;
  /** Boot disk type. Default pd-balanced. */
  diskType?: string;
  /** Extra labels on instances and disks. */
  labels?: Record<string, string>;
  /** Seconds between a server's metadata polls. Default 15. */
  pollSeconds?: number;
  /** Providers by region, instead of one this target makes per region. */
  providers?: Record<string, gcp.Provider>;
}

export interface ResolvedGcpOptions extends Required<Omit<GcpTargetOptions, "providers" | "zones">> {
  zones: Record<string, string[]>;
  providers: Record<string, gcp.Provider>;
}

export const GCP_DEFAULTS = { subnetCidr: "10.43.0.0/20", image: "debian-cloud/debian-12", diskSizeGb: 20, diskType: "pd-balanced", pollSeconds: 15 };

/** Keys `natsfleet:gcp` may hold (providers are code, not config). */
export const GCP_OPTION_KEYS = ["allowedCidrs", "monitorCidrs", "subnetCidr", "zones", "image", "diskSizeGb", "diskType", "labels", "pollSeconds"] as const;

/** Options given in code win; stack config fills the rest; then the defaults. Bad values throw, naming the key. */
export function resolveGcpOptions(given: GcpTargetOptions): ResolvedGcpOptions {
  const config = new pulumi.Config("natsfleet");
  const fromStack = (config.getObject<GcpTargetOptions>("gcp") ?? {}) as GcpTargetOptions;
  const unknown = stackKeyProblems(fromStack, "natsfleet:gcp", GCP_OPTION_KEYS);
  if (unknown.length) throw new pulumi.RunError(`GCP target options: ${unknown.join("; ")}`);
  const o: GcpTargetOptions = { ...fromStack, ...given };
  const allowedCidrs = o.allowedCidrs ?? config.getObject<string[]>("allowedCidrs") ?? [];
  const monitorCidrs = o.monitorCidrs ?? config.getObject<string[]>("monitorCidrs") ?? [];
  const subnetCidr = o.subnetCidr ?? GCP_DEFAULTS.subnetCidr;
  const problems = [
    ...cidrProblems(allowedCidrs, "natsfleet:allowedCidrs", true),
    ...cidrProblems(monitorCidrs, "natsfleet:monitorCidrs", false),
    ...cidrProblems([subnetCidr], "natsfleet:gcp.subnetCidr", false),
  ];
  const diskSizeGb = o.diskSizeGb ?? GCP_DEFAULTS.diskSizeGb;
  if (!Number.isInteger(diskSizeGb) || diskSizeGb < 10) problems.push(`natsfleet:gcp.diskSizeGb: expected an integer >= 10, got ${JSON.stringify(diskSizeGb)}`);
  for (const [region, zones] of Object.entries(o.zones ?? {})) {
    zones.forEach((z, i) => {
      if (!z.startsWith(`${region}-`)) problems.push(`natsfleet:gcp.zones.${region}[${i}]: "${z}" is not a zone of ${region}`);
    });
  }
  if (problems.length) throw new pulumi.RunError(`GCP target options: ${problems.join("; ")}`);
  return {
    allowedCidrs,
    monitorCidrs,
    subnetCidr,
    zones: o.zones ?? {},
    image: o.image ?? GCP_DEFAULTS.image,
    diskSizeGb,
    diskType: o.diskType ?? GCP_DEFAULTS.diskType,
    labels: o.labels ?? {},
    pollSeconds: o.pollSeconds ?? GCP_DEFAULTS.pollSeconds,
    providers: o.providers ?? {},
  };
}

/** GCP names: lowercase letters, digits and '-', starting with a letter, at most `max` long. */
export function gcpName(raw: string, max = 63): string {
  let s = raw.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "");
  if (s.length > max) {
    const hash = require("crypto").createHash("sha256").update(raw).digest("hex").slice(0, 6);
    s = `${s.slice(0, max - 7).replace(/-+$/, "")}-${hash}`;
  }
  return s || "nf";
}
