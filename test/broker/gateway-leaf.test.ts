/**
 * Where leaf nodes meet gateways (issue 4): a leaf spoke hangs off a hub of cluster A, and A is
 * joined by a gateway to cluster B. Each combination of our broker and Debian's nats-server
 * 2.9.10 as hub and spoke is checked (B is always the other implementation than the hub, so
 * every gateway link is mixed): requests both ways, pub/sub both ways, and queue groups served
 * exactly once whichever side of the gateway and leaf link the members sit on.
 */
import * as assert from "assert";
import { NatsConnection, StringCodec } from "nats";
import {
  AnyServer,
  OurServer,
  client,
  freePort,
  getJSON,
  hasInterest,
  sleep,
  startOurs,
  startProcess,
  startTheirs,
  stopAll,
  stopServer,
  waitFor,
  waitInterest,
  waitLeafs,
} from "./leafnode-helpers";

const sc = StringCodec();

type Impl = "ours" | "theirs";

/** Hub side of leaf nodes: a listener with one user (theirs gets its port substituted). */
function hubConf(kind: Impl | "process"): string {
  const listen = kind === "ours" ? "127.0.0.1:-1" : "127.0.0.1:$LEAF_PORT";
  return `leafnodes { listen: "${listen}"\n authorization { user: leaf, password: s3cret }\n}\n`;
}

function spokeConf(hubLeafPort: number): string {
  return `leafnodes { remotes: [ { url: "nats-leaf://leaf:s3cret@127.0.0.1:${hubLeafPort}" } ] }\n`;
}

/** The gateway port an in-process server bound. */
function ourGatewayPort(s: OurServer): number {
  const p = s.server.gateways?.port ?? 0;
  if (!p) throw new Error("our server has no gateway listener");
  return p;
}

/** Wait until both servers report their outbound gateway to the other (/gatewayz). */
async function waitGateways(a: AnyServer, aName: string, b: AnyServer, bName: string): Promise<void> {
  await waitFor(
    `gateways ${aName} <-> ${bName} connected both ways`,
    async () => {
      const ja = await getJSON(a.httpPort, "/gatewayz");
      const jb = await getJSON(b.httpPort, "/gatewayz");
      return ja.outbound_gateways?.[bName] !== undefined && jb.outbound_gateways?.[aName] !== undefined;
    },
    15000,
  );
}

/** A cluster-A hub with a gateway to B, and one leaf spoke of the hub. */
interface Topology {
  hub: AnyServer;
  b: AnyServer;
  spoke: AnyServer;
}

/** B is started first (as the implementation the hub is not); A's hub dials it. */
async function topology(hubKind: Impl, spokeKind: Impl): Promise<Topology> {
  let b: AnyServer;
  let bURL: string;
  if (hubKind === "ours") {
    const port = await freePort();
    b = await startTheirs(`gateway { name: B, listen: "127.0.0.1:${port}" }`);
    bURL = `nats://127.0.0.1:${port}`;
  } else {
    const ob = await startOurs(`gateway { name: B, listen: "127.0.0.1:-1" }`, { gateways: true });
    b = ob;
    bURL = `nats://127.0.0.1:${ourGatewayPort(ob)}`;
  }
  const gw = `gateway { name: A, listen: "127.0.0.1:-1", gateways: [ { name: B, url: "${bURL}" } ] }\n`;
  // nats-server refuses leaf nodes together with gateways unless a system account is named.
  const sys = `accounts { SYS: {} }\nsystem_account: SYS\n`;
  const hub = hubKind === "ours" ? await startOurs(gw + hubConf("ours"), { gateways: true }) : await startTheirs(sys + gw + hubConf("theirs"));
  await waitGateways(hub, "A", b, "B");
  const spoke = spokeKind === "ours" ? await startOurs(spokeConf(hub.leafPort)) : await startTheirs(spokeConf(hub.leafPort));
  await waitLeafs(hub, 1);
  await waitLeafs(spoke, 1);
  return { hub, b, spoke };
}

