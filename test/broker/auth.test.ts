/**
 * Client authentication (issue 3): bcrypt users, token, no_auth_user, auth timeout, nkey users
 * signing the INFO nonce, and reload of users. Each scenario runs against natsfleet-server and
 * Debian's nats-server 2.9 with the same config file.
 */
import * as assert from "assert";
import * as bcrypt from "bcryptjs";
import { connect, nkeyAuthenticator } from "nats";
import { SERVER_KINDS, ServerKind, spawnServer, natsServerBinary, stopAllServers } from "../helpers/servers";
import { closeAllRaw } from "../helpers/raw";
import { accepted, err, login, newNkeyUser, reload } from "./security-helpers";

const HASH_A = bcrypt.hashSync("alice-pw", 4).replace(/^\$2b\$/, "$2a$");
const HASH_B = bcrypt.hashSync("bob-pw", 4);

for (const kind of SERVER_KINDS) {
  describe(`authentication: ${kind}`, function () {
    this.timeout(20000);

    before(function () {
      if (kind === "nats-server" && !natsServerBinary()) this.skip();
    });
    afterEach(async () => {
      await closeAllRaw();
      await stopAllServers();
    });

    const start = (config: string) => spawnServer(kind as ServerKind, [], { config });

    it("bcrypt passwords ($2a$ and $2b$) in a users list; wrong ones get 'Authorization Violation' and are closed", async () => {
      const s = await start(`authorization { users: [ {user: alice, password: "${HASH_A}"}, {user: bob, password: "${HASH_B}"} ] }`);
      const a = await login(s.port, { user: "alice", pass: "alice-pw" });
      assert.ok(accepted(a), a.afterInfo());
      assert.strictEqual(a.info().auth_required, true);
      const b = await login(s.port, { user: "bob", pass: "bob-pw" });
      assert.ok(accepted(b), b.afterInfo());
      for (const bad of [{ user: "alice", pass: "bob-pw" }, { user: "alice", pass: HASH_A }, { user: "carol", pass: "x" }, {}]) {
        const c = await login(s.port, bad);
        await c.waitClosed();
        assert.strictEqual(c.afterInfo(), err("Authorization Violation"), JSON.stringify(bad));
      }
      // Others are not affected.
      a.send("PING\r\n");
      await a.waitFor(/PONG\r\nPONG\r\n/, 3000, false);
    });

    it("token, single user and no_auth_user", async () => {
      let s = await start(`authorization { token: "s3cret" }`);
      assert.ok(accepted(await login(s.port, { auth_token: "s3cret" })));
      const bad = await login(s.port, { auth_token: "nope" });
      await bad.waitClosed();
      assert.strictEqual(bad.afterInfo(), err("Authorization Violation"));
      await s.stop();

      s = await start(`authorization { user: u, password: "${HASH_A}" }`);
      assert.ok(accepted(await login(s.port, { user: "u", pass: "alice-pw" })));
      const bad2 = await login(s.port, { user: "u", pass: "wrong" });
      await bad2.waitClosed();
      await s.stop();

      s = await start(`no_auth_user: guest\nauthorization { users: [ {user: guest, password: gpw}, {user: admin, password: pw} ] }`);
      const g = await login(s.port, {});
      assert.ok(accepted(g), g.afterInfo());
      assert.strictEqual(g.info().auth_required, undefined);
      assert.ok(accepted(await login(s.port, { user: "admin", pass: "pw" })));
      const wrong = await login(s.port, { user: "admin", pass: "nope" });
      await wrong.waitClosed();
      assert.strictEqual(wrong.afterInfo(), err("Authorization Violation"));
      await s.stop();

      // nats-server checks a no_auth_user's configured password against itself: a bcrypt one fails.
      s = await start(`no_auth_user: guest\nauthorization { users: [ {user: guest, password: "${HASH_B}"} ] }`);
      const bg = await login(s.port, {});
      await bg.waitClosed();
      assert.strictEqual(bg.afterInfo(), err("Authorization Violation"));
    });

    it("auth timeout: no CONNECT within `timeout` gets 'Authentication Timeout'", async () => {
      const s = await start(`authorization { timeout: 1, token: t }`);
      const { RawClient } = await import("../helpers/raw");
      const c = await RawClient.open(s.port);
      const t0 = Date.now();
      await c.waitClosed(4000);
      assert.strictEqual(c.afterInfo(), err("Authentication Timeout"));
      assert.ok(Date.now() - t0 >= 900, `closed after ${Date.now() - t0} ms`);
    });

    it("nkey users: INFO carries a nonce; the signature over it is verified", async () => {
      const u = newNkeyUser();
      const other = newNkeyUser();
      const s = await start(`authorization { users: [ {nkey: ${u.pub}}, {user: plain, password: pw} ] }`);
      const ok = await login(s.port, { nkey: u.pub }, u.sign);
      assert.ok(accepted(ok), ok.afterInfo());
      const nonce = ok.info().nonce as string;
      assert.match(nonce, /^[A-Za-z0-9_-]{15}$/);
      // A signature by another key, a missing one, an unknown nkey: all rejected.
      for (const [fields, sign] of [
        [{ nkey: u.pub }, other.sign],
        [{ nkey: u.pub }, undefined],
        [{ nkey: other.pub }, other.sign],
      ] as const) {
        const c = await login(s.port, fields, sign);
        await c.waitClosed();
        assert.strictEqual(c.afterInfo(), err("Authorization Violation"));
      }
      // Users with passwords still work next to nkeys.
      assert.ok(accepted(await login(s.port, { user: "plain", pass: "pw" })));
      // The official client signs the nonce the same way.
      const nc = await connect({ servers: `127.0.0.1:${s.port}`, authenticator: nkeyAuthenticator(new TextEncoder().encode(u.seed)) });
      await nc.flush();
      await nc.close();
    });

    it("malformed, mistyped and oversized CONNECTs are cut off; the server and other clients carry on", async () => {
      const s = await start(`authorization { users: [ {user: a, password: "${HASH_A}"} ] }`);
      const good = await login(s.port, { user: "a", pass: "alice-pw" });
      assert.ok(accepted(good));
      const { RawClient } = await import("../helpers/raw");
      const results: string[] = [];
      for (const line of [
        `CONNECT {"user":"a","pass":"alice-pw"\r\n`,
        `CONNECT {"user":1,"pass":"alice-pw"}\r\n`,
        `CONNECT [1,2]\r\n`,
        `CONNECT {"user":"a","pass":"${"x".repeat(5000)}"}\r\n`,
        `CONNECT {"nkey":"UABC","sig":"zzz"}\r\n`,
        `CONNECT {"jwt":"eyJ.x.y","sig":"zzz"}\r\n`,
      ]) {
        const c = await RawClient.open(s.port);
        c.send(line + "PING\r\n");
        await c.waitClosed();
        results.push(c.afterInfo());
      }
      assert.deepStrictEqual(results, [
        "",
        "",
        "",
        err("maximum control line exceeded"),
        err("Authorization Violation"),
        err("Authorization Violation"),
      ]);
      await good.sync();
      assert.ok(accepted(await login(s.port, { user: "a", pass: "alice-pw" })));
    });

    it("reload: a removed user is disconnected, a changed password disconnects, others stay", async () => {
      const base = (users: string) => `authorization { users: [ ${users} ] }`;
      const s = await start(base(`{user: a, password: pa}, {user: b, password: pb}, {user: c, password: pc}`));
      const a = await login(s.port, { user: "a", pass: "pa" });
      const b = await login(s.port, { user: "b", pass: "pb" });
      const c = await login(s.port, { user: "c", pass: "pc" });
      assert.ok(accepted(a) && accepted(b) && accepted(c));
      await reload(s, base(`{user: a, password: pa}, {user: c, password: changed}`));
      // A removed user counts as moved to another account: closed without -ERR.
      await b.waitClosed();
      assert.strictEqual(b.afterInfo(), "PONG\r\n");
      await c.waitClosed();
      assert.strictEqual(c.afterInfo(), "PONG\r\n" + err("Authorization Violation"));
      assert.ok(await a.staysOpen(200));
      await a.sync();
      assert.ok(accepted(await login(s.port, { user: "c", pass: "changed" })));
    });

    it("reload: a no_auth_user login keeps the password it got (changed password -> 'Authorization Violation')", async () => {
      const conf = (users: string) => `no_auth_user: g1\nauthorization { users: [ ${users} ] }`;
      const s = await start(conf(`{user: g1, password: p1}, {user: g2, password: p2}`));
      const first = await login(s.port, {});
      assert.ok(accepted(first));
      await reload(s, conf(`{user: g1, password: p1}, {user: g2, password: p2changed}`));
      assert.ok(await first.staysOpen(200), "g1 is unchanged: the login stays");
      await reload(s, conf(`{user: g1, password: p1changed}, {user: g2, password: p2}`));
      await first.waitClosed();
      assert.strictEqual(first.afterInfo(), "PONG\r\n" + err("Authorization Violation"));
      assert.ok(accepted(await login(s.port, {})));
    });
  });
}
