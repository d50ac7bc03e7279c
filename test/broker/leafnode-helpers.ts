/**
 * Leaf node test topologies: in-process natsfleet servers (created from nats-server config
 * text, with the leaf node addon pushed onto `server.addons`) and Debian nats-server processes,
 * plus waiting, HTTP monitoring and client helpers. Everything started here is tracked so
 * `stopAll()` cleans up after a failed test.
 */
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { connect, NatsConnection, ConnectionOptions } from "nats";
import { createServer } from "../../broker";
import { loadConfigFile } from "../../broker/config/options";
import type { Server } from "../../broker/server";
import { LeafNodeAddon } from "../../broker/leafnode";
import { RouteAddon } from "../../broker/route";
import { GatewayAddon } from "../../broker/gateway/addon";
import { spawnServer, ServerProcess, stopAllServers } from "../helpers/servers";
import { freePort, freePorts, sleep } from "../helpers/ports";

export { freePort, freePorts, sleep };

/** An in-process natsfleet server with its leaf node addon and config directory. */
export interface OurServer {
  kind: "natsfleet";
  server: Server;
  leaf: LeafNodeAddon;
  dir: string;
  configFile: string;
  url: string;
  httpPort: number;
  leafPort: number;
  /** Bound route port (0 without a cluster). */
  clusterPort: number;
}

/** A server process (nats-server, or the natsfleet-server binary) with the ports its config was given. */
export interface TheirServer {
  kind: "nats-server" | "natsfleet-process";
  proc: ServerProcess;
  url: string;
  httpPort: number;
  leafPort: number;
}

export type AnyServer = OurServer | TheirServer;

const ours = new Set<OurServer>();
const clients = new Set<NatsConnection>();

/**
 * Write `config` to a fresh temp dir and start our server from it (port/http picked here);
 * `routes` adds the route addon for topologies with a cluster.
 */
export async function startOurs(config: string, opts: { routes?: boolean; gateways?: boolean } = {}): Promise<OurServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-leaf-"));
  const [port, httpPort] = await freePorts(2);
  const configFile = path.join(dir, "server.conf");
  fs.writeFileSync(configFile, `host: 127.0.0.1\nport: ${port}\nhttp: "127.0.0.1:${httpPort}"\n${config}\n`);
  const { options } = loadConfigFile(configFile);
  const server = createServer(options, { log: { quiet: !process.env.LEAF_TEST_LOG } });
  // createServer may already include the standard addons: reuse them rather than doubling up.
  if (opts.routes && !server.addons.some((a) => a instanceof RouteAddon)) server.addons.push(new RouteAddon());
  if (opts.gateways && !server.addons.some((a) => a instanceof GatewayAddon)) server.addons.push(new GatewayAddon());
  let leaf = server.addons.find((a): a is LeafNodeAddon => a instanceof LeafNodeAddon);
  if (!leaf) server.addons.push((leaf = new LeafNodeAddon()));
  try {
    await server.start();
  } catch (e) {
    // A failed start may have bound listeners already: release them before reporting.
    await server.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const o: OurServer = {
    kind: "natsfleet",
    server,
    leaf,
    dir,
    configFile,
    url: server.clientURL(),
    httpPort: server.httpPort,
    leafPort: server.leafnodePort ?? 0,
    clusterPort: server.clusterPort ?? 0,
  };
  ours.add(o);
  return o;
}

/** Rewrite an in-process server's config (same client/http ports) and reload it. */
export async function reloadOurs(o: OurServer, config: string): Promise<void> {
  const port = o.server.port;
  fs.writeFileSync(o.configFile, `host: 127.0.0.1\nport: ${port}\nhttp: "127.0.0.1:${o.httpPort}"\n${config}\n`);
  const { options } = loadConfigFile(o.configFile);
  await o.server.reload(options);
}

/**
 * Start nats-server with `config`; `leafPort` (if the config has `$LEAF_PORT`) and the HTTP
 * port are picked free here and substituted.
 */
export async function startTheirs(config: string): Promise<TheirServer> {
  return startProcess("nats-server", config);
}

/** As startTheirs, for either binary (natsfleet-server needs `npm run build`). */
export async function startProcess(kind: "nats-server" | "natsfleet", config: string): Promise<TheirServer> {
  const [leafPort, httpPort] = await freePorts(2);
  const text = `http: "127.0.0.1:${httpPort}"\n${config.replace(/\$LEAF_PORT/g, String(leafPort))}\n`;
  const proc = await spawnServer(kind, [], { config: text });
  return { kind: kind === "natsfleet" ? "natsfleet-process" : "nats-server", proc, url: proc.url, httpPort, leafPort };
}

export async function stopOurs(o: OurServer): Promise<void> {
  if (!ours.delete(o)) return;
  await o.server.shutdown();
  fs.rmSync(o.dir, { recursive: true, force: true });
}

