/**
 * The Pulumi program behind `Pulumi.yaml`: read `natsfleet:topology` from the stack config
 * and build a SuperCluster. Kept a function (index.ts only calls it) so tests can run it
 * once per scenario under mocks without re-importing a module.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { SuperCluster } from "./supercluster";
import { TopologyError } from "./topology/errors";
import type { TargetRegistry } from "./target";
import type { LocalTargetOptions } from "./local/target";

/** The stack outputs. */
export interface ProgramOutputs {
  clientUrls: pulumi.Output<Record<string, string[]>>;
  leafnodeUrls: pulumi.Output<Record<string, string[]>>;
  monitorUrls: pulumi.Output<Record<string, string>>;
  serverNames: pulumi.Output<string[]>;
  userPasswords: pulumi.Output<Record<string, string>>;
  /** With `dns` declared: `nats://<dns.name>:<client port>`, the closest healthy cluster. */
  dnsUrl?: pulumi.Output<string>;
  /** With `dns` declared: cluster name -> `nats://<cluster>.<dns.name>:<client port>`. */
  dnsClusterUrls?: pulumi.Output<Record<string, string>>;
}

/** Hooks for tests and embedders; the CLI-run program passes none. */
export interface ProgramOptions {
  targets?: TargetRegistry;
  local?: Partial<LocalTargetOptions>;
}

export function program(options: ProgramOptions = {}): ProgramOutputs {
  const config = new pulumi.Config("natsfleet");
  const topology = config.requireObject<Record<string, unknown>>("topology");
  // `natsfleet:stateDir` moves the local servers' files (default .natsfleet/<stack>)
  const stateDir = config.get("stateDir");
  const local: Partial<LocalTargetOptions> = { ...options.local };
  if (stateDir && !local.stateDir) local.stateDir = path.resolve(stateDir);
  const name = typeof topology?.name === "string" ? topology.name : "natsfleet";
  let sc: SuperCluster;
  try {
    sc = new SuperCluster(name, { topology, targets: options.targets, local, ...hubCredentialsConfig(config) });
  } catch (err) {
    // RunError: Pulumi prints the message alone, not the program's source and a stack trace
    if (err instanceof TopologyError) throw new pulumi.RunError(`natsfleet:topology of stack ${pulumi.getStack()}: ${err.message}`);
    throw err;
  }
  return {
    clientUrls: sc.clientUrls,
    leafnodeUrls: sc.leafnodeUrls,
    monitorUrls: sc.monitorUrls,
    serverNames: sc.serverNames,
    userPasswords: sc.userPasswords,
    ...(sc.dnsUrl ? { dnsUrl: sc.dnsUrl, dnsClusterUrls: sc.dnsClusterUrls } : {}),
  };
}

/**
 * `natsfleet:hubCredentials`: group name -> `.creds` contents of its external hub, set as a
 * secret (`pulumi config set --secret --path 'natsfleet:hubCredentials.shop-1' "$(cat ngs.creds)"`).
 * The engine hands the program decrypted values; they are secrets again from here on.
 */
function hubCredentialsConfig(config: pulumi.Config): { hubCredentials?: Record<string, pulumi.Output<string>> } {
  const raw = config.getObject<Record<string, unknown>>("hubCredentials");
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new pulumi.RunError("natsfleet:hubCredentials must map cluster or leaf node names to .creds contents");
  const out: Record<string, pulumi.Output<string>> = {};
  for (const [group, value] of Object.entries(raw)) {
    if (typeof value !== "string") throw new pulumi.RunError(`natsfleet:hubCredentials.${group} must be the .creds file's text`);
    out[group] = pulumi.secret(value);
  }
  return { hubCredentials: out };
}
