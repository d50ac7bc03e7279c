/**
 * The pack itself: `policies/index.ts` constructs the PolicyPack (which checks policy names,
 * enforcement levels and config schemas, reads policies/package.json, and starts the analyzer's
 * gRPC server, printing its port). Run in a child process, stopped once the port is printed.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawn } from "child_process";
import { policies } from "../../policies/policies";

const ROOT = path.resolve(__dirname, "../..");

describe("policy pack entry point", function () {
  this.timeout(30000);

  it("starts and serves (prints its port), from the pack's folder", async () => {
    const child = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), "index.ts"], {
      cwd: path.join(ROOT, "policies"),
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on("data", (d) => {
          out += d;
          const m = /^(\d+)\s*$/m.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.stderr.on("data", (d) => (err += d));
        child.on("exit", (code) => reject(new Error(`pack exited with ${code}: ${err}`)));
      });
      assert.ok(port > 0 && port < 65536);
    } finally {
      child.kill("SIGKILL");
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once("exit", r)));
    }
  });

  it("every policy has a unique natsfleet- name, a description and a default enforcement level", () => {
    const names = policies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const p of policies) {
      assert.match(p.name, /^natsfleet-[a-z-]+$/);
      assert.ok(p.description.length > 20, p.name);
      assert.equal(p.enforcementLevel, "mandatory", p.name);
    }
    assert.equal(policies.length, 9);
  });

  it("the example pack config names every policy, with options its schema knows", () => {
    const example = JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "policy-config.example.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(Object.keys(example).sort(), policies.map((p) => p.name).sort());
    for (const p of policies) {
      const cfg = example[p.name];
      if (typeof cfg === "string") continue;
      for (const key of Object.keys(cfg as object)) if (key !== "enforcementLevel") assert.ok(p.configSchema?.properties[key], `${p.name}: ${key} is not in its schema`);
    }
  });
});
