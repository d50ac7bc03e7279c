/** The broker bundle: one file that runs as natsfleet-server, built once per process. */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { spawnSync } from "child_process";
import { brokerBundle, bundleEntry, BundleError, packageRoot } from "../../../components/common/bundle";
import { removeDir, tempDir } from "../helpers";

describe("broker bundle", function () {
  this.timeout(60000);

  it("builds natsfleet-server into one file that runs with plain node, outside the checkout", () => {
    const b = brokerBundle();
    assert.equal(b.source, path.join(packageRoot(), "broker/main.ts"));
    assert.match(b.text, /^#!\/usr\/bin\/env node\n/);
    assert.equal(b.sha256, crypto.createHash("sha256").update(b.text).digest("hex"));
    assert.equal(zlib.gunzipSync(Buffer.from(b.gzipBase64, "base64")).toString(), b.text);
    const dir = tempDir("bundle");
    try {
      const file = path.join(dir, "natsfleet-server.js");
      fs.writeFileSync(file, b.text);
      // no node_modules next to it: everything the broker needs is inside
      const r = spawnSync(process.execPath, [file, "--version"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH } });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^natsfleet-server: v\d+\.\d+\.\d+/);
    } finally {
      removeDir(dir);
    }
  });

  it("is built once per process and fits a GCP metadata value", () => {
    assert.equal(brokerBundle(), brokerBundle());
    assert.ok(b64Size() < 256 * 1024, `gzip+base64 bundle is ${b64Size()} bytes`);
    const asset = brokerBundle().asset();
    return asset.text.then((t) => assert.equal(t, brokerBundle().text));
  });

  it("names what is missing when there is nothing to bundle", () => {
    const dir = tempDir("nobroker");
    try {
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "natsfleet" }));
      assert.throws(() => bundleEntry(dir), (e: unknown) => e instanceof BundleError && /looked for broker\/main\.ts and dist\/broker\/main\.js/.test(e.message));
      assert.equal(packageRoot(dir), dir);
      assert.throws(() => packageRoot("/"), /natsfleet's package.json not found above \//);
    } finally {
      removeDir(dir);
    }
  });
});

function b64Size(): number {
  return Buffer.byteLength(brokerBundle().gzipBase64);
}
