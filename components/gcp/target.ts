/**
 * Target `gcp`: each server is a Compute Engine instance.
 *
 * allocate (under the SuperCluster): per region the provider, network and subnetwork (or the
 * existing ones); per group a network tag and a service account with no roles; per server a
 * static internal address (routes) and a static external one (advertise), and with TLS its
 * certificate. deploy (under the Cluster/LeafNode): firewall rules from the firewall model and
 * the instance. The startup script is the common bootstrap, which polls the server's channel:
 * public files (certificate, CA, broker bundle) in instance metadata, which updates in place;
 * files with secrets (the config carries passwords, the private key) in Secret Manager, one
 * secret each that only the server's own service account may read, since instance metadata is
 * readable by anyone who can view the instance. Neither change touches the instance.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { GcpTarget as GcpTargetModel, ServerModel } from "../topology/model";
import type { Allocation, DeployRequest, DeployedServer, DnsCheckerRequest, DnsRequest, DnsResult, NodeGroup, Target } from "../target";
import type { DnsPlan } from "../topology/dns";
import { bootstrapScript, CHANNEL_CONFIG, CHANNEL_TLS } from "../common/bootstrap";
import { CHANNEL_CREDS, VM_CREDS_FILE } from "../common/hub-credentials";
import { brokerBundle } from "../common/bundle";
import { firewallRules, hostCidr } from "../common/firewall";
import { groupUsesTls, ServerCert, sharedPki, superClusterName, VM_TLS_FILES } from "../common/pki";
import { gcpName, GcpTargetOptions, resolveGcpOptions, ResolvedGcpOptions } from "./options";
import { checkGcpDns, gcpDns, GcpClusterNetwork, healthCheckerFirewall } from "./dns";

/** GCP's limit on one metadata value. */
export const METADATA_VALUE_LIMIT = 256 * 1024;
/** Metadata key of the gzip+base64 broker bundle. */
export const BUNDLE_METADATA_KEY = "natsfleet-broker";

/** Metadata key carrying channel file `file` (tls/cert.pem -> natsfleet-tls-cert-pem). */
export function metadataKey(file: string): string {
  return `natsfleet-${file.replace(/[/.]/g, "-")}`;
}

/** Channel files that hold secrets and so travel through Secret Manager. */
export const SECRET_FILES: readonly string[] = [CHANNEL_CONFIG, "tls/key.pem", CHANNEL_CREDS];

/** Secret Manager id of `file` for a server whose secrets share `prefix`. */
export function secretId(prefix: string, file: string): string {
  return `${prefix}-${file.replace(/[/.]/g, "-")}`;
}

interface GcpRegion {
  provider: gcp.Provider;
  network: pulumi.Input<string>;
  subnetwork: pulumi.Input<string>;
}

interface AllocatedGroup {
  region: GcpRegion;
  tag: string;
  account: gcp.serviceaccount.Account;
  servers: Map<string, { internal: gcp.compute.Address; external: gcp.compute.Address; cert?: ServerCert }>;
}

function gcpModel(group: NodeGroup): GcpTargetModel {
  if (group.target.kind !== "gcp") throw new Error(`${group.path}: group ${group.name} is not a gcp group (target ${group.target.kind})`);
  return group.target;
}

export class GcpTarget implements Target {
  readonly kind = "gcp" as const;
  private resolved?: ResolvedGcpOptions;
  private readonly regions = new WeakMap<pulumi.Resource, Map<string, GcpRegion>>();
  private readonly groups = new Map<string, AllocatedGroup>();

  constructor(private readonly given: GcpTargetOptions = {}) {}

  get options(): ResolvedGcpOptions {
    return (this.resolved ??= resolveGcpOptions(this.given));
  }

