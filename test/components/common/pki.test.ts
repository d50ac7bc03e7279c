/** The shared PKI under mocks: one CA per super-cluster, per-server certs with the right SANs, secret keys. */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Pki, sharedPki, splitSans, superClusterName } from "../../../components/common/pki";
import { generateCredentials } from "../../../components/common/credentials";
import { installCloudMocks, ofType, resolve, settle } from "./cloud-mocks";

class Root extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:index:Root", name, {});
  }
}

describe("PKI and credentials", function () {
  this.timeout(30000);

  it("splits addresses into IP and DNS SANs, deduplicated and stable", () => {
    assert.deepEqual(splitSans(["b.example", "10.0.0.1", "a.example", "10.0.0.1", "[2001:db8::1]", ""]), {
      ipAddresses: ["10.0.0.1", "2001:db8::1"],
      dnsNames: ["a.example", "b.example"],
    });
  });

  it("makes one CA per root and certificates naming every address of a server", async () => {
    const m = await installCloudMocks("pki");
    const root = new Root("r");
    const pki = sharedPki(root, "sc");
    assert.equal(sharedPki(root, "sc"), pki);
    assert.notEqual(sharedPki(new Root("r2"), "sc2"), pki);
    const cert = pki.serverCert({ server: "use1-0", address: { host: pulumi.output("10.42.0.5"), advertise: "198.51.100.9" }, extra: ["ec2-198-51-100-9.compute.amazonaws.com"] }, root, "sc-use1-use1-0");
    assert.equal(await pulumi.isSecret(cert.keyPem), true);
    assert.match(await resolve(cert.certPem), /BEGIN CERTIFICATE/);
    await settle(m.registered);
    const csr = ofType(m, "tls:index/certRequest:CertRequest").find((r) => r.name === "sc-use1-use1-0-tls-csr")!;
    assert.deepEqual(csr.inputs.ipAddresses, ["10.42.0.5", "127.0.0.1", "198.51.100.9"]);
    assert.deepEqual(csr.inputs.dnsNames, ["ec2-198-51-100-9.compute.amazonaws.com", "localhost", "use1-0"]);
    const signed = ofType(m, "tls:index/locallySignedCert:LocallySignedCert")[0]!;
    assert.deepEqual(signed.inputs.allowedUses, ["digital_signature", "key_encipherment", "server_auth", "client_auth"]);
    assert.ok(m.secretInputs.get(signed.name)?.has("caPrivateKeyPem"));
    const ca = ofType(m, "tls:index/selfSignedCert:SelfSignedCert");
    assert.equal(ca.length, 2, "one CA per root");
    assert.equal(ca.find((c) => c.name === "sc-ca")!.inputs.isCaCertificate, true);
    assert.ok(pki instanceof Pki);
  });

  it("derives the super-cluster name from an allocate prefix", () => {
    const group = { name: "use1" } as Parameters<typeof superClusterName>[1];
    assert.equal(superClusterName("multi-region-use1", group), "multi-region");
    assert.equal(superClusterName("other", group), "other");
  });

  it("generates secret credentials per key and refuses keys that would share a name", async () => {
    const m = await installCloudMocks("creds");
    const root = new Root("c");
    const creds = generateCredentials(["route:use1", "gateway", "leaf:edge"], root, "sc");
    assert.deepEqual(Object.keys(creds), ["route:use1", "gateway", "leaf:edge"]);
    for (const v of Object.values(creds)) assert.equal(await pulumi.isSecret(v), true);
    assert.equal(await resolve(creds["gateway"]!), "pwscgateway");
    await settle(m.registered);
    assert.deepEqual(ofType(m, "random:index/randomPassword:RandomPassword").map((r) => [r.name, r.inputs.length, r.inputs.special]), [
      ["sc-route-use1", 32, false],
      ["sc-gateway", 32, false],
      ["sc-leaf-edge", 32, false],
    ]);
    assert.throws(() => generateCredentials(["a:b", "a-b"], root, "x"), /credentials "a:b" and "a-b" would share the resource name x-a-b/);
  });
});
