/**
 * `SuperCluster`: a whole declared topology. Validates it first (a bad topology registers
 * nothing), makes its secrets, has every target allocate addresses, renders every server's
 * config from all of them at once, then builds one `Cluster` / `LeafNode` per group.
 */
import * as path from "path";
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AddressBook, Ports, TlsFiles, Topology } from "./topology/model";
import { TopologyError, TopologyIssue } from "./topology/errors";
import { validateTopology } from "./topology/validate";
import { renderTopologyOutput } from "./topology/render-output";
import { withServerPorts } from "./topology/ports";
import type { NodeGroup, TargetRegistry } from "./target";
import { dnsRequest } from "./target";
import { dnsPlan } from "./topology/dns";
import { Cluster } from "./cluster";
import { LeafNode } from "./leafnode";
import { LocalTarget, LocalTargetOptions } from "./local/target";
import { kubernetesIfUsed } from "./kubernetes/register";
import { awsIfUsed } from "./aws/register";
import { gcpIfUsed } from "./gcp/register";
import { defaultStateDir } from "./local/processes";
import { TopologyResource, TopologyResourceArgs } from "./topology-resource";
import { normalizeTopology, productionClusters } from "./plan/normalize";
import { readHubCredentials } from "./common/hub-credentials";

export interface SuperClusterArgs {
  /** The declaration, as under `natsfleet:topology` (validated here). */
  topology: unknown;
  /** Platforms by target kind. Default: the local target, and Kubernetes when the topology uses it. */
  targets?: TargetRegistry;
  /** Options of the default local target (ignored when `targets` is given). */
  local?: Partial<LocalTargetOptions>;
  /**
   * With `dns` declared: the target whose DNS service holds the zone (`aws` or `gcp`); it
   * writes every record. Default: stack config `natsfleet:dnsProvider`, else the target of the
   * first cluster on aws or gcp.
   */
  dnsProvider?: string;
  /**
   * Cluster or leaf node name -> the `.creds` contents for its external hub, as a Pulumi Input
   * (e.g. `config.requireSecret("ngsCreds")`): credentials that are secrets in a program rather
   * than a file or a value in the declaration. They replace the declaration's `credentials` and
   * reach the servers as secrets (cloud and Kubernetes targets; the local target reads a file).
   */
  hubCredentials?: Record<string, pulumi.Input<string>>;
}

/** Length of generated passwords: long enough, and no specials so configs need no quoting care. */
const PASSWORD_LENGTH = 32;

export class SuperCluster extends pulumi.ComponentResource {
  /** Validated model the components were built from. */
  public readonly model!: Topology;
  /** Cluster name -> client URLs of its servers. */
  public readonly clientUrls!: pulumi.Output<Record<string, string[]>>;
  /** Leaf node name -> client URLs of its servers. */
  public readonly leafnodeUrls!: pulumi.Output<Record<string, string[]>>;
  /** Server name -> monitoring URL. */
  public readonly monitorUrls!: pulumi.Output<Record<string, string>>;
  /** Every server name, clusters first. */
  public readonly serverNames!: pulumi.Output<string[]>;
  /** `account/user` -> password (secret). */
  public readonly userPasswords!: pulumi.Output<Record<string, string>>;
  public readonly clusters!: Record<string, Cluster>;
  public readonly leafnodes!: Record<string, LeafNode>;
  /** With `dns`: `nats://<dns.name>:<client port>`, the one URL applications need (closest healthy cluster). */
  public readonly dnsUrl?: pulumi.Output<string>;
  /** With `dns`: cluster name -> `nats://<cluster>.<dns.name>:<client port>`. */
  public readonly dnsClusterUrls?: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: SuperClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    // before super(): a topology that fails here registers not even this component
    const model = withProvidedCredentials(validateTopology(args.topology), args.hubCredentials);
    const targets = args.targets ?? { local: new LocalTarget(localOptions(args.local)), ...kubernetesIfUsed(model), ...awsIfUsed(model), ...gcpIfUsed(model) };
    checkTargets(model, targets);
    const dnsProvider = args.dnsProvider ?? new pulumi.Config("natsfleet").get("dnsProvider");
    checkDns(model, targets, dnsProvider);
    super("natsfleet:index:SuperCluster", name, {}, opts);
    Object.assign(this, createSuperCluster(name, this, model, targets, productionClusters(args.topology), dnsProvider, args.hubCredentials));
    this.registerOutputs({
      clientUrls: this.clientUrls,
      leafnodeUrls: this.leafnodeUrls,
      monitorUrls: this.monitorUrls,
      serverNames: this.serverNames,
      userPasswords: this.userPasswords,
      ...(this.dnsUrl ? { dnsUrl: this.dnsUrl, dnsClusterUrls: this.dnsClusterUrls } : {}),
    });
  }
}

