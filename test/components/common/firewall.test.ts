/** The platform-neutral firewall model: the minimal rule set per role, and CIDR checks. */
import { strict as assert } from "assert";
import { firewallRules, hostCidr, cidrProblems, FirewallRule } from "../../../components/common/firewall";
import { validateTopology } from "../../../components/topology/validate";

const model = validateTopology({
  name: "fw",
  clusters: [
    { name: "a", target: "aws", region: "us-east-1", servers: 3 },
    { name: "b", target: "gcp", region: "europe-west1", servers: 1 },
  ],
  leafnodes: [{ name: "l", target: "aws", region: "us-east-1", hub: "a", servers: 2 }],
});
const addresses = Object.fromEntries(
  ["a-0", "a-1", "a-2", "b-0", "l-0", "l-1"].map((s, i) => [s, { host: `10.0.0.${i + 1}`, advertise: `198.51.100.${i + 1}` }]),
);
const show = (rs: FirewallRule[]) =>
  rs.map((r) => `${r.listener}:${r.port} ${r.source.kind === "cidrs" ? r.source.cidrs.join(",") : r.source.kind === "group" ? "self" : r.source.servers.map((s) => `${s.name}@${s.address}`).join(",")}`);

describe("firewall model", () => {
  it("opens clients and leaf nodes to allowedCidrs, routes to the group, gateways to the other clusters", () => {
    const policy = { allowedCidrs: ["203.0.113.0/24"] };
    assert.deepEqual(show(firewallRules(model, model.clusters[0]!, addresses, policy)), [
      "client:4222 203.0.113.0/24",
      "leafnode:7422 203.0.113.0/24",
      "cluster:6222 self",
      "gateway:7222 b-0@198.51.100.4",
    ]);
    // one server: no route port; not a hub: no leaf port
    assert.deepEqual(show(firewallRules(model, model.clusters[1]!, addresses, policy)), ["client:4222 203.0.113.0/24", "gateway:7222 a-0@198.51.100.1,a-1@198.51.100.2,a-2@198.51.100.3"]);
    // a leaf node: clients and its own routes only
    assert.deepEqual(show(firewallRules(model, model.leafnodes[0]!, addresses, policy)), ["client:4222 203.0.113.0/24", "cluster:6222 self"]);
  });

  it("opens nothing to the outside without allowedCidrs, and monitoring only when asked", () => {
    assert.deepEqual(show(firewallRules(model, model.clusters[0]!, addresses, { allowedCidrs: [] })), ["cluster:6222 self", "gateway:7222 b-0@198.51.100.4"]);
    const withMonitor = firewallRules(model, model.clusters[1]!, addresses, { allowedCidrs: [], monitorCidrs: ["10.0.0.0/8"] });
    assert.deepEqual(show(withMonitor), ["gateway:7222 a-0@198.51.100.1,a-1@198.51.100.2,a-2@198.51.100.3", "http:8222 10.0.0.0/8"]);
  });

  it("refuses public monitoring and malformed CIDRs, naming the entry", () => {
    assert.throws(() => firewallRules(model, model.clusters[0]!, addresses, { allowedCidrs: [], monitorCidrs: ["0.0.0.0/0"] }), /monitorCidrs\[0\]: 0\.0\.0\.0\/0 would make the port public/);
    assert.deepEqual(cidrProblems(["10.0.0.0/8", "10.0.0.0", "300.1.1.1/8", "::/0", "10.0.0.0/33"], "x", true), [
      'x[1]: "10.0.0.0" is not a CIDR (e.g. "203.0.113.0/24")',
      'x[2]: "300.1.1.1/8" is not a CIDR (e.g. "203.0.113.0/24")',
      'x[4]: "10.0.0.0/33" is not a CIDR (e.g. "203.0.113.0/24")',
    ]);
    assert.deepEqual(cidrProblems("10.0.0.0/8", "y", true), ['y: expected a list of CIDRs like "203.0.113.0/24", got "10.0.0.0/8"']);
    assert.throws(() => firewallRules(model, model.clusters[0]!, { "a-0": addresses["a-0"]! }, { allowedCidrs: [] }), /no address for server b-0 of cluster b/);
  });

  it("turns single addresses into host CIDRs", () => {
    assert.equal(hostCidr("198.51.100.7"), "198.51.100.7/32");
    assert.equal(hostCidr("[2001:db8::1]"), "2001:db8::1/128");
  });
});
