/**
 * Accounts (issue 3): isolation of subject spaces, stream exports/imports with prefixes,
 * service exports/imports with `to` and responses routed back, private exports, and reload of
 * account imports. Same config on natsfleet-server and nats-server 2.9.
 */
import * as assert from "assert";
import { connect, StringCodec } from "nats";
import { SERVER_KINDS, ServerKind, ServerProcess, spawnServer, natsServerBinary, stopAllServers } from "../helpers/servers";
import { RawClient, closeAllRaw } from "../helpers/raw";
import { accepted, login, reload, sleep } from "./security-helpers";

const ISOLATION = `accounts {
  X: { users: [ {user: x, password: x} ] }
  Y: { users: [ {user: y, password: y} ] }
  Z: { users: [ {user: z, password: z} ] }
}`;

const LINKED = (bImports: string) => `accounts {
  A: {
    users: [ {user: a, password: a} ]
    exports: [
      {stream: "feed.>"}
      {service: "svc.>"}
      {service: "priv", accounts: [B]}
      {stream: "pstream", accounts: [B]}
    ]
  }
  B: {
    users: [ {user: b, password: b} ]
    imports: [ ${bImports} ]
  }
  C: {
    users: [ {user: c, password: c} ]
    imports: [
      {stream: {account: A, subject: "feed.>"}}
      {service: {account: A, subject: "svc.*"}}
    ]
  }
}`;
const B_IMPORTS = `
      {stream: {account: A, subject: "feed.>"}, prefix: "fromA"}
      {service: {account: A, subject: "svc.echo"}, to: "echo"}
      {service: {account: A, subject: "priv"}}
      {stream: {account: A, subject: "pstream"}}`;

/** MSG lines received after INFO (PONGs dropped). */
function msgs(c: RawClient): string {
  return c.afterInfo().replace(/PONG\r\n/g, "");
}

