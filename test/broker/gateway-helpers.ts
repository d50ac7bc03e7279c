/**
 * Super-cluster test fixtures: single-server clusters joined by gateways, each either our broker
 * in-process (with the GatewayAddon pushed before start, as createServer will do) or Debian's
 * nats-server 2.9.10 as a process, plus polling and monitoring helpers.
 */
import * as http from "http";
import * as net from "net";
import { connect, NatsConnection } from "nats";
import { createServer } from "../../broker/index";
import type { Server } from "../../broker/server";
import type { ServerOptions } from "../../broker/options";
import { GatewayAddon } from "../../broker/gateway";
import { RouteAddon } from "../../broker/route";
import { LeafNodeAddon } from "../../broker/leafnode";
import { spawnServer, ServerProcess, natsServerBinary } from "../helpers/servers";
import { freePorts, sleep } from "../helpers/ports";

/** Our broker in-process, our natsfleet-server executable (needs `npm run build`), or nats-server. */
export type Impl = "ours" | "natsfleet-server" | "nats-server";

/** A remote gateway as configs list it. */
export interface RemoteSpec {
  name: string;
  url: string;
  /** More URLs of the same cluster (one per server). */
  more?: string[];
}

/** One running single-server cluster with a gateway. */
export interface Cluster {
  impl: Impl;
  /** Gateway (cluster) name. */
  name: string;
  clientURL: string;
  /** `nats://127.0.0.1:<gateway port>` for other clusters' configs. */
  gatewayURL: string;
  httpPort: number;
  /** Ours with leaf nodes: the leafnode port. */
  leafPort?: number;
  /** With routes: `nats-route://127.0.0.1:<cluster port>`. */
  routeURL?: string;
  /** Ours only: the in-process server and its addon. */
  server?: Server;
  addon?: GatewayAddon;
  /** Processes only. */
  proc?: ServerProcess;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  remotes?: RemoteSpec[];
  /** Fixed gateway port (to let a config name it before it starts); random when omitted. */
  gatewayPort?: number;
  rejectUnknown?: boolean;
  /** Gateway authorization (a single user). */
  authorization?: { user: string; password: string };
  /** Also join a cluster over routes (the cluster is named like the gateway). */
  routes?: string[];
  /** Server name (default `<gateway name>1`). */
  serverName?: string;
  /** Ours only: also accept leaf nodes (random port, see `leafPort`). */
  leafnodes?: boolean;
  /** Gateway TLS files (both implementations). */
  tls?: { cert: string; key: string; ca: string };
  /** nats-server only: fixed client and monitoring ports (to restart it in place). */
  clientPort?: number;
  httpPort?: number;
}

export function natsServerAvailable(): boolean {
  return natsServerBinary() !== undefined;
}

export async function startCluster(impl: Impl, name: string, o: ClusterOptions = {}): Promise<Cluster> {
  return impl === "ours" ? startOurs(name, o) : startProcess(impl, name, o);
}

export async function startOurs(name: string, o: ClusterOptions = {}): Promise<Cluster> {
  const opts: Partial<ServerOptions> = {
    host: "127.0.0.1",
    port: -1,
    httpHost: "127.0.0.1",
    httpPort: -1,
    serverName: o.serverName ?? `${name}1`,
    cluster: o.routes ? { name, host: "127.0.0.1", port: -1, routes: o.routes } : undefined,
    leafnodes: o.leafnodes ? { host: "127.0.0.1", port: -1, remotes: [] } : undefined,
    gateway: {
      name,
      host: "127.0.0.1",
      port: o.gatewayPort ?? -1,
      rejectUnknown: o.rejectUnknown,
      authorization: o.authorization ? { user: o.authorization.user, password: o.authorization.password } : undefined,
      tls: o.tls ? { certFile: o.tls.cert, keyFile: o.tls.key, caFile: o.tls.ca } : undefined,
      gateways: (o.remotes ?? []).map((r) => ({ name: r.name, urls: [r.url, ...(r.more ?? [])] })),
    },
  };
  const server = createServer(opts, { log: { quiet: !process.env.GATEWAY_TEST_LOG } });
  if (o.routes && !server.addons.some((a) => a instanceof RouteAddon)) server.addons.push(new RouteAddon());
  if (o.leafnodes && !server.addons.some((a) => a instanceof LeafNodeAddon)) server.addons.push(new LeafNodeAddon());
  const addon = gatewayAddonOf(server);
  await server.start();
  return {
    impl: "ours",
    name,
    clientURL: server.clientURL(),
    gatewayURL: `nats://127.0.0.1:${addon.port}`,
    httpPort: server.httpPort,
    routeURL: server.clusterPort ? `nats-route://127.0.0.1:${server.clusterPort}` : undefined,
    leafPort: server.leafnodePort || undefined,
    server,
    addon,
    stop: () => server.shutdown(),
  };
}

/**
 * The server's GatewayAddon: createServer's own once broker/index.ts adds it, else one pushed
 * here before start (as createServer will).
 */
export function gatewayAddonOf(server: Server): GatewayAddon {
  const found = server.addons.find((a): a is GatewayAddon => a instanceof GatewayAddon);
  if (found) return found;
  const addon = new GatewayAddon();
  server.addons.push(addon);
  return addon;
}

