/**
 * The region table of closest-cluster DNS (components/common/cloud-regions.ts): every public
 * region of each cloud has a nearest region of the other, that region exists, and it is the
 * nearest by distance (or within 10% of it); and how clusters get their routing regions: their
 * own on the zone's cloud, else the override, else the table, else an error naming each
 * cluster's path and the option.
 */
import { strict as assert } from "assert";
import { AWS_REGIONS, GCP_REGIONS, NEAREST_AWS_REGION, NEAREST_GCP_REGION, regionMapProblems, routingRegions } from "../../../components/common/cloud-regions";
import { validateTopology } from "../../../components/topology/validate";

/** Metro-area coordinates [lat, lon] of every region, independent of the table under test. */
const AWS_AT: Record<string, [number, number]> = {
  "af-south-1": [-33.92, 18.42], "ap-east-1": [22.32, 114.17], "ap-east-2": [25.03, 121.57], "ap-northeast-1": [35.68, 139.69],
  "ap-northeast-2": [37.57, 126.98], "ap-northeast-3": [34.69, 135.5], "ap-south-1": [19.08, 72.88], "ap-south-2": [17.39, 78.49],
  "ap-southeast-1": [1.35, 103.82], "ap-southeast-2": [-33.87, 151.21], "ap-southeast-3": [-6.21, 106.85], "ap-southeast-4": [-37.81, 144.96],
  "ap-southeast-5": [3.14, 101.69], "ap-southeast-6": [-36.85, 174.76], "ap-southeast-7": [13.76, 100.5], "ca-central-1": [45.5, -73.57],
  "ca-west-1": [51.05, -114.07], "eu-central-1": [50.11, 8.68], "eu-central-2": [47.38, 8.54], "eu-north-1": [59.33, 18.07],
  "eu-south-1": [45.46, 9.19], "eu-south-2": [41.65, -0.88], "eu-west-1": [53.35, -6.26], "eu-west-2": [51.51, -0.13],
  "eu-west-3": [48.86, 2.35], "il-central-1": [32.09, 34.78], "me-central-1": [24.45, 54.38], "me-south-1": [26.07, 50.56],
  "mx-central-1": [20.59, -100.39], "sa-east-1": [-23.55, -46.63], "us-east-1": [38.95, -77.45], "us-east-2": [40.0, -83.0],
  "us-west-1": [37.34, -121.89], "us-west-2": [45.84, -119.7],
};
const GCP_AT: Record<string, [number, number]> = {
  "africa-south1": [-26.2, 28.05], "asia-east1": [24.08, 120.54], "asia-east2": [22.32, 114.17], "asia-northeast1": [35.68, 139.69],
  "asia-northeast2": [34.69, 135.5], "asia-northeast3": [37.57, 126.98], "asia-south1": [19.08, 72.88], "asia-south2": [28.61, 77.21],
  "asia-southeast1": [1.35, 103.71], "asia-southeast2": [-6.21, 106.85], "australia-southeast1": [-33.87, 151.21], "australia-southeast2": [-37.81, 144.96],
  "europe-central2": [52.23, 21.01], "europe-north1": [60.57, 27.2], "europe-north2": [59.33, 18.07], "europe-southwest1": [40.42, -3.7],
  "europe-west1": [50.47, 3.82], "europe-west2": [51.51, -0.13], "europe-west3": [50.11, 8.68], "europe-west4": [53.43, 6.83],
  "europe-west6": [47.38, 8.54], "europe-west8": [45.46, 9.19], "europe-west9": [48.86, 2.35], "europe-west10": [52.52, 13.4],
  "europe-west12": [45.07, 7.69], "me-central1": [25.29, 51.53], "me-central2": [26.43, 50.1], "me-west1": [32.09, 34.78],
  "northamerica-northeast1": [45.5, -73.57], "northamerica-northeast2": [43.65, -79.38], "northamerica-south1": [20.59, -100.39], "southamerica-east1": [-23.53, -46.79],
  "southamerica-west1": [-33.45, -70.67], "us-central1": [41.26, -95.86], "us-east1": [33.2, -80.01], "us-east4": [39.04, -77.49],
  "us-east5": [39.96, -83.0], "us-south1": [32.78, -96.8], "us-west1": [45.6, -121.18], "us-west2": [34.05, -118.24],
  "us-west3": [40.76, -111.89], "us-west4": [36.17, -115.14],
};

