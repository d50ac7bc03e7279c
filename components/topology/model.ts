/**
 * The topology's two shapes.
 *
 * - `TopologyDeclaration`: what a person writes (stack config key `natsfleet:topology`, or a
 *   standalone YAML/JSON file). Short forms allowed, most fields optional.
 * - `Topology`: the validated model with every default filled in and every name resolved.
 *   Everything downstream (renderer, Pulumi components, local runner) reads only this.
 *
 * Stability: other modules build on these names. Extend (add optional fields, add union
 * members); do not rename or remove.
 */

// ---------------------------------------------------------------------------------------
// Shared vocabulary
// ---------------------------------------------------------------------------------------

/** Where a cluster or leaf node runs. Each kind has its own folder under components/targets. */
export type TargetKind = "local" | "aws" | "gcp" | "kubernetes";
export const TARGET_KINDS: readonly TargetKind[] = ["local", "aws", "gcp", "kubernetes"];

/** Which binary runs a server: our bundled broker or the official Go nats-server. */
export type BrokerKind = "natsfleet" | "nats-server";
export const BROKER_KINDS: readonly BrokerKind[] = ["natsfleet", "nats-server"];

/** How clusters join into a super-cluster. */
export type GatewayMode = "full-mesh" | "none";
export const GATEWAY_MODES: readonly GatewayMode[] = ["full-mesh", "none"];

/** The listeners a server can open. */
export type Listener = "client" | "cluster" | "gateway" | "leafnode" | "http";
export const LISTENERS: readonly Listener[] = ["client", "cluster", "gateway", "leafnode", "http"];

/**
 * Port per listener. In the model, 0 means "this server does not open that listener"
 * (e.g. no `cluster` port on a one-server cluster, no `leafnode` port on a cluster that is
 * no leaf node's hub), so port-collision checks and firewalls only see what is really used.
 */
export interface Ports {
  client: number;
  cluster: number;
  gateway: number;
  leafnode: number;
  http: number;
}

/** Well-known NATS ports: used as-is by cloud targets (one server per machine/pod). */
export const WELL_KNOWN_PORTS: Ports = {
  client: 4222,
  cluster: 6222,
  gateway: 7222,
  leafnode: 7422,
  http: 8222,
};

// ---------------------------------------------------------------------------------------
// Declaration (input)
// ---------------------------------------------------------------------------------------

/** A user, declared inside an account (`accounts.X.users`) or at top level with `account`. */
export interface UserDeclaration {
  user: string;
  /** Plain or bcrypt password. Omitted: generated (a Pulumi secret in a deployment). */
  password?: string;
  /** Only at top level (`users:`): the account the user belongs to. */
  account?: string;
  permissions?: PermissionsDeclaration;
}

export interface SubjectPermissionDeclaration {
  allow?: string[];
  deny?: string[];
}

export interface PermissionsDeclaration {
  publish?: SubjectPermissionDeclaration;
  subscribe?: SubjectPermissionDeclaration;
}

export interface AccountDeclaration {
  users?: UserDeclaration[];
}

/** TLS switches. Cert paths: given here (local target) or by the target (cloud). */
export interface TlsDeclaration {
  /** Turn TLS on for every listener in `listeners` (default: all but http). */
  enabled?: boolean;
  listeners?: Array<Exclude<Listener, "http">>;
  certFile?: string;
  keyFile?: string;
  caFile?: string;
}

/** One server written out in full (instead of a count). */
export interface ServerDeclaration {
  name?: string;
  /** Explicit ports (local target); missing ones are allocated. */
  ports?: Partial<Ports>;
}

/** Target-specific knobs, each under its target's own key. */
export interface LocalTargetDeclaration {
  /** Host the local processes listen on and are reached at (default 127.0.0.1). */
  host?: string;
}
export interface AwsTargetDeclaration {
  instanceType?: string;
  ami?: string;
  vpcId?: string;
  subnetIds?: string[];
  keyName?: string;
}
export interface GcpTargetDeclaration {
  project?: string;
  zone?: string;
  machineType?: string;
  image?: string;
  network?: string;
  subnetwork?: string;
}
export interface KubernetesTargetDeclaration {
  namespace?: string;
  /** kubeconfig context; default: the provider's. */
  context?: string;
  /** How gateways/leaf nodes are exposed to other clusters. */
  serviceType?: "LoadBalancer" | "NodePort" | "ClusterIP";
  storageClass?: string;
}

