/**
 * External hubs through every target under mocks: the `.creds` file travels as a secret (S3
 * object, Secret Manager version, Kubernetes Secret key), never in user-data, metadata or a
 * ConfigMap; the rendered remote points at where the target put it; the local target points at
 * the file itself; a missing file fails before anything registers, naming the topology path.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { removeDir, tempDir } from "../helpers";
import { SuperCluster } from "../../../components/supercluster";
import { AwsTarget } from "../../../components/aws";
import { GcpTarget } from "../../../components/gcp";
import { KubernetesTarget } from "../../../components/kubernetes";
import { TopologyError } from "../../../components/topology/errors";
import { readHubCredentials } from "../../../components/common/hub-credentials";
import { validateTopology } from "../../../components/topology/validate";
import { installCloudMocks, named, ofType, plain, resolve, settle } from "./cloud-mocks";
import { installK8sMocks } from "../kubernetes/k8s-mocks";
import { installMocks } from "../mocks";
import * as pulumi from "@pulumi/pulumi";
import { program } from "../../../components/program";
import { asPolicyResources, packViolations } from "../../policies/harness";

const CREDS = "-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QifQ.e30.sig\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\nSUAMOCKSEED\n------END USER NKEY SEED------\n";
const HUB = "tls://connect.ngs.global";

const topology = (target: string, extra: Record<string, unknown>, credentials: string) => ({
  name: "hosted",
  accounts: { APP: { users: [{ user: "app" }] } },
  clusters: [{ name: "site", target, servers: 2, ...extra, hub: { url: HUB, credentials, account: "APP" } }],
  leafnodes: [{ name: "edge", target, ...extra, hub: { url: HUB, credentials } }],
});

/** A rendered config's leaf remote, as text. */
function remoteOf(config: string): string {
  const i = config.indexOf("remotes: [");
  assert.ok(i >= 0, config);
  return config.slice(i, config.indexOf("]\n}", i));
}

