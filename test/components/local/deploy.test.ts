/**
 * The Pulumi path end to end without the CLI: build the local-super SuperCluster under mocks
 * (ports moved to free ones through the local target's hook), then hand every registered
 * LocalServer's inputs to the dynamic provider, as the engine would, and check that the
 * processes form the super-cluster and carry a message from a cluster to a leaf node.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { connect, NatsConnection, StringCodec } from "nats";
import { installMocks, settle, resolve } from "../mocks";
import { SuperCluster } from "../../../components/supercluster";
import { LocalTarget } from "../../../components/local/target";
import { makeLocalServerProvider, LocalServerInputs, LocalServerOutputs } from "../../../components/local/provider";
import { readDeclaration } from "../../../components/topology/load";
import { getJson } from "../../../components/local/http";
import { freePorts, tempDir, removeDir, pidAlive, killAll, sleep } from "../helpers";

const ROOT = path.resolve(__dirname, "../../..");

/** Inputs as the provider gets them: secrets unwrapped, the serialized provider dropped. */
function providerInputs(inputs: Record<string, any>): LocalServerInputs {
  const { __provider, ...rest } = inputs;
  const config = typeof rest.config === "string" ? rest.config : rest.config.value;
  return { ...rest, config } as LocalServerInputs;
}

describe("local target: the mocked local-super graph, deployed through the provider (nats-server)", function () {
  this.timeout(90000);
  const provider = makeLocalServerProvider();
  let dir: string;
  const created: LocalServerOutputs[] = [];
  const conns: NatsConnection[] = [];

  before(() => {
    dir = tempDir("deploy");
  });
  after(async () => {
    for (const c of conns) await c.close().catch(() => undefined);
    await Promise.all(created.map((o) => provider.delete!(`${o.stateDir}#${o.name}`, o).catch(() => undefined)));
    killAll(created.map((o) => o.pid));
    removeDir(dir);
  });

  it("creates 11 servers that form every route, gateway and leaf link, and deletes them all", async () => {
    const decl = readDeclaration(path.join(ROOT, "stacks", "Pulumi.local-super.yaml")).declaration as Record<string, any>;
    decl.broker = "nats-server";
    const pool = await freePorts(60);
    const target = new LocalTarget({
      stateDir: path.join(dir, "state"),
      ports: (s) => ({
        client: pool.pop()!,
        cluster: s.ports.cluster ? pool.pop()! : 0,
        gateway: s.ports.gateway ? pool.pop()! : 0,
        leafnode: s.ports.leafnode ? pool.pop()! : 0,
        http: s.ports.http ? pool.pop()! : 0,
      }),
    });
    const reg = await installMocks("deploy");
    const sc = new SuperCluster("ls", { topology: decl, targets: { local: target } });
    const clientUrls = await resolve(sc.clientUrls);
    const leafUrls = await resolve(sc.leafnodeUrls);
    const passwords = await resolve(sc.userPasswords);
    const monitors = await resolve(sc.monitorUrls);
    await settle(reg);
    const servers = reg.filter((r) => r.type === "pulumi-nodejs:dynamic:LocalServer").map((r) => providerInputs(r.inputs));
    assert.equal(servers.length, 11);

    const results = await Promise.allSettled(
      servers.map(async (ins) => {
        const check = await provider.check!({} as any, ins);
        assert.deepEqual(check.failures, [], ins.name);
        const r = await provider.create(ins);
        created.push(r.outs as LocalServerOutputs);
      }),
    );
    const failed = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failed, []);

    // links: each cluster server routes to its 2 peers and gateways to the 2 other clusters;
    // each leaf node has its hub connection
    const deadline = Date.now() + 30000;
    let missing: string[] = [];
    do {
      missing = [];
      for (const [name, url] of Object.entries(monitors)) {
        const isLeaf = name.startsWith("factory");
        try {
          if (isLeaf) {
            if ((await getJson<any>(`${url}/leafz`)).leafnodes < 1) missing.push(`${name} leaf`);
          } else {
            if ((await getJson<any>(`${url}/routez`)).num_routes < 2) missing.push(`${name} routes`);
            const out = (await getJson<any>(`${url}/gatewayz`)).outbound_gateways ?? {};
            if (Object.values(out).filter((g: any) => g.connection).length < 2) missing.push(`${name} gateways`);
          }
        } catch (e) {
          missing.push(`${name}: ${(e as Error).message}`);
        }
      }
      if (missing.length) await sleep(200);
    } while (missing.length && Date.now() < deadline);
    assert.deepEqual(missing, []);

    // a message published in west reaches a subscriber on factory-1 (leaf of east): gateway + leaf
    const [user, pass] = ["app", passwords["APP/app"]];
    const sub = await connect({ servers: leafUrls["factory-1"][0], user, pass, reconnect: false });
    conns.push(sub);
    const got = sub.subscribe("deploy.check", { max: 1 });
    await sub.flush();
    const pub = await connect({ servers: clientUrls.west[2], user, pass, reconnect: false });
    conns.push(pub);
    const sc2 = StringCodec();
    const received = (async () => {
      for await (const m of got) return sc2.decode(m.data);
      return undefined;
    })();
    // interest has to propagate over the leaf link and the gateway first
    let value: string | undefined;
    const until = Date.now() + 10000;
    while (value === undefined && Date.now() < until) {
      pub.publish("deploy.check", sc2.encode("across"));
      await pub.flush();
      value = await Promise.race([received, sleep(200).then(() => undefined)]);
    }
    assert.equal(value, "across");

    // delete: every process gone
    const pids = created.map((o) => o.pid);
    await Promise.all(created.map((o) => provider.delete!(`${o.stateDir}#${o.name}`, o)));
    for (const p of pids) assert.ok(!pidAlive(p), `pid ${p} still running after delete`);
  });
});
