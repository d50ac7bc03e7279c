/**
 * Where each cloud's regions are, and which region of the other cloud is nearest: closest-
 * cluster DNS routes by the region names of the DNS service holding the zone (Route53 latency
 * records take an AWS region, Cloud DNS geolocation items a GCP region), so a cluster on the
 * other cloud answers in the nearest region of the zone's cloud.
 *
 * Public regions as of 2026: AWS's `aws` partition (GovCloud, China and the sovereign clouds
 * are other partitions, whose Route53 never sees this zone) and GCP's public regions. "Nearest"
 * is by great-circle distance between the regions' metro areas, the best stand-in for latency
 * that needs no measurement; two near-ties (within 10%) go to the better-connected hub instead:
 * Warsaw (europe-central2) to Frankfurt, not Stockholm, and Dallas (us-south1) to Ohio, not
 * Querétaro. A region missing here (newer than this table) or a different choice is given with
 * `natsfleet:aws.latencyRegions` / `natsfleet:gcp.geoRegions`.
 */
import type { ClusterModel } from "../topology/model";

/** AWS regions (partition `aws`) and where they are. */
export const AWS_REGIONS: Readonly<Record<string, string>> = {
  "af-south-1": "Cape Town",
  "ap-east-1": "Hong Kong",
  "ap-east-2": "Taipei",
  "ap-northeast-1": "Tokyo",
  "ap-northeast-2": "Seoul",
  "ap-northeast-3": "Osaka",
  "ap-south-1": "Mumbai",
  "ap-south-2": "Hyderabad",
  "ap-southeast-1": "Singapore",
  "ap-southeast-2": "Sydney",
  "ap-southeast-3": "Jakarta",
  "ap-southeast-4": "Melbourne",
  "ap-southeast-5": "Kuala Lumpur",
  "ap-southeast-6": "Auckland",
  "ap-southeast-7": "Bangkok",
  "ca-central-1": "Montréal",
  "ca-west-1": "Calgary",
  "eu-central-1": "Frankfurt",
  "eu-central-2": "Zurich",
  "eu-north-1": "Stockholm",
  "eu-south-1": "Milan",
  "eu-south-2": "Aragón",
  "eu-west-1": "Dublin",
  "eu-west-2": "London",
  "eu-west-3": "Paris",
  "il-central-1": "Tel Aviv",
  "me-central-1": "UAE",
  "me-south-1": "Bahrain",
  "mx-central-1": "Querétaro",
  "sa-east-1": "São Paulo",
  "us-east-1": "N. Virginia",
  "us-east-2": "Ohio",
  "us-west-1": "N. California",
  "us-west-2": "Oregon",
};

/** GCP regions and where they are. */
export const GCP_REGIONS: Readonly<Record<string, string>> = {
  "africa-south1": "Johannesburg",
  "asia-east1": "Changhua County, Taiwan",
  "asia-east2": "Hong Kong",
  "asia-northeast1": "Tokyo",
  "asia-northeast2": "Osaka",
  "asia-northeast3": "Seoul",
  "asia-south1": "Mumbai",
  "asia-south2": "Delhi",
  "asia-southeast1": "Singapore",
  "asia-southeast2": "Jakarta",
  "australia-southeast1": "Sydney",
  "australia-southeast2": "Melbourne",
  "europe-central2": "Warsaw",
  "europe-north1": "Hamina, Finland",
  "europe-north2": "Stockholm",
  "europe-southwest1": "Madrid",
  "europe-west1": "St. Ghislain, Belgium",
  "europe-west2": "London",
  "europe-west3": "Frankfurt",
  "europe-west4": "Eemshaven, Netherlands",
  "europe-west6": "Zurich",
  "europe-west8": "Milan",
  "europe-west9": "Paris",
  "europe-west10": "Berlin",
  "europe-west12": "Turin",
  "me-central1": "Doha",
  "me-central2": "Dammam",
  "me-west1": "Tel Aviv",
  "northamerica-northeast1": "Montréal",
  "northamerica-northeast2": "Toronto",
  "northamerica-south1": "Querétaro",
  "southamerica-east1": "São Paulo",
  "southamerica-west1": "Santiago",
  "us-central1": "Council Bluffs, Iowa",
  "us-east1": "Moncks Corner, South Carolina",
  "us-east4": "Ashburn, Virginia",
  "us-east5": "Columbus, Ohio",
  "us-south1": "Dallas",
  "us-west1": "The Dalles, Oregon",
  "us-west2": "Los Angeles",
  "us-west3": "Salt Lake City",
  "us-west4": "Las Vegas",
};

