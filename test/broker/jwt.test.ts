/**
 * Operator mode (issue 3): an operator JWT, `resolver: MEMORY` with preloaded account JWTs,
 * and users presenting a user JWT plus a signature over the INFO nonce, as a `.creds` file
 * gives them. Keys and JWTs are generated here with @nats-io/nkeys and @nats-io/jwt; the same
 * config and the same .creds files are used against natsfleet-server and nats-server 2.9.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createAccount, createOperator, createUser, KeyPair } from "@nats-io/nkeys";
import { encodeAccount, encodeActivation, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import { connect, credsAuthenticator, StringCodec } from "nats";
import { SERVER_KINDS, ServerKind, ServerProcess, spawnServer, natsServerBinary, stopAllServers } from "../helpers/servers";
import { closeAllRaw } from "../helpers/raw";
import { accepted, err, login, reload, sleep } from "./security-helpers";

interface Fixture {
  dir: string;
  config: string;
  op: KeyPair;
  acct: KeyPair;
  other: KeyPair;
  limited: KeyPair;
  revokedUser: KeyPair;
  acctJwt: string;
  limits: Record<string, unknown>;
  sys: KeyPair;
}

/** A user JWT for `acct` and the signer of the INFO nonce for its key. */
async function userJwt(acct: KeyPair, opts: Parameters<typeof encodeUser>[3] = {}, exp?: number): Promise<{ jwt: string; kp: KeyPair; sign: (n: string) => string }> {
  const kp = createUser();
  const jwt = await encodeUser("u", kp, acct, opts, exp ? { exp } : {});
  return { jwt, kp, sign: (n: string) => Buffer.from(kp.sign(Buffer.from(n))).toString("base64url") };
}

async function fixture(): Promise<Fixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-jwt-"));
  const op = createOperator();
  const sys = createAccount();
  const acct = createAccount();
  const other = createAccount();
  const limited = createAccount();
  const revokedUser = createUser();
  // nsc writes every limit; a missing one means zero to nats-server (no connections at all).
  const open = { limits: { conn: -1, subs: -1, payload: -1, data: -1, imports: -1, exports: -1, leaf: -1, wildcards: true } };
  const opJwt = await encodeOperator("OP", op, { system_account: sys.getPublicKey() });
  fs.writeFileSync(path.join(dir, "op.jwt"), opJwt);
  const sysJwt = await encodeAccount("SYS", sys, open, { signer: op });
  // Revoked users: everything issued up to now.
  const acctJwt = await encodeAccount("APP", acct, { ...open, revocations: { [revokedUser.getPublicKey()]: Math.floor(Date.now() / 1000) + 5 } }, { signer: op });
  const otherJwt = await encodeAccount("OTHER", other, open, { signer: op });
  const limitedJwt = await encodeAccount("LIM", limited, { limits: { ...open.limits, conn: 1, subs: 2, payload: 8 } }, { signer: op });
  const config = `operator: "${path.join(dir, "op.jwt")}"
system_account: ${sys.getPublicKey()}
resolver: MEMORY
resolver_preload: {
  ${sys.getPublicKey()}: "${sysJwt}"
  ${acct.getPublicKey()}: "${acctJwt}"
  ${other.getPublicKey()}: "${otherJwt}"
  ${limited.getPublicKey()}: "${limitedJwt}"
}
`;
  return { dir, config, op, acct, other, limited, revokedUser, acctJwt, limits: open.limits, sys };
}

