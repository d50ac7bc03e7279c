/**
 * The components and the program under Pulumi mocks: the whole registered graph (types,
 * names, inputs, parents) for the dev and local-super stacks, outputs, and a bad topology
 * registering nothing.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as os from "os";
import { spawn } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, settle, resolve, Registered, RANDOM_PASSWORD, mockPassword } from "./mocks";
import { SuperCluster } from "../../components/supercluster";
import { program } from "../../components/program";
import { LocalTarget } from "../../components/local/target";
import { readDeclaration } from "../../components/topology/load";
import { validateTopology } from "../../components/topology/validate";
import { render } from "../../components/topology/render";
import { localAddresses } from "../../components/topology/addresses";
import { TopologyError } from "../../components/topology/errors";
import type { Topology } from "../../components/topology/model";

const ROOT = path.resolve(__dirname, "../..");
const SUPER = "natsfleet:index:SuperCluster";
const CLUSTER = "natsfleet:index:Cluster";
const LEAF = "natsfleet:index:LeafNode";
const SERVER = "pulumi-nodejs:dynamic:LocalServer";
/** The topology record (issue 7), asserted in test/components/plan/topology-resource.test.ts. */
const TOPOLOGY = "pulumi-nodejs:dynamic:Topology";
/** How a secret input reaches the mock monitor. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function stackDeclaration(stack: string): Record<string, any> {
  return readDeclaration(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`)).declaration as Record<string, any>;
}

/** The graph as comparable rows: type, name, custom, and inputs without the provider's code. */
function rows(reg: Registered[]) {
  assert.equal(reg.filter((r) => r.type === TOPOLOGY).length, 1, "one topology record");
  return reg
    .filter((r) => r.type !== TOPOLOGY)
    .map((r) => {
      const { __provider, ...inputs } = r.inputs;
      return { type: r.type, name: r.name, custom: r.custom, inputs, hasProvider: typeof __provider === "string" && __provider.includes("ensureServer") };
    })
    .sort((a, b) => (a.type + a.name).localeCompare(b.type + b.name));
}

/** The config the renderer gives for the local target, with the mocks' passwords. */
function expectedConfigs(model: Topology, scName: string): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const s of model.secrets) secrets[s.key] = s.value ?? mockPassword(`${scName}-${s.key.replace(/[^A-Za-z0-9_-]+/g, "-")}`);
  const listenHosts: Record<string, string> = {};
  for (const name of Object.keys(localAddresses(model))) listenHosts[name] = "127.0.0.1";
  return render(model, { addresses: localAddresses(model), secrets, listenHosts });
}