/** GCP region -> the nearest AWS region, where Route53 latency records put its clusters. */
export const NEAREST_AWS_REGION: Readonly<Record<string, string>> = {
  "africa-south1": "af-south-1",
  "asia-east1": "ap-east-2",
  "asia-east2": "ap-east-1",
  "asia-northeast1": "ap-northeast-1",
  "asia-northeast2": "ap-northeast-3",
  "asia-northeast3": "ap-northeast-2",
  "asia-south1": "ap-south-1",
  "asia-south2": "ap-south-1",
  "asia-southeast1": "ap-southeast-1",
  "asia-southeast2": "ap-southeast-3",
  "australia-southeast1": "ap-southeast-2",
  "australia-southeast2": "ap-southeast-4",
  "europe-central2": "eu-central-1",
  "europe-north1": "eu-north-1",
  "europe-north2": "eu-north-1",
  "europe-southwest1": "eu-south-2",
  "europe-west1": "eu-west-3",
  "europe-west2": "eu-west-2",
  "europe-west3": "eu-central-1",
  "europe-west4": "eu-central-1",
  "europe-west6": "eu-central-2",
  "europe-west8": "eu-south-1",
  "europe-west9": "eu-west-3",
  "europe-west10": "eu-central-1",
  "europe-west12": "eu-south-1",
  "me-central1": "me-south-1",
  "me-central2": "me-south-1",
  "me-west1": "il-central-1",
  "northamerica-northeast1": "ca-central-1",
  "northamerica-northeast2": "ca-central-1",
  "northamerica-south1": "mx-central-1",
  "southamerica-east1": "sa-east-1",
  "southamerica-west1": "sa-east-1",
  "us-central1": "us-east-2",
  "us-east1": "us-east-1",
  "us-east4": "us-east-1",
  "us-east5": "us-east-2",
  "us-south1": "us-east-2",
  "us-west1": "us-west-2",
  "us-west2": "us-west-1",
  "us-west3": "us-west-2",
  "us-west4": "us-west-1",
};

/** AWS region -> the nearest GCP region, the geolocation item Cloud DNS puts its clusters in. */
export const NEAREST_GCP_REGION: Readonly<Record<string, string>> = {
  "af-south-1": "africa-south1",
  "ap-east-1": "asia-east2",
  "ap-east-2": "asia-east1",
  "ap-northeast-1": "asia-northeast1",
  "ap-northeast-2": "asia-northeast3",
  "ap-northeast-3": "asia-northeast2",
  "ap-south-1": "asia-south1",
  "ap-south-2": "asia-south1",
  "ap-southeast-1": "asia-southeast1",
  "ap-southeast-2": "australia-southeast1",
  "ap-southeast-3": "asia-southeast2",
  "ap-southeast-4": "australia-southeast2",
  "ap-southeast-5": "asia-southeast1",
  "ap-southeast-6": "australia-southeast1",
  "ap-southeast-7": "asia-southeast1",
  "ca-central-1": "northamerica-northeast1",
  "ca-west-1": "us-west1",
  "eu-central-1": "europe-west3",
  "eu-central-2": "europe-west6",
  "eu-north-1": "europe-north2",
  "eu-south-1": "europe-west8",
  "eu-south-2": "europe-southwest1",
  "eu-west-1": "europe-west2",
  "eu-west-2": "europe-west2",
  "eu-west-3": "europe-west9",
  "il-central-1": "me-west1",
  "me-central-1": "me-central1",
  "me-south-1": "me-central2",
  "mx-central-1": "northamerica-south1",
  "sa-east-1": "southamerica-east1",
  "us-east-1": "us-east4",
  "us-east-2": "us-east5",
  "us-west-1": "us-west2",
  "us-west-2": "us-west1",
};

