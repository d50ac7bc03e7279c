#!/usr/bin/env node
/**
 * `npm run dev`: bring up the dev stack (one local broker, client 4222, monitoring 8222).
 * With the Pulumi CLI on PATH: `pulumi up` of stack `dev` against a file backend inside the
 * repo, so no Pulumi account or cloud credentials are needed. Without it: the same stack
 * file through `natsfleet up`, which runs the same process manager the local target uses.
 * Either way it says which one it used.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const stackFile = path.join(root, "stacks", "Pulumi.dev.yaml");

function onPath(exe) {
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, exe);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

function run(cmd, args, env) {
  console.log(`$ ${[cmd, ...args].join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: "inherit" });
  if (r.error) {
    console.error(`dev: cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  return r.status === null ? 1 : r.status;
}

function needBuild(file) {
  if (!fs.existsSync(path.join(root, file))) {
    console.error(`dev: ${file} is missing; run \`npm run build\` first`);
    process.exit(1);
  }
}

function viaPulumi(pulumi) {
  needBuild("dist/index.js");
  const stateDir = path.join(root, ".natsfleet", "state");
  fs.mkdirSync(stateDir, { recursive: true });
  const env = {
    ...process.env,
    PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL || `file://${stateDir}`,
    // a fixed default keeps `npm run dev` non-interactive; set your own for anything real
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "natsfleet-dev",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  console.log(`dev: using the Pulumi CLI (${pulumi}), backend ${env.PULUMI_BACKEND_URL}, stack dev`);
  let code = run(pulumi, ["stack", "select", "dev", "--create", "--non-interactive"], env);
  if (code !== 0) return code;
  code = run(pulumi, ["up", "--yes", "--stack", "dev", "--non-interactive"], env);
  if (code === 0) console.log("dev: done. `pulumi destroy --stack dev` (same environment) stops it.");
  return code;
}

function viaLocalRunner() {
  needBuild("dist/cli/main.js");
  console.log("dev: no Pulumi CLI on PATH; using the local runner: natsfleet up stacks/Pulumi.dev.yaml");
  const code = run(process.execPath, [path.join(root, "bin", "natsfleet.js"), "up", stackFile], process.env);
  if (code === 0) console.log("dev: done. `npx natsfleet down stacks/Pulumi.dev.yaml` stops it.");
  return code;
}

const pulumi = process.env.NATSFLEET_DEV_NO_PULUMI ? undefined : onPath("pulumi");
process.exit(pulumi ? viaPulumi(pulumi) : viaLocalRunner());
