/** Reading topologies from files: the three shapes accepted, and file-level errors with positions. */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadTopology, parseDeclaration, readDeclaration } from "../../../components/topology/load";
import { TopologyError, TopologySourceError } from "../../../components/topology/errors";

const REPO = path.resolve(__dirname, "../../..");

describe("topology files", function () {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-load-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it("reads the dev and local-super stack configs", function () {
    const dev = loadTopology(path.join(REPO, "stacks/Pulumi.dev.yaml"));
    assert.deepStrictEqual(
      dev.clusters.map((c) => c.servers.map((s) => [s.name, s.ports.client, s.ports.http])),
      [[["dev-0", 4222, 8222]]],
    );
    const sup = loadTopology(path.join(REPO, "stacks/Pulumi.local-super.yaml"));
    assert.deepStrictEqual(sup.clusters.map((c) => [c.name, c.servers.length]), [["east", 3], ["west", 3], ["lab", 3]]);
    assert.deepStrictEqual(sup.leafnodes.map((l) => [l.name, l.hub, l.account]), [["factory-1", "east", "APP"], ["factory-2", "west", "APP"]]);
    assert.ok(sup.gateways.enabled);
  });

  it("accepts a bare topology, JSON, and a top-level natsfleet:topology key", function () {
    const bare = write("bare.yaml", "name: t\nclusters:\n  - { name: a, target: local }\n");
    const json = write("t.json", JSON.stringify({ name: "t", clusters: [{ name: "a", target: "local" }] }));
    const keyed = write("keyed.yaml", "natsfleet:topology:\n  name: t\n  clusters: [ { name: a, target: local } ]\n");
    for (const f of [bare, json, keyed]) assert.strictEqual(loadTopology(f).clusters[0]!.servers[0]!.name, "a-0", f);
    assert.deepStrictEqual(readDeclaration(keyed).basePath, ["natsfleet:topology"]);
    assert.deepStrictEqual(readDeclaration(bare).basePath, []);
  });

  it("points each problem at its file, line and column, in file order", function () {
    const f = write(
      "Pulumi.bad.yaml",
      ["config:", "  natsfleet:topology:", "    name: t", "    clusters:", "      - name: a", "        target: local", "      - name: a", "        target: local", "    leafnodes:", "      - { name: l, target: local, hub: b }", ""].join("\n"),
    );
    try {
      loadTopology(f, "Pulumi.bad.yaml");
      assert.fail("should throw");
    } catch (err) {
      assert.ok(err instanceof TopologyError, String(err));
      assert.deepStrictEqual(err.lines(), [
        'Pulumi.bad.yaml:7:9: clusters[1].name: "a" is already used by clusters[0]',
        'Pulumi.bad.yaml:10:35: leafnodes[0].hub: no cluster named "b" (known: a)',
      ]);
    }
  });

  it("an unknown field points at the key itself", function () {
    const f = write("typo.yaml", "name: t\nclusters:\n  - name: a\n    target: local\n    sevrers: 3\n");
    assert.throws(() => loadTopology(f, "typo.yaml"), (err: TopologyError) => err.lines()[0] === "typo.yaml:5:5: clusters[0].sevrers: unknown field");
  });

  it("reports YAML syntax errors with their position", function () {
    assert.throws(
      () => parseDeclaration("name: t\nclusters: [ { name: a\n", "broken.yaml"),
      (err: Error) => err instanceof TopologySourceError && /^broken\.yaml:\d+:\d+: not valid YAML\/JSON: /.test(err.message),
    );
    assert.throws(
      () => parseDeclaration("name: t\nname: u\nclusters: []\n", "dup.yaml"),
      (err: Error) => err instanceof TopologySourceError && /^dup\.yaml:2:1: not valid YAML\/JSON: Map keys must be unique/.test(err.message),
    );
  });

  it("says what is wrong with the file itself", function () {
    assert.throws(() => readDeclaration(path.join(dir, "missing.yaml"), "missing.yaml"), { message: "missing.yaml: cannot read: no such file" });
    assert.throws(() => readDeclaration(dir, "adir"), { message: "adir: cannot read: is a directory" });
    assert.throws(() => parseDeclaration("- a\n- b\n", "list.yaml"), {
      message: "list.yaml: expected a topology (a mapping with name and clusters) or a stack config with natsfleet:topology",
    });
    assert.throws(() => parseDeclaration("config:\n  natsfleet:stateDir: x\n", "Pulumi.x.yaml"), {
      message: 'Pulumi.x.yaml: stack config has no "natsfleet:topology" key under config',
    });
  });
});
