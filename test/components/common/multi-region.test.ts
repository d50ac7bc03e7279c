/**
 * stacks/Pulumi.multi-region.yaml through the real program (default target registry: AWS,
 * GCP and Kubernetes) under mocks, and growth: the same program run again with one more
 * cluster and one more server must leave every input that replaces or reboots an existing
 * server as it was, while the grown configs reach old servers through their channels. Both
 * this stack and evolution step 4 put their GCP europe-west1 cluster in the client name's
 * eu-west-3 latency record, so European clients reach it.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { program, ProgramOutputs } from "../../../components/program";
import { validateTopology } from "../../../components/topology/validate";
import { asPolicyResources, packViolations } from "../../policies/harness";
import { parseConfigText } from "../../../broker/config/parser";
import { optionsFromConfig } from "../../../broker/config/options";
import { removeDir, tempDir } from "../helpers";
import { CloudMocks, installCloudMocks, mockPrivateIp, mockPublicIp, MOCK_ROUTE53_CHECKERS, ofType, plain, Registered, resolve, settle } from "./cloud-mocks";

const STACK = path.join(__dirname, "../../../stacks/Pulumi.multi-region.yaml");
const SUPERCLUSTER_STEP = path.join(__dirname, "../../../stacks/Pulumi.evolution-4-supercluster.yaml");

function stackConfig(file = STACK): Record<string, unknown> {
  return YAML.parse(fs.readFileSync(file, "utf8")).config;
}

/** Run the program with `topology` as natsfleet:topology and the stack's other keys. */
async function run(topology: unknown, file = STACK): Promise<CloudMocks & { outputs: ProgramOutputs }> {
  const cfg = stackConfig(file);
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...cfg, "natsfleet:topology": topology })) flat[k] = typeof v === "string" ? v : JSON.stringify(v);
  const m = await installCloudMocks(path.basename(file, ".yaml").replace(/^Pulumi\./, ""), flat);
  const outputs = program();
  await resolve(outputs.clientUrls);
  await resolve(outputs.leafnodeUrls);
  await settle(m.registered);
  return { ...m, outputs };
}

/**
 * What must not change for a server that already exists, per resource type: the inputs that
 * replace it or restart it. `undefined`: every input.
 */
const FROZEN: Record<string, (inputs: Record<string, any>) => unknown> = {
  "aws:ec2/instance:Instance": (i) => i,
  "aws:ec2/networkInterface:NetworkInterface": (i) => i,
  "aws:ec2/eip:Eip": (i) => i,
  "aws:iam/instanceProfile:InstanceProfile": (i) => i,
  "gcp:compute/address:Address": (i) => i,
  // configs live in Secret Manager: the instance, metadata included, stays as it was
  "gcp:compute/instance:Instance": (i) => i,
  "tls:index/certRequest:CertRequest": (i) => ({ ...i, privateKeyPem: plain(i.privateKeyPem) }),
  "tls:index/privateKey:PrivateKey": (i) => i,
  "kubernetes:apps/v1:StatefulSet": (i) => i,
};

const byName = (rs: Registered[]) => new Map(rs.map((r) => [`${r.type} ${r.name}`, r]));

