/**
 * The official NATS clients, unchanged, against a natsfleet-server process: `nats` (v2) and
 * `@nats-io/transport-node` (v3) each run the same scenarios through a thin adapter.
 * CLIENTS_SERVER=nats-server runs them against nats-server instead (to check the tests).
 */
import * as assert from "assert";
import * as natsV2 from "nats";
import * as transportNode from "@nats-io/transport-node";
// transport-node re-exports nats-core through an `exports` subpath that this repo's
// moduleResolution ("node") cannot follow, so its types are taken from the file directly.
import type * as NatsCore from "@nats-io/nats-core/lib/mod";
import { spawnServer, ServerKind, ServerProcess, stopAllServers } from "../helpers/servers";
import { sleep } from "../helpers/ports";

/** The slice of a client connection the tests use; v2 and v3 share it. */
interface Msg {
  subject: string;
  reply?: string;
  data: Uint8Array;
  headers?: { get(k: string): string; has(k: string): boolean };
  respond(data?: Uint8Array, opts?: { headers?: unknown }): boolean;
}
interface Sub {
  unsubscribe(max?: number): void;
  drain(): Promise<void>;
  getReceived(): number;
  isClosed(): boolean | Promise<void>;
  closed: Promise<void | Error>;
}
interface SubOpts {
  queue?: string;
  max?: number;
  callback?: (err: Error | null, msg: Msg) => void;
}
interface Conn {
  publish(subject: string, data?: Uint8Array, opts?: { reply?: string; headers?: unknown }): void;
  subscribe(subject: string, opts?: SubOpts): Sub & AsyncIterable<Msg>;
  request(subject: string, data?: Uint8Array, opts?: { timeout?: number; headers?: unknown; noMux?: boolean }): Promise<Msg>;
  flush(): Promise<void>;
  drain(): Promise<void>;
  close(): Promise<void>;
  closed(): Promise<void | Error>;
  isClosed(): boolean;
  getServer(): string;
}
interface Headers {
  set(k: string, v: string): void;
  append(k: string, v: string): void;
}

/** What differs between the two libraries. */
interface ClientLib {
  name: string;
  connect(opts: Record<string, unknown>): Promise<Conn>;
  headers(): Headers;
  isNoResponders(e: unknown): boolean;
  isMaxPayload(e: unknown): boolean;
}

const natsV3 = transportNode as typeof transportNode & typeof NatsCore;

const LIBS: ClientLib[] = [
  {
    name: "nats (v2)",
    connect: (o) => natsV2.connect(o) as unknown as Promise<Conn>,
    headers: () => natsV2.headers() as unknown as Headers,
    isNoResponders: (e) => (e as { code?: string }).code === natsV2.ErrorCode.NoResponders,
    isMaxPayload: (e) => (e as { code?: string }).code === natsV2.ErrorCode.MaxPayloadExceeded,
  },
  {
    name: "@nats-io/transport-node (v3)",
    connect: (o) => natsV3.connect(o) as unknown as Promise<Conn>,
    headers: () => natsV3.headers() as unknown as Headers,
    isNoResponders: (e: unknown) =>
      e instanceof natsV3.errors.NoRespondersError ||
      (e instanceof natsV3.errors.RequestError && e.isNoResponders()) ||
      (e instanceof Error && e.cause instanceof natsV3.errors.NoRespondersError),
    isMaxPayload: (e) => e instanceof Error && /max_payload/i.test(e.message),
  },
];

