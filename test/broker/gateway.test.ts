/**
 * Gateways (reference section 3): single-server clusters joined into super-clusters, with our
 * broker and Debian's nats-server 2.9.10 on either end of each link, driven by `nats` clients;
 * plus raw wire tests of the handshake, interest-only mode and optimistic-mode peers.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ensureTestCerts } from "../helpers/certs";
import { connect, headers, NatsConnection, StringCodec } from "nats";
import { spawnServer, stopAllServers } from "../helpers/servers";
import { freePort, freePorts, sleep } from "../helpers/ports";
import {
  Cluster,
  Impl,
  RemoteSpec,
  client,
  gatewayAddonOf,
  getJSON,
  natsServerAvailable,
  outboundNames,
  rawConnect,
  startCluster,
  startOurs,
  waitFor,
  waitForInterest,
  waitForMesh,
} from "./gateway-helpers";
import { gwHash } from "../../broker/gateway";
import { ClusterInterest, RemoteInterest } from "../../broker/gateway/interest";
import { createServer } from "../../broker/index";
import { loadConfigFile } from "../../broker/config/options";
import type { ServerOptions } from "../../broker/options";

const sc = StringCodec();

describe("gateways", function () {
  this.timeout(60000);

  before(function () {
    if (!natsServerAvailable()) throw new Error("nats-server 2.9.10 is required (apt-get install nats-server)");
  });

  after(async () => {
    await stopAllServers();
  });

  it("hashes names as nats-server does (cluster A -> NUmM6c, B -> b2oh2L, seen on the wire)", () => {
    assert.strictEqual(gwHash("A"), "NUmM6c");
    assert.strictEqual(gwHash("B"), "b2oh2L");
  });

  describe("interest bookkeeping (units)", () => {
    const conn = { cid: 1, kind: 0, kindName: "Client", closed: false, deliver: () => true } as const;

    it("tallies keys: only the first and last subscription of a key are changes; recent subs expire after 2s", async () => {
      const changes: string[] = [];
      const ci = new ClusterInterest((acc, subj, q, added) => changes.push(`${added ? "+" : "-"}${acc} ${subj}${q ? " " + q : ""}`));
      try {
        const a = { subject: "a.>", conn };
        const b = { subject: "a.>", conn };
        const q = { subject: "w", queue: "g", conn };
        ci.add("$G", a);
        ci.add("$G", b);
        ci.add("$G", q);
        ci.remove("$G", a);
        assert.deepStrictEqual(changes, ["+$G a.>", "+$G w g"]);
        ci.remove("$G", b);
        ci.remove("$G", q);
        ci.remove("$G", q);
        assert.deepStrictEqual(changes, ["+$G a.>", "+$G w g", "-$G a.>", "-$G w g"]);
        assert.strictEqual(ci.isRecent("$G", "a.b.c"), true, "a reply under a new wildcard sub is recent");
        assert.strictEqual(ci.isRecent("$G", "b"), false);
        await sleep(2100);
        assert.strictEqual(ci.isRecent("$G", "a.b.c"), false, "no longer recent after 2s");
      } finally {
        ci.close();
      }
    });

    it("models a remote's interest in optimistic and interest-only modes", () => {
      const ri = new RemoteInterest();
      const m = (subj: string) => {
        const r = ri.interest("$G", subj);
        return `${r.plain}|${r.queues.join(",")}`;
      };
      assert.strictEqual(m("x"), "true|", "optimistic: everything");
      ri.unsubscribe("$G", "x", undefined);
      assert.strictEqual(m("x"), "false|");
      ri.subscribe("$G", "x.>", undefined);
      ri.subscribe("$G", "x", undefined);
      assert.strictEqual(m("x"), "true|", "RS+ clears RS-");
      ri.subscribe("$G", "w", "g1");
      assert.strictEqual(m("w"), "true|g1");
      ri.accountUnsubscribe("NONE");
      assert.strictEqual(ri.interest("NONE", "y").plain, false, "A-: nothing for the account");
      ri.accountSubscribe("NONE");
      assert.strictEqual(ri.interest("NONE", "y").plain, true, "A+: optimistic again");
      // With queue interest, A- keeps the queue groups (and, as nats-server, resets RS- refusals).
      ri.accountUnsubscribe("$G");
      assert.strictEqual(m("w"), "true|g1");
      ri.allSubsStart("ACC");
      ri.subscribe("ACC", "only", undefined);
      ri.allSubsComplete("ACC");
      assert.strictEqual(ri.interest("ACC", "only").plain, true);
      assert.strictEqual(ri.interest("ACC", "other").plain, false, "interest-only: unannounced");
      ri.unsubscribe("ACC", "only", undefined);
      assert.strictEqual(ri.interest("ACC", "only").plain, false);
      const iom = new RemoteInterest();
      iom.interestOnly = true;
      assert.strictEqual(iom.interest("$G", "x").plain, false, "gateway_iom: nothing before the account is announced");
    });

    it("reports the remote's kept subscriptions (for leaf hubs), and drops them all when the connection goes", () => {
      const events: string[] = [];
      const ri = new RemoteInterest((acc, subj, q, added) => events.push(`${added ? "+" : "-"}${acc} ${subj}${q ? " " + q : ""}`));
      ri.unsubscribe("$G", "refused", undefined); // optimistic refusal: not interest
      ri.subscribe("$G", "w", "g");
      ri.subscribe("$G", "w", "g"); // duplicate RS+
      ri.allSubsStart("$G");
      ri.subscribe("$G", "p", undefined);
      ri.allSubsComplete("$G");
      ri.unsubscribe("$G", "w", "g");
      ri.subscribe("$G", "w2", "g");
      ri.clear();
      assert.deepStrictEqual(events, ["+$G w g", "+$G p", "-$G w g", "+$G w2 g", "-$G p", "-$G w2 g"]);
    });
  });

  const pairs: Array<[Impl, Impl]> = [
    ["ours", "ours"],
    ["ours", "nats-server"],
    ["nats-server", "ours"],
    ["natsfleet-server", "nats-server"],
    ["nats-server", "natsfleet-server"],
  ];
  for (const [dialer, acceptor] of pairs) {
    describe(`cluster A (${dialer}) dials cluster B (${acceptor})`, function () {
      let A: Cluster;
      let B: Cluster;
      let na: NatsConnection;
      let nb: NatsConnection;

      before(async () => {
        B = await startCluster(acceptor, "B");
        A = await startCluster(dialer, "A", { remotes: [{ name: "B", url: B.gatewayURL }] });
        await waitForMesh([A, B]);
        na = await client(A);
        nb = await client(B);
      });

      after(async () => {
        for (const c of [na, nb]) if (c && !c.isClosed()) await c.close();
        for (const c of [A, B]) if (c) await c.stop();
      });

      it("both sides hold an outbound and an inbound gateway (the acceptor dials back implicitly)", async () => {
        assert.deepStrictEqual(await outboundNames(A), ["B"]);
        assert.deepStrictEqual(await outboundNames(B), ["A"]);
        const ga = await getJSON(A.httpPort, "/gatewayz");
        const gb = await getJSON(B.httpPort, "/gatewayz");
        assert.strictEqual(ga.name, "A");
        assert.strictEqual(gb.name, "B");
        // A was configured with B; B learned A from its inbound connection.
        assert.strictEqual(ga.outbound_gateways.B.configured, true);
        assert.strictEqual(gb.outbound_gateways.A.configured, false);
        assert.strictEqual(ga.inbound_gateways.B.length, 1);
        assert.strictEqual(gb.inbound_gateways.A.length, 1);
        // The connection's name is the remote server's id, on both implementations.
        const bId = (await getJSON(B.httpPort, "/varz")).server_id;
        assert.strictEqual(ga.outbound_gateways.B.connection.name, bId);
      });

      it("delivers plain and wildcard subscriptions with headers, both ways", async () => {
        for (const [pub, sub, tag] of [
          [na, nb, "ab"],
          [nb, na, "ba"],
        ] as const) {
          const got: Array<{ subject: string; data: string; hdr?: string }> = [];
          const s1 = sub.subscribe(`t.${tag}.>`, { callback: (_e, m) => got.push({ subject: m.subject, data: sc.decode(m.data), hdr: m.headers?.get("X-Test") }) });
          const s2 = sub.subscribe(`t.${tag}.*.exact`, { callback: (_e, m) => got.push({ subject: "exact:" + m.subject, data: sc.decode(m.data) }) });
          // A UTF-8 subject crosses byte for byte (RS+ and RMSG alike).
          const s3 = sub.subscribe(`u.${tag}.grüße`, { callback: (_e, m) => got.push({ subject: m.subject, data: sc.decode(m.data) }) });
          await waitForInterest(pub, sub, `t.${tag}.probe`);
          await waitForInterest(pub, sub, `u.${tag}.grüße`);
          await waitFor("probe drained", async () => {
            await sleep(100);
            const n = got.length;
            await sleep(100);
            return got.length === n;
          });
          got.length = 0;
          const h = headers();
          h.set("X-Test", `hdr-${tag}`);
          pub.publish(`t.${tag}.one`, sc.encode("1"));
          pub.publish(`t.${tag}.two.exact`, sc.encode("2"), { headers: h });
          pub.publish(`other.${tag}`, sc.encode("nobody"));
          pub.publish(`u.${tag}.grüße`, sc.encode("3"));
          await pub.flush();
          await waitFor(`4 deliveries ${tag}`, () => got.length >= 4);
          await sleep(200);
          assert.deepStrictEqual(
            got.map((g) => `${g.subject}=${g.data}`).sort(),
            [`exact:t.${tag}.two.exact=2`, `t.${tag}.one=1`, `t.${tag}.two.exact=2`, `u.${tag}.grüße=3`].sort(),
          );
          assert.strictEqual(got.find((g) => g.subject === `t.${tag}.two.exact`)?.hdr, `hdr-${tag}`);
          s1.unsubscribe();
          s2.unsubscribe();
          s3.unsubscribe();
        }
      });

      it("answers requests across the gateway both ways (replies mapped with _GR_ and routed back)", async () => {
        for (const [req, rep, tag] of [
          [na, nb, "B"],
          [nb, na, "A"],
        ] as const) {
          let seenReply = "";
          const svc = rep.subscribe(`svc.${tag}`, {
            callback: (_e, m) => {
              seenReply = m.reply ?? "";
              m.respond(sc.encode(`${tag}:${sc.decode(m.data)}`));
            },
          });
          await waitForInterest(req, rep, `svc.${tag}`);
          const answers = await Promise.all(
            Array.from({ length: 10 }, (_, i) => req.request(`svc.${tag}`, sc.encode(`q${i}`), { timeout: 5000 }).then((m) => sc.decode(m.data))),
          );
          assert.deepStrictEqual(answers, Array.from({ length: 10 }, (_, i) => `${tag}:q${i}`));
          // The responder sees the requester's own inbox, never the routing prefix.
          assert.match(seenReply, /^_INBOX\./);
          // Once the inbox subscription is no longer recent (2s) replies are not mapped: they
          // travel by ordinary interest and still arrive.
          await sleep(2200);
          assert.strictEqual(sc.decode((await req.request(`svc.${tag}`, sc.encode("late"), { timeout: 5000 })).data), `${tag}:late`);
          svc.unsubscribe();
        }
      });

      it("serves a queue group locally when it can, otherwise in exactly one remote cluster", async () => {
        const counts = { a: 0, b: 0, plainB: 0 };
        const qb = nb.subscribe("work", { queue: "workers", callback: () => counts.b++ });
        await waitForInterest(na, nb, "work");
        // A must know of B's member before the preference test means anything.
        await waitFor("A sends work to B's queue member", async () => {
          na.publish("work");
          await na.flush();
          await sleep(50);
          return counts.b > 0;
        });
        const qa = na.subscribe("work", { queue: "workers", callback: () => counts.a++ });
        await na.flush();
        await sleep(300);
        counts.a = counts.b = 0;
        for (let i = 0; i < 50; i++) na.publish("work", sc.encode(String(i)));
        await na.flush();
        await waitFor("50 local deliveries", () => counts.a === 50);
        await sleep(300);
        assert.deepStrictEqual({ a: counts.a, b: counts.b }, { a: 50, b: 0 }, "the local member takes everything");

        // Without a local member, B's group gets each message exactly once (with a plain sub too).
        qa.unsubscribe();
        await na.flush();
        const plain = nb.subscribe("work", { callback: () => counts.plainB++ });
        await nb.flush();
        await waitFor("B's plain sub visible from A", async () => {
          const before = counts.plainB;
          na.publish("work");
          await na.flush();
          await sleep(100);
          return counts.plainB > before;
        });
        await sleep(300);
        counts.a = counts.b = counts.plainB = 0;
        for (let i = 0; i < 50; i++) na.publish("work", sc.encode(String(i)));
        await na.flush();
        await waitFor("50 remote deliveries", () => counts.b === 50 && counts.plainB === 50);
        await sleep(300);
        assert.deepStrictEqual(counts, { a: 0, b: 50, plainB: 50 });
        plain.unsubscribe();
        qb.unsubscribe();
      });

      it("stops sending once the remote interest is gone", async () => {
        let n = 0;
        const s = nb.subscribe("gone.x", { callback: () => n++ });
        await waitForInterest(na, nb, "gone.x");
        s.unsubscribe();
        await nb.flush();
        const before = await outMsgsTo(A, "B");
        await sleep(500);
        for (let i = 0; i < 20; i++) na.publish("gone.x");
        await na.flush();
        await sleep(500);
        const after = await outMsgsTo(A, "B");
        assert.ok(after - before < 20, `A kept sending after RS-: ${after - before} messages`);
      });
    });
  }

  /** Messages A sent over its outbound gateway to `name`, from /gatewayz. */
  async function outMsgsTo(c: Cluster, name: string): Promise<number> {
    const gz = await getJSON(c.httpPort, "/gatewayz");
    return gz.outbound_gateways[name].connection.out_msgs as number;
  }

  for (const [a, b, c] of [
    ["ours", "nats-server", "ours"],
    ["nats-server", "ours", "nats-server"],
  ] as Array<[Impl, Impl, Impl]>) {
    it(`three clusters A (${a}), B (${b}), C (${c}): C knows only B and joins the whole super-cluster`, async () => {
      const A = await startCluster(a, "A");
      const B = await startCluster(b, "B", { remotes: [{ name: "A", url: A.gatewayURL }] });
      const conns: NatsConnection[] = [];
      let C: Cluster | undefined;
      try {
        await waitForMesh([A, B]);
        C = await startCluster(c, "C", { remotes: [{ name: "B", url: B.gatewayURL }] });
        // A learns C from B's gossip (or C learns A): every pair ends up connected both ways.
        await waitForMesh([A, B, C], 20000);
        const [na, nb, nc] = await Promise.all([client(A), client(B), client(C)]);
        conns.push(na, nb, nc);

        // C <-> A, a pair that shares no configuration.
        const got: string[] = [];
        na.subscribe("from.c", { callback: (_e, m) => got.push(sc.decode(m.data)) });
        await waitForInterest(nc, na, "from.c");
        nc.publish("from.c", sc.encode("hello A"));
        await waitFor("C -> A", () => got.includes("hello A"));
        nc.subscribe("svc.c", { callback: (_e, m) => m.respond(sc.encode("C here")) });
        await waitForInterest(na, nc, "svc.c");
        const r = await na.request("svc.c", sc.encode(""), { timeout: 5000 });
        assert.strictEqual(sc.decode(r.data), "C here");

        // A queue group with members in B and C only: each message from A handled exactly once.
        const counts = { b: 0, c: 0 };
        nb.subscribe("jobs", { queue: "q", callback: () => counts.b++ });
        nc.subscribe("jobs", { queue: "q", callback: () => counts.c++ });
        await Promise.all([nb.flush(), nc.flush()]);
        await waitFor("queue interest of B and C at A", async () => {
          const before = counts.b + counts.c;
          na.publish("jobs");
          await na.flush();
          await sleep(100);
          return counts.b + counts.c > before;
        });
        await sleep(500);
        counts.b = counts.c = 0;
        for (let i = 0; i < 40; i++) na.publish("jobs");
        await na.flush();
        await waitFor("40 queue deliveries", () => counts.b + counts.c >= 40);
        await sleep(500);
        assert.strictEqual(counts.b + counts.c, 40, `exactly once: ${JSON.stringify(counts)}`);
      } finally {
        for (const x of conns) await x.close();
        for (const x of [C, B, A]) if (x) await x.stop();
      }
    });
  }

  it("a two-server cluster of ours (routes) and a nats-server cluster: replies find the requesting server", async () => {
    const B = await startCluster("nats-server", "B");
    const A1 = await startOurs("A", { serverName: "A1", routes: [], remotes: [{ name: "B", url: B.gatewayURL }] });
    const A2 = await startOurs("A", { serverName: "A2", routes: [A1.routeURL!], remotes: [{ name: "B", url: B.gatewayURL }] });
    const conns: NatsConnection[] = [];
    try {
      await waitFor("route A1-A2", () => (A1.server!.routes?.size ?? 0) === 1 && (A2.server!.routes?.size ?? 0) === 1);
      for (const a of [A1, A2]) await waitFor(`${a.server!.name} outbound to B`, async () => (await outboundNames(a)).includes("B"));
      await waitFor("B outbound to A", async () => (await outboundNames(B)).includes("A"));
      const [n1, n2, nb] = await Promise.all([client(A1), client(A2), client(B)]);
      conns.push(n1, n2, nb);
      // Requests both ways with the responder / requester on each server of cluster A, whichever
      // server B's single outbound connection landed on.
      for (const [na, tag] of [
        [n1, "a1"],
        [n2, "a2"],
      ] as const) {
        na.subscribe(`svc.${tag}`, { callback: (_e, m) => m.respond(sc.encode(`from ${tag}`)) });
        await waitForInterest(nb, na, `svc.${tag}`);
        const r = await nb.request(`svc.${tag}`, sc.encode(""), { timeout: 5000 });
        assert.strictEqual(sc.decode(r.data), `from ${tag}`);
      }
      nb.subscribe("svc.b", { callback: (_e, m) => m.respond(sc.encode("from b")) });
      for (const na of [n1, n2]) {
        await waitForInterest(na, nb, "svc.b");
        const answers = await Promise.all([1, 2, 3].map(() => na.request("svc.b", sc.encode(""), { timeout: 5000 }).then((m) => sc.decode(m.data))));
        assert.deepStrictEqual(answers, ["from b", "from b", "from b"]);
      }
      // A queue member on A1 serves messages published on A2 (over the route); B's member gets none.
      const counts = { a1: 0, b: 0 };
      nb.subscribe("jobs", { queue: "q", callback: () => counts.b++ });
      await waitForInterest(n2, nb, "jobs");
      await waitFor("A2 sends jobs to B's member", async () => {
        n2.publish("jobs");
        await n2.flush();
        await sleep(50);
        return counts.b > 0;
      });
      n1.subscribe("jobs", { queue: "q", callback: () => counts.a1++ });
      await n1.flush();
      await waitFor("A1's member visible on A2", async () => {
        const before = counts.a1;
        n2.publish("jobs");
        await n2.flush();
        await sleep(50);
        return counts.a1 > before;
      });
      await sleep(300);
      counts.a1 = counts.b = 0;
      for (let i = 0; i < 30; i++) n2.publish("jobs");
      await n2.flush();
      await waitFor("30 deliveries", () => counts.a1 + counts.b >= 30);
      await sleep(300);
      assert.deepStrictEqual(counts, { a1: 30, b: 0 }, "the cluster's own member is preferred over another cluster's");
    } finally {
      for (const c of conns) await c.close();
      await A2.stop();
      await A1.stop();
      await B.stop();
    }
  });

  it("a cluster of ours + nats-server (routes) and a nats-server cluster: requests both ways from both servers", async () => {
    const B = await startCluster("nats-server", "B");
    const A1 = await startOurs("A", { serverName: "A1", routes: [], remotes: [{ name: "B", url: B.gatewayURL }] });
    const A2 = await startCluster("nats-server", "A", { serverName: "A2", routes: [A1.routeURL!], remotes: [{ name: "B", url: B.gatewayURL }] });
    const conns: NatsConnection[] = [];
    try {
      await waitFor("route A1-A2", () => (A1.server!.routes?.size ?? 0) === 1);
      for (const a of [A1, A2]) await waitFor(`outbound to B from ${a.impl}`, async () => (await outboundNames(a)).includes("B"));
      await waitFor("B outbound to A", async () => (await outboundNames(B)).includes("A"));
      // Our gateway INFO lists the cluster peer's gateway URL (from its route INFO), so other
      // clusters can fail over to it.
      const r = await rawConnect(Number(A1.gatewayURL.split(":").pop()));
      try {
        const info = JSON.parse((await r.waitFor(/^INFO (\{.*\})\r\n/))[1]);
        assert.deepStrictEqual(info.gateway_urls.sort(), [A1.gatewayURL, A2.gatewayURL].map((u) => u.replace("nats://", "")).sort());
      } finally {
        r.close();
      }
      const [n1, n2, nb] = await Promise.all([client(A1), client(A2), client(B)]);
      conns.push(n1, n2, nb);
      nb.subscribe("svc.b", { callback: (_e, m) => m.respond(sc.encode("from b")) });
      for (const [na, tag] of [
        [n1, "a1"],
        [n2, "a2"],
      ] as const) {
        na.subscribe(`svc.${tag}`, { callback: (_e, m) => m.respond(sc.encode(`from ${tag}`)) });
        await waitForInterest(nb, na, `svc.${tag}`);
        for (let i = 0; i < 3; i++) assert.strictEqual(sc.decode((await nb.request(`svc.${tag}`, sc.encode(""), { timeout: 5000 })).data), `from ${tag}`);
        await waitForInterest(na, nb, "svc.b");
        for (let i = 0; i < 3; i++) assert.strictEqual(sc.decode((await na.request("svc.b", sc.encode(""), { timeout: 5000 })).data), "from b");
      }
    } finally {
      for (const c of conns) await c.close();
      await A2.stop();
      await A1.stop();
      await B.stop();
    }
  });

  for (const [dialer, acceptor] of [
    ["ours", "nats-server"],
    ["nats-server", "ours"],
  ] as Array<[Impl, Impl]>) {
    it(`authenticates with the credentials in the remote URL: ${dialer} dials ${acceptor}`, async () => {
      const B = await startCluster(acceptor, "B", { authorization: { user: "gw", password: "s3cret" } });
      const withCreds = B.gatewayURL.replace("nats://", "nats://gw:s3cret@");
      const A = await startCluster(dialer, "A", { remotes: [{ name: "B", url: withCreds }] });
      try {
        await waitFor("A's outbound to B", async () => (await outboundNames(A)).includes("B"));
        const gz = await getJSON(B.httpPort, "/gatewayz");
        assert.strictEqual(gz.inbound_gateways.A?.length, 1, "B accepted A's credentials");
      } finally {
        await A.stop();
        await B.stop();
      }
    });
  }

  it("a nats-server leaf spoke of our hub reaches another cluster over the gateway, and is reached from it", async () => {
    const B = await startCluster("nats-server", "B");
    const A = await startOurs("A", { leafnodes: true, remotes: [{ name: "B", url: B.gatewayURL }] });
    const S = await spawnServer("nats-server", [], { config: `leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${A.leafPort}" } ] }\n` });
    const conns: NatsConnection[] = [];
    try {
      await waitForMesh([A, B]);
      await waitFor("spoke connected", () => (A.server!.leafs?.size ?? 0) === 1);
      const ns = await connect({ servers: S.url, reconnect: false });
      const nb = await client(B);
      conns.push(ns, nb);
      // Spoke -> other cluster: the hub advertises B's interest to the spoke; the reply comes
      // back as a _GR_ reply through the hub.
      nb.subscribe("svc.b", { callback: (_e, m) => m.respond(sc.encode("B answers")) });
      await waitForInterest(ns, nb, "svc.b");
      assert.strictEqual(sc.decode((await ns.request("svc.b", sc.encode(""), { timeout: 5000 })).data), "B answers");
      // Other cluster -> spoke: the spoke's interest reaches B through the hub; the spoke
      // answers on the routed reply, which the hub sends straight back to B.
      ns.subscribe("svc.s", { callback: (_e, m) => m.respond(sc.encode("spoke answers")) });
      await waitForInterest(nb, ns, "svc.s");
      assert.strictEqual(sc.decode((await nb.request("svc.s", sc.encode(""), { timeout: 5000 })).data), "spoke answers");
    } finally {
      for (const c of conns) await c.close();
      await S.stop();
      await A.stop();
      await B.stop();
    }
  });

  it("a super-cluster of 3 clusters x 2 servers (A and B ours, C nats-server): queue groups and requests everywhere", async function () {
    this.timeout(90000);
    const ports = await freePorts(6);
    const url = (i: number) => `nats://127.0.0.1:${ports[i]}`;
    const spec = (name: string, i: number): RemoteSpec => ({ name, url: url(i), more: [url(i + 1)] });
    const all = [spec("A", 0), spec("B", 2), spec("C", 4)];
    const others = (name: string) => all.filter((r) => r.name !== name);
    const servers: Cluster[] = [];
    const conns: NatsConnection[] = [];
    try {
      const A1 = await startCluster("ours", "A", { serverName: "A1", gatewayPort: ports[0], routes: [], remotes: others("A") });
      const B1 = await startCluster("ours", "B", { serverName: "B1", gatewayPort: ports[2], routes: [], remotes: others("B") });
      const C1 = await startCluster("nats-server", "C", { serverName: "C1", gatewayPort: ports[4], routes: [], remotes: others("C") });
      servers.push(A1, B1, C1);
      const A2 = await startCluster("ours", "A", { serverName: "A2", gatewayPort: ports[1], routes: [A1.routeURL!], remotes: others("A") });
      const B2 = await startCluster("ours", "B", { serverName: "B2", gatewayPort: ports[3], routes: [B1.routeURL!], remotes: others("B") });
      const C2 = await startCluster("nats-server", "C", { serverName: "C2", gatewayPort: ports[5], routes: [C1.routeURL!], remotes: others("C") });
      servers.push(A2, B2, C2);
      for (const s of servers) {
        const want = ["A", "B", "C"].filter((n) => n !== s.name);
        await waitFor(`${s.name} (${s.impl}) outbound to ${want}`, async () => (await outboundNames(s)).join() === want.join(), 30000);
      }
      const [a1, a2, b1, b2, c1, c2] = await Promise.all([A1, A2, B1, B2, C1, C2].map((s) => client(s)));
      conns.push(a1, a2, b1, b2, c1, c2);

      // Queue group members in A (on A2) and C (on C1).
      const counts = { a: 0, c: 0 };
      a2.subscribe("work", { queue: "q", callback: () => counts.a++ });
      c1.subscribe("work", { queue: "q", callback: () => counts.c++ });
      await Promise.all([a2.flush(), c1.flush()]);
      // Interest travels in order: once a later probe subscription is visible everywhere, the
      // queue subscriptions made before it are too.
      for (const pub of [a1, b1, b2, c2]) {
        await waitForInterest(pub, a2, "ready.a2");
        await waitForInterest(pub, c1, "ready.c1");
      }
      await sleep(500);
      // Local preference: A1 has no member but its cluster does (A2); C2 likewise (C1).
      for (const [pub, local] of [
        [a1, "a"],
        [c2, "c"],
      ] as const) {
        counts.a = counts.c = 0;
        for (let i = 0; i < 30; i++) pub.publish("work");
        await pub.flush();
        await waitFor("30 deliveries", () => counts.a + counts.c >= 30);
        await sleep(300);
        assert.deepStrictEqual(counts, local === "a" ? { a: 30, c: 0 } : { a: 0, c: 30 }, `published in ${local.toUpperCase()}`);
      }
      // From B, which has no member: each message handled exactly once, in A or C.
      counts.a = counts.c = 0;
      for (let i = 0; i < 40; i++) b2.publish("work");
      await b2.flush();
      await waitFor("40 deliveries from B", () => counts.a + counts.c >= 40);
      await sleep(500);
      assert.strictEqual(counts.a + counts.c, 40, `exactly once: ${JSON.stringify(counts)}`);

      // Requests between every pair of clusters, from and to both servers of each.
      const responders: Array<[NatsConnection, string]> = [
        [a1, "a1"],
        [a2, "a2"],
        [b1, "b1"],
        [b2, "b2"],
        [c1, "c1"],
        [c2, "c2"],
      ];
      for (const [nc, tag] of responders) nc.subscribe(`svc.${tag}`, { callback: (_e, m) => m.respond(sc.encode(tag)) });
      await Promise.all(responders.map(([nc]) => nc.flush()));
      for (const [req, rtag] of responders) {
        for (const [, tag] of responders) {
          if (tag[0] === rtag[0]) continue;
          await waitForInterest(req, responders.find(([, t]) => t === tag)![0], `probe.${tag}.${rtag}`);
          const r = await req.request(`svc.${tag}`, sc.encode(""), { timeout: 5000 });
          assert.strictEqual(sc.decode(r.data), tag, `${rtag} -> ${tag}`);
        }
      }

      // One of our servers dies: the other clusters reconnect to its peer and traffic resumes.
      await a1.close();
      await A1.stop();
      for (const s of [B1, B2, C1, C2]) {
        await waitFor(`${s.name} (${s.impl}) back on cluster A`, async () => (await outboundNames(s)).includes("A"), 30000);
      }
      for (const req of [b1, c2]) {
        await waitForInterest(req, a2, "after.a1.died");
        assert.strictEqual(sc.decode((await req.request("svc.a2", sc.encode(""), { timeout: 5000 })).data), "a2");
      }
      for (const tag of ["b1", "c2"]) {
        const r = await a2.request(`svc.${tag}`, sc.encode(""), { timeout: 5000 });
        assert.strictEqual(sc.decode(r.data), tag);
      }
    } finally {
      for (const c of conns) await c.close();
      for (const s of servers.reverse()) await s.stop();
    }
  });

  it("redials a restarted nats-server cluster and carries traffic again", async () => {
    const B = await startCluster("nats-server", "B");
    const A = await startOurs("A", { remotes: [{ name: "B", url: B.gatewayURL }] });
    let B2: Cluster | undefined;
    const na = await client(A);
    try {
      await waitForMesh([A, B]);
      const got: string[] = [];
      na.subscribe("back.again", { callback: (_e, m) => got.push(sc.decode(m.data)) });
      await na.flush();
      const port = (url: string) => Number(url.split(":").pop());
      await B.stop();
      await waitFor("A notices B is gone", async () => (await outboundNames(A)).length === 0);
      B2 = await startCluster("nats-server", "B", { gatewayPort: port(B.gatewayURL), clientPort: port(B.clientURL), httpPort: B.httpPort });
      await waitForMesh([A, B2], 20000);
      const nb = await client(B2);
      try {
        await waitForInterest(nb, na, "back.again");
        nb.publish("back.again", sc.encode("after restart"));
        await waitFor("message after the restart", () => got.includes("after restart"));
        na.subscribe("svc.again", { callback: (_e, m) => m.respond(sc.encode("yes")) });
        await waitForInterest(nb, na, "svc.again");
        assert.strictEqual(sc.decode((await nb.request("svc.again", sc.encode(""), { timeout: 5000 })).data), "yes");
      } finally {
        await nb.close();
      }
    } finally {
      await na.close();
      await A.stop();
      if (B2) await B2.stop();
    }
  });

  for (const [dialer, acceptor] of [
    ["ours", "nats-server"],
    ["nats-server", "ours"],
  ] as Array<[Impl, Impl]>) {
    it(`runs gateways over TLS: ${dialer} dials ${acceptor}`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-gateway-certs-"));
      ensureTestCerts(dir);
      const tls = { cert: path.join(dir, "server-cert.pem"), key: path.join(dir, "server-key.pem"), ca: path.join(dir, "ca.pem") };
      const B = await startCluster(acceptor, "B", { tls });
      const A = await startCluster(dialer, "A", { tls, remotes: [{ name: "B", url: B.gatewayURL }] });
      const conns: NatsConnection[] = [];
      try {
        await waitForMesh([A, B]);
        const [na, nb] = await Promise.all([client(A), client(B)]);
        conns.push(na, nb);
        nb.subscribe("secure.svc", { callback: (_e, m) => m.respond(sc.encode("over tls")) });
        await waitForInterest(na, nb, "secure.svc");
        assert.strictEqual(sc.decode((await na.request("secure.svc", sc.encode(""), { timeout: 5000 })).data), "over tls");
        // A plaintext peer cannot join.
        const r = await rawConnect(Number((dialer === "ours" ? A : B).gatewayURL.split(":").pop()));
        try {
          r.send(`CONNECT {"gateway":"Z"}\r\n`);
          await waitFor("plaintext peer cut off", () => r.sock.destroyed || r.sock.readableEnded, 5000);
          assert.ok(!/^INFO /.test(r.text()), "no INFO before the TLS handshake");
        } finally {
          r.close();
        }
      } finally {
        for (const c of conns) await c.close();
        await A.stop();
        await B.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("takes its gateway from a nats-server config file and applies an edited file on reload", async () => {
    const B = await startCluster("nats-server", "B");
    const C = await startCluster("nats-server", "C");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-gateway-conf-"));
    const file = path.join(dir, "a.conf");
    const write = (remotes: string) =>
      fs.writeFileSync(file, `listen: "127.0.0.1:-1"\nhttp: "127.0.0.1:-1"\nserver_name: A1\ngateway {\n  name: A\n  listen: "127.0.0.1:-1"\n  gateways: [\n${remotes}\n  ]\n}\n`);
    write(`    { name: B, url: "${B.gatewayURL}" }`);
    const server = createServer(loadConfigFile(file).options, { log: { quiet: true } });
    const addon = gatewayAddonOf(server);
    await server.start();
    const A: Cluster = { impl: "ours", name: "A", clientURL: server.clientURL(), gatewayURL: `nats://127.0.0.1:${addon.port}`, httpPort: server.httpPort, server, addon, stop: () => server.shutdown() };
    try {
      await waitForMesh([A, B]);
      // Swap B for C in the file: B's outbound goes, C's comes, the listener stays.
      write(`    { name: C, urls: ["${C.gatewayURL}"] }`);
      await server.reload(loadConfigFile(file).options);
      await waitFor("outbound to C only", async () => (await outboundNames(A)).join() === "C");
      assert.strictEqual(Number(A.gatewayURL.split(":").pop()), addon.port, "the gateway listener keeps its port");
    } finally {
      await server.shutdown();
      await B.stop();
      await C.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to start with a gateway without a port, or named unlike its cluster", async () => {
    const cases: Array<[Partial<ServerOptions>, RegExp]> = [
      [{ gateway: { name: "A", host: "127.0.0.1", port: 0, gateways: [] } }, /gateway "A" has no port specified \(select -1 for random port\)/],
      [
        { cluster: { name: "X", host: "127.0.0.1", port: -1, routes: [] }, gateway: { name: "A", host: "127.0.0.1", port: -1, gateways: [] } },
        /cluster name "X" conflicts with gateway name "A"/,
      ],
    ];
    for (const [opts, re] of cases) {
      const server = createServer({ host: "127.0.0.1", port: -1, ...opts }, { log: { quiet: true } });
      gatewayAddonOf(server);
      try {
        await assert.rejects(server.start(), re);
      } finally {
        await server.shutdown();
      }
    }
  });

  it("natsfleet-server adds a gateway remote on SIGHUP (config file edited, nothing restarts)", async () => {
    const B = await startCluster("nats-server", "B");
    const A = await startCluster("natsfleet-server", "A");
    const conns: NatsConnection[] = [];
    try {
      const na = await client(A);
      conns.push(na);
      assert.deepStrictEqual(await outboundNames(A), []);
      const file = A.proc!.args[A.proc!.args.indexOf("-c") + 1];
      const text = fs.readFileSync(file, "utf8");
      fs.writeFileSync(file, text.replace("  gateways: [\n", `  gateways: [\n    { name: "B", url: "${B.gatewayURL}" }\n`));
      A.proc!.proc.kill("SIGHUP");
      await waitForMesh([A, B]);
      const nb = await client(B);
      conns.push(nb);
      const got: string[] = [];
      nb.subscribe("hup.ok", { callback: (_e, m) => got.push(sc.decode(m.data)) });
      await waitForInterest(na, nb, "hup.ok");
      na.publish("hup.ok", sc.encode("after SIGHUP"));
      await waitFor("message after SIGHUP", () => got.includes("after SIGHUP"));
      assert.ok(!na.isClosed() && A.proc!.running, "same process, same client connection");
    } finally {
      for (const c of conns) await c.close();
      await A.stop();
      await B.stop();
    }
  });

  describe("wire protocol (our gateway port, raw sockets)", () => {
    let A: Cluster;
    before(async () => {
      A = await startOurs("A");
    });
    after(async () => {
      await A.stop();
    });

    function gatewayPort(c: Cluster): number {
      return Number(c.gatewayURL.split(":").pop());
    }

    it("sends the accepting-side INFO and refuses a client on the gateway port", async () => {
      const r = await rawConnect(gatewayPort(A));
      try {
        const m = await r.waitFor(/^INFO (\{.*\})\s*\r\n/);
        const info = JSON.parse(m[1]);
        assert.strictEqual(info.gateway, "A");
        assert.strictEqual(info.gateway_nrp, true);
        assert.strictEqual(info.gateway_iom, true);
        assert.strictEqual(info.gateway_url, `127.0.0.1:${gatewayPort(A)}`);
        assert.deepStrictEqual(info.gateway_urls, [`127.0.0.1:${gatewayPort(A)}`]);
        r.send(`CONNECT {"verbose":false,"lang":"node"}\r\n`);
        await r.waitFor(/-ERR 'attempted to connect to gateway port'\r\n/);
        await waitFor("close", () => r.sock.destroyed || r.sock.readableEnded);
      } finally {
        r.close();
      }
    });

    it("on accept sends queue subs, then per account gateway_cmd 2, plain subs, gateway_cmd 3, then keeps interest updated", async () => {
      const nc = await client(A);
      try {
        nc.subscribe("plain.x");
        nc.subscribe("q.x", { queue: "g1" });
        nc.subscribe("q.x", { queue: "g1" });
        await nc.flush();
        const r = await rawConnect(gatewayPort(A));
        try {
          await r.waitFor(/^INFO .*\r\n/);
          r.send(`CONNECT {"verbose":false,"pedantic":false,"name":"FAKEZ","gateway":"Z"}\r\n`);
          r.send(`INFO {"server_id":"FAKEZ","gateway":"Z","gateway_urls":[],"gateway_nrp":true,"gateway_iom":true}\r\n`);
          await r.waitFor(/"gateway_cmd":3,"gateway_cmd_payload":"JEc="\}\r\n/);
          const text = r.text();
          const lines = text.split("\r\n").filter((l) => l && !l.startsWith("PING"));
          const iq = lines.indexOf("RS+ $G q.x g1 1");
          const i2 = lines.findIndex((l) => l.includes(`"gateway_cmd":2,"gateway_cmd_payload":"JEc="`));
          const ip = lines.indexOf("RS+ $G plain.x");
          const i3 = lines.findIndex((l) => l.includes(`"gateway_cmd":3,"gateway_cmd_payload":"JEc="`));
          assert.ok(iq > 0 && iq < i2 && i2 < ip && ip < i3, `order queue < cmd2 < plain < cmd3:\n${lines.join("\n")}`);
          assert.strictEqual(lines.filter((l) => l === "RS+ $G q.x g1 1").length, 1, "one RS+ per queue group, weight 1");
          // Changes are sent as they happen: first and last subscription of a key only.
          const s1 = nc.subscribe("later.y");
          const s2 = nc.subscribe("later.y");
          await nc.flush();
          await r.waitFor(/RS\+ \$G later\.y\r\n/);
          s1.unsubscribe();
          await nc.flush();
          await sleep(200);
          assert.ok(!/RS- \$G later\.y/.test(r.text()), "RS- only after the last subscription");
          s2.unsubscribe();
          await r.waitFor(/RS- \$G later\.y\r\n/);
          // Messages from the peer are delivered to local subscribers; queue subs only when listed.
          const got: string[] = [];
          nc.subscribe("in.z", { callback: (_e, m) => got.push("plain:" + sc.decode(m.data)) });
          nc.subscribe("in.z", { queue: "g2", callback: (_e, m) => got.push("g2:" + sc.decode(m.data)) });
          await nc.flush();
          r.send("RMSG $G in.z 2\r\nm1\r\n");
          r.send("RMSG $G in.z | g2 2\r\nm2\r\n");
          await waitFor("raw deliveries", () => got.length >= 3);
          await sleep(100);
          assert.deepStrictEqual(got.sort(), ["g2:m2", "plain:m1", "plain:m2"]);
          // An account we do not have: A-.
          r.send("RMSG NOPE in.z 2\r\nm3\r\n");
          await r.waitFor(/A- NOPE\r\n/);
        } finally {
          r.close();
        }
      } finally {
        await nc.close();
      }
    });

    it("cuts off a peer that sends malformed protocol, and keeps serving everyone else", async () => {
      const nc = await client(A);
      try {
        for (const bad of ["RMSG $G\r\n", "RMSG $G x + 3\r\nabc\r\n", "RMSG $G x 3\r\nabcdef\r\n", "INFO {nope\r\n", "RS+ $G x\r\n", "BOGUS\r\n"]) {
          const r = await rawConnect(gatewayPort(A));
          try {
            await r.waitFor(/^INFO .*\r\n/);
            r.send(`CONNECT {"gateway":"Z"}\r\nINFO {"server_id":"FAKEZ","gateway":"Z"}\r\n`);
            await r.waitFor(/"gateway_cmd":3/);
            r.send(bad);
            await waitFor(`closed after ${JSON.stringify(bad)}`, () => r.sock.destroyed || r.sock.readableEnded, 5000);
          } finally {
            r.close();
          }
        }
        // Clients never noticed.
        const got: string[] = [];
        nc.subscribe("still.fine", { callback: (_e, m) => got.push(sc.decode(m.data)) });
        nc.publish("still.fine", sc.encode("yes"));
        await waitFor("client traffic", () => got.includes("yes"));
      } finally {
        await nc.close();
      }
    });

    it("rejects unknown gateways when reject_unknown is set, and checks gateway credentials", async () => {
      const R = await startOurs("R", { rejectUnknown: true, authorization: { user: "gw", password: "secret" } });
      try {
        const port = gatewayPort(R);
        const r1 = await rawConnect(port);
        await r1.waitFor(/^INFO .*"auth_required":true.*\r\n/);
        r1.send(`CONNECT {"user":"gw","pass":"secret","gateway":"Z"}\r\n`);
        await r1.waitFor(/-ERR 'Connection to gateway "R" rejected'\r\n/);
        r1.close();
        await R.server!.reload({ ...R.server!.opts, gateway: { ...R.server!.opts.gateway!, gateways: [{ name: "Z", urls: ["nats://127.0.0.1:1"] }] } });
        const r2 = await rawConnect(port);
        await r2.waitFor(/^INFO .*\r\n/);
        r2.send(`CONNECT {"user":"gw","pass":"wrong","gateway":"Z"}\r\n`);
        await r2.waitFor(/-ERR 'Authorization Violation'\r\n/);
        r2.close();
        const r3 = await rawConnect(port);
        await r3.waitFor(/^INFO .*\r\n/);
        r3.send(`CONNECT {"user":"gw","pass":"secret","gateway":"Z"}\r\nINFO {"server_id":"FAKEZ","gateway":"Z"}\r\n`);
        await r3.waitFor(/"gateway_cmd":3/);
        r3.close();
      } finally {
        await R.stop();
      }
    });
  });

  describe("an optimistic-mode peer (no gateway_iom), as our outbound sees it", () => {
    let fake: net.Server;
    let peer: net.Socket | undefined;
    let received = "";
    let A: Cluster;
    let na: NatsConnection;

    before(async () => {
      const port = await freePort();
      fake = net.createServer((s) => {
        peer = s;
        s.setEncoding("latin1");
        s.on("data", (d: string) => (received += d));
        s.on("error", () => undefined);
        s.write(`INFO {"server_id":"FAKEZ","server_name":"z1","gateway":"Z","gateway_urls":["127.0.0.1:${port}"],"headers":true,"gateway_nrp":true}\r\n`);
      });
      await new Promise<void>((r) => fake.listen(port, "127.0.0.1", () => r()));
      A = await startOurs("A", { remotes: [{ name: "Z", url: `nats://127.0.0.1:${port}` }] });
      await waitFor("our CONNECT", () => /CONNECT \{.*"gateway":"A"/.test(received));
      na = await client(A);
    });

    after(async () => {
      await na.close();
      await A.stop();
      peer?.destroy();
      await new Promise<void>((r) => fake.close(() => r()));
    });

    async function sendsAfter(subject: string): Promise<boolean> {
      const mark = received.length;
      na.publish(subject, sc.encode("x"));
      await na.flush();
      await sleep(150);
      return received.slice(mark).includes(`RMSG $G ${subject} 1\r\n`);
    }

    it("sends everything until told RS- (subject) or A- (account), and resumes on RS+/A+", async () => {
      assert.match(received, /CONNECT \{"echo":false,"verbose":false,"pedantic":false,"tls_required":false,"name":"[A-Z0-9]{56}","gateway":"A"\}\r\nINFO \{.*"gateway":"A"/);
      assert.ok(await sendsAfter("opt.a"), "optimistic send");
      peer!.write("RS- $G opt.a\r\n");
      await sleep(100);
      assert.ok(!(await sendsAfter("opt.a")), "refused subject is not sent");
      assert.ok(await sendsAfter("opt.b"), "other subjects still are");
      peer!.write("RS+ $G opt.a\r\n");
      await sleep(100);
      assert.ok(await sendsAfter("opt.a"), "RS+ clears the refusal");
      peer!.write("A- $G\r\n");
      await sleep(100);
      assert.ok(!(await sendsAfter("opt.c")), "nothing for an account after A-");
      peer!.write("A+ $G\r\n");
      await sleep(100);
      assert.ok(await sendsAfter("opt.c"), "A+ resumes");
      // The peer switches the account to interest-only: only what it announces is sent.
      peer!.write(`INFO {"gateway":"Z","gateway_cmd":2,"gateway_cmd_payload":"JEc="}\r\nRS+ $G only.x\r\nINFO {"gateway":"Z","gateway_cmd":3,"gateway_cmd_payload":"JEc="}\r\n`);
      await sleep(100);
      assert.ok(!(await sendsAfter("opt.d")), "interest-only: unannounced subject not sent");
      assert.ok(await sendsAfter("only.x"), "interest-only: announced subject sent");
    });

    it("answers the peer's PINGs and pings it (gateway PINGs regardless of traffic)", async () => {
      const mark = received.length;
      peer!.write("PING\r\n");
      await waitFor("PONG", () => received.slice(mark).includes("PONG\r\n"));
      await waitFor("our PING", () => received.includes("PING\r\n"), 5000);
    });
  });

  describe("reload (beyond nats-server: gateway remotes change without a restart)", () => {
    it("adds and removes a gateway remote on reload, leaving clients connected", async () => {
      const B = await startCluster("nats-server", "B");
      const A = await startOurs("A");
      const na = await client(A);
      try {
        assert.deepStrictEqual(await outboundNames(A), []);
        const s = A.server!;
        await s.reload({ ...s.opts, gateway: { ...s.opts.gateway!, gateways: [{ name: "B", urls: [B.gatewayURL] }] } });
        await waitForMesh([A, B]);
        const nb = await client(B);
        try {
          const got: string[] = [];
          na.subscribe("after.reload", { callback: (_e, m) => got.push(sc.decode(m.data)) });
          await waitForInterest(nb, na, "after.reload");
          nb.publish("after.reload", sc.encode("ok"));
          await waitFor("message after reload", () => got.includes("ok"));
        } finally {
          await nb.close();
        }
        await s.reload({ ...s.opts, gateway: { ...s.opts.gateway!, gateways: [] } });
        await waitFor("outbound to B closed", async () => (await outboundNames(A)).length === 0);
        assert.ok(!na.isClosed(), "clients are not disconnected by a gateway reload");
        // Renaming the gateway restarts it under the new name; dropping the block stops it.
        await s.reload({ ...s.opts, gateway: { ...s.opts.gateway!, name: "A2", gateways: [{ name: "B", urls: [B.gatewayURL] }] } });
        await waitFor("B sees cluster A2", async () => (await outboundNames(B)).includes("A2"));
        assert.strictEqual((await getJSON(A.httpPort, "/gatewayz")).name, "A2");
        await s.reload({ ...s.opts, gateway: undefined });
        const gz = await getJSON(A.httpPort, "/gatewayz");
        assert.deepStrictEqual([gz.name, gz.outbound_gateways, gz.inbound_gateways], [undefined, {}, {}]);
        assert.ok(!na.isClosed(), "clients survive the gateway going away");
      } finally {
        await na.close();
        await A.stop();
        await B.stop();
      }
    });
  });
});
