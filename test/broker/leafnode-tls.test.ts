/**
 * TLS on leaf node links (nats-server 2.9 style: the hub's INFO in plaintext with
 * tls_required, then the spoke's handshake), between our servers and Debian's nats-server
 * 2.9.10 in both roles, with certificate verification by the hub, refusals, and reload of
 * certificates. Certificates are made by openssl at test time.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { StringCodec } from "nats";
import { RawClient, closeAllRaw } from "../helpers/raw";
import { ensureTestCerts, issueClientCert } from "../helpers/certs";
import { AnyServer, TheirServer, client, collect, leafCount, reloadOurs, sleep, startOurs, startProcess, startTheirs, stopAll, waitFor, waitInterest, waitLeafs } from "./leafnode-helpers";

const sc = StringCodec();

/** Certificates of the CA the hubs trust, and of an unrelated CA. */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-leaftls-"));
const good = path.join(dir, "good");
const other = path.join(dir, "other");

function hubTls(verify: boolean): string {
  return `tls { cert_file: "${good}/server-cert.pem", key_file: "${good}/server-key.pem", ca_file: "${good}/ca.pem"${verify ? ", verify: true" : ""}, timeout: 2 }`;
}

function hubConf(kind: "ours" | "theirs", verify = true, extra = ""): string {
  const listen = kind === "ours" ? "127.0.0.1:-1" : "127.0.0.1:$LEAF_PORT";
  return `leafnodes { listen: "${listen}"\n authorization { user: leaf, password: s3cret }\n ${hubTls(verify)}\n}\n${extra}`;
}

/** A spoke whose remote presents `certDir`'s spoke certificate and trusts the good CA. */
function spokeConf(hubLeafPort: number, certDir = good, scheme = "nats-leaf"): string {
  return `leafnodes { reconnect: 1, remotes: [ { url: "${scheme}://leaf:s3cret@127.0.0.1:${hubLeafPort}"
    tls { cert_file: "${certDir}/spoke-cert.pem", key_file: "${certDir}/spoke-key.pem", ca_file: "${good}/ca.pem", timeout: 2 } } ] }`;
}

async function oneWay(from: AnyServer, to: AnyServer, subject: string): Promise<void> {
  const a = await client(from.url);
  const b = await client(to.url);
  const got = await collect(b, subject);
  await waitInterest(from, subject);
  for (let i = 0; i < 5; i++) a.publish(subject, sc.encode(`m${i}`));
  await a.flush();
  await waitFor(`5 messages on ${subject}`, () => got.msgs.length >= 5);
  await sleep(100);
  assert.deepStrictEqual(got.msgs, ["m0", "m1", "m2", "m3", "m4"]);
}

/** `s` keeps reporting no leaf connection for `ms`. */
async function staysUnlinked(s: AnyServer, ms = 1500): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    assert.strictEqual(await leafCount(s), 0, `${s.kind} unexpectedly has a leaf connection`);
    await sleep(100);
  }
}

/** Capture a server's error log lines. */
function errorsOf(s: AnyServer): string[] {
  if (s.kind !== "natsfleet") throw new Error("only in-process servers");
  const errs: string[] = [];
  const log = s.server.log;
  const orig = log.error.bind(log);
  log.error = (m: string) => {
    errs.push(m);
    orig(m);
  };
  return errs;
}

