/**
 * Model + addresses + secrets -> one nats-server config file per server. Pure: the same
 * inputs always give the same bytes (golden tests and Pulumi diffs depend on it). Cloud
 * targets, whose addresses are Pulumi Outputs, go through render-output.ts.
 */
import type {
  ClusterModel,
  ExternalHubModel,
  LeafNodeModel,
  RenderInputs,
  ServerModel,
  TlsFiles,
  TlsModel,
  Topology,
} from "./model";
import { allServers } from "./model";
import { ConfObject, ConfValue, writeConf } from "./conf-writer";
import { serviceUsers } from "./names";
import { formatPath } from "./errors";

type Group = ClusterModel | LeafNodeModel;

/** Rendering could not proceed: addresses, secrets or cert paths are missing. Lists them all. */
export class RenderError extends Error {
  constructor(readonly problems: string[]) {
    super(`cannot render configs:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "RenderError";
  }
}

export interface RenderOptions {
  /** Render only these servers (default: all). Their peers still need addresses. */
  servers?: readonly string[];
}

/** Config text per server name, in model order. */
export function renderTopology(model: Topology, inputs: RenderInputs<string>, options: RenderOptions = {}): Map<string, string> {
  const ctx = new Context(model, inputs);
  const wanted = options.servers ? new Set(options.servers) : undefined;
  const known = new Set(allServers(model).map((s) => s.server.name));
  for (const name of wanted ?? []) if (!known.has(name)) ctx.problem(`no server named "${name}" in the topology`);

  const out = new Map<string, string>();
  for (const { server, group } of allServers(model)) {
    if (wanted && !wanted.has(server.name)) continue;
    const text = renderServer(ctx, group, server);
    if (text !== undefined) out.set(server.name, text);
  }
  if (ctx.problems.length) throw new RenderError([...new Set(ctx.problems)]);
  return out;
}

/** Lookups that record what is missing instead of failing at the first gap. */
class Context {
  readonly problems: string[] = [];
  constructor(
    readonly model: Topology,
    readonly inputs: RenderInputs<string>,
  ) {}

  problem(p: string): void {
    this.problems.push(p);
  }

  host(server: string, forWhom: string): string {
    const a = this.inputs.addresses[server];
    if (!a) {
      this.problem(`${forWhom}: no address for server ${server}`);
      return "unknown";
    }
    return a.host;
  }

  advertise(server: string, forWhom: string): string {
    const a = this.inputs.addresses[server];
    if (!a) {
      this.problem(`${forWhom}: no address for server ${server}`);
      return "unknown";
    }
    return a.advertise ?? a.host;
  }

  secret(key: string, forWhom: string): string {
    const v = this.inputs.secrets[key];
    if (v === undefined) {
      this.problem(`${forWhom}: no value for secret ${key}`);
      return "";
    }
    return v;
  }

  listenHost(server: ServerModel, group: Group): string {
    return this.inputs.listenHosts?.[server.name] ?? (group.target.kind === "local" ? group.target.host : "0.0.0.0");
  }

  tlsFiles(server: ServerModel, tls: TlsModel): TlsFiles | undefined {
    const given = this.inputs.tlsFiles?.[server.name];
    if (given) return given;
    if (tls.certFile && tls.keyFile) return { certFile: tls.certFile, keyFile: tls.keyFile, ...(tls.caFile ? { caFile: tls.caFile } : {}) };
    this.problem(`${server.name}: TLS is on but no certificate paths are given`);
    return undefined;
  }
}

function hostPort(host: string, port: number): string {
  // Bare IPv6 literals need brackets in host:port and URLs.
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

function url(scheme: string, host: string, port: number, user?: string, password?: string): string {
  // Credentials are percent-encoded so that '@', ':', '/' and '#' in a password survive URL parsing.
  const auth = user !== undefined ? `${encodeURIComponent(user)}${password !== undefined ? `:${encodeURIComponent(password)}` : ""}@` : "";
  return `${scheme}://${auth}${hostPort(host, port)}`;
}

function tlsBlock(files: TlsFiles | undefined, verify: boolean): ConfObject | undefined {
  if (!files) return undefined;
  return {
    cert_file: files.certFile,
    key_file: files.keyFile,
    ...(files.caFile !== undefined ? { ca_file: files.caFile } : {}),
    ...(verify && files.caFile !== undefined ? { verify: true } : {}),
  };
}

function renderServer(ctx: Context, group: Group, server: ServerModel): string | undefined {
  const { model } = ctx;
  const me = server.name;
  const listen = ctx.listenHost(server, group);
  const files = group.tls.client || group.tls.cluster || group.tls.gateway || group.tls.leafnode ? ctx.tlsFiles(server, group.tls) : undefined;

  const header = [
    `natsfleet: server ${me} of ${group.kind === "cluster" ? "cluster" : "leaf node"} ${group.name} in topology ${model.name}`,
    `target ${group.target.kind}, broker ${group.broker}. Rendered from the topology; edit that, not this file.`,
  ];

  const basics: ConfObject = {
    server_name: me,
    listen: hostPort(listen, server.ports.client),
    http: hostPort(listen, server.ports.http),
  };
  if (group.tls.client) basics.tls = tlsBlock(files, false);

  const sections: ConfObject[] = [basics];

  const accounts = renderAccounts(ctx);
  if (accounts) sections.push(accounts);

  if (group.servers.length > 1) sections.push({ cluster: renderCluster(ctx, group, server, listen, files) });
  const external = group.externalHub ? renderExternalRemote(ctx, group.externalHub, server) : undefined;
  if (group.kind === "cluster") {
    if (model.gateways.enabled) sections.push({ gateway: renderGateway(ctx, group, server, listen, files) });
    const leafnodes: ConfObject = group.leafnodes.length > 0 ? renderLeafListener(ctx, group, server, listen, files) : {};
    if (external) leafnodes.remotes = [external];
    if (Object.keys(leafnodes).length) sections.push({ leafnodes });
  } else {
    sections.push({ leafnodes: { remotes: [external ?? renderLeafRemote(ctx, group, server, files)] } });
  }
  return writeConf(header, sections);
}

function renderAccounts(ctx: Context): ConfObject | undefined {
  const { model } = ctx;
  if (model.accounts.length === 0) return undefined;
  const accounts: ConfObject = {};
  for (const a of model.accounts) {
    const users: ConfValue[] = a.users.map((u) => {
      const entry: ConfObject = { user: u.user, password: ctx.secret(u.secret, `account ${a.name} user ${u.user}`) };
      if (u.permissions) entry.permissions = permissionsBlock(u.permissions);
      return entry;
    });
    accounts[a.name] = users.length ? { users } : {};
  }
  const out: ConfObject = { accounts };
  if (model.systemAccount !== undefined) out.system_account = model.systemAccount;
  return out;
}

function permissionsBlock(p: NonNullable<Topology["accounts"][number]["users"][number]["permissions"]>): ConfObject {
  const out: ConfObject = {};
  for (const dir of ["publish", "subscribe"] as const) {
    const d = p[dir];
    if (!d) continue;
    const block: ConfObject = {};
    if (d.allow) block.allow = d.allow;
    if (d.deny) block.deny = d.deny;
    out[dir] = block;
  }
  return out;
}

function renderCluster(ctx: Context, group: Group, server: ServerModel, listen: string, files: TlsFiles | undefined): ConfObject {
  const routeSecret = group.kind === "cluster" ? group.routeSecret : undefined;
  const password = routeSecret ? ctx.secret(routeSecret, `cluster ${group.name} routes`) : undefined;
  const user = routeSecret ? serviceUsers.route : undefined;
  const routes = group.servers
    .filter((s) => s.name !== server.name)
    .map((s) => url("nats-route", ctx.host(s.name, `${server.name} (route)`), s.ports.cluster, user, password));
  const block: ConfObject = { name: group.name, listen: hostPort(listen, server.ports.cluster) };
  if (user !== undefined && password !== undefined) block.authorization = { user, password };
  if (group.tls.cluster) block.tls = tlsBlock(files, true);
  block.routes = routes;
  return block;
}

function renderGateway(ctx: Context, cluster: ClusterModel, server: ServerModel, listen: string, files: TlsFiles | undefined): ConfObject {
  const { model } = ctx;
  const secret = model.gateways.secret;
  const password = secret ? ctx.secret(secret, `${server.name} (gateway)`) : undefined;
  const user = secret ? serviceUsers.gateway : undefined;
  const block: ConfObject = {
    name: cluster.name,
    listen: hostPort(listen, server.ports.gateway),
    advertise: hostPort(ctx.advertise(server.name, `${server.name} (gateway advertise)`), server.ports.gateway),
  };
  if (user !== undefined && password !== undefined) block.authorization = { user, password };
  if (cluster.tls.gateway) block.tls = tlsBlock(files, true);
  block.gateways = model.clusters
    .filter((c) => c.name !== cluster.name)
    .map((c) => ({
      name: c.name,
      urls: c.servers.map((s) => url("nats", ctx.advertise(s.name, `${server.name} (gateway to ${c.name})`), s.ports.gateway, user, password)),
    }));
  return block;
}

function renderLeafListener(ctx: Context, cluster: ClusterModel, server: ServerModel, listen: string, files: TlsFiles | undefined): ConfObject {
  const { model } = ctx;
  const users: ConfValue[] = [];
  for (const leafName of cluster.leafnodes) {
    const leaf = model.leafnodes.find((l) => l.name === leafName);
    if (!leaf?.hubUser || leaf.hubSecret === undefined) continue;
    const entry: ConfObject = { user: leaf.hubUser, password: ctx.secret(leaf.hubSecret, `${server.name} (leaf node ${leaf.name})`) };
    if (leaf.account !== undefined) entry.account = leaf.account;
    users.push(entry);
  }
  const block: ConfObject = {
    listen: hostPort(listen, server.ports.leafnode),
    advertise: hostPort(ctx.advertise(server.name, `${server.name} (leafnode advertise)`), server.ports.leafnode),
    authorization: { users },
  };
  if (cluster.tls.leafnode) block.tls = tlsBlock(files, false);
  return block;
}

/** The remote to a declared hub cluster: every hub server's advertised leafnode address. */
function renderLeafRemote(ctx: Context, leaf: LeafNodeModel, server: ServerModel, files: TlsFiles | undefined): ConfObject {
  const { model } = ctx;
  const hub = model.clusters.find((c) => c.name === leaf.hub);
  if (!hub || leaf.hubSecret === undefined) {
    ctx.problem(`${server.name}: leaf node ${leaf.name} has no hub`);
    return {};
  }
  const password = ctx.secret(leaf.hubSecret, `${server.name} (leaf remote)`);
  const remote: ConfObject = {
    urls: hub.servers.map((s) => url("nats-leaf", ctx.advertise(s.name, `${server.name} (leaf remote to ${hub.name})`), s.ports.leafnode, leaf.hubUser, password)),
  };
  if (leaf.account !== undefined) remote.account = leaf.account;
  // The hub's listener decides whether the link is TLS; the leaf side follows it.
  if (hub.tls.leafnode) remote.tls = tlsBlock(files ?? ctx.tlsFiles(server, leaf.tls), false);
  return remote;
}

/**
 * The remote to an external hub, as nats-server takes it: the URLs as given (a tls:// URL
 * makes nats-server and our broker use TLS with the system roots), the `.creds` file where the
 * target put it, and the local account.
 */
function renderExternalRemote(ctx: Context, hub: ExternalHubModel, server: ServerModel): ConfObject {
  const remote: ConfObject = { urls: hub.urls };
  if (hub.credentials) {
    const placed = ctx.inputs.credentialsFiles?.[server.name] ?? ("file" in hub.credentials ? hub.credentials.file : undefined);
    if (placed === undefined) ctx.problem(`${server.name}: ${formatPath([...hub.path, "credentials"])}: the target placed no .creds file for this server`);
    else remote.credentials = placed;
  }
  if (hub.account !== undefined) remote.account = hub.account;
  if (hub.caFile !== undefined) remote.tls = { ca_file: hub.caFile };
  return remote;
}

/** Same as renderTopology, as a plain object (what a Pulumi Output carries well). */
export function render(model: Topology, inputs: RenderInputs<string>, options: RenderOptions = {}): Record<string, string> {
  return Object.fromEntries(renderTopology(model, inputs, options));
}