for (const kind of SERVER_KINDS) {
  describe(`accounts: ${kind}`, function () {
    this.timeout(20000);
    let s: ServerProcess;

    before(function () {
      if (kind === "nats-server" && !natsServerBinary()) this.skip();
    });
    afterEach(async () => {
      await closeAllRaw();
      await stopAllServers();
    });

    const user = async (name: string) => {
      const c = await login(s.port, { user: name, pass: name });
      assert.ok(accepted(c), c.afterInfo());
      c.text = c.text.slice(0, c.text.indexOf("\r\n") + 2);
      return c;
    };

    it("isolation: 3 accounts, wildcard subscribers, every subject from every account: 0 wrong-account deliveries", async () => {
      s = await spawnServer(kind as ServerKind, [], { config: ISOLATION });
      const names = ["x", "y", "z"];
      const subs = await Promise.all(names.map(user));
      for (const c of subs) c.send("SUB > 1\r\nSUB *.* 2\r\nSUB iso.> q 3\r\n");
      await Promise.all(subs.map((c) => c.sync()));
      const pubs = await Promise.all(names.map(user));
      const subjects = ["iso.a", "iso.b", "x", "y.z", "_INBOX.q", "$SYS.x"];
      for (let i = 0; i < pubs.length; i++) {
        pubs[i].send(subjects.map((subj) => `PUB ${subj} 1\r\n${names[i]}\r\n`).join(""));
      }
      await Promise.all(pubs.map((c) => c.sync()));
      await sleep(150);
      await Promise.all(subs.map((c) => c.sync()));
      let wrong = 0;
      let right = 0;
      for (let i = 0; i < subs.length; i++) {
        const text = msgs(subs[i]);
        const re = /MSG (\S+) (\d) (\d+)\r\n(\w)\r\n/g;
        for (let m = re.exec(text); m; m = re.exec(text)) {
          if (m[4] === names[i]) right++;
          else wrong++;
        }
      }
      assert.strictEqual(wrong, 0);
      // Per account: 6 subjects on ">", 5 two-token ones on "*.*", 2 "iso." ones in the queue.
      assert.strictEqual(right, 3 * (6 + 5 + 2));
    });

    it("stream import with and without prefix; the exporter's own subscribers still get it", async () => {
      s = await spawnServer(kind as ServerKind, [], { config: LINKED(B_IMPORTS) });
      const [a, b, c] = await Promise.all(["a", "b", "c"].map(user));
      a.send("SUB feed.> 1\r\n");
      b.send("SUB > 1\r\n");
      c.send("SUB feed.* 1\r\n");
      await Promise.all([a, b, c].map((x) => x.sync()));
      a.send("PUB feed.x reply.1 2\r\nhi\r\nPUB other 1\r\nz\r\n");
      await a.sync();
      await b.waitFor("MSG", 3000, false);
      await c.waitFor("MSG", 3000, false);
      await sleep(100);
      assert.strictEqual(msgs(a), "MSG feed.x 1 reply.1 2\r\nhi\r\n");
      assert.strictEqual(msgs(b), "MSG fromA.feed.x 1 reply.1 2\r\nhi\r\n");
      assert.strictEqual(msgs(c), "MSG feed.x 1 reply.1 2\r\nhi\r\n");
      // Nothing flows back: B publishing the prefixed subject reaches no one in A or C.
      b.send("PUB feed.y 1\r\nb\r\n");
      await b.sync();
      await sleep(100);
      assert.strictEqual(msgs(a), "MSG feed.x 1 reply.1 2\r\nhi\r\n");
    });

    it("service import with `to`: the request reaches A with an _R_ reply, the response reaches the requester", async () => {
      s = await spawnServer(kind as ServerKind, [], { config: LINKED(B_IMPORTS) });
      const a = await user("a");
      a.send("SUB svc.echo 1\r\nSUB priv 2\r\n");
      await a.sync();
      const b = await user("b");
      b.send("SUB _INBOX.b 9\r\nPUB echo _INBOX.b 4\r\nping\r\n");
      const got = await a.waitFor(/MSG svc\.echo 1 (\S+) 4\r\nping\r\n/, 3000, false);
      const reply = /MSG svc\.echo 1 (\S+) 4/.exec(got)![1];
      assert.match(reply, /^_R_\.[A-Za-z0-9]+\.[A-Za-z0-9]+$/);
      a.send(`PUB ${reply} 4\r\npong\r\n`);
      await b.waitFor("MSG _INBOX.b 9 4\r\npong\r\n", 3000, false);
      // A singleton response mapping is used once.
      a.send(`PUB ${reply} 5\r\nagain\r\n`);
      await a.sync();
      await sleep(100);
      assert.strictEqual(msgs(b), "MSG _INBOX.b 9 4\r\npong\r\n");

      // The official client's request/reply across accounts, private export included.
      const nc = await connect({ servers: `127.0.0.1:${s.port}`, user: "b", pass: "b" });
      const sc = StringCodec();
      const echo = await connect({ servers: `127.0.0.1:${s.port}`, user: "a", pass: "a" });
      echo.subscribe("svc.>", { callback: (_e, m) => m.respond(sc.encode(`A:${m.subject}:${sc.decode(m.data)}`)) });
      await echo.flush();
      const r1 = await nc.request("echo", sc.encode("1"), { timeout: 2000 });
      assert.ok(sc.decode(r1.data) === "A:svc.echo:1");
      const cc = await connect({ servers: `127.0.0.1:${s.port}`, user: "c", pass: "c" });
      const r2 = await cc.request("svc.anything", sc.encode("2"), { timeout: 2000 });
      assert.strictEqual(sc.decode(r2.data), "A:svc.anything:2");
      // C did not import "priv": its request finds no responder in its own account.
      await assert.rejects(cc.request("priv", sc.encode("3"), { timeout: 500 }));
      await Promise.all([nc.close(), echo.close(), cc.close()]);
    });

    it("reload: a user moved to another account is closed without -ERR; users that stay keep their subscriptions", async () => {
      s = await spawnServer(kind as ServerKind, [], { config: ISOLATION });
      const [x, y] = await Promise.all(["x", "y"].map(user));
      x.send("SUB a 1\r\n");
      y.send("SUB a 1\r\n");
      await Promise.all([x.sync(), y.sync()]);
      await reload(s, ISOLATION.replace("X: { users: [ {user: x, password: x} ] }", "X: {}").replace("Z: { users: [ {user: z, password: z} ]", "Z: { users: [ {user: z, password: z}, {user: x, password: x} ]"));
      await x.waitClosed();
      assert.strictEqual(x.afterInfo(), "PONG\r\n");
      const y2 = await user("y");
      y2.send("PUB a 1\r\nq\r\n");
      await y.waitFor("MSG a 1 1\r\nq\r\n", 3000, false);
      // The moved user now logs in to its new account.
      const x2 = await user("x");
      x2.send("SUB a 1\r\n");
      await x2.sync();
      y2.send("PUB a 1\r\nr\r\n");
      await y2.sync();
      await sleep(100);
      assert.ok(!(await x2.sync()).includes("MSG"));
    });

    it("a request to an imported service without responders gets no no-responders status (the import is a receiver)", async () => {
      s = await spawnServer(kind as ServerKind, [], { config: LINKED(B_IMPORTS) });
      const b = await login(s.port, { user: "b", pass: "b", headers: true, no_responders: true });
      assert.ok(accepted(b));
      b.send("SUB _INBOX.r 1\r\nPUB echo _INBOX.r 0\r\n\r\n");
      await sleep(300);
      const out = (await b.sync()).replace(/PONG\r\n/g, "");
      assert.strictEqual(out, "");
      // Without an import, the same request does get the 503.
      b.send("PUB nothing _INBOX.r 0\r\n\r\n");
      await b.waitFor("NATS/1.0 503", 3000, false);
    });

    it("reload: a removed import stops the flow, others continue", async () => {
      s = await spawnServer(kind as ServerKind, [], { config: LINKED(B_IMPORTS) });
      const [a, b] = await Promise.all(["a", "b"].map(user));
      b.send("SUB > 1\r\n");
      await b.sync();
      a.send("PUB feed.1 1\r\n1\r\nPUB pstream 1\r\n2\r\n");
      await b.waitFor("MSG pstream 1 1\r\n2\r\n", 3000, false);
      await reload(s, LINKED(`{stream: {account: A, subject: "pstream"}}`));
      b.text = b.text.slice(0, b.text.indexOf("\r\n") + 2);
      a.send("PUB feed.2 1\r\n3\r\nPUB pstream 1\r\n4\r\n");
      await b.waitFor("MSG pstream 1 1\r\n4\r\n", 3000, false);
      await sleep(100);
      assert.strictEqual(msgs(b), "MSG pstream 1 1\r\n4\r\n");
    });
  });
}