/** Great-circle distance in km. */
function km([la1, lo1]: [number, number], [la2, lo2]: [number, number]): number {
  const r = (d: number) => (d * Math.PI) / 180;
  const h = Math.sin(r(la2 - la1) / 2) ** 2 + Math.cos(r(la1)) * Math.cos(r(la2)) * Math.sin(r(lo2 - lo1) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

const sorted = (xs: string[]) => [...xs].sort();

describe("cloud regions: the nearest-region table", () => {
  it("maps every GCP region to an AWS region and every AWS region to a GCP region, nothing else", () => {
    assert.deepEqual(sorted(Object.keys(NEAREST_AWS_REGION)), sorted(Object.keys(GCP_REGIONS)));
    assert.deepEqual(sorted(Object.keys(NEAREST_GCP_REGION)), sorted(Object.keys(AWS_REGIONS)));
    for (const [g, a] of Object.entries(NEAREST_AWS_REGION)) assert.ok(AWS_REGIONS[a], `${g} -> ${a}: no such AWS region`);
    for (const [a, g] of Object.entries(NEAREST_GCP_REGION)) assert.ok(GCP_REGIONS[g], `${a} -> ${g}: no such GCP region`);
    assert.deepEqual(sorted(Object.keys(AWS_AT)), sorted(Object.keys(AWS_REGIONS)), "a coordinate per AWS region");
    assert.deepEqual(sorted(Object.keys(GCP_AT)), sorted(Object.keys(GCP_REGIONS)), "a coordinate per GCP region");
  });

  it("picks the nearest region, or one within 10% of the nearest's distance", () => {
    const check = (table: Readonly<Record<string, string>>, from: Record<string, [number, number]>, to: Record<string, [number, number]>) => {
      for (const [r, picked] of Object.entries(table)) {
        const best = Math.min(...Object.values(to).map((p) => km(from[r]!, p)));
        const d = km(from[r]!, to[picked]!);
        assert.ok(d <= best * 1.1 + 1, `${r} -> ${picked} is ${Math.round(d)} km; the nearest is ${Math.round(best)} km`);
      }
    };
    check(NEAREST_AWS_REGION, GCP_AT, AWS_AT);
    check(NEAREST_GCP_REGION, AWS_AT, GCP_AT);
  });

  it("pairs regions in the same metro area both ways", () => {
    for (const [a, g] of Object.entries(NEAREST_GCP_REGION)) {
      if (km(AWS_AT[a]!, GCP_AT[g]!) < 50) assert.equal(NEAREST_AWS_REGION[g], a, `${a} <-> ${g}`);
    }
    assert.deepEqual([NEAREST_AWS_REGION["europe-west2"], NEAREST_GCP_REGION["eu-west-2"]], ["eu-west-2", "europe-west2"], "London");
  });
});

describe("cloud regions: routing regions of clusters", () => {
  const model = validateTopology({
    name: "r",
    clusters: [
      { name: "use1", target: "aws", region: "us-east-1", servers: 1 },
      { name: "ew1", target: "gcp", region: "europe-west1", servers: 1 },
      { name: "new1", target: "gcp", region: "asia-southeast3", servers: 1 },
      { name: "new2", target: "aws", region: "eusc-de-east-1", servers: 1 },
    ],
    gateways: "full-mesh",
  });
  const c = (name: string) => model.clusters.find((x) => x.name === name)!;

  it("keeps the home cloud's clusters in their own regions and maps the other cloud's", () => {
    assert.deepEqual([...routingRegions([c("use1"), c("ew1")], "aws", {})], [["use1", "us-east-1"], ["ew1", "eu-west-3"]]);
    assert.deepEqual([...routingRegions([c("use1"), c("ew1")], "gcp", {})], [["use1", "us-east4"], ["ew1", "europe-west1"]]);
  });

  it("lets the override win over the table, and never over a cluster's own region", () => {
    assert.deepEqual([...routingRegions([c("use1"), c("ew1")], "aws", { "europe-west1": "eu-west-1", "us-east-1": "eu-west-1" })], [["use1", "us-east-1"], ["ew1", "eu-west-1"]]);
    assert.deepEqual([...routingRegions([c("new1")], "aws", { "asia-southeast3": "ap-southeast-7" })], [["new1", "ap-southeast-7"]]);
  });

  it("names every cluster with no region on file, its path and the option to set", () => {
    assert.throws(
      () => routingRegions([c("use1"), c("new1")], "aws", {}),
      { message: 'dns: clusters[2].region: GCP region asia-southeast3 of cluster new1 has no nearest AWS region on file; Route53 latency records need one: set natsfleet:aws.latencyRegions to { "asia-southeast3": "<aws region, e.g. eu-west-1>" }' },
    );
    assert.throws(() => routingRegions([c("new2"), c("ew1")], "gcp", {}), /^Error: dns: clusters\[3\]\.region: AWS region eusc-de-east-1 of cluster new2 has no nearest GCP region on file; Cloud DNS geolocation items need one: set natsfleet:gcp\.geoRegions/);
  });

  it("checks override maps: object, region shapes of the right clouds", () => {
    assert.deepEqual(regionMapProblems({ "europe-west1": "eu-west-1" }, "natsfleet:aws.latencyRegions", "gcp", "aws"), []);
    assert.deepEqual(regionMapProblems(["eu-west-1"], "natsfleet:aws.latencyRegions", "gcp", "aws"), ['natsfleet:aws.latencyRegions: expected an object like { "europe-west1": "eu-west-1" }, got ["eu-west-1"]']);
    assert.deepEqual(regionMapProblems({ "eu-west-1": 3 }, "natsfleet:gcp.geoRegions", "aws", "gcp"), ['natsfleet:gcp.geoRegions.eu-west-1: expected a GCP region like europe-west1, got 3']);
    assert.deepEqual(regionMapProblems({ "europe-west-1": "eu-west-1" }, "natsfleet:aws.latencyRegions", "gcp", "aws"), ['natsfleet:aws.latencyRegions: key "europe-west-1" is not a GCP region (e.g. europe-west1)']);
  });
});
