/**
 * Closest-cluster DNS on Route53 under mocks: one latency record per region with its servers,
 * set identifier, latency region and a calculated health check over per-server /healthz checks;
 * one A record per cluster; the monitoring port opened to Route53's health checkers only; the
 * outputs; and nothing DNS-related without `dns`. With GCP clusters too: they answer in the
 * nearest AWS region's latency record (or the one natsfleet:aws.latencyRegions names), health-
 * checked like the AWS servers, with a GCP firewall rule for Route53's checkers only.
 */
import { strict as assert } from "assert";
import { SuperCluster } from "../../../components/supercluster";
import { AwsTarget } from "../../../components/aws";
import { GcpTarget } from "../../../components/gcp";
import { HEALTH_CHECKER_SERVICE, healthCheckPrefixList } from "../../../components/aws/dns";
import { NEAREST_AWS_REGION } from "../../../components/common/cloud-regions";
import { TopologyError } from "../../../components/topology/errors";
import type { Target } from "../../../components/target";
import { asPolicyResources, packViolations } from "../../policies/harness";
import { CloudMocks, installCloudMocks, mockPrefixListId, mockPublicIp, MOCK_HOSTED_ZONE, MOCK_ROUTE53_CHECKERS, named, ofType, providerName, resolve, settle } from "../common/cloud-mocks";

const ALLOWED = "192.0.2.0/24";
const RECORD = "aws:route53/record:Record";
const CHECK = "aws:route53/healthCheck:HealthCheck";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const FIREWALL = "gcp:compute/firewall:Firewall";

/** Two clusters in us-east-1, one in eu-west-1, a leaf node (never in DNS). */
const topology = (dns: Record<string, unknown> | null = { zone: "example.com", name: "nats.example.com", ttl: 30 }) => ({
  name: "d",
  clusters: [
    { name: "use1", target: "aws", region: "us-east-1", servers: 3 },
    { name: "use1b", target: "aws", region: "us-east-1", servers: 2 },
    { name: "euw1", target: "aws", region: "eu-west-1", servers: 2 },
  ],
  gateways: "full-mesh",
  tls: { enabled: true, listeners: ["gateway", "leafnode"] },
  leafnodes: [{ name: "edge", target: "aws", region: "us-east-1", hub: "use1" }],
  ...(dns ? { dns } : {}),
});

const SERVERS: Record<string, string[]> = { use1: ["use1-0", "use1-1", "use1-2"], use1b: ["use1b-0", "use1b-1"], euw1: ["euw1-0", "euw1-1"] };
const eip = (cluster: string, s: string) => mockPublicIp(`d-${cluster}-${s}-eip`);
const eips = (...clusters: string[]) => clusters.flatMap((c) => SERVERS[c]!.map((s) => eip(c, s))).sort();
const sorted = (xs: string[]) => [...xs].sort();

async function deploy(m: CloudMocks, target: AwsTarget, topo: unknown = topology(), extra: Record<string, unknown> = {}): Promise<SuperCluster> {
  const sc = new SuperCluster("d", { topology: topo, targets: { aws: target }, ...extra });
  await resolve(sc.clientUrls);
  await settle(m.registered);
  return sc;
}

