/**
 * `Cluster`: one cluster of the topology (its servers, routed together) on one target.
 * Built by SuperCluster after configs are rendered; the target creates the servers.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterModel, Ports } from "./topology/model";
import type { DeployContext, DeployedServer, Target } from "./target";
import { groupOutputs, GroupOutputs } from "./group";

export interface ClusterArgs {
  model: ClusterModel;
  target: Target;
  /** Server name -> rendered config (secret). */
  configs: Record<string, pulumi.Output<string>>;
  /** Server name -> ports after allocation. */
  ports: Record<string, Ports>;
  /** The whole topology and its addresses, handed to the target (firewalls). */
  context?: DeployContext;
  /** The external hub's `.creds` contents (secret), when the group has one with credentials. */
  hubCredentials?: pulumi.Output<string>;
}

export class Cluster extends pulumi.ComponentResource {
  /** Client URLs of the cluster's servers, in server order. */
  public readonly clientUrls!: pulumi.Output<string[]>;
  /** Server name -> monitoring URL. */
  public readonly monitorUrls!: pulumi.Output<Record<string, string>>;
  public readonly serverNames!: string[];
  public readonly servers!: DeployedServer[];

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("natsfleet:index:Cluster", name, {}, opts);
    Object.assign(this, createCluster(name, this, args));
    this.registerOutputs({ clientUrls: this.clientUrls, monitorUrls: this.monitorUrls, serverNames: this.serverNames });
  }
}

/** The cluster's servers, deployed by its target as children of `self`. */
export function createCluster(name: string, self: pulumi.ComponentResource, args: ClusterArgs): GroupOutputs {
  const servers = args.target.deploy({ group: args.model, configs: args.configs, ports: args.ports, parent: self, prefix: name, ...(args.context ? { context: args.context } : {}), ...(args.hubCredentials ? { hubCredentials: args.hubCredentials } : {}) });
  return groupOutputs(servers);
}
