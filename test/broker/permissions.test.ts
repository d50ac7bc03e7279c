/**
 * Per-user permissions (issue 3): publish/subscribe allow and deny with wildcards, queue
 * entries, the delivery-time deny filter, allow_responses, and reload shrinking permissions
 * of live connections. Same config, same bytes, on natsfleet-server and nats-server 2.9.
 */
import * as assert from "assert";
import { SERVER_KINDS, ServerKind, ServerProcess, spawnServer, natsServerBinary, stopAllServers } from "../helpers/servers";
import { closeAllRaw } from "../helpers/raw";
import { accepted, err, login, reload, sleep } from "./security-helpers";
import { PermissionSet, ClientPermissions } from "../../broker/permissions";
import { mapSubject, exportFor } from "../../broker/accounts";

const usersBlock = (aliceSub: string) => `authorization {
  users: [
    { user: alice, password: a, permissions: {
        publish: { allow: ["foo.>", "svc"], deny: ["foo.secret"] }
        subscribe: { allow: [${aliceSub}], deny: ["foo.hidden"] }
    } }
    { user: resp, password: r, permissions: {
        subscribe: "svc"
        allow_responses: { max: 2, expires: "1s" }
    } }
    { user: admin, password: x }
  ]
}`;
const CONFIG = usersBlock(`"foo.>", "bar q1", "baz.*.x qq.*", "_INBOX.>"`);

for (const kind of SERVER_KINDS) {
  describe(`permissions: ${kind}`, function () {
    this.timeout(20000);
    let s: ServerProcess;

    before(async function () {
      if (kind === "nats-server" && !natsServerBinary()) this.skip();
    });
    beforeEach(async () => {
      s = await spawnServer(kind as ServerKind, [], { config: CONFIG });
    });
    afterEach(async () => {
      await closeAllRaw();
      await stopAllServers();
    });

    const user = async (name: string, pass: string, fields: Record<string, unknown> = {}) => {
      const c = await login(s.port, { user: name, pass, ...fields });
      assert.ok(accepted(c), c.afterInfo());
      c.text = c.text.slice(0, c.text.indexOf("\r\n") + 2);
      return c;
    };

    it("a denied publish gets the exact -ERR, is dropped, and the connection stays", async () => {
      const admin = await user("admin", "x");
      admin.send("SUB > 1\r\n");
      await admin.sync();
      const a = await user("alice", "a", { verbose: true });
      a.send("PUB foo.secret 2\r\nhi\r\nPUB other 2\r\nhi\r\nPUB foo.ok 2\r\nhi\r\n");
      const out = await a.sync();
      assert.strictEqual(out, err('Permissions Violation for Publish to "foo.secret"') + err('Permissions Violation for Publish to "other"') + "+OK\r\nPONG\r\n");
      await admin.sync();
      assert.strictEqual(admin.afterInfo().replace(/PONG\r\n/g, ""), "MSG foo.ok 1 2\r\nhi\r\n");
    });

    it("reserved reply subjects (_R_., $JS.ACK., _GR_.) cannot be used by clients", async () => {
      const admin = await user("admin", "x");
      admin.send("SUB > 1\r\n");
      await admin.sync();
      const c = await user("admin", "x");
      c.send("PUB a _R_.x.y 1\r\n1\r\nPUB a $JS.ACK.s.c 1\r\n2\r\nPUB a _GR_.c.s.r 1\r\n3\r\nPUB a _R_ 1\r\n4\r\nPUB a _INBOX.x 1\r\n5\r\n");
      assert.strictEqual(
        await c.sync(),
        err('Permissions Violation for Publish with Reply of "_R_.x.y"') +
          err('Permissions Violation for Publish with Reply of "$JS.ACK.s.c"') +
          err('Permissions Violation for Publish with Reply of "_GR_.c.s.r"') +
          "PONG\r\n",
      );
      await admin.waitFor("_INBOX.x", 3000, false);
      assert.strictEqual((await admin.sync()).replace(/PONG\r\n/g, ""), "MSG a 1 _R_ 1\r\n4\r\nMSG a 1 _INBOX.x 1\r\n5\r\n");
    });

    it("subscribe allow/deny, wildcard coverage and queue entries", async () => {
      const a = await user("alice", "a");
      a.send(
        [
          "SUB nope 1", // not allowed
          "SUB foo.* 2", // allowed (covered by foo.>)
          "SUB foo.hidden 3", // denied
          "SUB bar 4", // only a queue entry for bar: plain denied
          "SUB bar q1 5", // allowed queue
          "SUB bar q2 6", // other queue denied
          "SUB baz.a.x qq.z 7", // wildcard queue entry
          "SUB baz.a.x rr 8",
          "SUB * 9", // wider than any allow
        ].join("\r\n") + "\r\n",
      );
      const out = await a.sync();
      assert.strictEqual(
        out,
        err('Permissions Violation for Subscription to "nope"') +
          err('Permissions Violation for Subscription to "foo.hidden"') +
          err('Permissions Violation for Subscription to "bar"') +
          err('Permissions Violation for Subscription to "bar" using queue "q2"') +
          err('Permissions Violation for Subscription to "baz.a.x" using queue "rr"') +
          err('Permissions Violation for Subscription to "*"') +
          "PONG\r\n",
      );
    });

    it("a wildcard subscription does not receive denied subjects", async () => {
      const a = await user("alice", "a");
      a.send("SUB foo.> 1\r\n");
      await a.sync();
      const admin = await user("admin", "x");
      admin.send("PUB foo.hidden 1\r\nh\r\nPUB foo.shown 1\r\ns\r\n");
      await admin.sync();
      await a.waitFor("MSG foo.shown", 3000, false);
      const out = await a.sync();
      assert.strictEqual(out.replace(/PONG\r\n/g, ""), "MSG foo.shown 1 1\r\ns\r\n");
    });

    it("allow_responses: reply subjects of received requests are publishable, up to max", async () => {
      const r = await user("resp", "r");
      r.send("SUB svc 1\r\n");
      await r.sync();
      const a = await user("alice", "a");
      a.send("SUB _INBOX.a 1\r\nPUB svc _INBOX.a 3\r\nreq\r\n");
      await r.waitFor("MSG svc 1 _INBOX.a 3\r\nreq\r\n", 3000, false);
      r.send("PUB _INBOX.a 2\r\nr1\r\nPUB _INBOX.a 2\r\nr2\r\nPUB _INBOX.a 2\r\nr3\r\nPUB _INBOX.other 1\r\nx\r\nPUB svc 1\r\nx\r\n");
      const out = await r.sync();
      assert.strictEqual(
        out.slice(out.indexOf("req\r\n") + 5).replace(/PONG\r\n/g, ""),
        err('Permissions Violation for Publish to "_INBOX.a"') + err('Permissions Violation for Publish to "_INBOX.other"') + err('Permissions Violation for Publish to "svc"'),
      );
      await a.waitFor("r2", 3000, false);
      await sleep(100);
      assert.strictEqual((await a.sync()).replace(/PONG\r\n/g, ""), "MSG _INBOX.a 1 2\r\nr1\r\nMSG _INBOX.a 1 2\r\nr2\r\n");
    });

    it("allow_responses: a grant expires", async () => {
      const r = await user("resp", "r");
      r.send("SUB svc 1\r\n");
      await r.sync();
      const a = await user("alice", "a");
      a.send("PUB svc _INBOX.b 1\r\nq\r\n");
      await r.waitFor("MSG svc", 3000, false);
      await sleep(1300);
      r.text = r.text.slice(0, r.text.indexOf("\r\n") + 2);
      r.send("PUB _INBOX.b 1\r\nz\r\n");
      assert.strictEqual(await r.sync(), err('Permissions Violation for Publish to "_INBOX.b"') + "PONG\r\n");
    });

    it("reload: shrunk permissions remove subscriptions and deny publishes that were allowed", async () => {
      const a = await user("alice", "a");
      a.send("SUB foo.x 1\r\nSUB bar q1 2\r\nPUB foo.y 0\r\n\r\n");
      assert.strictEqual(await a.sync(), "PONG\r\n");
      await reload(s, usersBlock(`"bar q1"`).replace(`"foo.>", "svc"`, `"svc"`));
      await a.waitFor("sid", 3000, false);
      assert.strictEqual(a.afterInfo().replace(/PONG\r\n/g, ""), err('Permissions Violation for Subscription to "foo.x" (sid "1")'));
      a.text = a.text.slice(0, a.text.indexOf("\r\n") + 2);
      a.send("PUB foo.y 0\r\n\r\nSUB foo.z 3\r\n");
      assert.strictEqual(await a.sync(), err('Permissions Violation for Publish to "foo.y"') + err('Permissions Violation for Subscription to "foo.z"') + "PONG\r\n");
      assert.ok(!a.closed);
    });
  });
}