describe("aws dns: Route53 latency records with health checks", function () {
  this.timeout(60000);
  let m: CloudMocks;
  let sc: SuperCluster;

  before(async () => {
    m = await installCloudMocks("aws-dns");
    sc = await deploy(m, new AwsTarget({ allowedCidrs: [ALLOWED] }));
  });

  it("looks the public hosted zone up by the zone's domain", () => {
    const lookups = m.calls.filter((c) => c.token === "aws:route53/getZone:getZone");
    assert.deepEqual(lookups.map((c) => c.inputs), [{ name: "example.com", privateZone: false }]);
    for (const r of ofType(m, RECORD)) assert.equal(r.inputs.zoneId, MOCK_HOSTED_ZONE, r.name);
  });

  it("answers the client name with one latency record per region, listing that region's servers", () => {
    const latency = ofType(m, RECORD).filter((r) => r.inputs.latencyRoutingPolicies);
    assert.deepEqual(sorted(latency.map((r) => r.name)), ["d-dns-eu-west-1", "d-dns-us-east-1"]);
    const expect: Record<string, string[]> = { "us-east-1": eips("use1", "use1b"), "eu-west-1": eips("euw1") };
    for (const r of latency) {
      const region = r.inputs.setIdentifier;
      assert.ok(expect[region], `set identifier ${region}`);
      assert.deepEqual(r.inputs.latencyRoutingPolicies, [{ region }]);
      assert.equal(r.inputs.name, "nats.example.com");
      assert.equal(r.inputs.type, "A");
      assert.equal(r.inputs.ttl, 30);
      assert.deepEqual(sorted(r.inputs.records), expect[region]);
      assert.equal(r.inputs.healthCheckId, `d-dns-hc-region-${region}-id`, `${region} carries its region's check`);
    }
  });

  it("checks every server's /healthz and calls a region healthy while one of its servers is", () => {
    const checks = ofType(m, CHECK);
    const servers = checks.filter((c) => c.inputs.type === "HTTP");
    assert.equal(servers.length, 7, "one check per cluster server, none for the leaf node");
    for (const [cluster, names] of Object.entries(SERVERS)) {
      for (const s of names) {
        const c = named(m, `d-dns-hc-server-${s}`);
        assert.deepEqual(
          { ip: c.inputs.ipAddress, port: c.inputs.port, path: c.inputs.resourcePath, interval: c.inputs.requestInterval, failures: c.inputs.failureThreshold },
          { ip: eip(cluster, s), port: 8222, path: "/healthz", interval: 30, failures: 3 },
        );
      }
    }
    const region = (r: string, clusters: string[]) => {
      const c = named(m, `d-dns-hc-region-${r}`);
      assert.equal(c.inputs.type, "CALCULATED");
      assert.equal(c.inputs.childHealthThreshold, 1);
      assert.deepEqual(sorted(c.inputs.childHealthchecks), sorted(clusters.flatMap((k) => SERVERS[k]!.map((s) => `d-dns-hc-server-${s}-id`))));
    };
    region("us-east-1", ["use1", "use1b"]);
    region("eu-west-1", ["euw1"]);
    assert.equal(checks.length, 7 + 2);
  });

  it("gives every cluster its own A record", () => {
    const own = ofType(m, RECORD).filter((r) => !r.inputs.latencyRoutingPolicies);
    assert.deepEqual(
      own.map((r) => [r.name, r.inputs.name, r.inputs.type, r.inputs.ttl, sorted(r.inputs.records), r.inputs.setIdentifier, r.inputs.healthCheckId]).sort(),
      Object.keys(SERVERS)
        .map((c) => [`d-dns-cluster-${c}`, `${c}.nats.example.com`, "A", 30, eips(c), undefined, undefined])
        .sort(),
    );
  });

  it("opens monitoring to Route53's health checkers only, through AWS's prefix list of them", () => {
    const lists = m.calls.filter((c) => c.token === "aws:ec2/getManagedPrefixList:getManagedPrefixList");
    assert.deepEqual(sorted(lists.map((c) => c.inputs.name)), ["com.amazonaws.eu-west-1.route53-healthchecks", "com.amazonaws.us-east-1.route53-healthchecks"]);
    const monitoring = ofType(m, INGRESS).filter((r) => r.inputs.fromPort === 8222);
    assert.deepEqual(
      monitoring.map((r) => [r.inputs.securityGroupId, r.inputs.toPort, r.inputs.prefixListId, r.inputs.cidrIpv4, providerName(r.provider)]).sort(),
      [
        ["d-euw1-sg-id", 8222, mockPrefixListId(healthCheckPrefixList("eu-west-1")), undefined, "d-aws-eu-west-1"],
        ["d-use1-sg-id", 8222, mockPrefixListId(healthCheckPrefixList("us-east-1")), undefined, "d-aws-us-east-1"],
        ["d-use1b-sg-id", 8222, mockPrefixListId(healthCheckPrefixList("us-east-1")), undefined, "d-aws-us-east-1"],
      ],
    );
  });

  it("keeps Route53 records and checks on the first cluster's provider (Route53 is global)", () => {
    for (const r of [...ofType(m, RECORD), ...ofType(m, CHECK)]) assert.equal(providerName(r.provider), "d-aws-us-east-1", r.name);
  });

  it("outputs the one client URL and the per-cluster URLs", async () => {
    assert.equal(await resolve(sc.dnsUrl!), "nats://nats.example.com:4222");
    assert.deepEqual(await resolve(sc.dnsClusterUrls!), { use1: "nats://use1.nats.example.com:4222", use1b: "nats://use1b.nats.example.com:4222", euw1: "nats://euw1.nats.example.com:4222" });
  });

  it("passes the policy pack", async () => {
    assert.deepEqual(await packViolations(asPolicyResources(m.registered, "aws-dns")), {});
  });
});

