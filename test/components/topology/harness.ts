/**
 * Runs a rendered topology as real processes for end-to-end tests: free ports first, one
 * process per server, readiness and link checks through the monitoring endpoints, and a
 * stop that leaves nothing behind. The broker binary is a parameter so the same tests run
 * against nats-server and natsfleet-server.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import type { Ports, Topology } from "../../../components/topology/model";
import { LISTENERS, allServers } from "../../../components/topology/model";
import { withServerPorts } from "../../../components/topology/ports";
import { render } from "../../../components/topology/render";
import { freePorts } from "../../helpers/ports";
import { localAddresses } from "../../../components/topology/addresses";

/** How to start a broker: `command ...args -c <file>`. */
export interface BrokerBinary {
  name: string;
  command: string;
  args: string[];
  /** Why it cannot run here, if it cannot. */
  unavailable?: string;
}

const REPO = path.resolve(__dirname, "../../..");

/** First `name` on PATH (Debian puts nats-server in /usr/sbin, which some PATHs lack). */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/bin", "/usr/local/bin"];
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

const natsServerPath = findExecutable("nats-server");
export const NATS_SERVER: BrokerBinary = {
  name: "nats-server",
  command: natsServerPath ?? "nats-server",
  args: [],
  ...(natsServerPath ? {} : { unavailable: "nats-server is not installed (not on PATH, /usr/sbin or /usr/bin)" }),
};

export const NATSFLEET_SERVER: BrokerBinary = {
  name: "natsfleet-server",
  command: process.execPath,
  args: [path.join(REPO, "bin/natsfleet-server.js")],
  ...(fs.existsSync(path.join(REPO, "dist/broker/main.js")) ? {} : { unavailable: "dist/broker/main.js is missing (run `npm run build` once the broker exists)" }),
};

/** Free loopback ports: the one implementation, which never hands out a port twice in a row. */
export { freePorts };

/** The model with every opened listener of every server moved to a free port. */
export async function onFreePorts(model: Topology): Promise<Topology> {
  const servers = allServers(model).map((s) => s.server);
  const needed = servers.reduce((n, s) => n + LISTENERS.filter((l) => s.ports[l] !== 0).length, 0);
  const ports = await freePorts(needed);
  const assign: Record<string, Partial<Ports>> = {};
  let k = 0;
  for (const s of servers) {
    const p: Partial<Ports> = {};
    for (const l of LISTENERS) if (s.ports[l] !== 0) p[l] = ports[k++]!;
    assign[s.name] = p;
  }
  return withServerPorts(model, assign);
}

/** GET a monitoring endpoint as JSON (no keep-alive, so no socket outlives the call). */
export function getJson<T = Record<string, unknown>>(port: number, p: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: p, agent: false, timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(new Error(`GET ${p} on ${port}: not JSON (${res.statusCode}): ${body.slice(0, 200)}`));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${p} on ${port}: timeout`)));
    req.on("error", reject);
  });
}

/** Poll until `check` returns true (or throw with the last reason it gave). */
export async function waitFor(what: string, check: () => Promise<true | string>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "not checked yet";
  while (Date.now() < deadline) {
    try {
      const r = await check();
      if (r === true) return;
      last = r;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}: ${last}`);
}

interface GatewayzLike {
  outbound_gateways?: Record<string, { connection?: unknown }>;
  inbound_gateways?: Record<string, unknown[]>;
}

export interface RunningServer {
  name: string;
  ports: Ports;
  process: ChildProcess;
  logFile: string;
  exited: boolean;
}

/** A started topology. `stop()` must be called (in `after`). */
export class RunningTopology {
  readonly servers = new Map<string, RunningServer>();
  constructor(
    readonly model: Topology,
    readonly dir: string,
  ) {}

  server(name: string): RunningServer {
    const s = this.servers.get(name);
    if (!s) throw new Error(`no running server ${name}`);
    return s;
  }

