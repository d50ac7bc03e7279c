/**
 * The topology record behind `pulumi preview --diff`: every SuperCluster registers one, its
 * inputs are the normalized topology (keyed by name, no secret values) and the addresses, it
 * is known in a preview, and its provider reports a change exactly when the topology changed
 * while creating and updating nothing.
 */
import { strict as assert } from "assert";
import * as os from "os";
import * as path from "path";
import { installMocks, settle } from "../mocks";
import { SuperCluster } from "../../../components/supercluster";
import { readDeclaration } from "../../../components/topology/load";
import { TOPOLOGY_RESOURCE_TYPE, topologyProvider, TopologyResourceInputs } from "../../../components/topology-resource";

const FIXTURES = path.join(__dirname, "fixtures");
const stateDir = path.join(os.tmpdir(), "natsfleet-topology-resource");

function decl(file: string): Record<string, any> {
  return readDeclaration(path.join(FIXTURES, file)).declaration as Record<string, any>;
}

async function record(topology: unknown, preview = false): Promise<TopologyResourceInputs> {
  const reg = await installMocks("topo", {}, preview);
  new SuperCluster("fleet", { topology, local: { stateDir } });
  await settle(reg);
  const found = reg.filter((r) => r.type === TOPOLOGY_RESOURCE_TYPE);
  assert.equal(found.length, 1);
  assert.equal(found[0]!.name, "fleet-topology");
  const { __provider, ...inputs } = found[0]!.inputs;
  assert.ok(String(__provider).includes("topology-"), "the no-op provider is serialized with it");
  return inputs as TopologyResourceInputs;
}

describe("TopologyResource (what pulumi preview --diff shows)", function () {
  this.timeout(30000);

  it("inputs: the normalized topology keyed by name, and every server's address", async () => {
    const r = await record(decl("base.yaml"));
    assert.deepEqual(Object.keys(r.topology.clusters), ["east", "west"]);
    assert.deepEqual(Object.keys(r.topology.clusters.east!.servers), ["east-0", "east-1", "east-2"]);
    assert.deepEqual(r.topology.clusters.west!.servers["west-1"], { index: 1, ports: { client: 14011, cluster: 14111, gateway: 14211, leafnode: 14311, http: 14411 } });
    assert.deepEqual(r.topology.leafnodes["shop-1"]!.hub, "east");
    assert.deepEqual(r.topology.accounts.APP!.users.app, { password: "generated" });
    assert.deepEqual(r.addresses["shop-2"], { host: "127.0.0.1", advertise: "127.0.0.1" });
    assert.ok(!JSON.stringify(r).includes("pw"), "no password value in the record");
  });

  it("is fully known in a preview, so the diff shows values, not unknowns", async () => {
    const r = await record(decl("base.yaml"), true);
    assert.deepEqual(Object.keys(r.topology.clusters), ["east", "west"]);
    assert.equal(r.addresses["east-0"]!.host, "127.0.0.1");
  });

  it("production flags and declared password kinds are recorded (the policies read them)", async () => {
    const d = decl("base.yaml");
    d.clusters[0].production = true;
    d.accounts.APP.users[0].password = "plain-text";
    const r = await record(d);
    assert.deepEqual([r.topology.clusters.east!.production, r.topology.clusters.west!.production], [true, false]);
    assert.equal(r.topology.accounts.APP!.users.app!.password, "plain");
    assert.ok(!JSON.stringify(r).includes("plain-text"));
  });

  it("the provider: a change exactly when the topology or addresses change; create and update hand the inputs back", async () => {
    const before = await record(decl("base.yaml"));
    const same = await record(decl("base.yaml"));
    const after = await record(decl("add-server.yaml"));
    assert.deepEqual(await topologyProvider.diff!("id", before, same), { changes: false });
    assert.deepEqual(await topologyProvider.diff!("id", before, after), { changes: true });
    const created = await topologyProvider.create(before);
    assert.deepEqual(created, { id: "topology-fleet", outs: before });
    assert.deepEqual(await topologyProvider.update!("topology-fleet", before, after), { outs: after });
    const bad = await topologyProvider.check!({}, { topology: {} } as never);
    assert.deepEqual(bad.failures, [{ property: "topology", reason: "must be a normalized topology with a name" }]);
  });
});
