/**
 * Declaration -> validated model. The zod schema checks shape; this module checks the rules
 * that relate fields to each other, fills in defaults and assigns names, ports and secrets.
 * Every problem is collected before failing, so one run reports them all.
 */
import type {
  AccountModel,
  ClusterDeclaration,
  ClusterModel,
  GatewaysModel,
  LeafNodeDeclaration,
  LeafNodeModel,
  Listener,
  NodeGroupDeclaration,
  Ports,
  SecretSpec,
  ServerModel,
  TargetModel,
  TlsDeclaration,
  TlsModel,
  Topology,
  TopologyDeclaration,
  UserModel,
} from "./model";
import { LISTENERS, TARGET_DEFAULTS, TARGET_KINDS } from "./model";
import { IssueList, TopologyError, TopologyIssue, TopologyPath, formatPath } from "./errors";
import { schemaIssues } from "./schema";
import { BASE_STRIDE, UsedListeners, localPorts, remotePorts } from "./ports";

/** Default system account name when one is needed and none is declared. */
export const DEFAULT_SYSTEM_ACCOUNT = "SYS";

/** Secret keys, kept in one place so the Pulumi program and local runner agree. */
export const secretKeys = {
  user: (account: string, user: string) => `user:${account}:${user}`,
  route: (cluster: string) => `route:${cluster}`,
  gateway: () => "gateway",
  leaf: (leafnode: string) => `leaf:${leafnode}`,
};

/** User names the renderer puts in route/gateway URLs and leafnode authorization. */
export const serviceUsers = {
  route: "route",
  gateway: "gateway",
  leaf: (leafnode: string) => `leaf-${leafnode}`,
};

export type CheckResult = { ok: true; topology: Topology } | { ok: false; issues: TopologyIssue[] };

/** Validate without throwing: the model, or every problem found. */
export function checkTopology(input: unknown): CheckResult {
  const shaped = schemaIssues(input);
  if (!shaped.ok) return { ok: false, issues: [...shaped.issues, ...crossFieldDespite(input, shaped.issues)] };
  const issues = new IssueList();
  const topology = buildModel(shaped.value, issues);
  return issues.empty ? { ok: true, topology } : { ok: false, issues: issues.issues };
}

/**
 * So that one run reports everything, cross-field rules still run on a shape-broken
 * declaration when pruning the broken fields (a misspelt key, a wrong-typed optional value)
 * gives a well-shaped one. Their findings at or under a pruned path are dropped: those would
 * only echo the shape problem.
 */
function crossFieldDespite(input: unknown, shapeIssues: TopologyIssue[]): TopologyIssue[] {
  const pruned = structuredClone(input) as unknown;
  for (const issue of shapeIssues) {
    const last = issue.path[issue.path.length - 1];
    if (typeof last !== "string") return [];
    let parent: unknown = pruned;
    for (const p of issue.path.slice(0, -1)) parent = parent === null || typeof parent !== "object" ? undefined : (parent as Record<string | number, unknown>)[p];
    if (parent === null || typeof parent !== "object" || Array.isArray(parent)) return [];
    delete (parent as Record<string, unknown>)[last];
  }
  const again = schemaIssues(pruned);
  if (!again.ok) return [];
  const issues = new IssueList();
  buildModel(again.value, issues);
  const covered = (path: TopologyPath) => shapeIssues.some((s) => s.path.every((p, i) => path[i] === p) || path.every((p, i) => s.path[i] === p));
  return issues.issues.filter((i) => !covered(i.path));
}

/** Validate a declaration (already parsed from YAML/JSON); throws TopologyError listing every problem. */
export function validateTopology(input: unknown, source?: string): Topology {
  const r = checkTopology(input);
  if (!r.ok) throw new TopologyError(r.issues, source);
  return r.topology;
}

type GroupDecl = (ClusterDeclaration | LeafNodeDeclaration) & NodeGroupDeclaration;

interface GroupRef {
  decl: GroupDecl;
  path: TopologyPath;
  kind: "cluster" | "leafnode";
}

function quoteList(names: string[]): string {
  return names.length ? names.join(", ") : "none";
}