  private region(root: pulumi.Resource, scName: string, t: GcpTargetModel): GcpRegion {
    let byKey = this.regions.get(root);
    if (!byKey) this.regions.set(root, (byKey = new Map()));
    const key = `${t.project ?? ""}|${t.region}|${t.network ?? ""}|${t.subnetwork ?? ""}`;
    const hit = byKey.get(key);
    if (hit) return hit;
    const base = `${scName}-gcp-${t.region}`;
    const provider = this.options.providers[t.region] ?? new gcp.Provider(base, { region: t.region, ...(t.project ? { project: t.project } : {}) }, { parent: root });
    const opts = { parent: root, provider };
    // kept on destroy: other workloads of the project may use the API too
    new gcp.projects.Service(`${base}-secretmanager`, { service: "secretmanager.googleapis.com", disableOnDestroy: false }, opts);
    let r: GcpRegion;
    if (t.subnetwork) {
      r = { provider, network: t.network ?? "default", subnetwork: t.subnetwork };
    } else {
      if (t.network) throw new Error(`gcp target in ${t.region}: network ${t.network} needs subnetwork too (the subnetwork the servers go in)`);
      const network = new gcp.compute.Network(`${base}-net`, { name: gcpName(`${base}-net`), autoCreateSubnetworks: false, description: `natsfleet ${scName}` }, opts);
      const subnetwork = new gcp.compute.Subnetwork(`${base}-subnet`, { name: gcpName(`${base}-subnet`), network: network.id, region: t.region, ipCidrRange: this.options.subnetCidr, privateIpGoogleAccess: true }, opts);
      r = { provider, network: network.id, subnetwork: subnetwork.id };
    }
    byKey.set(key, r);
    return r;
  }

  allocate(group: NodeGroup, parent: pulumi.Resource, prefix: string): Allocation {
    const t = gcpModel(group);
    const scName = superClusterName(prefix, group);
    const region = this.region(parent, scName, t);
    const opts = { parent, provider: region.provider };
    const tag = gcpName(`nf-${prefix}`);
    const account = new gcp.serviceaccount.Account(
      `${prefix}-sa`,
      { accountId: gcpName(`nf-${prefix}`, 30), displayName: `natsfleet ${group.name}`, description: "natsfleet servers: no roles granted" },
      opts,
    );
    const alloc: Allocation = { addresses: {} };
    const tls = groupUsesTls(group);
    if (tls) alloc.tlsFiles = {};
    const servers: AllocatedGroup["servers"] = new Map();
    for (const s of group.servers) {
      const internal = new gcp.compute.Address(`${prefix}-${s.name}-internal`, { name: gcpName(`${prefix}-${s.name}-internal`), addressType: "INTERNAL", subnetwork: region.subnetwork, region: t.region, description: `natsfleet ${s.name} routes` }, opts);
      const external = new gcp.compute.Address(`${prefix}-${s.name}-external`, { name: gcpName(`${prefix}-${s.name}-external`), addressType: "EXTERNAL", region: t.region, description: `natsfleet ${s.name} advertise` }, opts);
      const address = { host: internal.address, advertise: external.address };
      alloc.addresses[s.name] = address;
      const entry: { internal: gcp.compute.Address; external: gcp.compute.Address; cert?: ServerCert } = { internal, external };
      if (tls) {
        entry.cert = sharedPki(parent, scName).serverCert({ server: s.name, address, extra: [`${gcpName(`${prefix}-${s.name}`)}.${this.zoneOf(t, s)}.c.internal`] }, parent, `${prefix}-${s.name}`);
        alloc.tlsFiles![s.name] = VM_TLS_FILES;
      }
      servers.set(s.name, entry);
      if (group.externalHub?.credentials) (alloc.credentialsFiles ??= {})[s.name] = VM_CREDS_FILE;
    }
    this.groups.set(prefix, { region, tag, account, servers });
    return alloc;
  }

  private zoneOf(t: GcpTargetModel, s: ServerModel): string {
    const zones = this.options.zones[t.region];
    return zones?.length ? zones[s.index % zones.length]! : t.zone;
  }

  deploy(req: DeployRequest): DeployedServer[] {
    const g = this.groups.get(req.prefix);
    if (!g) throw new Error(`gcp target: ${req.group.name} (${req.prefix}) was never allocated; allocate runs before deploy`);
    const t = gcpModel(req.group);
    this.firewall(req, g);
    return req.group.servers.map((s) => this.server(req, t, s, g));
  }

