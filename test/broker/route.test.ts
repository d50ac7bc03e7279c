/**
 * Routes (cluster) with real processes on loopback: natsfleet-server clusters formed by gossip,
 * mixed clusters with Debian's nats-server 2.9.10 (each side seeding the other), traffic
 * checked with `nats` clients (pub/sub, queue groups exactly once, request/reply, headers),
 * /routez, rejections with nats-server's texts, route authorization, reload, and the route
 * wire protocol byte by byte.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NatsConnection, StringCodec, headers as natsHeaders, Msg } from "nats";
import { stopAllServers, liveServers, natsServerBinary } from "../helpers/servers";
import { RawClient, closeAllRaw } from "../helpers/raw";
import { sleep, freePorts } from "../helpers/ports";
import { ensureTestCerts } from "../helpers/certs";
import * as net from "net";
import { connect as tlsConnect } from "tls";
import type { Deliverer, DeliverySub } from "../../broker/message";
import { Server } from "../../broker/server";
import { Logger } from "../../broker/log";
import { withDefaults } from "../../broker/options";
import { RouteAddon } from "../../broker/route";
import { LocalInterest, interestLine, isLocalInterest, permitted } from "../../broker/route/interest";
import { parseRouteURL, hostKey, routeIP } from "../../broker/route/url";
import { parseRouteInfo, parseRouteConnect } from "../../broker/route/info";
import {
  Member,
  MemberSpec,
  startMember,
  startWithFlags,
  reloadMember,
  memberPorts,
  monitor,
  routeIds,
  serverId,
  waitFor,
  waitForMesh,
  waitForConnectURLs,
  waitForRouteInterest,
  client,
  closeClients,
} from "./route-helpers";

const sc = StringCodec();

/** Collects what a subscription receives. */
function collect(nc: NatsConnection, subject: string, queue?: string): string[] {
  const got: string[] = [];
  nc.subscribe(subject, { queue, callback: (_e, m) => got.push(sc.decode(m.data)) });
  return got;
}

/**
 * Every member subscribes (a literal subscription on even members, a wildcard one on odd
 * members) and publishes once: each subscriber gets every message exactly once, whichever
 * server it came from.
 */
async function checkPubSub(members: Member[], base: string): Promise<void> {
  const subject = `${base}.msg`;
  const wildcard = `${base}.*`;
  const ncs = await Promise.all(members.map((m) => client(m)));
  const got = ncs.map((nc, i) => collect(nc, i % 2 === 0 ? subject : wildcard));
  await Promise.all(ncs.map((nc) => nc.flush()));
  await waitForRouteInterest(members, subject, members.filter((_, i) => i % 2 === 0));
  await waitForRouteInterest(members, wildcard, members.filter((_, i) => i % 2 === 1));
  ncs.forEach((nc, i) => nc.publish(subject, sc.encode(members[i].spec.name)));
  const want = members.map((m) => m.spec.name).sort().join();
  await waitFor(() => got.every((g) => g.length >= members.length), 5000, `every subscriber to get ${members.length} messages on ${subject}`);
  await sleep(200); // duplicates would show up now
  got.forEach((g, i) => assert.strictEqual(g.slice().sort().join(), want, `subscriber on ${members[i].spec.name}`));
  await Promise.all(ncs.map((nc) => nc.close()));
}

/**
 * Two queue members per server in one group: `count` messages published round-robin from every
 * server are delivered exactly once across the whole cluster.
 */
async function checkQueue(members: Member[], subject: string, count: number): Promise<number[]> {
  const subs = await Promise.all(members.flatMap((m) => [client(m), client(m)]));
  const got = subs.map((nc) => collect(nc, subject, "workers"));
  await Promise.all(subs.map((nc) => nc.flush()));
  await waitForRouteInterest(members, subject, members);
  const pubs = await Promise.all(members.map((m) => client(m)));
  for (let i = 0; i < count; i++) pubs[i % pubs.length].publish(subject, sc.encode(String(i)));
  await Promise.all(pubs.map((nc) => nc.flush()));
  await waitFor(() => got.reduce((n, g) => n + g.length, 0) >= count, 5000, `${count} queue deliveries on ${subject}`);
  await sleep(200);
  const all = got.flat();
  assert.strictEqual(all.length, count, `each of ${count} messages delivered once (got ${all.length})`);
  assert.strictEqual(new Set(all).size, count, "no message delivered twice");
  const perServer = members.map((_, i) => got[2 * i].length + got[2 * i + 1].length);
  await Promise.all([...subs, ...pubs].map((nc) => nc.close()));
  return perServer;
}

/** A responder on each member answers requests made on every other member. */
async function checkRequestReply(members: Member[], service: string): Promise<void> {
  const responders = await Promise.all(members.map((m) => client(m)));
  responders.forEach((nc, i) => nc.subscribe(`${service}.${members[i].spec.name}`, { callback: (_e, m) => m.respond(sc.encode(`${members[i].spec.name}:${sc.decode(m.data)}`)) }));
  await Promise.all(responders.map((nc) => nc.flush()));
  for (let i = 0; i < members.length; i++) await waitForRouteInterest(members, `${service}.${members[i].spec.name}`, [members[i]]);
  const requesters = await Promise.all(members.map((m) => client(m)));
  for (let i = 0; i < members.length; i++) {
    for (let j = 0; j < members.length; j++) {
      if (i === j) continue;
      const r = await requesters[i].request(`${service}.${members[j].spec.name}`, sc.encode(members[i].spec.name), { timeout: 3000 });
      assert.strictEqual(sc.decode(r.data), `${members[j].spec.name}:${members[i].spec.name}`, `request from ${members[i].spec.name} to ${members[j].spec.name}`);
    }
  }
  await Promise.all([...responders, ...requesters].map((nc) => nc.close()));
}

/** Headers cross the route both ways. */
async function checkHeaders(a: Member, b: Member, subject: string): Promise<void> {
  const na = await client(a);
  const nb = await client(b);
  const seen: Msg[] = [];
  for (const nc of [na, nb]) nc.subscribe(subject, { callback: (_e, m) => seen.push(m) });
  await Promise.all([na.flush(), nb.flush()]);
  await waitForRouteInterest([a, b], subject, [a, b]);
  const h = natsHeaders();
  h.set("X-Route", "crossed");
  na.publish(subject, sc.encode("from-a"), { headers: h });
  nb.publish(subject, sc.encode("from-b"), { headers: h });
  await waitFor(() => seen.length >= 4, 5000, "4 messages with headers");
  for (const m of seen) assert.strictEqual(m.headers?.get("X-Route"), "crossed");
  await Promise.all([na.close(), nb.close()]);
}

function routeTo(routez: Record<string, any>, id: string): Record<string, any> {
  const r = (routez.routes as Array<Record<string, any>>).find((x) => x.remote_id === id);
  assert.ok(r, `route to ${id} in ${JSON.stringify(routez)}`);
  return r;
}