  /** Last lines of every server's log, for failure messages. */
  logs(lines = 15): string {
    const out: string[] = [];
    for (const s of this.servers.values()) {
      const text = fs.existsSync(s.logFile) ? fs.readFileSync(s.logFile, "utf8").trim().split("\n").slice(-lines) : [];
      out.push(`--- ${s.name}${s.exited ? " (exited)" : ""}\n${text.join("\n")}`);
    }
    return out.join("\n");
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.servers.values()].map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.exited) return resolve();
            const kill = setTimeout(() => s.process.kill("SIGKILL"), 5000);
            s.process.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            s.process.kill("SIGTERM");
          }),
      ),
    );
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Render `model` (already on free ports) with `secrets`, write the files and start every server. */
export async function startTopology(model: Topology, secrets: Record<string, string>, binary: BrokerBinary): Promise<RunningTopology> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-e2e-"));
  const configs = render(model, { addresses: localAddresses(model), secrets });
  const running = new RunningTopology(model, dir);
  for (const { server } of allServers(model)) {
    const conf = path.join(dir, `${server.name}.conf`);
    fs.writeFileSync(conf, configs[server.name]!);
    const logFile = path.join(dir, `${server.name}.log`);
    const log = fs.openSync(logFile, "w");
    const child = spawn(binary.command, [...binary.args, "-c", conf], { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    const entry: RunningServer = { name: server.name, ports: server.ports, process: child, logFile, exited: false };
    child.once("exit", () => (entry.exited = true));
    running.servers.set(server.name, entry);
  }
  try {
    for (const s of running.servers.values()) {
      await waitFor(`${s.name} monitoring`, async () => {
        if (s.exited) throw new Error(`${s.name} exited`);
        await getJson(s.ports.http, "/varz");
        return true;
      });
    }
  } catch (err) {
    const logs = running.logs();
    await running.stop();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
  return running;
}

/** Wait until every route, gateway and leaf link the model declares is up, per monitoring. */
export async function waitForLinks(t: RunningTopology, timeoutMs = 20000): Promise<void> {
  const { model } = t;
  const checks: Array<[string, () => Promise<true | string>]> = [];
  for (const c of [...model.clusters, ...model.leafnodes]) {
    if (c.servers.length < 2) continue;
    for (const s of c.servers) {
      checks.push([
        `${s.name} routes`,
        async () => {
          const r = await getJson<{ num_routes: number }>(s.ports.http, "/routez");
          return r.num_routes >= c.servers.length - 1 || `${s.name}: ${r.num_routes} of ${c.servers.length - 1} routes`;
        },
      ]);
    }
  }
  if (model.gateways.enabled) {
    for (const c of model.clusters) {
      const others = model.clusters.filter((o) => o.name !== c.name);
      // Each server dials one server of every other cluster...
      for (const s of c.servers) {
        checks.push([
          `${s.name} outbound gateways`,
          async () => {
            const g = await getJson<GatewayzLike>(s.ports.http, "/gatewayz");
            const missing = others.filter((o) => !g.outbound_gateways?.[o.name]?.connection).map((o) => o.name);
            return missing.length === 0 || `${s.name}: no outbound gateway to ${missing.join(", ")}`;
          },
        ]);
      }
      // ...so a cluster as a whole receives one inbound connection per server of each other cluster.
      checks.push([
        `${c.name} inbound gateways`,
        async () => {
          const counts = new Map<string, number>();
          for (const s of c.servers) {
            const g = await getJson<GatewayzLike>(s.ports.http, "/gatewayz");
            for (const [from, conns] of Object.entries(g.inbound_gateways ?? {})) counts.set(from, (counts.get(from) ?? 0) + conns.length);
          }
          const short = others.filter((o) => (counts.get(o.name) ?? 0) < o.servers.length).map((o) => `${o.name} ${counts.get(o.name) ?? 0}/${o.servers.length}`);
          return short.length === 0 || `${c.name}: inbound gateways short: ${short.join(", ")}`;
        },
      ]);
    }
  }
  // every server of a group with an external hub holds its own link to it
  for (const g of [...model.clusters, ...model.leafnodes].filter((x) => x.externalHub)) {
    for (const s of g.servers) {
      checks.push([
        `${s.name} leaf link to ${g.externalHub!.urls[0]}`,
        async () => {
          const z = await getJson<{ leafs?: Array<{ port?: number }> }>(s.ports.http, "/leafz");
          const hubPorts = g.externalHub!.urls.map((u) => Number(new URL(u).port));
          return (z.leafs ?? []).some((l) => hubPorts.includes(l.port ?? -1)) || `${s.name}: no leaf connection to ${g.externalHub!.urls.join(", ")}`;
        },
      ]);
    }
  }
  for (const l of model.leafnodes) {
    if (l.hub === undefined) continue;
    for (const s of l.servers) {
      checks.push([
        `${s.name} leaf link`,
        async () => {
          const z = await getJson<{ leafnodes: number }>(s.ports.http, "/leafz");
          return z.leafnodes >= 1 || `${s.name}: no leaf connection to ${l.hub}`;
        },
      ]);
    }
    const hub = model.clusters.find((c) => c.name === l.hub)!;
    checks.push([
      `${l.name} seen by hub ${hub.name}`,
      async () => {
        let n = 0;
        for (const s of hub.servers) n += (await getJson<{ leafnodes: number }>(s.ports.http, "/leafz")).leafnodes;
        return n >= l.servers.length || `hub ${hub.name} has ${n} leaf connections`;
      },
    ]);
  }
  try {
    for (const [what, check] of checks) await waitFor(what, check, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${t.logs()}`);
  }
}
