/**
 * Target `local`: every server is a broker process on this machine, run by the LocalServer
 * dynamic resource. Addresses are the target's host; ports come from the model unless a
 * `ports` hook moves them (tests use free ports; the model's are fixed well-known ones).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Ports, ServerModel } from "../topology/model";
import type { Allocation, DeployRequest, DeployedServer, NodeGroup, Target } from "../target";
import { LocalServer } from "./provider";
import type { ServerPorts } from "./processes";

/** Options of the local target. */
export interface LocalTargetOptions {
  /** Folder for the servers' conf, log and pid files (absolute, so the provider process agrees). */
  stateDir: string;
  /** Replaces a server's ports (keep 0 for listeners the model does not open). */
  ports?: (server: ServerModel, group: NodeGroup) => Ports;
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
  reloadTimeoutMs?: number;
}

/** The process manager's view of a model's ports: unopened (0) listeners left out. */
export function processPorts(p: Ports): ServerPorts {
  const out: ServerPorts = { client: p.client };
  if (p.http) out.monitor = p.http;
  if (p.cluster) out.cluster = p.cluster;
  if (p.gateway) out.gateway = p.gateway;
  if (p.leafnode) out.leafnode = p.leafnode;
  return out;
}

function hostOf(group: NodeGroup): string {
  return group.target.kind === "local" ? group.target.host : "127.0.0.1";
}

export class LocalTarget implements Target {
  readonly kind = "local" as const;

  constructor(private readonly opts: LocalTargetOptions) {}

  allocate(group: NodeGroup): Allocation {
    const host = hostOf(group);
    const alloc: Allocation = { addresses: {}, listenHosts: {} };
    if (this.opts.ports) alloc.ports = {};
    for (const server of group.servers) {
      alloc.addresses[server.name] = { host, advertise: host };
      alloc.listenHosts![server.name] = host;
      if (alloc.ports) alloc.ports[server.name] = this.opts.ports!(server, group);
    }
    return alloc;
  }

  deploy(req: DeployRequest): DeployedServer[] {
    const host = hostOf(req.group);
    return req.group.servers.map((server) => {
      const ports = req.ports[server.name] ?? server.ports;
      const args = {
        name: server.name,
        config: req.configs[server.name],
        broker: req.group.broker,
        ports: processPorts(ports),
        stateDir: this.opts.stateDir,
        host,
        ...(this.opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: this.opts.readyTimeoutMs } : {}),
        ...(this.opts.stopTimeoutMs !== undefined ? { stopTimeoutMs: this.opts.stopTimeoutMs } : {}),
        ...(this.opts.reloadTimeoutMs !== undefined ? { reloadTimeoutMs: this.opts.reloadTimeoutMs } : {}),
      };
      const res = new LocalServer(`${req.prefix}-${server.name}`, args, { parent: req.parent });
      // derived from the resource so a URL is only exported once its server exists
      const deployed: DeployedServer = {
        name: server.name,
        clientUrl: res.id.apply(() => `nats://${host}:${ports.client}`),
        resources: [res],
      };
      if (ports.http) deployed.monitorUrl = res.id.apply(() => `http://${host}:${ports.http}`);
      return deployed;
    });
  }
}