  /** Before anything registers: geo locations for the AWS clusters, one health-check port (see ./dns.ts). */
  checkDns(plan: DnsPlan): void {
    checkGcpDns(plan, this.options);
  }

  /** Cloud DNS records for the topology's `dns` (see ./dns.ts). */
  dns(req: DnsRequest): DnsResult {
    return gcpDns(req, { options: this.options, cluster: (name) => this.clusterNetwork(req.prefix, name) });
  }

  /**
   * The monitoring port of its clusters opened to another cloud's DNS health checkers
   * (Route53's, when its zone answers with these clusters): one firewall rule per cluster.
   */
  admitDnsCheckers(req: DnsCheckerRequest): pulumi.Resource[] {
    return req.clusters.map((c) => healthCheckerFirewall(c, this.clusterNetwork(req.prefix, c.group.name), req.cidrs, req.service, req.parent, req.prefix));
  }

  /** A cluster of the SuperCluster named `superCluster`: allocate's prefix is `${superCluster}-${group}`. */
  private clusterNetwork(superCluster: string, name: string): GcpClusterNetwork {
    const g = this.groups.get(`${superCluster}-${name}`);
    if (!g) throw new Error(`gcp target: cluster ${name} was never allocated under this SuperCluster; dns runs after deploy`);
    return { provider: g.region.provider, network: g.region.network, tag: g.tag };
  }

  private firewall(req: DeployRequest, g: AllocatedGroup): void {
    if (!req.context) throw new Error(`gcp target: ${req.group.name} needs the topology's addresses for its firewall (DeployRequest.context)`);
    const opts = { parent: req.parent, provider: g.region.provider };
    const rules = firewallRules(req.context.model, req.group, req.context.addresses, { allowedCidrs: this.options.allowedCidrs, monitorCidrs: this.options.monitorCidrs });
    for (const rule of rules) {
      const base = { network: g.region.network, direction: "INGRESS", targetTags: [g.tag], allows: [{ protocol: "tcp", ports: [String(rule.port)] }], description: rule.description };
      const source =
        rule.source.kind === "group"
          ? { sourceTags: [g.tag] }
          : rule.source.kind === "cidrs"
            ? { sourceRanges: rule.source.cidrs }
            : { sourceRanges: pulumi.all(rule.source.servers.map((p) => pulumi.output(p.address).apply(hostCidr))) };
      new gcp.compute.Firewall(`${req.prefix}-fw-${rule.id}`, { name: gcpName(`${req.prefix}-fw-${rule.id}`), ...base, ...source }, opts);
    }
  }

