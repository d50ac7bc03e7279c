/**
 * `natsfleet plan` through the CLI dispatcher: two files, a file against a git revision,
 * --json, colours, and clear errors (exit 1 for bad input, exit 2 for a bad command line).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { runCaptured } from "../../cli/main";
import { colourWanted } from "../../components/plan/format";
import { tempDir, removeDir } from "../components/helpers";

const FIXTURES = path.resolve(__dirname, "../components/plan/fixtures");
const GOLDEN = path.resolve(__dirname, "../components/plan/golden");

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  return runCaptured(argv, cwd);
}

describe("natsfleet plan (CLI)", function () {
  this.timeout(20000);

  it("two files: the human plan, same as the golden but for the file names", async () => {
    const r = await cli(FIXTURES, "plan", "base.yaml", "remove-leaf.yaml", "--no-color");
    assert.equal(r.code, 0, r.err.join("\n"));
    const expected = fs.readFileSync(path.join(GOLDEN, "remove-leaf.txt"), "utf8").replace(/fixtures\//g, "");
    assert.equal(r.out.join("\n") + "\n", expected);
  });

  it("--json: the whole plan as one JSON document", async () => {
    const r = await cli(FIXTURES, "plan", "base.yaml", "add-cluster.yaml", "--json");
    assert.equal(r.code, 0);
    const plan = JSON.parse(r.out.join("\n"));
    assert.deepEqual(plan.diff.clusters.added, ["north"]);
    assert.equal(plan.before.source, "base.yaml");
    assert.ok(Array.isArray(plan.rollout) && plan.rollout.length > 0);
  });

  it("--color forces ANSI colours; --no-color and NO_COLOR keep them off", async () => {
    const r = await cli(FIXTURES, "plan", "base.yaml", "add-cluster.yaml", "--color");
    assert.ok(r.out.some((l) => l.includes("\u001b[32m  + north")), r.out.join("\n"));
    assert.equal(colourWanted(true, {}), true);
    assert.equal(colourWanted(true, { NO_COLOR: "1" }), false);
    assert.equal(colourWanted(false, {}), false);
    assert.equal(colourWanted(true, { TERM: "dumb" }), false);
  });

  describe("--rev: a stack file against its version at a git revision", () => {
    let repo: string;
    before(() => {
      repo = tempDir("plan-git");
      const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, stdio: "pipe", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e" } });
      git("init", "-q");
      fs.mkdirSync(path.join(repo, "stacks"));
      const stack = (body: string) => `config:\n  natsfleet:topology:\n${body.split("\n").map((l) => (l ? `    ${l}` : l)).join("\n")}`;
      fs.writeFileSync(path.join(repo, "stacks", "Pulumi.prod.yaml"), stack(fs.readFileSync(path.join(FIXTURES, "base.yaml"), "utf8")));
      git("add", ".");
      git("commit", "-q", "-m", "base");
      fs.writeFileSync(path.join(repo, "stacks", "Pulumi.prod.yaml"), stack(fs.readFileSync(path.join(FIXTURES, "add-server.yaml"), "utf8")));
    });
    after(() => removeDir(repo));

    it("compares the working file with HEAD, from any folder", async () => {
      const r = await cli(repo, "plan", "stacks/Pulumi.prod.yaml", "--rev", "HEAD", "--no-color");
      assert.equal(r.code, 0, r.err.join("\n"));
      assert.equal(r.out[1], "  before stacks/Pulumi.prod.yaml@HEAD: 2 cluster(s), 2 leaf node(s), 8 server(s)");
      assert.equal(r.out[2], "  after  stacks/Pulumi.prod.yaml: 2 cluster(s), 2 leaf node(s), 9 server(s)");
      assert.ok(r.out.includes("  + west-3 (cluster west) add"), r.out.join("\n"));
      const inside = await cli(path.join(repo, "stacks"), "plan", "Pulumi.prod.yaml", "--rev", "HEAD", "--json");
      assert.deepEqual(JSON.parse(inside.out.join("\n")).diff.servers.added.map((s: { name: string }) => s.name), ["west-3"]);
    });

    it("an unknown revision or a file not in it is a one-line error, exit 1", async () => {
      const r = await cli(repo, "plan", "stacks/Pulumi.prod.yaml", "--rev", "no-such-rev");
      assert.equal(r.code, 1);
      assert.match(r.err[0]!, /^stacks\/Pulumi\.prod\.yaml@no-such-rev: cannot read it at revision no-such-rev: /);
      fs.writeFileSync(path.join(repo, "stacks", "new.yaml"), fs.readFileSync(path.join(FIXTURES, "base.yaml")));
      const missing = await cli(repo, "plan", "stacks/new.yaml", "--rev", "HEAD");
      assert.equal(missing.code, 1);
      assert.match(missing.err[0]!, /^stacks\/new\.yaml@HEAD: cannot read it at revision HEAD: .*new\.yaml/);
    });
  });

  it("an invalid topology lists its problems with file:line:col, exit 1", async () => {
    const dir = tempDir("plan-bad");
    try {
      fs.writeFileSync(path.join(dir, "bad.yaml"), "name: x\nclusters:\n  - name: a\n    target: moon\n");
      const r = await cli(dir, "plan", path.join(FIXTURES, "base.yaml"), "bad.yaml");
      assert.equal(r.code, 1);
      assert.match(r.err[0]!, /^bad\.yaml:4:5: clusters\[0\]\.target: "moon" is not one of local, aws, gcp, kubernetes$/);
      const none = await cli(dir, "plan", "nope.yaml", "bad.yaml");
      assert.deepEqual([none.code, none.err], [1, ["nope.yaml: cannot read: no such file"]]);
    } finally {
      removeDir(dir);
    }
  });

  it("a wrong command line exits 2 with the reason", async () => {
    const one = await cli(FIXTURES, "plan", "base.yaml");
    assert.equal(one.code, 2);
    assert.match(one.err[0]!, /expected two topology files, <before> <after> \(got 1\), or one with --rev/);
    const both = await cli(FIXTURES, "plan", "--live", "base.yaml", "--rev", "HEAD");
    assert.equal(both.code, 2);
    const mon = await cli(FIXTURES, "plan", "--live", "base.yaml", "--monitor", "nobody=http://127.0.0.1:1");
    assert.deepEqual([mon.code, mon.err], [1, ['natsfleet plan: --monitor nobody=http://127.0.0.1:1: no server named "nobody" in topology fleet']]);
  });
});