describe("aws dns: options, no dns, bad input", function () {
  this.timeout(60000);

  it("takes the hosted zone id and pinned health-checker CIDRs from the options", async () => {
    const m = await installCloudMocks("aws-dns-opts", { "natsfleet:aws": JSON.stringify({ hostedZoneId: "Z0OPTION", healthCheckCidrs: ["15.177.0.0/18", "54.243.31.192/26"] }) });
    await deploy(m, new AwsTarget());
    assert.equal(m.calls.filter((c) => c.token === "aws:route53/getZone:getZone" || c.token === "aws:ec2/getManagedPrefixList:getManagedPrefixList").length, 0);
    for (const r of ofType(m, RECORD)) assert.equal(r.inputs.zoneId, "Z0OPTION");
    const monitoring = ofType(m, INGRESS).filter((r) => r.inputs.fromPort === 8222);
    assert.deepEqual(
      monitoring.map((r) => `${r.inputs.securityGroupId} ${r.inputs.cidrIpv4} ${r.inputs.prefixListId}`).sort(),
      ["euw1", "use1", "use1b"].flatMap((c) => [`d-${c}-sg-id 15.177.0.0/18 undefined`, `d-${c}-sg-id 54.243.31.192/26 undefined`]).sort(),
    );
  });

  it("creates nothing DNS-related without dns", async () => {
    const m = await installCloudMocks("aws-no-dns");
    const sc = await deploy(m, new AwsTarget({ allowedCidrs: [ALLOWED] }), topology(null));
    assert.deepEqual(m.registered.filter((r) => r.type.startsWith("aws:route53")).map((r) => r.name), []);
    assert.equal(m.calls.filter((c) => c.token.startsWith("aws:route53") || c.token.includes("PrefixList")).length, 0);
    assert.equal(ofType(m, INGRESS).filter((r) => r.inputs.fromPort === 8222).length, 0, "monitoring stays closed");
    assert.equal(sc.dnsUrl, undefined);
    assert.equal(sc.dnsClusterUrls, undefined);
  });

  it("rejects what one name cannot carry, before anything registers", async () => {
    const m = await installCloudMocks("aws-dns-bad");
    const ports = topology();
    (ports.clusters[2] as Record<string, unknown>).ports = { client: 4333 };
    assert.throws(
      () => new SuperCluster("d", { topology: ports, targets: { aws: new AwsTarget() } }),
      (e: unknown) => e instanceof TopologyError && /dns\.name: clusters use1 \(4222\), use1b \(4222\), euw1 \(4333\) answer for nats\.example\.com with different client ports/.test(e.message),
    );
    assert.throws(
      () => new SuperCluster("d", { topology: topology(), targets: { aws: new AwsTarget() }, dnsProvider: "gcp" }),
      /dns: natsfleet:dnsProvider is gcp but no cluster runs on gcp/,
    );
    // a registry whose aws target has no DNS service cannot hold the zone
    const plain = new AwsTarget();
    const noDns: Target = { kind: "aws", allocate: plain.allocate.bind(plain), deploy: plain.deploy.bind(plain) };
    assert.throws(() => new SuperCluster("d", { topology: topology(), targets: { aws: noDns } }), /dns: target aws holds zone example\.com but cannot write DNS records/);
    assert.deepEqual(m.registered, []);
    await installCloudMocks("aws-dns-bad-opts");
    assert.throws(() => new SuperCluster("d", { topology: topology(), targets: { aws: new AwsTarget({ healthCheckCidrs: ["0.0.0.0/0"] }) } }), /natsfleet:aws\.healthCheckCidrs\[0\]: 0\.0\.0\.0\/0 would make the port public/);
    assert.throws(() => new SuperCluster("d", { topology: topology(), targets: { aws: new AwsTarget({ hostedZoneId: "example.com" }) } }), /natsfleet:aws\.hostedZoneId: expected a Route53 hosted zone id/);
  });
});