const KIND: ServerKind = process.env.CLIENTS_SERVER === "nats-server" ? "nats-server" : "natsfleet";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Resolve once `cond()` holds, polling; fail with `what` after `ms`. */
async function eventually(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

for (const lib of LIBS) {
  describe(`official client ${lib.name} against ${KIND}`, function () {
    this.timeout(30000);
    let server: ServerProcess;
    const conns: Conn[] = [];

    const connect = async (extra: Record<string, unknown> = {}, s: ServerProcess = server): Promise<Conn> => {
      const nc = await lib.connect({ servers: s.url, ...extra });
      conns.push(nc);
      return nc;
    };

    before(async () => {
      server = await spawnServer(KIND, []);
    });

    afterEach(async () => {
      for (const nc of conns.splice(0)) if (!nc.isClosed()) await nc.close();
    });

    after(async () => {
      await stopAllServers();
    });

    it("publishes and subscribes", async () => {
      const sub = await connect();
      const pub = await connect();
      const got: string[] = [];
      sub.subscribe("greet", { callback: (_e, m) => got.push(dec(m.data)) });
      await sub.flush();
      for (let i = 0; i < 10; i++) pub.publish("greet", enc(`hi ${i}`));
      await pub.flush();
      await eventually(() => got.length === 10, `10 messages, got ${got.length}`);
      assert.deepStrictEqual(got, Array.from({ length: 10 }, (_, i) => `hi ${i}`));
    });

    it("matches * and > wildcards", async () => {
      const nc = await connect();
      const star: string[] = [];
      const full: string[] = [];
      nc.subscribe("orders.*", { callback: (_e, m) => star.push(m.subject) });
      nc.subscribe("orders.>", { callback: (_e, m) => full.push(m.subject) });
      await nc.flush();
      for (const s of ["orders.new", "orders.eu.new", "orders", "other.new", "orders.x.y.z"]) nc.publish(s, enc("x"));
      await nc.flush();
      await eventually(() => full.length === 3 && star.length === 1, `wildcard deliveries star=${star} full=${full}`);
      await nc.flush();
      assert.deepStrictEqual(star, ["orders.new"]);
      assert.deepStrictEqual(full, ["orders.new", "orders.eu.new", "orders.x.y.z"]);
    });

    it("distributes a queue group's messages: 4 members, 400 messages, each gets some, exactly 400 in total", async () => {
      const counts = [0, 0, 0, 0];
      const members = await Promise.all(counts.map(() => connect()));
      members.forEach((nc, i) => nc.subscribe("jobs", { queue: "workers", callback: () => counts[i]++ }));
      await Promise.all(members.map((nc) => nc.flush()));
      const pub = await connect();
      for (let i = 0; i < 400; i++) pub.publish("jobs", enc(String(i)));
      await pub.flush();
      await eventually(() => counts.reduce((a, b) => a + b) >= 400, `400 deliveries, got ${counts}`);
      await Promise.all(members.map((nc) => nc.flush()));
      assert.strictEqual(counts.reduce((a, b) => a + b), 400, `counts ${counts}`);
      assert.ok(counts.every((c) => c > 0), `every member got some: ${counts}`);
    });

    it("does request/reply", async () => {
      const svc = await connect();
      svc.subscribe("math.double", { callback: (_e, m) => m.respond(enc(String(2 * Number(dec(m.data))))) });
      await svc.flush();
      const nc = await connect();
      for (const n of [1, 21, 500]) {
        const r = await nc.request("math.double", enc(String(n)), { timeout: 2000 });
        assert.strictEqual(dec(r.data), String(2 * n));
      }
      const r = await nc.request("math.double", enc("4"), { timeout: 2000, noMux: true });
      assert.strictEqual(dec(r.data), "8");
    });

    it("sends and receives headers", async () => {
      const nc = await connect();
      const got: Msg[] = [];
      nc.subscribe("h", { callback: (_e, m) => got.push(m) });
      nc.subscribe("svc.h", {
        callback: (_e, m) => {
          const h = lib.headers();
          h.set("Echo", m.headers?.get("Trace-Id") ?? "missing");
          m.respond(enc("ok"), { headers: h });
        },
      });
      await nc.flush();
      const h = lib.headers();
      h.set("Trace-Id", "abc-123");
      h.append("Multi", "1");
      h.append("Multi", "2");
      nc.publish("h", enc("body"), { headers: h });
      await eventually(() => got.length === 1, "a message with headers");
      assert.strictEqual(dec(got[0].data), "body");
      assert.strictEqual(got[0].headers?.get("Trace-Id"), "abc-123");
      assert.ok(got[0].headers?.has("Multi"));
      const r = await nc.request("svc.h", enc(""), { timeout: 2000, headers: h });
      assert.strictEqual(r.headers?.get("Echo"), "abc-123");
      assert.strictEqual(dec(r.data), "ok");
    });

    it("fails a request with no responders at once (503)", async () => {
      const nc = await connect();
      const t0 = Date.now();
      await assert.rejects(nc.request("nobody.home", enc("?"), { timeout: 5000 }), (e) => {
        assert.ok(lib.isNoResponders(e), `expected no-responders, got ${String(e)}`);
        return true;
      });
      await assert.rejects(nc.request("nobody.home", enc("?"), { timeout: 5000, noMux: true }), (e) => lib.isNoResponders(e));
      assert.ok(Date.now() - t0 < 2000, "no-responders does not wait for the timeout");
    });

    it("drains: in-flight messages are delivered before the connection closes", async () => {
      const sub = await connect();
      let n = 0;
      sub.subscribe("drain.me", {
        callback: () => {
          n++;
        },
      });
      await sub.flush();
      const pub = await connect();
      for (let i = 0; i < 1000; i++) pub.publish("drain.me", enc("x"));
      await pub.flush();
      await sub.drain();
      assert.strictEqual(n, 1000);
      assert.strictEqual(sub.isClosed(), true);
      // A drained subscription on a live connection also stops cleanly.
      const s2 = pub.subscribe("drain.sub", { callback: () => undefined });
      await pub.flush();
      await s2.drain();
      pub.publish("drain.sub", enc("late"));
      await pub.flush();
      assert.strictEqual(s2.getReceived(), 0);
    });

    it("auto-unsubscribes after max messages", async () => {
      const nc = await connect();
      const got: string[] = [];
      const sub = nc.subscribe("limited", { max: 3, callback: (_e, m) => got.push(dec(m.data)) });
      const later = nc.subscribe("limited2", { callback: (_e, m) => got.push(dec(m.data)) });
      later.unsubscribe(2);
      await nc.flush();
      for (let i = 0; i < 6; i++) {
        nc.publish("limited", enc(`a${i}`));
        nc.publish("limited2", enc(`b${i}`));
      }
      await nc.flush();
      await eventually(() => got.length >= 5, `5 messages, got ${got}`);
      await nc.flush();
      assert.deepStrictEqual(got.sort(), ["a0", "a1", "a2", "b0", "b1"]);
      assert.strictEqual(sub.getReceived(), 3);
    });

    it("with noEcho does not receive its own messages", async () => {
      const nc = await connect({ noEcho: true });
      const other = await connect();
      let own = 0;
      let others = 0;
      nc.subscribe("echo", { callback: () => own++ });
      other.subscribe("echo", { callback: () => others++ });
      await nc.flush();
      await other.flush();
      nc.publish("echo", enc("x"));
      await nc.flush();
      await eventually(() => others === 1, "the other client gets the message");
      other.publish("echo", enc("y"));
      await other.flush();
      await eventually(() => own === 1, "messages from others still arrive");
      await nc.flush();
      assert.strictEqual(own, 1);
    });

    it("gets the max payload error above a small configured max_payload", async () => {
      const small = await spawnServer(KIND, [], { config: "max_payload: 100\n" });
      try {
        const nc = await connect({}, small);
        let got = 0;
        nc.subscribe("big", { callback: () => got++ });
        nc.publish("big", new Uint8Array(100));
        await nc.flush();
        await eventually(() => got === 1, "a message of exactly max_payload");
        assert.throws(
          () => nc.publish("big", new Uint8Array(101)),
          (e) => lib.isMaxPayload(e),
        );
        await nc.close();
      } finally {
        await small.stop();
      }
    });

    it("reconnects after the server restarts on the same port and resumes its subscriptions", async () => {
      const first = await spawnServer(KIND, []);
      const port = first.port;
      let second: ServerProcess | undefined;
      try {
        const nc = await connect({ reconnectTimeWait: 100, maxReconnectAttempts: -1, reconnectJitter: 0 }, first);
        const got: string[] = [];
        nc.subscribe("resume", { callback: (_e, m) => got.push(dec(m.data)) });
        nc.publish("resume", enc("before"));
        await nc.flush();
        await eventually(() => got.length === 1, "message before the restart");
        await first.stop("SIGTERM");
        second = await spawnServer(KIND, ["-a", "127.0.0.1", "-p", String(port)]);
        // Keep publishing until the resubscribed client sees one: the restart's timing is the
        // client's backoff, not ours.
        let i = 0;
        await eventually(
          () => {
            if (got.length < 2 && !nc.isClosed()) nc.publish("resume", enc(`after ${i++}`));
            return got.length >= 2;
          },
          "a message after the restart",
          10000,
        );
        assert.match(got[1], /^after \d+$/);
        const r = await (async () => {
          nc.subscribe("svc.after", { callback: (_e, m) => m.respond(enc("still here")) });
          return nc.request("svc.after", enc(""), { timeout: 2000 });
        })();
        assert.strictEqual(dec(r.data), "still here");
        assert.strictEqual(nc.getServer(), `127.0.0.1:${port}`);
        await nc.close();
      } finally {
        await first.stop("SIGKILL");
        await second?.stop();
      }
    });
  });
}
