/**
 * Byte-exact client protocol (reference section 1) over raw sockets. Every scenario runs
 * against natsfleet-server and against Debian's nats-server 2.9 with the same flags and
 * config, so the expectations themselves are proven on the real server.
 */
import * as assert from "assert";
import { SERVER_KINDS, ServerKind, ServerProcess, spawnServer, natsServerBinary, stopAllServers } from "../helpers/servers";
import { RawClient, closeAllRaw } from "../helpers/raw";
import { getJson } from "../helpers/http";
import { freePort } from "../helpers/ports";

const err = (text: string) => `-ERR '${text}'\r\n`;
const CONNECT_QUIET = `CONNECT {"verbose":false,"pedantic":false}\r\n`;
const CONNECT_HDRS = `CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n`;

/** Headers block "NATS/1.0\r\nA: b\r\n\r\n" (18 bytes) and payload "hello" (5). */
const HDR = "NATS/1.0\r\nA: b\r\n\r\n";

/**
 * A connection the server accepted (PONG to CONNECT+PING), retrying while it still rejects
 * with 'maximum connections exceeded' because an earlier connection is not reaped yet.
 */
async function acceptedConnection(port: number): Promise<RawClient> {
  for (let i = 0; i < 50; i++) {
    const c = await RawClient.open(port);
    c.send(CONNECT_QUIET + "PING\r\n");
    await c.waitFor(/PONG\r\n|-ERR/, 3000, false);
    if (c.afterInfo() === "PONG\r\n") return c;
    await c.close();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no connection accepted on port ${port}`);
}

/** Wait for the server to close the connection, then return every byte after INFO. */
async function closedWith(c: RawClient, timeoutMs = 3000): Promise<string> {
  await c.waitClosed(timeoutMs);
  return c.afterInfo();
}

for (const kind of SERVER_KINDS) {
  describe(`raw client protocol: ${kind}`, function () {
    this.timeout(20000);
    let server: ServerProcess;

    before(async function () {
      if (kind === "nats-server" && !natsServerBinary()) {
        console.log("      SKIPPED: nats-server binary not found (install Debian's nats-server); the natsfleet half still runs");
        this.skip();
      }
      server = await spawnServer(kind, []);
    });

    afterEach(async () => {
      await closeAllRaw();
    });

    after(async () => {
      await closeAllRaw();
      await stopAllServers();
    });

    /** A raw connection to `s` (default server) that has read INFO. */
    const open = (s: ServerProcess = server) => RawClient.open(s.port);

    /** Start a server of this kind with extra flags or config (stopped in `after`). */
    const start = (args: string[], config?: string) => spawnServer(kind as ServerKind, args, { config });

    describe("INFO", () => {
      it("is the first line: `INFO {json} \\r\\n` with nats-server's fields", async () => {
        const c = await open();
        assert.match(c.text, /^INFO \{.*\} \r\n$/);
        const info = c.info();
        assert.deepStrictEqual(Object.keys(info).sort(), [
          "client_id", "client_ip", "go", "headers", "host", "max_payload", "port", "proto", "server_id", "server_name", "version",
        ]);
        assert.match(info.server_id as string, /^N[A-Z2-7]{55}$/);
        assert.strictEqual(info.server_name, info.server_id, "server_name defaults to the id");
        assert.strictEqual(info.version, "2.9.10");
        assert.strictEqual(info.proto, 1);
        assert.strictEqual(typeof info.go, "string");
        assert.strictEqual(info.host, "127.0.0.1");
        assert.strictEqual(info.port, server.port);
        assert.strictEqual(info.headers, true);
        assert.strictEqual(info.max_payload, 1048576);
        assert.ok(Number.isInteger(info.client_id) && (info.client_id as number) > 0);
        assert.strictEqual(info.client_ip, "127.0.0.1");
      });

      it("gives each connection its own increasing client_id", async () => {
        const a = await open();
        const b = await open();
        assert.ok((b.info().client_id as number) > (a.info().client_id as number));
      });

      it("says auth_required when credentials are configured", async () => {
        const s = await start(["--user", "a", "--pass", "b"]);
        const c = await open(s);
        assert.strictEqual(c.info().auth_required, true);
      });

      it("omits auth_required when no_auth_user admits clients without credentials", async () => {
        const s = await start([], "authorization { users = [ {user: a, password: b} ] }\nno_auth_user: a\n");
        const c = await open(s);
        assert.strictEqual(c.info().auth_required, undefined);
        c.send(CONNECT_QUIET + "SUB x 1\r\nPUB x 1\r\ny\r\n");
        assert.strictEqual(await c.sync(), "MSG x 1 1\r\ny\r\nPONG\r\n");
      });

      it("advertises client_advertise as host and port (the listen port when it has none)", async () => {
        const s = await start([], `client_advertise: "example.com:4333"\n`);
        const c = await open(s);
        assert.deepStrictEqual([c.info().host, c.info().port], ["example.com", 4333]);
        const t = await start([], `client_advertise: "example.com"\n`);
        const d = await open(t);
        assert.deepStrictEqual([d.info().host, d.info().port], ["example.com", t.port]);
      });

      it("reports the configured max_payload", async () => {
        const s = await start([], "max_payload: 100\n");
        const c = await open(s);
        assert.strictEqual(c.info().max_payload, 100);
      });
    });

    describe("CONNECT defaults and +OK", () => {
      it("CONNECT {} is verbose: +OK for CONNECT, SUB, PUB and UNSUB", async () => {
        const c = await open();
        c.send("CONNECT {}\r\nSUB foo 1\r\nPUB bar 2\r\nhi\r\nUNSUB 1\r\nUNSUB 99\r\n");
        assert.strictEqual(await c.sync(), "+OK\r\n".repeat(5) + "PONG\r\n");
      });

      it("CONNECT {} is pedantic: publishing to a wildcard gets 'Invalid Publish Subject' before +OK, and stays open", async () => {
        const c = await open();
        c.send("CONNECT {}\r\nPUB foo.* 2\r\nhi\r\nPUB foo.> 0\r\n\r\n");
        assert.strictEqual(await c.sync(), "+OK\r\n" + err("Invalid Publish Subject") + "+OK\r\n" + err("Invalid Publish Subject") + "+OK\r\nPONG\r\n");
      });

      it("pedantic checks the subject on the PUB line, before the payload: a bad trailer then gets both errors", async () => {
        const c = await open();
        c.send(`CONNECT {"verbose":false,"pedantic":true}\r\nPUB foo.> 3\r\nabcd\r\n`);
        assert.strictEqual(await closedWith(c), err("Invalid Publish Subject") + err("Unknown Protocol Operation"));
      });

      it("a published subject with an empty token reaches no one, not even '>' (without pedantic)", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "SUB > 1\r\nSUB a.* 2\r\nPUB a..b 1\r\nx\r\nPUB .a 1\r\nx\r\nPUB a. 1\r\nx\r\nPUB a.b 1\r\nx\r\n");
        const out = await c.sync();
        assert.deepStrictEqual(out.split("\r\n").filter((l) => l.startsWith("MSG")).sort(), ["MSG a.b 1 1", "MSG a.b 2 1"]);
      });

      it("without pedantic a wildcard publish is accepted silently", async () => {
        const c = await open();
        c.send(`CONNECT {"verbose":true,"pedantic":false}\r\nPUB foo.* 2\r\nhi\r\n`);
        assert.strictEqual(await c.sync(), "+OK\r\n+OK\r\nPONG\r\n");
      });

      it("pedantic still delivers the message after 'Invalid Publish Subject'", async () => {
        const sub = await open();
        sub.send(CONNECT_QUIET + "SUB foo.* 1\r\n");
        await sub.sync();
        const pub = await open();
        pub.send(`CONNECT {"verbose":false,"pedantic":true}\r\nPUB foo.* 2\r\nhi\r\n`);
        assert.strictEqual(await pub.sync(), err("Invalid Publish Subject") + "PONG\r\n");
        await sub.waitFor("MSG foo.* 1 2\r\nhi\r\n");
        assert.strictEqual(await sub.sync(), "PONG\r\nMSG foo.* 1 2\r\nhi\r\nPONG\r\n");
      });

      it("verbose:false gets no +OK", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "SUB foo 1\r\nUNSUB 1\r\nPUB foo 0\r\n\r\n");
        assert.strictEqual(await c.sync(), "PONG\r\n");
      });

      it("answers PING with PONG, before and after CONNECT, in any letter case", async () => {
        const c = await open();
        c.send("PING\r\n");
        await c.waitFor("PONG\r\n", 3000, false);
        c.send(CONNECT_QUIET + "ping\r\npInG\r\n");
        await c.waitFor((t) => t === "PONG\r\nPONG\r\nPONG\r\n", 3000, false);
        assert.strictEqual(c.afterInfo(), "PONG\r\nPONG\r\nPONG\r\n");
      });

      it("accepts PONG, +OK and ops in lower case", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "pong\r\n+ok\r\nsub foo 1\r\npub foo 1\r\nx\r\nunsub 1\r\n");
        assert.strictEqual(await c.sync(), "MSG foo 1 1\r\nx\r\nPONG\r\n");
      });

      it("splits fields on tabs and runs of spaces", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "SUB\tfoo  \t 7\r\nPUB  foo\t  rep\t3\r\nabc\r\n");
        assert.strictEqual(await c.sync(), "MSG foo 7 rep 3\r\nabc\r\nPONG\r\n");
      });

      it("treats a CR inside a line's arguments as a separator, as nats-server does", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "SUB foo\rq 1\r\nSUB bar\r2\r\nSUB baz 3\r\r\nPUB foo 1\r\na\r\nPUB bar 1\r\nb\r\nPUB baz 1\r\nc\r\n");
        assert.strictEqual(await c.sync(), "MSG foo 1 1\r\na\r\nMSG bar 2 1\r\nb\r\nMSG baz 3 1\r\nc\r\nPONG\r\n");
        c.send("UNSUB 3\rB 4\r\n");
        await c.waitClosed();
        assert.ok(c.afterInfo().endsWith("PONG\r\n"), "UNSUB with three arguments closes without -ERR");
      });

      it("accepts a CONNECT and ops written one byte at a time", async () => {
        const c = await open();
        const input = CONNECT_QUIET + "SUB foo 1\r\nPUB foo r 5\r\nhello\r\nPING\r\n";
        for (const ch of input) {
          c.send(ch);
          await new Promise((r) => setImmediate(r));
        }
        await c.waitFor("PONG\r\n", 3000, false);
        assert.strictEqual(c.afterInfo(), "MSG foo 1 r 5\r\nhello\r\nPONG\r\n");
      });
    });

    describe("MSG and HMSG", () => {
      it("delivers MSG without and with a reply subject", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "SUB foo 1\r\nPUB foo 5\r\nhello\r\nPUB foo bar 5\r\nhello\r\nPUB foo 0\r\n\r\n");
        assert.strictEqual(await c.sync(), "MSG foo 1 5\r\nhello\r\nMSG foo 1 bar 5\r\nhello\r\nMSG foo 1 0\r\n\r\nPONG\r\n");
      });

      it("delivers to every matching subscription of one connection, wildcards included", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "SUB a.b.c 1\r\nSUB a.* 2\r\nSUB a.*.c 3\r\nSUB a.> 4\r\nSUB > 5\r\nSUB a.b 6\r\n");
        await c.sync();
        c.send("PUB a.b.c 1\r\nx\r\n");
        const out = (await c.sync()).split("PONG\r\n")[1];
        const sids = [...out.matchAll(/MSG a\.b\.c (\d+) 1\r\nx\r\n/g)].map((m) => m[1]).sort();
        assert.deepStrictEqual(sids, ["1", "3", "4", "5"]);
        assert.strictEqual(out.length, sids.length * "MSG a.b.c 1 1\r\nx\r\n".length);
      });

      it("keeps binary payloads byte for byte (CR, LF, NUL, high bytes)", async () => {
        const c = await open();
        const payload = Buffer.from([0, 13, 10, 255, 128, 13, 10, 13, 10, 32, 9]);
        c.send(CONNECT_QUIET + "SUB bin 1\r\n");
        c.send(Buffer.concat([Buffer.from(`PUB bin ${payload.length}\r\n`), payload, Buffer.from("\r\n")]));
        assert.strictEqual(await c.sync(), `MSG bin 1 ${payload.length}\r\n${payload.toString("latin1")}\r\nPONG\r\n`);
      });

      it("HPUB is delivered as HMSG to a headers subscriber, with and without reply", async () => {
        const c = await open();
        c.send(CONNECT_HDRS + "SUB foo 1\r\n");
        c.send(`HPUB foo 18 23\r\n${HDR}hello\r\nHPUB foo rep 18 23\r\n${HDR}hello\r\n`);
        assert.strictEqual(await c.sync(), `HMSG foo 1 18 23\r\n${HDR}hello\r\nHMSG foo 1 rep 18 23\r\n${HDR}hello\r\nPONG\r\n`);
      });

      it("strips headers for a subscriber that did not declare headers", async () => {
        const sub = await open();
        sub.send(CONNECT_QUIET + "SUB foo 1\r\n");
        await sub.sync();
        const pub = await open();
        pub.send(CONNECT_HDRS + `HPUB foo rep 18 23\r\n${HDR}hello\r\nHPUB foo 18 18\r\n${HDR}\r\n`);
        await pub.sync();
        await sub.waitFor("MSG foo 1 0\r\n\r\n");
        assert.strictEqual(sub.afterInfo(), "PONG\r\nMSG foo 1 rep 5\r\nhello\r\nMSG foo 1 0\r\n\r\n");
      });

      it("PUB to a headers subscriber is a plain MSG", async () => {
        const c = await open();
        c.send(CONNECT_HDRS + "SUB foo 1\r\nPUB foo 2\r\nhi\r\n");
        assert.strictEqual(await c.sync(), "MSG foo 1 2\r\nhi\r\nPONG\r\n");
      });

      it("HPUB from a client without headers closes the connection without -ERR", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + `HPUB foo 18 23\r\n${HDR}hello\r\n`);
        assert.strictEqual(await closedWith(c), "");
      });

      it("no_header_support: INFO says headers false; HPUB closes even after CONNECT headers:true; no_responders is refused", async () => {
        const s = await start([], "no_header_support: true\n");
        const c = await open(s);
        assert.strictEqual(c.info().headers, false);
        c.send(CONNECT_QUIET + "SUB foo 1\r\nPUB foo 2\r\nhi\r\n");
        assert.strictEqual(await c.sync(), "MSG foo 1 2\r\nhi\r\nPONG\r\n");
        const h = await open(s);
        h.send(CONNECT_HDRS + `HPUB foo 18 23\r\n${HDR}hello\r\n`);
        assert.strictEqual(await closedWith(h), "");
        const nr = await open(s);
        nr.send(`CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\n`);
        assert.strictEqual(await closedWith(nr), err("no responders requires headers support"));
      });
    });

    describe("queue groups, UNSUB max, echo", () => {
      it("gives each message to one member of each queue group and to every plain subscriber", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "SUB q g 1\r\nSUB q g 2\r\nSUB q g 3\r\nSUB q h 4\r\nSUB q 5\r\n");
        await c.sync();
        const n = 60;
        for (let i = 0; i < n; i++) c.send("PUB q 1\r\nx\r\n");
        const out = await c.sync();
        const sids = [...out.matchAll(/MSG q (\d+) 1\r\nx\r\n/g)].map((m) => m[1]);
        const count = (s: string[]) => sids.filter((x) => s.includes(x)).length;
        assert.strictEqual(count(["1", "2", "3"]), n, "group g gets each message once");
        assert.strictEqual(count(["4"]), n);
        assert.strictEqual(count(["5"]), n);
        assert.strictEqual(sids.length, 3 * n);
      });

      it("spreads a queue group's messages over its members across connections", async () => {
        const members = await Promise.all([open(), open(), open()]);
        for (const m of members) {
          m.send(CONNECT_QUIET + "SUB work g 1\r\n");
          await m.sync();
        }
        const pub = await open();
        pub.send(CONNECT_QUIET);
        for (let i = 0; i < 90; i++) pub.send("PUB work 1\r\nx\r\n");
        await pub.sync();
        const counts: number[] = [];
        for (const m of members) counts.push((await m.sync()).split("MSG work 1 1\r\nx\r\n").length - 1);
        assert.strictEqual(counts.reduce((a, b) => a + b, 0), 90, `counts ${counts}`);
        assert.ok(counts.every((x) => x > 0), `every member gets some: ${counts}`);
      });

      it("UNSUB <sid> <max> removes the subscription after max deliveries", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "SUB foo 1\r\nUNSUB 1 2\r\n");
        for (let i = 0; i < 4; i++) c.send(`PUB foo 1\r\n${i}\r\n`);
        assert.strictEqual(await c.sync(), "MSG foo 1 1\r\n0\r\nMSG foo 1 1\r\n1\r\nPONG\r\n");
      });

      it("UNSUB with a max already reached removes at once", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "SUB foo 1\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nUNSUB 1 2\r\nPUB foo 1\r\nc\r\n");
        assert.strictEqual(await c.sync(), "MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\nPONG\r\n");
      });

      it("echo:false keeps a client's own messages from it; others still get them", async () => {
        const other = await open();
        other.send(CONNECT_QUIET + "SUB foo 9\r\n");
        await other.sync();
        const c = await open();
        c.send(`CONNECT {"verbose":false,"pedantic":false,"echo":false}\r\nSUB foo 1\r\nPUB foo 1\r\nx\r\n`);
        assert.strictEqual(await c.sync(), "PONG\r\n");
        await other.waitFor("MSG foo 9 1\r\nx\r\n");
        assert.strictEqual(await other.sync(), "PONG\r\nMSG foo 9 1\r\nx\r\nPONG\r\n");
      });
    });

    describe("no responders", () => {
      it("sends HMSG 503 to the requester's reply subscription when nothing listens", async () => {
        const c = await open();
        c.send(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nSUB _INBOX.x 7\r\nPUB svc _INBOX.x 2\r\nhi\r\n`);
        assert.strictEqual(await c.sync(), "HMSG _INBOX.x 7 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n");
      });

      it("matches the reply subject through a wildcard subscription", async () => {
        const c = await open();
        c.send(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nSUB _INBOX.* 3\r\nPUB svc _INBOX.abc 0\r\n\r\n`);
        assert.strictEqual(await c.sync(), "HMSG _INBOX.abc 3 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n");
      });

      it("answers through a plain subscription only: a queue subscription on the reply subject gets no 503", async () => {
        const c = await open();
        c.send(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nSUB in q 5\r\nPUB svc in 0\r\n\r\n`);
        assert.strictEqual(await c.sync(), "PONG\r\n");
      });

      it("sends the 503 once, to one of two matching subscriptions, also for an HPUB request", async () => {
        const c = await open();
        c.send(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nSUB in 5\r\nSUB in 6\r\nHPUB svc in 12 12\r\nNATS/1.0\r\n\r\n\r\n`);
        // nats-server keeps subscriptions in a Go map, so which one answers is not fixed.
        assert.match(await c.sync(), /^HMSG in [56] 16 16\r\nNATS\/1\.0 503\r\n\r\n\r\nPONG\r\n$/);
      });

      it("sends nothing when a responder exists, or without no_responders", async () => {
        const svc = await open();
        svc.send(CONNECT_QUIET + "SUB svc 1\r\n");
        await svc.sync();
        const c = await open();
        c.send(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nSUB in 7\r\nPUB svc in 0\r\n\r\n`);
        assert.strictEqual(await c.sync(), "PONG\r\n");
        const d = await open();
        d.send(CONNECT_HDRS + "SUB in 7\r\nPUB nobody in 0\r\n\r\n");
        assert.strictEqual(await d.sync(), "PONG\r\n");
      });

      it("'no responders requires headers support' closes", async () => {
        const c = await open();
        c.send(`CONNECT {"verbose":false,"no_responders":true}\r\n`);
        assert.strictEqual(await closedWith(c), err("no responders requires headers support"));
      });
    });

    describe("errors that close the connection", () => {
      it("'Unknown Protocol Operation' for an unknown op", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "FOO bar\r\n");
        assert.strictEqual(await closedWith(c), err("Unknown Protocol Operation"));
      });

      it("'Unknown Protocol Operation' for -ERR without arguments; a client's -ERR with text closes silently", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "-ERR\r\n");
        assert.strictEqual(await closedWith(c), err("Unknown Protocol Operation"));
        const d = await open();
        d.send(CONNECT_QUIET + "-ERR 'oops'\r\n");
        assert.strictEqual(await closedWith(d), "");
      });

      it("'Unknown Protocol Operation' for garbage before any CRLF", async () => {
        const c = await open();
        c.send("xyz");
        assert.strictEqual(await closedWith(c), err("Unknown Protocol Operation"));
      });

      it("'maximum control line exceeded' for a long PUB line, even before its CRLF", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "PUB " + "x".repeat(5000));
        assert.strictEqual(await closedWith(c), err("maximum control line exceeded"));
        const d = await open();
        d.send(CONNECT_QUIET + "SUB " + "y".repeat(5000) + " 1\r\n");
        assert.strictEqual(await closedWith(d), err("maximum control line exceeded"));
      });

      for (const split of [false, true]) {
        const how = split ? "arriving in two reads" : "in one read";
        it(`max_control_line counts argument bytes: 4096 pass, 4097 fail (${how})`, async () => {
          const send = async (c: RawClient, s: string) => {
            if (!split) return c.send(s);
            c.send(s.slice(0, 4000));
            await new Promise((r) => setTimeout(r, 30));
            c.send(s.slice(4000));
          };
          // `PUB ` + 4094 subject bytes + ` 0`: exactly 4096 bytes of arguments.
          const subj = "s".repeat(4094);
          const ok = await open();
          ok.send(CONNECT_QUIET + `SUB ${"t".repeat(4094)} 1\r\n`);
          await send(ok, `PUB ${subj} 0\r\n\r\n`);
          assert.strictEqual(await ok.sync(), "PONG\r\n");
          const bad = await open();
          bad.send(CONNECT_QUIET);
          // Nothing after the failing line: unread input would make the close a TCP reset,
          // which can discard the -ERR before the test reads it.
          await send(bad, `PUB ${subj}x 0\r\n`);
          assert.strictEqual(await closedWith(bad), err("maximum control line exceeded"));
        });
      }

      it("'maximum control line exceeded' for a CONNECT longer than max_control_line", async () => {
        const long = `CONNECT {"verbose":false,"name":"${"n".repeat(5000)}"}\r\n`;
        const c = await open();
        c.send(long);
        assert.strictEqual(await closedWith(c), err("maximum control line exceeded"));
        const d = await open();
        d.send(long.slice(0, 3000));
        await new Promise((r) => setTimeout(r, 30));
        d.send(long.slice(3000));
        assert.strictEqual(await closedWith(d), err("maximum control line exceeded"));
      });

      it("'Maximum Payload Violation' above max_payload (default 1 MiB)", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "PUB foo 1048577\r\n");
        assert.strictEqual(await closedWith(c), err("Maximum Payload Violation"));
      });

      it("a payload of exactly max_payload is fine", async () => {
        const c = await open();
        const big = "z".repeat(1048576);
        c.send(CONNECT_QUIET + `SUB foo 1\r\nPUB foo 1048576\r\n${big}\r\n`);
        assert.strictEqual(await c.sync(10000), `MSG foo 1 1048576\r\n${big}\r\nPONG\r\n`);
      });

      it("a size of 10 or more digits closes without -ERR; 9 digits is 'Maximum Payload Violation'", async () => {
        // nats-server parses at most 9 digits; a longer size is a protocol violation.
        for (const line of ["PUB foo 1000000000\r\n", "PUB foo 2147483648\r\n", "HPUB foo 12 4294967301\r\n", "HPUB foo 1048577 2147483648\r\n"]) {
          const c = await open();
          c.send(CONNECT_HDRS + line);
          assert.strictEqual(await closedWith(c), "", line);
        }
        for (const line of ["PUB foo 999999999\r\n", "HPUB foo 12 999999999\r\n"]) {
          const c = await open();
          c.send(CONNECT_HDRS + line);
          assert.strictEqual(await closedWith(c), err("Maximum Payload Violation"), line);
        }
      });

      it("a CONNECT field of the wrong JSON type closes without -ERR; null leaves the default", async () => {
        for (const json of [`{"protocol":"1"}`, `{"protocol":1.5}`, `{"verbose":"true"}`, `{"headers":1}`, `{"name":5}`, `{"user":true}`]) {
          const c = await open();
          c.send(`CONNECT ${json}\r\n`);
          assert.strictEqual(await closedWith(c), "", json);
        }
        const ok = await open();
        ok.send(`CONNECT {"protocol":null,"echo":null,"name":null,"verbose":null}\r\nSUB foo 1\r\n`);
        assert.strictEqual(await ok.sync(), "+OK\r\n+OK\r\nPONG\r\n", "null keeps verbose's default (true)");
      });

      it("'invalid client protocol' for protocol 2", async () => {
        const c = await open();
        c.send(`CONNECT {"verbose":false,"protocol":2}\r\n`);
        assert.strictEqual(await closedWith(c), err("invalid client protocol"));
      });

      it("protocol 1 is accepted", async () => {
        const c = await open();
        c.send(`CONNECT {"verbose":true,"protocol":1}\r\n`);
        assert.strictEqual(await c.sync(), "+OK\r\nPONG\r\n");
      });
    });

    describe("errors that keep the connection open", () => {
      it("'Invalid Subject' for bad SUB subjects", async () => {
        const c = await open();
        c.send(CONNECT_QUIET + "SUB foo..bar 1\r\nSUB .foo 2\r\nSUB foo. 3\r\nSUB foo.>.bar 4\r\n");
        assert.strictEqual(await c.sync(), err("Invalid Subject").repeat(4) + "PONG\r\n");
        c.send("SUB ok.* 5\r\nPUB ok.x 1\r\n1\r\n");
        assert.strictEqual(await c.sync(), err("Invalid Subject").repeat(4) + "PONG\r\nMSG ok.x 5 1\r\n1\r\nPONG\r\n");
      });

      it(`'Permissions Violation for Publish to "_GR_.x"' (no +OK) and no delivery`, async () => {
        const c = await open();
        c.send("CONNECT {}\r\nSUB _GR_.> 1\r\nPUB _GR_.x 0\r\n\r\nPUB ok 0\r\n\r\n");
        assert.strictEqual(await c.sync(), "+OK\r\n+OK\r\n" + err(`Permissions Violation for Publish to "_GR_.x"`) + "+OK\r\nPONG\r\n");
      });

      it("'maximum subscriptions exceeded' with max_subscriptions", async () => {
        const s = await start([], "max_subscriptions: 2\n");
        const c = await open(s);
        c.send("CONNECT {}\r\nSUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPUB a 1\r\nx\r\n");
        assert.strictEqual(await c.sync(), "+OK\r\n+OK\r\n+OK\r\n" + err("maximum subscriptions exceeded") + "+OK\r\nMSG a 1 1\r\nx\r\nPONG\r\n");
        c.send("UNSUB 1\r\nSUB c 3\r\n");
        assert.ok((await c.sync()).endsWith("PONG\r\n+OK\r\n+OK\r\nPONG\r\n"), "a freed slot can be used again");
      });

      it("'Maximum Payload Violation' with a small configured max_payload", async () => {
        const s = await start([], "max_payload: 100\n");
        const c = await open(s);
        c.send(CONNECT_QUIET + `SUB foo 1\r\nPUB foo 100\r\n${"a".repeat(100)}\r\n`);
        assert.strictEqual(await c.sync(), `MSG foo 1 100\r\n${"a".repeat(100)}\r\nPONG\r\n`);
        c.send("PUB foo 101\r\n");
        await c.waitClosed();
        assert.ok(c.afterInfo().endsWith("PONG\r\n" + err("Maximum Payload Violation")), JSON.stringify(c.afterInfo()));
      });
    });

    describe("slow consumers", () => {
      it("a subscriber that stops reading is closed without -ERR, counted in /varz and named in /connz; the publisher carries on", async () => {
        const http = await freePort();
        const s = await start(["-m", String(http)], `max_pending: 1MB\nwrite_deadline: "1s"\n`);
        const sub = await open(s);
        sub.send(CONNECT_QUIET + "SUB big 1\r\n");
        await sub.sync();
        sub.sock.pause();
        const pub = await open(s);
        pub.send(CONNECT_QUIET);
        const payload = "x".repeat(65536);
        // 25 MiB: more than the socket buffers on both ends can absorb.
        for (let i = 0; i < 400; i++) pub.send(`PUB big ${payload.length}\r\n${payload}\r\n`);
        assert.strictEqual(await pub.sync(15000), "PONG\r\n", "the publisher is not cut off");
        sub.sock.resume();
        await sub.waitClosed(10000);
        assert.ok(!/-ERR/.test(sub.text), "no -ERR for a slow consumer");
        const varz = (await getJson(http, "/varz")).body as { slow_consumers: number };
        assert.strictEqual(varz.slow_consumers, 1);
        const cid = sub.info().client_id as number;
        const connz = (await getJson(http, `/connz?state=closed&cid=${cid}`)).body as { connections: Array<{ cid: number; reason: string }> };
        const closed = connz.connections.find((c) => c.cid === cid);
        // nats-server stalls the publisher, so its limit is usually the write deadline.
        assert.match(closed?.reason ?? "(not listed)", /^Slow Consumer \((Pending Bytes|Write Deadline)\)$/);
        assert.strictEqual(await pub.sync(), "PONG\r\nPONG\r\n");
      });
    });

    describe("async INFO", () => {
      it("lame duck (SIGUSR2): protocol-1 clients get INFO with ldm:true and their own client_id; protocol-0 clients get nothing", async () => {
        const s = await start([]);
        const p1 = await open(s);
        p1.send(`CONNECT {"verbose":false,"protocol":1}\r\n`);
        await p1.sync();
        const p0 = await open(s);
        p0.send(`CONNECT {"verbose":false,"protocol":0}\r\n`);
        await p0.sync();
        s.proc.kill("SIGUSR2");
        await p1.waitFor(/PONG\r\nINFO .*\r\n$/);
        const m = /PONG\r\nINFO (\{.*\}) \r\n$/.exec(p1.afterInfo());
        assert.ok(m, `async INFO line: ${JSON.stringify(p1.afterInfo())}`);
        const info = JSON.parse(m[1]) as Record<string, unknown>;
        const first = p1.info();
        assert.strictEqual(info.ldm, true);
        assert.deepStrictEqual(Object.keys(info).sort(), [...Object.keys(first), "ldm"].sort(), "the first INFO's fields plus ldm");
        assert.strictEqual(info.client_id, first.client_id);
        assert.strictEqual(info.client_ip, "127.0.0.1");
        assert.strictEqual(info.server_id, first.server_id);
        assert.strictEqual(await p0.staysOpen(300), true);
        assert.strictEqual(p0.afterInfo(), "PONG\r\n");
        await s.stop("SIGKILL");
      });
    });

    describe("limits and authentication from flags and config", () => {
      it("'maximum connections exceeded' with max_connections: 1; the first connection is unaffected", async () => {
        const s = await start([], "max_connections: 1\n");
        // The start-up probe's connection may take a moment to be reaped; wait for a free slot.
        const first = await acceptedConnection(s.port);
        const second = await RawClient.connect(s.port);
        await second.waitClosed();
        assert.match(second.text, /^INFO \{.*\} \r\n-ERR 'maximum connections exceeded'\r\n$/);
        assert.strictEqual(await first.sync(), "PONG\r\nPONG\r\n", "the first connection still works");
        await first.close();
        // The slot frees up once the first connection is gone.
        await acceptedConnection(s.port);
      });

      it("user/pass from flags: correct credentials get +OK", async () => {
        const s = await start(["--user", "a", "--pass", "b"]);
        const c = await open(s);
        c.send(`CONNECT {"user":"a","pass":"b"}\r\nSUB x 1\r\n`);
        assert.strictEqual(await c.sync(), "+OK\r\n+OK\r\nPONG\r\n");
      });

      it("'Authorization Violation' for a wrong password, a missing one, and an op before CONNECT", async () => {
        const s = await start(["--user", "a", "--pass", "b"]);
        const wrong = await open(s);
        wrong.send(`CONNECT {"verbose":false,"user":"a","pass":"x"}\r\n`);
        assert.strictEqual(await closedWith(wrong), err("Authorization Violation"));
        const none = await open(s);
        none.send(`CONNECT {"verbose":false}\r\n`);
        assert.strictEqual(await closedWith(none), err("Authorization Violation"));
        const early = await open(s);
        early.send("SUB foo 1\r\n");
        assert.strictEqual(await closedWith(early), err("Authorization Violation"));
        const ping = await open(s);
        ping.send("PING\r\n");
        assert.strictEqual(await closedWith(ping), err("Authorization Violation"));
      });

      it("checks credentials again on every CONNECT: a second one with a wrong password is 'Authorization Violation'", async () => {
        const s = await start(["--user", "a", "--pass", "b"]);
        const c = await open(s);
        c.send(`CONNECT {"verbose":false,"user":"a","pass":"b"}\r\n`);
        assert.strictEqual(await c.sync(), "PONG\r\n");
        c.send(`CONNECT {"verbose":false,"user":"a","pass":"b"}\r\n`);
        assert.strictEqual(await c.sync(), "PONG\r\nPONG\r\n", "the same credentials again are fine");
        c.send(`CONNECT {"verbose":false,"user":"a","pass":"x"}\r\n`);
        assert.strictEqual(await closedWith(c), "PONG\r\nPONG\r\n" + err("Authorization Violation"));
      });

      it("'Authentication Timeout' when CONNECT does not come within authorization.timeout", async () => {
        const s = await start([], "authorization { user: a, password: b, timeout: 0.5 }\n");
        const c = await open(s);
        const t0 = Date.now();
        assert.strictEqual(await closedWith(c, 4000), err("Authentication Timeout"));
        const took = Date.now() - t0;
        assert.ok(took >= 350 && took < 2000, `closed after ${took} ms`);
        const ok = await open(s);
        ok.send(`CONNECT {"verbose":false,"user":"a","pass":"b"}\r\n`);
        await new Promise((r) => setTimeout(r, 800));
        assert.strictEqual(await ok.sync(), "PONG\r\n", "an authenticated client is not timed out");
      });

      it("'Stale Connection' when the client never answers PING (ping_interval 500ms, ping_max 1)", async () => {
        const s = await start([], `ping_interval: "500ms"\nping_max: 1\n`);
        const c = await open(s);
        c.send(CONNECT_QUIET);
        await c.waitClosed(5000);
        assert.match(c.afterInfo(true), /^(PING\r\n)+-ERR 'Stale Connection'\r\n$/);
      });

      it("a client that answers PING stays connected", async () => {
        const s = await start([], `ping_interval: "300ms"\nping_max: 1\n`);
        const c = await open(s);
        c.send(CONNECT_QUIET);
        const answered = new Set<number>();
        const timer = setInterval(() => {
          const pings = c.afterInfo(true).split("PING\r\n").length - 1;
          while (answered.size < pings) {
            answered.add(answered.size);
            c.send("PONG\r\n");
          }
        }, 20);
        try {
          await new Promise((r) => setTimeout(r, 1500));
          assert.ok(answered.size >= 2, `server pinged ${answered.size} times`);
          assert.strictEqual(c.closed, false);
        } finally {
          clearInterval(timer);
        }
      });
    });
  });
}