/** AWS us-east-1 and eu-west-1, GCP europe-west1 (Route53 holds the zone: the first cluster is AWS's). */
const mixed = (gcpRegion = "europe-west1") => ({
  name: "x",
  clusters: [
    { name: "use1", target: "aws", region: "us-east-1", servers: 2 },
    { name: "euw1", target: "aws", region: "eu-west-1", servers: 1 },
    { name: "ew1", target: "gcp", region: gcpRegion, servers: 2 },
  ],
  gateways: "full-mesh",
  tls: { enabled: true, listeners: ["gateway"] },
  dns: { zone: "example.com", name: "nats.example.com" },
});
const awsIps = (cluster: string, n: number) => Array.from({ length: n }, (_, i) => mockPublicIp(`x-${cluster}-${cluster}-${i}-eip`)).sort();
const gcpIps = Array.from({ length: 2 }, (_, i) => mockPublicIp(`x-ew1-ew1-${i}-external`)).sort();

async function deployMixed(m: CloudMocks, topo: unknown = mixed(), aws = new AwsTarget({ allowedCidrs: [ALLOWED] })): Promise<SuperCluster> {
  const sc = new SuperCluster("x", { topology: topo, targets: { aws, gcp: new GcpTarget({ allowedCidrs: [ALLOWED] }) } });
  await resolve(sc.clientUrls);
  await settle(m.registered);
  return sc;
}

/** Latency records as name -> [set identifier, latency region, sorted IPs, health check]. */
function latencyRecords(m: CloudMocks): Record<string, [string, string, string[], string]> {
  return Object.fromEntries(
    ofType(m, RECORD)
      .filter((r) => r.inputs.latencyRoutingPolicies)
      .map((r) => [r.name, [r.inputs.setIdentifier, r.inputs.latencyRoutingPolicies[0].region, sorted(r.inputs.records), r.inputs.healthCheckId]]),
  );
}