const secret = (value: string) => ({ [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value });

describe("Pulumi program under mocks", function () {
  this.timeout(60000);
  const stateDir = path.join(os.tmpdir(), "natsfleet-mock-state");

  it("dev stack: one SuperCluster, one Cluster, one LocalServer on 4222/8222", async () => {
    const decl = stackDeclaration("dev");
    const reg = await installMocks("dev", { "natsfleet:topology": JSON.stringify(decl), "natsfleet:stateDir": stateDir });
    const out = program();
    assert.deepEqual(await resolve(out.clientUrls), { dev: ["nats://127.0.0.1:4222"] });
    assert.deepEqual(await resolve(out.leafnodeUrls), {});
    assert.deepEqual(await resolve(out.monitorUrls), { "dev-0": "http://127.0.0.1:8222" });
    assert.deepEqual(await resolve(out.serverNames), ["dev-0"]);
    assert.deepEqual(await resolve(out.userPasswords), {});
    await settle(reg);
    const config = expectedConfigs(validateTopology(decl), "dev")["dev-0"];
    assert.match(config, /listen: "127\.0\.0\.1:4222"/);
    assert.match(config, /http: "127\.0\.0\.1:8222"/);
    assert.deepEqual(rows(reg), [
      {
        type: SERVER,
        name: "dev-dev-dev-0",
        custom: true,
        hasProvider: true,
        inputs: {
          name: "dev-0",
          broker: "natsfleet",
          // no secret went into it, so it stays readable in `pulumi preview --diff`
          config,
          ports: { client: 4222, monitor: 8222 },
          stateDir,
          host: "127.0.0.1",
        },
      },
      { type: CLUSTER, name: "dev-dev", custom: false, hasProvider: false, inputs: {} },
      { type: SUPER, name: "dev", custom: false, hasProvider: false, inputs: {} },
    ].sort((a, b) => (a.type + a.name).localeCompare(b.type + b.name)));
  });

  it("local-super stack: 3 clusters x 3 servers, 2 leaf nodes, generated passwords as secrets", async () => {
    const decl = stackDeclaration("local-super");
    const reg = await installMocks("local-super", { "natsfleet:topology": JSON.stringify(decl), "natsfleet:stateDir": stateDir });
    const out = program();
    const model = validateTopology(decl);
    const urls = await resolve(out.clientUrls);
    assert.deepEqual(Object.keys(urls), ["east", "west", "lab"]);
    // localPorts.base 15000: server k's client port is 15000 + 10k
    assert.deepEqual(urls.east, ["nats://127.0.0.1:15000", "nats://127.0.0.1:15010", "nats://127.0.0.1:15020"]);
    assert.deepEqual(urls.lab, ["nats://127.0.0.1:15060", "nats://127.0.0.1:15070", "nats://127.0.0.1:15080"]);
    assert.deepEqual(await resolve(out.leafnodeUrls), { "factory-1": ["nats://127.0.0.1:15090"], "factory-2": ["nats://127.0.0.1:15100"] });
    const names = await resolve(out.serverNames);
    assert.equal(names.length, 11);
    assert.deepEqual(Object.keys(await resolve(out.monitorUrls)).sort(), [...names].sort());
    assert.equal(await pulumi.isSecret(out.userPasswords), true);
    assert.deepEqual(await resolve(out.userPasswords), { "APP/app": mockPassword("local-super-user-APP-app") });
    await settle(reg);

    const configs = expectedConfigs(model, "local-super");
    const expected: ReturnType<typeof rows> = [];
    for (const g of [...model.clusters, ...model.leafnodes]) {
      expected.push({ type: g.kind === "cluster" ? CLUSTER : LEAF, name: `local-super-${g.name}`, custom: false, hasProvider: false, inputs: {} });
      for (const s of g.servers) {
        const ports: Record<string, number> = { client: s.ports.client };
        if (s.ports.http) ports.monitor = s.ports.http;
        if (s.ports.cluster) ports.cluster = s.ports.cluster;
        if (s.ports.gateway) ports.gateway = s.ports.gateway;
        if (s.ports.leafnode) ports.leafnode = s.ports.leafnode;
        expected.push({
          type: SERVER,
          name: `local-super-${g.name}-${s.name}`,
          custom: true,
          hasProvider: true,
          inputs: { name: s.name, broker: "natsfleet", config: secret(configs[s.name]), ports, stateDir, host: "127.0.0.1" },
        });
      }
    }
    for (const key of ["user-APP-app", "leaf-factory-1", "leaf-factory-2"]) {
      expected.push({ type: RANDOM_PASSWORD, name: `local-super-${key}`, custom: true, hasProvider: false, inputs: { length: 32, special: false } });
    }
    expected.push({ type: SUPER, name: "local-super", custom: false, hasProvider: false, inputs: {} });
    assert.deepEqual(rows(reg), expected.sort((a, b) => (a.type + a.name).localeCompare(b.type + b.name)));

    // facts about the graph that do not lean on the renderer's own output
    const byName = new Map(reg.map((r) => [r.name, r]));
    const east0 = byName.get("local-super-east-east-0")!.inputs;
    assert.deepEqual(east0.ports, { client: 15000, monitor: 15004, cluster: 15001, gateway: 15002, leafnode: 15003 });
    const eastConf: string = east0.config.value;
    for (const p of [15011, 15021]) assert.ok(eastConf.includes(`127.0.0.1:${p}`), `east-0 routes to ${p}`);
    for (const gw of ["west", "lab"]) assert.match(eastConf, new RegExp(`name: "${gw}"`));
    const leafConf: string = byName.get("local-super-factory-1-factory-1")!.inputs.config.value;
    assert.ok(leafConf.includes(mockPassword("local-super-leaf-factory-1")), "leaf uses its generated hub password");
    for (const p of [15003, 15013, 15023]) assert.ok(leafConf.includes(`127.0.0.1:${p}`), `factory-1 dials east's leafnode port ${p}`);
    assert.match(leafConf, /account: "APP"/);
  });

  it("children are parented: SuperCluster > Cluster/LeafNode > LocalServer", async () => {
    // the mock monitor puts only the parent's own type in a URN, so check each level
    const decl = stackDeclaration("local-super");
    const reg = await installMocks("parents");
    const sc = new SuperCluster("ls", { topology: decl, local: { stateDir } });
    const server = sc.clusters.west.servers[1].resources[0];
    assert.equal(await resolve(server.urn), `urn:pulumi:parents::natsfleet::${CLUSTER}$${SERVER}::ls-west-west-1`);
    const leaf = sc.leafnodes["factory-2"].servers[0].resources[0];
    assert.equal(await resolve(leaf.urn), `urn:pulumi:parents::natsfleet::${LEAF}$${SERVER}::ls-factory-2-factory-2`);
    assert.equal(await resolve(sc.clusters.lab.urn), `urn:pulumi:parents::natsfleet::${SUPER}$${CLUSTER}::ls-lab`);
    assert.equal(await resolve(sc.leafnodes["factory-1"].urn), `urn:pulumi:parents::natsfleet::${SUPER}$${LEAF}::ls-factory-1`);
    assert.equal(await resolve(sc.urn), `urn:pulumi:parents::natsfleet::${SUPER}::ls`);
    await resolve(sc.clientUrls);
    await settle(reg);
    assert.ok(reg.every((r) => r.type === SUPER || r.name.startsWith("ls-")), "every child is named after its parent");
  });

  it("the local target's ports hook moves every listener, and configs follow", async () => {
    const decl = stackDeclaration("local-super");
    const reg = await installMocks("moved");
    let next = 40000;
    const target = new LocalTarget({
      stateDir,
      ports: (s) => ({
        client: next++,
        cluster: s.ports.cluster ? next++ : 0,
        gateway: s.ports.gateway ? next++ : 0,
        leafnode: s.ports.leafnode ? next++ : 0,
        http: s.ports.http ? next++ : 0,
      }),
    });
    const sc = new SuperCluster("mv", { topology: decl, targets: { local: target } });
    const urls = await resolve(sc.clientUrls);
    assert.deepEqual(urls.east, ["nats://127.0.0.1:40000", "nats://127.0.0.1:40005", "nats://127.0.0.1:40010"]);
    await settle(reg);
    const east1 = reg.find((r) => r.name === "mv-east-east-1")!.inputs;
    assert.deepEqual(east1.ports, { client: 40005, cluster: 40006, gateway: 40007, leafnode: 40008, monitor: 40009 });
    const conf: string = east1.config.value;
    assert.ok(conf.includes("127.0.0.1:40001") && conf.includes("127.0.0.1:40011"), "routes use the moved cluster ports");
    assert.ok(!/:1500\d/.test(conf), "no stack-file port left in the config");
  });

  describe("a bad topology registers nothing", () => {
    const bad = {
      name: "bad",
      clusters: [
        { name: "use1", target: "local", servers: 1 },
        { name: "use1", target: "local", servers: 1 },
      ],
      leafnodes: [{ name: "f1", target: "local", hub: "use2" }],
    };

    it("SuperCluster throws the path-naming TopologyError before registering", async () => {
      const reg = await installMocks("bad");
      assert.throws(
        () => new SuperCluster("bad", { topology: bad, local: { stateDir } }),
        (e: Error) => {
          assert.ok(e instanceof TopologyError);
          assert.match(e.message, /clusters\[1\]\.name: "use1" is already used by clusters\[0\]/);
          assert.match(e.message, /leafnodes\[0\]\.hub: no cluster named "use2" \(known: use1/);
          return true;
        },
      );
      await settle(reg);
      assert.deepEqual(reg, []);
    });

    it("the program fails the same way from stack config", async () => {
      const reg = await installMocks("bad", { "natsfleet:topology": JSON.stringify(bad) });
      assert.throws(
        () => program(),
        (e: Error) => {
          // a RunError: Pulumi shows the message without a stack trace
          assert.ok(e instanceof pulumi.RunError, String(e));
          assert.match(e.message, /^natsfleet:topology of stack bad: invalid topology \(2 problems\)/);
          assert.match(e.message, /clusters\[1\]\.name: "use1" is already used by clusters\[0\]/);
          return true;
        },
      );
      await settle(reg);
      assert.deepEqual(reg, []);
    });

    it("a target the given registry lacks fails naming the path, before any resource", async () => {
      const reg = await installMocks("aws");
      const topology = { name: "cloud", clusters: [{ name: "lab", target: "local" }, { name: "use1", target: "aws", region: "us-east-1", servers: 3 }] };
      // the default registry has every kind now (issue 6): a registry of local alone lacks aws
      assert.throws(
        () => new SuperCluster("cloud", { topology, targets: { local: new LocalTarget({ stateDir }) } }),
        /clusters\[1\]\.target: target "aws" is not available here \(available: local\)/,
      );
      await settle(reg);
      assert.deepEqual(reg, []);
    });

    it("a missing natsfleet:topology names the key", async () => {
      const reg = await installMocks("empty", {});
      assert.throws(() => program(), /natsfleet:topology/);
      await settle(reg);
      assert.deepEqual(reg, []);
    });
  });

  it("preview registers the same graph as up", async () => {
    const decl = stackDeclaration("local-super");
    const config = { "natsfleet:topology": JSON.stringify(decl), "natsfleet:stateDir": stateDir };
    const names = (reg: Registered[]) => reg.map((r) => `${r.type} ${r.name}`).sort();
    const up = await installMocks("local-super", config);
    program();
    await settle(up, 100);
    const preview = await installMocks("local-super", config, true);
    program();
    await settle(preview, 100);
    assert.equal(preview.length, 21);
    assert.deepEqual(names(preview), names(up));
  });

  it("secrets whose keys flatten to the same resource name still get distinct RandomPasswords", async () => {
    const reg = await installMocks("clash");
    const topology = {
      name: "clash",
      accounts: { A: { users: [{ user: "b-c" }] }, "A-b": { users: [{ user: "c" }] } },
      clusters: [{ name: "one", target: "local" }],
    };
    const sc = new SuperCluster("clash", { topology, local: { stateDir } });
    const pw = await resolve(sc.userPasswords);
    await settle(reg);
    const names = reg.filter((r) => r.type === RANDOM_PASSWORD).map((r) => r.name).sort();
    assert.equal(names.length, 2);
    assert.notEqual(names[0], names[1]);
    for (const n of names) assert.match(n, /^clash-user-A-b-c-[0-9a-f]{8}$/);
    assert.notEqual(pw["A/b-c"], pw["A-b/c"]);
  });

  it("without natsfleet:stateDir the servers live in .natsfleet/<stack> under the working folder", async () => {
    const reg = await installMocks("dev", { "natsfleet:topology": JSON.stringify(stackDeclaration("dev")) });
    const out = program();
    await resolve(out.clientUrls);
    await settle(reg);
    const server = reg.find((r) => r.type === SERVER)!;
    assert.equal(server.inputs.stateDir, path.resolve(".natsfleet", "dev"));
  });

  it("index.ts, the real entry point, exports the outputs (run in a child process)", async () => {
    const decl = stackDeclaration("dev");
    const script = `
      const { installMocks, resolve, settle } = require(${JSON.stringify(path.join(__dirname, "mocks.ts"))});
      (async () => {
        const reg = await installMocks("dev", { "natsfleet:topology": ${JSON.stringify(JSON.stringify(decl))}, "natsfleet:stateDir": "/tmp/x" });
        const m = require(${JSON.stringify(path.join(ROOT, "index.ts"))});
        const out = {};
        for (const k of Object.keys(m).sort()) out[k] = await resolve(m[k]);
        await settle(reg);
        console.log(JSON.stringify({ out, types: reg.map((r) => r.type).sort() }));
      })().catch((e) => { console.error(e.message); process.exit(1); });`;
    const child = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), "-e", script], {
      cwd: ROOT,
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? -1)));
    assert.equal(code, 0, stderr);
    const { out, types } = JSON.parse(stdout.trim().split("\n").pop()!);
    assert.deepEqual(out, {
      clientUrls: { dev: ["nats://127.0.0.1:4222"] },
      leafnodeUrls: {},
      monitorUrls: { "dev-0": "http://127.0.0.1:8222" },
      serverNames: ["dev-0"],
      userPasswords: {},
    });
    assert.deepEqual(types, [CLUSTER, SUPER, SERVER, TOPOLOGY].sort());
  });
});