for (const kind of SERVER_KINDS) {
  describe(`operator JWTs: ${kind}`, function () {
    this.timeout(20000);
    let fx: Fixture;
    let s: ServerProcess;

    before(async function () {
      if (kind === "nats-server" && !natsServerBinary()) this.skip();
      fx = await fixture();
      s = await spawnServer(kind as ServerKind, [], { config: fx.config });
    });
    afterEach(async () => {
      await closeAllRaw();
    });
    after(async () => {
      await closeAllRaw();
      await stopAllServers();
      if (fx) fs.rmSync(fx.dir, { recursive: true, force: true });
    });

    it("a .creds file made for nats-server connects unchanged (official client)", async () => {
      const u = await userJwt(fx.acct);
      const creds = fmtCreds(u.jwt, u.kp);
      fs.writeFileSync(path.join(fx.dir, "user.creds"), creds);
      const nc = await connect({ servers: `127.0.0.1:${s.port}`, authenticator: credsAuthenticator(fs.readFileSync(path.join(fx.dir, "user.creds"))) });
      const sc = StringCodec();
      const sub = nc.subscribe("hello", { max: 1 });
      nc.publish("hello", sc.encode("world"));
      for await (const m of sub) assert.strictEqual(sc.decode(m.data), "world");
      await nc.close();
    });

    it("raw CONNECT: INFO has a nonce; wrong signature, unknown account, expired or revoked users are refused", async () => {
      const good = await userJwt(fx.acct);
      const ok = await login(s.port, { jwt: good.jwt }, good.sign);
      assert.ok(accepted(ok), ok.afterInfo());
      assert.strictEqual(ok.info().auth_required, true);
      assert.match(ok.info().nonce as string, /^[A-Za-z0-9_-]{15}$/);

      const stranger = createAccount();
      const cases: Array<[string, Record<string, unknown>, ((n: string) => string) | undefined]> = [];
      const other = await userJwt(fx.acct);
      cases.push(["signature by another key", { jwt: good.jwt }, other.sign]);
      cases.push(["no signature", { jwt: good.jwt }, undefined]);
      const unknown = await userJwt(stranger);
      cases.push(["account not in the resolver", { jwt: unknown.jwt }, unknown.sign]);
      const expired = await userJwt(fx.acct, {}, Math.floor(Date.now() / 1000) - 10);
      cases.push(["expired user JWT", { jwt: expired.jwt }, expired.sign]);
      const revokedJwt = await encodeUser("r", fx.revokedUser, fx.acct);
      cases.push(["revoked user", { jwt: revokedJwt }, (n) => Buffer.from(fx.revokedUser.sign(Buffer.from(n))).toString("base64url")]);
      cases.push(["no JWT at all", { user: "x", pass: "y" }, undefined]);
      cases.push(["garbage JWT", { jwt: "eyJhbGciOi.bad.jwt" }, good.sign]);
      for (const [what, fields, sign] of cases) {
        const c = await login(s.port, fields, sign);
        await c.waitClosed();
        assert.strictEqual(c.afterInfo(), err("Authorization Violation"), what);
      }
      // The accepted connection is unaffected.
      await ok.sync();
    });

    it("a user JWT's src CIDRs limit where it may connect from", async () => {
      const local = await userJwt(fx.acct, { src: ["127.0.0.0/8"] } as never);
      const ok = await login(s.port, { jwt: local.jwt }, local.sign);
      assert.ok(accepted(ok), ok.afterInfo());
      const remote = await userJwt(fx.acct, { src: ["10.0.0.0/8", "192.168.0.0/16"] } as never);
      const bad = await login(s.port, { jwt: remote.jwt }, remote.sign);
      await bad.waitClosed();
      assert.strictEqual(bad.afterInfo(), err("Authorization Violation"));
    });

    it("a system account user sees $SYS.ACCOUNT.<account key>.CONNECT events", async () => {
      const su = await userJwt(fx.sys);
      const sysc = await login(s.port, { jwt: su.jwt }, su.sign);
      assert.ok(accepted(sysc), sysc.afterInfo());
      sysc.send("SUB $SYS.ACCOUNT.*.CONNECT 1\r\n");
      await sysc.sync();
      const u = await userJwt(fx.other);
      const c = await login(s.port, { jwt: u.jwt }, u.sign);
      assert.ok(accepted(c));
      const text = await sysc.waitFor(new RegExp(`MSG \\$SYS\\.ACCOUNT\\.${fx.other.getPublicKey()}\\.CONNECT 1 +\\d+\\r\\n\\{.*\\}\\r\\n`), 3000, false);
      const body = JSON.parse(/\r\n(\{.*\})\r\n/.exec(text.slice(text.indexOf("MSG $SYS")))![1]);
      assert.strictEqual(body.client.acc, fx.other.getPublicKey());
      assert.strictEqual(body.client.jwt, u.jwt);
    });

    it("user permissions from the JWT give the exact -ERR texts", async () => {
      const u = await userJwt(fx.acct, { pub: { allow: ["ok.>"], deny: [] }, sub: { allow: [], deny: ["secret"] } });
      const c = await login(s.port, { jwt: u.jwt }, u.sign);
      assert.ok(accepted(c), c.afterInfo());
      c.text = c.text.slice(0, c.text.indexOf("\r\n") + 2);
      c.send("PUB nope 0\r\n\r\nPUB ok.1 0\r\n\r\nSUB secret 1\r\nSUB fine 2\r\n");
      assert.strictEqual(await c.sync(), err('Permissions Violation for Publish to "nope"') + err('Permissions Violation for Subscription to "secret"') + "PONG\r\n");
    });

    it("accounts are separate subject spaces", async () => {
      const a = await userJwt(fx.acct);
      const o = await userJwt(fx.other);
      const ca = await login(s.port, { jwt: a.jwt }, a.sign);
      const co = await login(s.port, { jwt: o.jwt }, o.sign);
      co.send("SUB > 1\r\n");
      await co.sync();
      ca.send("SUB > 1\r\nPUB x.y 1\r\na\r\n");
      await ca.waitFor("MSG x.y 1 1\r\na\r\n", 3000, false);
      await sleep(100);
      assert.ok(!(await co.sync()).includes("MSG"));
    });

    it("account limits: connections, subscriptions, payload", async () => {
      const u = await userJwt(fx.limited);
      const first = await login(s.port, { jwt: u.jwt }, u.sign);
      assert.ok(accepted(first), first.afterInfo());
      const second = await login(s.port, { jwt: u.jwt }, u.sign);
      await second.waitClosed();
      assert.strictEqual(second.afterInfo(), err("maximum account active connections exceeded"));
      first.text = first.text.slice(0, first.text.indexOf("\r\n") + 2);
      first.send("SUB a 1\r\nSUB b 2\r\nSUB c 3\r\n");
      assert.strictEqual(await first.sync(), err("maximum subscriptions exceeded") + "PONG\r\n");
      first.send("PUB a 9\r\n123456789\r\n");
      await first.waitClosed();
      assert.strictEqual(first.afterInfo().replace(/PONG\r\n/g, ""), err("maximum subscriptions exceeded") + err("Maximum Payload Violation"));
    });

    it("reload with a new account JWT: a revoked user is disconnected, others stay", async () => {
      const keep = await userJwt(fx.acct);
      const drop = await userJwt(fx.acct);
      const ck = await login(s.port, { jwt: keep.jwt }, keep.sign);
      const cd = await login(s.port, { jwt: drop.jwt }, drop.sign);
      assert.ok(accepted(ck) && accepted(cd));
      const revoking = await encodeAccount("APP", fx.acct, { limits: fx.limits, revocations: { [drop.kp.getPublicKey()]: Math.floor(Date.now() / 1000) + 5 } } as never, { signer: fx.op });
      fx.config = fx.config.replace(fx.acctJwt, revoking);
      fx.acctJwt = revoking;
      await reload(s, fx.config);
      await cd.waitClosed();
      assert.strictEqual(cd.afterInfo().replace(/PING\r\n/g, ""), "PONG\r\n" + err("User Authentication Revoked"));
      await ck.sync();
      assert.ok(!ck.closed);
    });

    it("a user JWT that expires while connected is disconnected with 'User Authentication Expired'", async () => {
      const u = await userJwt(fx.acct, {}, Math.floor(Date.now() / 1000) + 2);
      const c = await login(s.port, { jwt: u.jwt }, u.sign);
      assert.ok(accepted(c), c.afterInfo());
      await c.waitClosed(5000);
      assert.strictEqual(c.afterInfo().replace(/PING\r\n/g, ""), "PONG\r\n" + err("User Authentication Expired"));
    });
  });
}

