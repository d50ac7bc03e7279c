/** The liveness and socket plumbing every connection kind shares (broker/peer/). */
import * as assert from "assert";
import * as net from "net";
import { Pinger } from "../../broker/peer/pinger";
import { WriteDeadline, endSocket } from "../../broker/peer/socket";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("peer plumbing", () => {
  describe("Pinger", () => {
    function harness(opts: { max?: number; skip?: () => boolean } = {}) {
      const events: string[] = [];
      let now = 0;
      const target = {
        closed: false,
        sendPing: () => events.push(`ping@${now}`),
        stale: () => {
          events.push("stale");
          target.closed = true;
        },
      };
      const pinger = new Pinger(target, { firstDelay: () => 5, interval: () => 10, max: () => opts.max ?? 2, ...(opts.skip ? { skip: opts.skip } : {}) }, () => now);
      return { events, pinger, target, tick: (ms: number) => (now += ms) };
    }

    it("pings after the first delay, then every interval, and goes stale after max unanswered", async () => {
      const h = harness();
      h.pinger.start();
      h.pinger.start(); // idempotent: one timer
      for (let i = 0; i < 200 && !h.events.includes("stale"); i++) await sleep(5);
      assert.deepStrictEqual(h.events, ["ping@0", "ping@0", "stale"]);
      await sleep(30);
      assert.strictEqual(h.events.length, 3, "nothing after stale");
    });

    it("a PONG clears the count and measures the round trip", async () => {
      const h = harness({ max: 1 });
      h.pinger.start();
      while (h.events.length === 0) await sleep(2);
      assert.deepStrictEqual(h.events, ["ping@0"]);
      h.tick(3.5);
      h.pinger.pong();
      assert.strictEqual(h.pinger.rtt, 3.5);
      while (h.events.length < 2) await sleep(2);
      assert.deepStrictEqual(h.events, ["ping@0", "ping@3.5"]); // not stale: the PONG reset the count
      h.pinger.stop();
      await sleep(30);
      assert.strictEqual(h.events.length, 2, "no PING after stop");
    });

    it("skipped ticks send nothing and never go stale; a closed target stops the ticks", async () => {
      let skip = true;
      const h = harness({ max: 1, skip: () => skip });
      h.pinger.start();
      await sleep(40);
      assert.deepStrictEqual(h.events, []);
      skip = false;
      h.target.closed = true;
      await sleep(25);
      assert.deepStrictEqual(h.events, []);
    });
  });

  describe("sockets", () => {
    let server: net.Server;
    let port = 0;
    const accepted: net.Socket[] = [];
    before(async () => {
      server = net.createServer((s) => accepted.push(s));
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
      port = (server.address() as net.AddressInfo).port;
    });
    after(async () => {
      for (const s of accepted) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });

    async function pair(): Promise<[net.Socket, net.Socket]> {
      const n = accepted.length;
      const c = net.connect(port, "127.0.0.1");
      await new Promise<void>((r) => c.once("connect", () => r()));
      while (accepted.length === n) await sleep(5);
      return [c, accepted[accepted.length - 1]!];
    }

    it("endSocket writes the last words before closing, or destroys at once", async () => {
      const [c, s] = await pair();
      const got: Buffer[] = [];
      c.on("data", (b) => got.push(b));
      const closed = new Promise<void>((r) => c.once("close", () => r()));
      c.on("end", () => c.end());
      endSocket(s, Buffer.from("-ERR 'bye'\r\n"));
      await closed;
      assert.strictEqual(Buffer.concat(got).toString(), "-ERR 'bye'\r\n");
      const [c2, s2] = await pair();
      endSocket(s2, null);
      assert.ok(s2.destroyed);
      c2.destroy();
    });

    it("WriteDeadline fires only while output is still pending, and clear() disarms it", async () => {
      const [c, s] = await pair();
      c.pause(); // a peer that stops reading
      let fired = 0;
      const wd = new WriteDeadline(() => s.writableLength, () => 50, () => fired++);
      const chunk = Buffer.alloc(1 << 20);
      while (s.write(chunk)); // fill the kernel buffers
      wd.arm();
      wd.arm(); // one timer
      for (let i = 0; i < 200 && fired === 0; i++) await sleep(10);
      await sleep(60);
      assert.strictEqual(fired, 1);
      wd.arm();
      wd.clear();
      await sleep(80);
      assert.strictEqual(fired, 1);
      c.destroy();
      s.destroy();
      // nothing pending any more: the deadline passes without firing
      wd.arm();
      await sleep(80);
      assert.strictEqual(fired, 1);
    });
  });
});