/** Fields common to clusters and leaf nodes. */
export interface NodeGroupDeclaration {
  name: string;
  target: TargetKind;
  region?: string;
  broker?: BrokerKind;
  /** A count (names generated) or the servers in full. */
  servers?: number | ServerDeclaration[];
  /** Port base for this group's servers (local target); per listener. */
  ports?: Partial<Ports>;
  tls?: TlsDeclaration;
  local?: LocalTargetDeclaration;
  aws?: AwsTargetDeclaration;
  gcp?: GcpTargetDeclaration;
  kubernetes?: KubernetesTargetDeclaration;
}

/**
 * A hub outside the topology: a hosted NATS service (Synadia Cloud / NGS) or a backbone run by
 * someone else. Every server of the group dials it as a leaf node.
 */
export interface ExternalHubDeclaration {
  /** The hub's leafnode URL(s): `tls://connect.ngs.global`, `nats-leaf://hub.example.com:7422`. */
  url: string | string[];
  /**
   * The `.creds` file the service issued: a path on this machine (read at deploy time), or the
   * file's contents (e.g. a Pulumi secret). Cloud targets ship it to the servers as a secret.
   */
  credentials?: string;
  /** Local account the link is bound to (default the global account). */
  account?: string;
  /** CA to verify a privately signed hub (target local only; cloud servers use system roots). */
  caFile?: string;
}

export interface ClusterDeclaration extends NodeGroupDeclaration {
  /** Require credentials on routes (a generated secret per cluster). Default false. */
  routeAuth?: boolean;
  /** Attach every server of this cluster as a leaf node of an external hub. */
  hub?: ExternalHubDeclaration;
}

export interface LeafNodeDeclaration extends NodeGroupDeclaration {
  /** Name of the cluster this leaf node connects to, or an external hub. */
  hub: string | ExternalHubDeclaration;
  /** Account bound on both ends (declared hubs). Required when accounts are declared. */
  account?: string;
}

export interface GatewaysDeclaration {
  mode?: GatewayMode;
  /** Require credentials between gateways (a generated secret). Default false. */
  auth?: boolean;
}

export interface LocalPortsDeclaration {
  /**
   * Allocate local ports from this base: server k (in declaration order across all local
   * servers) gets base + 10k + {client 0, cluster 1, gateway 2, leafnode 3, http 4}.
   * Unset: the well-known ports + k (4222+k, 6222+k, 7222+k, 7422+k, 8222+k).
   */
  base?: number;
}

/**
 * Closest-cluster DNS: one name clients use, answered with the nearest healthy cluster of any
 * cloud by the cloud holding the zone (Route53 latency records, or a Cloud DNS geolocation
 * policy), plus one name per cluster (`<cluster>.<name>`). Absent: nothing DNS-related is created.
 */
export interface DnsDeclaration {
  /** The DNS zone the records go in, e.g. `example.com` (a Route53 hosted zone / Cloud DNS managed zone for that domain). */
  zone: string;
  /** The client-facing name inside the zone, e.g. `nats.example.com`. */
  name: string;
  /** Record TTL in seconds (default 60: failover should not wait long). */
  ttl?: number;
}

export interface TopologyDeclaration {
  name: string;
  broker?: BrokerKind;
  accounts?: Record<string, AccountDeclaration>;
  users?: UserDeclaration[];
  /** System account name; default "SYS", set only when needed or declared. */
  systemAccount?: string;
  clusters: ClusterDeclaration[];
  /** `full-mesh` (default) or `none`, or the object form. */
  gateways?: GatewayMode | GatewaysDeclaration;
  leafnodes?: LeafNodeDeclaration[];
  tls?: TlsDeclaration;
  localPorts?: LocalPortsDeclaration;
  dns?: DnsDeclaration;
}