/** Two accounts linked by JWT exports/imports (2.9 semantics of `to` and `local_subject`). */
async function linkedFixture(): Promise<{ dir: string; config: string; exp: KeyPair; imp: KeyPair; outsider: KeyPair }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-jwt-"));
  const op = createOperator();
  const exp = createAccount();
  const imp = createAccount();
  const outsider = createAccount();
  const limits = { conn: -1, subs: -1, payload: -1, data: -1, imports: -1, exports: -1, leaf: -1, wildcards: true };
  fs.writeFileSync(path.join(dir, "op.jwt"), await encodeOperator("OP", op));
  const expJwt = await encodeAccount("EXP", exp, {
    limits,
    exports: [
      { name: "feed", subject: "feed.>", type: "stream" },
      { name: "svc", subject: "svc.>", type: "service" },
      { name: "private", subject: "private", type: "service", token_req: true },
    ],
  } as never, { signer: op });
  const activation = await encodeActivation("act", imp, exp, "service", { subject: "private" } as never);
  const impJwt = await encodeAccount("IMP", imp, {
    limits,
    imports: [
      { name: "feed", account: exp.getPublicKey(), subject: "feed.>", type: "stream", to: "ext" },
      { name: "echo", account: exp.getPublicKey(), subject: "svc.echo", type: "service", local_subject: "echo" },
      { name: "ask", account: exp.getPublicKey(), subject: "ask", type: "service", to: "svc.ask" },
      { name: "private", account: exp.getPublicKey(), subject: "private", type: "service", token: activation },
    ],
  } as never, { signer: op });
  const outsiderJwt = await encodeAccount("OUT", outsider, {
    limits,
    imports: [{ name: "private", account: exp.getPublicKey(), subject: "private", type: "service" }],
  } as never, { signer: op });
  const config = `operator: "${path.join(dir, "op.jwt")}"
resolver: MEMORY
resolver_preload: {
  ${exp.getPublicKey()}: "${expJwt}"
  ${imp.getPublicKey()}: "${impJwt}"
  ${outsider.getPublicKey()}: "${outsiderJwt}"
}
`;
  return { dir, config, exp, imp, outsider };
}

