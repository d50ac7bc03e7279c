/**
 * docs/evolution.md is generated from the evolution stacks and `natsfleet plan`: it must be
 * current, each step must be a small change from the one before, and the plans must say what
 * the guide's text promises (servers kept in place, a hosted leaf node touching no cluster).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { GUIDE, STEPS, evolutionGuide } from "../../scripts/evolution-guide";
import { unifiedDiff } from "../../scripts/unified-diff";
import { loadTopology } from "../../components/topology/load";
import { readDeclaration } from "../../components/topology/load";
import { planChange } from "../../components/plan/plan";
import { productionClusters } from "../../components/plan/normalize";

const ROOT = path.resolve(__dirname, "../..");
const file = (stack: string) => path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`);
const side = (stack: string) => ({ model: loadTopology(file(stack)), production: productionClusters(readDeclaration(file(stack)).declaration) });

describe("docs/evolution.md", function () {
  this.timeout(30000);

  it("is what scripts/evolution-guide.ts generates (run `npm run docs:evolution` after changing a step)", async () => {
    const expected = await evolutionGuide();
    const committed = fs.readFileSync(GUIDE, "utf8");
    if (committed !== expected) {
      assert.fail(`docs/evolution.md is stale; run \`npm run docs:evolution\`:\n${unifiedDiff(committed, expected, "committed", "generated")}`);
    }
  });

  it("has five steps, each a valid stack and a small diff from the one before", () => {
    assert.equal(STEPS.length, 5);
    for (const [i, step] of STEPS.entries()) {
      loadTopology(file(step.stack)); // throws, naming the stack and path, when invalid
      if (i === 0) continue;
      const diff = unifiedDiff(fs.readFileSync(file(STEPS[i - 1]!.stack), "utf8"), fs.readFileSync(file(step.stack), "utf8"), "a", "b");
      const config = diff.split("\n").filter((l) => /^[-+]\s/.test(l) && !/^[-+]\s*#/.test(l));
      assert.ok(config.length > 0 && config.length <= 40, `${step.stack}: ${config.length} changed config lines`);
    }
  });

  it("the plans keep servers in place where the guide says so", () => {
    const [dev, region, backbone, supercluster, hosted] = STEPS.map((s) => s.stack) as [string, string, string, string, string];
    const action = (p: ReturnType<typeof planChange>, server: string) => p.servers.find((s) => s.name === server)?.action;

    // 1 -> 2: the dev server is replaced (local -> aws); the others are new
    const p12 = planChange(side(dev), side(region));
    assert.deepEqual([action(p12, "core-0"), action(p12, "core-1"), action(p12, "core-2")], ["replace", "add", "add"]);

    // 2 -> 3: the core cluster opens a leafnode listener (a restart), the regions are new
    const p23 = planChange(side(region), side(backbone));
    assert.deepEqual(p23.diff.leafLinks.added.sort(), ["ap -> core", "eu -> core"]);
    assert.ok(["core-0", "core-1", "core-2"].every((s) => action(p23, s) === "restart"));

    // 3 -> 4: leaf clusters become gateway peers; no server is replaced
    const p34 = planChange(side(backbone), side(supercluster));
    assert.deepEqual(p34.diff.gateways.added.sort(), ["ap <-> core", "ap <-> eu", "core <-> eu"]);
    assert.ok(p34.servers.every((s) => s.action === "restart"), p34.servers.map((s) => `${s.name} ${s.action}`).join(", "));

    // 4 -> 5: the hosted leaf node is added and no cluster server changes
    const p45 = planChange(side(supercluster), side(hosted));
    assert.deepEqual(p45.diff.leafLinks.added, ["shop-1 -> tls://connect.ngs.global"]);
    assert.deepEqual(p45.servers.filter((s) => s.action !== "unchanged").map((s) => `${s.name} ${s.action}`), ["shop-1 add"]);
  });
});
