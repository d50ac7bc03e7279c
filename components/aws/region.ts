/**
 * What every group in one AWS region shares: the provider, the network (new or existing), the
 * config bucket with the broker bundle, and the AMI. Made once per super-cluster and region,
 * as children of the SuperCluster, so a group added later reuses them untouched.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { AwsTarget as AwsTargetModel } from "../topology/model";
import { brokerBundle } from "../common/bundle";
import { ResolvedAwsOptions, subnetCidr } from "./options";

/** S3 key of the broker bundle: fixed, so user-data never changes with the broker. */
export const BUNDLE_KEY = "broker/natsfleet-server.js";

export interface AwsRegion {
  region: string;
  provider: aws.Provider;
  bucket: aws.s3.Bucket;
  bundle: aws.s3.BucketObjectv2 | undefined;
  ami: pulumi.Output<string>;
  tags: Record<string, string>;
}

export interface AwsNetwork {
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string>[];
  /** Resources instances must wait for (the internet gateway's route). */
  ready: pulumi.Resource[];
}

export function regionResources(root: pulumi.Resource, scName: string, region: string, o: ResolvedAwsOptions, needsBundle: boolean): AwsRegion {
  const base = `${scName}-aws-${region}`;
  const tags = { "natsfleet:topology": scName, ...o.tags };
  const provider = o.providers[region] ?? new aws.Provider(base, { region: region as aws.Region }, { parent: root });
  const opts = { parent: root, provider };
  // S3 names are lowercase and at most 63 long; the provider appends a 26-character suffix
  const bucketPrefix = `${base.toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, 36).replace(/-+$/, "")}-`;
  const bucket = new aws.s3.Bucket(`${base}-config`, { bucketPrefix, forceDestroy: true, tags }, opts);
  new aws.s3.BucketPublicAccessBlock(
    `${base}-config`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    opts,
  );
  const bundle = needsBundle
    ? new aws.s3.BucketObjectv2(`${base}-broker`, { bucket: bucket.id, key: BUNDLE_KEY, source: brokerBundle().asset(), contentType: "application/javascript", tags }, opts)
    : undefined;
  const ami = aws.ec2
    .getAmiOutput(
      { owners: ["amazon"], mostRecent: true, filters: [{ name: "name", values: [`${o.amiNamePattern}-${o.architecture}`] }, { name: "architecture", values: [o.architecture] }] },
      { provider, parent: root },
    )
    .apply((a) => a.id);
  return { region, provider, bucket, bundle, ami, tags };
}

/** A new VPC with public subnets across zones, or the existing one the topology names. */
export function networkResources(root: pulumi.Resource, scName: string, r: AwsRegion, target: AwsTargetModel, o: ResolvedAwsOptions): AwsNetwork {
  const opts = { parent: root, provider: r.provider };
  if (target.subnetIds?.length) {
    const vpcId = target.vpcId ?? aws.ec2.getSubnetOutput({ id: target.subnetIds[0] }, { provider: r.provider, parent: root }).vpcId;
    return { vpcId, subnetIds: target.subnetIds, ready: [] };
  }
  if (target.vpcId) throw new Error(`aws target in ${r.region}: vpcId ${target.vpcId} needs subnetIds too (the subnets the servers go in)`);
  const base = `${scName}-aws-${r.region}`;
  const vpc = new aws.ec2.Vpc(`${base}-vpc`, { cidrBlock: o.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...r.tags, Name: base } }, opts);
  const igw = new aws.ec2.InternetGateway(`${base}-igw`, { vpcId: vpc.id, tags: r.tags }, opts);
  const routes = new aws.ec2.RouteTable(`${base}-rt`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: r.tags }, opts);
  const zones = aws.getAvailabilityZonesOutput({ state: "available" }, { provider: r.provider, parent: root });
  const subnetIds: pulumi.Output<string>[] = [];
  for (let i = 0; i < o.zoneCount; i++) {
    const subnet = new aws.ec2.Subnet(
      `${base}-subnet-${i}`,
      { vpcId: vpc.id, cidrBlock: subnetCidr(o.vpcCidr, i), availabilityZone: zones.names.apply((n) => n[i % n.length]!), tags: { ...r.tags, Name: `${base}-${i}` } },
      opts,
    );
    new aws.ec2.RouteTableAssociation(`${base}-subnet-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, opts);
    subnetIds.push(subnet.id);
  }
  return { vpcId: vpc.id, subnetIds, ready: [igw, routes] };
}
