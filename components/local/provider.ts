/**
 * The local target's Pulumi dynamic provider: one `LocalServer` resource per broker process.
 *
 * Pulumi serializes the provider object's closure and runs it in a separate process, so the
 * methods capture only the absolute path of the process manager (a string) and require() it
 * when called; a relative require would resolve against Pulumi's own folder there.
 */
import * as pulumi from "@pulumi/pulumi";
import type { BrokerKind, ServerPorts, ServerSpec, ManagerOptions } from "./processes";

/** Absolute path of ./processes (the .ts file under ts-node, the .js file in dist/). */
const PROCESSES_MODULE: string = require.resolve("./processes");

/** A LocalServer's inputs once resolved: what the provider methods receive. */
export interface LocalServerInputs {
  /** Server name (file base name in the state folder). */
  name: string;
  config: string;
  broker: BrokerKind;
  ports: ServerPorts;
  stateDir: string;
  host?: string;
  /** Process manager timeouts; tests shorten them. */
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
  reloadTimeoutMs?: number;
}

/** A LocalServer's outputs: its inputs plus what the process manager reports. */
export interface LocalServerOutputs extends LocalServerInputs {
  pid: number;
  clientUrl: string;
  monitorUrl?: string;
  confPath: string;
  logPath: string;
  /** What the last create/update did: started, unchanged, reloaded or restarted. */
  lastAction: string;
}

/** Inputs whose change means a different server: a new one is created after the old is deleted. */
const REPLACE_KEYS = ["name", "stateDir"];
/** Every input the provider compares. */
const DIFF_KEYS = ["name", "stateDir", "config", "broker", "ports", "host", "readyTimeoutMs", "stopTimeoutMs", "reloadTimeoutMs"];

/**
 * Builds the provider. `modulePath` is the process manager's absolute path; tests pass the
 * same default. Kept a factory (not a class) so the serialized closure holds only strings.
 */
export function makeLocalServerProvider(modulePath: string = PROCESSES_MODULE): pulumi.dynamic.ResourceProvider {
  const replaceKeys = REPLACE_KEYS;
  const diffKeys = DIFF_KEYS;

  const specOf = (p: LocalServerInputs): ServerSpec => ({
    name: p.name,
    config: p.config,
    broker: p.broker,
    ports: p.ports,
    stateDir: p.stateDir,
    host: p.host,
  });
  const optsOf = (p: LocalServerInputs): ManagerOptions => ({
    readyTimeoutMs: p.readyTimeoutMs,
    stopTimeoutMs: p.stopTimeoutMs,
    reloadTimeoutMs: p.reloadTimeoutMs,
  });
  const outputsOf = (p: LocalServerInputs, r: { pid: number; action: string; files: { conf: string; log: string } }): LocalServerOutputs => {
    const host = p.host ?? "127.0.0.1";
    const out: LocalServerOutputs = {
      ...p,
      pid: r.pid,
      clientUrl: `nats://${host}:${p.ports.client}`,
      confPath: r.files.conf,
      logPath: r.files.log,
      lastAction: r.action,
    };
    if (p.ports.monitor) out.monitorUrl = `http://${host}:${p.ports.monitor}`;
    return out;
  };
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

  return {
    async check(olds: LocalServerInputs, news: LocalServerInputs) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      if (typeof news.name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(news.name)) {
        failures.push({ property: "name", reason: `must be letters, digits, '_', '.', '-', got ${JSON.stringify(news.name)}` });
      }
      if (news.broker !== "natsfleet" && news.broker !== "nats-server") {
        failures.push({ property: "broker", reason: `must be natsfleet or nats-server, got ${JSON.stringify(news.broker)}` });
      }
      if (typeof news.config !== "string" || news.config.length === 0) failures.push({ property: "config", reason: "is empty" });
      if (typeof news.stateDir !== "string" || news.stateDir.length === 0) failures.push({ property: "stateDir", reason: "is required" });
      const ports = news.ports ?? ({} as ServerPorts);
      if (!Number.isInteger(ports.client)) failures.push({ property: "ports", reason: "ports.client is required" });
      for (const [k, v] of Object.entries(ports)) {
        if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 65535)) {
          failures.push({ property: "ports", reason: `ports.${k} must be 1-65535, got ${v}` });
        }
      }
      return { inputs: news, failures };
    },

    async diff(id: string, olds: LocalServerOutputs, news: LocalServerInputs) {
      const changed = diffKeys.filter((k) => !same((olds as unknown as Record<string, unknown>)[k], (news as unknown as Record<string, unknown>)[k]));
      const replaces = changed.filter((k) => replaceKeys.includes(k));
      // the same name and state folder cannot run twice: the old process must go first
      return { changes: changed.length > 0, replaces, deleteBeforeReplace: replaces.length > 0, stables: ["name", "stateDir"].filter((k) => !replaces.includes(k)) };
    },

    async create(inputs: LocalServerInputs) {
      const pm = require(modulePath) as typeof import("./processes");
      const r = await pm.ensureServer(specOf(inputs), optsOf(inputs));
      return { id: `${inputs.stateDir}#${inputs.name}`, outs: outputsOf(inputs, r) };
    },

    async update(id: string, olds: LocalServerOutputs, news: LocalServerInputs) {
      // ensureServer reloads on a config-only change and restarts when broker or ports moved
      const pm = require(modulePath) as typeof import("./processes");
      const r = await pm.ensureServer(specOf(news), optsOf(news));
      return { outs: outputsOf(news, r) };
    },

    async delete(id: string, props: LocalServerOutputs) {
      const pm = require(modulePath) as typeof import("./processes");
      await pm.stopServer(props.stateDir, props.name, { stopTimeoutMs: props.stopTimeoutMs, removeConfig: true });
    },

    async read(id: string, props: LocalServerOutputs) {
      // a server whose process is gone reads as deleted, so the next `up` starts it again
      const pm = require(modulePath) as typeof import("./processes");
      const st = await pm.serverStatus(props.stateDir, props.name);
      if (!st.running || st.pid === undefined) return {};
      return { id, props: { ...props, pid: st.pid } };
    },
  };
}

/** The single provider instance: Pulumi caches a provider's serialization per object. */
export const localServerProvider: pulumi.dynamic.ResourceProvider = makeLocalServerProvider();

/** Inputs of a LocalServer resource (each may be an Output, e.g. a config with secrets). */
export type LocalServerArgs = { [K in keyof LocalServerInputs]: pulumi.Input<LocalServerInputs[K]> };

/** One local broker process, managed by the dynamic provider. */
export class LocalServer extends pulumi.dynamic.Resource {
  public readonly pid!: pulumi.Output<number>;
  public readonly clientUrl!: pulumi.Output<string>;
  public readonly monitorUrl!: pulumi.Output<string | undefined>;
  public readonly confPath!: pulumi.Output<string>;
  public readonly logPath!: pulumi.Output<string>;
  public readonly config!: pulumi.Output<string>;

  constructor(name: string, args: LocalServerArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      localServerProvider,
      name,
      { pid: undefined, clientUrl: undefined, monitorUrl: undefined, confPath: undefined, logPath: undefined, lastAction: undefined, ...args },
      // the config text embeds account passwords
      { ...opts, additionalSecretOutputs: ["config", ...(opts?.additionalSecretOutputs ?? [])] },
      undefined,
      "LocalServer",
    );
  }
}
