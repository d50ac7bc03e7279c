/**
 * The local runner behind `natsfleet up/down/status`: the local target without Pulumi.
 * It renders configs with the same renderer, runs them with the same process manager, and
 * keeps generated secrets in the state folder (Pulumi keeps them in its state instead).
 */
import * as fs from "fs";
import * as path from "path";
import type { BrokerKind, ClusterModel, LeafNodeModel, Ports, Topology } from "../topology/model";
import { render } from "../topology/render";
import { resolveSecrets } from "../topology/addresses";
import { readHubCredentials } from "../common/hub-credentials";
import { ensureServer, stopServer, serverStatus, listServers, defaultStateDir, ManagerOptions, ServerSpec, StartResult, StopResult, ServerStatus } from "./processes";
import { processPorts } from "./target";
import { getJson } from "./http";

type Group = ClusterModel | LeafNodeModel;

/** A local server and where it belongs. */
export interface PlannedServer {
  spec: ServerSpec;
  group: string;
  groupKind: "cluster" | "leafnode";
  ports: Ports;
}

/** What `natsfleet up` would run. */
export interface LocalPlan {
  stateDir: string;
  servers: PlannedServer[];
  /** Groups on other targets, which the local runner cannot run (`clusters[0] (aws)`). */
  skipped: string[];
}

export interface PlanOptions {
  stateDir: string;
  /** Run every server with this broker instead of the declared one. */
  broker?: BrokerKind;
  /**
   * False for down/status, which need names and ports only: no config is rendered (specs get
   * an empty config) and no secret is generated or written.
   */
  render?: boolean;
}

const SECRETS_FILE = "secrets.json";

/** Secrets by key: declared values, else the ones kept in the state folder, else new ones (then kept). */
export function localSecrets(topology: Topology, stateDir: string): Record<string, string> {
  const file = path.join(stateDir, SECRETS_FILE);
  let kept: Record<string, string> = {};
  try {
    kept = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
  } catch {
    // first run, or an unreadable file: generate afresh
  }
  const { secrets, generated } = resolveSecrets(topology, kept);
  if (generated.length) {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const fresh = Object.fromEntries(generated.map((k) => [k, secrets[k]]));
    // owner-only: these are the passwords of every account and link
    fs.writeFileSync(file, JSON.stringify({ ...kept, ...fresh }, null, 2) + "\n", { mode: 0o600 });
  }
  return secrets as Record<string, string>;
}

function groupsWithPath(t: Topology): Array<{ g: Group; path: string }> {
  return [
    ...t.clusters.map((g, i) => ({ g: g as Group, path: `clusters[${i}]` })),
    ...t.leafnodes.map((g, i) => ({ g: g as Group, path: `leafnodes[${i}]` })),
  ];
}

/**
 * Which stack a file stands for: `Pulumi.<stack>.yaml` gives `<stack>` (so `natsfleet up` and
 * `pulumi up` of the same stack share `.natsfleet/<stack>/`); any other file, the topology's name.
 */
export function stackNameFor(file: string, topology: Topology): string {
  const m = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file));
  return m ? m[1] : topology.name;
}

/** The state folder for a topology file: `--state-dir`, else `.natsfleet/<stack>` under `cwd`. */
export function stateDirFor(file: string, topology: Topology, cwd: string, explicit?: string): string {
  return explicit ? path.resolve(cwd, explicit) : defaultStateDir(stackNameFor(file, topology), cwd);
}

/** Checks a `--broker` value; undefined when not given. */
export function brokerOption(value: string | undefined): BrokerKind | undefined {
  if (value === undefined) return undefined;
  if (value !== "natsfleet" && value !== "nats-server") throw new Error(`--broker must be natsfleet or nats-server, got "${value}"`);
  return value;
}

