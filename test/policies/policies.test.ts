/**
 * Every policy of the pack, each with a compliant and a violating case built from the
 * resources of a real program run under mocks (SuperCluster with the local target, or with a
 * stand-in cloud target registering the AWS/GCP/Kubernetes type tokens), and the example
 * stacks passing the whole pack.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { SuperCluster, createSuperCluster } from "../../components/supercluster";
import { LocalTarget } from "../../components/local/target";
import { program } from "../../components/program";
import { readDeclaration } from "../../components/topology/load";
import { validateTopology } from "../../components/topology/validate";
import type { TargetRegistry } from "../../components/target";
import { TOPOLOGY_RESOURCE_TYPE } from "../../components/topology-resource";
import { asPolicyResources, packViolations, runProgram, violations } from "./harness";
import { FakeCloudTarget, RawResource } from "./fake-target";
import {
  allowedMachineTypes,
  clusterSize,
  gatewaysReachable,
  leafHubsExist,
  noOpenClusterPorts,
  noPlaintextPasswords,
  oneBrokerVersion,
  tlsAcrossInternet,
  uniqueNames,
} from "../../policies/policies";
import { plainPasswordIn } from "../../policies/rules/passwords";
import { brokerImage } from "../../policies/rules/versions";

const ROOT = path.resolve(__dirname, "../..");
const sorted = (a: string[]) => [...a].sort();
const stateDir = path.join(os.tmpdir(), "natsfleet-policy-state");
const local = { stateDir };

/** Resources of one SuperCluster built from `topology` (local target unless `targets` given). */
async function superCluster(topology: unknown, targets?: TargetRegistry, name = "sc") {
  const reg = await runProgram("policies", () => {
    new SuperCluster(name, { topology, ...(targets ? { targets } : { local }) });
  });
  return asPolicyResources(reg);
}

const aws = (region: string, servers = 3, extra: Record<string, unknown> = {}) => ({ target: "aws", region, servers, ...extra });
const CERTS = { enabled: true, certFile: "/etc/nats/tls/server.crt", keyFile: "/etc/nats/tls/server.key", caFile: "/etc/nats/tls/ca.crt" };

