/**
 * Leaf nodes (reference section 4) between in-process natsfleet servers and Debian's
 * nats-server 2.9.10, in every hub/spoke combination: handshake, interest both ways, messages,
 * request/reply, queue groups spanning the link (exactly once), headers, /leafz, rejections,
 * loop detection and reload of remotes.
 */
import * as assert from "assert";
import * as net from "net";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credsAuthenticator, headers as natsHeaders, StringCodec } from "nats";
import * as bcrypt from "bcryptjs";
import { RawClient, closeAllRaw } from "../helpers/raw";
import { operatorSetup } from "../helpers/operator";
import {
  AnyServer,
  FakeHub,
  OurServer,
  client,
  closeFakeHubs,
  freePort,
  freePorts,
  collect,
  getJSON,
  hasInterest,
  reloadOurs,
  sleep,
  startOurs,
  startProcess,
  startTheirs,
  stopAll,
  stopServer,
  waitFor,
  waitInterest,
  waitLeafs,
} from "./leafnode-helpers";

const sc = StringCodec();

type Pair = { hub: AnyServer; spoke: AnyServer };

/** Hub config: a leafnode listener with one user. */
function hubConf(kind: "ours" | "theirs", extra = ""): string {
  const listen = kind === "ours" ? "127.0.0.1:-1" : "127.0.0.1:$LEAF_PORT";
  return `leafnodes { listen: "${listen}"\n authorization { user: leaf, password: s3cret }\n}\n${extra}`;
}

function spokeConf(hubLeafPort: number, password = "s3cret", extra = ""): string {
  return `leafnodes { remotes: [ { url: "nats-leaf://leaf:${password}@127.0.0.1:${hubLeafPort}" } ] }\n${extra}`;
}

async function pair(hubKind: "ours" | "theirs", spokeKind: "ours" | "theirs"): Promise<Pair> {
  const hub: AnyServer = hubKind === "ours" ? await startOurs(hubConf("ours")) : await startTheirs(hubConf("theirs"));
  const spoke: AnyServer = spokeKind === "ours" ? await startOurs(spokeConf(hub.leafPort)) : await startTheirs(spokeConf(hub.leafPort));
  await waitLeafs(hub, 1);
  await waitLeafs(spoke, 1);
  return { hub, spoke };
}

/** Publish on `from`, receive on `to`, across the leaf link (after interest arrived). */
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

async function requestReply(requester: AnyServer, responder: AnyServer, subject: string): Promise<void> {
  const r = await client(responder.url);
  r.subscribe(subject, { callback: (_e, m) => m.respond(sc.encode(`re:${sc.decode(m.data)}`)) });
  await r.flush();
  await waitInterest(requester, subject);
  const q = await client(requester.url);
  const reply = await q.request(subject, sc.encode("ping"), { timeout: 3000 });
  assert.strictEqual(sc.decode(reply.data), "re:ping");
}

/** Queue members on both sides: every message is received exactly once. */
async function queueExactlyOnce(p: Pair, subject: string): Promise<void> {
  const h = await client(p.hub.url);
  const s = await client(p.spoke.url);
  const hubMember = await collect(h, subject, { queue: "workers" });
  const spokeMember = await collect(s, subject, { queue: "workers" });
  // Plain subscribers on both sides make every message cross the link without a queue list,
  // which must not reach the far side's queue members.
  const hubPlain = await collect(h, subject);
  const spokePlain = await collect(s, subject);
  await waitInterest(p.hub, subject, "workers");
  await waitInterest(p.spoke, subject, "workers");
  await waitInterest(p.hub, subject);
  await waitInterest(p.spoke, subject);
  const total = 40;
  for (let i = 0; i < total / 2; i++) {
    h.publish(subject, sc.encode(`h${i}`));
    s.publish(subject, sc.encode(`s${i}`));
  }
  await h.flush();
  await s.flush();
  await waitFor("all queue messages", () => hubMember.msgs.length + spokeMember.msgs.length >= total);
  await waitFor("all plain messages", () => hubPlain.msgs.length >= total && spokePlain.msgs.length >= total);
  await sleep(200);
  assert.strictEqual(hubPlain.msgs.length, total);
  assert.strictEqual(spokePlain.msgs.length, total);
  const all = [...hubMember.msgs, ...spokeMember.msgs].sort();
  assert.strictEqual(all.length, total, `duplicates: ${all.length} for ${total}`);
  assert.strictEqual(new Set(all).size, total);
  // Local members are preferred: each side's own messages stay on its side.
  assert.ok(hubMember.msgs.every((m) => m.startsWith("h")), `hub member got ${hubMember.msgs}`);
  assert.ok(spokeMember.msgs.every((m) => m.startsWith("s")), `spoke member got ${spokeMember.msgs}`);
}

/** A queue group only on the far side still gets messages across the link. */
async function queueRemoteOnly(from: AnyServer, to: AnyServer, subject: string): Promise<void> {
  const a = await client(from.url);
  const b = await client(to.url);
  const m1 = await collect(b, subject, { queue: "far" });
  const m2 = await collect(b, subject, { queue: "far" });
  await waitInterest(from, subject, "far");
  for (let i = 0; i < 20; i++) a.publish(subject, sc.encode(`q${i}`));
  await a.flush();
  await waitFor("20 queue messages", () => m1.msgs.length + m2.msgs.length >= 20);
  await sleep(150);
  assert.strictEqual(m1.msgs.length + m2.msgs.length, 20);
}