for (const kind of SERVER_KINDS) {
  describe(`operator JWT exports/imports: ${kind}`, function () {
    this.timeout(20000);
    let fx: Awaited<ReturnType<typeof linkedFixture>>;
    let s: ServerProcess;

    before(async function () {
      if (kind === "nats-server" && !natsServerBinary()) this.skip();
      fx = await linkedFixture();
      s = await spawnServer(kind as ServerKind, [], { config: fx.config });
    });
    after(async () => {
      await closeAllRaw();
      await stopAllServers();
      if (fx) fs.rmSync(fx.dir, { recursive: true, force: true });
    });

    const client = async (acct: KeyPair) => {
      const u = await userJwt(acct);
      const creds = fmtCreds(u.jwt, u.kp);
      return connect({ servers: `127.0.0.1:${s.port}`, authenticator: credsAuthenticator(creds) });
    };

    it("stream `to` is a prefix; service `local_subject` and `to`; a private export needs an activation", async () => {
      const sc = StringCodec();
      const e = await client(fx.exp);
      const i = await client(fx.imp);
      const o = await client(fx.outsider);
      e.subscribe("svc.>", { callback: (_err, m) => m.respond(sc.encode(`${m.subject}:${sc.decode(m.data)}`)) });
      e.subscribe("private", { callback: (_err, m) => m.respond(sc.encode("secret")) });
      await e.flush();
      const feed = i.subscribe("ext.feed.>", { max: 1 });
      await i.flush();
      e.publish("feed.a", sc.encode("f"));
      for await (const m of feed) assert.strictEqual(m.subject, "ext.feed.a");
      assert.strictEqual(sc.decode((await i.request("echo", sc.encode("1"), { timeout: 2000 })).data), "svc.echo:1");
      assert.strictEqual(sc.decode((await i.request("ask", sc.encode("2"), { timeout: 2000 })).data), "svc.ask:2");
      assert.strictEqual(sc.decode((await i.request("private", sc.encode(""), { timeout: 2000 })).data), "secret");
      await assert.rejects(o.request("private", sc.encode(""), { timeout: 500 }));
      await Promise.all([e.close(), i.close(), o.close()]);
    });
  });
}