describe("policy pack", function () {
  this.timeout(30000);

  describe("the example stacks pass every policy", () => {
    // every stack this build can deploy (local targets); dev and local-super at least
    const stacks = fs
      .readdirSync(path.join(ROOT, "stacks"))
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => !!s)
      .filter((s) => {
        const d = readDeclaration(path.join(ROOT, "stacks", `Pulumi.${s}.yaml`)).declaration as { clusters?: Array<{ target?: string }>; leafnodes?: Array<{ target?: string }> };
        return [...(d.clusters ?? []), ...(d.leafnodes ?? [])].every((g) => g.target === "local");
      });
    it("covers dev and local-super", () => assert.ok(stacks.includes("dev") && stacks.includes("local-super"), stacks.join(", ")));
    for (const stack of stacks) {
      it(`stacks/Pulumi.${stack}.yaml`, async () => {
        const decl = readDeclaration(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`)).declaration;
        const reg = await runProgram(stack, () => program(), { "natsfleet:topology": JSON.stringify(decl), "natsfleet:stateDir": stateDir });
        const resources = asPolicyResources(reg, stack);
        // the policies really looked at a topology record
        assert.equal(resources.filter((r) => r.type === TOPOLOGY_RESOURCE_TYPE).length, 1);
        assert.deepEqual(await packViolations(resources), {});
      });
    }
  });

  describe("natsfleet-cluster-size", () => {
    const topo = (servers: number, production?: boolean) => ({ name: "p", clusters: [{ name: "core", target: "local", servers, ...(production !== undefined ? { production } : {}) }] });

    it("a production cluster of 3 or 5 complies; a non-production cluster of 2 is not judged", async () => {
      assert.deepEqual(await violations(clusterSize, await superCluster(topo(3, true))), []);
      assert.deepEqual(await violations(clusterSize, await superCluster(topo(5, true))), []);
      assert.deepEqual(await violations(clusterSize, await superCluster(topo(2))), []);
    });

    it("a production cluster of 2 is too small, of 4 is even", async () => {
      assert.deepEqual(await violations(clusterSize, await superCluster(topo(2, true))), [
        "topology p: production cluster core has 2 server(s); it needs at least 3 to survive a server failure",
      ]);
      const [even] = await violations(clusterSize, await superCluster(topo(4, true)));
      assert.match(even!, /production cluster core has 4 servers, an even number: 4 tolerates no more failures than 3; use 3 or 5/);
    });

    it("is configurable: applyTo all, minSize 5", async () => {
      assert.equal((await violations(clusterSize, await superCluster(topo(2)), { applyTo: "all" })).length, 1);
      assert.match((await violations(clusterSize, await superCluster(topo(3, true)), { minSize: 5 }))[0]!, /needs at least 5/);
    });
  });

  describe("natsfleet-unique-names", () => {
    const topology = (name: string, cluster: string) => ({ name, clusters: [{ name: cluster, target: "local", servers: 1, ports: { client: name === "a" ? 4301 : 4302, http: name === "a" ? 8301 : 8302 } }] });

    it("two super-clusters with distinct names comply", async () => {
      const reg = await runProgram("names", () => {
        new SuperCluster("a", { topology: topology("a", "east"), local });
        new SuperCluster("b", { topology: topology("b", "west"), local });
      });
      assert.deepEqual(await violations(uniqueNames, asPolicyResources(reg)), []);
    });

    it("two super-clusters in one stack reusing a cluster (and so server) name violate", async () => {
      const reg = await runProgram("names", () => {
        new SuperCluster("a", { topology: topology("a", "east"), local });
        new SuperCluster("b", { topology: topology("b", "east"), local });
      });
      assert.deepEqual(await violations(uniqueNames, asPolicyResources(reg)), sorted([
        "server name east-0 is used 2 times: in cluster east of topology a; cluster east of topology b",
        "cluster/leaf node name east is used 2 times: in topology a; topology b",
        "local servers a-east-east-0, b-east-east-0 share the files " + `${stateDir}/east-0.*: give them different names or state folders`,
      ]));
    });
  });

  describe("natsfleet-tls-across-internet", () => {
    const twoRegions = (tls?: object) => ({ name: "g", clusters: [{ name: "use1", ...aws("us-east-1"), ...(tls ? { tls } : {}) }, { name: "euw1", ...aws("eu-west-1"), ...(tls ? { tls } : {}) }] });
    const targets = () => ({ aws: new FakeCloudTarget("aws", { advertise: (s) => `203.0.113.${s.length}` }) });

    it("gateways between regions with TLS comply; local-only links need none", async () => {
      assert.deepEqual(await violations(tlsAcrossInternet, await superCluster(twoRegions(CERTS), targets())), []);
      const decl = readDeclaration(path.join(ROOT, "stacks", "Pulumi.local-super.yaml")).declaration;
      assert.deepEqual(await violations(tlsAcrossInternet, await superCluster(decl)), []);
    });

    it("gateways between regions without TLS violate, once per cluster", async () => {
      assert.deepEqual(await violations(tlsAcrossInternet, await superCluster(twoRegions(), targets())), sorted([
        "topology g: cluster use1 (aws) has gateways to euw1 across the internet without TLS; set tls.enabled (with gateway in tls.listeners) on use1",
        "topology g: cluster euw1 (aws) has gateways to use1 across the internet without TLS; set tls.enabled (with gateway in tls.listeners) on euw1",
      ]));
    });

    it("two clusters in one region: TLS required by default, not with sameRegionIsPrivate", async () => {
      const oneRegion = { name: "r", clusters: [{ name: "a", ...aws("us-east-1") }, { name: "b", ...aws("us-east-1") }] };
      const resources = await superCluster(oneRegion, targets());
      assert.equal((await violations(tlsAcrossInternet, resources)).length, 2);
      assert.deepEqual(await violations(tlsAcrossInternet, resources, { sameRegionIsPrivate: true }), []);
    });

    it("a local leaf node on a cloud hub without leafnode TLS violates; with it, complies", async () => {
      const topology = (tls?: object) => ({
        name: "edge",
        clusters: [{ name: "hub", ...aws("us-east-1"), ...(tls ? { tls } : {}) }],
        leafnodes: [{ name: "shop", target: "local", hub: "hub" }],
      });
      const t = () => ({ aws: new FakeCloudTarget("aws", { advertise: () => "203.0.113.7" }), local: new LocalTarget(local) });
      assert.deepEqual(await violations(tlsAcrossInternet, await superCluster(topology(), t())), [
        "topology edge: leaf node shop (local) connects to hub hub (aws) across the internet without TLS; turn TLS on for hub's leafnode listener",
      ]);
      assert.deepEqual(await violations(tlsAcrossInternet, await superCluster(topology(CERTS), t())), []);
    });
  });

  describe("natsfleet-no-plaintext-passwords", () => {
    const topology = (password?: string) => ({ name: "pw", accounts: { APP: { users: [{ user: "app", ...(password ? { password } : {}) }] } }, clusters: [{ name: "c", target: "local" }] });

    it("generated and bcrypt passwords comply", async () => {
      assert.deepEqual(await violations(noPlaintextPasswords, await superCluster(topology())), []);
      assert.deepEqual(await violations(noPlaintextPasswords, await superCluster(topology("$2a$11$3kIDaCxw.Glsl1.u5nKa6eUnNDLV5HV9tIuUp7EHhMt6Nm9myW1aS"))), []);
    });

    it("a plain password in the topology violates", async () => {
      assert.deepEqual(await violations(noPlaintextPasswords, await superCluster(topology("hunter2"))), [
        "topology pw: user app of account APP has a plain-text password in the stack config; declare a bcrypt hash ($2a$...) or leave it out to have one generated as a secret",
      ]);
    });

    it("a NATS config with a plain password in a ConfigMap or EC2 user data violates; a bcrypt one does not", async () => {
      const reg = await runProgram("cm", () => {
        new RawResource("kubernetes:core/v1:ConfigMap", "plain", { data: { "nats.conf": 'authorization {\n  user: "a"\n  password: "s3cret"\n}\n' } });
        new RawResource("kubernetes:core/v1:ConfigMap", "hashed", { data: { "nats.conf": 'authorization { user: a, password: "$2a$11$abcdefghijklmnopqrstuv" }' } });
        new RawResource("aws:ec2/instance:Instance", "vm", { instanceType: "t3.small", userData: Buffer.from("#!/bin/sh\necho 'password: abc' > /etc/nats.conf\n").toString("base64") });
        new RawResource("aws:ssm/parameter:Parameter", "secure", { type: "SecureString", value: "password: abc" });
        new RawResource("kubernetes:core/v1:ConfigMap", "scripts", { data: { "reload.sh": 'echo "password: x" >/dev/null' } });
      });
      assert.deepEqual(await violations(noPlaintextPasswords, asPolicyResources(reg)), sorted([
        "kubernetes:core/v1:ConfigMap plain: data.nats.conf holds a plain-text password readable by anyone who can read the resource; keep configs with passwords in a Secret / SecureString",
        "aws:ec2/instance:Instance vm: userData holds a plain-text password readable by anyone who can read the resource; keep configs with passwords in a Secret / SecureString",
      ]));
      assert.equal(plainPasswordIn("password = $PASS"), false);
      assert.equal(plainPasswordIn("const c = { user: u.user, password: u.password };"), false);
      assert.equal(plainPasswordIn("password: s3cret"), true);
    });
  });

  describe("natsfleet-no-open-cluster-ports", () => {
    it("rules that open routes, gateways or monitoring to 0.0.0.0/0 violate, on every platform", async () => {
      const reg = await runProgram("fw", () => {
        new RawResource("aws:ec2/securityGroup:SecurityGroup", "sg", {
          ingress: [
            { protocol: "tcp", fromPort: 4222, toPort: 4222, cidrBlocks: ["0.0.0.0/0"] },
            { protocol: "tcp", fromPort: 6222, toPort: 6222, cidrBlocks: ["0.0.0.0/0"] },
          ],
        });
        new RawResource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "gw6", { ipProtocol: "tcp", fromPort: 7222, toPort: 7222, cidrIpv6: "::/0" });
        new RawResource("aws:ec2/securityGroupRule:SecurityGroupRule", "all", { type: "ingress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] });
        new RawResource("gcp:compute/firewall:Firewall", "fw", { network: "default", sourceRanges: ["0.0.0.0/0"], allows: [{ protocol: "tcp", ports: ["7000-8000"] }] });
        new RawResource("kubernetes:core/v1:Service", "mon", { spec: { type: "LoadBalancer", ports: [{ port: 8222 }] } });
        new RawResource("kubernetes:networking.k8s.io/v1:NetworkPolicy", "np", { spec: { ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 6222 }] }] } });
      });
      assert.deepEqual(await violations(noOpenClusterPorts, asPolicyResources(reg)), sorted([
        "aws:ec2/securityGroup:SecurityGroup sg: opens 6222 (route) to 0.0.0.0/0; allow only the peers' addresses",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule gw6: opens 7222 (gateway) to ::/0; allow only the peers' addresses",
        "aws:ec2/securityGroupRule:SecurityGroupRule all: opens 6222 (route), 7222 (gateway), 8222 (monitoring) to 0.0.0.0/0; allow only the peers' addresses",
        "gcp:compute/firewall:Firewall fw: opens 7222 (gateway) to 0.0.0.0/0; allow only the peers' addresses",
        "kubernetes:core/v1:Service mon: opens 8222 (monitoring) to a LoadBalancer Service with no loadBalancerSourceRanges; allow only the peers' addresses",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy np: opens 6222 (route) to 0.0.0.0/0; allow only the peers' addresses",
      ]));
    });

    it("client/leaf ports open to the world and cluster ports open to peers comply", async () => {
      const reg = await runProgram("fw", () => {
        new RawResource("aws:ec2/securityGroup:SecurityGroup", "sg", {
          ingress: [
            { protocol: "tcp", fromPort: 4222, toPort: 4222, cidrBlocks: ["0.0.0.0/0"] },
            { protocol: "tcp", fromPort: 7422, toPort: 7422, cidrBlocks: ["0.0.0.0/0"] },
            { protocol: "tcp", fromPort: 6222, toPort: 7222, cidrBlocks: ["10.0.0.0/16"] },
          ],
        });
        new RawResource("gcp:compute/firewall:Firewall", "fw", { sourceRanges: ["0.0.0.0/0"], allows: [{ protocol: "tcp", ports: ["4222"] }] });
        new RawResource("kubernetes:core/v1:Service", "gw", { spec: { type: "LoadBalancer", loadBalancerSourceRanges: ["198.51.100.0/24"], ports: [{ port: 7222 }] } });
      });
      assert.deepEqual(await violations(noOpenClusterPorts, asPolicyResources(reg)), []);
    });

    it("a topology's own route/gateway/monitoring ports count too (local-super's 15001)", async () => {
      const decl = readDeclaration(path.join(ROOT, "stacks", "Pulumi.local-super.yaml")).declaration;
      const reg = await runProgram("fw", () => {
        new SuperCluster("ls", { topology: decl, local });
        new RawResource("aws:ec2/securityGroupRule:SecurityGroupRule", "r", { type: "ingress", protocol: "tcp", fromPort: 15001, toPort: 15001, cidrBlocks: ["0.0.0.0/0"] });
      });
      assert.deepEqual(await violations(noOpenClusterPorts, asPolicyResources(reg)), [
        "aws:ec2/securityGroupRule:SecurityGroupRule r: opens 15001 (route) to 0.0.0.0/0; allow only the peers' addresses",
      ]);
    });
  });

  describe("natsfleet-one-broker-version", () => {
    const mixed = { name: "mix", clusters: [{ name: "a", target: "local", broker: "natsfleet" }, { name: "b", target: "local", broker: "nats-server" }] };

    it("one broker complies; a mix violates unless inside the declared window", async () => {
      const same = await superCluster({ ...mixed, clusters: mixed.clusters.map((c) => ({ ...c, broker: "nats-server" })) });
      assert.deepEqual(await violations(oneBrokerVersion, same), []);
      const resources = await superCluster(mixed);
      assert.deepEqual(await violations(oneBrokerVersion, resources), [
        "topology mix mixes brokers (natsfleet: a; nats-server: b); run one broker, or declare mixedVersionsUntil for an upgrade",
      ]);
      assert.deepEqual(await violations(oneBrokerVersion, resources, { mixedVersionsUntil: "2026-12-01T00:00:00Z", now: "2026-11-24T00:00:00Z" }), []);
      assert.match((await violations(oneBrokerVersion, resources, { mixedVersionsUntil: "2026-11-01T00:00:00Z", now: "2026-11-24T00:00:00Z" }))[0]!, /\(the mixed-version window ended 2026-11-01T00:00:00Z\)/);
    });

    it("Kubernetes workloads with different nats image tags violate", async () => {
      const topology = { name: "k", clusters: [{ name: "a", target: "kubernetes", region: "r1" }, { name: "b", target: "kubernetes", region: "r2" }], tls: CERTS };
      const tags: Record<string, string> = { a: "nats:2.10.7", b: "nats:2.9.25-alpine" };
      const resources = await superCluster(topology, { kubernetes: new FakeCloudTarget("kubernetes", { advertise: () => "203.0.113.9", image: (g) => tags[g.name]! }) });
      assert.deepEqual(await violations(oneBrokerVersion, resources), [
        "the stack runs several broker versions: nats-server 2.10.7 (sc-a-sts); nats-server 2.9.25-alpine (sc-b-sts); upgrade them together or declare mixedVersionsUntil",
      ]);
      tags.b = "nats:2.10.7";
      assert.deepEqual(await violations(oneBrokerVersion, await superCluster(topology, { kubernetes: new FakeCloudTarget("kubernetes", { advertise: () => "203.0.113.9", image: (g) => tags[g.name]! }) })), []);
      assert.deepEqual(brokerImage("registry.example.com:5000/natsfleet:0.1.0"), { broker: "natsfleet", version: "0.1.0" });
    });
  });

  describe("natsfleet-allowed-machine-types", () => {
    const topology = (instanceType: string) => ({ name: "m", clusters: [{ name: "c", ...aws("us-east-1", 3, { aws: { instanceType } }) }] });
    const targets = () => ({ aws: new FakeCloudTarget("aws", { advertise: () => "203.0.113.1" }) });

    it("an allowed type complies", async () => {
      assert.deepEqual(await violations(allowedMachineTypes, await superCluster(topology("t3.medium"), targets())), []);
    });

    it("another type violates, in the topology and on each instance; the list is configurable", async () => {
      const resources = await superCluster(topology("x1e.32xlarge"), targets());
      const v = await violations(allowedMachineTypes, resources);
      assert.equal(v.length, 4);
      assert.ok(v.some((m) => /^topology m: cluster c uses aws type x1e\.32xlarge, not in the allowed list/.test(m)), v.join("\n"));
      assert.deepEqual(
        v.filter((m) => m.startsWith("aws:")).map((m) => m.split(" is not")[0]),
        [0, 1, 2].map((i) => `aws:ec2/instance:Instance sc-c-c-${i}: instanceType x1e.32xlarge`),
      );
      assert.deepEqual(await violations(allowedMachineTypes, resources, { allowed: ["x1e.32xlarge"] }), []);
    });
  });

  describe("natsfleet-leaf-hubs-exist", () => {
    const decl = () => readDeclaration(path.join(ROOT, "stacks", "Pulumi.local-super.yaml")).declaration;

    it("leaf nodes whose hubs are clusters with servers comply", async () => {
      assert.deepEqual(await violations(leafHubsExist, await superCluster(decl())), []);
    });

    it("a leaf node whose hub cluster is not deployed violates", async () => {
      // a model edited after validation (what a buggy transform or hand-built model would hand over)
      const model = validateTopology(decl());
      const tampered = { ...model, clusters: model.clusters.filter((c) => c.name !== "west") };
      const reg = await runProgram("hubs", () => {
        class Holder extends pulumi.ComponentResource {
          constructor() {
            super("natsfleet:index:SuperCluster", "t", {});
            createSuperCluster("t", this, tampered, { local: new LocalTarget(local) });
          }
        }
        new Holder();
      });
      assert.deepEqual(await violations(leafHubsExist, asPolicyResources(reg)), ["topology local-super: leaf node factory-2's hub west is not a cluster of the topology (clusters: east, lab)"]);
    });
  });

  describe("natsfleet-gateways-reachable", () => {
    const topology = { name: "gw", clusters: [{ name: "use1", ...aws("us-east-1") }, { name: "euw1", ...aws("eu-west-1") }], tls: CERTS };

    it("public advertise addresses comply; private ones comply when allowed", async () => {
      let n = 0;
      assert.deepEqual(await violations(gatewaysReachable, await superCluster(topology, { aws: new FakeCloudTarget("aws", { advertise: () => `203.0.113.${++n}` }) })), []);
      const priv = await superCluster(topology, { aws: new FakeCloudTarget("aws", { advertise: (s) => `10.1.0.${s.length}` }) });
      assert.deepEqual(await violations(gatewaysReachable, priv, { allowPrivate: true }), []);
    });

    it("no advertise, or a private one between regions, violates", async () => {
      const none = await violations(gatewaysReachable, await superCluster(topology, { aws: new FakeCloudTarget("aws") }));
      assert.equal(none.length, 6);
      assert.match(none.find((m) => m.includes("use1-0"))!, /^topology gw: gateway of use1-0 \(cluster use1, aws\) has no advertise address; other clusters would dial 10\.0\.3\.10$/);
      const priv = await violations(gatewaysReachable, await superCluster(topology, { aws: new FakeCloudTarget("aws", { advertise: () => "10.1.0.5" }) }));
      assert.equal(priv.length, 6);
      assert.match(priv[0]!, /advertises private address 10\.1\.0\.5 to clusters in other networks/);
    });
  });
});
