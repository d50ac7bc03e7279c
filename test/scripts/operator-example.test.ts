import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { connect, credsAuthenticator } from "nats";
import { spawnServer, stopAllServers, natsServerBinary } from "../helpers";
import { freePort } from "../helpers/ports";

const ROOT = path.join(__dirname, "..", "..");

describe("scripts/operator-example.js (README's operator-mode example)", function () {
  this.timeout(60000);
  let dir = "";
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nf-operator-"));
  });
  after(async () => {
    await stopAllServers();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of ["natsfleet", "nats-server"] as const) {
    it(`writes a config and .creds that work on ${kind}; no credentials, no entry`, async function () {
      if (kind === "nats-server" && !natsServerBinary()) {
        console.log("      nats-server not installed: skipping its half");
        this.skip();
      }
      const port = await freePort();
      const out = path.join(dir, kind);
      execFileSync(process.execPath, [path.join(ROOT, "scripts", "operator-example.js"), out, String(port)]);
      const s = await spawnServer(kind, ["-c", path.join(out, "server.conf"), "-a", "127.0.0.1", "-p", String(port)]);
      const nc = await connect({ servers: `127.0.0.1:${s.port}`, authenticator: credsAuthenticator(fs.readFileSync(path.join(out, "app.creds"))) });
      const sub = nc.subscribe("hello", { max: 1 });
      nc.publish("hello", "world");
      for await (const m of sub) assert.equal(new TextDecoder().decode(m.data), "world");
      await nc.close();
      await assert.rejects(connect({ servers: `127.0.0.1:${s.port}`, reconnect: false }), /Authorization Violation/);
    });
  }
});