describe("aws dns: GCP clusters answer for the client name too", function () {
  this.timeout(60000);
  let m: CloudMocks;
  let sc: SuperCluster;

  before(async () => {
    m = await installCloudMocks("aws-dns-mixed");
    sc = await deployMixed(m);
  });

  it("puts europe-west1's servers in the latency record of the nearest AWS region, eu-west-3", () => {
    assert.equal(NEAREST_AWS_REGION["europe-west1"], "eu-west-3");
    assert.deepEqual(latencyRecords(m), {
      "x-dns-us-east-1": ["us-east-1", "us-east-1", awsIps("use1", 2), "x-dns-hc-region-us-east-1-id"],
      "x-dns-eu-west-1": ["eu-west-1", "eu-west-1", awsIps("euw1", 1), "x-dns-hc-region-eu-west-1-id"],
      "x-dns-eu-west-3": ["eu-west-3", "eu-west-3", gcpIps, "x-dns-hc-region-eu-west-3-id"],
    });
    for (const r of ofType(m, RECORD)) assert.equal(r.inputs.zoneId, MOCK_HOSTED_ZONE, r.name);
  });

  it("health-checks the GCP servers' /healthz like the AWS servers', one calculated check for their region", () => {
    for (const s of ["ew1-0", "ew1-1"]) {
      const c = named(m, `x-dns-hc-server-${s}`);
      const ip = mockPublicIp(`x-ew1-${s}-external`);
      assert.deepEqual([c.inputs.type, c.inputs.ipAddress, c.inputs.port, c.inputs.resourcePath], ["HTTP", ip, 8222, "/healthz"]);
      assert.equal(providerName(c.provider), "x-aws-us-east-1", "Route53 is global: the zone's provider");
    }
    const region = named(m, "x-dns-hc-region-eu-west-3");
    assert.deepEqual([region.inputs.type, region.inputs.childHealthThreshold, sorted(region.inputs.childHealthchecks)], ["CALCULATED", 1, ["x-dns-hc-server-ew1-0-id", "x-dns-hc-server-ew1-1-id"]]);
    assert.equal(ofType(m, CHECK).filter((c) => c.inputs.type === "HTTP").length, 5);
  });

  it("opens the GCP servers' monitoring port to the ranges AWS publishes for Route53's checkers, and nothing else", () => {
    const lookups = m.calls.filter((c) => c.token === "aws:index/getIpRanges:getIpRanges");
    assert.deepEqual(lookups.map((c) => c.inputs), [{ services: [HEALTH_CHECKER_SERVICE] }]);
    const monitoring = ofType(m, FIREWALL).filter((r) => r.inputs.allows.some((a: any) => a.ports.includes("8222")));
    assert.deepEqual(
      monitoring.map((r) => [r.name, r.inputs.direction, r.inputs.targetTags, r.inputs.sourceRanges, r.inputs.allows, r.inputs.network, providerName(r.provider), r.inputs.description]),
      [["x-ew1-fw-dns-healthcheck", "INGRESS", ["nf-x-ew1"], MOCK_ROUTE53_CHECKERS.cidrBlocks, [{ protocol: "tcp", ports: ["8222"] }], "x-gcp-europe-west1-net-id", "x-gcp-europe-west1", "Route53 health checks of /healthz"]],
      "IPv4 ranges only: the checks reach the servers' IPv4 addresses",
    );
    // the AWS clusters keep the regional prefix lists
    assert.deepEqual(
      ofType(m, INGRESS).filter((r) => r.inputs.fromPort === 8222).map((r) => [r.name, r.inputs.prefixListId]).sort(),
      [
        ["x-euw1-fw-healthcheck-8222-route53", mockPrefixListId(healthCheckPrefixList("eu-west-1"))],
        ["x-use1-fw-healthcheck-8222-route53", mockPrefixListId(healthCheckPrefixList("us-east-1"))],
      ],
    );
  });

  it("names every cluster, writes nothing to Cloud DNS, and keeps the outputs", async () => {
    assert.deepEqual(sorted(named(m, "x-dns-cluster-ew1").inputs.records), gcpIps);
    assert.equal(named(m, "x-dns-cluster-ew1").inputs.ttl, 60, "default TTL");
    assert.deepEqual(m.registered.filter((r) => r.type.startsWith("gcp:dns") || r.type === "gcp:compute/healthCheck:HealthCheck").map((r) => r.name), []);
    assert.equal(await resolve(sc.dnsUrl!), "nats://nats.example.com:4222");
    assert.deepEqual(await resolve(sc.dnsClusterUrls!), { use1: "nats://use1.nats.example.com:4222", euw1: "nats://euw1.nats.example.com:4222", ew1: "nats://ew1.nats.example.com:4222" });
  });

  it("passes the policy pack", async () => {
    assert.deepEqual(await packViolations(asPolicyResources(m.registered, "aws-dns-mixed")), {});
  });

  it("follows natsfleet:aws.latencyRegions: the GCP cluster joins eu-west-1's record, checked with the AWS servers there", async () => {
    const cfg = { "natsfleet:aws": JSON.stringify({ latencyRegions: { "europe-west1": "eu-west-1" }, healthCheckCidrs: ["15.177.0.0/18", "2600:1f14::/36"] }) };
    const o = await installCloudMocks("aws-dns-mixed-opts", cfg);
    await deployMixed(o, mixed(), new AwsTarget());
    assert.deepEqual(latencyRecords(o), {
      "x-dns-us-east-1": ["us-east-1", "us-east-1", awsIps("use1", 2), "x-dns-hc-region-us-east-1-id"],
      "x-dns-eu-west-1": ["eu-west-1", "eu-west-1", sorted([...awsIps("euw1", 1), ...gcpIps]), "x-dns-hc-region-eu-west-1-id"],
    });
    assert.deepEqual(sorted(named(o, "x-dns-hc-region-eu-west-1").inputs.childHealthchecks), sorted(["x-dns-hc-server-euw1-0-id", "x-dns-hc-server-ew1-0-id", "x-dns-hc-server-ew1-1-id"]));
    // pinned checker CIDRs: no lookups; GCP gets their IPv4 part, AWS all of them
    assert.equal(o.calls.filter((c) => c.token === "aws:index/getIpRanges:getIpRanges" || c.token.includes("PrefixList")).length, 0);
    assert.deepEqual(named(o, "x-ew1-fw-dns-healthcheck").inputs.sourceRanges, ["15.177.0.0/18"]);
    assert.deepEqual(
      ofType(o, INGRESS).filter((r) => r.inputs.fromPort === 8222).map((r) => `${r.name} ${r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6}`).sort(),
      ["euw1", "use1"].flatMap((c) => [`x-${c}-fw-healthcheck-8222-15-177-0-0-18 15.177.0.0/18`, `x-${c}-fw-healthcheck-8222-2600-1f14-36 2600:1f14::/36`]).sort(),
    );
    assert.deepEqual(await packViolations(asPolicyResources(o.registered, "aws-dns-mixed-opts")), {});
  });

  it("rejects a GCP region with no latency region on file, naming the cluster's path and the option, before anything registers", async () => {
    const o = await installCloudMocks("aws-dns-unmapped");
    assert.equal(NEAREST_AWS_REGION["asia-southeast3"], undefined, "a region newer than the table");
    assert.throws(
      () => new SuperCluster("x", { topology: mixed("asia-southeast3"), targets: { aws: new AwsTarget(), gcp: new GcpTarget() } }),
      (e: unknown) =>
        e instanceof Error &&
        e.message ===
          'dns: clusters[2].region: GCP region asia-southeast3 of cluster ew1 has no nearest AWS region on file; Route53 latency records need one: set natsfleet:aws.latencyRegions to { "asia-southeast3": "<aws region, e.g. eu-west-1>" }',
    );
    assert.deepEqual(o.registered, []);
    const fixed = await installCloudMocks("aws-dns-unmapped-fixed", { "natsfleet:aws": JSON.stringify({ latencyRegions: { "asia-southeast3": "ap-southeast-7" } }) });
    await deployMixed(fixed, mixed("asia-southeast3"), new AwsTarget());
    assert.deepEqual(latencyRecords(fixed)["x-dns-ap-southeast-7"]?.slice(0, 2), ["ap-southeast-7", "ap-southeast-7"]);
  });

  it("rejects a latencyRegions map that is not GCP region -> AWS region", async () => {
    await installCloudMocks("aws-dns-bad-map");
    assert.throws(
      () => new SuperCluster("x", { topology: mixed(), targets: { aws: new AwsTarget({ latencyRegions: { "europe-west1": "europe-west2", "eu-west-1": "eu-west-2" } }), gcp: new GcpTarget() } }),
      /natsfleet:aws\.latencyRegions\.europe-west1: expected an AWS region like eu-west-1, got "europe-west2"; natsfleet:aws\.latencyRegions: key "eu-west-1" is not a GCP region/,
    );
  });
});
