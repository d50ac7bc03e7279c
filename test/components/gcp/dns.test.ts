/**
 * Closest-cluster DNS on Cloud DNS under mocks: the client name's geolocation policy (one geo
 * item per region with that region's servers), plain by default and health-checked when the
 * probe ranges are given (then a global /healthz check and a monitoring rule for those ranges
 * only); one A record per cluster; the zone lookup; the outputs; nothing without `dns`. With
 * AWS clusters too: they answer in the nearest GCP region's geo item (or the one
 * natsfleet:gcp.geoRegions names), health-checked with the GCP servers when the probe ranges
 * are given, through a security group rule for those ranges only.
 */
import { strict as assert } from "assert";
import { SuperCluster } from "../../../components/supercluster";
import { GcpTarget } from "../../../components/gcp";
import { AwsTarget } from "../../../components/aws";
import { findManagedZone } from "../../../components/gcp/dns";
import { NEAREST_GCP_REGION } from "../../../components/common/cloud-regions";
import { asPolicyResources, packViolations } from "../../policies/harness";
import { CloudMocks, installCloudMocks, MOCK_MANAGED_ZONES, mockPublicIp, named, ofType, providerName, resolve, settle } from "../common/cloud-mocks";

const ALLOWED = "192.0.2.0/24";
const PROBES = ["198.51.100.0/25", "203.0.113.128/25"];
const RECORD = "gcp:dns/recordSet:RecordSet";
const FIREWALL = "gcp:compute/firewall:Firewall";
const CHECK = "gcp:compute/healthCheck:HealthCheck";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

/** Two clusters in europe-west1, one in us-central1, a leaf node (never in DNS). */
const topology = (dns: Record<string, unknown> | null = { zone: "example.com", name: "nats.example.com", ttl: 30 }) => ({
  name: "g",
  clusters: [
    { name: "ew1", target: "gcp", region: "europe-west1", servers: 3 },
    { name: "ew1b", target: "gcp", region: "europe-west1", servers: 2 },
    { name: "uc1", target: "gcp", region: "us-central1", servers: 2 },
  ],
  gateways: "full-mesh",
  tls: { enabled: true, listeners: ["gateway", "leafnode"] },
  leafnodes: [{ name: "shop", target: "gcp", region: "europe-west1", hub: "ew1" }],
  ...(dns ? { dns } : {}),
});

const SERVERS: Record<string, string[]> = { ew1: ["ew1-0", "ew1-1", "ew1-2"], ew1b: ["ew1b-0", "ew1b-1"], uc1: ["uc1-0", "uc1-1"] };
const ips = (...clusters: string[]) => clusters.flatMap((c) => SERVERS[c]!.map((s) => mockPublicIp(`g-${c}-${s}-external`))).sort();
const sorted = (xs: string[]) => [...xs].sort();

async function deploy(m: CloudMocks, target: GcpTarget, topo: unknown = topology()): Promise<SuperCluster> {
  const sc = new SuperCluster("g", { topology: topo, targets: { gcp: target } });
  await resolve(sc.clientUrls);
  await settle(m.registered);
  return sc;
}

/** Geo items as [location, sorted IPs, health-checked?]. */
function geos(m: CloudMocks): Array<[string, string[], boolean]> {
  return named(m, "g-dns-client").inputs.routingPolicy.geos.map((g: any) => [
    g.location,
    sorted(g.rrdatas ?? g.healthCheckedTargets.externalEndpoints),
    g.healthCheckedTargets !== undefined,
  ]);
}

