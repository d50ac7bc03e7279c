/**
 * The GCP target under mocks: resource graph per region, configs in instance metadata,
 * the minimal firewall, secrets, the startup script.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import * as pulumi from "@pulumi/pulumi";
import { SuperCluster } from "../../../components/supercluster";
import { GcpTarget, metadataKey, secretId, SECRET_FILES, startupScript } from "../../../components/gcp";
import { spawnSync } from "child_process";
import { parseConfigText } from "../../../broker/config/parser";
import { optionsFromConfig } from "../../../broker/config/options";
import { brokerBundle } from "../../../components/common/bundle";
import { CHANNEL_CREDS } from "../../../components/common/hub-credentials";
import { removeDir, tempDir } from "../helpers";
import { CloudMocks, haveShellcheck, installCloudMocks, mockPrivateIp, mockPublicIp, named, ofType, plain, providerName, resolve, settle, shellcheck } from "../common/cloud-mocks";

const ALLOWED = "192.0.2.0/24";

const topology = () => ({
  name: "g",
  clusters: [
    { name: "ew1", target: "gcp", region: "europe-west1", servers: 3, gcp: { machineType: "e2-medium" } },
    { name: "uc1", target: "gcp", region: "us-central1", servers: 2 },
  ],
  gateways: "full-mesh",
  tls: { enabled: true, listeners: ["gateway", "leafnode"] },
  leafnodes: [{ name: "shop", target: "gcp", region: "europe-west1", hub: "ew1", servers: 2 }],
});

const SERVERS: Record<string, string[]> = { ew1: ["ew1-0", "ew1-1", "ew1-2"], uc1: ["uc1-0", "uc1-1"], shop: ["shop-0", "shop-1"] };
const REGION: Record<string, string> = { ew1: "europe-west1", uc1: "us-central1", shop: "europe-west1" };
const groupOf = (s: string) => Object.keys(SERVERS).find((g) => SERVERS[g]!.includes(s))!;
const internal = (s: string) => mockPrivateIp(`g-${groupOf(s)}-${s}-internal`);
const external = (s: string) => mockPublicIp(`g-${groupOf(s)}-${s}-external`);

describe("gcp target under mocks", function () {
  this.timeout(60000);
  let m: CloudMocks;
  let sc: SuperCluster;
  let tlsDir: string;

  before(async () => {
    tlsDir = tempDir("gcp-tls");
    for (const f of ["cert.pem", "key.pem", "ca.pem"]) fs.writeFileSync(path.join(tlsDir, f), "stand-in\n");
    m = await installCloudMocks("gcp-test");
    sc = new SuperCluster("g", { topology: topology(), targets: { gcp: new GcpTarget({ allowedCidrs: [ALLOWED], zones: { "us-central1": ["us-central1-a", "us-central1-f"] } }) } });
    await resolve(sc.clientUrls);
    await settle(m.registered);
  });
  after(() => removeDir(tlsDir));

  it("makes one provider per region and puts every GCP resource of a region on it", () => {
    assert.deepEqual(ofType(m, "pulumi:providers:gcp").map((p) => [p.name, p.inputs.region]).sort(), [["g-gcp-europe-west1", "europe-west1"], ["g-gcp-us-central1", "us-central1"]]);
    const resources = m.registered.filter((r) => r.type.startsWith("gcp:"));
    for (const r of resources) {
      const region = r.name.includes("us-central1") || r.name.startsWith("g-uc1") ? "us-central1" : "europe-west1";
      assert.equal(providerName(r.provider), `g-gcp-${region}`, `${r.type} ${r.name}`);
    }
  });

  it("creates networks, addresses, accounts and instances in the expected numbers", async () => {
    const count = (t: string) => ofType(m, t).length;
    assert.equal(count("gcp:compute/network:Network"), 2);
    assert.equal(count("gcp:compute/subnetwork:Subnetwork"), 2);
    assert.equal(count("gcp:serviceaccount/account:Account"), 3);
    assert.equal(count("gcp:compute/address:Address"), 14);
    assert.equal(count("gcp:compute/instance:Instance"), 7);
    assert.equal(count("tls:index/selfSignedCert:SelfSignedCert"), 1);
    for (const i of ofType(m, "gcp:compute/instance:Instance")) {
      const s = i.name.replace(/^g-[a-z0-9]+-/, "");
      assert.equal(i.inputs.machineType, s.startsWith("ew1") ? "e2-medium" : "e2-small");
      assert.equal(i.inputs.networkInterfaces[0].networkIp, internal(s));
      assert.equal(i.inputs.networkInterfaces[0].accessConfigs[0].natIp, external(s));
      assert.equal(i.inputs.allowStoppingForUpdate, false);
      assert.equal(i.inputs.metadataStartupScript, undefined, "metadataStartupScript would force replacement");
      assert.equal(i.inputs.bootDisk.initializeParams.image, "debian-cloud/debian-12");
    }
    assert.deepEqual(["uc1-0", "uc1-1"].map((s) => named(m, `g-uc1-${s}`).inputs.zone), ["us-central1-a", "us-central1-f"]);
    assert.equal(named(m, "g-ew1-ew1-0").inputs.zone, "europe-west1-b");
    const urn = await resolve(sc.clusters.ew1!.servers[0]!.resources[0]!.urn);
    assert.match(urn, /::natsfleet:index:Cluster\$gcp:compute\/instance:Instance::g-ew1-ew1-0$/);
  });

  it("puts every server's rendered config and key in its own secrets, public files in its metadata", () => {
    for (const [group, servers] of Object.entries(SERVERS)) {
      for (const s of servers) {
        const md = plain<Record<string, string>>(named(m, `g-${group}-${s}`).inputs.metadata);
        const version = (file: string) => ofType(m, "gcp:secretmanager/secretVersion:SecretVersion").find((r) => r.name === `g-${group}-${s}-${file.replace(/[/.]/g, "-")}`)!;
        // this topology has TLS and no external hub: the config and the key (hub.creds: hub-credentials.test.ts)
        for (const file of SECRET_FILES.filter((f) => f !== CHANNEL_CREDS)) {
          const secret = ofType(m, "gcp:secretmanager/secret:Secret").find((r) => r.name === `g-${group}-${s}-${file.replace(/[/.]/g, "-")}`)!;
          assert.equal(secret.inputs.secretId, secretId(`nf-g-${group}-${s}`, file));
          assert.equal(version(file).inputs.secret, `${secret.name}-id`);
          assert.ok(m.secretInputs.get(version(file).name)?.has("secretData"), `${file} of ${s} is secret`);
          const reader = named(m, `g-${group}-${s}-${file.replace(/[/.]/g, "-")}-reader`);
          assert.deepEqual([reader.inputs.secretId, reader.inputs.role, reader.inputs.member], [`${secret.name}-id`, "roles/secretmanager.secretAccessor", `serviceAccount:nf-g-${group}@p.iam.gserviceaccount.com`]);
        }
        assert.deepEqual(Object.keys(md).filter((k) => k.startsWith("natsfleet-")).sort(), ["natsfleet-broker", "natsfleet-tls-ca-pem", "natsfleet-tls-cert-pem"]);
        assert.doesNotMatch(JSON.stringify(md), /PRIVATE KEY|password/);
        const text = plain<string>(version("nats.conf").inputs.secretData).split("/etc/natsfleet/tls/").join(`${tlsDir}/`);
        const o = optionsFromConfig(parseConfigText(text, `${s}.conf`), {}).options;
        assert.equal(o.serverName, s);
        assert.deepEqual(o.cluster!.routes.map((r) => new URL(r).hostname), servers.filter((p) => p !== s).map(internal));
        if (group !== "shop") {
          assert.equal(o.gateway!.advertise, `${external(s)}:7222`);
          const other = group === "ew1" ? "uc1" : "ew1";
          assert.deepEqual(o.gateway!.gateways.map((g) => [g.name, g.urls.map((u) => new URL(u).hostname)]), [[other, SERVERS[other]!.map(external)]]);
        } else {
          assert.deepEqual(o.leafnodes!.remotes[0]!.urls.map((u) => new URL(u).hostname), SERVERS.ew1!.map(external));
        }
        assert.match(plain(version("tls/key.pem").inputs.secretData), /PRIVATE KEY/);
        assert.match(md[metadataKey("tls/cert.pem")]!, /BEGIN CERTIFICATE/);
        assert.match(md["startup-script"]!, /^#!\/bin\/bash/);
        assert.equal(zlib.gunzipSync(Buffer.from(md["natsfleet-broker"]!, "base64")).toString(), brokerBundle().text);
        assert.equal(REGION[group] !== undefined, true);
      }
    }
  });

  it("opens exactly the minimal set of ports", () => {
    const tag = (g: string) => `nf-g-${g}`;
    const rules = ofType(m, "gcp:compute/firewall:Firewall").map((r) => {
      assert.deepEqual(r.inputs.targetTags, [tag(r.name.split("-")[1]!)]);
      assert.equal(r.inputs.direction, "INGRESS");
      const src = r.inputs.sourceTags ? `tag:${r.inputs.sourceTags.join(",")}` : [...r.inputs.sourceRanges].sort().join(",");
      return `${r.inputs.targetTags[0]} ${r.inputs.allows.map((a: any) => `${a.protocol}:${a.ports.join(",")}`).join(" ")} ${src}`;
    });
    const hosts = (g: string) => SERVERS[g]!.map((s) => `${external(s)}/32`).sort().join(",");
    assert.deepEqual(rules.sort(), [
      `${tag("ew1")} tcp:4222 ${ALLOWED}`,
      `${tag("ew1")} tcp:7422 ${ALLOWED}`,
      `${tag("ew1")} tcp:6222 tag:${tag("ew1")}`,
      `${tag("ew1")} tcp:7222 ${hosts("uc1")}`,
      `${tag("uc1")} tcp:4222 ${ALLOWED}`,
      `${tag("uc1")} tcp:6222 tag:${tag("uc1")}`,
      `${tag("uc1")} tcp:7222 ${hosts("ew1")}`,
      `${tag("shop")} tcp:4222 ${ALLOWED}`,
      `${tag("shop")} tcp:6222 tag:${tag("shop")}`,
    ].sort());
  });

  it("gives servers a service account that may read only their own secrets", () => {
    const grants = m.registered.filter((r) => /iam/i.test(r.type));
    assert.ok(grants.length > 0);
    assert.deepEqual([...new Set(grants.map((r) => r.type))], ["gcp:secretmanager/secretIamMember:SecretIamMember"]);
    assert.equal(grants.length, 7 * 2);
    for (const i of ofType(m, "gcp:compute/instance:Instance")) assert.match(i.inputs.serviceAccount.email, /^nf-g-[a-z0-9]+@p\.iam\.gserviceaccount\.com$/);
  });

  it("has a shellcheck-clean startup script whose fetch reads secrets from Secret Manager and the rest from metadata", function () {
    const script = startupScript("x-0", "natsfleet", ["nats.conf", "tls/key.pem", "tls/cert.pem"], 15, "nf-g-ew1-x-0");
    assert.ok(Buffer.byteLength(script) < 16 * 1024);
    const dir = tempDir("gcp-md");
    try {
      // a curl stand-in answering like the metadata server and Secret Manager, logging what it was asked
      fs.writeFileSync(
        path.join(dir, "curl"),
        `#!/bin/sh
out=""; url=""; auth=""
while [ $# -gt 0 ]; do
  case "$1" in -o) out="$2"; shift ;; -H) case "$2" in Authorization*) auth="$2" ;; esac; shift ;; http*) url="$1" ;; esac
  shift
done
echo "$url $auth" >>"${dir}/log"
case "$url" in
  */project/project-id) printf proj ;;
  */token) printf '{"access_token":"tok","expires_in":3599,"token_type":"Bearer"}' ;;
  *secretmanager*) printf '{\n  "name": "projects/1/secrets/x/versions/3",\n  "payload": {\n    "data": "%s",\n    "dataCrc32c": "12"\n  }\n}\n' "$(printf 'listen: 1\n' | base64)" ;;
  */attributes/*) printf 'attr:%s' "\${url##*/}" >"$out" ;;
