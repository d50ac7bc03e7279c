/**
 * The AWS target under mocks: resource graph per region, rendered configs delivered through
 * S3, the minimal firewall, secrets, IAM scope, user-data size and shellcheck.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { removeDir, tempDir } from "../helpers";
import { SuperCluster } from "../../../components/supercluster";
import { AwsTarget, awsUserData } from "../../../components/aws";
import { USER_DATA_LIMIT } from "../../../components/common/bootstrap";
import { parseConfigText } from "../../../broker/config/parser";
import { optionsFromConfig } from "../../../broker/config/options";
import { CloudMocks, haveShellcheck, installCloudMocks, mockPrivateIp, mockPublicIp, named, ofType, plain, providerName, resolve, settle, shellcheck } from "../common/cloud-mocks";

const ALLOWED = "192.0.2.0/24";

export const awsTopology = () => ({
  name: "mr",
  accounts: { APP: { users: [{ user: "app" }] } },
  clusters: [
    { name: "use1", target: "aws", region: "us-east-1", servers: 3, routeAuth: true },
    { name: "euw1", target: "aws", region: "eu-west-1", servers: 2, aws: { instanceType: "t3.medium" } },
  ],
  gateways: { mode: "full-mesh", auth: true },
  tls: { enabled: true, listeners: ["gateway", "leafnode"] },
  leafnodes: [{ name: "edge", target: "aws", region: "us-east-1", hub: "use1", account: "APP" }],
});

const SERVERS: Record<string, string[]> = { use1: ["use1-0", "use1-1", "use1-2"], euw1: ["euw1-0", "euw1-1"], edge: ["edge"] };
const REGION: Record<string, string> = { use1: "us-east-1", euw1: "eu-west-1", edge: "us-east-1" };
const groupOf = (server: string) => Object.keys(SERVERS).find((g) => SERVERS[g]!.includes(server))!;
const eni = (s: string) => mockPrivateIp(`mr-${groupOf(s)}-${s}-eni`);
const eip = (s: string) => mockPublicIp(`mr-${groupOf(s)}-${s}-eip`);

describe("aws target under mocks", function () {
  this.timeout(60000);
  let m: CloudMocks;
  let sc: SuperCluster;
  let tlsDir: string;

  before(async () => {
    tlsDir = tempDir("aws-tls");
    for (const f of ["cert.pem", "key.pem", "ca.pem"]) fs.writeFileSync(path.join(tlsDir, f), "stand-in\n");
    m = await installCloudMocks("aws-test");
    sc = new SuperCluster("mr", { topology: awsTopology(), targets: { aws: new AwsTarget({ allowedCidrs: [ALLOWED] }) } });
    await resolve(sc.clientUrls);
    await settle(m.registered);
  });

  after(() => removeDir(tlsDir));

  it("makes one provider per region and puts every AWS resource of a region on it", () => {
    const providers = ofType(m, "pulumi:providers:aws");
    assert.deepEqual(providers.map((p) => [p.name, p.inputs.region]).sort(), [["mr-aws-eu-west-1", "eu-west-1"], ["mr-aws-us-east-1", "us-east-1"]]);
    const aws = m.registered.filter((r) => r.type.startsWith("aws:"));
    assert.ok(aws.length > 40);
    for (const r of aws) {
      const p = providerName(r.provider);
      const region = r.name.includes("eu-west-1") || r.name.startsWith("mr-euw1") ? "eu-west-1" : "us-east-1";
      assert.equal(p, `mr-aws-${region}`, `${r.type} ${r.name} on provider ${p}`);
    }
    for (const c of m.calls.filter((c) => c.token.startsWith("aws:"))) assert.ok(c.token !== "aws:ec2/getAmi:getAmi" || c.inputs.owners?.[0] === "amazon");
  });

  it("creates the network, addresses and instances in the expected numbers", () => {
    const count = (t: string) => ofType(m, t).length;
    assert.equal(count("aws:ec2/vpc:Vpc"), 2);
    assert.equal(count("aws:ec2/subnet:Subnet"), 6);
    assert.equal(count("aws:ec2/internetGateway:InternetGateway"), 2);
    assert.equal(count("aws:s3/bucket:Bucket"), 2);
    assert.equal(count("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"), 2);
    assert.equal(count("aws:ec2/securityGroup:SecurityGroup"), 3);
    for (const t of ["aws:ec2/instance:Instance", "aws:ec2/eip:Eip", "aws:ec2/networkInterface:NetworkInterface", "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/instanceProfile:InstanceProfile"]) {
      assert.equal(count(t), 6, t);
    }
    // config + cert + key + ca per server, and one broker bundle per region
    assert.equal(count("aws:s3/bucketObjectv2:BucketObjectv2"), 6 * 4 + 2);
    assert.equal(count("tls:index/selfSignedCert:SelfSignedCert"), 1, "one CA for the whole super-cluster");
    assert.equal(count("tls:index/locallySignedCert:LocallySignedCert"), 6);
    for (const i of ofType(m, "aws:ec2/instance:Instance")) {
      assert.equal(i.inputs.ami, "ami-0123456789abcdef0");
      assert.equal(i.inputs.instanceType, i.name.startsWith("mr-euw1") ? "t3.medium" : "t3.small");
      assert.equal(i.inputs.metadataOptions.httpTokens, "required");
      assert.equal(i.inputs.rootBlockDevice.encrypted, true);
      assert.equal(i.inputs.userDataReplaceOnChange, false);
    }
  });

  it("puts addresses under the SuperCluster and instances under their Cluster/LeafNode", async () => {
    const urnOf = async (r: pulumi.Resource) => resolve(r.urn);
    const inst = await urnOf(sc.clusters.use1!.servers[0]!.resources[0]!);
    assert.match(inst, /::natsfleet:index:Cluster\$aws:ec2\/instance:Instance::mr-use1-use1-0$/);
    const leaf = await urnOf(sc.leafnodes.edge!.servers[0]!.resources[0]!);
    const eipUrn = m.registered.find((r) => r.name === "mr-use1-use1-0-eip");
    assert.ok(eipUrn, "EIP allocated");
    assert.match(leaf, /::natsfleet:index:LeafNode\$aws:ec2\/instance:Instance::mr-edge-edge$/);
  });

  it("delivers every server's rendered config through its own S3 object", () => {
    for (const [group, servers] of Object.entries(SERVERS)) {
      for (const s of servers) {
        const obj = named(m, `mr-${group}-${s}-config`);
        assert.equal(obj.inputs.key, `servers/${s}/nats.conf`);
        assert.equal(obj.inputs.bucket, `mr-aws-${REGION[group]}-config-id`);
        // the parser opens cert files: point the on-machine paths at stand-ins here
        const text = plain<string>(obj.inputs.content).split("/etc/natsfleet/tls/").join(`${tlsDir}/`);
        const o = optionsFromConfig(parseConfigText(text, `${s}.conf`), {}).options;
        assert.equal(o.serverName, s);
        if (group !== "edge") {
          const peers = servers.filter((p) => p !== s);
          assert.deepEqual(o.cluster!.routes.map((r) => new URL(r).hostname), peers.map(eni), `${s} routes`);
          assert.equal(o.gateway!.advertise, `${eip(s)}:7222`);
          const other = group === "use1" ? "euw1" : "use1";
          assert.deepEqual(o.gateway!.gateways.map((g) => [g.name, g.urls.map((u) => new URL(u).hostname)]), [[other, SERVERS[other]!.map(eip)]]);
          assert.equal(o.gateway!.tls?.certFile, `${tlsDir}/cert.pem`);
          assert.match(plain(obj.inputs.content), /cert_file: "?\/etc\/natsfleet\/tls\/cert\.pem/);
        } else {
          assert.deepEqual(o.leafnodes!.remotes.map((r) => r.urls.map((u) => new URL(u).hostname)), [SERVERS.use1!.map(eip)]);
          assert.equal(o.leafnodes!.remotes[0]!.tls?.caFile, `${tlsDir}/ca.pem`);
        }
        if (group === "use1") assert.equal(o.leafnodes!.advertise, `${eip(s)}:7422`);
      }
    }
  });

  it("opens exactly the minimal set of ports", () => {
    const rules = ofType(m, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => {
      const src = r.inputs.referencedSecurityGroupId ? `sg:${r.inputs.referencedSecurityGroupId}` : r.inputs.cidrIpv4;
      return `${r.inputs.securityGroupId} ${r.inputs.fromPort}-${r.inputs.toPort} ${src}`;
    });
    const sg = (g: string) => `mr-${g}-sg-id`;
    const expected = [
      `${sg("use1")} 4222-4222 ${ALLOWED}`,
      `${sg("use1")} 7422-7422 ${ALLOWED}`,
      `${sg("use1")} 6222-6222 sg:${sg("use1")}`,
      ...SERVERS.euw1!.map((s) => `${sg("use1")} 7222-7222 ${eip(s)}/32`),
      `${sg("euw1")} 4222-4222 ${ALLOWED}`,
      `${sg("euw1")} 6222-6222 sg:${sg("euw1")}`,
      ...SERVERS.use1!.map((s) => `${sg("euw1")} 7222-7222 ${eip(s)}/32`),
      `${sg("edge")} 4222-4222 ${ALLOWED}`,
    ];
    assert.deepEqual(rules.sort(), expected.sort());
    for (const r of ofType(m, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) assert.notEqual(r.inputs.fromPort, 8222);
  });

  it("keeps configs, private keys and passwords secret", () => {
    for (const r of ofType(m, "aws:s3/bucketObjectv2:BucketObjectv2")) {
      if (r.inputs.key.endsWith("nats.conf") || r.inputs.key.endsWith("key.pem")) assert.ok(m.secretInputs.get(r.name)?.has("content"), `${r.name} content is secret`);
    }
    for (const r of ofType(m, "tls:index/locallySignedCert:LocallySignedCert")) assert.ok(m.secretInputs.get(r.name)?.has("caPrivateKeyPem"), r.name);
    for (const i of ofType(m, "aws:ec2/instance:Instance")) assert.doesNotMatch(i.inputs.userData, /password|PRIVATE KEY/);
  });

  it("lets each instance role read only its own objects and the broker", () => {
    for (const [group, servers] of Object.entries(SERVERS)) {
      for (const s of servers) {
        const policy = JSON.parse(named(m, `mr-${group}-${s}-read-config`).inputs.policy);
        const arn = `arn:aws:s3:::mr-aws-${REGION[group]}-config-0123abc`;
        assert.deepEqual(policy.Statement, [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${arn}/servers/${s}/*`, `${arn}/broker/natsfleet-server.js`] }]);
      }
    }
  });

  it("keeps user-data under 16 KB and shellcheck-clean", function () {
    const data = ofType(m, "aws:ec2/instance:Instance").map((i) => i.inputs.userData as string);
    for (const d of data) {
      assert.ok(Buffer.byteLength(d) < USER_DATA_LIMIT);
      assert.match(d, /aws s3 cp/);
    }
    const ns = awsUserData("x-0", "nats-server", "bucket", "us-east-1", ["nats.conf"], 15);
    if (!haveShellcheck()) {
      console.log("      (shellcheck not installed: apt-get install shellcheck; user-data lint skipped)");
      this.skip();
    }
    for (const d of [data[0]!, ns]) assert.equal(shellcheck(d), "");
  });

  it("rejects bad options with the key named", async () => {
    await installCloudMocks("aws-bad");
    assert.throws(
      () => new SuperCluster("bad", { topology: awsTopology(), targets: { aws: new AwsTarget({ monitorCidrs: ["0.0.0.0/0"] }) } }),
      /natsfleet:monitorCidrs\[0\]: 0\.0\.0\.0\/0 would make the port public/,
    );
  });

describe("aws target: options and existing networks", function () {
  this.timeout(60000);
  const one = (aws: Record<string, unknown>) => ({ name: "byo", clusters: [{ name: "c", target: "aws", region: "us-west-2", servers: 2, aws }] });

  it("uses the given VPC and subnets instead of making a network", async () => {
    const m = await installCloudMocks("aws-byo");
    const sc = new SuperCluster("byo", { topology: one({ vpcId: "vpc-123", subnetIds: ["subnet-a", "subnet-b"] }), targets: { aws: new AwsTarget() } });
    await resolve(sc.clientUrls);
    await settle(m.registered);
    for (const t of ["aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway"]) assert.equal(ofType(m, t).length, 0, t);
    assert.deepEqual(ofType(m, "aws:ec2/networkInterface:NetworkInterface").map((r) => r.inputs.subnetId), ["subnet-a", "subnet-b"]);
    assert.equal(named(m, "byo-c-sg").inputs.vpcId, "vpc-123");
    // no allowedCidrs: nothing but the cluster's own routes is open
    assert.deepEqual(ofType(m, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => `${r.inputs.fromPort} ${r.inputs.referencedSecurityGroupId}`), ["6222 byo-c-sg-id"]);
  });

  it("reads its knobs from stack config and names unknown ones", async () => {
    const m = await installCloudMocks("aws-cfg", { "natsfleet:aws": JSON.stringify({ zoneCount: 2, diskSizeGb: 50, tags: { team: "msg" } }), "natsfleet:allowedCidrs": '["198.51.100.0/24"]' });
    const sc = new SuperCluster("cfg", { topology: one({}) });
    await resolve(sc.clientUrls);
    await settle(m.registered);
    assert.equal(ofType(m, "aws:ec2/subnet:Subnet").length, 2);
    for (const i of ofType(m, "aws:ec2/instance:Instance")) {
      assert.equal(i.inputs.rootBlockDevice.volumeSize, 50);
      assert.equal(i.inputs.tags.team, "msg");
    }
    assert.ok(ofType(m, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").some((r) => r.inputs.cidrIpv4 === "198.51.100.0/24" && r.inputs.fromPort === 4222));
    await installCloudMocks("aws-typo", { "natsfleet:aws": JSON.stringify({ zonecount: 2 }) });
    assert.throws(() => new SuperCluster("typo", { topology: one({}) }), /natsfleet:aws\.zonecount: unknown option \(known: allowedCidrs, /);
  });

  it("asks for subnets when only a VPC is given", async () => {
    await installCloudMocks("aws-vpc-only");
    assert.throws(() => new SuperCluster("v", { topology: one({ vpcId: "vpc-1" }), targets: { aws: new AwsTarget() } }), /vpcId vpc-1 needs subnetIds too/);
  });
});

});
