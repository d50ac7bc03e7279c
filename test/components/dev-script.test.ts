/**
 * scripts/dev.js (`npm run dev`) picks the Pulumi CLI when it is on PATH, else the local
 * runner, and says which. Run against a copy in a scratch repo with stand-ins for `pulumi`
 * and bin/natsfleet.js that record how they were called (the real dev stack uses fixed ports).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawn } from "child_process";
import { tempDir, removeDir } from "./helpers";

const SCRIPT = path.resolve(__dirname, "../../scripts/dev.js");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(root: string, env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, "scripts", "dev.js")], { cwd: root, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("npm run dev (scripts/dev.js)", function () {
  this.timeout(20000);
  let root: string;
  let calls: string;

  beforeEach(() => {
    root = tempDir("dev");
    calls = path.join(root, "calls.log");
    fs.mkdirSync(path.join(root, "scripts"));
    fs.copyFileSync(SCRIPT, path.join(root, "scripts", "dev.js"));
    fs.mkdirSync(path.join(root, "stacks"));
    fs.writeFileSync(path.join(root, "stacks", "Pulumi.dev.yaml"), "config: {}\n");
    fs.mkdirSync(path.join(root, "dist", "cli"), { recursive: true });
    fs.writeFileSync(path.join(root, "dist", "index.js"), "");
    fs.writeFileSync(path.join(root, "dist", "cli", "main.js"), "");
    fs.mkdirSync(path.join(root, "bin"));
    fs.writeFileSync(
      path.join(root, "bin", "natsfleet.js"),
      `require("fs").appendFileSync(${JSON.stringify(calls)}, "natsfleet " + process.argv.slice(2).join(" ") + "\\n");\n`,
    );
  });
  afterEach(() => removeDir(root));

  it("with pulumi on PATH: select/create stack dev and pulumi up against a file backend in the repo", async () => {
    const fakeBin = path.join(root, "fakebin");
    fs.mkdirSync(fakeBin);
    const fake = path.join(fakeBin, "pulumi");
    fs.writeFileSync(fake, `#!/bin/sh\necho "pulumi $* | $PULUMI_BACKEND_URL | $PULUMI_CONFIG_PASSPHRASE" >> ${JSON.stringify(calls)}\n`, { mode: 0o755 });
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${fakeBin}${path.delimiter}${process.env.PATH}` };
    delete env.PULUMI_BACKEND_URL;
    delete env.PULUMI_CONFIG_PASSPHRASE;
    delete env.NATSFLEET_DEV_NO_PULUMI;
    const r = await run(root, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dev: using the Pulumi CLI \(.*fakebin\/pulumi\), backend file:\/\/.*\.natsfleet\/state, stack dev/);
    const backend = `file://${path.join(root, ".natsfleet", "state")}`;
    assert.deepEqual(fs.readFileSync(calls, "utf8").trim().split("\n"), [
      `pulumi stack select dev --create --non-interactive | ${backend} | natsfleet-dev`,
      `pulumi up --yes --stack dev --non-interactive | ${backend} | natsfleet-dev`,
    ]);
    assert.ok(fs.statSync(path.join(root, ".natsfleet", "state")).isDirectory());
  });

  it("without pulumi: natsfleet up stacks/Pulumi.dev.yaml, and it says so", async () => {
    const emptyBin = path.join(root, "emptybin");
    fs.mkdirSync(emptyBin);
    const r = await run(root, { ...process.env, PATH: emptyBin });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dev: no Pulumi CLI on PATH; using the local runner: natsfleet up stacks\/Pulumi\.dev\.yaml/);
    assert.equal(fs.readFileSync(calls, "utf8").trim(), `natsfleet up ${path.join(root, "stacks", "Pulumi.dev.yaml")}`);
  });

  it("says what to build when dist/ is missing", async () => {
    fs.rmSync(path.join(root, "dist"), { recursive: true });
    const r = await run(root, { ...process.env, PATH: path.join(root, "nothing") });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /dev: dist\/cli\/main\.js is missing; run `npm run build` first/);
  });
});