describe("gcp dns: Cloud DNS geolocation", function () {
  this.timeout(60000);
  let m: CloudMocks;
  let sc: SuperCluster;

  before(async () => {
    m = await installCloudMocks("gcp-dns");
    sc = await deploy(m, new GcpTarget({ allowedCidrs: [ALLOWED] }));
  });

  it("finds the public managed zone of the domain", () => {
    assert.equal(m.calls.filter((c) => c.token === "gcp:dns/getManagedZones:getManagedZones").length, 1);
    for (const r of ofType(m, RECORD)) assert.equal(r.inputs.managedZone, "example-com", r.name);
  });

  it("answers the client name with one geo item per region, holding that region's servers", () => {
    const client = named(m, "g-dns-client");
    assert.deepEqual([client.inputs.name, client.inputs.type, client.inputs.ttl, client.inputs.rrdatas], ["nats.example.com.", "A", 30, undefined]);
    assert.deepEqual(geos(m), [
      ["europe-west1", ips("ew1", "ew1b"), false],
      ["us-central1", ips("uc1"), false],
    ]);
    assert.equal(client.inputs.routingPolicy.healthCheck, undefined, "plain geolocation without probe ranges");
  });

  it("gives every cluster its own A record", () => {
    const own = ofType(m, RECORD).filter((r) => r.name !== "g-dns-client");
    assert.deepEqual(
      own.map((r) => [r.name, r.inputs.name, r.inputs.type, r.inputs.ttl, sorted(r.inputs.rrdatas), r.inputs.routingPolicy]).sort(),
      Object.keys(SERVERS)
        .map((c) => [`g-dns-cluster-${c}`, `${c}.nats.example.com.`, "A", 30, ips(c), undefined])
        .sort(),
    );
    for (const r of ofType(m, RECORD)) assert.equal(providerName(r.provider), "g-gcp-europe-west1", r.name);
  });

  it("keeps monitoring closed and makes no health check without probe ranges", () => {
    assert.equal(ofType(m, CHECK).length, 0);
    assert.deepEqual(ofType(m, FIREWALL).filter((r) => r.inputs.allows.some((a: any) => a.ports.includes("8222"))).map((r) => r.name), []);
  });

  it("outputs the one client URL and the per-cluster URLs", async () => {
    assert.equal(await resolve(sc.dnsUrl!), "nats://nats.example.com:4222");
    assert.deepEqual(await resolve(sc.dnsClusterUrls!), { ew1: "nats://ew1.nats.example.com:4222", ew1b: "nats://ew1b.nats.example.com:4222", uc1: "nats://uc1.nats.example.com:4222" });
  });

  it("passes the policy pack", async () => {
    assert.deepEqual(await packViolations(asPolicyResources(m.registered, "gcp-dns")), {});
  });
});

describe("gcp dns: health-checked geolocation, options, no dns", function () {
  this.timeout(60000);

  it("health-checks the geo items' servers when the probe ranges are given, opening monitoring to them only", async () => {
    const m = await installCloudMocks("gcp-dns-hc", { "natsfleet:gcp": JSON.stringify({ managedZone: "my-zone", healthCheckCidrs: PROBES }) });
    const sc = await deploy(m, new GcpTarget());
    assert.equal(m.calls.filter((c) => c.token === "gcp:dns/getManagedZones:getManagedZones").length, 0, "the named zone needs no lookup");
    for (const r of ofType(m, RECORD)) assert.equal(r.inputs.managedZone, "my-zone");
    assert.deepEqual(geos(m), [
      ["europe-west1", ips("ew1", "ew1b"), true],
      ["us-central1", ips("uc1"), true],
    ]);
    assert.equal(named(m, "g-dns-client").inputs.routingPolicy.healthCheck, "g-dns-healthcheck-id");
    const check = named(m, "g-dns-healthcheck");
    assert.deepEqual(check.inputs.httpHealthCheck, { port: 8222, portSpecification: "USE_FIXED_PORT", requestPath: "/healthz" });
    assert.deepEqual(check.inputs.sourceRegions, ["us-central1", "europe-west1", "asia-southeast1"]);
    assert.equal(check.inputs.checkIntervalSec, 30);
    const monitoring = ofType(m, FIREWALL).filter((r) => r.inputs.allows.some((a: any) => a.ports.includes("8222")));
    assert.deepEqual(
      monitoring.map((r) => [r.name, r.inputs.direction, r.inputs.targetTags, r.inputs.sourceRanges, r.inputs.network]).sort(),
      [
        ["g-ew1-fw-dns-healthcheck", "INGRESS", ["nf-g-ew1"], PROBES, "g-gcp-europe-west1-net-id"],
        ["g-ew1b-fw-dns-healthcheck", "INGRESS", ["nf-g-ew1b"], PROBES, "g-gcp-europe-west1-net-id"],
        ["g-uc1-fw-dns-healthcheck", "INGRESS", ["nf-g-uc1"], PROBES, "g-gcp-us-central1-net-id"],
      ],
    );
    assert.equal(await resolve(sc.dnsUrl!), "nats://nats.example.com:4222");
    assert.deepEqual(await packViolations(asPolicyResources(m.registered, "gcp-dns-hc")), {});
  });

  it("creates nothing DNS-related without dns", async () => {
    const m = await installCloudMocks("gcp-no-dns", { "natsfleet:gcp": JSON.stringify({ healthCheckCidrs: PROBES }) });
    const sc = await deploy(m, new GcpTarget(), topology(null));
    assert.deepEqual(m.registered.filter((r) => r.type.startsWith("gcp:dns") || r.type === CHECK || r.name.includes("dns")).map((r) => r.name), []);
    assert.equal(m.calls.filter((c) => c.token.startsWith("gcp:dns")).length, 0);
    assert.equal(sc.dnsUrl, undefined);
  });

  it("finds exactly one public managed zone for the domain, or says what it found", () => {
    assert.equal(findManagedZone(MOCK_MANAGED_ZONES, "example.com"), "example-com");
    assert.throws(() => findManagedZone(MOCK_MANAGED_ZONES, "example.org"), /dns\.zone example\.org: expected one public Cloud DNS managed zone for example\.org\. in the project, found none; set natsfleet:gcp\.managedZone/);
    const twice = [...MOCK_MANAGED_ZONES, { name: "example-com-2", dnsName: "example.com.", visibility: "public" }];
    assert.throws(() => findManagedZone(twice, "example.com"), /found 2 \(example-com, example-com-2\)/);
  });

  it("rejects bad DNS options with the key named", async () => {
    const bad = async (opts: Record<string, unknown>, re: RegExp) => {
      await installCloudMocks("gcp-dns-bad");
      assert.throws(() => new SuperCluster("g", { topology: topology(), targets: { gcp: new GcpTarget(opts) } }), re);
    };
    await bad({ healthCheckCidrs: ["0.0.0.0/0"] }, /natsfleet:gcp\.healthCheckCidrs\[0\]: 0\.0\.0\.0\/0 would make the port public/);
    await bad({ healthCheckRegions: ["us-central1", "europe-west1"] }, /natsfleet:gcp\.healthCheckRegions: expected three different regions/);
    await bad({ managedZone: "Example.com" }, /natsfleet:gcp\.managedZone: expected a managed zone name/);
  });
});

