/**
 * The contract between the platform-neutral components (SuperCluster, Cluster, LeafNode) and
 * one platform (local processes, AWS, GCP, Kubernetes), each in its own folder.
 *
 * Deployment runs in two phases because configs name peers' addresses and addresses come
 * from the platform: first every target `allocate`s addresses (and, locally, ports) for the
 * servers it hosts; then the configs are rendered from all addresses at once; then each
 * target `deploy`s its servers with their configs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AddressBook, ClusterModel, DnsModel, LeafNodeModel, Ports, ServerAddress, TargetKind, TlsFiles, Topology } from "./topology/model";
import type { DnsPlan } from "./topology/dns";

/** A cluster or a leaf node: what a target deploys. */
export type NodeGroup = ClusterModel | LeafNodeModel;

/** Phase 1 result for one group. */
export interface Allocation {
  /** Server name -> how peers reach it (Outputs for cloud addresses known only after create). */
  addresses: Record<string, ServerAddress<pulumi.Input<string>>>;
  /**
   * Server name -> the ports it will really use, when the target moves them (the local
   * target does for tests and port clashes). Absent: the model's ports stand.
   */
  ports?: Record<string, Ports>;
  /** Listen host per server for the renderer (default: the target's own). */
  listenHosts?: Record<string, string>;
  /** Server name -> where the target puts its certificate files, for TLS blocks (cloud targets). */
  tlsFiles?: Record<string, TlsFiles>;
  /** Server name -> where the target puts the external hub's `.creds` file (cloud targets). */
  credentialsFiles?: Record<string, string>;
}

/** The whole topology as phase 2 sees it: firewalls need the other groups' addresses. */
export interface DeployContext {
  model: Topology;
  addresses: AddressBook<pulumi.Input<string>>;
}

/** One deployed server as the components report it. */
export interface DeployedServer {
  name: string;
  /** `nats://host:port` clients use. */
  clientUrl: pulumi.Output<string>;
  /** `http://host:port` of the monitoring endpoint, when the server has one. */
  monitorUrl?: pulumi.Output<string>;
  /** The resource(s) that make the server real, for dependsOn. */
  resources: pulumi.Resource[];
}

/** Phase 2 input for one group. */
export interface DeployRequest {
  group: NodeGroup;
  /** Server name -> rendered config text (a secret Output: configs carry passwords). */
  configs: Record<string, pulumi.Output<string>>;
  /** The group's ports after allocation. */
  ports: Record<string, Ports>;
  /** The component the servers are children of; children are named `${prefix}-...`. */
  parent: pulumi.Resource;
  prefix: string;
  /** Every group's model and address (set by SuperCluster). */
  context?: DeployContext;
  /** The `.creds` contents of the group's external hub (secret), for targets that ship files. */
  hubCredentials?: pulumi.Output<string>;
}

/** One cluster as DNS sees it. */
export interface DnsCluster {
  group: ClusterModel;
  /** Its own name, `<cluster>.<dns.name>`. */
  name: string;
  /** Client port of that name. */
  clientPort: number;
  /** Server name -> the address clients reach it at (its advertised, public address). */
  addresses: Record<string, pulumi.Input<string>>;
}

/**
 * Closest-cluster DNS for the target whose DNS service holds the zone (see DnsPlan.home):
 * it writes every record of the topology.
 */
export interface DnsRequest {
  dns: DnsModel;
  /** This target's clusters: each answers for the client name in its own region, and has its own name. */
  own: DnsCluster[];
  /**
   * The other DNS target's clusters: they answer for the client name too, in the nearest
   * region of this target's cloud, and have their own names, all in this target's zone.
   */
  foreign: DnsCluster[];
  /** Port of the client URL (every cluster's client port). */
  clientPort: number;
  /** The SuperCluster: records are its children (they span clusters), named `${prefix}-dns-...`. */
  parent: pulumi.Resource;
  prefix: string;
  /**
   * Opens the monitoring port of the `foreign` clusters to this DNS service's health checkers,
   * through the target those clusters run on (its firewall). Returns the rules, for the
   * checks to depend on; throws when that target cannot open its firewall to them.
   */
  admitCheckers(checkers: DnsCheckers): pulumi.Resource[];
}