/** A server process (nats-server or our executable) from the same nats-server config text. */
export async function startProcess(impl: "nats-server" | "natsfleet-server", name: string, o: ClusterOptions = {}): Promise<Cluster> {
  const [freeClient, freeHttp, freeGw, clusterPort] = await freePorts(4);
  const clientPort = o.clientPort ?? freeClient;
  const httpPort = o.httpPort ?? freeHttp;
  const gwPort = o.gatewayPort ?? freeGw;
  const remotes = (o.remotes ?? []).map((r) => `    { name: "${r.name}", urls: [${[r.url, ...(r.more ?? [])].map((u) => `"${u}"`).join(", ")}] }`).join("\n");
  const auth = o.authorization ? `  authorization { user: "${o.authorization.user}", password: "${o.authorization.password}" }\n` : "";
  const config = [
    `server_name: ${o.serverName ?? `${name}1`}`,
    o.routes ? `cluster { name: "${name}", listen: "127.0.0.1:${clusterPort}", routes: [${o.routes.map((r) => `"${r}"`).join(", ")}] }` : "",
    `http: "127.0.0.1:${httpPort}"`,
    `gateway {`,
    `  name: "${name}"`,
    `  listen: "127.0.0.1:${gwPort}"`,
    o.rejectUnknown ? `  reject_unknown_cluster: true` : "",
    auth,
    o.tls ? `  tls { cert_file: "${o.tls.cert}", key_file: "${o.tls.key}", ca_file: "${o.tls.ca}", timeout: 3 }` : "",
    `  gateways: [`,
    remotes,
    `  ]`,
    `}`,
    "",
  ].join("\n");
  const proc = await spawnServer(impl === "nats-server" ? "nats-server" : "natsfleet", ["-a", "127.0.0.1", "-p", String(clientPort)], { config });
  return {
    impl,
    name,
    clientURL: `nats://127.0.0.1:${clientPort}`,
    gatewayURL: `nats://127.0.0.1:${gwPort}`,
    httpPort,
    routeURL: o.routes ? `nats-route://127.0.0.1:${clusterPort}` : undefined,
    proc,
    stop: () => proc.stop("SIGTERM"),
  };
}

/** GET a monitoring endpoint as JSON (no keep-alive: no socket outlives the test). */
export function getJSON(port: number, path: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(new Error(`${path}: not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on("error", reject);
  });
}

/** Poll until `check` returns true; fail with `what` (and the last error) after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

/** Outbound gateway names of a cluster, read from /gatewayz. */
export async function outboundNames(c: Cluster): Promise<string[]> {
  const gz = await getJSON(c.httpPort, "/gatewayz");
  return Object.keys(gz.outbound_gateways ?? {}).sort();
}

/** Inbound gateway names of a cluster, read from /gatewayz. */
export async function inboundNames(c: Cluster): Promise<string[]> {
  const gz = await getJSON(c.httpPort, "/gatewayz");
  return Object.keys(gz.inbound_gateways ?? {}).sort();
}

/** Wait until every cluster has an outbound and an inbound connection to every other. */
export async function waitForMesh(clusters: Cluster[], timeoutMs = 15000): Promise<void> {
  for (const c of clusters) {
    const others = clusters.filter((o) => o !== c).map((o) => o.name).sort();
    await waitFor(
      `${c.name} (${c.impl}) gateways to ${others.join(",")}`,
      async () => {
        const out = await outboundNames(c);
        const inb = await inboundNames(c);
        return others.every((n) => out.includes(n) && inb.includes(n));
      },
      timeoutMs,
    );
  }
}

export async function client(c: Cluster, name = `test-${c.name}`): Promise<NatsConnection> {
  return connect({ servers: c.clientURL, name, reconnect: false });
}

/**
 * Wait until a subscription made on `sub` is visible from `pub` across the gateway: publish
 * probes on `subject` until one arrives (interest propagation is asynchronous).
 */
export async function waitForInterest(pub: NatsConnection, sub: NatsConnection, subject: string, timeoutMs = 10000): Promise<void> {
  let seen = false;
  const s = sub.subscribe(subject, { callback: () => (seen = true) });
  await sub.flush();
  try {
    await waitFor(`interest in ${subject}`, async () => {
      pub.publish(subject);
      await pub.flush();
      await sleep(50);
      return seen;
    }, timeoutMs);
  } finally {
    s.unsubscribe();
    await sub.flush();
  }
}

/** Open a raw TCP socket and collect what it receives. */
export interface RawConn {
  sock: net.Socket;
  text(): string;
  send(s: string): void;
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  close(): void;
}

export function rawConnect(port: number): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    let buf = "";
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => (buf += d));
    sock.on("error", () => undefined);
    sock.once("connect", () =>
      resolve({
        sock,
        text: () => buf,
        send: (s) => sock.write(s),
        waitFor: async (re, timeoutMs = 5000) => {
          let m: RegExpMatchArray | null = null;
          await waitFor(`${re} in ${JSON.stringify(buf.slice(-300))}`, () => (m = buf.match(re)) !== null, timeoutMs);
          return m!;
        },
        close: () => sock.destroy(),
      }),
    );
    sock.once("error", reject);
  });
}