// ---------------------------------------------------------------------------------------
// Validated model (output of validation; input to everything else)
// ---------------------------------------------------------------------------------------

export interface LocalTarget {
  kind: "local";
  /** Listen and dial host for every local process. */
  host: string;
}
export interface AwsTarget {
  kind: "aws";
  region: string;
  instanceType: string;
  ami?: string;
  vpcId?: string;
  subnetIds?: string[];
  keyName?: string;
}
export interface GcpTarget {
  kind: "gcp";
  region: string;
  zone: string;
  machineType: string;
  project?: string;
  image?: string;
  network?: string;
  subnetwork?: string;
}
export interface KubernetesTarget {
  kind: "kubernetes";
  /** Kubernetes has no region of its own; kept for naming/outputs when declared. */
  region?: string;
  namespace: string;
  context?: string;
  serviceType: "LoadBalancer" | "NodePort" | "ClusterIP";
  storageClass?: string;
}
/** Discriminated on `kind`. */
export type TargetModel = LocalTarget | AwsTarget | GcpTarget | KubernetesTarget;

/** Default target knobs (kept here so validation and docs agree). */
export const TARGET_DEFAULTS = {
  local: { host: "127.0.0.1" },
  aws: { instanceType: "t3.small" },
  gcp: { machineType: "e2-small", zoneSuffix: "-b" },
  kubernetes: { namespace: "nats", serviceType: "LoadBalancer" as const },
};

export interface TlsModel {
  client: boolean;
  cluster: boolean;
  gateway: boolean;
  leafnode: boolean;
  /** Cert paths when declared; otherwise the target supplies them at render time. */
  certFile?: string;
  keyFile?: string;
  caFile?: string;
}

export interface ServerModel {
  /** Unique across the whole super-cluster (clusters and leaf nodes). */
  name: string;
  /** Position in its cluster/leaf node (0-based). */
  index: number;
  /** Name of the cluster or leaf node it belongs to. */
  group: string;
  /** Listener ports; 0 = listener not opened. */
  ports: Ports;
}

/** What clusters and leaf nodes share. */
export interface NodeGroupModel {
  name: string;
  /** Path of the declaration, e.g. `clusters[2]`, for messages. */
  path: string;
  broker: BrokerKind;
  target: TargetModel;
  /** Region for aws/gcp (required there), as declared for kubernetes, absent for local. */
  region?: string;
  servers: ServerModel[];
  tls: TlsModel;
}

/**
 * Credentials of an external hub: a file on this machine, the contents themselves, or contents
 * a program hands the SuperCluster as a Pulumi Input (`hubCredentials`), e.g. a secret.
 */
export type HubCredentials = { file: string } | { contents: string } | { input: true };

export interface ExternalHubModel {
  urls: string[];
  credentials?: HubCredentials;
  /** Local account bound to the link; undefined = global account ($G). */
  account?: string;
  /** The link is TLS (a tls:// URL or a caFile). */
  tls: boolean;
  caFile?: string;
  /** Declaration path of the hub (`["leafnodes", 2, "hub"]`), for messages. */
  path: Array<string | number>;
}

export interface ClusterModel extends NodeGroupModel {
  kind: "cluster";
  /** External hub every server of the cluster is a leaf node of. */
  externalHub?: ExternalHubModel;
  /** Secret key of the route password (see SecretSpec), when routeAuth is on. */
  routeSecret?: string;
  /** Names of the leaf nodes whose hub this cluster is. */
  leafnodes: string[];
}

export interface LeafNodeModel extends NodeGroupModel {
  kind: "leafnode";
  /** Hub cluster name (validated to exist); absent when the hub is external. */
  hub?: string;
  /** The hub outside the topology; exactly one of `hub` and `externalHub` is set. */
  externalHub?: ExternalHubModel;
  /** Account bound on both ends (declared hub); undefined = global account ($G). */
  account?: string;
  /** User the leaf node authenticates as on the declared hub's leafnode listener. */
  hubUser?: string;
  /** Secret key of hubUser's password (declared hub). */
  hubSecret?: string;
}

