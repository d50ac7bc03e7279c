import { strict as assert } from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { spawnServer, stopAllServers, natsServerBinary, SERVER_KINDS } from "../helpers";
import { ensureTestCerts } from "../helpers/certs";

/** Upgrade after the plaintext INFO with the given client cipher settings; "ok" or the error. */
function handshake(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const raw = net.connect(port, "127.0.0.1");
    raw.once("error", (e) => resolve(`error: ${e.message}`));
    raw.once("data", () => {
      const s = tls.connect({ socket: raw, rejectUnauthorized: false, ...opts });
      s.once("secureConnect", () => {
        s.destroy();
        resolve("ok");
      });
      s.once("error", (e) => {
        raw.destroy();
        resolve(`error: ${e.message}`);
      });
    });
  });
}

describe("client-port TLS cipher defaults (as nats-server 2.9)", function () {
  this.timeout(30000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nf-ciphers-"));
  before(() => ensureTestCerts(dir));
  after(async () => {
    await stopAllServers();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of SERVER_KINDS) {
    it(`${kind}: refuses static-RSA key exchange by default, accepts ECDHE and TLS 1.3`, async function () {
      if (kind === "nats-server" && !natsServerBinary()) {
        console.log("      nats-server not installed: skipping its half");
        this.skip();
      }
      const config = `tls { cert_file: "${path.join(dir, "server-cert.pem")}", key_file: "${path.join(dir, "server-key.pem")}" }\n`;
      const s = await spawnServer(kind, [], { config });
      assert.match(await handshake(s.port, { maxVersion: "TLSv1.2", ciphers: "AES128-GCM-SHA256" }), /^error/);
      assert.equal(await handshake(s.port, { maxVersion: "TLSv1.2", ciphers: "ECDHE-RSA-AES128-GCM-SHA256" }), "ok");
      assert.equal(await handshake(s.port, { minVersion: "TLSv1.3" }), "ok");
    });
  }
});
