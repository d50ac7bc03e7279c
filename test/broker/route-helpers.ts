/**
 * Cluster test helpers: config files for natsfleet-server and nats-server cluster members,
 * monitoring reads, waits for routes, and `nats` clients that are all closed afterwards.
 * natsfleet-server runs as the real executable (bin/natsfleet-server.js, needs `npm run build`).
 */
import * as fs from "fs";
import * as http from "http";
import { connect, NatsConnection, ConnectionOptions } from "nats";
import { spawnServer, ServerProcess, ServerKind } from "../helpers/servers";
import { freePorts, sleep } from "../helpers/ports";

/** One cluster member's settings. */
export interface MemberSpec {
  name: string;
  cluster: string;
  /** Seed route URLs. */
  routes?: string[];
  /** Route listener credentials (cluster.authorization). */
  auth?: { user: string; password: string };
  connectRetries?: number;
  /** Cluster TLS files (mutual TLS between routes). */
  tls?: { cert: string; key: string; ca: string };
  /** More top-level config lines. */
  extra?: string[];
  /** More lines inside `cluster { }`. */
  clusterExtra?: string[];
  /** Fixed ports (for a restart on the same ports); fresh free ones otherwise. */
  ports?: MemberPorts;
}

export interface MemberPorts {
  client: number;
  cluster: number;
  http: number;
}

/** A running cluster member. */
export interface Member {
  kind: ServerKind;
  spec: MemberSpec;
  ports: MemberPorts;
  proc: ServerProcess;
  /** `nats://127.0.0.1:<client>`. */
  url: string;
  /** `nats-route://127.0.0.1:<cluster>`. */
  routeURL: string;
  /** The config file (rewrite it and SIGHUP to reload). */
  configFile: string;
}

/** nats-server config text for a member. */
export function memberConfig(spec: MemberSpec, ports: MemberPorts): string {
  const lines = [
    `server_name: ${spec.name}`,
    `listen: 127.0.0.1:${ports.client}`,
    `http: 127.0.0.1:${ports.http}`,
    ...(spec.extra ?? []),
    `cluster {`,
    // An empty name leaves it to the server (nats-server generates one and adopts a peer's).
    ...(spec.cluster ? [`  name: ${spec.cluster}`] : []),
    `  listen: 127.0.0.1:${ports.cluster}`,
  ];
  if (spec.auth) lines.push(`  authorization { user: ${spec.auth.user}, password: ${spec.auth.password} }`);
  if (spec.connectRetries !== undefined) lines.push(`  connect_retries: ${spec.connectRetries}`);
  if (spec.clusterExtra) lines.push(...spec.clusterExtra.map((l) => `  ${l}`));
  if (spec.tls) lines.push(`  tls { cert_file: ${JSON.stringify(spec.tls.cert)}, key_file: ${JSON.stringify(spec.tls.key)}, ca_file: ${JSON.stringify(spec.tls.ca)}, timeout: 2 }`);
  if (spec.routes && spec.routes.length > 0) lines.push(`  routes: [`, ...spec.routes.map((r) => `    ${JSON.stringify(r)}`), `  ]`);
  lines.push(`}`, ``);
  return lines.join("\n");
}

export async function memberPorts(): Promise<MemberPorts> {
  const [client, cluster, httpPort] = await freePorts(3);
  return { client, cluster, http: httpPort };
}

/** Start a member of `kind` from a config file. */
export async function startMember(kind: ServerKind, spec: MemberSpec): Promise<Member> {
  const ports = spec.ports ?? (await memberPorts());
  const config = memberConfig(spec, ports);
  const args = ["-a", "127.0.0.1", "-p", String(ports.client)];
  const proc = await spawnServer(kind, args, { config });
  const configFile = proc.args[proc.args.indexOf("-c") + 1];
  const m: Member = {
    kind,
    spec: { ...spec, ports },
    ports,
    proc,
    url: `nats://127.0.0.1:${ports.client}`,
    routeURL: `nats-route://127.0.0.1:${ports.cluster}`,
    configFile,
  };
  await waitFor(async () => (await tryGet(ports.http, "/varz")) !== null, 10000, `${spec.name} monitoring`);
  return m;
}

/**
 * Start natsfleet-server from command-line flags only (no config file); `-a`, `-p` and `-m`
 * are added. The member's cluster port is read back from /varz (flags may ask for -1).
 */