/** Service and stream imports across a two-server cluster: requester on one, responder on the other. */
describe("accounts across a cluster", function () {
  this.timeout(30000);
  const ACCOUNTS = LINKED(B_IMPORTS).split("\n");
  const pairs: Array<[ServerKind, ServerKind]> = [["natsfleet", "natsfleet"], ["natsfleet", "nats-server"], ["nats-server", "natsfleet"]];

  after(async () => {
    await closeAllRaw();
    await stopAllServers();
  });

  for (const [k1, k2] of pairs) {
    it(`requests from B on ${k1} reach A's responder on ${k2}, responses come back`, async function () {
      if ((k1 === "nats-server" || k2 === "nats-server") && !natsServerBinary()) this.skip();
      const { startMember, memberPorts } = await import("./route-helpers");
      const p1 = await memberPorts();
      const p2 = await memberPorts();
      const m1 = await startMember(k1, { name: "s1", cluster: "c", ports: p1, extra: ACCOUNTS, routes: [`nats-route://127.0.0.1:${p2.cluster}`] });
      const m2 = await startMember(k2, { name: "s2", cluster: "c", ports: p2, extra: ACCOUNTS, routes: [`nats-route://127.0.0.1:${p1.cluster}`] });
      const sc = StringCodec();
      const responder = await connect({ servers: m2.url, user: "a", pass: "a" });
      responder.subscribe("svc.>", { callback: (_e, m) => m.respond(sc.encode(`from ${k2}: ${sc.decode(m.data)}`)) });
      await responder.flush();
      const requester = await connect({ servers: m1.url, user: "b", pass: "b" });
      let answer = "";
      for (let i = 0; i < 50 && !answer; i++) {
        try {
          answer = sc.decode((await requester.request("echo", sc.encode("hi"), { timeout: 500 })).data);
        } catch {
          await sleep(100); // route interest still on its way
        }
      }
      assert.strictEqual(answer, `from ${k2}: hi`);
      // A stream import crosses the cluster too: published in A on s2, seen in B on s1 under the prefix.
      const feed = requester.subscribe("fromA.feed.>", { max: 1 });
      await requester.flush();
      await sleep(300);
      responder.publish("feed.z", sc.encode("f"));
      const got = await Promise.race([(async () => { for await (const m of feed) return m.subject; return ""; })(), sleep(3000).then(() => "timeout")]);
      assert.strictEqual(got, "fromA.feed.z");
      await Promise.all([responder.close(), requester.close()]);
      await Promise.all([m1.proc.stop(), m2.proc.stop()]);
    });
  }
});