function localOptions(o: Partial<LocalTargetOptions> | undefined): LocalTargetOptions {
  return { ...o, stateDir: path.resolve(o?.stateDir ?? defaultStateDir(pulumi.getStack())) };
}

/**
 * The model with `hubCredentials` in place of the declared credentials; a name that is no
 * group with an external hub, or a local group (which reads a file), fails like validation.
 */
export function withProvidedCredentials(model: Topology, provided: Record<string, pulumi.Input<string>> | undefined): Topology {
  if (!provided || Object.keys(provided).length === 0) return model;
  const issues: TopologyIssue[] = [];
  const out = structuredClone(model);
  for (const name of Object.keys(provided)) {
    const g = [...out.clusters, ...out.leafnodes].find((x) => x.name === name);
    if (!g?.externalHub) {
      const withHub = [...out.clusters, ...out.leafnodes].filter((x) => x.externalHub).map((x) => x.name);
      issues.push({ path: ["hubCredentials", name], message: `no cluster or leaf node named "${name}" has an external hub (those with one: ${withHub.join(", ") || "none"})` });
    } else if (g.target.kind === "local") {
      issues.push({ path: ["hubCredentials", name], message: `${name} runs on target local, which reads a .creds file: give hub.credentials a path instead` });
    } else {
      g.externalHub.credentials = { input: true };
    }
  }
  if (issues.length) throw new TopologyError(issues);
  return out;
}

/** Every group's target must be registered; otherwise fail like validation, naming the path. */
export function checkTargets(model: Topology, targets: TargetRegistry): void {
  const available = Object.keys(targets).sort().join(", ") || "none";
  const issues: TopologyIssue[] = [];
  const check = (g: NodeGroup, kind: "clusters" | "leafnodes", i: number) => {
    if (!targets[g.target.kind]) {
      issues.push({ path: [kind, i, "target"], message: `target "${g.target.kind}" is not available here (available: ${available})` });
    }
  };
  model.clusters.forEach((c, i) => check(c, "clusters", i));
  model.leafnodes.forEach((l, i) => check(l, "leafnodes", i));
  if (issues.length) throw new TopologyError(issues);
}

/** With `dns`: a valid DNS plan (else a TopologyError) whose home target can write records. */
export function checkDns(model: Topology, targets: TargetRegistry, dnsProvider?: string): void {
  const plan = dnsPlan(model, dnsProvider);
  if (plan && !targets[plan.home]?.dns) throw new Error(`dns: target ${plan.home} holds zone ${plan.dns.zone} but cannot write DNS records`);
  if (plan) targets[plan.home]!.checkDns?.(plan);
}

/**
 * Resource-name-safe forms of secret keys (`user:APP:app` -> `user-APP-app`). Two keys that
 * flatten alike (`user:A:b-c`, `user:A-b:c`) get a hash suffix so their URNs stay apart;
 * the common case keeps readable, stable names.
 */
export function secretResourceNames(keys: string[]): Map<string, string> {
  const flat = (k: string) => k.replace(/[^A-Za-z0-9_-]+/g, "-");
  const count = new Map<string, number>();
  for (const k of keys) count.set(flat(k), (count.get(flat(k)) ?? 0) + 1);
  return new Map(
    keys.map((k) => [k, count.get(flat(k))! > 1 ? `${flat(k)}-${crypto.createHash("sha256").update(k).digest("hex").slice(0, 8)}` : flat(k)]),
  );
}

interface SuperClusterParts {
  model: Topology;
  clientUrls: pulumi.Output<Record<string, string[]>>;
  leafnodeUrls: pulumi.Output<Record<string, string[]>>;
  monitorUrls: pulumi.Output<Record<string, string>>;
  serverNames: pulumi.Output<string[]>;
  userPasswords: pulumi.Output<Record<string, string>>;
  clusters: Record<string, Cluster>;
  leafnodes: Record<string, LeafNode>;
  dnsUrl?: pulumi.Output<string>;
  dnsClusterUrls?: pulumi.Output<Record<string, string>>;
}

