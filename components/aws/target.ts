/**
 * Target `aws`: each server is an EC2 instance in a public subnet of its region.
 *
 * allocate (under the SuperCluster): the region's shared resources, the group's security
 * group, and per server a network interface (its private IP: routes) with an Elastic IP (its
 * advertise address: gateways, leaf nodes, clients) and, with TLS, its certificate.
 * deploy (under the Cluster/LeafNode): firewall rules, the config (and TLS files) as S3
 * objects, an IAM role that can read only those and the broker bundle, and the instance, whose
 * user-data is a small bootstrap that polls its objects and reloads on change. Config changes
 * therefore touch S3 objects only, never the instance.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { AwsTarget as AwsTargetModel, ServerModel } from "../topology/model";
import type { Allocation, DeployRequest, DeployedServer, DnsCheckerRequest, DnsRequest, DnsResult, NodeGroup, Target } from "../target";
import type { DnsPlan } from "../topology/dns";
import { bootstrapScript, CHANNEL_CONFIG, CHANNEL_TLS, USER_DATA_LIMIT } from "../common/bootstrap";
import { firewallRules, hostCidr } from "../common/firewall";
import { CHANNEL_CREDS, VM_CREDS_FILE } from "../common/hub-credentials";
import { groupUsesTls, ServerCert, sharedPki, superClusterName, VM_TLS_FILES } from "../common/pki";
import { AwsTargetOptions, resolveAwsOptions, ResolvedAwsOptions } from "./options";
import { AwsNetwork, AwsRegion, BUNDLE_KEY, networkResources, regionResources } from "./region";
import { awsDns, checkAwsDns, healthCheckerRules } from "./dns";

interface AllocatedServer {
  eni: aws.ec2.NetworkInterface;
  eip: aws.ec2.Eip;
  cert?: ServerCert;
}

interface AllocatedGroup {
  region: AwsRegion;
  network: AwsNetwork;
  sg: aws.ec2.SecurityGroup;
  servers: Map<string, AllocatedServer>;
}

function awsModel(group: NodeGroup): AwsTargetModel {
  if (group.target.kind !== "aws") throw new Error(`${group.path}: group ${group.name} is not an aws group (target ${group.target.kind})`);
  return group.target;
}

/** Resource-name-safe form of a CIDR or address. */
const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, "-").replace(/-+$/, "");

export class AwsTarget implements Target {
  readonly kind = "aws" as const;
  private resolved?: ResolvedAwsOptions;
  private readonly regions = new WeakMap<pulumi.Resource, Map<string, AwsRegion>>();
  private readonly networks = new WeakMap<pulumi.Resource, Map<string, AwsNetwork>>();
  private readonly groups = new Map<string, AllocatedGroup>();

  constructor(private readonly given: AwsTargetOptions = {}) {}

  /** Options, resolved on first use (stack config is only readable inside a program run). */
  get options(): ResolvedAwsOptions {
    return (this.resolved ??= resolveAwsOptions(this.given));
  }

  private region(root: pulumi.Resource, scName: string, region: string): AwsRegion {
    let byName = this.regions.get(root);
    if (!byName) this.regions.set(root, (byName = new Map()));
    let r = byName.get(region);
    // the bundle is always uploaded: a group with the natsfleet broker may join later
    if (!r) byName.set(region, (r = regionResources(root, scName, region, this.options, true)));
    return r;
  }

  private network(root: pulumi.Resource, scName: string, r: AwsRegion, t: AwsTargetModel): AwsNetwork {
    let byKey = this.networks.get(root);
    if (!byKey) this.networks.set(root, (byKey = new Map()));
    const key = `${r.region}|${t.vpcId ?? ""}|${(t.subnetIds ?? []).join(",")}`;
    let n = byKey.get(key);
    if (!n) byKey.set(key, (n = networkResources(root, scName, r, t, this.options)));
    return n;
  }