describe("leaf nodes", function () {
  this.timeout(30000);

  afterEach(async () => {
    await closeAllRaw();
    await closeFakeHubs();
    await stopAll();
  });

  const combos: Array<["ours" | "theirs", "ours" | "theirs"]> = [
    ["ours", "ours"],
    ["theirs", "ours"],
    ["ours", "theirs"],
  ];
  for (const [hk, sk] of combos) {
    const label = `${hk === "ours" ? "natsfleet" : "nats-server"} hub + ${sk === "ours" ? "natsfleet" : "nats-server"} spoke`;
    describe(label, () => {
      it("carries messages both ways", async () => {
        const p = await pair(hk, sk);
        await oneWay(p.hub, p.spoke, "to.spoke");
        await oneWay(p.spoke, p.hub, "to.hub");
      });

      it("carries request/reply across the link in both directions", async () => {
        const p = await pair(hk, sk);
        await requestReply(p.spoke, p.hub, "svc.hub");
        await requestReply(p.hub, p.spoke, "svc.spoke");
      });

      it("delivers to queue members on both sides exactly once, local first", async () => {
        const p = await pair(hk, sk);
        await queueExactlyOnce(p, "jobs");
      });

      it("sends to a queue group that exists only across the link", async () => {
        const p = await pair(hk, sk);
        await queueRemoteOnly(p.hub, p.spoke, "far.spoke");
        await queueRemoteOnly(p.spoke, p.hub, "far.hub");
      });

      it("keeps headers and wildcard subscriptions across the link", async () => {
        const p = await pair(hk, sk);
        const a = await client(p.spoke.url);
        const b = await client(p.hub.url);
        const got: Array<{ subject: string; h?: string; data: string }> = [];
        b.subscribe("wild.*.x", { callback: (_e, m) => got.push({ subject: m.subject, h: m.headers?.get("X-Leaf"), data: sc.decode(m.data) }) });
        await b.flush();
        await waitInterest(p.spoke, "wild.*.x");
        const h = natsHeaders();
        h.set("X-Leaf", "yes");
        a.publish("wild.1.x", sc.encode("with"), { headers: h });
        a.publish("wild.2.x", sc.encode("without"));
        a.publish("wild.3.y", sc.encode("nomatch"));
        await a.flush();
        await waitFor("2 wildcard messages", () => got.length >= 2);
        await sleep(100);
        assert.deepStrictEqual(got, [
          { subject: "wild.1.x", h: "yes", data: "with" },
          { subject: "wild.2.x", h: undefined, data: "without" },
        ]);
      });

      it("stops delivering when interest goes away", async () => {
        const p = await pair(hk, sk);
        const b = await client(p.hub.url);
        const sub = b.subscribe("gone");
        await b.flush();
        await waitInterest(p.spoke, "gone");
        sub.unsubscribe();
        await b.flush();
        await waitFor("interest removed at the spoke", async () => !(await hasInterest(p.spoke, "gone")));
      });
    });
  }

  for (const hk of ["ours", "theirs"] as const) {
    describe(`wire framing of a ${hk === "ours" ? "natsfleet" : "nats-server"} hub (raw spoke)`, () => {
      it("sends INFO, the connect_info INFO, and LS+ with queue weights and LS-", async () => {
        const hub = hk === "ours" ? await startOurs(hubConf("ours")) : await startTheirs(hubConf("theirs"));
        const c = await RawClient.open(hub.leafPort);
        const info = c.info();
        assert.strictEqual(typeof info.client_id, "number");
        assert.ok((info.client_id as number) > 0);
        assert.strictEqual(typeof info.nonce, "string");
        assert.strictEqual(info.info_on_connect, true);
        assert.strictEqual(info.auth_required, true);
        assert.strictEqual(info.ip, `127.0.0.1:${hub.leafPort}`);
        assert.deepStrictEqual(info.leafnode_urls, [`127.0.0.1:${hub.leafPort}`]);
        c.send(`CONNECT ${JSON.stringify({ version: "2.9.10", tls_required: false, server_id: "FAKESPOKE", name: "fake", headers: true, user: "leaf", pass: "s3cret" })}\r\n`);
        await c.waitFor(/LS\+ \$LDS\.[0-9A-Za-z]{22}\r\n/);
        const second = JSON.parse(/\r\nINFO (\{[^\r]*"connect_info":true[^\r]*\}) \r\n/.exec(c.text)![1]);
        assert.strictEqual(second.remote_account, "$G");
        assert.strictEqual(second.nonce, undefined);
        const nc = await client(hub.url);
        nc.subscribe("raw.q", { queue: "g" });
        await nc.flush();
        await c.waitFor("LS+ raw.q g 1\r\n");
        nc.subscribe("raw.q", { queue: "g" });
        nc.subscribe("raw.p");
        nc.subscribe("raw.p");
        const p3 = nc.subscribe("raw.p3");
        await nc.flush();
        await c.waitFor("LS+ raw.q g 2\r\n");
        await c.waitFor("LS+ raw.p3\r\n");
        p3.unsubscribe();
        await nc.flush();
        await c.waitFor("LS- raw.p3\r\n");
        // Two plain subscriptions on one subject are one LS+.
        assert.strictEqual(c.text.split("LS+ raw.p\r\n").length - 1, 1);
      });

      it("writes LMSG/HMSG with reply and queue lists, and reads them", async () => {
        const hub = hk === "ours" ? await startOurs(hubConf("ours")) : await startTheirs(hubConf("theirs"));
        const c = await fakeSpoke(hub);
        c.send("LS+ to.spoke\r\nLS+ to.spoke.q g2 3\r\n");
        await c.sync();
        const nc = await client(hub.url);
        nc.publish("to.spoke", sc.encode("hello"), { reply: "r.1" });
        nc.publish("to.spoke.q", sc.encode("hi"));
        nc.publish("to.spoke.q", sc.encode("hi"), { reply: "r.2" });
        const h = natsHeaders();
        h.set("A", "b");
        nc.publish("to.spoke.q", sc.encode("hd"), { reply: "r.3", headers: h });
        await nc.flush();
        await c.waitFor("LMSG to.spoke r.1 5\r\nhello\r\n");
        await c.waitFor("LMSG to.spoke.q | g2 2\r\nhi\r\n");
        await c.waitFor("LMSG to.spoke.q + r.2 g2 2\r\nhi\r\n");
        await c.waitFor(/HMSG to\.spoke\.q \+ r\.3 g2 (\d+) (\d+)\r\nNATS\/1\.0\r\nA: b\r\n\r\nhd\r\n/);
        // Inbound: plain subscribers always, queue members only when their group is listed.
        const plain = await collect(nc, "from.spoke");
        const q1 = await collect(nc, "from.spoke", { queue: "qq" });
        const q2 = await collect(nc, "from.spoke", { queue: "qq" });
        await c.waitFor("LS+ from.spoke qq 2\r\n");
        c.send("LMSG from.spoke 3\r\none\r\n");
        c.send("LMSG from.spoke | qq 3\r\ntwo\r\n");
        c.send("LMSG from.spoke + rep.x qq 5\r\nthree\r\n");
        c.send("HMSG from.spoke 12 16\r\nNATS/1.0\r\n\r\nfour\r\n");
        await waitFor("4 plain messages", () => plain.msgs.length === 4);
        await waitFor("2 queue messages", () => q1.msgs.length + q2.msgs.length === 2);
        await sleep(100);
        assert.deepStrictEqual(plain.msgs, ["one", "two", "three", "four"]);
        assert.deepStrictEqual([...q1.msgs, ...q2.msgs].sort(), ["three", "two"]);
      });

      if (hk === "ours") {
        it("tells accepted spokes about the cluster's other leafnode URLs (async INFO)", async () => {
          const hub = (await startOurs(hubConf("ours"))) as OurServer;
          const c = await fakeSpoke(hub);
          assert.strictEqual(hub.server.leafnodeURL, `127.0.0.1:${hub.leafPort}`);
          hub.server.setLeafnodeURLs!(["127.0.0.1:1", `127.0.0.1:${hub.leafPort}`]);
          await c.waitFor(`"leafnode_urls":["127.0.0.1:${hub.leafPort}","127.0.0.1:1"]`);
        });
      }

      it("detects a loop when its own $LDS subject comes back", async () => {
        const hub = hk === "ours" ? await startOurs(hubConf("ours")) : await startTheirs(hubConf("theirs"));
        const c = await fakeSpoke(hub);
        const lds = /LS\+ (\$LDS\.[0-9A-Za-z]{22})\r\n/.exec(c.text)![1];
        c.send(`LS+ ${lds}\r\n`);
        await c.waitFor(`-ERR 'Loop detected for leafnode account="$G". Delaying attempt to reconnect for 30s'\r\n`);
        await c.waitClosed();
      });
    });
  }

  describe("wire framing of a natsfleet spoke (fake hub)", () => {
    it("checks the hub INFO, sends CONNECT with URL credentials, then only local interest", async () => {
      const fake = await FakeHub.start({ server_id: "HUBID", server_name: "hub", version: "2.9.10", proto: 1, headers: true, auth_required: true, max_payload: 1048576, ip: "127.0.0.1:1", client_id: 7, nonce: "abc", cluster: "HUBC", info_on_connect: true, leafnode_urls: [] });
      const spoke = await startOurs(`cluster { name: SPK, listen: "127.0.0.1:-1" }\nleafnodes { remotes: [ { url: "nats-leaf://u%40x:p%3Aw@127.0.0.1:${fake.port}", deny_imports: ["secret.>"] } ] }`);
      const m = await fake.waitFor(/^CONNECT (\{.*\})\r\n/);
      const connect = JSON.parse(m[1]);
      assert.strictEqual(connect.user, "u@x");
      assert.strictEqual(connect.pass, "p:w");
      assert.strictEqual(connect.tls_required, false);
      assert.strictEqual(connect.server_id, spoke.server.id);
      assert.strictEqual(connect.name, spoke.server.name);
      assert.strictEqual(connect.cluster, "SPK");
      assert.strictEqual(connect.headers, true);
      assert.strictEqual(connect.lang, undefined);
      assert.deepStrictEqual(connect.deny_pub, ["secret.>"]);
      assert.strictEqual(spoke.server.leafs?.size ?? 0, 0, "not registered before connect_info");
      const nc = await client(spoke.url);
      nc.subscribe("local.sub");
      nc.subscribe("secret.x");
      await nc.flush();
      fake.send(`INFO {"server_id":"HUBID","client_id":7,"connect_info":true,"remote_account":"$G","leafnode_urls":["127.0.0.1:${fake.port}"]} \r\nLS+ hub.interest\r\n`);
      await fake.waitFor(/LS\+ \$LDS\.[0-9A-Za-z]{22}\r\n/);
      await fake.waitFor(/LS\+ local\.sub\r\n/);
      await waitFor("hub interest at the spoke", () => hasInterest(spoke, "hub.interest"));
      // A message from the hub reaches the local subscriber; denied imports are dropped.
      const got = await collect(nc, "local.sub");
      fake.send("LMSG local.sub 2\r\nok\r\n");
      await waitFor("message from the fake hub", () => got.msgs.length === 1);
      await sleep(100);
      assert.ok(!/LS\+ secret\.x/.test(fake.text), "denied import not subscribed");
      assert.ok(!/LS\+ hub\.interest/.test(fake.text), "hub interest not echoed back");
      assert.strictEqual(spoke.server.leafs?.size, 1);
    });

    it("fails over to a hub URL learned from leafnode_urls", async () => {
      const info = (port: number) => ({ server_id: `HUB${port}`, version: "2.9.10", proto: 1, headers: true, auth_required: true, max_payload: 1048576, ip: `127.0.0.1:${port}`, client_id: 9, nonce: "n", info_on_connect: false, leafnode_urls: [] as string[] });
      const second = await FakeHub.start(info(0));
      const first = await FakeHub.start({ ...info(1), leafnode_urls: [`127.0.0.1:${second.port}`] });
      await startOurs(`leafnodes { remotes: [ { url: "nats-leaf://u:p@127.0.0.1:${first.port}" } ] }`);
      await first.waitFor(/^CONNECT /);
      await first.close();
      // The learned URL is bare: the credentials of the configured URL are reused.
      const m = await second.waitFor(/^CONNECT (\{.*\})\r\n/, 5000);
      assert.strictEqual(JSON.parse(m[1]).user, "u");
    });

    it("gives up on a port that is not a leafnode port", async () => {
      const fake = await FakeHub.start({ server_id: "X", version: "2.9.10", proto: 1, headers: true, max_payload: 1048576, client_id: 3 });
      const spoke = await startOurs(`leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${fake.port}" } ] }`);
      await sleep(300);
      assert.ok(!fake.text.includes("CONNECT"), `sent ${JSON.stringify(fake.text)}`);
      assert.strictEqual(spoke.server.leafs?.size ?? 0, 0);
    });
  });

  it("a spoke of two hubs tells each only about its local clients", async () => {
    const h1 = await startTheirs(hubConf("theirs"));
    const h2 = await startTheirs(hubConf("theirs"));
    const spoke = await startOurs(`leafnodes { remotes: [ { url: "nats-leaf://leaf:s3cret@127.0.0.1:${h1.leafPort}" }, { url: "nats-leaf://leaf:s3cret@127.0.0.1:${h2.leafPort}" } ] }`);
    await waitLeafs(spoke, 2);
    const c1 = await client(h1.url);
    c1.subscribe("only.h1");
    await c1.flush();
    await waitFor("h1 interest at the spoke", () => hasInterest(spoke, "only.h1"));
    const local = await client(spoke.url);
    local.subscribe("spoke.local");
    await local.flush();
    await waitInterest(h2, "spoke.local");
    await waitInterest(h1, "spoke.local");
    assert.strictEqual(await hasInterest(h2, "only.h1"), false);
  });

  it("authenticates with a .creds file (signed nonce) to a nats-server hub in operator mode", async () => {
    const op = await operatorSetup();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-creds-"));
    try {
      const leafCreds = path.join(dir, "leaf.creds");
      fs.writeFileSync(leafCreds, await op.creds("leaf"));
      const appCreds = new TextEncoder().encode(await op.creds("app"));
      const hub = await startTheirs(`${op.config}\nleafnodes { listen: "127.0.0.1:$LEAF_PORT" }`);
      const spoke = await startOurs(`leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${hub.leafPort}", credentials: "${leafCreds}" } ] }`);
      await waitLeafs(spoke, 1);
      const hubLeafz = await getJSON(hub.httpPort, "/leafz");
      assert.strictEqual(hubLeafz.leafs[0].account, op.account);
      const app = await client(hub.url, { authenticator: credsAuthenticator(appCreds) });
      const local = await client(spoke.url);
      const got = await collect(app, "creds.test");
      await waitInterest(spoke, "creds.test");
      local.publish("creds.test", sc.encode("signed"));
      await local.flush();
      await waitFor("message across the creds-authenticated link", () => got.msgs.length === 1);
      // A bad seed is refused by the hub, reported by us, and retried without a crash.
      fs.writeFileSync(path.join(dir, "bad.creds"), "-----BEGIN NATS USER JWT-----\nxx\n------END NATS USER JWT------\n-----BEGIN USER NKEY SEED-----\nSUBAD\n------END USER NKEY SEED------\n");
      const errs: string[] = [];
      const bad = await startOurs(`leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${hub.leafPort}", credentials: "${path.join(dir, "bad.creds")}" } ] }`);
      const orig = bad.server.log.error.bind(bad.server.log);
      bad.server.log.error = (m: string) => {
        errs.push(m);
        orig(m);
      };
      await waitFor("malformed seed reported", () => errs.some((e) => e.includes("bad.creds") && e.includes("malformed seed")), 5000);
      assert.strictEqual(bad.server.leafs?.size ?? 0, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("with a cluster", () => {
    /** Publish `n` messages on `subject` from `from` and count what each receiver got. */
    async function counts(from: AnyServer, to: AnyServer[], subject: string, n = 10): Promise<number[]> {
      const subs: Array<{ msgs: string[] }> = [];
      for (const t of to) subs.push(await collect(await client(t.url), subject));
      for (const t of to) await waitInterestFrom(from, t, subject);
      const pub = await client(from.url);
      for (let i = 0; i < n; i++) pub.publish(subject, sc.encode(String(i)));
      await pub.flush();
      await waitFor(`${n} messages at each receiver`, () => subs.every((x) => x.msgs.length >= n));
      await sleep(300);
      return subs.map((x) => x.msgs.length);
    }

    it("a natsfleet cluster as hub: routed interest reaches a nats-server spoke, exactly once", async () => {
      const a = await startOurs(`cluster { name: HUBC, listen: "127.0.0.1:-1" }\n${hubConf("ours")}`, { routes: true });
      const b = await startOurs(`cluster { name: HUBC, listen: "127.0.0.1:-1", routes: ["nats-route://127.0.0.1:${a.clusterPort}"] }\n${hubConf("ours")}`, { routes: true });
      await waitFor("route up", () => (a.server.routes?.size ?? 0) === 1 && (b.server.routes?.size ?? 0) === 1);
      const spoke = await startTheirs(spokeConf(a.leafPort));
      await waitLeafs(a, 1);
      // Publisher on the spoke, subscribers on both hub servers.
      assert.deepStrictEqual(await counts(spoke, [a, b], "up.cluster"), [10, 10]);
      // Publisher on the server the spoke is not attached to.
      assert.deepStrictEqual(await counts(b, [spoke, a], "down.cluster"), [10, 10]);
    });

    it("a nats-server spoke cluster on two natsfleet hubs: no echo back into the origin cluster", async () => {
      const a = await startOurs(`cluster { name: HUBC, listen: "127.0.0.1:-1" }\n${hubConf("ours")}`, { routes: true });
      const b = await startOurs(`cluster { name: HUBC, listen: "127.0.0.1:-1", routes: ["nats-route://127.0.0.1:${a.clusterPort}"] }\n${hubConf("ours")}`, { routes: true });
      await waitFor("hub route up", () => (a.server.routes?.size ?? 0) === 1 && (b.server.routes?.size ?? 0) === 1);
      const [r1, r2] = await freePorts(2);
      const s1 = await startTheirs(`cluster { name: SPK, listen: "127.0.0.1:${r1}", routes: ["nats-route://127.0.0.1:${r2}"] }\n${spokeConf(a.leafPort)}`);
      const s2 = await startTheirs(`cluster { name: SPK, listen: "127.0.0.1:${r2}", routes: ["nats-route://127.0.0.1:${r1}"] }\n${spokeConf(b.leafPort)}`);
      await waitLeafs(a, 1);
      await waitLeafs(b, 1);
      await waitFor("spoke route up", async () => (await getJSON(s1.httpPort, "/routez")).num_routes === 1);
      // Subscribers on the hub side make the spoke cluster send everything to its hubs too.
      const hubSub = await collect(await client(b.url), "echo.test");
      const far = await collect(await client(s2.url), "echo.test");
      await waitInterestFrom(a, b, "echo.test");
      await waitInterest(s1, "echo.test");
      await sleep(300);
      const pub = await client(s1.url);
      for (let i = 0; i < 10; i++) pub.publish("echo.test", sc.encode(String(i)));
      await pub.flush();
      await waitFor("10 messages at both", () => far.msgs.length >= 10 && hubSub.msgs.length >= 10);
      await sleep(300);
      assert.strictEqual(hubSub.msgs.length, 10);
      assert.strictEqual(far.msgs.length, 10, "a subscriber in the origin cluster gets no echo through the hubs");
    });

    it("a natsfleet cluster as spokes of a nats-server hub: nothing is delivered twice", async () => {
      const hub = await startTheirs(hubConf("theirs"));
      const s1 = await startOurs(`cluster { name: SPK, listen: "127.0.0.1:-1" }\n${spokeConf(hub.leafPort)}`, { routes: true });
      const s2 = await startOurs(`cluster { name: SPK, listen: "127.0.0.1:-1", routes: ["nats-route://127.0.0.1:${s1.clusterPort}"] }\n${spokeConf(hub.leafPort)}`, { routes: true });
      await waitFor("route up", () => (s1.server.routes?.size ?? 0) === 1);
      await waitLeafs(hub, 2);
      assert.deepStrictEqual(await counts(hub, [s1, s2], "from.hub"), [10, 10]);
      assert.deepStrictEqual(await counts(s2, [hub, s1], "from.s2"), [10, 10]);
    });
  });

  for (const hk of ["ours", "theirs"] as const) {
    it(`honours deny_imports and deny_exports of a natsfleet spoke (${hk === "ours" ? "natsfleet" : "nats-server"} hub)`, async () => {
      const hub = hk === "ours" ? await startOurs(hubConf("ours")) : await startTheirs(hubConf("theirs"));
      const spoke = await startOurs(
        `leafnodes { remotes: [ { url: "nats-leaf://leaf:s3cret@127.0.0.1:${hub.leafPort}", deny_imports: ["secret.>"], deny_exports: ["private.>"] } ] }`,
      );
      await waitLeafs(spoke, 1);
      const h = await client(hub.url);
      const sp = await client(spoke.url);
      const atHub = await collect(h, ">");
      const atSpoke = await collect(sp, ">");
      await waitInterest(hub, ">");
      await waitInterest(spoke, ">");
      for (const subj of ["private.x", "public.x"]) sp.publish(subj, sc.encode(`spoke:${subj}`));
      for (const subj of ["secret.x", "open.x"]) h.publish(subj, sc.encode(`hub:${subj}`));
      await sp.flush();
      await h.flush();
      await waitFor("allowed messages", () => atHub.msgs.includes("spoke:public.x") && atSpoke.msgs.includes("hub:open.x"));
      await sleep(200);
      assert.ok(!atHub.msgs.includes("spoke:private.x"), `hub got ${atHub.msgs}`);
      assert.ok(!atSpoke.msgs.includes("hub:secret.x"), `spoke got ${atSpoke.msgs}`);
    });
  }

  it("binds the remote's local account on a natsfleet spoke", async () => {
    const hub = await startOurs(hubConf("ours"));
    const spoke = await startOurs(
      `accounts { A: { users: [ { user: a, password: a } ] }, B: { users: [ { user: b, password: b } ] } }\nleafnodes { remotes: [ { url: "nats-leaf://leaf:s3cret@127.0.0.1:${hub.leafPort}", account: A } ] }`,
    );
    await waitLeafs(hub, 1);
    const j = await getJSON(spoke.httpPort, "/leafz");
    assert.strictEqual(j.leafs[0].account, "A");
    const inA = await client(spoke.url, { user: "a", pass: "a" });
    const inB = await client(spoke.url, { user: "b", pass: "b" });
    const gotA = await collect(inA, "spoke.acct");
    const gotB = await collect(inB, "spoke.acct");
    await waitInterest(hub, "spoke.acct");
    const h = await client(hub.url);
    h.publish("spoke.acct", sc.encode("x"));
    await h.flush();
    await waitFor("message in account A", () => gotA.msgs.length === 1);
    await sleep(100);
    assert.strictEqual(gotB.msgs.length, 0);
  });

  it("cuts off a misbehaving leaf peer and keeps serving others", async () => {
    const hub = await startOurs(hubConf("ours"));
    const early = await RawClient.open(hub.leafPort);
    early.send("LS+ foo\r\n");
    await early.waitFor("-ERR 'Authorization Violation'\r\n");
    await early.waitClosed();
    const bad = await fakeSpoke(hub);
    bad.send("LMSG foo ? q 3\r\nabc\r\n");
    await bad.waitClosed();
    const bad2 = await fakeSpoke(hub);
    bad2.send("CONNECT {not json}\r\nLS+ a b\r\n");
    await bad2.waitClosed();
    const silent = await RawClient.open(hub.leafPort);
    await silent.waitFor("-ERR 'Authentication Timeout'\r\n", 4000);
    const spoke = await startTheirs(spokeConf(hub.leafPort));
    await waitLeafs(hub, 1);
    await oneWay(spoke, hub, "still.works");
  });

  it("refuses TLS settings it cannot honour instead of falling back to plaintext", async () => {
    // TLS itself is covered by leafnode-tls.test.ts; here: a listener whose certificate cannot
    // be used does not come up in plaintext.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-leafjunk-"));
    const junk = path.join(dir, "junk.pem");
    fs.writeFileSync(junk, "not a certificate\n");
    try {
      await assert.rejects(startOurs(`leafnodes { listen: "127.0.0.1:-1", tls { cert_file: "${junk}", key_file: "${junk}" } }`), /leafnodes tls: .* unusable/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the natsfleet-server executable peers with nats-server as spoke and as hub", async () => {
    const hub = await startProcess("natsfleet", hubConf("theirs"));
    const spoke = await startTheirs(spokeConf(hub.leafPort));
    await waitLeafs(hub, 1);
    await oneWay(spoke, hub, "bin.up");
    await oneWay(hub, spoke, "bin.down");
    const hub2 = await startTheirs(hubConf("theirs"));
    const spoke2 = await startProcess("natsfleet", spokeConf(hub2.leafPort));
    await waitLeafs(hub2, 1);
    await requestReply(spoke2, hub2, "bin.svc");
    await requestReply(hub2, spoke2, "bin.svc2");
  });

  it("dials as the hub when the remote says hub: true", async () => {
    const listener = await startTheirs(hubConf("theirs"));
    const dialer = await startOurs(`leafnodes { remotes: [ { url: "nats-leaf://leaf:s3cret@127.0.0.1:${listener.leafPort}", hub: true } ] }`);
    await waitLeafs(dialer, 1);
    const conn = [...dialer.server.leafs!.values()][0];
    assert.strictEqual(conn.isSpoke, false);
    await oneWay(listener, dialer, "hub.role.down");
    await oneWay(dialer, listener, "hub.role.up");
  });

  it("advertises interest held outside the index (gateways) to spokes only, counted per key", async () => {
    const hub = await startOurs(hubConf("ours"));
    const add = (subject: string, added: boolean, s: OurServer = hub) => s.server.leafExternalInterest!("$G", subject, undefined, added);
    add("ext.before", true);
    const spoke = await startTheirs(spokeConf(hub.leafPort));
    await waitLeafs(hub, 1);
    await waitInterest(spoke, "ext.before");
    add("ext.after", true);
    add("ext.after", true);
    await waitInterest(spoke, "ext.after");
    add("ext.after", false);
    await sleep(200);
    assert.ok(await hasInterest(spoke, "ext.after"), "still held once");
    add("ext.after", false);
    await waitFor("external interest withdrawn", async () => !(await hasInterest(spoke, "ext.after")));
    // Our server as a spoke keeps such interest to itself.
    const hub2 = await startTheirs(hubConf("theirs"));
    const spoke2 = await startOurs(spokeConf(hub2.leafPort));
    await waitLeafs(hub2, 1);
    add("ext.spoke", true, spoke2);
    const local = await client(spoke2.url);
    local.subscribe("ext.marker");
    await local.flush();
    await waitInterest(hub2, "ext.marker");
    assert.strictEqual(await hasInterest(hub2, "ext.spoke"), false);
  });

  it("accepts a bcrypt leafnode password and creds against a natsfleet hub in operator mode", async () => {
    const hash = bcrypt.hashSync("s3cret", 4);
    const hub = await startOurs(`leafnodes { listen: "127.0.0.1:-1"\n authorization { user: leaf, password: "${hash}" } }`);
    await startTheirs(spokeConf(hub.leafPort));
    await waitLeafs(hub, 1);

    const op = await operatorSetup();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-creds-"));
    try {
      const creds = path.join(dir, "leaf.creds");
      fs.writeFileSync(creds, await op.creds("leaf"));
      const opHub = await startOurs(`${op.config}\nleafnodes { listen: "127.0.0.1:-1" }`);
      const spoke = await startOurs(`leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${opHub.leafPort}", credentials: "${creds}" } ] }`);
      await waitLeafs(opHub, 1);
      assert.strictEqual((await getJSON(opHub.httpPort, "/leafz")).leafs[0].account, op.account);
      assert.strictEqual(spoke.server.leafs?.size, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("carries a burst of 50k messages in order through a natsfleet spoke and hub", async () => {
    const p = await pair("ours", "ours");
    const sub = await client(p.hub.url);
    let n = 0;
    let inOrder = true;
    sub.subscribe("burst", { callback: (_e, m) => {
      if (Number(sc.decode(m.data).slice(0, 8)) !== n) inOrder = false;
      n++;
    } });
    await sub.flush();
    await waitInterest(p.spoke, "burst");
    const pub = await client(p.spoke.url);
    const pad = "x".repeat(92);
    for (let i = 0; i < 50000; i++) pub.publish("burst", sc.encode(String(i).padStart(8, "0") + pad));
    await pub.flush();
    await waitFor("50k messages", () => n >= 50000, 20000);
    assert.ok(inOrder, "messages arrived in order");
    await sleep(100);
    assert.strictEqual(n, 50000);
  });

  it("lists the connection on /leafz on both ends", async () => {
    const p = await pair("ours", "ours");
    const nc = await client(p.hub.url);
    nc.subscribe("leafz.check");
    await nc.flush();
    await waitInterest(p.spoke, "leafz.check");
    const hub = await getJSON(p.hub.httpPort, "/leafz?subs=1");
    assert.strictEqual(hub.leafnodes, 1);
    assert.strictEqual(hub.leafs[0].account, "$G");
    assert.strictEqual(hub.leafs[0].ip, "127.0.0.1");
    const spoke = await getJSON(p.spoke.httpPort, "/leafz?subs=1");
    assert.strictEqual(spoke.leafnodes, 1);
    assert.strictEqual(spoke.leafs[0].port, p.hub.leafPort);
    assert.ok((spoke.leafs[0].subscriptions_list as string[]).includes("leafz.check"), JSON.stringify(spoke.leafs[0]));
    // The hub's own loop-detection subject is among what the spoke learned.
    assert.ok((spoke.leafs[0].subscriptions_list as string[]).some((s) => s.startsWith("$LDS.")));
    const varz = await getJSON(p.hub.httpPort, "/varz");
    assert.strictEqual(varz.leafnodes, 1);
    assert.strictEqual(varz.leaf.port, p.hub.leafPort);
  });

  for (const hk of ["ours", "theirs"] as const) {
    it(`refuses a spoke with a wrong password (${hk === "ours" ? "natsfleet" : "nats-server"} hub, natsfleet spoke)`, async () => {
      const hub = hk === "ours" ? await startOurs(hubConf("ours")) : await startTheirs(hubConf("theirs"));
      const spoke = await startOurs(spokeConf(hub.leafPort, "wrong"));
      await sleep(1500);
      assert.strictEqual(spoke.server.leafs?.size ?? 0, 0);
      const j = await getJSON(hub.httpPort, "/leafz");
      assert.strictEqual(j.leafnodes, 0);
    });
  }

  it("refuses a nats-server spoke with a wrong password", async () => {
    const hub = await startOurs(hubConf("ours"));
    const spoke = await startTheirs(spokeConf(hub.leafPort, "wrong"));
    await sleep(1500);
    assert.strictEqual(hub.server.leafs?.size ?? 0, 0);
    const j = await getJSON(spoke.httpPort, "/leafz");
    assert.strictEqual(j.leafnodes, 0);
  });

  it("rejects a client on the leafnode port and a spoke of the same cluster", async () => {
    const hub = await startOurs(hubConf("ours", `cluster { name: C1, listen: "127.0.0.1:-1" }`));
    assert.strictEqual(await rawFirstErr(hub.leafPort, `CONNECT {"lang":"node","version":"1.0","user":"leaf","pass":"s3cret"}\r\n`), "-ERR 'attempted to connect to leaf node port'");
    assert.strictEqual(
      await rawFirstErr(hub.leafPort, `CONNECT {"version":"2.9.10","tls_required":false,"name":"x","cluster":"C1","headers":true,"user":"leaf","pass":"s3cret"}\r\n`),
      "-ERR 'remote leafnode has same cluster name'",
    );
    assert.strictEqual(await rawFirstErr(hub.leafPort, `CONNECT {"version":"2.9.10","tls_required":false,"name":"x","user":"leaf","pass":"nope"}\r\n`), "-ERR 'Authorization Violation'");
  });

  it("binds the account of the leafnode user on the hub", async () => {
    const accounts = `accounts { A: { users: [ { user: a, password: a } ] }, B: { users: [ { user: b, password: b } ] } }`;
    const hub = await startOurs(`leafnodes { listen: "127.0.0.1:-1"\n authorization { users: [ { user: la, password: pa, account: A } ] } }\n${accounts}`);
    const spoke = await startTheirs(spokeConf(hub.leafPort, "pa").replace("leaf:pa", "la:pa"));
    await waitLeafs(hub, 1);
    const j = await getJSON(hub.httpPort, "/leafz");
    assert.strictEqual(j.leafs[0].account, "A");
    const inA = await client(hub.url, { user: "a", pass: "a" });
    const inB = await client(hub.url, { user: "b", pass: "b" });
    const gotA = await collect(inA, "acct.test");
    const gotB = await collect(inB, "acct.test");
    await waitFor("interest at the spoke", async () => {
      const l = await getJSON(spoke.httpPort, "/leafz?subs=1");
      return ((l.leafs?.[0]?.subscriptions_list ?? []) as string[]).includes("acct.test");
    });
    const sp = await client(spoke.url);
    sp.publish("acct.test", sc.encode("x"));
    await sp.flush();
    await waitFor("message in account A", () => gotA.msgs.length === 1);
    await sleep(100);
    assert.strictEqual(gotB.msgs.length, 0);
  });

  it("without leafnode authorization, a spoke logs in as a client user and gets that user's account", async () => {
    const hub = await startOurs(`accounts { A: { users: [ { user: a, password: pa } ] }, B: { users: [ { user: b, password: pb } ] } }\nleafnodes { listen: "127.0.0.1:-1" }`);
    const spoke = await startOurs(`leafnodes { remotes: [ { url: "nats-leaf://b:pb@127.0.0.1:${hub.leafPort}" } ] }`);
    await waitLeafs(hub, 1);
    assert.strictEqual((await getJSON(hub.httpPort, "/leafz")).leafs[0].account, "B");
    const refused = await startOurs(`leafnodes { remotes: [ { url: "nats-leaf://b:wrong@127.0.0.1:${hub.leafPort}" } ] }`);
    await sleep(1200);
    assert.strictEqual(refused.server.leafs?.size ?? 0, 0);
    assert.strictEqual((await getJSON(hub.httpPort, "/leafz")).leafnodes, 1);
    assert.strictEqual(spoke.server.leafs?.size, 1);
  });

  it("detects a loop and reports it with nats-server's text", async () => {
    // Two of our servers each a spoke of the other: the $LDS subject comes back around.
    const a = await startOurs(`leafnodes { listen: "127.0.0.1:-1" }`);
    const b = await startOurs(`leafnodes { listen: "127.0.0.1:-1", remotes: [ { url: "nats-leaf://127.0.0.1:${a.leafPort}" } ] }`);
    await waitLeafs(a, 1);
    const errs: string[] = [];
    for (const s of [a, b]) {
      const orig = s.server.log.error.bind(s.server.log);
      s.server.log.error = (m: string) => {
        errs.push(m);
        orig(m);
      };
    }
    await reloadOurs(a, `leafnodes { listen: "127.0.0.1:${a.leafPort}", remotes: [ { url: "nats-leaf://127.0.0.1:${b.leafPort}" } ] }`);
    await waitFor("loop detection", () => errs.some((e) => e.includes(`Loop detected for leafnode account="$G". Delaying attempt to reconnect for 30s`)));
  });

  it("detects a loop through a nats-server", async () => {
    const a = await startOurs(`leafnodes { listen: "127.0.0.1:-1" }`);
    const b = await startTheirs(`leafnodes { listen: "127.0.0.1:$LEAF_PORT", remotes: [ { url: "nats-leaf://127.0.0.1:${a.leafPort}" } ] }`);
    await waitLeafs(a, 1);
    const errs: string[] = [];
    const orig = a.server.log.error.bind(a.server.log);
    a.server.log.error = (m: string) => {
      errs.push(m);
      orig(m);
    };
    await reloadOurs(a, `leafnodes { listen: "127.0.0.1:${a.leafPort}", remotes: [ { url: "nats-leaf://127.0.0.1:${b.leafPort}" } ] }`);
    const text = `Loop detected for leafnode account="$G". Delaying attempt to reconnect for 30s`;
    await waitFor("loop detection on either side", () => errs.some((e) => e.includes(text)) || b.proc.output.includes("Loop detected"));
  });

  it("a nats-server spoke reconnects after a natsfleet hub restarts", async () => {
    const hub = await startOurs(hubConf("ours"));
    const port = hub.leafPort;
    const spoke = await startTheirs(spokeConf(port));
    await waitLeafs(hub, 1);
    await stopServer(hub);
    await waitLeafs(spoke, 0);
    const again = await startOurs(`leafnodes { listen: "127.0.0.1:${port}"\n authorization { user: leaf, password: s3cret }\n}`);
    await waitLeafs(again, 1, 15000);
    await oneWay(spoke, again, "after.hub.restart");
    await oneWay(again, spoke, "after.hub.restart.down");
  });

  it("adds and removes a remote by reload without restarting", async () => {
    const hub = await startOurs(hubConf("ours"));
    // No leafnodes block at all at first: the addon comes alive on reload.
    const spoke: OurServer = await startOurs(``);
    const keep = await client(spoke.url);
    await reloadOurs(spoke, spokeConf(hub.leafPort));
    await waitLeafs(hub, 1);
    await oneWay(spoke, hub, "after.reload");
    await reloadOurs(spoke, `leafnodes { }`);
    await waitLeafs(hub, 0);
    assert.strictEqual(spoke.server.leafs?.size, 0);
    assert.ok(!keep.isClosed(), "an unrelated client survived the reloads");
  });

  it("moves the leafnode listener by reload, keeping connected spokes", async () => {
    const hub = await startOurs(hubConf("ours"));
    const oldPort = hub.leafPort;
    const first = await startTheirs(spokeConf(oldPort));
    await waitLeafs(hub, 1);
    const newPort = await freePort();
    await reloadOurs(hub, `leafnodes { listen: "127.0.0.1:${newPort}"\n authorization { user: leaf, password: s3cret }\n}`);
    assert.strictEqual(hub.server.leafnodePort, newPort);
    const second = await startTheirs(spokeConf(newPort));
    await waitLeafs(hub, 2);
    await oneWay(first, hub, "moved.first");
    await oneWay(second, hub, "moved.second");
    await assert.rejects(RawClient.connect(oldPort), /ECONNREFUSED/);
  });

  it("reconnects after the hub restarts", async () => {
    const hub = await startTheirs(hubConf("theirs"));
    const spoke = await startOurs(spokeConf(hub.leafPort));
    await waitLeafs(spoke, 1);
    await stopServer(hub);
    await waitFor("spoke to notice", () => (spoke.server.leafs?.size ?? 0) === 0);
    const again = await startTheirsOnLeafPort(hub.leafPort);
    await waitLeafs(again, 1, 10000);
    await oneWay(spoke, again, "after.restart");
  });
});

/** Complete a fake spoke's handshake on a hub's leafnode port; returns the raw connection. */
async function fakeSpoke(hub: AnyServer, extra: Record<string, unknown> = {}): Promise<RawClient> {
  const c = await RawClient.open(hub.leafPort);
  c.send(`CONNECT ${JSON.stringify({ version: "2.9.10", tls_required: false, server_id: "FAKESPOKE", name: "fake", cluster: "FAKE", headers: true, user: "leaf", pass: "s3cret", ...extra })}\r\n`);
  await c.waitFor(/"connect_info":true[^\r]*\r\n/);
  await c.waitFor(/LS\+ \$LDS\.[0-9A-Za-z]{22}\r\n/);
  return c;
}

/**
 * Wait until `subject` published at `from` would reach a subscriber at `to`: interest is
 * visible at `from` when `to` is a different server (as a leaf or route subscription).
 */
async function waitInterestFrom(from: AnyServer, to: AnyServer, subject: string): Promise<void> {
  if (from === to) return;
  if (from.kind === "natsfleet") {
    await waitFor(`interest in ${subject} at ${from.url}`, () => from.server.globalAccount.sublist.match(subject).psubs.some((x) => x.conn.kind !== 0));
  } else {
    // nats-server is a leaf peer in these topologies: its /leafz lists what crossed to it.
    await waitInterest(from, subject);
  }
  await sleep(100);
}

async function startTheirsOnLeafPort(leafPort: number): Promise<AnyServer> {
  const t = await startTheirs(hubConf("theirs").replace("$LEAF_PORT", String(leafPort)));
  return { ...t, leafPort };
}

/** Connect to a leafnode port, send `line`, return the first -ERR line (or what came instead). */
function rawFirstErr(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let buf = "";
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no -ERR; got ${JSON.stringify(buf)}`));
    }, 3000);
    s.on("data", (d) => {
      buf += d.toString();
      if (buf.startsWith("INFO ") && buf.includes("\r\n") && !buf.includes("CONNECT-SENT")) {
        buf += "CONNECT-SENT";
        s.write(line);
      }
      const m = /-ERR [^\r\n]*/.exec(buf);
      if (m) {
        clearTimeout(timer);
        s.destroy();
        resolve(m[0]);
      }
    });
    s.on("error", () => undefined);
  });
}
