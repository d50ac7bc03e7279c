/**
 * Declaration -> validated model. The zod schema checks shape; this module checks the rules
 * that relate fields to each other, fills in defaults and assigns names, ports and secrets.
 * Every problem is collected before failing, so one run reports them all.
 */
import type { ClusterModel, GatewaysModel, LeafNodeModel, SecretSpec, Topology, TopologyDeclaration } from "./model";
import { IssueList, TopologyError, TopologyIssue, TopologyPath, formatPath } from "./errors";
import { schemaIssues } from "./schema";
import { GroupRef, listOrNone } from "./groups";
import { DEFAULT_SYSTEM_ACCOUNT, secretKeys, serviceUsers } from "./names";
import { checkAccounts } from "./accounts";
import { targetModel, tlsModel } from "./targets";
import { assignServers } from "./servers";
import { dnsModel, dnsPlan } from "./dns";
import { externalHubModel } from "./external-hub";

// Where these were first defined; other modules import them from here.
export { DEFAULT_SYSTEM_ACCOUNT, secretKeys, serviceUsers } from "./names";

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
    if (typeof leaf.hub !== "string") {
      if (leaf.account !== undefined) issues.add(["leafnodes", i, "account"], "with an external hub, name the local account in hub.account");
      return;
    }
    if (!clusterNames.includes(leaf.hub)) {
      const isLeaf = (d.leafnodes ?? []).some((l) => l.name === leaf.hub);
      const note = isLeaf ? `; "${leaf.hub}" is a leaf node, and only clusters can be hubs` : "";
      issues.add(["leafnodes", i, "hub"], `no cluster named "${leaf.hub}" (known: ${listOrNone(clusterNames)})${note}`);
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
  for (const leaf of d.leafnodes ?? []) if (typeof leaf.hub === "string") hubs.set(leaf.hub, [...(hubs.get(leaf.hub) ?? []), leaf.name]);

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
      ...(c.hub ? { externalHub: externalHubModel(d, c.hub, ["clusters", i, "hub"], c.target, issues) } : {}),
      leafnodes: hubs.get(c.name) ?? [],
    };
  });
  if (gateways.secret) secrets.push({ key: gateways.secret, purpose: "gateway password shared by all clusters" });

  const leafnodes: LeafNodeModel[] = (d.leafnodes ?? []).map((l, i) => {
    const path = formatPath(["leafnodes", i]);
    const target = targetModel(l, ["leafnodes", i], issues);
    const common = {
      kind: "leafnode" as const,
      name: l.name,
      path,
      broker: (l.broker ?? defaultBroker) as LeafNodeModel["broker"],
      target,
      ...(l.region !== undefined ? { region: l.region } : {}),
      servers: servers.get(path) ?? [],
      tls: tlsModel(l, d, ["leafnodes", i], target, issues),
    };
    if (typeof l.hub !== "string") return { ...common, externalHub: externalHubModel(d, l.hub, ["leafnodes", i, "hub"], l.target, issues) };
    const hubSecret = secretKeys.leaf(l.name);
    secrets.push({ key: hubSecret, purpose: `password leaf node ${l.name} uses on hub ${l.hub}` });
    return {
      ...common,
      hub: l.hub,
      ...(l.account !== undefined ? { account: l.account } : {}),
      hubUser: serviceUsers.leaf(l.name),
      hubSecret,
    };
  });

  // nats-server 2.9 refuses a server with both gateways and leafnodes (a listener or remotes)
  // but no system account; leaf nodes of an external hub configure no cluster server.
  const needsSystem = gateways.enabled && clusters.some((c) => c.leafnodes.length > 0 || c.externalHub);
  const systemAccount = d.systemAccount ?? (needsSystem ? DEFAULT_SYSTEM_ACCOUNT : undefined);
  if (systemAccount !== undefined && !accounts.models.some((a) => a.name === systemAccount)) {
    accounts.models.push({ name: systemAccount, users: [] });
  }

  const dns = dnsModel(d, issues);

  const topology: Topology = {
    name: d.name,
    broker: defaultBroker as Topology["broker"],
    accounts: accounts.models,
    clusters,
    gateways,
    leafnodes,
    ...(systemAccount !== undefined ? { systemAccount } : {}),
    secrets,
    ...(dns ? { dns } : {}),
  };
  // the DNS checks that need built clusters (one client port per name, monitoring for health
  // checks), so `natsfleet validate` reports them and not only a deployment
  if (dns && issues.empty) {
    try {
      dnsPlan(topology);
    } catch (e) {
      if (!(e instanceof TopologyError)) throw e;
      for (const i of e.issues) issues.add(i.path, i.message);
    }
  }
  return topology;
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