export async function stopServer(s: AnyServer): Promise<void> {
  if (s.kind === "natsfleet") await stopOurs(s);
  else await s.proc.stop("SIGTERM");
}

/** Close every client and stop every server this module started. */
export async function stopAll(): Promise<void> {
  await Promise.all([...clients].map((c) => c.close().catch(() => undefined)));
  clients.clear();
  await Promise.all([...ours].map((o) => stopOurs(o)));
  await stopAllServers();
}

/** A `nats` client, closed by stopAll(). */
export async function client(url: string, opts: ConnectionOptions = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false, ...opts });
  clients.add(nc);
  nc.closed().then(() => clients.delete(nc));
  return nc;
}

/** GET a monitoring endpoint as JSON (no keep-alive, so no socket outlives a test). */
export function getJSON(port: number, p: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: p, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new Error(`${p}: not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on("error", reject);
  });
}

/** Poll `check` until it returns true; throws `what` (with the last error) after `ms`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
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

/** Number of leaf connections a server reports on /leafz. */
export async function leafCount(s: AnyServer): Promise<number> {
  const j = await getJSON(s.httpPort, "/leafz");
  return j.leafnodes as number;
}

/** Wait until `s` has `n` leaf connections (per /leafz). */
export function waitLeafs(s: AnyServer, n: number, ms = 8000): Promise<void> {
  return waitFor(`${s.kind} to report ${n} leaf connection(s)`, async () => (await leafCount(s)) === n, ms);
}

/** Whether `/subsz?subs=1` of `s` lists a subscription on `subject` (interest crossed a link). */
export async function hasInterest(s: AnyServer, subject: string, queue?: string): Promise<boolean> {
  if (s.kind === "natsfleet") {
    return s.server.globalAccount.sublist.all().some((x) => x.subject === subject && x.queue === queue && x.conn.kind === 3);
  }
  const j = await getJSON(s.httpPort, "/leafz?subs=1");
  for (const l of (j.leafs ?? []) as Array<{ subscriptions_list?: string[] }>) {
    for (const e of l.subscriptions_list ?? []) if (e === subject || e === `${subject} ${queue}`) return true;
  }
  return false;
}

/** Wait until messages on `subject` published at `s` would cross to the leaf peer. */
export function waitInterest(s: AnyServer, subject: string, queue?: string, ms = 8000): Promise<void> {
  return waitFor(`interest in ${subject}${queue ? " " + queue : ""} at ${s.kind}`, () => hasInterest(s, subject, queue), ms);
}

/** Collect messages on a subscription for `ms`, then unsubscribe. */
export async function collect(nc: NatsConnection, subject: string, opts: { queue?: string } = {}): Promise<{ msgs: string[]; done: () => Promise<string[]> }> {
  const msgs: string[] = [];
  const sub = nc.subscribe(subject, { queue: opts.queue, callback: (_e, m) => msgs.push(new TextDecoder().decode(m.data)) });
  await nc.flush();
  return {
    msgs,
    done: async () => {
      sub.unsubscribe();
      await nc.flush();
      return msgs;
    },
  };
}

/**
 * A fake hub for byte-level tests of our spoke: it accepts one connection, sends `info`, and
 * records what the spoke sends.
 */
export class FakeHub {
  text = "";
  sock: net.Socket | null = null;
  port = 0;
  private readonly srv: net.Server;
  private waiters: Array<() => void> = [];

  private constructor(private readonly info: Record<string, unknown>) {
    this.srv = net.createServer((s) => {
      this.sock = s;
      s.on("data", (b) => {
        this.text += b.toString("latin1");
        for (const w of [...this.waiters]) w();
      });
      s.on("error", () => undefined);
      s.write(`INFO ${JSON.stringify(this.info)} \r\n`);
    });
  }

  static async start(info: Record<string, unknown>): Promise<FakeHub> {
    const h = new FakeHub(info);
    await new Promise<void>((r) => h.srv.listen(0, "127.0.0.1", () => r()));
    h.port = (h.srv.address() as net.AddressInfo).port;
    fakeHubs.add(h);
    return h;
  }

  send(s: string): void {
    this.sock?.write(s);
  }

  /** Wait until what the spoke sent matches `re`; returns the match. */
  waitFor(re: RegExp, ms = 3000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(this.text);
        if (!m) return false;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(m);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`fake hub: timed out waiting for ${re}; received ${JSON.stringify(this.text)}`));
      }, ms);
      if (!check()) this.waiters.push(check);
    });
  }

  async close(): Promise<void> {
    fakeHubs.delete(this);
    this.sock?.destroy();
    await new Promise<void>((r) => this.srv.close(() => r()));
  }
}

const fakeHubs = new Set<FakeHub>();

/** Close every fake hub (after hooks). */
export async function closeFakeHubs(): Promise<void> {
  await Promise.all([...fakeHubs].map((h) => h.close()));
}