export async function startWithFlags(name: string, flags: string[]): Promise<Member> {
  const [clientPort, httpPort] = await freePorts(2);
  const args = ["-a", "127.0.0.1", "-p", String(clientPort), "-m", String(httpPort), "-n", name, ...flags];
  const proc = await spawnServer("natsfleet", args);
  await waitFor(async () => (await tryGet(httpPort, "/varz")) !== null, 10000, `${name} monitoring`);
  const v = (await tryGet(httpPort, "/varz"))!;
  const cluster = Number(v.cluster?.cluster_port ?? 0);
  const ports = { client: clientPort, cluster, http: httpPort };
  return {
    kind: "natsfleet",
    spec: { name, cluster: String(v.cluster?.name ?? ""), ports },
    ports,
    proc,
    url: `nats://127.0.0.1:${clientPort}`,
    routeURL: `nats-route://127.0.0.1:${cluster}`,
    configFile: "",
  };
}

/** Rewrite a member's config and SIGHUP it. */
export async function reloadMember(m: Member, spec: MemberSpec): Promise<void> {
  m.spec = { ...spec, ports: m.ports };
  fs.writeFileSync(m.configFile, memberConfig(m.spec, m.ports));
  m.proc.proc.kill("SIGHUP");
}

function tryGet(port: number, p: string): Promise<Record<string, any> | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: p, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        try {
          resolve(res.statusCode === 200 ? JSON.parse(text) : null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on("error", () => resolve(null));
  });
}

/** GET a monitoring endpoint as JSON; throws naming the endpoint when it fails. */
export async function monitor(m: Member, p: string): Promise<Record<string, any>> {
  const r = await tryGet(m.ports.http, p);
  if (r === null) throw new Error(`GET ${p} on ${m.spec.name} (${m.kind}) failed`);
  return r;
}

/** Poll until `cond` holds; throws with `what` after `timeoutMs`. */
export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The server ids a member's /routez lists. */
export async function routeIds(m: Member): Promise<string[]> {
  const r = await monitor(m, "/routez");
  return ((r.routes ?? []) as Array<{ remote_id: string }>).map((x) => x.remote_id).sort();
}

export async function serverId(m: Member): Promise<string> {
  return (await monitor(m, "/varz")).server_id as string;
}

/** Wait until every member has a route to every other member (and no more). */
export async function waitForMesh(members: Member[], timeoutMs = 15000): Promise<void> {
  const ids = await Promise.all(members.map(serverId));
  await waitFor(
    async () => {
      for (let i = 0; i < members.length; i++) {
        const want = ids.filter((_, j) => j !== i).sort();
        const got = await routeIds(members[i]);
        if (got.join() !== want.join()) return false;
      }
      return true;
    },
    timeoutMs,
    `a full mesh of ${members.map((m) => `${m.spec.name}(${m.kind})`).join(", ")}`,
  );
}

/** Wait until each member's client INFO lists every member's client URL (connect_urls). */
export async function waitForConnectURLs(members: Member[], timeoutMs = 10000): Promise<void> {
  const want = members.map((m) => `127.0.0.1:${m.ports.client}`).sort();
  await waitFor(
    async () => {
      for (const m of members) {
        const v = await monitor(m, "/varz");
        const got = ((v.connect_urls ?? []) as string[]).slice().sort();
        if (got.join() !== want.join()) return false;
      }
      return true;
    },
    timeoutMs,
    "connect_urls listing every member",
  );
}

const clients = new Set<NatsConnection>();

/** A `nats` client that `closeClients()` closes. */
export async function client(m: Member, opts: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: m.url, reconnect: false, ...opts });
  clients.add(nc);
  nc.closed().then(() => clients.delete(nc));
  return nc;
}

export async function closeClients(): Promise<void> {
  await Promise.all([...clients].map((c) => c.close().catch(() => undefined)));
  clients.clear();
}

/**
 * Wait until every member sees `subject` over its routes from each of `holders` (the members
 * with local subscriptions on it), as /routez?subs=1 lists it.
 */
export async function waitForRouteInterest(members: Member[], subject: string, holders: Member[], timeoutMs = 5000): Promise<void> {
  await waitFor(
    async () => {
      for (const m of members) {
        const want = holders.filter((h) => h !== m).length;
        const r = await monitor(m, "/routez?subs=1");
        const have = ((r.routes ?? []) as Array<{ subscriptions_list?: string[] }>).filter((x) => (x.subscriptions_list ?? []).includes(subject)).length;
        if (have < want) return false;
      }
      return true;
    },
    timeoutMs,
    `route interest in ${subject} from ${holders.map((h) => h.spec.name).join(", ")}`,
  );
}