function buildModel(d: TopologyDeclaration, issues: IssueList): Topology {
  const groups: GroupRef[] = [
    ...d.clusters.map((decl, i) => ({ decl, path: ["clusters", i], kind: "cluster" as const })),
    ...(d.leafnodes ?? []).map((decl, i) => ({ decl, path: ["leafnodes", i], kind: "leafnode" as const })),
  ];

  // Cluster and leaf node names share one namespace: a leaf node with more than one server is
  // a cluster of its own, and a leaf node may not carry its hub's cluster name.
  const groupNames = new Map<string, TopologyPath>();
  for (const g of groups) {
    const prev = groupNames.get(g.decl.name);
    if (prev) issues.add([...g.path, "name"], `"${g.decl.name}" is already used by ${formatPath(prev)}`);
    else groupNames.set(g.decl.name, g.path);
  }

  const accounts = checkAccounts(d, issues);
  const gateways = gatewaysModel(d);
  const clusterNames = [...new Set(d.clusters.map((c) => c.name))];

  // Leaf node references.
  (d.leafnodes ?? []).forEach((leaf, i) => {
    if (!clusterNames.includes(leaf.hub)) {
      const isLeaf = (d.leafnodes ?? []).some((l) => l.name === leaf.hub);
      const note = isLeaf ? `; "${leaf.hub}" is a leaf node, and only clusters can be hubs` : "";
      issues.add(["leafnodes", i, "hub"], `no cluster named "${leaf.hub}" (known: ${quoteList(clusterNames)})${note}`);
    }
    if (leaf.account !== undefined) {
      const declared = Object.keys(d.accounts ?? {});
      if (!declared.includes(leaf.account)) {
        const known = declared.length ? `known: ${declared.join(", ")}` : "no accounts declared";
        issues.add(["leafnodes", i, "account"], `no account named "${leaf.account}" (${known})`);
      } else if (d.systemAccount === leaf.account) {
        issues.add(["leafnodes", i, "account"], `"${leaf.account}" is the system account; bind an application account`);
      }
    }
  });

  const hubs = new Map<string, string[]>();
  for (const leaf of d.leafnodes ?? []) hubs.set(leaf.hub, [...(hubs.get(leaf.hub) ?? []), leaf.name]);

  const servers = assignServers(d, groups, gateways, hubs, issues);

  const secrets: SecretSpec[] = [];
  for (const a of accounts.models) {
    for (const u of a.users) {
      secrets.push({ key: u.secret, purpose: `password of user "${u.user}" in account ${a.name}`, ...valueOf(accounts.passwords.get(u.secret)) });
    }
  }

  const defaultBroker = d.broker ?? "natsfleet";
  const clusters: ClusterModel[] = d.clusters.map((c, i) => {
    const path = formatPath(["clusters", i]);
    const target = targetModel(c, ["clusters", i], issues);
    const routeAuth = (c.routeAuth ?? target.kind !== "local") && (servers.get(path)?.length ?? 0) > 1;
    const routeSecret = routeAuth ? secretKeys.route(c.name) : undefined;
    if (routeSecret) secrets.push({ key: routeSecret, purpose: `route password of cluster ${c.name}` });
    return {
      kind: "cluster",
      name: c.name,
      path,
      broker: (c.broker ?? defaultBroker) as ClusterModel["broker"],
      target,
      ...(c.region !== undefined ? { region: c.region } : {}),
      servers: servers.get(path) ?? [],
      tls: tlsModel(c, d, ["clusters", i], target, issues),
      ...(routeSecret ? { routeSecret } : {}),
      leafnodes: hubs.get(c.name) ?? [],
    };
  });
  if (gateways.secret) secrets.push({ key: gateways.secret, purpose: "gateway password shared by all clusters" });

  const leafnodes: LeafNodeModel[] = (d.leafnodes ?? []).map((l, i) => {
    const path = formatPath(["leafnodes", i]);
    const target = targetModel(l, ["leafnodes", i], issues);
    const hubSecret = secretKeys.leaf(l.name);
    secrets.push({ key: hubSecret, purpose: `password leaf node ${l.name} uses on hub ${l.hub}` });
    return {
      kind: "leafnode",
      name: l.name,
      path,
      broker: (l.broker ?? defaultBroker) as LeafNodeModel["broker"],
      target,
      ...(l.region !== undefined ? { region: l.region } : {}),
      servers: servers.get(path) ?? [],
      tls: tlsModel(l, d, ["leafnodes", i], target, issues),
      hub: l.hub,
      ...(l.account !== undefined ? { account: l.account } : {}),
      hubUser: serviceUsers.leaf(l.name),
      hubSecret,
    };
  });

  // nats-server 2.9 refuses gateways + leaf nodes without a system account.
  const needsSystem = gateways.enabled && leafnodes.length > 0;
  const systemAccount = d.systemAccount ?? (needsSystem ? DEFAULT_SYSTEM_ACCOUNT : undefined);
  if (systemAccount !== undefined && !accounts.models.some((a) => a.name === systemAccount)) {
    accounts.models.push({ name: systemAccount, users: [] });
  }

  return {
    name: d.name,
    broker: defaultBroker as Topology["broker"],
    accounts: accounts.models,
    clusters,
    gateways,
    leafnodes,
    ...(systemAccount !== undefined ? { systemAccount } : {}),
    secrets,
  };
}

