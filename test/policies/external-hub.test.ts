/** The pack on topologies with external hubs (hosted services): TLS to them, and no hub lookup. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SuperCluster } from "../../components/supercluster";
import { asPolicyResources, runProgram, violations } from "./harness";
import { LocalTarget } from "../../components/local/target";
import { FakeCloudTarget } from "./fake-target";
import { leafHubsExist, tlsAcrossInternet } from "../../policies/policies";

const CREDS = "-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QifQ.e30.sig\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\nSUAMOCKSEED\n------END USER NKEY SEED------\n";

describe("policy pack: external hubs", function () {
  this.timeout(30000);
  const stateDir = path.join(os.tmpdir(), "natsfleet-policy-ext");
  let credsFile: string;
  before(() => {
    fs.mkdirSync(stateDir, { recursive: true });
    credsFile = path.join(stateDir, "ngs.creds");
    fs.writeFileSync(credsFile, CREDS);
  });
  after(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  const topology = (url: string) => ({
    name: "hosted",
    clusters: [{ name: "site", target: "aws", region: "us-east-1", servers: 3, hub: { url, credentials: CREDS } }],
    leafnodes: [
      { name: "edge", target: "aws", region: "us-east-1", hub: { url, credentials: CREDS } },
      { name: "laptop", target: "local", hub: { url: "nats-leaf://127.0.0.1:7422", credentials: credsFile } },
    ],
  });

  async function resources(url: string) {
    const reg = await runProgram("ext", () => {
      new SuperCluster("h", { topology: topology(url), targets: { aws: new FakeCloudTarget("aws", { advertise: (s) => `203.0.113.${s.length}` }), local: new LocalTarget({ stateDir }) } });
    });
    return asPolicyResources(reg);
  }

  it("tls:// hubs comply, and leaf nodes of external hubs need no cluster of the stack", async () => {
    const r = await resources("tls://connect.ngs.global");
    assert.deepEqual(await violations(tlsAcrossInternet, r), []);
    assert.deepEqual(await violations(leafHubsExist, r), []);
  });

  it("a cloud server dialling an external hub in plain text violates; a local one may", async () => {
    assert.deepEqual((await violations(tlsAcrossInternet, await resources("nats-leaf://hub.example.com:7422"))).sort(), [
      "topology hosted: cluster site (aws) connects to external hub nats-leaf://hub.example.com:7422 without TLS; use a tls:// URL",
      "topology hosted: leaf node edge (aws) connects to external hub nats-leaf://hub.example.com:7422 without TLS; use a tls:// URL",
    ]);
  });

});
