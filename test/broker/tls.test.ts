/**
 * TLS on the client port (issue 3), every scenario run with the same config on
 * natsfleet-server and Debian's nats-server 2.9.10: INFO first in plaintext with tls_required,
 * then the handshake; plaintext or silence closes with "TLS Handshake Failure" and no -ERR;
 * mutual TLS with `verify`; `verify_and_map` to users; certificate rotation by reload without
 * dropping connections; the --tls flags. Certificates are made by openssl at test time.
 */
import * as assert from "assert";
import { createHash, X509Certificate } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { connect, NatsConnection, ConnectionOptions } from "nats";
import { ensureTestCerts, issueClientCert } from "../helpers/certs";
import { SERVER_KINDS, ServerKind, ServerProcess, spawnServer, stopAllServers } from "../helpers/servers";
import { freePort, sleep } from "../helpers/ports";
import { getJson } from "../helpers/http";
import { certIdentities, mapCertificateUser, parseDn } from "../../broker/tls/map";
import { reload } from "./security-helpers";

/** Made in `before`: two independent CAs, each with a server (localhost, 127.0.0.1) and a client certificate. */
let DIR = "";
let CA1 = "";
let CA2 = "";

interface Certs {
  ca: string;
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
}
const certs = (dir: string): Certs => ({
  ca: path.join(dir, "ca.pem"),
  cert: path.join(dir, "server-cert.pem"),
  key: path.join(dir, "server-key.pem"),
  clientCert: path.join(dir, "client-cert.pem"),
  clientKey: path.join(dir, "client-key.pem"),
});

/** A `tls {}` block for the client port with these certificates and extra keys. */
function tlsBlock(c: Certs, extra = ""): string {
  return `tls {\n  cert_file: "${c.cert}"\n  key_file: "${c.key}"\n  ca_file: "${c.ca}"\n  ${extra}\n}\n`;
}

/** The first INFO a server sends, read over plain TCP; the socket is then closed. */
function firstInfo(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let text = "";
    s.on("data", (b) => {
      text += b.toString("latin1");
      const m = /^INFO (.*) \r\n/.exec(text);
      if (m) {
        s.destroy();
        resolve(JSON.parse(m[1]));
      }
    });
    s.on("error", reject);
  });
}

/** What a plaintext peer sees: everything received after INFO, and how long until the close. */
function plaintextSession(port: number, send?: string): Promise<{ info: string; after: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let text = "";
    let infoAt = 0;
    s.on("data", (b) => {
      text += b.toString("latin1");
      if (!infoAt && text.includes("\r\n")) {
        infoAt = Date.now();
        if (send) s.write(send);
      }
    });
    s.on("error", () => {
      /* a reset after the server closes is expected */
    });
    s.on("close", () => {
      const i = text.indexOf("\r\n");
      resolve({ info: text.slice(0, i + 2), after: text.slice(i + 2), closedAfterMs: Date.now() - infoAt });
    });
    setTimeout(() => {
      s.destroy();
      reject(new Error(`server did not close the connection; got ${JSON.stringify(text.slice(0, 300))}`));
    }, 8000).unref();
  });
}

/**
 * A raw protocol session over TLS: read the plaintext INFO, upgrade the same socket, then
 * `delayMs` later, send `lines` (presenting `client`'s certificate, if given) and collect what comes back until `until` matches.
 */
