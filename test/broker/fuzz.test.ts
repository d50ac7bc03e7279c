/**
 * Protocol fuzzing over real sockets: many connections send random, mutated, oversized and
 * split-up client protocol to a natsfleet-server process while an official client on the side
 * exchanges messages. The server must never crash, must keep serving new connections and its
 * monitoring, and the side client must receive every message it was sent.
 *
 * Reproduce a failure with the printed seed: FUZZ_SEED=<seed> npx mocha test/broker/fuzz.test.ts
 * FUZZ_SERVER=nats-server runs the same fuzzing against nats-server (to check the harness).
 */
import * as assert from "assert";
import * as net from "net";
import { connect, NatsConnection } from "nats";
import { spawnServer, ServerKind, ServerProcess, stopAllServers } from "../helpers/servers";
import { freePort, sleep } from "../helpers/ports";
import { Prng, seedFrom } from "../helpers/prng";
import { nextInput, opening, splitRandomly, softHostile, validOp, InputKind, FuzzInput } from "../helpers/protocol-fuzz";
import { RawClient, closeAllRaw } from "../helpers/raw";
import { getJson } from "../helpers/http";

/**
 * The run must deliver this many random/mutated inputs (random bytes, mutated ops, bad numbers,
 * huge sizes, long lines) and as many survivable hostile ones.
 */
const TARGET_INPUTS = 100_000;
/** Stop generating after this long even if the target is not reached (the test then fails). */
const TIME_BUDGET_MS = 45_000;
const WORKERS = 24;
const KIND: ServerKind = process.env.FUZZ_SERVER === "nats-server" ? "nats-server" : "natsfleet";

/**
 * The inputs of one connection. Most connections carry a long run of survivable hostile input
 * mixed with valid ops and end with one input of any kind (often fatal), so most inputs reach
 * a live parser; some connections are pure chaos from the first byte.
 */
function connectionInputs(r: Prng): FuzzInput[] {
  const out: FuzzInput[] = [];
  if (r.chance(0.4)) {
    for (let n = r.range(1, 60); n > 0; n--) out.push(nextInput(r));
    return out;
  }
  for (let n = r.range(5, 80); n > 0; n--) {
    out.push(r.chance(0.35) ? { kind: "valid", bytes: Buffer.from(validOp(r), "latin1") } : softHostile(r));
  }
  out.push(nextInput(r));
  return out;
}

/**
 * One fuzz connection: an opening, then its inputs concatenated and written in random pieces;
 * it ends when the server closes it or after a short linger. Returns the inputs sent.
 */
async function fuzzConnection(port: number, r: Prng, kinds: Record<InputKind, number>, live: Set<net.Socket>): Promise<FuzzInput[]> {
  const sock = net.connect({ port, host: "127.0.0.1" });
  live.add(sock);
  sock.on("data", () => undefined);
  sock.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => sock.once("close", () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", () => resolve());
      sock.once("error", reject);
    });
    const inputs = connectionInputs(r);
    const parts: Buffer[] = [opening(r)];
    for (const input of inputs) {
      kinds[input.kind]++;
      parts.push(input.bytes);
    }
    for (const piece of splitRandomly(r, Buffer.concat(parts))) {
      if (sock.destroyed) break;
      sock.write(piece);
      // Sometimes let the piece go out alone so the server sees the split.
      if (r.chance(0.3)) await new Promise((res) => setImmediate(res));
    }
    await Promise.race([closed, sleep(r.range(5, 60))]);
    return inputs;
  } finally {
    sock.destroy();
    await closed;
    live.delete(sock);
  }
}