/** A cloud with a DNS service that routes by region. */
export type RoutingCloud = "aws" | "gcp";

/** Region name shapes: `eu-west-1` (also `us-gov-west-1`), `europe-west1`. */
const SHAPE: Record<RoutingCloud, { re: RegExp; example: string }> = {
  aws: { re: /^[a-z]{2,}(-[a-z]+)+-\d+$/, example: "eu-west-1" },
  gcp: { re: /^[a-z]+-[a-z]+\d+$/, example: "europe-west1" },
};

const aRegion = (cloud: RoutingCloud) => (cloud === "aws" ? "an AWS region" : "a GCP region");

/** How the home cloud's DNS service routes, for messages. */
const ROUTING: Record<RoutingCloud, { table: Readonly<Record<string, string>>; option: string; records: string }> = {
  aws: { table: NEAREST_AWS_REGION, option: "natsfleet:aws.latencyRegions", records: "Route53 latency records" },
  gcp: { table: NEAREST_GCP_REGION, option: "natsfleet:gcp.geoRegions", records: "Cloud DNS geolocation items" },
};

/**
 * Problems with a region map from stack config (`where`: its key, e.g.
 * `natsfleet:aws.latencyRegions`): an object from `from`-cloud regions to `to`-cloud regions.
 */
export function regionMapProblems(map: unknown, where: string, from: RoutingCloud, to: RoutingCloud): string[] {
  if (map === null || typeof map !== "object" || Array.isArray(map)) return [`${where}: expected an object like { "${SHAPE[from].example}": "${SHAPE[to].example}" }, got ${JSON.stringify(map)}`];
  const out: string[] = [];
  for (const [k, v] of Object.entries(map)) {
    if (!SHAPE[from].re.test(k)) out.push(`${where}: key ${JSON.stringify(k)} is not ${aRegion(from)} (e.g. ${SHAPE[from].example})`);
    if (typeof v !== "string" || !SHAPE[to].re.test(v)) out.push(`${where}.${k}: expected ${aRegion(to)} like ${SHAPE[to].example}, got ${JSON.stringify(v)}`);
  }
  return out;
}

/** A cluster's cloud and region (aws and gcp clusters only). */
function placement(c: ClusterModel): { cloud: RoutingCloud; region: string } {
  const t = c.target;
  if (t.kind !== "aws" && t.kind !== "gcp") throw new Error(`${c.path}: cluster ${c.name} runs on ${t.kind}, which no DNS service routes to by region`);
  return { cloud: t.kind, region: t.region };
}

/**
 * Cluster name -> the region of `home`'s cloud its servers answer in: its own region on that
 * cloud; on the other cloud `overrides[region]`, else the nearest region from the table.
 * Throws one error naming every cluster neither knows: its topology path and the option to set.
 */
export function routingRegions(clusters: readonly ClusterModel[], home: RoutingCloud, overrides: Readonly<Record<string, string>>): Map<string, string> {
  const out = new Map<string, string>();
  const missing: string[] = [];
  for (const c of clusters) {
    const { cloud, region } = placement(c);
    const routed = cloud === home ? region : (overrides[region] ?? ROUTING[home].table[region]);
    if (routed) out.set(c.name, routed);
    else missing.push(`${c.path}.region: ${cloud.toUpperCase()} region ${region} of cluster ${c.name} has no nearest ${home.toUpperCase()} region on file`);
  }
  if (missing.length) {
    const { option, records } = ROUTING[home];
    const example = `{ "${placement(clusters.find((c) => !out.has(c.name))!).region}": "<${home} region, e.g. ${SHAPE[home].example}>" }`;
    throw new Error(`dns: ${missing.join("; ")}; ${records} need one: set ${option} to ${example}`);
  }
  return out;
}