/** A DNS service's health checkers, as another target's firewall admits them. */
export interface DnsCheckers {
  /** Which service checks, for rule descriptions: `Route53`, `Cloud DNS`. */
  service: string;
  /** Where its checks come from: IPv4 CIDRs, never the internet. */
  cidrs: pulumi.Input<string[]>;
}

/** For the target of clusters another target's DNS service health-checks. */
export interface DnsCheckerRequest extends DnsCheckers {
  /** This target's clusters whose monitoring ports the checkers read /healthz on. */
  clusters: DnsCluster[];
  /** The SuperCluster: the rules are its children, named `${prefix}-<cluster>-fw-...`. */
  parent: pulumi.Resource;
  prefix: string;
}

/** What the DNS records give applications. */
export interface DnsResult {
  /** `nats://<dns.name>:<port>`, resolved once the records exist. */
  clientUrl: pulumi.Output<string>;
  /** Cluster name -> `nats://<cluster>.<dns.name>:<port>`, likewise. */
  clusterUrls: pulumi.Output<Record<string, string>>;
}

/** The request for `plan.home` from the deployed topology's addresses. */
export function dnsRequest(plan: DnsPlan, addresses: AddressBook<pulumi.Input<string>>, parent: pulumi.Resource, prefix: string, targets: TargetRegistry): DnsRequest {
  const cluster = (c: ClusterModel): DnsCluster => ({
    group: c,
    name: plan.dns.clusterNames[c.name]!,
    clientPort: plan.clusterPorts[c.name]!,
    addresses: Object.fromEntries(
      c.servers.map((s) => {
        const a = addresses[s.name];
        if (!a) throw new Error(`dns: no address for server ${s.name} of cluster ${c.name}`);
        return [s.name, a.advertise ?? a.host];
      }),
    ),
  });
  const foreign = plan.foreign.map(cluster);
  const admitCheckers = (checkers: DnsCheckers): pulumi.Resource[] =>
    [...new Set(foreign.map((c) => c.group.target.kind))].flatMap((kind) => {
      const target = targets[kind];
      if (!target?.admitDnsCheckers) throw new Error(`dns: ${checkers.service} health-checks ${plan.dns.name} on clusters of target ${kind}, which cannot open its firewall to the checkers`);
      return target.admitDnsCheckers({ ...checkers, clusters: foreign.filter((c) => c.group.target.kind === kind), parent, prefix });
    });
  return { dns: plan.dns, own: plan.own.map(cluster), foreign, clientPort: plan.clientPort, parent, prefix, admitCheckers };
}

/** The URLs of `req`'s names, resolved once `ready` (the records' ids) is. */
export function dnsResult(req: DnsRequest, ready: pulumi.Output<unknown>): DnsResult {
  return {
    clientUrl: ready.apply(() => `nats://${req.dns.name}:${req.clientPort}`),
    clusterUrls: ready.apply(() => Object.fromEntries([...req.own, ...req.foreign].map((c) => [c.group.name, `nats://${c.name}:${c.clientPort}`]))),
  };
}

/** One platform. Implementations must register nothing outside `allocate`/`deploy`'s parents. */
export interface Target {
  readonly kind: TargetKind;
  /**
   * Phase 1. `parent` is the SuperCluster: address resources (EIPs, static IPs, Services)
   * are created under it so they exist before any config is rendered.
   */
  allocate(group: NodeGroup, parent: pulumi.Resource, prefix: string): Allocation;
  /** Phase 2: create the servers of `req.group`. */
  deploy(req: DeployRequest): DeployedServer[];
  /**
   * Before anything registers, on the target holding the zone: throws what its records could
   * not carry (e.g. a foreign cluster's region with no nearby region of this cloud).
   */
  checkDns?(plan: DnsPlan): void;
  /**
   * Phase 4, only on targets with a DNS service (aws, gcp) and only for the one holding the
   * zone: the client name and per-cluster names. Runs after every group is deployed.
   */
  dns?(req: DnsRequest): DnsResult;
  /** Phase 4, on the other DNS target: its clusters' monitoring ports opened to the zone's health checkers. */
  admitDnsCheckers?(req: DnsCheckerRequest): pulumi.Resource[];
}

/** Targets by kind; a topology may only use kinds present here. */
export type TargetRegistry = Partial<Record<TargetKind, Target>>;
