/** Validation of external hubs: what is accepted, and the errors that name what is wrong. */
import * as assert from "assert";
import * as path from "path";
import { checkTopology } from "../../../components/topology/validate";
import { formatIssue } from "../../../components/topology/errors";

const CREDS = "-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QifQ.e30.x\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\nSUAEXAMPLE\n------END USER NKEY SEED------\n";

function problems(decl: unknown): string[] {
  const r = checkTopology(decl);
  return r.ok ? [] : r.issues.map(formatIssue);
}

function withHub(hub: unknown, target = "aws", extra: Record<string, unknown> = {}) {
  return {
    name: "t",
    accounts: { APP: {} },
    clusters: [{ name: "c", target: "aws", region: "us-east-1" }],
    leafnodes: [{ name: "edge", target, ...(target === "aws" ? { region: "us-east-1" } : {}), hub, ...extra }],
  };
}

describe("topology: external hubs", () => {
  it("accepts a hosted-service hub on a leaf node and on a cluster, with a path or the contents", () => {
    const r = checkTopology({
      name: "t",
      accounts: { APP: {} },
      clusters: [{ name: "c", target: "aws", region: "us-east-1", servers: 3, hub: { url: "tls://connect.ngs.global", credentials: CREDS, account: "APP" } }],
      leafnodes: [{ name: "edge", target: "local", hub: { url: ["nats-leaf://a:7422", "nats-leaf://b:7422"], credentials: "ngs.creds" } }],
    });
    assert.ok(r.ok, r.ok ? "" : r.issues.map(formatIssue).join("\n"));
    const [c] = r.topology.clusters;
    assert.deepStrictEqual(c!.externalHub, { urls: ["tls://connect.ngs.global"], credentials: { contents: CREDS }, account: "APP", tls: true, path: ["clusters", 0, "hub"] });
    const [l] = r.topology.leafnodes;
    assert.strictEqual(l!.hub, undefined);
    assert.deepStrictEqual(l!.externalHub, { urls: ["nats-leaf://a:7422", "nats-leaf://b:7422"], credentials: { file: path.resolve("ngs.creds") }, tls: false, path: ["leafnodes", 0, "hub"] });
    // no password for a link whose credentials come from the hub's operator (only the cluster's routes)
    assert.deepStrictEqual(r.topology.secrets.map((s) => s.key), ["route:c"]);
  });

  it("names bad URLs, schemes and paths", () => {
    const got = problems(withHub({ url: ["connect.ngs.global", "http://x:1", "nats-leaf://x:7422/path"] }));
    assert.deepStrictEqual(got, [
      'leafnodes[0].hub.url[0]: "connect.ngs.global" is not a URL (e.g. tls://connect.ngs.global or nats-leaf://hub.example.com:7422)',
      'leafnodes[0].hub.url[1]: "http://x:1": scheme http:// is not a leafnode scheme (use nats-leaf://, nats://, tls://)',
      'leafnodes[0].hub.url[2]: "nats-leaf://x:7422/path": a leafnode URL has no path',
    ]);
  });

  it("wants a whole .creds file, and a path for the local target", () => {
    assert.deepStrictEqual(problems(withHub({ url: "tls://h", credentials: CREDS.split("\n\n")[0] })), [
      "leafnodes[0].hub.credentials: holds a user JWT but no nkey seed block; give the whole .creds file",
    ]);
    assert.deepStrictEqual(problems(withHub({ url: "tls://h", credentials: CREDS }, "local")), [
      "leafnodes[0].hub.credentials: target local reads the .creds file where it lies; give its path instead of its contents",
    ]);
  });

  it("checks the bound account, and keeps caFile to the local target", () => {
    assert.deepStrictEqual(problems(withHub({ url: "tls://h", account: "NOPE", caFile: "/ca.pem" })), [
      'leafnodes[0].hub.account: no account named "NOPE" (known: APP)',
      "leafnodes[0].hub.caFile: is a file on this machine, usable by target local only; aws servers verify the hub against the system's CA roots",
    ]);
    assert.deepStrictEqual(problems(withHub({ url: "tls://h" }, "aws", { account: "APP" })), ["leafnodes[0].account: with an external hub, name the local account in hub.account"]);
  });

  it("rejects what is neither a cluster name nor a hub object", () => {
    assert.deepStrictEqual(problems(withHub(42)), ["leafnodes[0].hub: must be a cluster name or an external hub { url, credentials }"]);
    assert.deepStrictEqual(problems(withHub({ url: "tls://h", user: "x" })), ["leafnodes[0].hub.user: unknown field"]);
  });

  it("requires a system account when clusters with gateways are also leaf nodes", () => {
    const r = checkTopology({
      name: "t",
      clusters: [
        { name: "a", target: "local", hub: { url: "tls://h" } },
        { name: "b", target: "local", ports: { client: 5222, http: 9222, gateway: 7300 } },
      ],
    });
    assert.ok(r.ok);
    assert.strictEqual(r.topology.systemAccount, "SYS");
  });
});