describe(`protocol fuzz: ${KIND}`, function () {
  this.timeout(120_000);
  let server: ServerProcess | undefined;
  const conns: NatsConnection[] = [];
  const live = new Set<net.Socket>();

  after(async () => {
    for (const s of live) s.destroy();
    for (const nc of conns) if (!nc.isClosed()) await nc.close();
    await closeAllRaw();
    await stopAllServers();
  });

  it(`survives ${TARGET_INPUTS.toLocaleString("en")}+ random/mutated and as many survivable hostile inputs while a well-behaved client keeps receiving`, async () => {
    const seed = seedFrom("FUZZ_SEED");
    console.log(`      fuzz seed ${seed} (reproduce with FUZZ_SEED=${seed})`);
    const httpPort = await freePort();
    server = await spawnServer(KIND, ["-m", String(httpPort)]);
    const port = server.port;

    // The well-behaved side: a subscriber and a publisher on a subject no fuzz input can reach.
    const subject = `sidecar.check.${seed}`;
    const subConn = await connect({ servers: server.url, maxReconnectAttempts: 0 });
    const pubConn = await connect({ servers: server.url, maxReconnectAttempts: 0 });
    conns.push(subConn, pubConn);
    const disconnects: string[] = [];
    for (const nc of [subConn, pubConn]) {
      (async () => {
        for await (const s of nc.status()) if (s.type === "disconnect" || s.type === "error") disconnects.push(`${s.type}: ${String(s.data)}`);
      })().catch(() => undefined);
    }
    let received = 0;
    let outOfOrder = 0;
    subConn.subscribe(subject, {
      callback: (_e, m) => {
        if (Number(new TextDecoder().decode(m.data)) !== received) outOfOrder++;
        received++;
      },
    });
    await subConn.flush();
    let sent = 0;
    const ticker = setInterval(() => {
      for (let i = 0; i < 5; i++) pubConn.publish(subject, new TextEncoder().encode(String(sent++)));
    }, 2);

    const kinds: Record<InputKind, number> = { random: 0, valid: 0, mutated: 0, huge: 0, badnum: 0, longline: 0, soft: 0 };
    let connections = 0;
    const hard = () => kinds.random + kinds.mutated + kinds.huge + kinds.badnum + kinds.longline;
    const t0 = Date.now();
    const done = () => (hard() >= TARGET_INPUTS && kinds.soft >= TARGET_INPUTS) || Date.now() - t0 > TIME_BUDGET_MS || !server!.running;
    try {
      await Promise.all(
        Array.from({ length: WORKERS }, async (_, w) => {
          // Each worker has its own stream so the inputs reproduce whatever the interleaving.
          const r = new Prng((seed ^ Math.imul(w + 1, 0x9e3779b9)) >>> 0);
          while (!done()) {
            connections++;
            await fuzzConnection(port, r, kinds, live);
          }
        }),
      );
    } finally {
      clearInterval(ticker);
    }
    const elapsed = Date.now() - t0;
    console.log(`      ${hard()} random/mutated and ${kinds.soft} survivable hostile inputs (plus ${kinds.valid} valid ops) over ${connections} connections in ${elapsed} ms: ${JSON.stringify(kinds)}`);

    assert.ok(server.running, `the server died during fuzzing: ${server.describe()}`);
    assert.ok(hard() >= TARGET_INPUTS && kinds.soft >= TARGET_INPUTS, `only ${hard()} random/mutated and ${kinds.soft} hostile inputs in ${TIME_BUDGET_MS} ms`);

    // The side client got every message, in order, and never lost its connection.
    await pubConn.flush();
    const end = Date.now() + 10_000;
    while (received < sent && Date.now() < end) await sleep(20);
    assert.strictEqual(received, sent, `side client received ${received} of ${sent}`);
    assert.strictEqual(outOfOrder, 0, "side messages arrived in order");
    assert.deepStrictEqual(disconnects, [], "side clients were never disconnected");
    assert.ok(sent >= elapsed, `the side publisher kept going during fuzzing (${sent} messages in ${elapsed} ms)`);

    // Still serving: a new connection gets INFO and PONG, and monitoring answers.
    const c = await RawClient.open(port);
    c.send(`CONNECT {"verbose":false}\r\n`);
    assert.strictEqual(await c.sync(), "PONG\r\n");
    const health = await getJson(httpPort, "/healthz");
    assert.strictEqual(health.status, 200);
    assert.deepStrictEqual(health.body, { status: "ok" });
    const varz = (await getJson(httpPort, "/varz")).body as { connections: number; total_connections: number; mem: number };
    assert.ok(varz.total_connections >= connections, `varz total_connections ${varz.total_connections} >= ${connections}`);
    // Declared-but-never-sent payloads and long lines must not have been buffered without bound.
    assert.ok(varz.mem < 1024 * 1024 * 1024, `server RSS ${varz.mem} bytes after fuzzing`);

    await c.close();
    await subConn.close();
    await pubConn.close();
    // A clean exit on SIGTERM, not a crash (nats-server itself exits 1 on SIGTERM).
    await server.stop("SIGTERM");
    assert.strictEqual(server.exitCode, KIND === "natsfleet" ? 0 : 1, `exit: ${server.describe()}`);
  });
});