async function stopTopology(t: Topology | undefined): Promise<void> {
  if (!t) return;
  await stopServer(t.spoke);
  await stopServer(t.hub);
  await stopServer(t.b);
}

/** Answer requests on `subject` with `<tag>:<payload>`. */
function serve(nc: NatsConnection, subject: string, tag: string): void {
  nc.subscribe(subject, { callback: (_e, m) => m.respond(sc.encode(`${tag}:${sc.decode(m.data)}`)) });
}

/** Keep asking until an answer comes (interest crosses leaf and gateway links asynchronously). */
async function requestUntilAnswered(nc: NatsConnection, subject: string, payload: string, ms = 10000): Promise<string> {
  let answer = "";
  await waitFor(
    `a reply on ${subject}`,
    async () => {
      try {
        answer = sc.decode((await nc.request(subject, sc.encode(payload), { timeout: 1000 })).data);
        return true;
      } catch {
        return false;
      }
    },
    ms,
  );
  return answer;
}

/**
 * Received payloads per member of a subscription set; probes (payload "probe") are counted
 * apart so readiness can be waited for without touching the real counts.
 */
class Tally {
  readonly got: string[][] = [];
  probes = 0;

  member(nc: NatsConnection, subject: string, queue?: string): void {
    const list: string[] = [];
    this.got.push(list);
    nc.subscribe(subject, {
      queue,
      callback: (_e, m) => {
        const p = sc.decode(m.data);
        if (p === "probe") this.probes++;
        else list.push(p);
      },
    });
  }

  get all(): string[] {
    return this.got.flat();
  }
}

/** Publish probes on `subject` from `pub` until `tally` has seen one. */
async function probeUntilSeen(pub: NatsConnection, subject: string, tally: Tally, ms = 10000): Promise<void> {
  await waitFor(
    `probe on ${subject} to arrive`,
    async () => {
      pub.publish(subject, sc.encode("probe"));
      await pub.flush();
      await sleep(50);
      return tally.probes > 0;
    },
    ms,
  );
}

/** Publish `n` numbered messages, then wait until `tally` holds `n` or `ms` passes, plus a settle time for duplicates. */
async function publishAndCount(pub: NatsConnection, subject: string, tag: string, n: number, tally: Tally): Promise<string[]> {
  const before = tally.all.length;
  for (let i = 0; i < n; i++) pub.publish(subject, sc.encode(`${tag}-${i}`));
  await pub.flush();
  await waitFor(`${n} messages on ${subject}`, () => tally.all.filter((p) => p.startsWith(`${tag}-`)).length >= n, 10000).catch(() => undefined);
  // Duplicates (a message taking both the leaf and the gateway path) would arrive just after.
  await sleep(300);
  assert.ok(tally.all.length >= before);
  return tally.all.filter((p) => p.startsWith(`${tag}-`));
}

