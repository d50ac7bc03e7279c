/**
 * What the GCP target lets a user choose beyond the topology's `gcp:` block (machine type,
 * zone, image, existing network). Given to `new GcpTarget(...)`, or read from stack config:
 * `natsfleet:allowedCidrs`, `natsfleet:monitorCidrs` and the object `natsfleet:gcp`.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as gcp from "@pulumi/gcp";
import { cidrProblems } from "../common/firewall";
import { regionMapProblems } from "../common/cloud-regions";
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
  /**
   * Cloud DNS managed zone (its name, e.g. `example-com`) holding the topology's `dns.zone`.
   * Default: the project's public managed zone whose DNS name is that domain.
   */
  managedZone?: string;
  /**
   * Where Cloud DNS health-check probes come from, as CIDRs. Given: the client name's geo
   * items are health-checked (an HTTP check of /healthz with source regions) and the
   * monitoring port opens to these ranges only, on GCP and, for AWS clusters in the same name,
   * in their security groups. Default: none, and plain geolocation with no health checks:
   * natsfleet does not guess which Google ranges to open monitoring to.
   */
  healthCheckCidrs?: string[];
  /** The three regions the health checks probe from. Default us-central1, europe-west1, asia-southeast1. */
  healthCheckRegions?: string[];
  /**
   * AWS region -> the GCP region whose geolocation item carries that region's AWS clusters,
   * when Cloud DNS holds the zone (geo items are GCP regions). Default: the nearest GCP region
   * (components/common/cloud-regions.ts); give a region that table lacks, or a different
   * choice, e.g. { "eu-west-1": "europe-west1" }.
   */
  geoRegions?: Record<string, string>;
}

export interface ResolvedGcpOptions extends Required<Omit<GcpTargetOptions, "providers" | "zones" | "managedZone">> {
  zones: Record<string, string[]>;
  providers: Record<string, gcp.Provider>;
  managedZone?: string;
}

export const GCP_DEFAULTS = {
  subnetCidr: "10.43.0.0/20",
  image: "debian-cloud/debian-12",
  diskSizeGb: 20,
  diskType: "pd-balanced",
  pollSeconds: 15,
  // three continents, so one region's outage never decides a server's health alone
  healthCheckRegions: ["us-central1", "europe-west1", "asia-southeast1"],
};

/** Keys `natsfleet:gcp` may hold (providers are code, not config). */
export const GCP_OPTION_KEYS = ["allowedCidrs", "monitorCidrs", "subnetCidr", "zones", "image", "diskSizeGb", "diskType", "labels", "pollSeconds", "managedZone", "healthCheckCidrs", "healthCheckRegions", "geoRegions"] as const;

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
    ...cidrProblems(o.healthCheckCidrs ?? [], "natsfleet:gcp.healthCheckCidrs", false),
    ...regionMapProblems(o.geoRegions ?? {}, "natsfleet:gcp.geoRegions", "aws", "gcp"),
  ];
  const healthCheckRegions = o.healthCheckRegions ?? GCP_DEFAULTS.healthCheckRegions;
  // GCP takes exactly three source regions for a health check
  if (!Array.isArray(healthCheckRegions) || healthCheckRegions.length !== 3 || new Set(healthCheckRegions).size !== 3 || healthCheckRegions.some((r) => typeof r !== "string" || !/^[a-z]+-[a-z]+\d+$/.test(r))) {
    problems.push(`natsfleet:gcp.healthCheckRegions: expected three different regions like us-central1, got ${JSON.stringify(healthCheckRegions)}`);
  }
  if (o.managedZone !== undefined && !/^[a-z][a-z0-9-]{0,62}$/.test(o.managedZone)) problems.push(`natsfleet:gcp.managedZone: expected a managed zone name like example-com, got ${JSON.stringify(o.managedZone)}`);
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
    healthCheckCidrs: o.healthCheckCidrs ?? [],
    healthCheckRegions,
    geoRegions: o.geoRegions ?? {},
    ...(o.managedZone !== undefined ? { managedZone: o.managedZone } : {}),
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