/** Every local server with its rendered config (unless `render: false`) and how to run it. */
export function planLocal(topology: Topology, opts: PlanOptions): LocalPlan {
  const stateDir = path.resolve(opts.stateDir);
  const local = groupsWithPath(topology).filter(({ g }) => g.target.kind === "local");
  const skipped = groupsWithPath(topology)
    .filter(({ g }) => g.target.kind !== "local")
    .map(({ g, path: p }) => `${p} "${g.name}" (target ${g.target.kind})`);
  if (local.length === 0) return { stateDir, servers: [], skipped };
  const addresses: Record<string, { host: string; advertise: string }> = {};
  const listenHosts: Record<string, string> = {};
  for (const { g } of local) {
    const host = g.target.kind === "local" ? g.target.host : "127.0.0.1";
    for (const s of g.servers) {
      addresses[s.name] = { host, advertise: host };
      listenHosts[s.name] = host;
    }
  }
  // with groups on other targets, render only ours (their addresses are then still needed,
  // and the renderer names each one it lacks)
  const only = skipped.length ? { servers: Object.keys(addresses) } : {};
  // a missing .creds file fails here, naming the topology path, not in a server's log
  if (opts.render !== false) readHubCredentials({ ...topology, clusters: topology.clusters.filter((c) => c.target.kind === "local"), leafnodes: topology.leafnodes.filter((l) => l.target.kind === "local") });
  const configs = opts.render === false ? {} : render(topology, { addresses, secrets: localSecrets(topology, stateDir), listenHosts }, only);
  const servers: PlannedServer[] = [];
  for (const { g } of local) {
    const host = g.target.kind === "local" ? g.target.host : "127.0.0.1";
    for (const s of g.servers) {
      servers.push({
        spec: { name: s.name, config: configs[s.name] ?? "", broker: opts.broker ?? g.broker, ports: processPorts(s.ports), stateDir, host },
        group: g.name,
        groupKind: g.kind,
        ports: s.ports,
      });
    }
  }
  return { stateDir, servers, skipped };
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping order; collects failures. */
async function eachLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<Array<{ ok: true; value: R } | { ok: false; error: Error }>> {
  const out: Array<{ ok: true; value: R } | { ok: false; error: Error }> = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { ok: true, value: await fn(items[i]) };
      } catch (e) {
        out[i] = { ok: false, error: e as Error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface UpReport {
  started: StartResult[];
  /** Servers running in the state folder that the topology no longer has. */
  pruned: StopResult[];
  failed: Array<{ name: string; error: string }>;
}

/** Start, reload or restart every planned server; stop the state folder's servers the plan dropped. */
export async function upLocal(plan: LocalPlan, opts: ManagerOptions = {}): Promise<UpReport> {
  const wanted = new Set(plan.servers.map((s) => s.spec.name));
  const stale = listServers(plan.stateDir).filter((n) => !wanted.has(n));
  const pruned = await Promise.all(stale.map((n) => stopServer(plan.stateDir, n, { ...opts, removeConfig: true })));
  const results = await eachLimited(plan.servers, 8, (s) => ensureServer(s.spec, opts));
  const report: UpReport = { started: [], pruned: pruned.filter((p) => p.stopped), failed: [] };
  results.forEach((r, i) => {
    if (r.ok) report.started.push(r.value);
    else report.failed.push({ name: plan.servers[i].spec.name, error: r.error.message });
  });
  return report;
}

/** Stop every planned server and anything else left running in the state folder. */
export async function downLocal(plan: LocalPlan, opts: ManagerOptions = {}): Promise<StopResult[]> {
  const names = new Set([...plan.servers.map((s) => s.spec.name), ...listServers(plan.stateDir)]);
  return Promise.all([...names].map((n) => stopServer(plan.stateDir, n, { ...opts, removeConfig: true })));
}

/** A server's links as its monitoring endpoints report them. */
export interface LinkStatus {
  name: string;
  group: string;
  groupKind: "cluster" | "leafnode";
  process: ServerStatus;
  clientUrl: string;
  monitorUrl?: string;
  version?: string;
  connections?: number;
  /** Routes up / routes expected (the other servers of the cluster). */
  routes?: { up: number; expected: number };
  /** Gateways with an outbound connection / the other clusters expected. */
  gateways?: { up: string[]; expected: string[] };
  /** Leaf node connections (hub side: accepted; leaf side: to the hub). */
  leafs?: { count: number; accounts: string[] };
  /** What could not be read from the monitoring endpoints. */
  error?: string;
}

/** Process state plus /varz, /routez, /gatewayz, /leafz for every planned server. */
export async function statusLocal(plan: LocalPlan, topology: Topology): Promise<LinkStatus[]> {
  const clusterSize = new Map(topology.clusters.map((c) => [c.name, c.servers.length]));
  const gatewayNames = topology.gateways.enabled ? topology.clusters.map((c) => c.name) : [];
  return Promise.all(
    plan.servers.map(async (s): Promise<LinkStatus> => {
      const host = s.spec.host ?? "127.0.0.1";
      const proc = await serverStatus(plan.stateDir, s.spec.name);
      const st: LinkStatus = {
        name: s.spec.name,
        group: s.group,
        groupKind: s.groupKind,
        process: proc,
        clientUrl: `nats://${host}:${s.ports.client}`,
      };
      if (!s.ports.http) return st;
      const base = `http://${host}:${s.ports.http}`;
      st.monitorUrl = base;
      if (!proc.running) return st;
      try {
        const [varz, routez, gatewayz, leafz] = await Promise.all([
          getJson<Record<string, any>>(`${base}/varz`),
          getJson<Record<string, any>>(`${base}/routez`),
          getJson<Record<string, any>>(`${base}/gatewayz`),
          getJson<Record<string, any>>(`${base}/leafz`),
        ]);
        st.version = varz.version;
        st.connections = varz.connections;
        if (s.groupKind === "cluster") {
          st.routes = { up: Number(routez.num_routes ?? 0), expected: (clusterSize.get(s.group) ?? 1) - 1 };
          const out = (gatewayz.outbound_gateways ?? {}) as Record<string, { connection?: unknown }>;
          st.gateways = {
            up: Object.keys(out).filter((k) => out[k]?.connection).sort(),
            expected: gatewayNames.filter((n) => n !== s.group).sort(),
          };
        }
        const leafs = (leafz.leafs ?? []) as Array<{ account?: string }>;
        st.leafs = { count: Number(leafz.leafnodes ?? leafs.length), accounts: [...new Set(leafs.map((l) => l.account ?? "?"))].sort() };
      } catch (e) {
        st.error = (e as Error).message;
      }
      return st;
    }),
  );
}

/** True when a server is up and every link it should have is there. */
export function linksComplete(st: LinkStatus, leafnodeServer = st.groupKind === "leafnode"): boolean {
  if (!st.process.running || !st.process.healthy || st.error) return false;
  if (st.routes && st.routes.up < st.routes.expected) return false;
  if (st.gateways && st.gateways.expected.some((g) => !st.gateways!.up.includes(g))) return false;
  if (leafnodeServer && st.monitorUrl && (st.leafs?.count ?? 0) < 1) return false;
  return true;
}