function tlsSession(port: number, c: Certs, lines: string, until: RegExp, client?: Certs, delayMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const raw = net.connect(port, "127.0.0.1");
    raw.on("error", reject);
    let info = "";
    const upgrade = () => {
      const mine = client ? { cert: fs.readFileSync(client.clientCert), key: fs.readFileSync(client.clientKey) } : {};
      const s = tls.connect({ socket: raw, ca: fs.readFileSync(c.ca), servername: "localhost", ...mine }, () => s.write(lines));
      let text = "";
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no ${until} over TLS; got ${JSON.stringify(text)}`));
      }, 5000);
      s.on("data", (d: Buffer) => {
        text += d.toString("latin1");
        if (until.test(text)) {
          clearTimeout(timer);
          s.destroy();
          resolve(text);
        }
      });
      s.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    };
    const onInfo = (b: Buffer) => {
      info += b.toString("latin1");
      if (!info.includes("\r\n")) return;
      raw.removeListener("data", onInfo);
      setTimeout(upgrade, delayMs);
    };
    raw.on("data", onInfo);
  });
}

/** A raw TLS client subscribed to `subject` that then stops reading (its socket is paused). */
function stalledTlsSubscriber(port: number, c: Certs, subject: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const raw = net.connect(port, "127.0.0.1");
    raw.on("error", reject);
    raw.once("data", () => {
      const s = tls.connect({ socket: raw, ca: fs.readFileSync(c.ca), servername: "localhost" }, () => {
        s.write(`CONNECT {"verbose":false}\r\nSUB ${subject} 1\r\nPING\r\n`);
      });
      s.on("error", () => {
        /* reset once the server cuts it off */
      });
      s.once("data", () => {
        s.pause();
        resolve(s);
      });
    });
  });
}

/** Connect a nats v2 client over TLS; `client` adds a client certificate. */
function natsTls(port: number, c: Certs, client?: Certs, extra: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
  const t: Record<string, string> = { caFile: c.ca };
  if (client) {
    t.certFile = client.clientCert;
    t.keyFile = client.clientKey;
  }
  return connect({ servers: `127.0.0.1:${port}`, tls: t, reconnect: false, timeout: 3000, ...extra });
}

/** A publish/subscribe round trip on `nc`. */
async function roundTrip(nc: NatsConnection, subject = "tls.rt"): Promise<void> {
  const sub = nc.subscribe(subject, { max: 1 });
  const got = (async () => {
    for await (const m of sub) return m.string();
    return undefined;
  })();
  nc.publish(subject, "over tls");
  await nc.flush();
  const text = await Promise.race([got, sleep(3000).then(() => "timeout")]);
  assert.strictEqual(text, "over tls");
}

/** A closed connection's reason in /connz?state=closed, waiting briefly for it to be recorded. */
async function closedReasons(httpPort: number): Promise<string[]> {
  const r = await getJson(httpPort, "/connz?state=closed");
  const body = r.body as { connections?: Array<{ reason?: string }> };
  return (body.connections ?? []).map((c) => c.reason ?? "");
}

async function expectRejected(p: Promise<NatsConnection>, what: string, pattern?: RegExp): Promise<string> {
  let nc: NatsConnection | undefined;
  try {
    nc = await p;
  } catch (e) {
    const msg = `${(e as { code?: string }).code ?? ""} ${(e as Error).message}`;
    if (pattern) assert.match(msg, pattern, what);
    return msg;
  }
  await nc.close();
  assert.fail(`${what}: the connection was accepted`);
}

describe("client port TLS (same config on natsfleet-server and nats-server)", function () {
  this.timeout(30000);
  let c1: Certs;
  let c2: Certs;
  const open: NatsConnection[] = [];

  before(() => {
    DIR = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-tls-"));
    CA1 = path.join(DIR, "ca1");
    CA2 = path.join(DIR, "ca2");
    ensureTestCerts(CA1);
    ensureTestCerts(CA2);
    c1 = certs(CA1);
    c2 = certs(CA2);
  });

  afterEach(async () => {
    for (const nc of open.splice(0)) if (!nc.isClosed()) await nc.close().catch(() => undefined);
    await stopAllServers();
  });

  after(() => fs.rmSync(DIR, { recursive: true, force: true }));

  async function start(kind: ServerKind, config: string, args: string[] = []): Promise<ServerProcess> {
    return spawnServer(kind, args, { config });
  }

  it("natsfleet: handshake_first (nats-server 2.10) puts TLS before INFO", async () => {
    const s = await start("natsfleet", tlsBlock(c1, "handshake_first: true"));
    const nc = await natsTls(s.port, c1, undefined, { tls: { caFile: c1.ca, handshakeFirst: true } });
    open.push(nc);
    await roundTrip(nc);
    // A client waiting for a plaintext INFO gets none.
    await expectRejected(natsTls(s.port, c1, undefined, { timeout: 1000 }), "client expecting INFO first");
  });

  for (const kind of SERVER_KINDS) {
    describe(kind, () => {
      it("sends INFO in plaintext with tls_required, then the protocol runs over TLS", async () => {
        const s = await start(kind, tlsBlock(c1));
        const info = await firstInfo(s.port);
        assert.strictEqual(info.tls_required, true);
        assert.strictEqual(info.tls_verify, undefined, "no tls_verify without verify");
        const text = await tlsSession(s.port, c1, 'CONNECT {"verbose":false,"protocol":1}\r\nSUB a 1\r\nPUB a 2\r\nhi\r\nPING\r\n', /PONG\r\n/);
        assert.strictEqual(text, "MSG a 1 2\r\nhi\r\nPONG\r\n");
        const nc = await natsTls(s.port, c1);
        open.push(nc);
        await roundTrip(nc);
      });

      it("sends its certificate as cert_file has it: a client without the CA cannot verify the first certificate", async () => {
        // ca_file without verify: the CA is not for clients, and is not sent in the chain
        const s = await start(kind, tlsBlock(c1));
        const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
          const raw = net.connect(s.port, "127.0.0.1");
          raw.once("data", () => {
            const t = tls.connect({ socket: raw, servername: "localhost", rejectUnauthorized: true });
            t.once("error", (e) => {
              t.destroy();
              resolve(e as NodeJS.ErrnoException);
            });
            t.once("secureConnect", () => resolve(Object.assign(new Error("verified"), { code: "VERIFIED" })));
          });
        });
        assert.strictEqual(err.code, "UNABLE_TO_VERIFY_LEAF_SIGNATURE", err.message);
      });

      it("allow_non_tls: INFO offers TLS (tls_available); clients that start TLS get it, plain ones stay plain", async () => {
        const s = await start(kind, `allow_non_tls: true\n${tlsBlock(c1)}`);
        const info = await firstInfo(s.port);
        assert.strictEqual(info.tls_required, undefined);
        assert.strictEqual(info.tls_available, true);
        const overTls = await tlsSession(s.port, c1, 'CONNECT {"verbose":false,"protocol":1,"name":"secure"}\r\nSUB a 1\r\nPUB a 2\r\nhi\r\nPING\r\n', /PONG\r\n/);
        assert.strictEqual(overTls, "MSG a 1 2\r\nhi\r\nPONG\r\n");
        const plain = await new Promise<string>((resolve, reject) => {
          const raw = net.connect(s.port, "127.0.0.1");
          let text = "";
          raw.on("error", reject);
          raw.on("data", (b) => {
            text += b.toString("latin1");
            if (/^INFO .*\r\n/.test(text) && !text.includes("PONG")) raw.write('CONNECT {"verbose":false,"name":"plain"}\r\nPING\r\n');
            if (text.includes("PONG\r\n")) {
              raw.destroy();
              resolve(text.replace(/^INFO .*\r\n/, ""));
            }
          });
        });
        assert.strictEqual(plain, "PONG\r\n");
        // the official client, both ways on the same port
        const secure = await natsTls(s.port, c1, undefined, { name: "nats-secure" });
        // tls: null keeps the nats client from taking the offered TLS
        const clear = await connect({ servers: `127.0.0.1:${s.port}`, reconnect: false, name: "nats-clear", tls: null });
        open.push(secure, clear);
        await roundTrip(secure);
        await roundTrip(clear, "plain.rt");
        // the client's own view of its transport (what nats.js's tests check)
        const encrypted = (nc: NatsConnection) => (nc as unknown as { protocol: { transport: { isEncrypted(): boolean } } }).protocol.transport.isEncrypted();
        assert.strictEqual(encrypted(secure), true);
        assert.strictEqual(encrypted(clear), false);
      });

      it("/connz reports the TLS version and cipher; 5000 messages of 4 KiB cross TLS intact", async () => {
        const http = await freePort();
        const s = await start(kind, `http: "127.0.0.1:${http}"\n${tlsBlock(c1)}`);
        const sub = await natsTls(s.port, c1, undefined, { name: "tls-sub" });
        const pub = await natsTls(s.port, c1);
        open.push(sub, pub);
        const n = 5000;
        const payload = Buffer.alloc(4096);
        for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
        let got = 0;
        let bad = 0;
        const done = new Promise<void>((resolve) => {
          sub.subscribe("bulk", {
            callback: (_e, m) => {
              if (Buffer.compare(Buffer.from(m.data), payload) !== 0) bad++;
              if (++got === n) resolve();
            },
          });
        });
        await sub.flush();
        for (let i = 0; i < n; i++) pub.publish("bulk", payload);
        await pub.flush();
        await Promise.race([done, sleep(10000)]);
        assert.strictEqual(got, n);
        assert.strictEqual(bad, 0);
        const connz = (await getJson(http, "/connz")).body as { connections: Array<Record<string, unknown>> };
        const row = connz.connections.find((c) => c.name === "tls-sub");
        assert.ok(row, JSON.stringify(connz));
        assert.match(String(row.tls_version), /^1\.[23]$/);
        assert.ok(String(row.tls_cipher_suite ?? "").length > 0, JSON.stringify(row));
      });

      it("a TLS subscriber that stops reading becomes a slow consumer; the publisher is unaffected", async () => {
        const http = await freePort();
        const s = await start(kind, `http: "127.0.0.1:${http}"\nmax_payload: 65536\nmax_pending: 262144\nwrite_deadline: "2s"\n${tlsBlock(c1)}`);
        const stuck = await stalledTlsSubscriber(s.port, c1, "flood");
        const pub = await natsTls(s.port, c1);
        open.push(pub);
        const payload = Buffer.alloc(8192, 120);
        const deadline = Date.now() + 10000;
        let reasons: string[] = [];
        while (Date.now() < deadline) {
          for (let i = 0; i < 200; i++) pub.publish("flood", payload);
          await pub.flush();
          reasons = await closedReasons(http);
          if (reasons.some((r) => r.startsWith("Slow Consumer"))) break;
          await sleep(20);
        }
        stuck.destroy();
        assert.ok(reasons.some((r) => /^Slow Consumer \((Pending Bytes|Write Deadline)\)$/.test(r)), JSON.stringify(reasons));
        await roundTrip(pub);
      });

      it("cipher_suites and curve_preferences take Go's names; a TLS 1.2 client gets the listed suite", async () => {
        const http = await freePort();
        const extra = `cipher_suites: ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]\n  curve_preferences: ["CurveP256"]`;
        const s = await start(kind, `http: "127.0.0.1:${http}"\n${tlsBlock(c1, extra)}`);
        // The nats client hands extra tls fields (maxVersion) to tls.connect.
        const tls12 = { caFile: c1.ca, maxVersion: "TLSv1.2" } as unknown as ConnectionOptions["tls"];
        const nc = await natsTls(s.port, c1, undefined, { name: "tls12", tls: tls12 });
        open.push(nc);
        await roundTrip(nc);
        const connz = (await getJson(http, "/connz")).body as { connections: Array<Record<string, unknown>> };
        const row = connz.connections.find((c) => c.name === "tls12");
        assert.strictEqual(row?.tls_version, "1.2", JSON.stringify(row));
        assert.strictEqual(row?.tls_cipher_suite, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
      });

      it("plaintext protocol after INFO closes at once with 'TLS Handshake Failure' and no -ERR", async () => {
        const http = await freePort();
        const s = await start(kind, `http: "127.0.0.1:${http}"\n${tlsBlock(c1)}`);
        const before = (await closedReasons(http)).length;
        const r = await plaintextSession(s.port, 'CONNECT {"verbose":false}\r\nPING\r\n');
        assert.match(r.info, /^INFO \{.*"tls_required":true.*\} \r\n$/);
        assert.strictEqual(r.after, "", "nothing after INFO (nats-server sends no -ERR here)");
        assert.ok(r.closedAfterMs < 1500, `closed after ${r.closedAfterMs} ms, before the 2 s TLS timeout`);
        await sleep(100);
        // (The start-up probe that found the port open was itself a failed handshake.)
        assert.deepStrictEqual((await closedReasons(http)).slice(before), ["TLS Handshake Failure"]);
        assert.ok(s.running);
      });

      it("a client that never starts the handshake is closed at the tls timeout", async () => {
        const http = await freePort();
        const s = await start(kind, `http: "127.0.0.1:${http}"\n${tlsBlock(c1, "timeout: 0.5")}`);
        const before = (await closedReasons(http)).length;
        const r = await plaintextSession(s.port);
        assert.strictEqual(r.after, "");
        assert.ok(r.closedAfterMs >= 400 && r.closedAfterMs < 2000, `closed after ${r.closedAfterMs} ms (timeout 0.5 s)`);
        await sleep(100);
        // (The start-up probe that found the port open was itself a failed handshake.)
        assert.deepStrictEqual((await closedReasons(http)).slice(before), ["TLS Handshake Failure"]);
        // Other clients are unaffected.
        const nc = await natsTls(s.port, c1);
        open.push(nc);
        await roundTrip(nc);
      });

      it("the auth timer starts after the TLS handshake; user/password work over TLS", async () => {
        const s = await start(kind, `${tlsBlock(c1, "timeout: 3")}authorization { user: alice, password: secret, timeout: 0.5 }\n`);
        // Wait past the auth timeout before the handshake: the connection must still be usable.
        const text = await tlsSession(s.port, c1, 'CONNECT {"verbose":false,"user":"alice","pass":"secret"}\r\nPING\r\n', /PONG\r\n|-ERR/, undefined, 900);
        assert.strictEqual(text, "PONG\r\n");
        await expectRejected(natsTls(s.port, c1, undefined, { user: "alice", pass: "wrong" }), "wrong password over TLS", /AUTHORIZATION_VIOLATION|Authorization Violation/i);
        const nc = await natsTls(s.port, c1, undefined, { user: "alice", pass: "secret" });
        open.push(nc);
        await roundTrip(nc);
      });

      it("a client that does not trust the server's CA fails; the server stays up", async () => {
        const s = await start(kind, tlsBlock(c1));
        await expectRejected(natsTls(s.port, c2), "client trusting another CA");
        const nc = await natsTls(s.port, c1);
        open.push(nc);
        await roundTrip(nc);
      });

      it("verify: INFO and /varz have tls_verify; only a certificate from ca_file gets in", async () => {
        const http = await freePort();
        const s = await start(kind, `http: "127.0.0.1:${http}"\n${tlsBlock(c1, "verify: true\n  timeout: 1.5")}`);
        const info = await firstInfo(s.port);
        assert.strictEqual(info.tls_required, true);
        assert.strictEqual(info.tls_verify, true);
        const varz = (await getJson(http, "/varz")).body as Record<string, unknown>;
        assert.deepStrictEqual([varz.tls_required, varz.tls_verify, varz.tls_timeout], [true, true, 1.5]);
        await expectRejected(natsTls(s.port, c1), "no client certificate");
        // A certificate issued by a CA the server does not know.
        await expectRejected(natsTls(s.port, c1, c2), "client certificate from another CA");
        const nc = await natsTls(s.port, c1, c1);
        open.push(nc);
        await roundTrip(nc);
      });

      it("pinned_certs: only a client key listed by its SPKI SHA-256 gets in", async () => {
        const other = issueClientCert(CA1, "unpinned-client", "/CN=unpinned");
        const pin = createHash("sha256")
          .update(new X509Certificate(fs.readFileSync(c1.clientCert)).publicKey.export({ type: "spki", format: "der" }))
          .digest("hex");
        const http = await freePort();
        const s = await start(kind, `http: "127.0.0.1:${http}"\n${tlsBlock(c1, `verify: true\n  pinned_certs: ["${pin}"]`)}`);
        const before = (await closedReasons(http)).length;
        await expectRejected(natsTls(s.port, c1, { ...c1, clientCert: other.cert, clientKey: other.key }), "valid but unpinned certificate");
        await sleep(100);
        assert.deepStrictEqual((await closedReasons(http)).slice(before), ["TLS Handshake Failure"]);
        const nc = await natsTls(s.port, c1, c1);
        open.push(nc);
        await roundTrip(nc);
      });

      it("verify_and_map: the certificate's email SAN names the user", async () => {
        const config = `${tlsBlock(c1, "verify_and_map: true")}authorization { users = [ {user: "client@natsfleet.test", permissions: {publish: "ok.>", subscribe: "ok.>"}} ] }\n`;
        const s = await start(kind, config);
        const info = await firstInfo(s.port);
        assert.strictEqual(info.auth_required, true);
        assert.strictEqual(info.tls_verify, true);
        const nc = await natsTls(s.port, c1, c1);
        open.push(nc);
        await roundTrip(nc, "ok.1");
      });

      it("verify_and_map: the subject DN (CN=client) names the user when no SAN does", async () => {
        const s = await start(kind, `${tlsBlock(c1, "verify_and_map: true")}authorization { users = [ {user: "CN=client"} ] }\n`);
        const nc = await natsTls(s.port, c1, c1);
        open.push(nc);
        await roundTrip(nc);
      });

      it("verify_and_map: a DN user name matches the certificate's subject in any RDN order, not a partial one", async () => {
        const dn = issueClientCert(CA1, "dn-client", "/O=natsfleet/OU=brokers/CN=dn-client");
        const withDn: Certs = { ...c1, clientCert: dn.cert, clientKey: dn.key };
        for (const user of ["CN=dn-client,OU=brokers,O=natsfleet", "O=natsfleet, OU=brokers, CN=dn-client"]) {
          const s = await start(kind, `${tlsBlock(c1, "verify_and_map: true")}authorization { users = [ {user: "${user}"} ] }\n`);
          const nc = await natsTls(s.port, c1, withDn);
          open.push(nc);
          await roundTrip(nc);
          await nc.close();
          await s.stop();
        }
        const partial = await start(kind, `${tlsBlock(c1, "verify_and_map: true")}authorization { users = [ {user: "CN=dn-client,O=natsfleet"} ] }\n`);
        await expectRejected(natsTls(partial.port, c1, withDn), "DN missing an RDN", /AUTHORIZATION_VIOLATION|Authorization Violation/i);
      });

      it("verify_and_map: a DNS SAN names the user", async () => {
        const svc = issueClientCert(CA1, "svc-client", "/CN=svc", ["DNS:svc.natsfleet.test"]);
        const s = await start(kind, `${tlsBlock(c1, "verify_and_map: true")}authorization { users = [ {user: "svc.natsfleet.test"} ] }\n`);
        const nc = await natsTls(s.port, c1, { ...c1, clientCert: svc.cert, clientKey: svc.key });
        open.push(nc);
        await roundTrip(nc);
      });

      it("verify_and_map: mapped users bind to their accounts (no cross-account delivery)", async () => {
        const svc = issueClientCert(CA1, "svc-client", "/CN=svc", ["DNS:svc.natsfleet.test"]);
        const config = `${tlsBlock(c1, "verify_and_map: true")}accounts {
  A: { users: [ {user: "client@natsfleet.test"} ] }
  B: { users: [ {user: "svc.natsfleet.test"} ] }
}\n`;
        const s = await start(kind, config);
        const a = await natsTls(s.port, c1, c1);
        const b = await natsTls(s.port, c1, { ...c1, clientCert: svc.cert, clientKey: svc.key });
        open.push(a, b);
        let crossed = 0;
        b.subscribe("acct.>", { callback: () => crossed++ });
        await b.flush();
        await roundTrip(a, "acct.a");
        await roundTrip(b, "acct.b");
        await sleep(100);
        assert.strictEqual(crossed, 1, "B's subscriber sees only B's own message");
      });

      it("verify_and_map: a certificate that maps to no user gets 'Authorization Violation'", async () => {
        const s = await start(kind, `${tlsBlock(c1, "verify_and_map: true")}authorization { users = [ {user: "CN=someone else"}, {user: "other@natsfleet.test"} ] }\n`);
        await expectRejected(natsTls(s.port, c1, c1, { user: "CN=someone else" }), "unmapped certificate", /AUTHORIZATION_VIOLATION|Authorization Violation/i);
        const text = await tlsSession(s.port, c1, 'CONNECT {"verbose":false}\r\nPING\r\n', /-ERR/, c1);
        assert.match(text, /^-ERR 'Authorization Violation'\r\n/);
      });

      it("reload rotates the certificate: existing connections stay, new ones get the new certificate", async () => {
        const s = await start(kind, tlsBlock(c1));
        const old = await natsTls(s.port, c1);
        open.push(old);
        await roundTrip(old);
        await reload(s, tlsBlock(c2));
        // The connection made with the old certificate survives the reload.
        await roundTrip(old, "tls.after.reload");
        await expectRejected(natsTls(s.port, c1), "new client trusting only the old CA");
        const fresh = await natsTls(s.port, c2);
        open.push(fresh);
        await roundTrip(fresh);
        assert.ok(!old.isClosed());
      });

      it("reload re-reads certificate files rotated in place (same paths)", async () => {
        const live = path.join(DIR, `live-${kind}`);
        fs.mkdirSync(live, { recursive: true });
        const put = (from: Certs) => {
          fs.copyFileSync(from.cert, path.join(live, "server-cert.pem"));
          fs.copyFileSync(from.key, path.join(live, "server-key.pem"));
          fs.copyFileSync(from.ca, path.join(live, "ca.pem"));
        };
        put(c1);
        const config = tlsBlock(certs(live));
        const s = await start(kind, config);
        const old = await natsTls(s.port, c1);
        open.push(old);
        put(c2);
        await reload(s, config);
        await roundTrip(old);
        await expectRejected(natsTls(s.port, c1), "client trusting only the replaced CA");
        const fresh = await natsTls(s.port, c2);
        open.push(fresh);
        await roundTrip(fresh);
      });

      it("a reload with an unusable certificate is refused; the old certificate stays in use", async () => {
        const s = await start(kind, tlsBlock(c1));
        const old = await natsTls(s.port, c1);
        open.push(old);
        const garbage = path.join(DIR, `garbage-${kind}.pem`);
        fs.writeFileSync(garbage, "not a certificate\n");
        const file = s.args[s.args.indexOf("-c") + 1];
        const outputBefore = s.output.length;
        fs.writeFileSync(file, tlsBlock({ ...c2, cert: garbage }));
        s.proc.kill("SIGHUP");
        const deadline = Date.now() + 5000;
        while (!/certificate|PEM|cert_file/i.test(s.output.slice(outputBefore)) && Date.now() < deadline) await sleep(50);
        assert.match(s.output.slice(outputBefore), /certificate|PEM|cert_file/i, "the refused reload is logged");
        assert.ok(s.running);
        await roundTrip(old);
        const fresh = await natsTls(s.port, c1);
        open.push(fresh);
        await roundTrip(fresh);
      });

      it("--tls --tlscert --tlskey and --tlsverify --tlscacert flags", async () => {
        const plain = await spawnServer(kind, ["--tls", "--tlscert", c1.cert, "--tlskey", c1.key]);
        const info = await firstInfo(plain.port);
        assert.strictEqual(info.tls_required, true);
        assert.strictEqual(info.tls_verify, undefined);
        const nc = await natsTls(plain.port, c1);
        open.push(nc);
        await roundTrip(nc);
        const verifying = await spawnServer(kind, ["--tlsverify", "--tlscert", c1.cert, "--tlskey", c1.key, "--tlscacert", c1.ca]);
        assert.strictEqual((await firstInfo(verifying.port)).tls_verify, true);
        await expectRejected(natsTls(verifying.port, c1), "no client certificate");
        const mutual = await natsTls(verifying.port, c1, c1);
        open.push(mutual);
        await roundTrip(mutual);
      });
    });
  }
});

describe("verify_and_map certificate identities (broker/tls/map)", () => {
  it("parses DNs with multi-valued RDNs, escapes and spaces; rejects non-DNs", () => {
    assert.deepStrictEqual(parseDn("CN=a, OU=b+O=c"), [
      { type: "CN", value: "a" },
      { type: "OU", value: "b" },
      { type: "O", value: "c" },
    ]);
    assert.deepStrictEqual(parseDn("cn=Acme\\, Inc.,dc=x\\2Cy"), [
      { type: "CN", value: "Acme, Inc." },
      { type: "DC", value: "x,y" },
    ]);
    for (const notDn of ["client@natsfleet.test", "svc.natsfleet.test", "CN=a,,O=b", "=x", ""]) assert.strictEqual(parseDn(notDn), undefined, notDn);
  });

  it("reads SANs and the subject of a generated certificate; email wins over the DN", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-tls-unit-"));
    let id;
    try {
      ensureTestCerts(dir);
      id = certIdentities(new X509Certificate(fs.readFileSync(path.join(dir, "client-cert.pem"))));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.deepStrictEqual(id.emails, ["client@natsfleet.test"]);
    assert.deepStrictEqual(id.subject, [{ type: "CN", value: "client" }]);
    assert.strictEqual(id.rdnString, "CN=client");
    const users = ["CN=client", "client@natsfleet.test"];
    assert.strictEqual(mapCertificateUser(id, users, (n) => users.includes(n)), "client@natsfleet.test");
    assert.strictEqual(mapCertificateUser(id, ["CN=client"], (n) => n === "CN=client"), "CN=client");
    assert.strictEqual(mapCertificateUser(id, ["CN=other"], (n) => n === "CN=other"), undefined);
    // A user that may not use client connections is skipped.
    assert.strictEqual(mapCertificateUser(id, users, () => false), undefined);
  });
});
