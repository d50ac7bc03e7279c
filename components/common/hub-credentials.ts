/**
 * The `.creds` files of external hubs, read where a deployment starts (this machine) so a
 * missing or malformed file fails the deployment with the topology path, not a server on a
 * machine far away. Cloud targets ship the contents as a secret; the local target points the
 * config at the file itself.
 */
import * as fs from "fs";
import type { ExternalHubModel, Topology } from "../topology/model";
import type { TopologyIssue } from "../topology/errors";
import { TopologyError } from "../topology/errors";
import { isCredentialsContents } from "../topology/external-hub";

/** Where a VM keeps the hub's credentials (a channel file under /etc/natsfleet). */
export const CHANNEL_CREDS = "hub.creds";
/** The same file's path on the VM (the bootstrap installs channel files under /etc/natsfleet). */
export const VM_CREDS_FILE = `/etc/natsfleet/${CHANNEL_CREDS}`;

/** Group name -> the `.creds` contents of its external hub. Throws a TopologyError naming each bad one. */
export function readHubCredentials(model: Topology): Map<string, string> {
  const out = new Map<string, string>();
  const issues: TopologyIssue[] = [];
  for (const g of [...model.clusters, ...model.leafnodes]) {
    const hub: ExternalHubModel | undefined = g.externalHub;
    // contents given to the SuperCluster as a Pulumi Input are not on this machine
    if (!hub?.credentials || "input" in hub.credentials) continue;
    const at = [...hub.path, "credentials"];
    if ("contents" in hub.credentials) {
      out.set(g.name, hub.credentials.contents);
      continue;
    }
    let text: string;
    try {
      text = fs.readFileSync(hub.credentials.file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      issues.push({ path: at, message: `cannot read ${hub.credentials.file}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (err as Error).message}` });
      continue;
    }
    if (!isCredentialsContents(text)) {
      issues.push({ path: at, message: `${hub.credentials.file} is not a .creds file (no "BEGIN NATS USER JWT" block)` });
      continue;
    }
    out.set(g.name, text);
  }
  if (issues.length) throw new TopologyError(issues);
  return out;
}
