/** Targets and TLS: each target's required fields and defaults, and the TLS switches per group. */
import type { TargetModel, TlsDeclaration, TlsModel, TopologyDeclaration } from "./model";
import { TARGET_DEFAULTS, TARGET_KINDS } from "./model";
import { IssueList, TopologyPath, formatPath } from "./errors";
import { GroupDecl, stripUndefined } from "./groups";

const TARGET_BLOCKS = ["local", "aws", "gcp", "kubernetes"] as const;

/** The target with its defaults, after checking its required fields. */
export function targetModel(g: GroupDecl, path: TopologyPath, issues: IssueList): TargetModel {
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

export function tlsModel(g: GroupDecl, d: TopologyDeclaration, path: TopologyPath, target: TargetModel, issues: IssueList): TlsModel {
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
