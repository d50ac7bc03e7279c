/**
 * Closest-cluster DNS on Route53 under mocks: one latency record per region with its servers,
 * set identifier, latency region and a calculated health check over per-server /healthz checks;
 * one A record per cluster; the monitoring port opened to Route53's health checkers only; the
 * outputs; and nothing DNS-related without `dns`.
 */
import { strict as assert } from "assert";
import { SuperCluster } from "../../../components/supercluster";
import { AwsTarget } from "../../../components/aws";
import { GcpTarget } from "../../../components/gcp";
import { healthCheckPrefixList } from "../../../components/aws/dns";
import { TopologyError } from "../../../components/topology/errors";
import type { Target } from "../../../components/target";
import { asPolicyResources, packViolations } from "../../policies/harness";
import { CloudMocks, installCloudMocks, mockPrefixListId, mockPublicIp, MOCK_HOSTED_ZONE, named, ofType, providerName, resolve, settle } from "../common/cloud-mocks";

const ALLOWED = "192.0.2.0/24";
const RECORD = "aws:route53/record:Record";
const CHECK = "aws:route53/healthCheck:HealthCheck";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

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

describe("aws dns: options, no dns, mixed clouds, bad input", function () {
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

  it("with GCP clusters too: Route53 holds the zone and names the GCP cluster; Cloud DNS gets nothing", async () => {
    const m = await installCloudMocks("aws-dns-mixed");
    const topo = {
      name: "x",
      clusters: [
        { name: "use1", target: "aws", region: "us-east-1", servers: 2 },
        { name: "ew1", target: "gcp", region: "europe-west1", servers: 2 },
      ],
      gateways: "full-mesh",
      dns: { zone: "example.com", name: "nats.example.com" },
    };
    const sc = new SuperCluster("x", { topology: topo, targets: { aws: new AwsTarget(), gcp: new GcpTarget() } });
    await resolve(sc.clientUrls);
    await settle(m.registered);
    const records = ofType(m, RECORD);
    assert.deepEqual(sorted(records.map((r) => r.name)), ["x-dns-cluster-ew1", "x-dns-cluster-use1", "x-dns-us-east-1"]);
    const gcpIps = ["ew1-0", "ew1-1"].map((s) => mockPublicIp(`x-ew1-${s}-external`)).sort();
    assert.deepEqual(sorted(named(m, "x-dns-cluster-ew1").inputs.records), gcpIps);
    assert.equal(named(m, "x-dns-cluster-ew1").inputs.ttl, 60, "default TTL");
    assert.deepEqual(sorted(named(m, "x-dns-us-east-1").inputs.records), ["use1-0", "use1-1"].map((s) => mockPublicIp(`x-use1-${s}-eip`)).sort(), "the client name answers with AWS only");
    assert.deepEqual(m.registered.filter((r) => r.type.startsWith("gcp:dns") || r.name.includes("dns-healthcheck")).map((r) => r.name), []);
    assert.equal(ofType(m, CHECK).filter((c) => c.inputs.type === "HTTP").length, 2, "health checks for the routed AWS servers only");
    assert.deepEqual(await resolve(sc.dnsClusterUrls!), { use1: "nats://use1.nats.example.com:4222", ew1: "nats://ew1.nats.example.com:4222" });
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