export interface PermissionsModel {
  publish?: { allow?: string[]; deny?: string[] };
  subscribe?: { allow?: string[]; deny?: string[] };
}

export interface UserModel {
  user: string;
  account: string;
  /** Secret key of the password (value from the declaration or generated). */
  secret: string;
  permissions?: PermissionsModel;
}

export interface AccountModel {
  name: string;
  users: UserModel[];
}

/**
 * A secret the rendering needs. Keys are stable strings (e.g. `user:APP:app`,
 * `route:use1`, `gateway`, `leaf:factory-1`): a Pulumi program makes one
 * RandomPassword per key without `value`, a local runner generates and keeps them.
 */
export interface SecretSpec {
  key: string;
  /** Human description for outputs and errors. */
  purpose: string;
  /** Declared literally (e.g. a password in a local file); otherwise generate it. */
  value?: string;
}

export interface GatewaysModel {
  mode: GatewayMode;
  /** True when mode is full-mesh and there is more than one cluster. */
  enabled: boolean;
  /** Secret key of the gateway password, when gateway auth is on. */
  secret?: string;
}

export interface DnsModel {
  /** Zone domain without the trailing dot, lower case (`example.com`). */
  zone: string;
  /** Fully qualified client name without the trailing dot, lower case (`nats.example.com`). */
  name: string;
  ttl: number;
  /** Cluster name -> its own name (`<cluster>.<name>`), for per-cluster URLs. */
  clusterNames: Record<string, string>;
}

export const DNS_DEFAULT_TTL = 60;

export interface Topology {
  name: string;
  /** Default broker (each group carries its own resolved `broker`). */
  broker: BrokerKind;
  accounts: AccountModel[];
  clusters: ClusterModel[];
  gateways: GatewaysModel;
  leafnodes: LeafNodeModel[];
  /**
   * Set when gateways and leaf nodes are both present (nats-server 2.9 requires it) or declared;
   * the account is then also listed in `accounts` (possibly with no users).
   */
  systemAccount?: string;
  secrets: SecretSpec[];
  /** Closest-cluster DNS, when declared. */
  dns?: DnsModel;
}

// ---------------------------------------------------------------------------------------
// Render inputs
// ---------------------------------------------------------------------------------------

/**
 * How to reach one server. `T` is `string` for the pure renderer and `pulumi.Input<string>`
 * for cloud targets (see render-output.ts).
 */
export interface ServerAddress<T> {
  /** Address peers inside the same cluster dial (routes). */
  host: T;
  /** Address other clusters and leaf nodes dial (gateways, leaf remotes); default `host`. */
  advertise?: T;
}

/** Server name -> address. Must hold every server the rendered servers need to reach. */
export type AddressBook<T> = Record<string, ServerAddress<T>>;

/** Another name for AddressBook (server name -> host/advertise). */
export type Addresses<T = string> = AddressBook<T>;

/** Secret key (SecretSpec.key) -> value. */
export type SecretBook<T> = Record<string, T>;

/** Cert paths for one server (when the target places them, not the declaration). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile?: string;
}

/** Everything the renderer needs besides the model. */
export interface RenderInputs<T> {
  addresses: AddressBook<T>;
  secrets: SecretBook<T>;
  /**
   * Server name -> where its external hub's `.creds` file is on the server (cloud targets);
   * default the declared file (target local).
   */
  credentialsFiles?: Record<string, string>;
  /** Per-server cert paths, overriding the model's; required where TLS is on and none declared. */
  tlsFiles?: Record<string, TlsFiles>;
  /** Listen host per server; default: the target's (local host, else 0.0.0.0). */
  listenHosts?: Record<string, string>;
}

/** Every server of the topology with its group, in a stable order (clusters, then leaf nodes). */
export function allServers(t: Topology): Array<{ server: ServerModel; group: ClusterModel | LeafNodeModel }> {
  const out: Array<{ server: ServerModel; group: ClusterModel | LeafNodeModel }> = [];
  for (const g of [...t.clusters, ...t.leafnodes]) for (const server of g.servers) out.push({ server, group: g });
  return out;
}