describe("routes (cluster)", function () {
  this.timeout(60000);

  before(function () {
    if (!natsServerBinary()) throw new Error("nats-server is not installed (Debian package nats-server)");
  });

  afterEach(async () => {
    await closeClients();
    await closeAllRaw();
    await stopAllServers();
  });

  after(() => {
    assert.deepStrictEqual(liveServers(), []);
  });

  it("three natsfleet-servers form a full mesh by gossip when two of them know only the first", async () => {
    const s1 = await startMember("natsfleet", { name: "S1", cluster: "C1" });
    const s2 = await startMember("natsfleet", { name: "S2", cluster: "C1", routes: [s1.routeURL] });
    const s3 = await startMember("natsfleet", { name: "S3", cluster: "C1", routes: [s1.routeURL] });
    const all = [s1, s2, s3];
    await waitForMesh(all);
    await waitForConnectURLs(all);

    const [id1, id2, id3] = await Promise.all(all.map(serverId));
    const rz2 = await monitor(s2, "/routez");
    assert.strictEqual(rz2.num_routes, 2);
    const r21 = routeTo(rz2, id1);
    assert.strictEqual(r21.did_solicit, true);
    assert.strictEqual(r21.is_configured, true);
    // S2 and S3 found each other through S1's gossip: one of them dialled, neither configured it.
    const r23 = routeTo(rz2, id3);
    const r32 = routeTo(await monitor(s3, "/routez"), id2);
    assert.strictEqual(r23.is_configured, false);
    assert.strictEqual(r32.is_configured, false);
    assert.notStrictEqual(r23.did_solicit, r32.did_solicit, "exactly one side dialled the implicit route");
    const r12 = routeTo(await monitor(s1, "/routez"), id2);
    assert.strictEqual(r12.did_solicit, false);
    const v1 = await monitor(s1, "/varz");
    assert.strictEqual(v1.routes, 2);
    assert.strictEqual(v1.cluster.name, "C1");
    assert.strictEqual(v1.cluster.cluster_port, s1.ports.cluster);

    await checkPubSub(all, "mesh.pubsub");
    const per = await checkQueue(all, "mesh.work", 300);
    assert.ok(per.every((n) => n > 0), `every server's members got some of the queue messages: ${per}`);
    await checkRequestReply(all, "mesh.svc");
    await checkHeaders(s2, s3, "mesh.hdr");

    // The seed goes away: the implicit route between S2 and S3 carries on.
    await s1.proc.stop("SIGKILL");
    await waitFor(async () => (await routeIds(s2)).join() === id3 && (await routeIds(s3)).join() === id2, 10000, "S2 and S3 routed without S1");
    await checkPubSub([s2, s3], "mesh.after");
    await checkRequestReply([s2, s3], "mesh.svc2");
  });

  it("2 natsfleet-servers + 1 nats-server: traffic on every link, a member killed, traffic again after it returns", async () => {
    const pa = await memberPorts();
    const specA: MemberSpec = { name: "A", cluster: "C1", ports: pa };
    let a = await startMember("natsfleet", specA);
    const n = await startMember("nats-server", { name: "N", cluster: "C1", routes: [a.routeURL] });
    const b = await startMember("natsfleet", { name: "B", cluster: "C1", routes: [a.routeURL] });
    await waitForMesh([a, n, b]);
    await waitForConnectURLs([a, n, b]);
    await checkPubSub([a, n, b], "trio.pubsub");
    await checkQueue([a, n, b], "trio.work", 300);
    await checkRequestReply([a, n, b], "trio.svc");
    await checkHeaders(a, n, "trio.hdr1");
    await checkHeaders(n, b, "trio.hdr2");
    await checkHeaders(b, a, "trio.hdr3");

    // The seed dies: N and B keep their gossiped route.
    await a.proc.stop("SIGKILL");
    await waitForMesh([n, b]);
    await checkPubSub([n, b], "trio.without");
    await checkQueue([n, b], "trio.work2", 100);
    // It comes back on its ports: N and B dial it again (their configured route).
    a = await startMember("natsfleet", specA);
    await waitForMesh([a, n, b], 15000);
    await waitForConnectURLs([a, n, b]);
    await checkPubSub([a, n, b], "trio.back");
    await checkQueue([a, n, b], "trio.work3", 300);
    await checkRequestReply([a, n, b], "trio.svc2");
  });

  it("a 200 MB burst over a route arrives complete: publishers are paused, nobody is cut off", async () => {
    const a = await startMember("natsfleet", { name: "A", cluster: "C1" });
    const b = await startMember("natsfleet", { name: "B", cluster: "C1", routes: [a.routeURL] });
    await waitForMesh([a, b]);
    const sub = await client(b);
    let got = 0;
    sub.subscribe("burst", { callback: () => got++ });
    await sub.flush();
    await waitForRouteInterest([a], "burst", [b]);
    const pub = await client(a);
    const payload = new Uint8Array(1024);
    const total = 200000;
    for (let i = 0; i < total; i++) {
      pub.publish("burst", payload);
      if (i % 2000 === 0) await new Promise((r) => setImmediate(r));
    }
    await pub.flush();
    await waitFor(() => got === total, 40000, `${total} messages (got ${got})`);
    for (const m of [a, b]) {
      const v = await monitor(m, "/varz");
      assert.strictEqual(v.slow_consumers, 0, `${m.spec.name} cut nobody off`);
      assert.strictEqual(v.routes, 1);
    }
  });

  it("a route peer that stops reading is cut off after write_deadline", async () => {
    const a = await startMember("natsfleet", { name: "A", cluster: "C1", extra: ['write_deadline: "1s"'] });
    const peer = await RawClient.connect(a.ports.cluster);
    await peer.waitFor(/^INFO \{.*\} \r\n/);
    peer.send('CONNECT {"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,"name":"NSTUCK","cluster":"C1","lnoc":true}\r\n');
    peer.send('INFO {"server_id":"NSTUCK","server_name":"stuck","version":"2.9.10","proto":2,"host":"127.0.0.1","port":1,"headers":true,"cluster":"C1","lnoc":true}\r\nRS+ $G stuck\r\n');
    await peer.sync();
    peer.sock.pause();
    const pub = await client(a);
    const payload = new Uint8Array(64 * 1024);
    const deadline = Date.now() + 15000;
    while ((await monitor(a, "/routez")).num_routes === 1) {
      if (Date.now() > deadline) assert.fail("the stuck route was never cut off");
      for (let i = 0; i < 200; i++) pub.publish("stuck", payload);
      await pub.flush();
    }
    const v = await monitor(a, "/varz");
    assert.ok(v.slow_consumers >= 1, JSON.stringify(v.slow_consumers));
    assert.ok(!pub.isClosed(), "the publisher is not punished");
    await waitFor(() => /rid:\d+ - Slow Consumer Detected: WriteDeadline/.test(a.proc.output), 3000, "the write-deadline log line");
  });

  for (const kind of ["natsfleet", "nats-server"] as const) {
    it(`a route peer that stops answering PINGs is closed as stale (${kind})`, async () => {
      const a = await startMember(kind, { name: "A", cluster: "C1", extra: ['ping_interval: "1s"', "ping_max: 1"] });
      const peer = await RawClient.connect(a.ports.cluster);
      await peer.waitFor(/^INFO \{.*\} \r\n/);
      peer.send('CONNECT {"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,"name":"NMUTE","cluster":"C1","lnoc":true}\r\n');
      peer.send('INFO {"server_id":"NMUTE","server_name":"mute","version":"2.9.10","proto":2,"host":"127.0.0.1","port":1,"headers":true,"cluster":"C1","lnoc":true}\r\n');
      await peer.waitFor("PING\r\n", 5000);
      await peer.waitFor("-ERR 'Stale Connection'\r\n", 8000);
      await peer.waitClosed(3000);
    });
  }

  for (const kind of ["natsfleet", "nats-server"] as const) {
    it(`clients get connect_urls once a member joins, by async INFO, this server first (${kind})`, async () => {
      const s1 = await startMember(kind, { name: "S1", cluster: "C1" });
      const raw = await RawClient.open(s1.ports.client);
      assert.strictEqual(raw.info().connect_urls, undefined, "a lone member advertises no connect_urls");
      assert.strictEqual(raw.info().cluster, "C1");
      raw.send('CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n');
      await raw.waitFor("PONG\r\n");
      const s2 = await startMember(kind === "natsfleet" ? "nats-server" : "natsfleet", { name: "S2", cluster: "C1", routes: [s1.routeURL] });
      await waitForMesh([s1, s2]);
      const text = await raw.waitFor(/\r\nINFO \{.*"connect_urls":\["127\.0\.0\.1:\d+","127\.0\.0\.1:\d+"\].*\r\n/, 5000);
      const info = JSON.parse(/\r\nINFO (\{.*\}) ?\r\n/.exec(text)![1]);
      assert.deepStrictEqual(info.connect_urls, [`127.0.0.1:${s1.ports.client}`, `127.0.0.1:${s2.ports.client}`], "this server first");
      // The member leaves: its URL goes, this server's own stays.
      await s2.proc.stop("SIGKILL");
      const own = JSON.stringify([`127.0.0.1:${s1.ports.client}`]);
      const lastInfo = (t: string) => [...t.matchAll(/INFO (\{.*?\}) ?\r\n/g)].pop()?.[1];
      await raw.waitFor((t) => JSON.stringify(JSON.parse(lastInfo(t) ?? "{}").connect_urls) === own, 5000);
    });
  }

  it("a client that knows only one member fails over to another one it learned from connect_urls", async () => {
    const a = await startMember("natsfleet", { name: "A", cluster: "C1" });
    const n = await startMember("nats-server", { name: "N", cluster: "C1", routes: [a.routeURL] });
    const b = await startMember("natsfleet", { name: "B", cluster: "C1", routes: [a.routeURL] });
    await waitForMesh([a, n, b]);
    await waitForConnectURLs([a, n, b]);
    const nc = await client(a, { reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 100, noRandomize: false });
    await waitFor(() => nc.info?.connect_urls?.length === 3, 5000, "the client to learn every member");
    const got = collect(nc, "failover.x");
    await nc.flush();
    await a.proc.stop("SIGKILL");
    await waitFor(() => nc.getServer() !== `127.0.0.1:${a.ports.client}` && !nc.isClosed(), 10000, "the client to reconnect elsewhere");
    const elsewhere = nc.getServer();
    assert.ok([`127.0.0.1:${n.ports.client}`, `127.0.0.1:${b.ports.client}`].includes(elsewhere), elsewhere);
    await nc.flush();
    const other = [n, b].find((m) => `127.0.0.1:${m.ports.client}` !== elsewhere)!;
    await waitForRouteInterest([other], "failover.x", [[n, b].find((m) => m !== other)!]);
    const pub = await client(other);
    pub.publish("failover.x", sc.encode("after"));
    await pub.flush();
    await waitFor(() => got.includes("after"), 5000, "a message from the other member after failover");
  });

  it("lame duck: peers drop the server's client URL and its clients are pointed at the others", async () => {
    const ldm = ['lame_duck_duration: "30s"', 'lame_duck_grace_period: "1s"'];
    const a = await startMember("natsfleet", { name: "A", cluster: "C1", extra: ldm });
    const n = await startMember("nats-server", { name: "N", cluster: "C1", routes: [a.routeURL] });
    const b = await startMember("natsfleet", { name: "B", cluster: "C1", routes: [a.routeURL] });
    await waitForMesh([a, n, b]);
    await waitForConnectURLs([a, n, b]);
    const raw = await RawClient.open(a.ports.client);
    raw.send('CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n');
    await raw.waitFor("PONG\r\n");
    const before = raw.text.length;
    a.proc.proc.kill("SIGUSR2");
    await raw.waitFor((t) => /\r\nINFO \{.*"ldm":true.*\r\n/.test(t.slice(before - 2)), 5000);
    const line = /\r\nINFO (\{.*"ldm":true.*\}) ?\r\n/.exec(raw.text.slice(before - 2))![1];
    const info = JSON.parse(line);
    assert.deepStrictEqual(info.connect_urls.slice().sort(), [`127.0.0.1:${b.ports.client}`, `127.0.0.1:${n.ports.client}`].sort(), line);
    const others = [`127.0.0.1:${n.ports.client}`, `127.0.0.1:${b.ports.client}`].sort();
    await waitFor(
      async () => {
        for (const m of [n, b]) if (((await monitor(m, "/varz")).connect_urls ?? []).slice().sort().join() !== others.join()) return false;
        return true;
      },
      3000,
      "N and B to drop A's client URL",
    );
  });

  for (const first of ["natsfleet", "nats-server"] as const) {
    it(`natsfleet-server and nats-server seeding each other keep one route (${first} starts first)`, async () => {
      const pa = await memberPorts();
      const pn = await memberPorts();
      const specA: MemberSpec = { name: "A", cluster: "C1", ports: pa, routes: [`nats-route://127.0.0.1:${pn.cluster}`] };
      const specN: MemberSpec = { name: "N", cluster: "C1", ports: pn, routes: [`nats-route://127.0.0.1:${pa.cluster}`] };
      let a: Member;
      let n: Member;
      if (first === "natsfleet") {
        a = await startMember("natsfleet", specA);
        n = await startMember("nats-server", specN);
      } else {
        n = await startMember("nats-server", specN);
        a = await startMember("natsfleet", specA);
      }
      await waitForMesh([a, n]);
      await waitForConnectURLs([a, n]);
      // Duplicate resolution must settle on one connection on both sides.
      await sleep(1500);
      assert.strictEqual((await monitor(a, "/routez")).num_routes, 1);
      assert.strictEqual((await monitor(n, "/routez")).num_routes, 1);
      const rzN = await monitor(n, "/routez");
      assert.strictEqual(rzN.routes[0].remote_id, await serverId(a));

      await checkPubSub([a, n], "mixed.pubsub");
      const per = await checkQueue([a, n], "mixed.work", 200);
      assert.ok(per.every((x) => x > 0), `both servers' members got queue messages: ${per}`);
      await checkRequestReply([a, n], "mixed.svc");
      await checkHeaders(a, n, "mixed.hdr");

      // nats-server dies and comes back on the same ports: the configured route is dialled again.
      await n.proc.stop("SIGKILL");
      await waitFor(async () => (await monitor(a, "/routez")).num_routes === 0, 5000, "A to notice N is gone");
      n = await startMember("nats-server", specN);
      await waitForMesh([a, n], 15000);
      await checkPubSub([a, n], "mixed.again");
      await checkRequestReply([a, n], "mixed.svc2");

      // And the other way round: natsfleet-server dies and comes back.
      await a.proc.stop("SIGKILL");
      await waitFor(async () => (await monitor(n, "/routez")).num_routes === 0, 5000, "N to notice A is gone");
      a = await startMember("natsfleet", specA);
      await waitForMesh([a, n], 15000);
      await checkPubSub([a, n], "mixed.third");
      await checkQueue([a, n], "mixed.work3", 100);
    });
  }

  it("a natsfleet-server joins a nats-server cluster through one seed and meshes with every member", async () => {
    const n1 = await startMember("nats-server", { name: "N1", cluster: "C1" });
    const n2 = await startMember("nats-server", { name: "N2", cluster: "C1", routes: [n1.routeURL] });
    await waitForMesh([n1, n2]);
    const a = await startMember("natsfleet", { name: "A", cluster: "C1", routes: [n2.routeURL] });
    const b = await startMember("natsfleet", { name: "B", cluster: "C1", routes: [n1.routeURL] });
    const all = [n1, n2, a, b];
    await waitForMesh(all);
    await waitForConnectURLs(all);
    await checkPubSub(all, "big.pubsub");
    await checkQueue(all, "big.work", 400);
    await checkRequestReply(all, "big.svc");
  });

  it("every member listing every route, itself included, started at once: one route per pair", async () => {
    const kinds = ["natsfleet", "nats-server", "natsfleet", "nats-server", "natsfleet"] as const;
    const ports = await Promise.all(kinds.map(() => memberPorts()));
    const routes = ports.map((p) => `nats-route://127.0.0.1:${p.cluster}`);
    const all = await Promise.all(kinds.map((k, i) => startMember(k, { name: `M${i}`, cluster: "C1", ports: ports[i], routes })));
    await waitForMesh(all, 20000);
    await sleep(2000);
    // Still exactly one route per pair after duplicate resolution settled.
    await waitForMesh(all, 1000);
    await checkPubSub(all, "full.pubsub");
    await checkQueue(all, "full.work", 300);
    await checkRequestReply(all.slice(0, 3), "full.svc");
  });

  it("a server without a cluster name takes its peer's, whichever side has none", async () => {
    const n = await startMember("nats-server", { name: "N", cluster: "C9" });
    const a = await startMember("natsfleet", { name: "A", cluster: "", routes: [n.routeURL] });
    await waitForMesh([a, n]);
    assert.strictEqual((await monitor(a, "/varz")).cluster.name, "C9");
    const b = await startMember("natsfleet", { name: "B", cluster: "C8" });
    const n2 = await startMember("nats-server", { name: "N2", cluster: "", routes: [b.routeURL] });
    await waitForMesh([b, n2]);
    assert.strictEqual((await monitor(n2, "/varz")).cluster.name, "C8");
    await checkPubSub([a, n], "dyn.one");
    await checkPubSub([b, n2], "dyn.two");
  });

  it("takes the cluster from nats-server's flags: --cluster with a random port, --cluster_name, --routes", async () => {
    const n = await startMember("nats-server", { name: "N", cluster: "CF" });
    const a = await startWithFlags("A", ["--cluster", "nats://127.0.0.1:-1", "--cluster_name", "CF", "--routes", n.routeURL]);
    assert.ok(a.ports.cluster > 0, "the bound cluster port is reported");
    const b = await startWithFlags("B", ["-cluster", "nats://127.0.0.1:-1", "-cluster_name", "CF", "-routes", a.routeURL]);
    await waitForMesh([n, a, b]);
    const v = await monitor(a, "/varz");
    assert.strictEqual(v.cluster.name, "CF");
    assert.strictEqual(v.routes, 2);
    await checkPubSub([n, a, b], "flags.pubsub");
  });

  it("keeps accounts apart across routes (RS+/RMSG carry the account)", async () => {
    const accounts = ["accounts {", "  A: { users: [ { user: ua, password: pa } ] }", "  B: { users: [ { user: ub, password: pb } ] }", "}"];
    const a = await startMember("natsfleet", { name: "A", cluster: "C1", extra: accounts });
    const n = await startMember("nats-server", { name: "N", cluster: "C1", extra: accounts, routes: [a.routeURL] });
    await waitForMesh([a, n]);
    const aA = await client(a, { user: "ua", pass: "pa" });
    const aB = await client(a, { user: "ub", pass: "pb" });
    const nA = await client(n, { user: "ua", pass: "pa" });
    const nB = await client(n, { user: "ub", pass: "pb" });
    const got = { aA: collect(aA, "acc.x"), aB: collect(aB, "acc.x"), nA: collect(nA, "acc.x"), nB: collect(nB, "acc.x") };
    await Promise.all([aA, aB, nA, nB].map((c) => c.flush()));
    await waitFor(async () => ((await monitor(a, "/routez?subs=1")).routes[0].subscriptions_list ?? []).filter((x: string) => x === "acc.x").length === 2, 5000, "both accounts' interest on A");
    await waitFor(async () => ((await monitor(n, "/routez?subs=1")).routes[0].subscriptions_list ?? []).filter((x: string) => x === "acc.x").length === 2, 5000, "both accounts' interest on N");
    nA.publish("acc.x", sc.encode("A-from-n"));
    aB.publish("acc.x", sc.encode("B-from-a"));
    await Promise.all([nA.flush(), aB.flush()]);
    await waitFor(() => got.aA.length === 1 && got.nB.length === 1, 5000, "deliveries within each account");
    await sleep(200);
    assert.deepStrictEqual(got, { aA: ["A-from-n"], aB: ["B-from-a"], nA: ["A-from-n"], nB: ["B-from-a"] });
  });

  for (const kind of ["natsfleet", "nats-server"] as const) {
    it(`cluster permissions limit what crosses the route (${kind} has them)`, async () => {
      const perms = ["permissions {", "  import: { allow: [\"in.>\"] }", "  export: { allow: [\"out.>\"] }", "}"];
      const a = await startMember(kind, { name: "A", cluster: "C1", clusterExtra: perms });
      const n = await startMember(kind === "natsfleet" ? "nats-server" : "natsfleet", { name: "N", cluster: "C1", routes: [a.routeURL] });
      await waitForMesh([a, n]);
      const ca = await client(a);
      const cn = await client(n);
      const onA = collect(ca, "*.a");
      const onN = [...["out.b", "other.b"].map((subj) => collect(cn, subj))];
      await Promise.all([ca.flush(), cn.flush()]);
      // A imports only in.>: its "*.a" interest is not announced at all (not a subset of in.>).
      const inA = collect(ca, "in.a");
      await ca.flush();
      await waitForRouteInterest([n], "in.a", [a]);
      await waitForRouteInterest([a], "out.b", [n]);
      const onRouteA = (await monitor(a, "/routez?subs=1")).routes[0].subscriptions_list as string[];
      assert.ok(!onRouteA.includes("other.b"), `A refused interest it does not export: ${onRouteA}`);
      const onRouteN = (await monitor(n, "/routez?subs=1")).routes[0].subscriptions_list as string[];
      assert.ok(!onRouteN.includes("*.a"), `A did not announce interest it does not import: ${onRouteN}`);
      for (const subj of ["in.a", "other.a"]) cn.publish(subj, sc.encode(subj));
      for (const subj of ["out.b", "other.b"]) ca.publish(subj, sc.encode(subj));
      await Promise.all([ca.flush(), cn.flush()]);
      await waitFor(() => inA.length === 1 && onN[0].length >= 1, 5000, "permitted messages");
      await sleep(300);
      assert.deepStrictEqual(inA, ["in.a"]);
      assert.deepStrictEqual(onA, ["in.a"], "other.a was not imported");
      assert.deepStrictEqual(onN, [["out.b"], []], "other.b was not exported");
    });
  }

  it("routes carry gateway knowledge: a member learns another cluster's gateway from a nats-server peer", async () => {
    const [ga, gn, gm] = await freePorts(3);
    const gw = (name: string, port: number, remotes = "") => [`gateway { name: ${name}, listen: 127.0.0.1:${port}${remotes ? `, gateways: [${remotes}]` : ""} }`];
    const n = await startMember("nats-server", { name: "N", cluster: "C1", extra: gw("C1", gn) });
    const a = await startMember("natsfleet", { name: "A", cluster: "C1", routes: [n.routeURL], extra: gw("C1", ga) });
    await waitForMesh([a, n]);
    // C2 knows only N's gateway; A hears of C2 over its route to N and dials it too.
    const m = await startMember("nats-server", { name: "M", cluster: "C2", extra: gw("C2", gm, `{ name: C1, url: "nats://127.0.0.1:${gn}" }`) });
    await waitFor(async () => !!(await monitor(a, "/gatewayz")).outbound_gateways?.C2, 15000, "A's outbound gateway to C2");
    const cm = await client(m);
    const got = collect(cm, "gw.x");
    await cm.flush();
    const ca = await client(a);
    await waitFor(
      async () => {
        ca.publish("gw.x", sc.encode("from-a"));
        await ca.flush();
        await sleep(100);
        return got.length > 0;
      },
      10000,
      "a message from A's client to C2",
    );
  });

  it("route INFO carries this server's leafnode URL: a nats-server member advertises it to its leaf nodes", async () => {
    const [la, ln] = await freePorts(2);
    const a = await startMember("natsfleet", { name: "A", cluster: "C1", extra: [`leafnodes { listen: 127.0.0.1:${la} }`] });
    const n = await startMember("nats-server", { name: "N", cluster: "C1", routes: [a.routeURL], extra: [`leafnodes { listen: 127.0.0.1:${ln} }`] });
    await waitForMesh([a, n]);
    await waitFor(
      async () => {
        const raw = await RawClient.connect(ln);
        try {
          await raw.waitFor(/^INFO \{.*\} \r\n/);
          return ((raw.info().leafnode_urls ?? []) as string[]).includes(`127.0.0.1:${la}`);
        } finally {
          await raw.close();
        }
      },
      5000,
      "N's leafnode INFO to list A's leafnode URL",
    );
  });

  for (const kind of ["natsfleet", "nats-server"] as const) {
    it(`a leaf node's message goes to routes as LMSG with its origin cluster (${kind})`, async () => {
      const [lp] = await freePorts(1);
      const a = await startMember(kind, { name: "A", cluster: "C1", extra: [`leafnodes { listen: 127.0.0.1:${lp} }`] });
      const peer = await RawClient.connect(a.ports.cluster);
      await peer.waitFor(/^INFO \{.*\} \r\n/);
      peer.send('CONNECT {"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,"name":"NFAKE","cluster":"C1","lnoc":true}\r\n');
      peer.send('INFO {"server_id":"NFAKE","server_name":"fake","version":"2.9.10","proto":2,"host":"127.0.0.1","port":1,"headers":true,"cluster":"C1","lnoc":true}\r\nRS+ $G leafy\r\n');
      await peer.sync();
      const spoke = await RawClient.connect(lp);
      await spoke.waitFor(/^INFO \{.*\} \r\n/);
      spoke.send('CONNECT {"version":"2.9.10","tls_required":false,"server_id":"NSPOKE","name":"spoke","cluster":"EDGE","headers":true}\r\nPING\r\n');
      await spoke.waitFor("PONG\r\n");
      spoke.send("LMSG leafy 2\r\nhi\r\nLMSG leafy r.1 2\r\nho\r\n");
      await peer.waitFor("LMSG EDGE $G leafy 0 2\r\nhi\r\n");
      await peer.waitFor("LMSG EDGE $G leafy r.1 0 2\r\nho\r\n");
    });
  }

  for (const kind of ["natsfleet", "nats-server"] as const) {
    it(`cluster advertise sets the route INFO host, port and ip (${kind})`, async () => {
      const a = await startMember(kind, { name: "A", cluster: "C1", clusterExtra: ['advertise: "127.0.0.1:16999"'] });
      const raw = await RawClient.connect(a.ports.cluster);
      await raw.waitFor(/^INFO \{.*\} \r\n/);
      const info = raw.info();
      assert.deepStrictEqual([info.host, info.port, info.ip], ["127.0.0.1", 16999, "nats-route://127.0.0.1:16999/"]);
    });
  }

  it("rejects a cluster name mismatch with nats-server's exact text, on both servers", async () => {
    const a = await startMember("natsfleet", { name: "A", cluster: "C1" });
    const n = await startMember("nats-server", { name: "N", cluster: "C1" });
    for (const m of [a, n]) {
      const raw = await RawClient.connect(m.ports.cluster);
      await raw.waitFor(/^INFO \{.*\} \r\n/);
      raw.send('CONNECT {"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,"name":"NFAKE","cluster":"OTHER","lnoc":true}\r\n');
      await raw.waitFor(`-ERR 'Rejecting connection, cluster name "OTHER" does not match "C1"'\r\n`);
      await raw.waitClosed();
    }
    // Real servers with different names never form a route, whichever dials.
    const b = await startMember("natsfleet", { name: "B", cluster: "C2", routes: [a.routeURL, n.routeURL] });
    const n2 = await startMember("nats-server", { name: "N2", cluster: "C3", routes: [a.routeURL] });
    await sleep(2000);
    for (const m of [a, n, b, n2]) assert.strictEqual((await monitor(m, "/routez")).num_routes, 0, `${m.spec.name} has no route`);
  });

  it("rejects a client on the route port, and a route to itself is dropped", async () => {
    const a = await startMember("natsfleet", { name: "A", cluster: "C1" });
    const n = await startMember("nats-server", { name: "N", cluster: "C1" });
    for (const m of [a, n]) {
      const raw = await RawClient.connect(m.ports.cluster);
      await raw.waitFor(/^INFO /);
      raw.send('CONNECT {"verbose":false,"lang":"node","version":"2.0.0"}\r\n');
      await raw.waitFor("-ERR 'attempted to connect to route port'\r\n");
      await raw.waitClosed();
    }
    await n.proc.stop();
    // Configs usually list every member, this server included.
    const b = await startMember("natsfleet", { name: "B", cluster: "C1", routes: [a.routeURL] });
    const spec: MemberSpec = { ...b.spec, routes: [a.routeURL, b.routeURL] };
    await reloadMember(b, spec);
    await sleep(1500);
    assert.deepStrictEqual(await routeIds(b), [await serverId(a)]);
    assert.deepStrictEqual(await routeIds(a), [await serverId(b)]);
  });

  it("route authorization: seeds with credentials connect, wrong ones get 'Authorization Violation'", async () => {
    const auth = { user: "ruser", password: "s3cret" };
    const a = await startMember("natsfleet", { name: "A", cluster: "C1", auth });
    const url = (p: string) => `nats-route://ruser:${p}@127.0.0.1:${a.ports.cluster}`;
    const n = await startMember("nats-server", { name: "N", cluster: "C1", auth, routes: [url("s3cret")] });
    await waitForMesh([a, n]);
    const b = await startMember("natsfleet", { name: "B", cluster: "C1", auth, routes: [url("s3cret")] });
    // B learns N from A's gossip and dials it with the cluster's own credentials.
    await waitForMesh([a, n, b]);
    await checkPubSub([a, n, b], "auth.pubsub");

    for (const m of [a, n]) {
      const raw = await RawClient.connect(m.ports.cluster);
      await raw.waitFor(/^INFO /);
      assert.strictEqual(raw.info().auth_required, true, m.kind);
      raw.send('CONNECT {"verbose":false,"pedantic":false,"user":"ruser","pass":"wrong","name":"NFAKE","cluster":"C1","headers":true,"lnoc":true}\r\n');
      await raw.waitFor("-ERR 'Authorization Violation'\r\n");
      await raw.waitClosed();
    }
    const bad = await startMember("natsfleet", { name: "BAD", cluster: "C1", routes: [url("wrong")] });
    await sleep(1500);
    assert.strictEqual((await monitor(bad, "/routez")).num_routes, 0);
  });

  it("routes over mutual TLS between natsfleet-server and nats-server; a plain peer gets nowhere", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-route-tls-"));
    try {
      ensureTestCerts(dir);
      const tls = { cert: path.join(dir, "server-cert.pem"), key: path.join(dir, "server-key.pem"), ca: path.join(dir, "ca.pem") };
      const pa = await memberPorts();
      const pn = await memberPorts();
      const a = await startMember("natsfleet", { name: "A", cluster: "C1", tls, ports: pa, routes: [`nats-route://127.0.0.1:${pn.cluster}`] });
      const n = await startMember("nats-server", { name: "N", cluster: "C1", tls, ports: pn, routes: [`nats-route://127.0.0.1:${pa.cluster}`] });
      const b = await startMember("natsfleet", { name: "B", cluster: "C1", tls, routes: [n.routeURL] });
      await waitForMesh([a, n, b]);
      await checkPubSub([a, n, b], "tls.pubsub");
      await checkRequestReply([a, b, n], "tls.svc");
      // Both send the same INFO after the handshake (TLS first on routes).
      const keys: string[] = [];
      for (const m of [a, n]) {
        const line = await new Promise<string>((resolve, reject) => {
          const sock = tlsConnect({ host: "127.0.0.1", port: m.ports.cluster, cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key), ca: fs.readFileSync(tls.ca) });
          sock.once("data", (d) => {
            resolve(d.toString("latin1"));
            sock.destroy();
          });
          sock.once("error", reject);
        });
        const info = JSON.parse(/^INFO (\{.*\}) \r\n/.exec(line)![1]);
        assert.strictEqual(info.tls_required, true, m.kind);
        assert.strictEqual(info.tls_verify, true, m.kind);
        keys.push(Object.keys(info).join());
      }
      assert.strictEqual(keys[0], keys[1]);
      const plain = await startMember("natsfleet", { name: "P", cluster: "C1", routes: [a.routeURL, n.routeURL] });
      await sleep(1500);
      assert.strictEqual((await monitor(plain, "/routez")).num_routes, 0);
      assert.strictEqual((await monitor(a, "/routez")).num_routes, 2);
    } finally {
      await stopAllServers();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a route peer whose certificate comes from another CA (ours and nats-server alike)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-route-tls-ca-"));
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-route-tls-other-"));
    try {
      ensureTestCerts(dir);
      ensureTestCerts(other);
      const tls = { cert: path.join(dir, "server-cert.pem"), key: path.join(dir, "server-key.pem"), ca: path.join(dir, "ca.pem") };
      for (const kind of ["natsfleet", "nats-server"] as const) {
        const m = await startMember(kind, { name: `V-${kind}`, cluster: "C1", tls });
        // A stranger's certificate, signed by a CA the member does not trust; it trusts ours.
        const outcome = await new Promise<string>((resolve) => {
          const sock = tlsConnect({
            host: "127.0.0.1",
            port: m.ports.cluster,
            cert: fs.readFileSync(path.join(other, "server-cert.pem")),
            key: fs.readFileSync(path.join(other, "server-key.pem")),
            ca: fs.readFileSync(tls.ca),
          });
          let got = "";
          sock.on("data", (d) => (got += d.toString("latin1")));
          sock.once("error", () => resolve(got.startsWith("INFO") ? "info" : "refused"));
          sock.once("close", () => resolve(got.startsWith("INFO") ? "info" : "refused"));
          setTimeout(() => {
            resolve(got.startsWith("INFO") ? "info" : "refused");
            sock.destroy();
          }, 3000);
        });
        assert.strictEqual(outcome, "refused", `${kind} must not talk to a peer from an unknown CA`);
      }
    } finally {
      await stopAllServers();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it("reload adds and removes configured routes without a restart", async () => {
    const a = await startMember("natsfleet", { name: "A", cluster: "C1" });
    const n = await startMember("nats-server", { name: "N", cluster: "C1" });
    const b = await startMember("natsfleet", { name: "B", cluster: "C1" });
    const pidA = a.proc.pid;
    const nc = await client(a);
    await reloadMember(a, { ...a.spec, routes: [n.routeURL, b.routeURL] });
    await waitForMesh([a, n, b]);
    await checkPubSub([a, n, b], "reload.pubsub");
    assert.ok(!nc.isClosed(), "a client of the reloaded server stays connected");
    // Remove B only: the route to B goes, the one to N stays.
    await reloadMember(a, { ...a.spec, routes: [n.routeURL] });
    const [idN, idB] = await Promise.all([serverId(n), serverId(b)]);
    await waitFor(async () => !(await routeIds(a)).includes(idB), 5000, "A to drop its route to B");
    assert.ok((await routeIds(a)).includes(idN), "the route to N stays");
    assert.strictEqual(a.proc.pid, pidA);
    assert.ok(a.proc.running);
    assert.ok(!nc.isClosed());
  });

  for (const kind of ["natsfleet", "nats-server"] as const) describe(`wire protocol: a raw socket playing a 2.9 route peer to ${kind}`, () => {
    let a: Member;
    let peer: RawClient;

    beforeEach(async () => {
      a = await startMember(kind, { name: "A", cluster: "C1" });
      peer = await RawClient.connect(a.ports.cluster);
      await peer.waitFor(/^INFO \{.*\} \r\n/);
      peer.send('CONNECT {"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,"name":"NFAKE","cluster":"C1","lnoc":true}\r\n');
      peer.send('INFO {"server_id":"NFAKE","server_name":"fake","version":"2.9.10","proto":2,"host":"127.0.0.1","port":1,"headers":true,"max_payload":1048576,"cluster":"C1","connect_urls":["127.0.0.1:2"],"lnoc":true}\r\n');
      await peer.sync();
    });

    it("sends a 2.9 route INFO", async () => {
      const info = peer.info();
      assert.deepStrictEqual(Object.keys(info), ["server_id", "server_name", "version", "proto", "go", "host", "port", "headers", "max_payload", "nonce", "cluster", "connect_urls", "lnoc"]);
      assert.strictEqual(info.proto, 2);
      assert.strictEqual(info.cluster, "C1");
      assert.strictEqual(info.lnoc, true);
      assert.strictEqual(info.headers, true);
      assert.strictEqual(info.port, a.ports.cluster);
      assert.strictEqual(info.host, "127.0.0.1");
      assert.strictEqual(typeof info.nonce, "string");
      assert.deepStrictEqual(info.connect_urls, [`127.0.0.1:${a.ports.client}`]);
      assert.strictEqual(info.server_name, "A");
      // The peer's client URL is merged into the server's connect_urls.
      await waitFor(async () => ((await monitor(a, "/varz")).connect_urls ?? []).includes("127.0.0.1:2"), 3000, "connect_urls merged");
    });

    it("aggregates interest: one RS+ per subject, queue weights re-sent, RS- when gone", async () => {
      const c1 = await client(a);
      const c2 = await client(a);
      const s1 = c1.subscribe("foo");
      const s2 = c2.subscribe("foo");
      const q1 = c1.subscribe("bar", { queue: "g" });
      await c1.flush();
      await peer.waitFor("RS+ $G bar g 1\r\n");
      const q2 = c2.subscribe("bar", { queue: "g" });
      await c2.flush();
      await peer.waitFor("RS+ $G bar g 2\r\n");
      let t = await peer.sync();
      assert.strictEqual(t.split("RS+ $G foo\r\n").length - 1, 1, "foo announced once for two subscriptions");
      s1.unsubscribe();
      q2.unsubscribe();
      await Promise.all([c1.flush(), c2.flush()]);
      await peer.waitFor(/RS\+ \$G bar g 2\r\n[\s\S]*RS\+ \$G bar g 1\r\n/);
      t = await peer.sync();
      assert.ok(!t.includes("RS- $G foo"), "foo still has a subscriber");
      s2.unsubscribe();
      q1.unsubscribe();
      await Promise.all([c1.flush(), c2.flush()]);
      await peer.waitFor("RS- $G foo\r\n");
      await peer.waitFor("RS- $G bar g\r\n");
    });

    it("sends RMSG with reply and queue lists for the peer's interest", async () => {
      peer.send("RS+ $G plain\r\nRS+ $G work g 1\r\n");
      await peer.sync();
      const c = await client(a);
      c.publish("plain", sc.encode("p1"));
      c.publish("plain", sc.encode("p2"), { reply: "my.reply" });
      c.publish("work", sc.encode("w1"));
      c.publish("work", sc.encode("w2"), { reply: "r.2" });
      await c.flush();
      await peer.waitFor("RMSG $G plain 2\r\np1\r\n");
      await peer.waitFor("RMSG $G plain my.reply 2\r\np2\r\n");
      await peer.waitFor("RMSG $G work | g 2\r\nw1\r\n");
      await peer.waitFor("RMSG $G work + r.2 g 2\r\nw2\r\n");
      const h = natsHeaders();
      h.set("K", "v");
      c.publish("plain", sc.encode("hp"), { headers: h });
      await c.flush();
      await peer.waitFor(/HMSG \$G plain (\d+) (\d+)\r\nNATS\/1\.0\r\nK: v\r\n\r\nhp\r\n/);
      // The peer's interest goes with RS-.
      peer.send("RS- $G plain\r\n");
      await peer.sync();
      const before = peer.text.length;
      c.publish("plain", sc.encode("gone"));
      await c.flush();
      await peer.sync();
      assert.ok(!peer.text.slice(before).includes("gone"));
    });

    it("delivers RMSG: plain subscriptions always, local queue members only when their group is listed", async () => {
      const c = await client(a);
      const plain = collect(c, "in.plain");
      const queued = collect(c, "in.q", "g");
      const withHdr: Msg[] = [];
      c.subscribe("in.hdr", { callback: (_e, m) => withHdr.push(m) });
      const replies: string[] = [];
      c.subscribe("in.req", { callback: (_e, m) => replies.push(m.reply ?? "") });
      await c.flush();
      await peer.waitFor("RS+ $G in.hdr\r\n");
      peer.send("RMSG $G in.plain 3\r\none\r\n");
      peer.send("RMSG $G in.q 3\r\nnot\r\n");
      peer.send("RMSG $G in.q | g 3\r\nyes\r\n");
      peer.send("RMSG $G in.q | other 3\r\nnot\r\n");
      peer.send("RMSG $G in.req _INBOX.x 1\r\nr\r\n");
      peer.send("HMSG $G in.hdr 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n");
      await waitFor(() => plain.length === 1 && queued.length === 1 && withHdr.length === 1 && replies.length === 1, 3000, "routed deliveries");
      await sleep(100);
      assert.deepStrictEqual(plain, ["one"]);
      assert.deepStrictEqual(queued, ["yes"]);
      assert.deepStrictEqual(replies, ["_INBOX.x"]);
      assert.strictEqual(withHdr[0].headers?.get("A"), "b");
      assert.strictEqual(sc.decode(withHdr[0].data), "hi");
    });

    it("takes and sends RMSG with a hundred queue groups", async () => {
      const c = await client(a);
      const got = collect(c, "many", "q99");
      await c.flush();
      await peer.waitFor("RS+ $G many q99 1\r\n");
      const groups = Array.from({ length: 100 }, (_, i) => `q${i}`);
      peer.send(`RMSG $G many | ${groups.join(" ")} 2\r\nhi\r\n`);
      await waitFor(() => got.length === 1, 3000, "delivery to the 100th group");
      // And the other way: the peer's hundred groups all get one message in one RMSG.
      peer.send(groups.map((g) => `RS+ $G wide ${g} 1\r\n`).join(""));
      await peer.sync();
      c.publish("wide", sc.encode("w"));
      await c.flush();
      const text = await peer.waitFor(/RMSG \$G wide \| [^\r]* 1\r\nw\r\n/);
      const listed = /RMSG \$G wide \| ([^\r]*) 1\r\n/.exec(text)![1].split(" ");
      assert.deepStrictEqual(listed.slice().sort(), groups.slice().sort());
      assert.ok(await peer.staysOpen(100));
    });

    it("tolerates what a 2.9 peer sends that it does not use ($SYS interest, STATSZ, unknown accounts, LS+)", async () => {
      peer.send("RS+ $SYS $SYS.SERVER.*.STATSZ\r\nRS+ $SYS $SYS.REQ.SERVER.PING\r\nRS+ $SYS $SYS._INBOX.abc.*\r\n");
      peer.send('RMSG $SYS $SYS.SERVER.NFAKE.STATSZ 2\r\n{}\r\n');
      peer.send("RS+ ACME orders.>\r\nRS+ ACME jobs g 3\r\nLS+ LEAFC $G leaf.sub\r\nLS- $G leaf.sub\r\nRS- ACME jobs g\r\n");
      peer.send("LMSG LEAFC $G nobody 0 2\r\nhi\r\n");
      const t = await peer.sync();
      assert.ok(!/-ERR/.test(t), t);
      assert.ok(await peer.staysOpen(200));
      const rz = await monitor(a, "/routez?subs=1");
      const list = rz.routes[0].subscriptions_list as string[];
      assert.ok(list.includes("$SYS.SERVER.*.STATSZ"), JSON.stringify(list));
      // nats-server (static accounts) ignores interest in an account it lacks; we create it.
      if (kind === "natsfleet") assert.ok(list.includes("orders.>"), JSON.stringify(list));
      assert.ok(!list.includes("jobs") && !list.includes("leaf.sub"), JSON.stringify(list));
    });

    /** A second fake peer, registered like the first. */
    async function secondPeer(id: string, port: number): Promise<RawClient> {
      const p2 = await RawClient.connect(a.ports.cluster);
      await p2.waitFor(/^INFO \{.*\} \r\n/);
      p2.send(`CONNECT {"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,"name":"${id}","cluster":"C1","lnoc":true}\r\n`);
      p2.send(`INFO {"server_id":"${id}","server_name":"${id}","version":"2.9.10","proto":2,"host":"127.0.0.1","port":${port},"headers":true,"max_payload":1048576,"cluster":"C1","connect_urls":["127.0.0.1:3"],"lnoc":true}\r\n`);
      return p2;
    }

    it("gossips a new peer's INFO to the other routes, with ip filled and no nonce", async () => {
      const p2 = await secondPeer("NFAKE2", 7777);
      await p2.sync();
      const text = await peer.waitFor(/\r\nINFO \{"server_id":"NFAKE2".*\r\n/);
      const info = JSON.parse(/\r\nINFO (\{"server_id":"NFAKE2".*\}) ?\r\n/.exec(text)![1]);
      assert.strictEqual(info.ip, "nats-route://127.0.0.1:7777/");
      assert.strictEqual(info.nonce, undefined);
      assert.deepStrictEqual(info.connect_urls, ["127.0.0.1:3"]);
      assert.ok(!/INFO \{"server_id":"NFAKE2"/.test(p2.afterInfo()), "not sent back to the new peer");
    });

    it("closes a second connection from a known server id (duplicate route)", async () => {
      const dup = await secondPeer("NFAKE", 1);
      await dup.waitClosed();
      assert.ok(await peer.staysOpen(200), "the first route stays");
      assert.strictEqual((await monitor(a, "/routez")).num_routes, 1);
    });

    it("dials a gossiped server it does not know (implicit route) with nats-server's CONNECT", async () => {
      const connects: string[] = [];
      const socks: net.Socket[] = [];
      const other = net.createServer((sock) => {
        socks.push(sock);
        sock.on("data", (b) => connects.push(b.toString("latin1")));
        sock.on("error", () => undefined);
      });
      await new Promise<void>((r) => other.listen(0, "127.0.0.1", () => r()));
      try {
        const port = (other.address() as net.AddressInfo).port;
        peer.send(`INFO {"server_id":"NOTHER","server_name":"other","version":"2.9.10","proto":2,"host":"127.0.0.1","port":${port},"headers":true,"cluster":"C1","ip":"nats-route://127.0.0.1:${port}/","lnoc":true}\r\n`);
        await waitFor(() => connects.join("").includes("\r\n"), 5000, "the implicit route's CONNECT");
        const line = /^CONNECT (\{.*\})\r\n/.exec(connects.join(""));
        assert.ok(line, connects.join(""));
        const c = JSON.parse(line[1]);
        assert.deepStrictEqual(Object.keys(c), ["echo", "verbose", "pedantic", "tls_required", "headers", "name", "cluster", "lnoc"]);
        assert.deepStrictEqual(
          { ...c, name: "" },
          { echo: true, verbose: false, pedantic: false, tls_required: false, headers: true, name: "", cluster: "C1", lnoc: true },
        );
        assert.strictEqual(c.name, (await monitor(a, "/varz")).server_id);
      } finally {
        for (const x of socks) x.destroy();
        await new Promise<void>((r) => other.close(() => r()));
      }
    });

    it("answers PING, closes on garbage, and drops the peer's interest when it goes", async () => {
      peer.send("RS+ $G gone.soon\r\n");
      await peer.sync();
      assert.strictEqual((await monitor(a, "/routez")).routes[0].subscriptions, 1);
      peer.send("BOGUS stuff\r\n");
      await peer.waitFor("-ERR 'Unknown Protocol Operation'\r\n");
      await peer.waitClosed();
      await waitFor(async () => (await monitor(a, "/routez")).num_routes === 0, 3000, "route gone");
      if (kind === "natsfleet") assert.strictEqual((await monitor(a, "/subsz")).num_subscriptions, 0);
    });
  });
});

describe("route module pieces", () => {
  const client = { kind: 0 } as unknown as Deliverer;
  const leaf = { kind: 3 } as unknown as Deliverer;
  const route = { kind: 1 } as unknown as Deliverer;

  it("aggregates local interest per (account, subject[, queue]) and says when peers must hear", () => {
    const li = new LocalInterest();
    const s1: DeliverySub = { subject: "a.b", conn: client };
    const s2: DeliverySub = { subject: "a.b", conn: client };
    assert.strictEqual(interestLine(li.add("$G", s1)!, false), "RS+ $G a.b\r\n");
    assert.strictEqual(li.add("$G", s2), null, "a second subscription changes nothing for peers");
    assert.strictEqual(li.add("ACC", { subject: "a.b", conn: client })!.account, "ACC", "accounts are separate");
    assert.strictEqual(li.remove("$G", s1), null);
    assert.strictEqual(interestLine(li.remove("$G", s2)!, false), "RS- $G a.b\r\n");
    const q1: DeliverySub = { subject: "w", queue: "g", conn: client };
    const q2: DeliverySub = { subject: "w", queue: "g", conn: client };
    assert.strictEqual(interestLine(li.add("$G", q1)!, false), "RS+ $G w g 1\r\n");
    assert.strictEqual(interestLine(li.add("$G", q2)!, false), "RS+ $G w g 2\r\n");
    // A leaf's queue interest weighs what the leaf announced, and leaf origin goes as LS+.
    const lq = Object.assign({ subject: "w", queue: "g", conn: leaf }, { weight: 3, origin: "EDGE" });
    assert.strictEqual(interestLine(li.add("$G", lq)!, false), "RS+ $G w g 5\r\n");
    lq.weight = 7; // changed later: removal still takes back what was added
    assert.strictEqual(interestLine(li.remove("$G", lq)!, false), "RS+ $G w g 2\r\n");
    assert.strictEqual(interestLine(li.remove("$G", q1)!, false), "RS+ $G w g 1\r\n");
    assert.strictEqual(interestLine(li.remove("$G", q2)!, false), "RS- $G w g\r\n");
    const ls = Object.assign({ subject: "l.x", conn: leaf }, { origin: "EDGE" });
    const le = li.add("$G", ls)!;
    assert.strictEqual(interestLine(le, true), "LS+ EDGE $G l.x\r\n");
    assert.strictEqual(interestLine(le, false), "RS+ $G l.x\r\n", "peers without lnoc get RS+");
    assert.strictEqual([...li.entries()].length, 2);
    assert.strictEqual(interestLine(li.remove("$G", ls)!, true), "LS- $G l.x\r\n");
    assert.strictEqual([...li.entries()].length, 1);
    assert.ok(isLocalInterest(s1) && isLocalInterest(lq) && !isLocalInterest({ subject: "x", conn: route }));
  });

  it("checks cluster permissions: allow lists and deny lists with wildcards", () => {
    assert.ok(permitted(undefined, "x"));
    assert.ok(permitted({ allow: ["foo.>"] }, "foo.bar"));
    assert.ok(!permitted({ allow: ["foo.>"] }, "bar"));
    assert.ok(!permitted({ deny: ["secret.*"] }, "secret.x"));
    assert.ok(permitted({ deny: ["secret.*"] }, "secret.x.y"));
  });

  it("parses route URLs and names what is wrong with bad ones", () => {
    const u = parseRouteURL("nats-route://ru%40ser:p%3Ass@127.0.0.1:7244");
    assert.deepStrictEqual([u.host, u.port, u.user, u.pass], ["127.0.0.1", 7244, "ru@ser", "p:ss"]);
    assert.strictEqual(parseRouteURL("nats://[::1]:5").host, "::1");
    assert.strictEqual(parseRouteURL("nats-route://h").port, 6222);
    assert.throws(() => parseRouteURL("not a url"), /invalid route URL "not a url"/);
    assert.strictEqual(hostKey("::1", 5), "[::1]:5");
    assert.strictEqual(routeIP("10.0.0.1", 6222), "nats-route://10.0.0.1:6222/");
  });

  it("rejects unusable INFO and CONNECT JSON with the reason", () => {
    assert.match(String(parseRouteInfo("{")), /invalid JSON/);
    assert.strictEqual(parseRouteInfo("[]"), "not a JSON object");
    assert.strictEqual(parseRouteInfo('{"server_name":"x"}'), "no server_id");
    assert.strictEqual(parseRouteInfo('{"server_id":"S","port":"1"}'), '"port" is not a number');
    assert.strictEqual(parseRouteInfo('{"server_id":"S","connect_urls":[1]}'), '"connect_urls" is not a list of strings');
    const ok = parseRouteInfo('{"server_id":"S","connect_urls":null,"future_field":1}');
    assert.ok(typeof ok === "object" && ok.connect_urls === undefined && ok.future_field === 1);
    assert.strictEqual(parseRouteConnect('{"name":5}'), '"name" is not a string');
  });

  it("a busy cluster port fails start with an error naming the cluster listener", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const s = new Server(withDefaults({ host: "127.0.0.1", port: -1, cluster: { name: "C", host: "127.0.0.1", port, routes: [] } }), new Logger({ quiet: true }));
    s.addons.push(new RouteAddon());
    try {
      await assert.rejects(s.start(), new RegExp(`cluster listener on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    } finally {
      await s.shutdown();
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});
