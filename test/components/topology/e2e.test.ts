/**
 * End to end: render the local-super stack (3 clusters x 3 servers, full-mesh gateways, two
 * leaf nodes bound to APP), start every server, wait for every route, gateway and leaf link,
 * then prove with the official client that plain messages, queue groups and request/reply
 * cross every gateway and every leaf link. Runs once per broker binary.
 */
import * as assert from "assert";
import * as path from "path";
import { connect, NatsConnection, StringCodec } from "nats";
import { loadTopology } from "../../../components/topology/load";
import { validateTopology } from "../../../components/topology/validate";
import { resolveSecrets } from "../../../components/topology/addresses";
import type { Topology } from "../../../components/topology/model";
import { BrokerBinary, NATSFLEET_SERVER, NATS_SERVER, RunningTopology, onFreePorts, startTopology, waitForLinks } from "./harness";

const STACK = path.resolve(__dirname, "../../../stacks/Pulumi.local-super.yaml");
const sc = StringCodec();

/** Passwords with every character the config and URL quoting must carry through. */
const trickySecret = (key: string) => `p#w}{"\\$@:/%? ${key}`;

async function retry<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const r = await attempt();
      if (r !== undefined) return r;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: nothing after ${timeoutMs} ms${last ? ` (last error: ${last})` : ""}`);
}

/**
 * Which binaries to run the topology on: NATSFLEET_E2E_BINARIES, comma-separated
 * (nats-server, natsfleet-server). Default: both, one after the other.
 */
const BINARIES: Record<string, BrokerBinary> = { "nats-server": NATS_SERVER, "natsfleet-server": NATSFLEET_SERVER };
const chosen = (process.env.NATSFLEET_E2E_BINARIES ?? "nats-server,natsfleet-server").split(",").map((s) => s.trim()).filter(Boolean);
for (const name of chosen) {
  const binary = BINARIES[name];
  if (!binary) throw new Error(`NATSFLEET_E2E_BINARIES: unknown binary "${name}" (known: ${Object.keys(BINARIES).join(", ")})`);
  describeTopology(binary);
}

function describeTopology(binary: BrokerBinary) {
  describe(`local-super end to end on ${binary.name}`, function () {
    this.timeout(120000);
    let model: Topology;
    let run: RunningTopology | undefined;
    let secrets: Record<string, string>;
    const clients = new Map<string, NatsConnection>();

    before(async function () {
      if (binary.unavailable) {
        // Visible in the report as pending, with the reason; goes away once the binary exists.
        console.log(`    (skipping ${binary.name}: ${binary.unavailable})`);
        this.skip();
      }
      model = await onFreePorts(loadTopology(STACK));
      secrets = resolveSecrets(model, {}, trickySecret).secrets;
      run = await startTopology(model, secrets, binary);
      await waitForLinks(run);
      const pass = secrets["user:APP:app"]!;
      for (const s of run.servers.values()) {
        clients.set(s.name, await connect({ servers: `127.0.0.1:${s.ports.client}`, user: "app", pass, name: `e2e-${s.name}`, maxReconnectAttempts: 0 }));
      }
    });

    after(async function () {
      await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
      clients.clear();
      if (run) await run.stop();
      run = undefined;
    });

    const nc = (server: string) => {
      const c = clients.get(server);
      if (!c) throw new Error(`no client on ${server}`);
      return c;
    };
    let seq = 0;

    /** Subscribe on `to`, publish on `from` until one arrives; proves the path carries messages. */
    async function expectMessage(from: string, to: string): Promise<void> {
      const subject = `e2e.msg.${++seq}`;
      const received: string[] = [];
      const sub = nc(to).subscribe(subject, { callback: (_e, m) => received.push(sc.decode(m.data)) });
      await nc(to).flush();
      try {
        await retry(`message ${from} -> ${to}`, async () => {
          nc(from).publish(subject, sc.encode(`from ${from}`));
          await nc(from).flush();
          await new Promise((r) => setTimeout(r, 20));
          return received.length > 0 ? true : undefined;
        });
        assert.strictEqual(received[0], `from ${from}`);
      } finally {
        sub.unsubscribe();
      }
    }

    /** Responder on `to`, requests from `from` until one is answered. */
    async function expectReply(from: string, to: string): Promise<void> {
      const subject = `e2e.svc.${++seq}`;
      const sub = nc(to).subscribe(subject, { callback: (_e, m) => m.respond(sc.encode(`${to} answers ${sc.decode(m.data)}`)) });
      await nc(to).flush();
      try {
        const answer = await retry(`request ${from} -> ${to}`, async () => sc.decode((await nc(from).request(subject, sc.encode(from), { timeout: 500 })).data));
        assert.strictEqual(answer, `${to} answers ${from}`);
      } finally {
        sub.unsubscribe();
      }
    }

    /**
     * Queue members on `members` (none on `from`'s cluster); `n` messages from `from` must each
     * reach exactly one member. A probe phase first waits until every member's interest has
     * reached `from` (gateway interest is propagated asynchronously).
     */
    async function expectQueue(from: string, members: string[], n = 50): Promise<void> {
      const subject = `e2e.queue.${++seq}`;
      const got = new Map<string, string[]>();
      const subs = members.map((m) => {
        got.set(m, []);
        return nc(m).subscribe(subject, { queue: "workers", callback: (_e, msg) => got.get(m)!.push(sc.decode(msg.data)) });
      });
      try {
        for (const m of members) await nc(m).flush();
        await retry(`queue interest of ${members.join(", ")} at ${from}`, async () => {
          nc(from).publish(subject, sc.encode("probe"));
          await nc(from).flush();
          await new Promise((r) => setTimeout(r, 20));
          return [...got.values()].some((l) => l.includes("probe")) ? true : undefined;
        });
        await new Promise((r) => setTimeout(r, 200));
        for (const l of got.values()) l.length = 0;
        for (let i = 0; i < n; i++) nc(from).publish(subject, sc.encode(`m${i}`));
        await nc(from).flush();
        await retry(`${n} queue messages from ${from}`, async () => {
          const total = [...got.values()].reduce((t, l) => t + l.filter((x) => x !== "probe").length, 0);
          return total >= n ? true : undefined;
        });
        await new Promise((r) => setTimeout(r, 300)); // a duplicate would show up by now
        const all = [...got.values()].flat().filter((x) => x !== "probe");
        assert.strictEqual(all.length, n, `each message once: got ${all.length} for ${n} (${[...got].map(([k, v]) => `${k}:${v.length}`).join(" ")})`);
        assert.strictEqual(new Set(all).size, n, "no message delivered twice");
      } finally {
        for (const s of subs) s.unsubscribe();
      }
    }

    it("forms every route, gateway and leaf link", async function () {
      assert.ok(run);
      assert.deepStrictEqual([...run.servers.keys()].sort(), ["east-0", "east-1", "east-2", "factory-1", "factory-2", "lab-0", "lab-1", "lab-2", "west-0", "west-1", "west-2"]);
      // still all up once the clients are connected (links do not flap)
      await waitForLinks(run, 2000);
    });

    it("carries messages across every gateway, both ways", async function () {
      for (const a of model.clusters) {
        for (const b of model.clusters) {
          if (a === b) continue;
          await expectMessage(a.servers[0]!.name, b.servers[2]!.name);
        }
      }
    });

    it("answers requests across every gateway, both ways", async function () {
      for (const a of model.clusters) {
        for (const b of model.clusters) {
          if (a === b) continue;
          await expectReply(a.servers[1]!.name, b.servers[0]!.name);
        }
      }
    });

    it("carries messages and requests over every leaf link, both ways and through the gateways", async function () {
      for (const leaf of model.leafnodes) {
        const l = leaf.servers[0]!.name;
        for (const c of model.clusters) {
          const s = c.servers[1]!.name;
          await expectMessage(l, s);
          await expectMessage(s, l);
          await expectReply(l, s);
          await expectReply(s, l);
        }
      }
      const [l1, l2] = model.leafnodes.map((l) => l.servers[0]!.name);
      await expectMessage(l1!, l2!);
      await expectReply(l2!, l1!);
    });

    it("delivers each queue message once across gateways", async function () {
      const [east, west, lab] = model.clusters;
      await expectQueue(east!.servers[0]!.name, [west!.servers[1]!.name, lab!.servers[2]!.name]);
      await expectQueue(lab!.servers[0]!.name, [east!.servers[2]!.name, west!.servers[0]!.name]);
    });

    it("delivers each queue message once over leaf links", async function () {
      const [l1, l2] = model.leafnodes.map((l) => l.servers[0]!.name);
      const lab = model.clusters.find((c) => c.name === "lab")!;
      await expectQueue(lab.servers[1]!.name, [l1!]);
      await expectQueue(lab.servers[1]!.name, [l1!, l2!]);
      await expectQueue(l1!, [lab.servers[0]!.name, l2!]);
    });
  });
}

/**
 * Quoting end to end on every broker that exists: a rendered password full of characters the
 * config format and URLs treat specially authenticates; a wrong one does not.
 */
describe("rendered credentials authenticate on every broker", function () {
  this.timeout(30000);
  for (const binary of [NATS_SERVER, NATSFLEET_SERVER]) {
    it(`on ${binary.name}`, async function () {
      if (binary.unavailable) {
        console.log(`      (skipping ${binary.name}: ${binary.unavailable})`);
        this.skip();
      }
      const model = await onFreePorts(validateTopology({ name: "auth", accounts: { APP: { users: [{ user: "app" }] } }, clusters: [{ name: "one", target: "local" }] }));
      const secrets = resolveSecrets(model, {}, trickySecret).secrets;
      const run = await startTopology(model, secrets, binary);
      try {
        const servers = `127.0.0.1:${run.server("one-0").ports.client}`;
        const nc = await connect({ servers, user: "app", pass: secrets["user:APP:app"]!, maxReconnectAttempts: 0 });
        await nc.flush();
        await nc.close();
        await assert.rejects(connect({ servers, user: "app", pass: "wrong", maxReconnectAttempts: 0 }), (err: { code?: string }) => err.code === "AUTHORIZATION_VIOLATION");
      } finally {
        await run.stop();
      }
    });
  }
});
