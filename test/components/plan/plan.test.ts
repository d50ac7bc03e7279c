/**
 * `natsfleet plan`'s core: golden outputs for the four changes people make most (add a
 * cluster, add a server, remove a leaf node, rename a cluster), the per-server rules
 * (reload/restart/replace), and the rollout's quorum guarantee over many random changes.
 *
 * Goldens live in golden/<case>.txt (human, no colour) and golden/<case>.json; after a
 * deliberate change, regenerate them with UPDATE_GOLDEN=1 and review the diff.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { readDeclaration, validateLoaded } from "../../../components/topology/load";
import { validateTopology } from "../../../components/topology/validate";
import { productionClusters } from "../../../components/plan/normalize";
import { planChange, PlanSide, TopologyPlan } from "../../../components/plan/plan";
import { formatPlan } from "../../../components/plan/format";
import { quorumViolations, planRollout } from "../../../components/plan/rollout";
import { serverImpacts } from "../../../components/plan/impact";

const FIXTURES = path.join(__dirname, "fixtures");
const GOLDEN = path.join(__dirname, "golden");

function side(file: string): PlanSide {
  const loaded = readDeclaration(path.join(FIXTURES, file), `fixtures/${file}`);
  return { model: validateLoaded(loaded, `fixtures/${file}`), production: productionClusters(loaded.declaration), source: `fixtures/${file}` };
}

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) fs.writeFileSync(file, actual);
  assert.equal(actual, fs.readFileSync(file, "utf8"), `golden ${name} differs (UPDATE_GOLDEN=1 regenerates it)`);
}

function actions(plan: TopologyPlan): Record<string, string> {
  return Object.fromEntries(plan.servers.map((s) => [s.name, s.action]));
}

describe("natsfleet plan: topology changes", () => {
  const cases = ["add-cluster", "add-server", "remove-leaf", "rename-cluster"];
  for (const c of cases) {
    it(`golden: ${c}`, () => {
      const plan = planChange(side("base.yaml"), side(`${c}.yaml`));
      golden(`${c}.txt`, formatPlan(plan, false).join("\n") + "\n");
      golden(`${c}.json`, JSON.stringify(plan, null, 2) + "\n");
      assert.deepEqual(quorumViolations(plan.rollout), []);
    });
  }

  it("add a cluster: three new servers, gateways to it, existing clusters reload (no restart)", () => {
    const plan = planChange(side("base.yaml"), side("add-cluster.yaml"));
    assert.deepEqual(plan.diff.clusters.added, ["north"]);
    assert.deepEqual(plan.diff.gateways.added, ["east <-> north", "north <-> west"]);
    const a = actions(plan);
    for (const s of ["east-0", "east-1", "east-2", "west-0", "west-1", "west-2"]) assert.equal(a[s], "reload");
    for (const s of ["north-0", "north-1", "north-2"]) assert.equal(a[s], "add");
    assert.equal(a["shop-1"], "unchanged");
    assert.deepEqual(plan.warnings, []);
  });

  it("add a server: its cluster's routes reload, the other cluster's gateway list reloads", () => {
    const plan = planChange(side("base.yaml"), side("add-server.yaml"));
    assert.deepEqual(plan.diff.servers.added, [{ name: "west-3", group: "west", groupKind: "cluster" }]);
    const west0 = plan.servers.find((s) => s.name === "west-0")!;
    assert.deepEqual([west0.action, west0.configChanges], ["reload", ["cluster"]]);
    assert.deepEqual(plan.rollout[0]!.tasks.map((t) => `${t.op} ${t.server}`), ["start west-3"]);
  });

  it("remove a leaf node: the hub closes its leafnode listener (a restart each, one at a time), the leaf stops first", () => {
    const plan = planChange(side("base.yaml"), side("remove-leaf.yaml"));
    assert.deepEqual(plan.diff.leafnodes.removed, ["shop-2"]);
    assert.deepEqual(plan.diff.leafLinks.removed, ["shop-2 -> west"]);
    const flat = plan.rollout.map((s) => s.tasks.map((t) => `${t.op} ${t.server}`).join(", "));
    assert.deepEqual(flat, ["stop shop-2", "restart west-0", "restart west-1", "restart west-2"]);
    assert.match(plan.servers.find((s) => s.name === "west-1")!.reasons.join(), /leafnode port closed \(was 14311\)/);
  });

  it("rename a cluster: a new cluster and a removed one, flagged, with the leaf node following", () => {
    const plan = planChange(side("base.yaml"), side("rename-cluster.yaml"));
    assert.deepEqual(plan.diff.renames, [{ from: "east", to: "central" }]);
    assert.deepEqual(plan.warnings.map((w) => w.code), ["cluster-renamed", "hub-removed", "port-shift"]);
    // the new servers take the old ones' ports: each old server stops before its successor starts
    const flat = plan.rollout.map((s) => s.tasks.map((t) => `${t.op} ${t.server}`).join(", "));
    assert.deepEqual(flat.slice(0, 6), ["stop east-0", "start central-0", "stop east-1", "start central-1", "stop east-2", "start central-2"]);
  });

  it("warnings: a hub removed with its leaf node moved elsewhere, a cluster shrinking below 3, a one-server cluster restarting", () => {
    const before = validateTopology({
      name: "w",
      clusters: [
        { name: "a", target: "local", servers: 3, ports: { client: 22000, cluster: 22100, gateway: 22200, leafnode: 22300, http: 22400 } },
        { name: "b", target: "local", servers: 1, ports: { client: 22010, gateway: 22210, leafnode: 22310, http: 22410 } },
        { name: "c", target: "local", servers: 1, broker: "natsfleet", ports: { client: 22020, gateway: 22220, http: 22420 } },
      ],
      leafnodes: [{ name: "l", target: "local", hub: "b", ports: { client: 22050, http: 22450 } }],
    });
    const after = validateTopology({
      name: "w",
      clusters: [
        { name: "a", target: "local", servers: 2, ports: { client: 22000, cluster: 22100, gateway: 22200, leafnode: 22300, http: 22400 } },
        { name: "c", target: "local", servers: 1, broker: "nats-server", ports: { client: 22020, gateway: 22220, http: 22420 } },
      ],
      leafnodes: [{ name: "l", target: "local", hub: "a", ports: { client: 22050, http: 22450 } }],
    });
    const plan = planChange({ model: before }, { model: after });
    assert.deepEqual(plan.diff.renames, []);
    assert.deepEqual(
      plan.warnings.map((w) => w.message),
      [
        "removing cluster b, hub of leaf node(s) l: l moves to hub a; their connections drop while b's servers go",
        "cluster a shrinks from 3 to 2 server(s): below 3, losing one more server loses the cluster's quorum",
        // a becomes l's hub: opening its leafnode listener restarts both remaining servers
        "cluster a has 2 server(s): while a-0, a-1 restart, it has no majority up",
        "cluster c has 1 server(s): while c-0 restarts, it has no majority up (its clients are cut off)",
      ],
    );
    assert.deepEqual(quorumViolations(plan.rollout), []);
  });

  it("no change: an empty plan", () => {
    const plan = planChange(side("base.yaml"), side("base.yaml"));
    assert.equal(plan.empty, true);
    assert.deepEqual(plan.rollout, []);
    assert.deepEqual(formatPlan(plan).slice(-1), ["No changes: every server keeps its config."]);
  });

  it("colours only when asked", () => {
    const plan = planChange(side("base.yaml"), side("remove-leaf.yaml"));
    assert.ok(!formatPlan(plan, false).join("\n").includes("\u001b["));
    const coloured = formatPlan(plan, true).join("\n");
    assert.ok(coloured.includes("\u001b[31m  - shop-2\u001b[0m"), "removed items in red");
  });
});

describe("natsfleet plan: per-server rules", () => {
  const base = { name: "r", clusters: [{ name: "a", target: "local", servers: 3, ports: { client: 20000, cluster: 20100, gateway: 20200, http: 20400 } }, { name: "b", target: "local", servers: 1, ports: { client: 20010, gateway: 20210, http: 20410 } }] };
  const impacts = (before: unknown, after: unknown) => Object.fromEntries(serverImpacts(validateTopology(before), validateTopology(after)).map((i) => [i.name, i]));

  it("a gateway change is a reload for our broker and a restart for nats-server", () => {
    const withC = (broker: string) => ({ ...base, broker, clusters: [...base.clusters, { name: "c", target: "local", ports: { client: 20020, gateway: 20220, http: 20420 } }] });
    assert.equal(impacts({ ...base, broker: "natsfleet" }, withC("natsfleet"))["a-0"]!.action, "reload");
    const ns = impacts({ ...base, broker: "nats-server" }, withC("nats-server"))["a-0"]!;
    assert.equal(ns.action, "restart");
    assert.deepEqual(ns.reasons, ["nats-server cannot reload gateway changes"]);
  });

  it("nats-server restarts for a hub's new leaf user and a new system account; our broker reloads", () => {
    const hub = (broker: string, leaves: string[]) => ({
      name: "h",
      broker,
      clusters: [
        { name: "a", target: "local", ports: { client: 23000, gateway: 23200, leafnode: 23300, http: 23400 } },
        { name: "b", target: "local", ports: { client: 23010, gateway: 23210, leafnode: 23310, http: 23410 } },
      ],
      leafnodes: leaves.map((l, i) => ({ name: l, target: "local", hub: "a", ports: { client: 23050 + i, http: 23450 + i } })),
    });
    const ns = impacts(hub("nats-server", ["l1"]), hub("nats-server", ["l1", "l2"]));
    assert.deepEqual([ns["a-0"]!.action, ns["a-0"]!.reasons], ["restart", ["nats-server cannot reload leafnode changes"]]);
    assert.equal(impacts(hub("natsfleet", ["l1"]), hub("natsfleet", ["l1", "l2"]))["a-0"]!.action, "reload");
    // gateways plus a first leaf node bring in the system account
    const sys = impacts(hub("nats-server", []), hub("nats-server", ["l1"]))["b-0"]!;
    assert.deepEqual([sys.action, sys.reasons], ["restart", ["nats-server cannot reload the system account"]]);
  });

  it("ports, host and broker changes restart; user changes reload", () => {
    const moved = { ...base, clusters: [{ ...base.clusters[0], ports: { ...base.clusters[0]!.ports, client: 21000 } }, base.clusters[1]] };
    assert.deepEqual(impacts(base, moved)["a-1"]!.reasons, ["client port 20001 -> 21001"]);
    const host = { ...base, clusters: [base.clusters[0], { ...base.clusters[1], local: { host: "127.0.0.2" } }] };
    assert.equal(impacts(base, host)["b-0"]!.action, "restart");
    const broker = { ...base, clusters: [base.clusters[0], { ...base.clusters[1], broker: "nats-server" }] };
    assert.deepEqual(impacts(base, broker)["b-0"]!.reasons, ["broker natsfleet -> nats-server"]);
    const users = { ...base, accounts: { APP: { users: [{ user: "u" }] } } };
    const i = impacts(base, users)["a-0"]!;
    assert.deepEqual([i.action, i.configChanges], ["reload", ["accounts"]]);
  });

  it("a changed cloud placement replaces the server", () => {
    const cloud = (instanceType: string) => ({ name: "c", clusters: [{ name: "use1", target: "aws", region: "us-east-1", servers: 3, aws: { instanceType } }] });
    const i = impacts(cloud("t3.small"), cloud("t3.large"))["use1-2"]!;
    assert.deepEqual([i.action, i.reasons], ["replace", ['target.instanceType "t3.small" -> "t3.large"']]);
  });
});

describe("natsfleet plan: the rollout keeps every cluster's quorum", () => {
  /** Small deterministic PRNG (mulberry32): the same random changes every run. */
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function randomTopology(r: () => number, names: string[]): Record<string, unknown> {
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
    const clusters = names.filter(() => r() < 0.8).map((name) => ({ name, target: "local", broker: pick(["natsfleet", "nats-server"]), servers: 1 + Math.floor(r() * 5) }));
    if (clusters.length === 0) clusters.push({ name: names[0]!, target: "local", broker: "natsfleet", servers: 3 });
    const leafnodes = ["l1", "l2"].filter(() => r() < 0.5).map((name) => ({ name, target: "local", hub: pick(clusters).name }));
    return { name: "rand", clusters, gateways: pick(["full-mesh", "none"]), leafnodes, localPorts: { base: pick([20000, 30000]) } };
  }

  it("over 300 random changes: no step takes two servers of one cluster down, every change is scheduled once, port hand-overs in order", () => {
    const r = rng(7);
    let disruptive = 0;
    for (let i = 0; i < 300; i++) {
      const names = ["a", "b", "c", "d"];
      const before = validateTopology(randomTopology(r, names));
      const after = validateTopology(randomTopology(r, names));
      const impacts = serverImpacts(before, after);
      const { steps, cycles } = planRollout(impacts);
      assert.deepEqual(quorumViolations(steps), [], `case ${i}`);
      // independently of quorumViolations: per step, per group, at most one task
      for (const s of steps) {
        const groups = s.tasks.map((t) => `${t.groupKind}:${t.group}`);
        assert.equal(new Set(groups).size, groups.length, `case ${i} step ${s.step} has two tasks of one group`);
        for (const t of s.tasks) if (t.down) assert.match(t.actions[0]!, /^lame duck/, `case ${i}: ${t.server} goes down without lame duck`);
      }
      const scheduled = steps.flatMap((s) => s.tasks.map((t) => t.server)).sort();
      assert.deepEqual(scheduled, impacts.filter((x) => x.action !== "unchanged").map((x) => x.name).sort(), `case ${i}`);
      const stepOf = new Map(steps.flatMap((s) => s.tasks.map((t) => [t.server, s.step] as const)));
      for (const s of steps) for (const t of s.tasks) for (const d of t.after ?? []) if (!cycles.some((c) => c.includes(d))) assert.ok(stepOf.get(d)! < s.step, `case ${i}: ${t.server} before ${d} frees its port`);
      disruptive += steps.filter((s) => s.tasks.some((t) => t.down)).length;
    }
    // the random changes did exercise restarts and stops
    assert.ok(disruptive > 300, `only ${disruptive} disruptive steps`);
  });
});