function expected(tag: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${tag}-${i}`);
}

describe("gateways and leaf nodes together", function () {
  this.timeout(60000);

  afterEach(async () => {
    await stopAll();
  });

  it("a spoke's request is answered from another cluster over a gateway", async () => {
    const gwPort = await freePort();
    const g2 = await startTheirs(`gateway { name: G2, listen: "127.0.0.1:${gwPort}" }`);
    const g1 = await startOurs(`gateway { name: G1, listen: "127.0.0.1:-1", gateways: [ { name: G2, url: "nats://127.0.0.1:${gwPort}" } ] }\n${hubConf("ours")}`, { gateways: true });
    await waitFor("gateways connected both ways", async () => {
      const j = await getJSON(g2.httpPort, "/gatewayz");
      return j.outbound_gateways?.G1 !== undefined && j.inbound_gateways?.G1 !== undefined;
    });
    const spoke = await startTheirs(spokeConf(g1.leafPort));
    await waitLeafs(g1, 1);
    // With gateways on, the hub advertises _GR_.> so gateway-mapped replies can come back.
    await waitInterest(spoke, "_GR_.>");
    const responder = await client(g2.url);
    responder.subscribe("gw.svc", { callback: (_e, m) => m.respond(sc.encode(`re:${sc.decode(m.data)}`)) });
    await responder.flush();
    const requester = await client(spoke.url);
    let answer = "";
    await waitFor(
      "a reply across leaf and gateway",
      async () => {
        try {
          answer = sc.decode((await requester.request("gw.svc", sc.encode("x"), { timeout: 1000 })).data);
          return true;
        } catch {
          return false;
        }
      },
      10000,
    );
    assert.strictEqual(answer, "re:x");
  });

  it("the natsfleet-server executable as hub: a nats-server spoke reaches a nats-server cluster and is reached from it", async () => {
    const port = await freePort();
    const b = await startTheirs(`gateway { name: B, listen: "127.0.0.1:${port}" }`);
    const hub = await startProcess(
      "natsfleet",
      `gateway { name: A, listen: "127.0.0.1:-1", gateways: [ { name: B, url: "nats://127.0.0.1:${port}" } ] }\n${hubConf("process")}`,
    );
    await waitGateways(hub, "A", b, "B");
    const spoke = await startTheirs(spokeConf(hub.leafPort));
    await waitLeafs(hub, 1);
    const nb = await client(b.url);
    const ns = await client(spoke.url);
    serve(nb, "exe.b", "B");
    await nb.flush();
    assert.strictEqual(await requestUntilAnswered(ns, "exe.b", "1"), "B:1");
    serve(ns, "exe.s", "S");
    await ns.flush();
    assert.strictEqual(await requestUntilAnswered(nb, "exe.s", "2"), "S:2");
  });

  it("cluster A of two routed natsfleet servers: the spoke on one of them reaches B and is reached from B whichever A server holds the link", async () => {
    const port = await freePort();
    const b = await startTheirs(`gateway { name: B, listen: "127.0.0.1:${port}" }`);
    const a1 = await startOurs(
      `cluster { name: A, listen: "127.0.0.1:-1" }\ngateway { name: A, listen: "127.0.0.1:-1", gateways: [ { name: B, url: "nats://127.0.0.1:${port}" } ] }\n${hubConf("ours")}`,
      { gateways: true, routes: true },
    );
    // A2 names no gateway: it learns B from A1 over the route (gossip), as nats-server does.
    const a2 = await startOurs(
      `cluster { name: A, listen: "127.0.0.1:-1", routes: ["nats-route://127.0.0.1:${a1.clusterPort}"] }\ngateway { name: A, listen: "127.0.0.1:-1" }\n${hubConf("ours")}`,
      { gateways: true, routes: true },
    );
    await waitFor(
      "both A servers linked with B both ways",
      async () => {
        const jb = await getJSON(b.httpPort, "/gatewayz");
        const j1 = await getJSON(a1.httpPort, "/gatewayz");
        const j2 = await getJSON(a2.httpPort, "/gatewayz");
        return jb.inbound_gateways?.A?.length === 2 && j1.outbound_gateways?.B !== undefined && j2.outbound_gateways?.B !== undefined;
      },
      15000,
    );
    // The route INFO carried each server's gateway and leafnode URLs.
    const urls = (s: OurServer) => (s.server.routes ? [...s.server.routes.values()] : []).map((r) => (r as unknown as { info?: { gateway_url?: string; leafnode_urls?: string[] } }).info);
    assert.deepStrictEqual(urls(a1).map((i) => i?.gateway_url), [a2.server.gatewayRouteHooks?.url]);
    assert.deepStrictEqual(urls(a1).map((i) => i?.leafnode_urls), [[a2.server.leafnodeURL]]);
    const spoke = await startTheirs(spokeConf(a1.leafPort));
    await waitLeafs(a1, 1);
    // The hub's INFO to spokes lists every hub of the cluster (from route leafnode_urls).
    assert.deepStrictEqual([...a1.leaf.hubInfo().leafnode_urls].sort(), [a1.server.leafnodeURL, a2.server.leafnodeURL].sort());
    const nb = await client(b.url);
    const ns = await client(spoke.url);
    serve(nb, "rt.b", "B");
    await nb.flush();
    assert.strictEqual(await requestUntilAnswered(ns, "rt.b", "1"), "B:1");
    serve(ns, "rt.s", "S");
    await ns.flush();
    assert.strictEqual(await requestUntilAnswered(nb, "rt.s", "2"), "S:2");
    // Fresh requesters (mapped replies) from both sides, several times, whichever A server B's link reaches.
    const ns2 = await client(spoke.url);
    const nb2 = await client(b.url);
    for (let i = 0; i < 5; i++) {
      assert.strictEqual(sc.decode((await ns2.request("rt.b", sc.encode(`s${i}`), { timeout: 1500 })).data), `B:s${i}`);
      assert.strictEqual(sc.decode((await nb2.request("rt.s", sc.encode(`b${i}`), { timeout: 1500 })).data), `S:b${i}`);
    }
    // A client of A2 (no leaf there) reaches the spoke's service over the route.
    const na2 = await client(a2.url);
    assert.strictEqual(await requestUntilAnswered(na2, "rt.s", "3"), "S:3");
  });

  it("a cluster block without a name takes the gateway's name (as nats-server), and spokes are told that name", async () => {
    const port = await freePort();
    const b = await startTheirs(`gateway { name: B, listen: "127.0.0.1:${port}" }`);
    const gw = `gateway { name: A, listen: "127.0.0.1:-1", gateways: [ { name: B, url: "nats://127.0.0.1:${port}" } ] }\n`;
    const a1 = await startOurs(`cluster { listen: "127.0.0.1:-1" }\n${gw}${hubConf("ours")}`, { gateways: true, routes: true });
    const a2 = await startOurs(`cluster { listen: "127.0.0.1:-1", routes: ["nats-route://127.0.0.1:${a1.clusterPort}"] }\n${gw}${hubConf("ours")}`, {
      gateways: true,
      routes: true,
    });
    await waitFor("the route between the A servers", async () => (await getJSON(a1.httpPort, "/routez")).num_routes === 1);
    for (const a of [a1, a2]) {
      const v = await getJSON(a.httpPort, "/varz");
      assert.strictEqual(v.cluster?.name, "A");
      assert.strictEqual(a.leaf.hubInfo().cluster, "A");
    }
    await waitGateways(a2, "A", b, "B");
    const spoke = await startTheirs(spokeConf(a2.leafPort));
    await waitLeafs(a2, 1);
    const nb = await client(b.url);
    serve(nb, "named.b", "B");
    await nb.flush();
    assert.strictEqual(await requestUntilAnswered(await client(spoke.url), "named.b", "x"), "B:x");
  });

  for (const spokeKind of ["ours", "theirs"] as const) {
    it(`a ${spokeKind === "ours" ? "natsfleet" : "nats-server"} spoke loses interest from another cluster when it goes (unsubscribe, then the gateway closing)`, async () => {
      const t = await topology("ours", spokeKind);
      const nb = await client(t.b.url);
      const sub = nb.subscribe("gone.b");
      await nb.flush();
      await waitInterest(t.spoke, "gone.b");
      sub.unsubscribe();
      await nb.flush();
      await waitFor("the spoke to drop gone.b", async () => !(await hasInterest(t.spoke, "gone.b")));
      nb.subscribe("gone.b");
      nb.subscribe("gone.q", { queue: "workers" });
      await nb.flush();
      await waitInterest(t.spoke, "gone.b");
      await waitInterest(t.spoke, "gone.q", "workers");
      await nb.close();
      await stopServer(t.b);
      await waitFor("the spoke to drop B's interest with the gateway", async () => !(await hasInterest(t.spoke, "gone.b")) && !(await hasInterest(t.spoke, "gone.q", "workers")));
    });
  }

  for (const hubKind of ["ours", "theirs"] as const) {
    it(`a natsfleet spoke cluster of two on a ${hubKind === "ours" ? "natsfleet" : "nats-server"} hub: requests to and from B on either spoke server, exactly one answer`, async () => {
      const t = await topology(hubKind, "theirs");
      const s1 = await startOurs(`cluster { name: SPK, listen: "127.0.0.1:-1" }\n${spokeConf(t.hub.leafPort)}`, { routes: true });
      const s2 = await startOurs(`cluster { name: SPK, listen: "127.0.0.1:-1", routes: ["nats-route://127.0.0.1:${s1.clusterPort}"] }\n${spokeConf(t.hub.leafPort)}`, {
        routes: true,
      });
      await waitLeafs(t.hub, 3);
      const nb = await client(t.b.url);
      const n1 = await client(s1.url);
      const n2 = await client(s2.url);
      let served = 0;
      n2.subscribe("cl.s2", { callback: (_e, m) => (served++, m.respond(sc.encode(`S2:${sc.decode(m.data)}`))) });
      await n2.flush();
      serve(nb, "cl.b", "B");
      await nb.flush();
      assert.strictEqual(await requestUntilAnswered(nb, "cl.s2", "w"), "S2:w");
      assert.strictEqual(await requestUntilAnswered(n1, "cl.b", "w"), "B:w");
      // Fresh requesters: replies mapped by the gateway come back through the spoke cluster.
      const nb2 = await client(t.b.url);
      const n1b = await client(s1.url);
      const n2b = await client(s2.url);
      served = 0;
      for (let i = 0; i < 5; i++) {
        assert.strictEqual(sc.decode((await nb2.request("cl.s2", sc.encode(`${i}`), { timeout: 1500 })).data), `S2:${i}`);
        assert.strictEqual(sc.decode((await n1b.request("cl.b", sc.encode(`${i}`), { timeout: 1500 })).data), `B:${i}`);
        assert.strictEqual(sc.decode((await n2b.request("cl.b", sc.encode(`${i}`), { timeout: 1500 })).data), `B:${i}`);
      }
      await sleep(200);
      assert.strictEqual(served, 5, "each request from B reached the spoke service once");
    });

    for (const spokeKind of ["ours", "theirs"] as const) {
      const name = (k: Impl) => (k === "ours" ? "natsfleet" : "nats-server");
      describe(`${name(hubKind)} hub of A, ${name(spokeKind)} spoke, ${name(hubKind === "ours" ? "theirs" : "ours")} cluster B`, () => {
        let t: Topology | undefined;
        let ns: NatsConnection;
        let na: NatsConnection;
        let nb: NatsConnection;

        beforeEach(async () => {
          t = await topology(hubKind, spokeKind);
          ns = await client(t.spoke.url);
          na = await client(t.hub.url);
          nb = await client(t.b.url);
        });

        afterEach(async () => {
          const done = t;
          t = undefined;
          await stopTopology(done);
        });

        it("the spoke's requests are answered by a service in B, and B's by a service on the spoke", async () => {
          serve(nb, "svc.b", "B");
          await nb.flush();
          assert.strictEqual(await requestUntilAnswered(ns, "svc.b", "from-spoke"), "B:from-spoke");
          serve(ns, "svc.s", "S");
          await ns.flush();
          assert.strictEqual(await requestUntilAnswered(nb, "svc.s", "from-b"), "S:from-b");
          // Interest is everywhere now. A new requester's inbox subscription is recent, so the
          // gateway maps its reply (`_GR_.`): that answer must come back at the first try.
          const ns2 = await client(t!.spoke.url);
          assert.strictEqual(sc.decode((await ns2.request("svc.b", sc.encode("fresh"), { timeout: 1500 })).data), "B:fresh");
          const nb2 = await client(t!.b.url);
          assert.strictEqual(sc.decode((await nb2.request("svc.s", sc.encode("fresh"), { timeout: 1500 })).data), "S:fresh");
          // And again at once, on the same inboxes (still recent).
          assert.strictEqual(sc.decode((await ns2.request("svc.b", sc.encode("again"), { timeout: 1500 })).data), "B:again");
          assert.strictEqual(sc.decode((await nb2.request("svc.s", sc.encode("again"), { timeout: 1500 })).data), "S:again");
        });

        it("messages published on the spoke reach a subscriber in B once each, in order, and back", async () => {
          const atB = new Tally();
          atB.member(nb, "ps.to-b");
          await nb.flush();
          await probeUntilSeen(ns, "ps.to-b", atB);
          assert.deepStrictEqual(await publishAndCount(ns, "ps.to-b", "m", 100, atB), expected("m", 100));

          const atS = new Tally();
          atS.member(ns, "ps.to-s");
          await ns.flush();
          await probeUntilSeen(nb, "ps.to-s", atS);
          assert.deepStrictEqual(await publishAndCount(nb, "ps.to-s", "m", 100, atS), expected("m", 100));
        });

        it("a wildcard subscriber on the spoke gets B's messages, and B's wildcard subscriber the spoke's", async () => {
          const atS = new Tally();
          atS.member(ns, "wc.*.s");
          await ns.flush();
          await probeUntilSeen(nb, "wc.x.s", atS);
          assert.deepStrictEqual(await publishAndCount(nb, "wc.y.s", "w", 20, atS), expected("w", 20));

          const atB = new Tally();
          atB.member(nb, "wc.>");
          await nb.flush();
          await probeUntilSeen(ns, "wc.p.b", atB);
          assert.deepStrictEqual(await publishAndCount(ns, "wc.q.b", "v", 20, atB), expected("v", 20));
        });

        it("a queue group on the spoke serves B's messages exactly once", async () => {
          const q = new Tally();
          q.member(ns, "q.spoke", "workers");
          q.member(ns, "q.spoke", "workers");
          await ns.flush();
          await probeUntilSeen(nb, "q.spoke", q);
          const got = await publishAndCount(nb, "q.spoke", "k", 200, q);
          assert.deepStrictEqual([...got].sort(), expected("k", 200).sort());
        });

        it("a queue group in B serves the spoke's messages exactly once", async () => {
          const q = new Tally();
          q.member(nb, "q.b", "workers");
          q.member(nb, "q.b", "workers");
          await nb.flush();
          await probeUntilSeen(ns, "q.b", q);
          const got = await publishAndCount(ns, "q.b", "k", 200, q);
          assert.deepStrictEqual([...got].sort(), expected("k", 200).sort());
        });

        it("a queue group with members on the spoke and in B gets each message exactly once, whoever publishes", async () => {
          const q = new Tally();
          q.member(ns, "q.mixed", "workers");
          q.member(nb, "q.mixed", "workers");
          await Promise.all([ns.flush(), nb.flush()]);
          // Members on both sides must be known everywhere before counting: probe from each.
          for (const pub of [na, ns, nb]) {
            q.probes = 0;
            await probeUntilSeen(pub, "q.mixed", q);
          }
          await sleep(300);
          const [fromS, fromB] = q.got;
          let total: string[] = [];
          for (const [tag, pub] of [["a", na], ["s", ns], ["b", nb]] as const) {
            total = await publishAndCount(pub, "q.mixed", tag, 100, q);
            assert.deepStrictEqual(
              total.filter((p) => p.startsWith(`${tag}-`)).sort(),
              expected(tag, 100).sort(),
              `messages published ${tag === "a" ? "on the hub" : tag === "s" ? "on the spoke" : "in B"}`,
            );
          }
          // A cluster with a member serves its own publishers (nats-server's queue rule).
          assert.ok(fromS.filter((p) => p.startsWith("s-")).length === 100, "the spoke's own member served the spoke's messages");
          assert.ok(fromB.filter((p) => p.startsWith("b-")).length === 100, "B's own member served B's messages");
        });
      });
    }
  }
});