describe("external hub credentials through the targets", function () {
  this.timeout(60000);
  let dir: string;
  let credsFile: string;

  before(() => {
    dir = tempDir("hub-creds");
    credsFile = path.join(dir, "ngs.creds");
    fs.writeFileSync(credsFile, CREDS);
  });
  after(() => removeDir(dir));

  it("aws: an S3 object per server, secret; user-data only names the channel file", async () => {
    const m = await installCloudMocks("hub-aws");
    const sc = new SuperCluster("h", { topology: topology("aws", { region: "us-east-1" }, credsFile), targets: { aws: new AwsTarget({ allowedCidrs: ["192.0.2.0/24"] }) } });
    await resolve(sc.clientUrls);
    await settle(m.registered);
    for (const server of ["site-0", "site-1", "edge"]) {
      const group = server === "edge" ? "edge" : "site";
      const obj = named(m, `h-${group}-${server}-hub-creds`);
      assert.equal(plain(obj.inputs.content), CREDS);
      assert.equal(obj.inputs.key, `servers/${server}/hub.creds`);
      assert.ok(m.secretInputs.get(obj.name)?.has("content"), `${obj.name}: content must be a secret`);
      const config = plain<string>(named(m, `h-${group}-${server}-config`).inputs.content);
      assert.match(remoteOf(config), /credentials: "\/etc\/natsfleet\/hub.creds"/);
      const userData = plain<string>(named(m, `h-${group}-${server}`).inputs.userData);
      assert.match(userData, /hub\.creds/);
      assert.ok(!userData.includes("SUAMOCKSEED"));
    }
    assert.match(remoteOf(plain(named(m, "h-site-site-0-config").inputs.content)), /account: "APP"/);
  });

  it("gcp: a Secret Manager version per server; instance metadata never holds it", async () => {
    const m = await installCloudMocks("hub-gcp");
    const sc = new SuperCluster("h", { topology: topology("gcp", { region: "us-central1" }, CREDS), targets: { gcp: new GcpTarget({ allowedCidrs: ["192.0.2.0/24"] }) } });
    await resolve(sc.clientUrls);
    await settle(m.registered);
    const versions = ofType(m, "gcp:secretmanager/secretVersion:SecretVersion").filter((r) => r.name.endsWith("-hub-creds"));
    assert.deepEqual(versions.map((v) => v.name).sort(), ["h-edge-edge-hub-creds", "h-site-site-0-hub-creds", "h-site-site-1-hub-creds"]);
    for (const v of versions) {
      assert.equal(plain(v.inputs.secretData), CREDS);
      assert.ok(m.secretInputs.get(v.name)?.has("secretData"));
    }
    for (const i of ofType(m, "gcp:compute/instance:Instance")) {
      const md = JSON.stringify(i.inputs.metadata);
      assert.ok(!md.includes("SUAMOCKSEED"), `${i.name}: credentials in metadata`);
      assert.match(md, /hub\.creds/);
    }
  });

  it("kubernetes: a key of the config Secret, mounted with the configs; the pack passes", async () => {
    const reg = await installK8sMocks("hub-k8s");
    const sc = new SuperCluster("h", { topology: topology("kubernetes", {}, credsFile), targets: { kubernetes: new KubernetesTarget({ allowedCidrs: ["198.51.100.0/24"], bundle: "// stand-in\n" }) } });
    await resolve(sc.clientUrls);
    await settle(reg, 100);
    const secrets = reg.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.name.endsWith("-config"));
    assert.equal(secrets.length, 2);
    for (const s of secrets) {
      const data = plain<Record<string, string>>(s.inputs.stringData);
      assert.equal(data["hub.creds"], CREDS);
      const conf = Object.entries(data).find(([k]) => k.endsWith(".conf"))![1];
      assert.match(remoteOf(conf), /credentials: "\/etc\/nats\/config\/hub.creds"/);
    }
    for (const c of reg.filter((r) => r.type === "kubernetes:core/v1:ConfigMap")) assert.ok(!JSON.stringify(c.inputs).includes("SUAMOCKSEED"), c.name);
    assert.deepEqual(await packViolations(asPolicyResources(reg, "hub-k8s")), {});
  });

  it("credentials given as a Pulumi secret in code (hubCredentials) or stack config (natsfleet:hubCredentials) ship the same way", async () => {
    const declaration = () => {
      const t = topology("aws", { region: "us-east-1" }, "unused");
      delete (t.clusters[0]!.hub as { credentials?: string }).credentials;
      delete (t.leafnodes[0]!.hub as { credentials?: string }).credentials;
      return t;
    };
    const m = await installCloudMocks("hub-input");
    const sc = new SuperCluster("h", {
      topology: declaration(),
      targets: { aws: new AwsTarget({ allowedCidrs: ["192.0.2.0/24"] }) },
      hubCredentials: { site: pulumi.secret(CREDS), edge: pulumi.secret(CREDS.replace("SUAMOCKSEED", "SUAOTHER")) },
    });
    await resolve(sc.clientUrls);
    await settle(m.registered);
    assert.equal(plain(named(m, "h-site-site-1-hub-creds").inputs.content), CREDS);
    assert.match(plain(named(m, "h-edge-edge-hub-creds").inputs.content), /SUAOTHER/);
    assert.ok(m.secretInputs.get("h-edge-edge-hub-creds")?.has("content"));
    assert.match(remoteOf(plain(named(m, "h-edge-edge-config").inputs.content)), /credentials: "\/etc\/natsfleet\/hub.creds"/);

    // the Pulumi program takes them from natsfleet:hubCredentials
    const p = await installCloudMocks("hub-program", {
      "natsfleet:topology": JSON.stringify(declaration()),
      "natsfleet:allowedCidrs": JSON.stringify(["192.0.2.0/24"]),
      "natsfleet:hubCredentials": JSON.stringify({ edge: CREDS }),
    });
    const out = program();
    await resolve(out.clientUrls);
    await settle(p.registered);
    assert.equal(plain(named(p, "hosted-edge-edge-hub-creds").inputs.content), CREDS);
    assert.ok(p.secretInputs.get("hosted-edge-edge-hub-creds")?.has("content"));
    assert.ok(!p.registered.some((r) => r.name.startsWith("hosted-site-site-0-hub-creds")), "site has no credentials");

    // names that cannot take them
    assert.throws(
      () => new SuperCluster("bad", { topology: declaration(), targets: { aws: new AwsTarget() }, hubCredentials: { nope: "x" } }),
      /hubCredentials\.nope: no cluster or leaf node named "nope" has an external hub \(those with one: site, edge\)/,
    );
    const local = topology("local", {}, credsFile);
    assert.throws(
      () => new SuperCluster("bad", { topology: local, local: { stateDir: dir }, hubCredentials: { edge: "x" } }),
      /hubCredentials\.edge: edge runs on target local, which reads a \.creds file/,
    );
  });

  it("local: the config points at the declared file; a missing one fails naming the path", async () => {
    const reg = await installMocks("hub-local");
    const sc = new SuperCluster("h", { topology: topology("local", {}, credsFile), local: { stateDir: dir } });
    await resolve(sc.clientUrls);
    const servers = reg.filter((r) => r.type.includes("LocalServer"));
    assert.equal(servers.length, 3);
    for (const s of servers) assert.match(remoteOf(plain(s.inputs.config)), new RegExp(`credentials: "${credsFile.replace(/[/.]/g, "\\$&")}"`));

    const missing = path.join(dir, "nope.creds");
    assert.throws(
      () => new SuperCluster("h2", { topology: topology("local", {}, missing), local: { stateDir: dir } }),
      (e: unknown) => e instanceof TopologyError && e.message.includes(`clusters[0].hub.credentials: cannot read ${missing}: no such file`) && e.message.includes("leafnodes[0].hub.credentials"),
    );
    fs.writeFileSync(path.join(dir, "not.creds"), "hello");
    assert.throws(() => readHubCredentials(validateTopology(topology("local", {}, path.join(dir, "not.creds")))), /is not a \.creds file/);
  });
});
