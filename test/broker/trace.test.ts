/**
 * Protocol tracing (`-V`): the same client session traced by natsfleet-server and nats-server
 * gives the same lines, passwords stay out of the log, and max_traced_msg_len cuts payloads.
 */
import * as assert from "assert";
import { SERVER_KINDS, ServerKind, natsServerBinary, spawnServer, stopAllServers } from "../helpers/servers";
import { RawClient, closeAllRaw } from "../helpers/raw";
import { sleep } from "../helpers/ports";

/** The trace lines of a server's output, without timestamps and connection prefixes. */
function traced(output: string): string[] {
  return output
    .split("\n")
    .filter((l) => l.includes("[TRC]"))
    .map((l) => l.replace(/^.*?- cid:\d+ - (?:"[^"]*" - )?/, ""));
}

for (const kind of SERVER_KINDS) {
  describe(`protocol trace (-V): ${kind}`, function () {
    this.timeout(20000);
    before(function () {
      if (kind === "nats-server" && !natsServerBinary()) this.skip();
    });
    afterEach(async () => {
      await closeAllRaw();
      await stopAllServers();
    });

    async function session(args: string[], config: string, payload: string): Promise<string[]> {
      const s = await spawnServer(kind as ServerKind, ["-V", ...args], { config });
      const c = await RawClient.open(s.port);
      c.send(`CONNECT {"verbose":true,"user":"u","pass":"s3cret-pw"}\r\nSUB foo 1\r\nPUB foo ${payload.length}\r\n${payload}\r\nPING\r\n`);
      await c.waitFor(/PONG\r\n/, 5000);
      await sleep(200); // the log is written after the reply
      return traced(s.output);
    }

    it("traces what a client sends and receives, as nats-server does, without its password", async () => {
      const lines = await session([], 'authorization { user: u, password: "s3cret-pw" }\n', "hello");
      assert.deepStrictEqual(lines, [
        '<<- [CONNECT {"verbose":true,"user":"u","pass":"[REDACTED]"}]',
        "->> [OK]",
        "<<- [SUB foo 1]",
        "->> [OK]",
        "<<- [PUB foo 5]",
        '<<- MSG_PAYLOAD: ["hello"]',
        "->> [OK]",
        "->> [MSG foo 1 5]",
        "<<- [PING]",
        "->> [PONG]",
      ]);
    });

    it("max_traced_msg_len cuts long payloads", async () => {
      const lines = await session([], "max_traced_msg_len: 4\n", "abcdefgh");
      assert.ok(lines.includes('<<- MSG_PAYLOAD: ["abcd..."]'), lines.join("\n"));
    });

    it("traces nothing without -V", async () => {
      const s = await spawnServer(kind as ServerKind, []);
      const c = await RawClient.open(s.port);
      c.send("CONNECT {}\r\nPING\r\n");
      await c.waitFor(/PONG\r\n/, 5000);
      assert.deepStrictEqual(traced(s.output), []);
    });
  });
}