/** AWS us-east-1, GCP europe-west1 and us-central1; Cloud DNS holds the zone (natsfleet:dnsProvider gcp). */
const mixed = (awsRegion = "us-east-1", http?: number) => ({
  name: "x",
  clusters: [
    { name: "use1", target: "aws", region: awsRegion, servers: 2, ...(http ? { ports: { http } } : {}) },
    { name: "ew1", target: "gcp", region: "europe-west1", servers: 2 },
    { name: "uc1", target: "gcp", region: "us-central1", servers: 1 },
  ],
  gateways: "full-mesh",
  tls: { enabled: true, listeners: ["gateway"] },
  dns: { zone: "example.com", name: "nats.example.com" },
});
const awsIps = Array.from({ length: 2 }, (_, i) => mockPublicIp(`x-use1-use1-${i}-eip`)).sort();
const gcpIps = (c: string, n: number) => Array.from({ length: n }, (_, i) => mockPublicIp(`x-${c}-${c}-${i}-external`)).sort();

async function deployMixed(stack: string, gcpOptions: Record<string, unknown> = {}, topo: unknown = mixed()): Promise<CloudMocks & { sc: SuperCluster }> {
  const m = await installCloudMocks(stack, { "natsfleet:dnsProvider": "gcp", "natsfleet:gcp": JSON.stringify(gcpOptions) });
  const sc = new SuperCluster("x", { topology: topo, targets: { aws: new AwsTarget({ allowedCidrs: [ALLOWED] }), gcp: new GcpTarget({ allowedCidrs: [ALLOWED] }) } });
  await resolve(sc.clientUrls);
  await settle(m.registered);
  return { ...m, sc };
}

/** The client name's geo items as [location, sorted IPs, health-checked?]. */
const mixedGeos = (m: CloudMocks): Array<[string, string[], boolean]> =>
  named(m, "x-dns-client").inputs.routingPolicy.geos.map((g: any) => [g.location, sorted(g.rrdatas ?? g.healthCheckedTargets.externalEndpoints), g.healthCheckedTargets !== undefined]);
const monitoringRules = (m: CloudMocks) => [
  ...ofType(m, FIREWALL).filter((r) => r.inputs.allows.some((a: any) => a.ports.includes("8222"))),
  ...ofType(m, INGRESS).filter((r) => r.inputs.fromPort === 8222),
];