function valueOf(v: string | undefined): { value?: string } {
  return v === undefined ? {} : { value: v };
}

function gatewaysModel(d: TopologyDeclaration): GatewaysModel {
  const g = typeof d.gateways === "string" ? { mode: d.gateways } : (d.gateways ?? {});
  const mode = g.mode ?? "full-mesh";
  const enabled = mode === "full-mesh" && d.clusters.length > 1;
  // Across machines the gateway port faces other networks: credentials by default there.
  const auth = g.auth ?? d.clusters.some((c) => c.target !== "local");
  return { mode, enabled, ...(enabled && auth ? { secret: secretKeys.gateway() } : {}) };
}

/** Users from `accounts.X.users` and top-level `users`, with their account references checked. */
function checkAccounts(d: TopologyDeclaration, issues: IssueList): { models: AccountModel[]; passwords: Map<string, string> } {
  const names = Object.keys(d.accounts ?? {});
  const models: AccountModel[] = names.map((name) => ({ name, users: [] }));
  const passwords = new Map<string, string>();
  const seen = new Map<string, TopologyPath>();

  const addUser = (path: TopologyPath, account: string, u: NonNullable<TopologyDeclaration["users"]>[number]) => {
    const prev = seen.get(u.user);
    if (prev) {
      issues.add([...path, "user"], `"${u.user}" is already used by ${formatPath(prev)}`);
      return;
    }
    seen.set(u.user, path);
    const model = models.find((m) => m.name === account);
    if (!model) return;
    const user: UserModel = { user: u.user, account, secret: secretKeys.user(account, u.user) };
    if (u.permissions) user.permissions = u.permissions;
    model.users.push(user);
    if (u.password !== undefined) passwords.set(user.secret, u.password);
  };

  for (const name of names) {
    (d.accounts?.[name]?.users ?? []).forEach((u, i) => {
      const path = ["accounts", name, "users", i];
      if (u.account !== undefined && u.account !== name) {
        issues.add([...path, "account"], `is "${u.account}" but the user is declared inside accounts.${name}; remove it or move the user`);
        return;
      }
      addUser(path, name, u);
    });
  }
  (d.users ?? []).forEach((u, i) => {
    const path = ["users", i];
    if (u.account === undefined) {
      issues.add([...path, "account"], `is required for a user declared outside accounts (known: ${quoteList(names)})`);
      return;
    }
    if (!names.includes(u.account)) {
      const known = names.length ? `known: ${names.join(", ")}` : "no accounts declared";
      issues.add([...path, "account"], `no account named "${u.account}" (${known})`);
      return;
    }
    addUser(path, u.account, u);
  });
  return { models, passwords };
}

const TARGET_BLOCKS = ["local", "aws", "gcp", "kubernetes"] as const;

