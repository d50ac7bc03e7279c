/**
 * A stand-in cloud target for policy tests: it registers the resource types the real AWS, GCP
 * and Kubernetes targets register (by type token; no cloud SDK needed under mocks), with the
 * inputs the policies read, and hands out the addresses a test asks for.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Allocation, DeployRequest, DeployedServer, NodeGroup, Target } from "../../components/target";
import type { TargetKind } from "../../components/topology/model";

/** A resource of any type token (what a provider SDK class does, minus the SDK). */
export class RawResource extends pulumi.CustomResource {
  constructor(type: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(type, name, props, opts);
  }
}

export interface FakeTargetOptions {
  /** Private address of a server (route host). */
  host?: (server: string, group: NodeGroup) => string;
  /** Advertised address (gateways, leaf remotes); undefined = none set. */
  advertise?: (server: string, group: NodeGroup) => string | undefined;
  /** Kubernetes image (default nats:2.9.10). */
  image?: (group: NodeGroup) => string;
}

export class FakeCloudTarget implements Target {
  constructor(
    readonly kind: Exclude<TargetKind, "local">,
    private readonly opts: FakeTargetOptions = {},
  ) {}

  allocate(group: NodeGroup): Allocation {
    const alloc: Allocation = { addresses: {} };
    group.servers.forEach((s, i) => {
      const host = this.opts.host?.(s.name, group) ?? `10.0.${group.servers.length}.${i + 10}`;
      const advertise = this.opts.advertise?.(s.name, group);
      alloc.addresses[s.name] = advertise === undefined ? { host } : { host, advertise };
    });
    return alloc;
  }

  deploy(req: DeployRequest): DeployedServer[] {
    const g = req.group;
    const parent = req.parent;
    if (g.target.kind === "kubernetes") {
      const sts = new RawResource(
        "kubernetes:apps/v1:StatefulSet",
        `${req.prefix}-sts`,
        { spec: { replicas: g.servers.length, template: { spec: { containers: [{ name: "nats", image: this.opts.image?.(g) ?? "nats:2.9.10" }] } } } },
        { parent },
      );
      return g.servers.map((s) => ({ name: s.name, clientUrl: pulumi.output(`nats://${s.name}:4222`), resources: [sts] }));
    }
    return g.servers.map((s) => {
      const inputs =
        g.target.kind === "aws"
          ? { instanceType: g.target.instanceType, tags: { Name: s.name } }
          : g.target.kind === "gcp"
            ? { machineType: g.target.machineType, zone: g.target.zone }
            : {};
      const type = g.target.kind === "aws" ? "aws:ec2/instance:Instance" : "gcp:compute/instance:Instance";
      const vm = new RawResource(type, `${req.prefix}-${s.name}`, inputs, { parent });
      return { name: s.name, clientUrl: pulumi.output(`nats://${s.name}:4222`), resources: [vm] };
    });
  }
}