  private server(req: DeployRequest, t: GcpTargetModel, s: ServerModel, g: AllocatedGroup): DeployedServer {
    const a = g.servers.get(s.name)!;
    const opts = { parent: req.parent, provider: g.region.provider };
    const files: string[] = [CHANNEL_CONFIG, ...(a.cert ? CHANNEL_TLS : [])];
    const secrets = gcpName(`nf-${req.prefix}-${s.name}`, 200);
    const labels = { "natsfleet-topology": gcpName(req.context?.model.name ?? "natsfleet"), "natsfleet-group": gcpName(req.group.name), ...this.options.labels };
    const secretValues: Record<string, pulumi.Output<string>> = { [CHANNEL_CONFIG]: req.configs[s.name]!.apply((c) => checkSize(s.name, CHANNEL_CONFIG, c, SECRET_VALUE_LIMIT)) };
    if (a.cert) secretValues["tls/key.pem"] = a.cert.keyPem;
    if (req.hubCredentials) {
      secretValues[CHANNEL_CREDS] = req.hubCredentials;
      files.push(CHANNEL_CREDS);
    }
    const versions: pulumi.Resource[] = [];
    for (const [file, value] of Object.entries(secretValues)) {
      const id = secretId(secrets, file);
      const slug = file.replace(/[/.]/g, "-");
      const secret = new gcp.secretmanager.Secret(`${req.prefix}-${s.name}-${slug}`, { secretId: id, replication: { auto: {} }, labels }, opts);
      versions.push(new gcp.secretmanager.SecretVersion(`${req.prefix}-${s.name}-${slug}`, { secret: secret.id, secretData: pulumi.secret(value) }, opts));
      new gcp.secretmanager.SecretIamMember(
        `${req.prefix}-${s.name}-${slug}-reader`,
        { secretId: secret.id, role: "roles/secretmanager.secretAccessor", member: pulumi.interpolate`serviceAccount:${g.account.email}` },
        opts,
      );
    }
    const metadata: Record<string, pulumi.Input<string>> = {
      "startup-script": startupScript(s.name, req.group.broker, files, this.options.pollSeconds, secrets),
      "enable-oslogin": "TRUE",
      "block-project-ssh-keys": "TRUE",
    };
    if (req.group.broker === "natsfleet") metadata[BUNDLE_METADATA_KEY] = checkSize(s.name, BUNDLE_METADATA_KEY, brokerBundle().gzipBase64, METADATA_VALUE_LIMIT);
    if (a.cert) {
      metadata[metadataKey("tls/cert.pem")] = a.cert.certPem;
      metadata[metadataKey("tls/ca.pem")] = a.cert.caPem;
    }
    const instance = new gcp.compute.Instance(
      `${req.prefix}-${s.name}`,
      {
        name: gcpName(`${req.prefix}-${s.name}`),
        machineType: t.machineType,
        zone: this.zoneOf(t, s),
        tags: [g.tag],
        labels,
        bootDisk: { initializeParams: { image: t.image ?? this.options.image, size: this.options.diskSizeGb, type: this.options.diskType, labels } },
        networkInterfaces: [{ subnetwork: g.region.subnetwork, networkIp: a.internal.address, accessConfigs: [{ natIp: a.external.address }] }],
        metadata: pulumi.all(metadata),
        // the scope admits the API; IAM limits the account to this server's own secrets
        serviceAccount: { email: g.account.email, scopes: ["https://www.googleapis.com/auth/cloud-platform"] },
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
        allowStoppingForUpdate: false,
      },
      { ...opts, dependsOn: versions },
    );
    const deployed: DeployedServer = {
      name: s.name,
      clientUrl: pulumi.all([instance.id, a.external.address]).apply(([, ip]) => `nats://${ip}:${s.ports.client}`),
      resources: [instance],
    };
    if (s.ports.http) deployed.monitorUrl = pulumi.all([instance.id, a.internal.address]).apply(([, ip]) => `http://${ip}:${s.ports.http}`);
    return deployed;
  }
}

/** Secret Manager's limit on one secret version. */
export const SECRET_VALUE_LIMIT = 64 * 1024;

function checkSize(server: string, key: string, value: string, limit: number): string {
  const size = Buffer.byteLength(value);
  if (size > limit) throw new Error(`gcp: ${key} of ${server} is ${size} bytes; GCP allows ${limit}`);
  return value;
}

/**
 * The startup script of one server: the common bootstrap reading secret files from Secret
 * Manager (`${secrets}-<file>`, with the instance's own token) and the rest from its metadata.
 */
export function startupScript(server: string, broker: NodeGroup["broker"], files: string[], pollSeconds: number, secrets: string): string {
  const md = "http://metadata.google.internal/computeMetadata/v1";
  const get = 'curl -fsS -H "Metadata-Flavor: Google"';
  const field = (name: string) => `sed -n 's/.*"${name}" *: *"\\([^"]*\\)".*/\\1/p'`;
  return bootstrapScript({
    server,
    broker,
    files,
    pollSeconds,
    fetchFile: `local key="\${1//[\\/.]/-}" project token
case "$1" in
  ${SECRET_FILES.join("|")})
    project=$(${get} "${md}/project/project-id")
    token=$(${get} "${md}/instance/service-accounts/default/token" | ${field("access_token")})
    curl -fsS -H "Authorization: Bearer $token" "https://secretmanager.googleapis.com/v1/projects/$project/secrets/${secrets}-$key/versions/latest:access" | ${field("data")} | base64 -d >"$2"
    ;;
  *) ${get} "${md}/instance/attributes/natsfleet-$key" -o "$2" ;;
esac`,
    fetchBundle: `${get} "${md}/instance/attributes/${BUNDLE_METADATA_KEY}" | base64 -d | gunzip >"$1"`,
  });
}