/** The target with its defaults, after checking its required fields. */
function targetModel(g: GroupDecl, path: TopologyPath, issues: IssueList): TargetModel {
  for (const block of TARGET_BLOCKS) {
    if (g[block] !== undefined && block !== g.target) {
      issues.add([...path, block], `only applies to target ${block} (this one's target is ${g.target})`);
    }
  }
  switch (g.target) {
    case "local":
      if (g.region !== undefined) issues.add([...path, "region"], "is not used by target local (remove it)");
      return { kind: "local", host: g.local?.host ?? TARGET_DEFAULTS.local.host };
    case "aws": {
      if (g.region === undefined) issues.add([...path, "region"], "is required for target aws (e.g. us-east-1)");
      const a = g.aws ?? {};
      return { kind: "aws", region: g.region ?? "", instanceType: a.instanceType ?? TARGET_DEFAULTS.aws.instanceType, ...stripUndefined({ ami: a.ami, vpcId: a.vpcId, subnetIds: a.subnetIds, keyName: a.keyName }) };
    }
    case "gcp": {
      if (g.region === undefined) issues.add([...path, "region"], "is required for target gcp (e.g. europe-west1)");
      const c = g.gcp ?? {};
      const region = g.region ?? "";
      if (c.zone !== undefined && region && !c.zone.startsWith(`${region}-`)) {
        issues.add([...path, "gcp", "zone"], `"${c.zone}" is not a zone of region ${region}`);
      }
      return {
        kind: "gcp",
        region,
        zone: c.zone ?? `${region}${TARGET_DEFAULTS.gcp.zoneSuffix}`,
        machineType: c.machineType ?? TARGET_DEFAULTS.gcp.machineType,
        ...stripUndefined({ project: c.project, image: c.image, network: c.network, subnetwork: c.subnetwork }),
      };
    }
    case "kubernetes": {
      const k = g.kubernetes ?? {};
      return {
        kind: "kubernetes",
        namespace: k.namespace ?? TARGET_DEFAULTS.kubernetes.namespace,
        serviceType: k.serviceType ?? TARGET_DEFAULTS.kubernetes.serviceType,
        ...stripUndefined({ region: g.region, context: k.context, storageClass: k.storageClass }),
      };
    }
  }
  // The schema only lets known targets through.
  throw new Error(`unknown target ${String((g as { target: unknown }).target)}; expected one of ${TARGET_KINDS.join(", ")}`);
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function tlsModel(g: GroupDecl, d: TopologyDeclaration, path: TopologyPath, target: TargetModel, issues: IssueList): TlsModel {
  const own = g.tls !== undefined;
  const decl: TlsDeclaration = g.tls ?? d.tls ?? {};
  const declPath: TopologyPath = own ? [...path, "tls"] : ["tls"];
  const on = decl.enabled ?? false;
  const listeners = new Set(decl.listeners ?? ["client", "cluster", "gateway", "leafnode"]);
  const model: TlsModel = {
    client: on && listeners.has("client"),
    cluster: on && listeners.has("cluster"),
    gateway: on && listeners.has("gateway"),
    leafnode: on && listeners.has("leafnode"),
    ...stripUndefined({ certFile: decl.certFile, keyFile: decl.keyFile, caFile: decl.caFile }),
  };
  // Cloud targets place certificates themselves; on the local target nobody else can.
  if (on && target.kind === "local") {
    if (decl.certFile === undefined) issues.add([...declPath, "certFile"], `is required when TLS is on for the local target (${formatPath(path)})`);
    if (decl.keyFile === undefined) issues.add([...declPath, "keyFile"], `is required when TLS is on for the local target (${formatPath(path)})`);
  }
  return model;
}

/** Server names and ports for every group, with the uniqueness rules. Keyed by group path. */
function assignServers(
  d: TopologyDeclaration,
  groups: GroupRef[],
  gateways: GatewaysModel,
  hubs: Map<string, string[]>,
  issues: IssueList,
): Map<string, ServerModel[]> {
  const out = new Map<string, ServerModel[]>();
  const names = new Map<string, string>(); // server name -> where it was first declared
  const portsInUse = new Map<number, PortUse[]>();
  const base = d.localPorts?.base;
  let localIndex = 0;

  const localCount = groups.filter((g) => g.decl.target === "local").reduce((n, g) => n + serverCount(g.decl), 0);
  if (base !== undefined && localCount > 0) {
    const highest = base + BASE_STRIDE * (localCount - 1) + 4;
    if (highest > 65535) {
      issues.add(["localPorts", "base"], `${base} leaves no room for ${localCount} local servers (they would need ports up to ${highest}; the highest is 65535)`);
    }
  }

  for (const g of groups) {
    const count = serverCount(g.decl);
    const list = Array.isArray(g.decl.servers) ? g.decl.servers : undefined;
    const used: UsedListeners = {
      client: true,
      http: true,
      cluster: count > 1,
      gateway: g.kind === "cluster" && gateways.enabled,
      leafnode: g.kind === "cluster" && hubs.has(g.decl.name),
    };
    const models: ServerModel[] = [];
    const duplicateGroup = groups.some((o) => o !== g && o.decl.name === g.decl.name && groups.indexOf(o) < groups.indexOf(g));
    for (let i = 0; i < count; i++) {
      const explicit = list?.[i];
      const name = explicit?.name ?? defaultServerName(g, count, i);
      const where = list ? formatPath([...g.path, "servers", i]) : `${formatPath([...g.path, "servers"])} (server ${name})`;
      const namePath: TopologyPath = explicit?.name !== undefined ? [...g.path, "servers", i, "name"] : list ? [...g.path, "servers", i] : [...g.path, g.decl.servers === undefined ? "name" : "servers"];
      const prev = names.get(name);
      // Generated names of a group whose own name is taken would only repeat that error.
      const echo = explicit?.name === undefined && duplicateGroup;
      if (prev && !echo) issues.add(namePath, `server name "${name}" is already used by ${prev}`);
      else if (!prev) names.set(name, where);

      let ports: Ports;
      if (g.decl.target === "local") {
        ports = localPorts({ localIndex, groupIndex: i, used, groupBase: g.decl.ports, explicit: explicit?.ports }, base);
        localIndex++;
        const host = g.decl.local?.host ?? TARGET_DEFAULTS.local.host;
        const serverPath: TopologyPath = list ? [...g.path, "servers", i] : [...g.path, "servers"];
        for (const l of LISTENERS) checkPort(ports, l, host, name, serverPath, portsInUse, issues);
      } else {
        ports = remotePorts(used, g.decl.ports, explicit?.ports);
      }
      models.push({ name, index: i, group: g.decl.name, ports });
    }
    out.set(formatPath(g.path), models);
  }
  return out;
}

function checkPort(ports: Ports, l: Listener, host: string, server: string, path: TopologyPath, inUse: Map<number, PortUse[]>, issues: IssueList) {
  const port = ports[l];
  if (port === 0) return;
  if (port > 65535) {
    issues.add(path, `server ${server}: ${l} port ${port} is above 65535; set localPorts.base or explicit ports`);
    return;
  }
  const users = inUse.get(port) ?? [];
  // A wildcard listener collides with every host on the same port.
  const clash = users.find((u) => u.host === host || isWildcard(u.host) || isWildcard(host));
  if (clash) {
    issues.add(path, `server ${server}: ${l} port ${port} on ${host} is already used by ${clash.who}`);
    return;
  }
  users.push({ host, who: `${server} (${l})` });
  inUse.set(port, users);
}

interface PortUse {
  host: string;
  who: string;
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::";
}

function serverCount(g: GroupDecl): number {
  if (Array.isArray(g.servers)) return g.servers.length;
  return g.servers ?? 1;
}

/**
 * Cluster servers are `<cluster>-<i>` (like StatefulSet pods), so growing a cluster never
 * renames its first server. A leaf node is usually one server and then carries its own name.
 */
function defaultServerName(g: GroupRef, count: number, i: number): string {
  if (g.kind === "leafnode" && count === 1) return g.decl.name;
  return `${g.decl.name}-${i}`;
}