describe("permission matching (unit)", () => {
  it("a SUB is allowed only where the allow list covers its subject token by token (nats-server's sublist rules)", () => {
    const p = new PermissionSet({ subscribe: { allow: ["foo.*", "bar.>", "q.x grp"] } });
    assert.strictEqual(p.canSubscribe("foo.a"), true);
    assert.strictEqual(p.canSubscribe("foo.*"), true);
    assert.strictEqual(p.canSubscribe("foo.>"), true, "'>' as the last token is matched by '*' there");
    assert.strictEqual(p.canSubscribe("foo.a.b"), false);
    assert.strictEqual(p.canSubscribe(">"), false);
    assert.strictEqual(p.canSubscribe("bar.x.y"), true);
    assert.strictEqual(p.canSubscribe("bar"), false);
    assert.strictEqual(p.canSubscribe("q.x"), false);
    assert.strictEqual(p.canSubscribe("q.x", "grp"), true);
    assert.strictEqual(p.canSubscribe("q.x", "other"), false);
  });

  it("publish: allow then deny, cached; allow_responses grants count and expire", () => {
    const p = new ClientPermissions(new PermissionSet({ publish: { allow: ["a.>"], deny: ["a.b"] }, allowResponses: { maxMsgs: 1, expires: 60000 } }));
    assert.strictEqual(p.canPublish("a.c"), true);
    assert.strictEqual(p.canPublish("a.b"), false);
    assert.strictEqual(p.canPublish("r.1"), false);
    p.trackReply("r.1");
    assert.strictEqual(p.canPublish("r.1"), true);
    assert.strictEqual(p.canPublish("r.1"), false, "max 1 response");
  });

  it("maps imported subjects and checks exports", () => {
    assert.strictEqual(mapSubject("svc.a.b", "svc.*.*", "in.*.x.*"), "in.a.x.b");
    assert.strictEqual(mapSubject("svc.a.b.c", "svc.>", "in.>"), "in.a.b.c");
    assert.strictEqual(mapSubject("svc.a", "svc.a", "other"), "other");
    const exports = [{ kind: "stream" as const, subject: "feed.>" }, { kind: "service" as const, subject: "priv", accounts: ["B"] }];
    assert.ok(exportFor(exports, "stream", "feed.x.>", "Z"));
    assert.ok(!exportFor(exports, "stream", "feed", "Z"));
    assert.ok(exportFor(exports, "service", "priv", "B"));
    assert.ok(!exportFor(exports, "service", "priv", "C"));
  });
});