esac
`,
        { mode: 0o755 },
      );
      fs.writeFileSync(path.join(dir, "startup.sh"), script);
      const r = spawnSync("bash", ["-c", `set -euo pipefail; source <(sed -n '/^nf_fetch_file()/,/^}/p' "$0"); nf_fetch_file nats.conf "${dir}/conf"; nf_fetch_file tls/cert.pem "${dir}/cert"`, path.join(dir, "startup.sh")], {
        encoding: "utf8",
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(fs.readFileSync(path.join(dir, "conf"), "utf8"), "listen: 1\n");
      assert.equal(fs.readFileSync(path.join(dir, "cert"), "utf8"), `attr:${metadataKey("tls/cert.pem")}`);
      const log = fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n");
      assert.equal(log[2], `https://secretmanager.googleapis.com/v1/projects/proj/secrets/${secretId("nf-g-ew1-x-0", "nats.conf")}/versions/latest:access Authorization: Bearer tok`);
    } finally {
      removeDir(dir);
    }
    if (!haveShellcheck()) {
      console.log("      (shellcheck not installed: apt-get install shellcheck; startup script lint skipped)");
      this.skip();
    }
    assert.equal(shellcheck(script), "");
    assert.equal(shellcheck(startupScript("x-0", "nats-server", ["nats.conf"], 15, "nf-x")), "");
  });