for (const kind of SERVER_KINDS) {
  describe(`operator JWTs: directory resolver and account expiry: ${kind}`, function () {
    this.timeout(20000);
    let dir = "";

    after(async () => {
      await closeAllRaw();
      await stopAllServers();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("an account JWT that expires while its users are connected disconnects them", async function () {
      if (kind === "nats-server" && !natsServerBinary()) this.skip();
      const d = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-jwt-"));
      try {
        const op = createOperator();
        const acct = createAccount();
        const limits = { conn: -1, subs: -1, payload: -1, data: -1, imports: -1, exports: -1, leaf: -1, wildcards: true };
        fs.writeFileSync(path.join(d, "op.jwt"), await encodeOperator("OP", op));
        const accJwt = await encodeAccount("APP", acct, { limits } as never, { signer: op, exp: Math.floor(Date.now() / 1000) + 3 });
        const s = await spawnServer(kind as ServerKind, [], { config: `operator: "${path.join(d, "op.jwt")}"\nresolver: MEMORY\nresolver_preload: { ${acct.getPublicKey()}: "${accJwt}" }\n` });
        const u = await userJwt(acct);
        const c = await login(s.port, { jwt: u.jwt }, u.sign);
        assert.ok(accepted(c), c.afterInfo());
        await c.waitClosed(6000);
        assert.strictEqual(c.afterInfo().replace(/PING\r\n/g, ""), "PONG\r\n" + err("Account Authentication Expired"));
      } finally {
        fs.rmSync(d, { recursive: true, force: true });
      }
    });

    it("account JWTs stored as <dir>/<key>.jwt authenticate their users", async function () {
      if (kind === "nats-server" && !natsServerBinary()) this.skip();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-jwt-"));
      const op = createOperator();
      const sys = createAccount();
      const acct = createAccount();
      const limits = { conn: -1, subs: -1, payload: -1, data: -1, imports: -1, exports: -1, leaf: -1, wildcards: true };
      fs.writeFileSync(path.join(dir, "op.jwt"), await encodeOperator("OP", op, { system_account: sys.getPublicKey() }));
      const jwts = path.join(dir, "jwt");
      fs.mkdirSync(jwts);
      fs.writeFileSync(path.join(jwts, `${sys.getPublicKey()}.jwt`), await encodeAccount("SYS", sys, { limits } as never, { signer: op }));
      fs.writeFileSync(path.join(jwts, `${acct.getPublicKey()}.jwt`), await encodeAccount("APP", acct, { limits } as never, { signer: op }));
      const s = await spawnServer(kind as ServerKind, [], {
        config: `operator: "${path.join(dir, "op.jwt")}"\nsystem_account: ${sys.getPublicKey()}\nresolver: { type: full, dir: "${jwts}" }\n`,
      });
      const u = await userJwt(acct);
      const c = await login(s.port, { jwt: u.jwt }, u.sign);
      assert.ok(accepted(c), c.afterInfo());
      const stranger = await userJwt(createAccount());
      const bad = await login(s.port, { jwt: stranger.jwt }, stranger.sign);
      await bad.waitClosed();
      assert.strictEqual(bad.afterInfo(), err("Authorization Violation"));
    });
  });
}