describe("leaf nodes over TLS", function () {
  this.timeout(30000);

  before(() => {
    ensureTestCerts(good);
    ensureTestCerts(other);
    issueClientCert(good, "spoke", "/O=natsfleet/CN=spoke");
    issueClientCert(other, "spoke", "/O=elsewhere/CN=spoke");
  });

  afterEach(async () => {
    await closeAllRaw();
    await stopAll();
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("our hub sends INFO in plaintext with tls_required and tls_verify, then expects a handshake", async () => {
    const hub = await startOurs(hubConf("ours"));
    const raw = await RawClient.open(hub.leafPort);
    await raw.waitFor((t) => t.startsWith("INFO ") && t.includes("\r\n"));
    const info = raw.info();
    assert.strictEqual(info.tls_required, true);
    assert.strictEqual(info.tls_verify, true);
    // Plaintext protocol instead of a ClientHello: the hub hangs up, no leaf is registered.
    raw.send(`CONNECT ${JSON.stringify({ version: "2.9.10", tls_required: false, name: "plain", headers: true, user: "leaf", pass: "s3cret" })}\r\n`);
    await raw.waitClosed(4000);
    assert.ok(!raw.text.includes("connect_info"), raw.text);
    assert.strictEqual(await leafCount(hub), 0);
    // Peers that leave before or during the handshake are only logged.
    for (let i = 0; i < 5; i++) {
      const gone = await RawClient.open(hub.leafPort);
      if (i % 2 === 0) gone.sock.resetAndDestroy();
      else gone.sock.end(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05]));
    }
    const silent = await RawClient.open(hub.leafPort);
    await silent.waitClosed(4000);
    assert.ok(hub.server.isRunning());
  });

  it("our hub and our spoke link over TLS, messages both ways", async () => {
    const hub = await startOurs(hubConf("ours"));
    const spoke = await startOurs(spokeConf(hub.leafPort));
    await waitLeafs(hub, 1);
    await waitLeafs(spoke, 1);
    const [conn] = hub.leaf.connections();
    assert.ok(conn.sock instanceof tls.TLSSocket, "hub side of the link is not a TLS socket");
    assert.strictEqual((conn.sock as tls.TLSSocket).getPeerCertificate().subject.CN, "spoke");
    await oneWay(spoke, hub, "tls.up");
    await oneWay(hub, spoke, "tls.down");
  });

  it("nats-server hub (TLS, verify) and our spoke, messages both ways", async () => {
    const hub = await startTheirs(hubConf("theirs"));
    const spoke = await startOurs(spokeConf(hub.leafPort));
    await waitLeafs(hub, 1);
    await waitLeafs(spoke, 1);
    await oneWay(spoke, hub, "theirs.up");
    await oneWay(hub, spoke, "theirs.down");
  });

  it("our hub (TLS, verify) and a nats-server spoke, messages both ways", async () => {
    const hub = await startOurs(hubConf("ours"));
    const spoke = await startTheirs(spokeConf(hub.leafPort));
    await waitLeafs(hub, 1);
    await waitLeafs(spoke, 1);
    await oneWay(spoke, hub, "ours.up");
    await oneWay(hub, spoke, "ours.down");
  });

  it("a spoke without a tls block follows the hub's tls_required (tls:// URL, CA only)", async () => {
    const hub = await startOurs(hubConf("ours", false));
    const spoke = await startOurs(`leafnodes { remotes: [ { url: "tls://leaf:s3cret@127.0.0.1:${hub.leafPort}", tls { ca_file: "${good}/ca.pem" } } ] }`);
    await waitLeafs(hub, 1);
    await waitLeafs(spoke, 1);
    await oneWay(hub, spoke, "cafile.down");
  });

  it("a spoke with a certificate from another CA is refused by a verifying hub (ours and nats-server)", async () => {
    const hub = await startOurs(hubConf("ours"));
    const errs = errorsOf(hub);
    const spoke = await startOurs(spokeConf(hub.leafPort, other));
    await staysUnlinked(hub);
    await staysUnlinked(spoke, 100);
    assert.ok(errs.some((e) => /TLS leafnode handshake error/.test(e)), errs.join("\n"));
    const theirHub = await startTheirs(hubConf("theirs"));
    const spoke2 = await startOurs(spokeConf(theirHub.leafPort, other));
    await staysUnlinked(theirHub);
    await staysUnlinked(spoke2, 100);
  });

  it("a nats-server spoke with a certificate from another CA is refused by our hub", async () => {
    const hub = await startOurs(hubConf("ours"));
    const spoke = await startTheirs(spokeConf(hub.leafPort, other));
    await staysUnlinked(hub);
    await staysUnlinked(spoke, 100);
  });

  it("our spoke refuses a hub whose certificate it cannot verify", async () => {
    const hub = await startOurs(hubConf("ours", false));
    // Trusting only the other CA: the hub's certificate does not verify.
    const spoke = await startOurs(`leafnodes { remotes: [ { url: "nats-leaf://leaf:s3cret@127.0.0.1:${hub.leafPort}", tls { ca_file: "${other}/ca.pem" } } ] }`);
    const errs = errorsOf(spoke);
    await staysUnlinked(hub);
    await waitFor("a handshake error at the spoke", () => errs.some((e) => /TLS leafnode handshake error/.test(e)), 12000);
    // insecure skips the check (nats-server's behaviour for testing).
    const spoke2 = await startOurs(`leafnodes { remotes: [ { url: "nats-leaf://leaf:s3cret@127.0.0.1:${hub.leafPort}", tls { ca_file: "${other}/ca.pem", insecure: true } } ] }`);
    await waitLeafs(spoke2, 1);
  });

  it("a spoke that wants TLS refuses a plaintext hub (ours and nats-server)", async () => {
    const plainHub = await startOurs(`leafnodes { listen: "127.0.0.1:-1"\n authorization { user: leaf, password: s3cret } }`);
    const spoke = await startOurs(spokeConf(plainHub.leafPort));
    const errs = errorsOf(spoke);
    await waitFor("the spoke to refuse", () => errs.some((e) => /TLS required by leafnode remote .* hub does not offer TLS/.test(e)), 12000);
    await staysUnlinked(plainHub);
    const spoke2 = await startOurs(`leafnodes { remotes: [ { url: "tls://leaf:s3cret@127.0.0.1:${plainHub.leafPort}" } ] }`);
    const errs2 = errorsOf(spoke2);
    await waitFor("the tls:// spoke to refuse", () => errs2.some((e) => /hub does not offer TLS/.test(e)), 12000);
    await staysUnlinked(spoke2, 500);
    const theirPlain = await startTheirs(`leafnodes { listen: "127.0.0.1:$LEAF_PORT"\n authorization { user: leaf, password: s3cret } }`);
    const spoke3 = await startOurs(spokeConf(theirPlain.leafPort));
    await staysUnlinked(theirPlain);
    await staysUnlinked(spoke3, 100);
  });

  it("a plaintext nats-server spoke to our TLS hub gets nowhere without certificates", async () => {
    const hub = await startOurs(hubConf("ours"));
    // No tls block: nats-server follows tls_required with system roots and no certificate.
    const spoke = await startTheirs(`leafnodes { remotes: [ { url: "nats-leaf://leaf:s3cret@127.0.0.1:${hub.leafPort}" } ] }`);
    await staysUnlinked(hub);
    await staysUnlinked(spoke, 100);
  });

  it("reload reads new certificates: hub ca_file and spoke certificate files", async () => {
    // The hub trusts a CA file that starts out as the other CA: our good spoke is refused.
    const hubCa = path.join(dir, "hub-ca.pem");
    fs.copyFileSync(path.join(other, "ca.pem"), hubCa);
    const hubConfText = `leafnodes { listen: "127.0.0.1:-1"\n authorization { user: leaf, password: s3cret }\n tls { cert_file: "${good}/server-cert.pem", key_file: "${good}/server-key.pem", ca_file: "${hubCa}", verify: true } }`;
    const hub = await startOurs(hubConfText);
    const spokeDir = path.join(dir, "spoke-files");
    fs.mkdirSync(spokeDir, { recursive: true });
    fs.copyFileSync(path.join(good, "spoke-cert.pem"), path.join(spokeDir, "spoke-cert.pem"));
    fs.copyFileSync(path.join(good, "spoke-key.pem"), path.join(spokeDir, "spoke-key.pem"));
    const spokeText = spokeConf(hub.leafPort, spokeDir);
    const spoke = await startOurs(spokeText);
    await staysUnlinked(hub, 1200);
    fs.copyFileSync(path.join(good, "ca.pem"), hubCa);
    await reloadOurs(hub, hubConfText);
    await waitLeafs(hub, 1, 12000);
    await oneWay(hub, spoke, "reload.hub");

    // Spoke side: its files now hold a certificate of the other CA; after a reload the next
    // connection presents it and the hub refuses.
    fs.copyFileSync(path.join(other, "spoke-cert.pem"), path.join(spokeDir, "spoke-cert.pem"));
    fs.copyFileSync(path.join(other, "spoke-key.pem"), path.join(spokeDir, "spoke-key.pem"));
    await reloadOurs(spoke, spokeText);
    for (const c of hub.leaf.connections()) c.close("Client Closed");
    await sleep(300);
    await staysUnlinked(hub, 2000);
    fs.copyFileSync(path.join(good, "spoke-cert.pem"), path.join(spokeDir, "spoke-cert.pem"));
    fs.copyFileSync(path.join(good, "spoke-key.pem"), path.join(spokeDir, "spoke-key.pem"));
    await reloadOurs(spoke, spokeText);
    await waitLeafs(hub, 1, 15000);
  });

  it("the natsfleet-server executable reloads its leafnode ca_file on SIGHUP (nats-server spoke)", async () => {
    const hubCa = path.join(dir, "exe-hub-ca.pem");
    fs.copyFileSync(path.join(other, "ca.pem"), hubCa);
    const hub: TheirServer = await startProcess(
      "natsfleet",
      `leafnodes { listen: "127.0.0.1:$LEAF_PORT"\n authorization { user: leaf, password: s3cret }\n tls { cert_file: "${good}/server-cert.pem", key_file: "${good}/server-key.pem", ca_file: "${hubCa}", verify: true } }`,
    );
    const spoke = await startTheirs(spokeConf(hub.leafPort));
    await staysUnlinked(hub, 1500);
    fs.copyFileSync(path.join(good, "ca.pem"), hubCa);
    hub.proc.proc.kill("SIGHUP");
    await waitLeafs(hub, 1, 15000);
    await oneWay(spoke, hub, "exe.up");
    await oneWay(hub, spoke, "exe.down");
  });

  it("unusable TLS files are refused with the block and file named", async () => {
    await assert.rejects(
      startOurs(`leafnodes { listen: "127.0.0.1:-1", tls { cert_file: "${good}/server-cert.pem", key_file: "${dir}/missing-key.pem" } }`),
      /leafnodes\.tls\.key_file.*missing-key\.pem/,
    );
    // Readable files that hold no certificate get past the config parser; the listener refuses.
    const junk = path.join(dir, "junk.pem");
    fs.writeFileSync(junk, "not a certificate\n");
    await assert.rejects(
      startOurs(`leafnodes { listen: "127.0.0.1:-1", tls { cert_file: "${junk}", key_file: "${junk}" } }`),
      /leafnodes tls: cert_file ".*junk\.pem" \/ key_file ".*junk\.pem" unusable/,
    );
    const s = await startOurs(`leafnodes { listen: "127.0.0.1:-1" }`);
    const errs = errorsOf(s);
    await reloadOurs(s, `leafnodes { listen: "127.0.0.1:-1", remotes: [ { url: "nats-leaf://127.0.0.1:1", tls { cert_file: "${junk}", key_file: "${junk}" } } ] }`);
    assert.ok(errs.some((e) => /leafnode remote nats-leaf:\/\/127\.0\.0\.1:1 tls: cert_file .* unusable/.test(e)), errs.join("\n"));
    assert.ok(s.server.isRunning());
  });
});