describe("gcp target: existing networks and options", function () {
  this.timeout(60000);
  const one = (gcp: Record<string, unknown>) => ({ name: "byo", clusters: [{ name: "c", target: "gcp", region: "europe-west4", servers: 2, gcp }] });

  it("uses the given network and subnetwork", async () => {
    const m = await installCloudMocks("gcp-byo");
    const sc = new SuperCluster("byo", { topology: one({ network: "shared", subnetwork: "shared-ew4" }), targets: { gcp: new GcpTarget() } });
    await resolve(sc.clientUrls);
    await settle(m.registered);
    assert.equal(ofType(m, "gcp:compute/network:Network").length, 0);
    assert.equal(ofType(m, "gcp:compute/subnetwork:Subnetwork").length, 0);
    assert.deepEqual(ofType(m, "gcp:compute/instance:Instance").map((i) => i.inputs.networkInterfaces[0].subnetwork), ["shared-ew4", "shared-ew4"]);
    assert.deepEqual(ofType(m, "gcp:compute/firewall:Firewall").map((f) => [f.inputs.network, f.inputs.allows[0].ports[0]]), [["shared", "6222"]]);
  });

  it("names unknown stack options and zones outside the region", async () => {
    await installCloudMocks("gcp-typo", { "natsfleet:gcp": JSON.stringify({ zones: { "europe-west4": ["us-east1-b"] }, disk: 5 }) });
    assert.throws(() => new SuperCluster("t", { topology: one({}) }), /natsfleet:gcp\.disk: unknown option/);
    await installCloudMocks("gcp-zone", { "natsfleet:gcp": JSON.stringify({ zones: { "europe-west4": ["us-east1-b"] } }) });
    assert.throws(() => new SuperCluster("t", { topology: one({}) }), /natsfleet:gcp\.zones\.europe-west4\[0\]: "us-east1-b" is not a zone of europe-west4/);
  });
});


describe("gcp and aws targets with broker nats-server", function () {
  this.timeout(60000);

  it("ship no bundle and start the official server", async () => {
    const { AwsTarget } = await import("../../../components/aws");
    const m = await installCloudMocks("official");
    const topology = {
      name: "o",
      broker: "nats-server",
      clusters: [
        { name: "g", target: "gcp", region: "europe-west1", servers: 1 },
        { name: "a", target: "aws", region: "us-east-1", servers: 1 },
      ],
    };
    const sc = new SuperCluster("o", { topology, targets: { gcp: new GcpTarget(), aws: new AwsTarget() } });
    await resolve(sc.clientUrls);
    await settle(m.registered);
    const md = plain<Record<string, string>>(named(m, "o-g-g-0").inputs.metadata);
    assert.equal(md["natsfleet-broker"], undefined);
    assert.match(md["startup-script"]!, /^NF_BROKER=nats-server$/m);
    assert.match(named(m, "o-a-a-0").inputs.userData, /^NF_BROKER=nats-server$/m);
  });
});

});