describe("multi-region stack", function () {
  this.timeout(120000);

  it("declares AWS us-east-1 and eu-west-1, GCP europe-west1 and Kubernetes leaf nodes", () => {
    const model = validateTopology(stackConfig()["natsfleet:topology"]);
    assert.deepEqual(
      model.clusters.map((c) => [c.name, c.target.kind, c.region, c.servers.length]),
      [["use1", "aws", "us-east-1", 3], ["euw1", "aws", "eu-west-1", 3], ["ew1-gcp", "gcp", "europe-west1", 3]],
    );
    assert.deepEqual(model.leafnodes.map((l) => [l.name, l.target.kind, l.hub, l.servers.length]), [["edge", "kubernetes", "use1", 2]]);
    assert.equal(model.gateways.enabled, true);
    assert.ok(model.gateways.secret, "gateway auth");
    assert.deepEqual([model.clusters[0]!.tls.gateway, model.clusters[0]!.tls.leafnode], [true, true]);
    assert.deepEqual(model.dns, {
      zone: "example.com",
      name: "nats.example.com",
      ttl: 60,
      clusterNames: { use1: "use1.nats.example.com", euw1: "euw1.nats.example.com", "ew1-gcp": "ew1-gcp.nats.example.com" },
    });
  });

  describe("growth: one more cluster and one more server", () => {
    let first: CloudMocks & { outputs: ProgramOutputs };
    let grown: CloudMocks & { outputs: ProgramOutputs };
    let tlsDir: string;

    after(() => removeDir(tlsDir));

    before(async () => {
      tlsDir = tempDir("mr-tls");
      for (const f of ["cert.pem", "key.pem", "ca.pem"]) fs.writeFileSync(path.join(tlsDir, f), "stand-in\n");
      const topology = stackConfig()["natsfleet:topology"] as any;
      first = await run(topology);
      const bigger = JSON.parse(JSON.stringify(topology));
      bigger.clusters[0].servers = 4;
      bigger.clusters.push({ name: "apse2", target: "aws", region: "ap-southeast-2", servers: 2, routeAuth: true });
      grown = await run(bigger);
    });

    it("deploys every group of the stack on its platform", () => {
      const count = (m: CloudMocks, t: string) => ofType(m, t).length;
      assert.equal(count(first, "aws:ec2/instance:Instance"), 6);
      assert.equal(count(first, "gcp:compute/instance:Instance"), 3);
      assert.equal(count(first, "kubernetes:apps/v1:StatefulSet"), 1);
      assert.deepEqual(ofType(first, "pulumi:providers:aws").map((p) => p.inputs.region).sort(), ["eu-west-1", "us-east-1"]);
      assert.equal(count(grown, "aws:ec2/instance:Instance"), 9);
      assert.deepEqual(ofType(grown, "pulumi:providers:aws").map((p) => p.inputs.region).sort(), ["ap-southeast-2", "eu-west-1", "us-east-1"]);
    });

    it("changes no input that would replace or reboot an existing server", () => {
      const old = byName(first.registered);
      const now = byName(grown.registered);
      let compared = 0;
      for (const [key, r] of old) {
        const frozen = FROZEN[r.type];
        if (!frozen) continue;
        const next = now.get(key);
        assert.ok(next, `${key} is gone after growth`);
        assert.deepEqual(frozen(next.inputs), frozen(r.inputs), `${key} changed`);
        assert.equal(next.provider, r.provider, `${key} moved provider`);
        compared++;
      }
      assert.ok(compared >= 6 + 3 + 6 + 6 + 1, `compared ${compared} server resources`);
      // nothing that existed disappears
      for (const key of old.keys()) assert.ok(now.has(key), `${key} removed by growth`);
    });

    it("renders gateways across clouds from the advertised addresses and routes from private ones", () => {
      const aws = (g: string, srv: string) => ({ host: mockPrivateIp(`multi-region-${g}-${srv}-eni`), advertise: mockPublicIp(`multi-region-${g}-${srv}-eip`) });
      const gcp = (g: string, srv: string) => ({ host: mockPrivateIp(`multi-region-${g}-${srv}-internal`), advertise: mockPublicIp(`multi-region-${g}-${srv}-external`) });
      const clusters: Record<string, { servers: string[]; addr: (g: string, s: string) => { host: string; advertise: string }; config: (s: string) => string }> = {};
      const s3 = (g: string) => (srv: string) => plain<string>(ofType(first, "aws:s3/bucketObjectv2:BucketObjectv2").find((r) => r.name === `multi-region-${g}-${srv}-config`)!.inputs.content);
      const sm = (g: string) => (srv: string) => plain<string>(ofType(first, "gcp:secretmanager/secretVersion:SecretVersion").find((r) => r.name === `multi-region-${g}-${srv}-nats-conf`)!.inputs.secretData);
      for (const g of ["use1", "euw1"]) clusters[g] = { servers: [0, 1, 2].map((i) => `${g}-${i}`), addr: aws, config: s3(g) };
      clusters["ew1-gcp"] = { servers: [0, 1, 2].map((i) => `ew1-gcp-${i}`), addr: gcp, config: sm("ew1-gcp") };
      for (const [g, c] of Object.entries(clusters)) {
        for (const srv of c.servers) {
          const text = c.config(srv);
          const o = optionsFromConfig(parseConfigText(text.split("/etc/natsfleet/tls/").join(`${tlsDir}/`), `${srv}.conf`), {}).options;
          assert.deepEqual(o.cluster!.routes.map((u) => new URL(u).hostname), c.servers.filter((x) => x !== srv).map((x) => c.addr(g, x).host), `${srv} routes`);
          assert.equal(o.gateway!.advertise, `${c.addr(g, srv).advertise}:7222`);
          assert.deepEqual(
            o.gateway!.gateways.map((gw) => [gw.name, gw.urls.map((u) => new URL(u).hostname)]),
            Object.entries(clusters).filter(([n]) => n !== g).map(([n, other]) => [n, other.servers.map((x) => other.addr(n, x).advertise)]),
            `${srv} gateways`,
          );
          assert.ok(o.gateway!.tls?.verify, `${srv} verifies gateway peers`);
        }
      }
    });

    it("routes nats.example.com on Route53 to the closest healthy cluster, the GCP one in eu-west-3, and names every cluster", async () => {
      const eip = (g: string, s: string) => mockPublicIp(`multi-region-${g}-${s}-eip`);
      const external = (g: string, s: string) => mockPublicIp(`multi-region-${g}-${s}-external`);
      const ips = (g: string, n: number, ip: (g: string, s: string) => string) => Array.from({ length: n }, (_, i) => ip(g, `${g}-${i}`)).sort();
      const records = (m: CloudMocks) =>
        Object.fromEntries(
          ofType(m, "aws:route53/record:Record").map((r) => [r.name, [r.inputs.name, r.inputs.setIdentifier, r.inputs.latencyRoutingPolicies?.[0]?.region, [...r.inputs.records].sort()]]),
        );
      assert.deepEqual(records(first), {
        "multi-region-dns-us-east-1": ["nats.example.com", "us-east-1", "us-east-1", ips("use1", 3, eip)],
        "multi-region-dns-eu-west-1": ["nats.example.com", "eu-west-1", "eu-west-1", ips("euw1", 3, eip)],
        // europe-west1 (Belgium) answers in the nearest AWS region: European clients reach it
        "multi-region-dns-eu-west-3": ["nats.example.com", "eu-west-3", "eu-west-3", ips("ew1-gcp", 3, external)],
        "multi-region-dns-cluster-use1": ["use1.nats.example.com", undefined, undefined, ips("use1", 3, eip)],
        "multi-region-dns-cluster-euw1": ["euw1.nats.example.com", undefined, undefined, ips("euw1", 3, eip)],
        "multi-region-dns-cluster-ew1-gcp": ["ew1-gcp.nats.example.com", undefined, undefined, ips("ew1-gcp", 3, external)],
      });
      const checks = (m: CloudMocks) => new Map(ofType(m, "aws:route53/healthCheck:HealthCheck").filter((c) => c.inputs.type === "HTTP").map((c) => [c.name, c.inputs]));
      const before = checks(first);
      assert.equal(before.size, 9, "a /healthz check per cluster server, GCP's too");
      assert.deepEqual(
        ["ew1-gcp-0", "ew1-gcp-1", "ew1-gcp-2"].map((s) => [before.get(`multi-region-dns-hc-server-${s}`)?.ipAddress, before.get(`multi-region-dns-hc-server-${s}`)?.port]),
        ["ew1-gcp-0", "ew1-gcp-1", "ew1-gcp-2"].map((s) => [external("ew1-gcp", s), 8222]),
      );
      assert.equal(ofType(first, "aws:route53/healthCheck:HealthCheck").length, 9 + 3, "and a calculated one per latency region");
      // the GCP servers' monitoring port: Route53's published checker ranges only
      const gcpMonitoring = ofType(first, "gcp:compute/firewall:Firewall").filter((r) => r.inputs.allows.some((a: any) => a.ports.includes("8222")));
      assert.deepEqual(gcpMonitoring.map((r) => [r.name, r.inputs.sourceRanges]), [["multi-region-ew1-gcp-fw-dns-healthcheck", MOCK_ROUTE53_CHECKERS.cidrBlocks]]);
      assert.deepEqual(ofType(first, "gcp:dns/recordSet:RecordSet"), [], "one zone, one provider: Cloud DNS gets nothing");
      assert.equal(await resolve(first.outputs.dnsUrl!), "nats://nats.example.com:4222");
      assert.deepEqual(await resolve(first.outputs.dnsClusterUrls!), {
        use1: "nats://use1.nats.example.com:4222",
        euw1: "nats://euw1.nats.example.com:4222",
        "ew1-gcp": "nats://ew1-gcp.nats.example.com:4222",
      });
      // growth: the new region answers too; existing servers' checks and records stay as they were
      const grownRecords = records(grown);
      assert.deepEqual(grownRecords["multi-region-dns-ap-southeast-2"], ["nats.example.com", "ap-southeast-2", "ap-southeast-2", ips("apse2", 2, eip)]);
      assert.deepEqual(grownRecords["multi-region-dns-us-east-1"]![3], ips("use1", 4, eip));
      assert.deepEqual(grownRecords["multi-region-dns-eu-west-3"], records(first)["multi-region-dns-eu-west-3"]);
      const after = checks(grown);
      for (const [name, inputs] of before) assert.deepEqual(after.get(name), inputs, `${name} changed`);
      assert.equal(after.size, before.size + 3);
    });

    it("passes the policy pack", async () => {
      assert.deepEqual(await packViolations(asPolicyResources(first.registered, "multi-region")), {});
      assert.deepEqual(await packViolations(asPolicyResources(grown.registered, "multi-region")), {});
    });

    it("carries the grown configs to old servers through their channels", () => {
      const s3 = (m: CloudMocks, name: string) => plain<string>(ofType(m, "aws:s3/bucketObjectv2:BucketObjectv2").find((r) => r.name === name)!.inputs.content);
      const oldUse1 = s3(first, "multi-region-use1-use1-0-config");
      const newUse1 = s3(grown, "multi-region-use1-use1-0-config");
      assert.notEqual(newUse1, oldUse1);
      assert.match(newUse1, /name: "?apse2/);
      const gcpMd = (m: CloudMocks) => plain<string>(ofType(m, "gcp:secretmanager/secretVersion:SecretVersion").find((r) => r.name === "multi-region-ew1-gcp-ew1-gcp-0-nats-conf")!.inputs.secretData);
      assert.doesNotMatch(gcpMd(first), /apse2/);
      assert.match(gcpMd(grown), /apse2/);
    });
  });

  it("evolution step 4: nats.acme.example.com sends European clients to the GCP cluster in europe-west1", async () => {
    const m = await run(stackConfig(SUPERCLUSTER_STEP)["natsfleet:topology"], SUPERCLUSTER_STEP);
    const latency = Object.fromEntries(
      ofType(m, "aws:route53/record:Record")
        .filter((r) => r.inputs.latencyRoutingPolicies)
        .map((r) => [r.inputs.setIdentifier, [...r.inputs.records].sort()]),
    );
    const ips = (g: string, kind: "eip" | "external") => [0, 1, 2].map((i) => mockPublicIp(`acme-${g}-${g}-${i}-${kind}`)).sort();
    assert.deepEqual(latency, { "us-east-1": ips("core", "eip"), "eu-west-3": ips("eu", "external"), "ap-southeast-1": ips("ap", "eip") });
    assert.equal(await resolve(m.outputs.dnsUrl!), "nats://nats.acme.example.com:4222");
    assert.deepEqual(await packViolations(asPolicyResources(m.registered, "evolution-4-supercluster")), {});
  });
});