export function createSuperCluster(
  name: string,
  self: pulumi.ComponentResource,
  validated: Topology,
  targets: TargetRegistry,
  production: ReadonlySet<string> = new Set(),
  dnsProvider?: string,
  providedCredentials: Record<string, pulumi.Input<string>> = {},
): SuperClusterParts {
  // secrets: declared values stay as given, the rest are generated once and kept in state
  const secrets: Record<string, pulumi.Output<string>> = {};
  const slugs = secretResourceNames(validated.secrets.map((s) => s.key));
  for (const s of validated.secrets) {
    secrets[s.key] =
      s.value !== undefined
        ? pulumi.secret(s.value)
        : pulumi.secret(new random.RandomPassword(`${name}-${slugs.get(s.key)}`, { length: PASSWORD_LENGTH, special: false }, { parent: self }).result);
  }

  // external hubs' .creds files, read here so a bad path fails before anything is built
  const hubCredentials = new Map<string, pulumi.Output<string>>([...readHubCredentials(validated)].map(([group, text]) => [group, pulumi.secret(text)]));
  for (const [group, input] of Object.entries(providedCredentials)) hubCredentials.set(group, pulumi.secret(input));

  // phase 1: addresses (and, for local servers, the ports really used)
  const groups: NodeGroup[] = [...validated.clusters, ...validated.leafnodes];
  const addresses: AddressBook<pulumi.Input<string>> = {};
  const listenHosts: Record<string, string> = {};
  const movedPorts: Record<string, Ports> = {};
  const tlsFiles: Record<string, TlsFiles> = {};
  const credentialsFiles: Record<string, string> = {};
  for (const g of groups) {
    const alloc = targets[g.target.kind]!.allocate(g, self, `${name}-${g.name}`);
    Object.assign(addresses, alloc.addresses);
    Object.assign(listenHosts, alloc.listenHosts ?? {});
    Object.assign(movedPorts, alloc.ports ?? {});
    Object.assign(tlsFiles, alloc.tlsFiles ?? {});
    Object.assign(credentialsFiles, alloc.credentialsFiles ?? {});
  }
  const model = withServerPorts(validated, movedPorts);

  // phase 2: one render over every resolved address and secret, so configs agree on peers
  const rendered = renderTopologyOutput(model, {
    addresses,
    secrets,
    listenHosts,
    ...(Object.keys(tlsFiles).length ? { tlsFiles } : {}),
    ...(Object.keys(credentialsFiles).length ? { credentialsFiles } : {}),
  });
  // the topology itself as a resource, so previews and policies see topology changes (issue 7)
  new TopologyResource(`${name}-topology`, { topology: normalizeTopology(model, production), addresses: addresses as TopologyResourceArgs["addresses"] }, { parent: self });

  // phase 3: the groups
  const configsOf = (g: NodeGroup) => Object.fromEntries(g.servers.map((s) => [s.name, rendered.apply((all) => all[s.name])]));
  const credsOf = (g: NodeGroup) => (hubCredentials.has(g.name) ? { hubCredentials: hubCredentials.get(g.name)! } : {});
  const portsOf = (g: NodeGroup) => Object.fromEntries(g.servers.map((s) => [s.name, s.ports]));
  const clusters: Record<string, Cluster> = {};
  for (const c of model.clusters) {
    clusters[c.name] = new Cluster(
      `${name}-${c.name}`,
      { model: c, target: targets[c.target.kind]!, configs: configsOf(c), ports: portsOf(c), context: { model, addresses }, ...credsOf(c) },
      { parent: self },
    );
  }
  const leafnodes: Record<string, LeafNode> = {};
  for (const l of model.leafnodes) {
    leafnodes[l.name] = new LeafNode(
      `${name}-${l.name}`,
      { model: l, target: targets[l.target.kind]!, configs: configsOf(l), ports: portsOf(l), context: { model, addresses }, ...credsOf(l) },
      { parent: self },
    );
  }

  // phase 4: closest-cluster DNS, written by the target holding the zone (issue 8)
  const dnsPlanned = dnsPlan(model, dnsProvider);
  const dns = dnsPlanned ? targets[dnsPlanned.home]?.dns?.(dnsRequest(dnsPlanned, addresses, self, name, targets)) : undefined;
  if (dnsPlanned && !dns) throw new Error(`dns: target ${dnsPlanned.home} holds zone ${dnsPlanned.dns.zone} but cannot write DNS records`);

  const urlsBy = (parts: Record<string, Cluster | LeafNode>) => pulumi.all(Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v.clientUrls])));
  const monitors = [...Object.values(clusters), ...Object.values(leafnodes)].map((g) => g.monitorUrls);
  const passwords: Record<string, pulumi.Output<string>> = {};
  for (const a of model.accounts) for (const u of a.users) passwords[`${a.name}/${u.user}`] = secrets[u.secret];

  return {
    model,
    clientUrls: urlsBy(clusters),
    leafnodeUrls: urlsBy(leafnodes),
    monitorUrls: pulumi.all(monitors).apply((ms) => Object.assign({}, ...ms) as Record<string, string>),
    serverNames: pulumi.output(groups.flatMap((g) => g.servers.map((s) => s.name))),
    userPasswords: pulumi.secret(pulumi.all(passwords)),
    clusters,
    leafnodes,
    ...(dns ? { dnsUrl: dns.clientUrl, dnsClusterUrls: dns.clusterUrls } : {}),
  };
}
