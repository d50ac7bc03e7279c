/** What Cluster and LeafNode both report about their deployed servers. */
import * as pulumi from "@pulumi/pulumi";
import type { DeployedServer } from "./target";

export interface GroupOutputs {
  clientUrls: pulumi.Output<string[]>;
  monitorUrls: pulumi.Output<Record<string, string>>;
  serverNames: string[];
  servers: DeployedServer[];
}

export function groupOutputs(servers: DeployedServer[]): GroupOutputs {
  const monitors: Record<string, pulumi.Output<string>> = {};
  for (const s of servers) if (s.monitorUrl) monitors[s.name] = s.monitorUrl;
  return {
    clientUrls: pulumi.all(servers.map((s) => s.clientUrl)),
    monitorUrls: pulumi.all(monitors),
    serverNames: servers.map((s) => s.name),
    servers,
  };
}