describe("gcp dns: AWS clusters answer for the client name too", function () {
  this.timeout(60000);

  it("puts us-east-1's servers in the geo item of the nearest GCP region, us-east4; Route53 gets nothing", async () => {
    const m = await deployMixed("gcp-dns-mixed");
    assert.equal(NEAREST_GCP_REGION["us-east-1"], "us-east4");
    assert.deepEqual(mixedGeos(m), [
      ["europe-west1", gcpIps("ew1", 2), false],
      ["us-central1", gcpIps("uc1", 1), false],
      ["us-east4", awsIps, false],
    ]);
    assert.equal(named(m, "x-dns-client").inputs.ttl, 60, "default TTL");
    assert.deepEqual(sorted(named(m, "x-dns-cluster-use1").inputs.rrdatas), awsIps);
    assert.deepEqual(m.registered.filter((r) => r.type.startsWith("aws:route53")).map((r) => r.name), []);
    assert.equal(m.calls.filter((c) => c.token.startsWith("aws:route53") || c.token.includes("PrefixList") || c.token.includes("getIpRanges")).length, 0);
    assert.deepEqual(monitoringRules(m).map((r) => r.name), [], "no probe ranges: plain geolocation, monitoring stays closed on both clouds");
    assert.equal(await resolve(m.sc.dnsUrl!), "nats://nats.example.com:4222");
    assert.deepEqual(await resolve(m.sc.dnsClusterUrls!), { use1: "nats://use1.nats.example.com:4222", ew1: "nats://ew1.nats.example.com:4222", uc1: "nats://uc1.nats.example.com:4222" });
    assert.deepEqual(await packViolations(asPolicyResources(m.registered, "gcp-dns-mixed")), {});
  });

  it("with probe ranges: health-checks the AWS servers too, their security groups open monitoring to those ranges only", async () => {
    const m = await deployMixed("gcp-dns-mixed-hc", { healthCheckCidrs: PROBES });
    assert.deepEqual(mixedGeos(m), [
      ["europe-west1", gcpIps("ew1", 2), true],
      ["us-central1", gcpIps("uc1", 1), true],
      ["us-east4", awsIps, true],
    ]);
    assert.equal(named(m, "x-dns-client").inputs.routingPolicy.healthCheck, "x-dns-healthcheck-id");
    assert.equal(named(m, "x-dns-healthcheck").inputs.httpHealthCheck.port, 8222);
    const aws = ofType(m, INGRESS).filter((r) => r.inputs.fromPort === 8222);
    assert.deepEqual(
      aws.map((r) => [r.name, r.inputs.securityGroupId, r.inputs.toPort, r.inputs.cidrIpv4, r.inputs.prefixListId, r.inputs.description, providerName(r.provider)]).sort(),
      [
        ["x-use1-fw-healthcheck-8222-198-51-100-0-25", "x-use1-sg-id", 8222, PROBES[0], undefined, "Cloud DNS health checks of /healthz", "x-aws-us-east-1"],
        ["x-use1-fw-healthcheck-8222-203-0-113-128-25", "x-use1-sg-id", 8222, PROBES[1], undefined, "Cloud DNS health checks of /healthz", "x-aws-us-east-1"],
      ],
    );
    assert.deepEqual(
      ofType(m, FIREWALL).filter((r) => r.inputs.allows.some((a: any) => a.ports.includes("8222"))).map((r) => [r.name, r.inputs.sourceRanges]).sort(),
      [
        ["x-ew1-fw-dns-healthcheck", PROBES],
        ["x-uc1-fw-dns-healthcheck", PROBES],
      ],
    );
    assert.deepEqual(await packViolations(asPolicyResources(m.registered, "gcp-dns-mixed-hc")), {});
  });

  it("follows natsfleet:gcp.geoRegions: the AWS cluster joins us-central1's item", async () => {
    const m = await deployMixed("gcp-dns-mixed-geo", { geoRegions: { "us-east-1": "us-central1" } });
    assert.deepEqual(mixedGeos(m), [
      ["europe-west1", gcpIps("ew1", 2), false],
      ["us-central1", sorted([...gcpIps("uc1", 1), ...awsIps]), false],
    ]);
  });

  it("rejects an AWS region with no geo location on file, or servers on another monitoring port, before anything registers", async () => {
    const m = await installCloudMocks("gcp-dns-mixed-bad", { "natsfleet:dnsProvider": "gcp" });
    assert.equal(NEAREST_GCP_REGION["eusc-de-east-1"], undefined);
    const build = (topo: unknown, gcp: GcpTarget) => () => new SuperCluster("x", { topology: topo, targets: { aws: new AwsTarget(), gcp } });
    assert.throws(
      build(mixed("eusc-de-east-1"), new GcpTarget()),
      (e: unknown) =>
        e instanceof Error &&
        e.message ===
          'dns: clusters[0].region: AWS region eusc-de-east-1 of cluster use1 has no nearest GCP region on file; Cloud DNS geolocation items need one: set natsfleet:gcp.geoRegions to { "eusc-de-east-1": "<gcp region, e.g. europe-west1>" }',
    );
    assert.throws(build(mixed("us-east-1", 8223), new GcpTarget({ healthCheckCidrs: PROBES })), /gcp dns: the health check of nats\.example\.com reads one port, but the servers use monitoring ports 8222, 8223/);
    assert.throws(build(mixed(), new GcpTarget({ geoRegions: { "us-east-1": "us-east-1" } })), /natsfleet:gcp\.geoRegions\.us-east-1: expected a GCP region like europe-west1, got "us-east-1"/);
    assert.deepEqual(m.registered, []);
  });
});
