/**
 * The system account (issue 3): a `$SYS` user sees `$SYS.ACCOUNT.<acc>.CONNECT/DISCONNECT`
 * advisories, `$SYS.SERVER.<id>.STATSZ` heartbeats and answers to `$SYS.REQ.SERVER.PING`.
 * Same config on natsfleet-server and nats-server 2.9.
 */
import * as assert from "assert";
import { SERVER_KINDS, ServerKind, ServerProcess, spawnServer, natsServerBinary, stopAllServers } from "../helpers/servers";
import { RawClient, closeAllRaw } from "../helpers/raw";
import { accepted, login } from "./security-helpers";

const CONFIG = `accounts {
  $SYS: { users: [ {user: sys, password: sys} ] }
  APP: { users: [ {user: app, password: app} ] }
}`;

/** The JSON payloads of MSGs on subjects matching `re`, in order. */
function payloads(c: RawClient, re: RegExp): Array<{ subject: string; body: Record<string, unknown> }> {
  const out: Array<{ subject: string; body: Record<string, unknown> }> = [];
  const text = c.afterInfo();
  // nats-server writes internal messages with an empty reply field ("MSG s 1  506").
  const msg = /MSG (\S+) \S+ (?:\S* )?(\d+)\r\n/g;
  for (let m = msg.exec(text); m; m = msg.exec(text)) {
    const start = m.index + m[0].length;
    const body = text.slice(start, start + Number(m[2]));
    if (re.test(m[1])) out.push({ subject: m[1], body: JSON.parse(Buffer.from(body, "latin1").toString("utf8")) });
    msg.lastIndex = start + Number(m[2]);
  }
  return out;
}

for (const kind of SERVER_KINDS) {
  describe(`system account events: ${kind}`, function () {
    this.timeout(20000);
    let s: ServerProcess;

    before(async function () {
      if (kind === "nats-server" && !natsServerBinary()) this.skip();
      s = await spawnServer(kind as ServerKind, [], { config: CONFIG });
    });
    afterEach(() => closeAllRaw());
    after(async () => {
      await closeAllRaw();
      await stopAllServers();
    });

    it("CONNECT and DISCONNECT advisories for a named account", async () => {
      const sys = await login(s.port, { user: "sys", pass: "sys" });
      assert.ok(accepted(sys), sys.afterInfo());
      sys.send("SUB $SYS.ACCOUNT.*.CONNECT 1\r\nSUB $SYS.ACCOUNT.*.DISCONNECT 2\r\n");
      await sys.sync();
      const app = await login(s.port, { user: "app", pass: "app", name: "worker" });
      assert.ok(accepted(app));
      await sys.waitFor("$SYS.ACCOUNT.APP.CONNECT", 3000, false);
      await app.close();
      // Whole payloads: the MSG line may arrive before its body.
      await sys.waitFor((t) => /\$SYS\.ACCOUNT\.APP\.DISCONNECT \S+ +\d+\r\n\{.*\}\r\n/.test(t), 3000, false);
      // The watcher's own $SYS CONNECT may or may not come after its SUB (nats-server publishes
      // advisories from an internal queue), so only the APP account's events are compared.
      const events = payloads(sys, /^\$SYS\.ACCOUNT\.APP\./);
      assert.deepStrictEqual(events.map((e) => e.subject), ["$SYS.ACCOUNT.APP.CONNECT", "$SYS.ACCOUNT.APP.DISCONNECT"], sys.afterInfo());
      const [conn, disc] = events.map((e) => e.body);
      assert.strictEqual(conn.type, "io.nats.server.advisory.v1.client_connect");
      assert.strictEqual(disc.type, "io.nats.server.advisory.v1.client_disconnect");
      const client = conn.client as Record<string, unknown>;
      assert.strictEqual(client.acc, "APP");
      assert.strictEqual(client.user, "app");
      assert.strictEqual(client.name, "worker");
      assert.strictEqual(client.kind, "Client");
      assert.strictEqual((conn.server as Record<string, unknown>).ver, "2.9.10");
      assert.strictEqual(disc.reason, "Client Closed");
      assert.deepStrictEqual(Object.keys(disc).sort(), ["client", "id", "reason", "received", "sent", "server", "timestamp", "type"]);
    });

    it("STATSZ heartbeats and $SYS.REQ.SERVER.PING answers; other accounts cannot see $SYS subjects", async function () {
      this.timeout(45000);
      const app = await login(s.port, { user: "app", pass: "app" });
      app.send("SUB $SYS.> 1\r\n");
      await app.sync();
      const sys = await login(s.port, { user: "sys", pass: "sys" });
      sys.send("SUB $SYS.SERVER.*.STATSZ 1\r\nSUB _INBOX.ping 2\r\nPUB $SYS.REQ.SERVER.PING _INBOX.ping 0\r\n\r\n");
      await sys.waitFor(/MSG _INBOX\.ping 2 +\d+\r\n/, 3000, false);
      const reply = payloads(sys, /^_INBOX\.ping$/)[0].body;
      const stats = reply.statsz as Record<string, unknown>;
      for (const k of ["start", "mem", "cores", "connections", "total_connections", "subscriptions", "sent", "received", "slow_consumers"]) {
        assert.ok(k in stats, `statsz.${k} in ${JSON.stringify(stats)}`);
      }
      assert.ok((stats.connections as number) >= 2);
      assert.match((reply.server as Record<string, unknown>).id as string, /^N[A-Z2-7]{55}$/);
      // Heartbeats: nats-server sends the first ones quickly after start, then every 30 s at most.
      await sys.waitFor(/MSG \$SYS\.SERVER\.N[A-Z2-7]{55}\.STATSZ 1 +\d+\r\n/, 35000, false);
      assert.ok(!(await app.sync()).includes("MSG"));
    });
  });
}