  allocate(group: NodeGroup, parent: pulumi.Resource, prefix: string): Allocation {
    const t = awsModel(group);
    const scName = superClusterName(prefix, group);
    const region = this.region(parent, scName, t.region);
    const network = this.network(parent, scName, region, t);
    const opts = { parent, provider: region.provider };
    const tags = { ...region.tags, "natsfleet:group": group.name };
    const sg = new aws.ec2.SecurityGroup(`${prefix}-sg`, { vpcId: network.vpcId, description: `natsfleet ${group.kind} ${group.name}`, tags }, opts);
    new aws.vpc.SecurityGroupEgressRule(`${prefix}-egress`, { securityGroupId: sg.id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", description: "outbound: peers, package mirrors, S3" }, opts);
    const alloc: Allocation = { addresses: {} };
    const servers = new Map<string, AllocatedServer>();
    const tls = groupUsesTls(group);
    if (tls) alloc.tlsFiles = {};
    for (const s of group.servers) {
      const eni = new aws.ec2.NetworkInterface(
        `${prefix}-${s.name}-eni`,
        { subnetId: network.subnetIds[s.index % network.subnetIds.length]!, securityGroups: [sg.id], description: `natsfleet server ${s.name}`, tags: { ...tags, Name: s.name } },
        opts,
      );
      const eip = new aws.ec2.Eip(`${prefix}-${s.name}-eip`, { domain: "vpc", networkInterface: eni.id, tags: { ...tags, Name: s.name } }, { ...opts, dependsOn: network.ready });
      const address = { host: eni.privateIp, advertise: eip.publicIp };
      alloc.addresses[s.name] = address;
      const server: AllocatedServer = { eni, eip };
      if (tls) {
        server.cert = sharedPki(parent, scName).serverCert({ server: s.name, address, extra: [eip.publicDns, eni.privateDnsName] }, parent, `${prefix}-${s.name}`);
        alloc.tlsFiles![s.name] = VM_TLS_FILES;
      }
      servers.set(s.name, server);
      if (group.externalHub?.credentials) (alloc.credentialsFiles ??= {})[s.name] = VM_CREDS_FILE;
    }
    this.groups.set(prefix, { region, network, sg, servers });
    return alloc;
  }

  deploy(req: DeployRequest): DeployedServer[] {
    const allocated = this.groups.get(req.prefix) ?? this.notAllocated(req);
    const t = awsModel(req.group);
    const opts = { parent: req.parent, provider: allocated.region.provider };
    this.firewall(req, allocated);
    return req.group.servers.map((s) => this.server(req, t, s, allocated, opts));
  }

  /** Before anything registers: every GCP cluster's region has a latency region (see ./dns.ts). */
  checkDns(plan: DnsPlan): void {
    checkAwsDns(plan, this.options);
  }

  /** Route53 records for the topology's `dns` (see ./dns.ts). */
  dns(req: DnsRequest): DnsResult {
    return awsDns(req, {
      options: this.options,
      provider: (region) => {
        const r = this.regions.get(req.parent)?.get(region);
        if (!r) throw new Error(`aws target: no provider for ${region}; dns runs after allocate`);
        return r.provider;
      },
      securityGroup: (cluster) => this.allocatedUnder(req.prefix, cluster).sg,
      tags: req.own[0] ? this.allocatedUnder(req.prefix, req.own[0].group.name).region.tags : {},
    });
  }

  /**
   * The monitoring port of its clusters opened to another cloud's DNS health checkers (Cloud
   * DNS's, when its zone answers with these clusters): one rule per CIDR, like its own
   * health-checker rules. The CIDRs are stack config, so known here.
   */
  admitDnsCheckers(req: DnsCheckerRequest): pulumi.Resource[] {
    const cidrs = req.cidrs;
    if (!Array.isArray(cidrs) || cidrs.some((c) => typeof c !== "string")) throw new Error(`aws target: ${req.service} health checker ranges must be known CIDRs for security group rules`);
    return req.clusters.flatMap((c) => {
      const g = this.allocatedUnder(req.prefix, c.group.name);
      return healthCheckerRules(c, g.sg.id, { cidrs: cidrs as string[] }, req.service, { parent: req.parent, provider: g.region.provider }, req.prefix);
    });
  }

  /** A cluster of the SuperCluster named `superCluster`: allocate's prefix is `${superCluster}-${group}`. */
  private allocatedUnder(superCluster: string, cluster: string): AllocatedGroup {
    const g = this.groups.get(`${superCluster}-${cluster}`);
    if (!g) throw new Error(`aws target: cluster ${cluster} was never allocated under this SuperCluster; dns runs after deploy`);
    return g;
  }

  /** Cluster/LeafNode prefixes equal the allocate prefix (`${superCluster}-${group}`). */
  private notAllocated(req: DeployRequest): never {
    throw new Error(`aws target: ${req.group.name} (${req.prefix}) was never allocated; allocate runs before deploy`);
  }

  private firewall(req: DeployRequest, g: AllocatedGroup): void {
    if (!req.context) throw new Error(`aws target: ${req.group.name} needs the topology's addresses for its firewall (DeployRequest.context)`);
    const opts = { parent: req.parent, provider: g.region.provider };
    const rules = firewallRules(req.context.model, req.group, req.context.addresses, { allowedCidrs: this.options.allowedCidrs, monitorCidrs: this.options.monitorCidrs });
    for (const rule of rules) {
      const base = { securityGroupId: g.sg.id, ipProtocol: "tcp", fromPort: rule.port, toPort: rule.port, description: rule.description };
      const name = `${req.prefix}-fw-${rule.listener}-${rule.port}`;
      switch (rule.source.kind) {
        case "group":
          new aws.vpc.SecurityGroupIngressRule(`${name}-self`, { ...base, referencedSecurityGroupId: g.sg.id }, opts);
          break;
        case "cidrs":
          for (const c of rule.source.cidrs) {
            new aws.vpc.SecurityGroupIngressRule(`${name}-${slug(c)}`, { ...base, ...(c.includes(":") ? { cidrIpv6: c } : { cidrIpv4: c }) }, opts);
          }
          break;
        case "servers":
          // one rule per peer server, named after it: a new peer adds a rule, changes none
          for (const peer of rule.source.servers) {
            new aws.vpc.SecurityGroupIngressRule(
              `${name}-${peer.name}`,
              { ...base, cidrIpv4: pulumi.output(peer.address).apply(hostCidr), description: `gateway from ${peer.name} (cluster ${peer.group})` },
              opts,
            );
          }
          break;
      }
    }
  }

  private server(req: DeployRequest, t: AwsTargetModel, s: ServerModel, g: AllocatedGroup, opts: pulumi.CustomResourceOptions): DeployedServer {
    const a = g.servers.get(s.name)!;
    const n = `${req.prefix}-${s.name}`;
    const tags = { ...g.region.tags, "natsfleet:group": req.group.name, Name: s.name };
    const keyPrefix = `servers/${s.name}/`;
    const objects: aws.s3.BucketObjectv2[] = [
      new aws.s3.BucketObjectv2(`${n}-config`, { bucket: g.region.bucket.id, key: `${keyPrefix}${CHANNEL_CONFIG}`, content: pulumi.secret(req.configs[s.name]!), contentType: "text/plain", tags }, opts),
    ];
    const files: string[] = [CHANNEL_CONFIG];
    if (a.cert) {
      const pems: Record<(typeof CHANNEL_TLS)[number], pulumi.Output<string>> = { "tls/cert.pem": a.cert.certPem, "tls/key.pem": a.cert.keyPem, "tls/ca.pem": a.cert.caPem };
      for (const f of CHANNEL_TLS) {
        objects.push(new aws.s3.BucketObjectv2(`${n}-${f.replace(/[/.]/g, "-")}`, { bucket: g.region.bucket.id, key: `${keyPrefix}${f}`, content: f === "tls/key.pem" ? pulumi.secret(pems[f]) : pems[f], contentType: "text/plain", tags }, opts));
        files.push(f);
      }
    }
    if (req.hubCredentials) {
      objects.push(new aws.s3.BucketObjectv2(`${n}-hub-creds`, { bucket: g.region.bucket.id, key: `${keyPrefix}${CHANNEL_CREDS}`, content: pulumi.secret(req.hubCredentials), contentType: "text/plain", tags }, opts));
      files.push(CHANNEL_CREDS);
    }
    const role = new aws.iam.Role(
      `${n}-role`,
      { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }), tags },
      opts,
    );
    new aws.iam.RolePolicy(
      `${n}-read-config`,
      {
        role: role.id,
        policy: g.region.bucket.arn.apply((arn) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${arn}/${keyPrefix}*`, `${arn}/${BUNDLE_KEY}`] }],
          }),
        ),
      },
      opts,
    );
    const profile = new aws.iam.InstanceProfile(`${n}-profile`, { role: role.name, tags }, opts);
    const userData = pulumi.all([g.region.bucket.bucket]).apply(([bucket]) => awsUserData(s.name, req.group.broker, bucket, g.region.region, files, this.options.pollSeconds));
    const instance = new aws.ec2.Instance(
      n,
      {
        ami: t.ami ?? g.region.ami,
        instanceType: t.instanceType,
        primaryNetworkInterface: { networkInterfaceId: a.eni.id },
        iamInstanceProfile: profile.name,
        userData,
        userDataReplaceOnChange: false,
        ...(t.keyName ? { keyName: t.keyName } : {}),
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
        rootBlockDevice: { volumeSize: this.options.diskSizeGb, volumeType: this.options.diskType, encrypted: true },
        tags,
      },
      { ...opts, dependsOn: [...objects, ...(g.region.bundle ? [g.region.bundle] : []), ...g.network.ready] },
    );
    const deployed: DeployedServer = {
      name: s.name,
      clientUrl: pulumi.all([instance.id, a.eip.publicIp]).apply(([, ip]) => `nats://${ip}:${s.ports.client}`),
      resources: [instance],
    };
    // private address: monitoring is never public
    if (s.ports.http) deployed.monitorUrl = pulumi.all([instance.id, a.eni.privateIp]).apply(([, ip]) => `http://${ip}:${s.ports.http}`);
    return deployed;
  }
}

/** The user-data of one server: the common bootstrap reading its S3 objects. */
export function awsUserData(server: string, broker: NodeGroup["broker"], bucket: string, region: string, files: string[], pollSeconds: number): string {
  const script = bootstrapScript({
    server,
    broker,
    files,
    pollSeconds,
    fetchFile: `aws s3 cp --only-show-errors --region ${region} "s3://${bucket}/servers/${server}/$1" "$2"`,
    fetchBundle: `aws s3 cp --only-show-errors --region ${region} "s3://${bucket}/${BUNDLE_KEY}" "$1"`,
  });
  const size = Buffer.byteLength(script);
  if (size >= USER_DATA_LIMIT) throw new Error(`aws user-data of ${server} is ${size} bytes; AWS allows at most ${USER_DATA_LIMIT}`);
  return script;
}
