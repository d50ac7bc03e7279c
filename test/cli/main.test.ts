/**
 * The `natsfleet` CLI: dispatch, help, validate and render, their output lines and exit codes.
 * Runs `main` in-process with captured output, plus one real process to check the exit code
 * and that a failure prints no stack trace.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCaptured } from "../../cli/main";
import { loadTopology } from "../../components/topology/load";
import { localAddresses } from "../../components/topology/addresses";
import { render } from "../../components/topology/render";

const REPO = path.resolve(__dirname, "../..");

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function run(argv: string[], cwd = REPO): Promise<Run> {
  return runCaptured(argv, cwd);
}

describe("natsfleet CLI", function () {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-cli-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  describe("dispatch and help", function () {
    it("prints the overview for no arguments, help, --help", async function () {
      for (const argv of [[], ["help"], ["--help"]]) {
        const r = await run(argv);
        assert.strictEqual(r.code, 0);
        const text = r.out.join("\n");
        for (const cmd of ["validate", "render", "up", "down", "status", "help"]) assert.match(text, new RegExp(`^  ${cmd} +\\S`, "m"), `${cmd} listed`);
      }
    });

    it("prints a command's usage with help <command> and <command> --help", async function () {
      for (const argv of [["help", "render"], ["render", "--help"]]) {
        const r = await run(argv);
        assert.strictEqual(r.code, 0);
        assert.match(r.out.join("\n"), /usage: natsfleet render <file> --out <dir>/);
      }
    });

    it("rejects unknown commands with exit 2", async function () {
      const r = await run(["deploy"]);
      assert.strictEqual(r.code, 2);
      assert.deepStrictEqual(r.err, ['natsfleet: unknown command "deploy" (commands: validate, render, up, down, status, plan, help)']);
      const h = await run(["help", "deploy"]);
      assert.strictEqual(h.code, 2);
    });

    it("prints the version", async function () {
      const r = await run(["--version"]);
      assert.strictEqual(r.code, 0);
      assert.match(r.out[0]!, /^natsfleet \d+\.\d+\.\d+/);
    });
  });

  describe("validate", function () {
    it("accepts the stack config files", async function () {
      const r = await run(["validate", "stacks/Pulumi.local-super.yaml"]);
      assert.strictEqual(r.code, 0, r.err.join("\n"));
      assert.deepStrictEqual(r.out, ['stacks/Pulumi.local-super.yaml: topology "local-super" is valid: 3 cluster(s), 2 leaf node(s), 11 server(s), gateways full-mesh']);
      const q = await run(["validate", "--quiet", "stacks/Pulumi.dev.yaml"]);
      assert.deepStrictEqual([q.code, q.out, q.err], [0, [], []]);
    });

    it("prints every problem with file:line:col and exits 1", async function () {
      const f = write(
        "bad.yaml",
        [
          "name: global",
          "clusters:",
          "  - { name: use1, target: aws, region: us-east-1, servers: 3 }",
          "  - { name: euw1, target: gcp, region: europe-west1 }",
          "  - { name: lab, target: local }",
          "  - { name: use1, target: local }",
          "leafnodes:",
          "  - { name: factory-1, target: local, hub: use2 }",
          "",
        ].join("\n"),
      );
      // outside the working directory, so shown as given: absolute
      const r = await run(["validate", f]);
      const shown = f;
      assert.strictEqual(r.code, 1);
      assert.deepStrictEqual(r.out, []);
      assert.deepStrictEqual(r.err, [
        `${shown}:6:7: clusters[3].name: "use1" is already used by clusters[0]`,
        `${shown}:8:39: leafnodes[0].hub: no cluster named "use2" (known: use1, euw1, lab)`,
        "2 problems found",
      ]);
    });

    it("reports an unreadable or broken file in one line, exit 1", async function () {
      const missing = await run(["validate", path.join(dir, "nope.yaml")]);
      assert.deepStrictEqual([missing.code, missing.err], [1, [`${path.join(dir, "nope.yaml")}: cannot read: no such file`]]);
      const broken = write("broken.yaml", "name: [\n");
      const b = await run(["validate", broken]);
      assert.strictEqual(b.code, 1);
      assert.strictEqual(b.err.length, 1);
      assert.match(b.err[0]!, /broken\.yaml:\d+:\d+: not valid YAML\/JSON: /);
    });

    it("needs exactly one file: exit 2 with a pointer to the help", async function () {
      const none = await run(["validate"]);
      assert.deepStrictEqual([none.code, none.err], [2, ["natsfleet validate: missing topology file (see: natsfleet help validate)"]]);
      const two = await run(["validate", "a.yaml", "b.yaml"]);
      assert.deepStrictEqual([two.code, two.err], [2, ["natsfleet validate: expected one topology file, got 2: a.yaml b.yaml (see: natsfleet help validate)"]]);
      const flag = await run(["validate", "--bogus", "a.yaml"]);
      assert.deepStrictEqual([flag.code, flag.err], [2, ["natsfleet validate: Unknown option '--bogus' (see: natsfleet help validate)"]]);
    });
  });

  describe("render", function () {
    it("writes one config per local server, keeping generated secrets for the next run", async function () {
      const out = path.join(dir, "super");
      const r = await run(["render", "stacks/Pulumi.local-super.yaml", "--out", out]);
      assert.strictEqual(r.code, 0, r.err.join("\n"));
      const names = ["east-0", "east-1", "east-2", "west-0", "west-1", "west-2", "lab-0", "lab-1", "lab-2", "factory-1", "factory-2"];
      assert.deepStrictEqual(r.out, names.map((n) => path.join(out, `${n}.conf`)));
      assert.deepStrictEqual(r.err, [`generated 3 secret(s) into ${path.join(out, "secrets.json")}`]);
      const secrets = JSON.parse(fs.readFileSync(path.join(out, "secrets.json"), "utf8")) as Record<string, string>;
      assert.deepStrictEqual(Object.keys(secrets).sort(), ["leaf:factory-1", "leaf:factory-2", "user:APP:app"]);
      for (const v of Object.values(secrets)) assert.match(v, /^[A-Za-z0-9]{32}$/);
      assert.strictEqual(fs.statSync(path.join(out, "secrets.json")).mode & 0o777, 0o600);

      // the files are exactly the renderer's output for those secrets
      const model = loadTopology(path.join(REPO, "stacks/Pulumi.local-super.yaml"));
      const expected = render(model, { addresses: localAddresses(model), secrets });
      for (const n of names) assert.strictEqual(fs.readFileSync(path.join(out, `${n}.conf`), "utf8"), expected[n]);

      // a second run reuses the secrets: same files, nothing generated
      const again = await run(["render", "stacks/Pulumi.local-super.yaml", "--out", out]);
      assert.deepStrictEqual([again.code, again.err], [0, []]);
      for (const n of names) assert.strictEqual(fs.readFileSync(path.join(out, `${n}.conf`), "utf8"), expected[n]);
    });

    it("renders servers of other targets when their addresses are given", async function () {
      const f = write(
        "cloud.yaml",
        ["name: c", "clusters:", "  - { name: use1, target: aws, region: us-east-1, servers: 2 }", "  - { name: lab, target: local }", ""].join("\n"),
      );
      const out = path.join(dir, "cloud");
      const missing = await run(["render", f, "--out", out]);
      assert.strictEqual(missing.code, 1);
      assert.deepStrictEqual(missing.err, ["lab-0 (gateway to use1): no address for server use1-0", "lab-0 (gateway to use1): no address for server use1-1"]);
      assert.ok(!fs.existsSync(out), "nothing written when rendering fails");

      const secretsFile = write("cloud-secrets.json", JSON.stringify({ "route:use1": "r", gateway: "g" }));
      const r = await run(["render", f, "-o", out, "--address", "use1-0=10.0.0.1,use1-0.example.net", "--address", "use1-1=10.0.0.2", "--secrets", secretsFile]);
      assert.strictEqual(r.code, 0, r.err.join("\n"));
      assert.deepStrictEqual(fs.readdirSync(out).sort(), ["lab-0.conf", "use1-0.conf", "use1-1.conf"]);
      const use10 = fs.readFileSync(path.join(out, "use1-0.conf"), "utf8");
      assert.match(use10, /"nats-route:\/\/route:r@10\.0\.0\.2:6222"/);
      assert.match(use10, /advertise: "use1-0\.example\.net:7222"/);
      assert.match(fs.readFileSync(path.join(out, "lab-0.conf"), "utf8"), /"nats:\/\/gateway:g@use1-0\.example\.net:7222"/);
    });

    it("rejects bad arguments with exit 2", async function () {
      const cases: Array<[string[], string]> = [
        [["render", "stacks/Pulumi.dev.yaml"], "natsfleet render: missing --out <dir> (see: natsfleet help render)"],
        [["render", "stacks/Pulumi.dev.yaml", "--out", dir, "--address", "dev-0"], "natsfleet render: --address dev-0: expected <server>=<host>[,<advertise>] (see: natsfleet help render)"],
        [["render", "stacks/Pulumi.dev.yaml", "--out", dir, "--address", "x=1.2.3.4"], 'natsfleet render: --address x=1.2.3.4: no server named "x" (known: dev-0) (see: natsfleet help render)'],
      ];
      for (const [argv, line] of cases) {
        const r = await run(argv);
        assert.deepStrictEqual([r.code, r.err], [2, [line]], argv.join(" "));
      }
    });

    it("says so when there is nothing it can render", async function () {
      const f = write("aws.yaml", "name: c\nclusters:\n  - { name: use1, target: aws, region: us-east-1 }\n");
      const r = await run(["render", f, "--out", path.join(dir, "none")]);
      assert.deepStrictEqual([r.code, r.err], [1, [`${f}: no server on the local target and no --address given: nothing to render`]]);
    });

    it("refuses a secrets file that is not a JSON object of strings", async function () {
      const bad = write("bad-secrets.json", JSON.stringify({ "user:APP:app": 5 }));
      const r = await run(["render", "stacks/Pulumi.local-super.yaml", "--out", path.join(dir, "x"), "--secrets", bad]);
      assert.deepStrictEqual([r.code, r.err], [1, [`${bad}: secret "user:APP:app" must be a string`]]);
    });
  });

  it("as a process: exit code 1 and one line per problem, no stack trace", function () {
    const f = write("proc.yaml", "name: t\nclusters: []\n");
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", `require(${JSON.stringify(path.join(REPO, "cli/main.ts"))}).main(process.argv.slice(1))`, "validate", f], {
      cwd: REPO,
      encoding: "utf8",
      timeout: 60000,
    });
    assert.strictEqual(r.status, 1, r.stderr);
    assert.strictEqual(r.stdout, "");
    assert.strictEqual(r.stderr, `${f}:2:1: clusters: declare at least one cluster\n1 problem found\n`);
  });
});
