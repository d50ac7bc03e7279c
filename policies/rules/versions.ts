/**
 * One broker across the super-cluster: every group of a topology runs the same broker, and
 * every NATS container image in the stack has the same tag. During an upgrade, declare a
 * window (`mixedVersionsUntil`, an ISO date) in which a mix is allowed; past it, it is not.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { asArray, asString, groups, isObject, plain, topologies } from "./common";

export interface VersionConfig {
  /** Until this instant (ISO 8601), mixed brokers/versions are allowed (a rolling upgrade). */
  mixedVersionsUntil?: string;
  /** The clock, for tests; default now. */
  now?: string;
}

const WORKLOADS = new Set(["kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:DaemonSet", "kubernetes:core/v1:Pod"]);

/** `nats:2.10.7-alpine` -> nats-server 2.10.7-alpine; `ghcr.io/x/natsfleet:0.2` -> natsfleet 0.2. */
export function brokerImage(image: string): { broker: string; version: string } | undefined {
  const at = image.split("@")[0]!;
  const slash = at.lastIndexOf("/");
  const colon = at.lastIndexOf(":");
  const repo = colon > slash ? at.slice(0, colon) : at;
  const tag = colon > slash ? at.slice(colon + 1) : "latest";
  const base = repo.slice(repo.lastIndexOf("/") + 1);
  if (base === "nats" || base === "nats-server") return { broker: "nats-server", version: tag };
  if (base === "natsfleet" || base === "natsfleet-server") return { broker: "natsfleet", version: tag };
  return undefined;
}

function images(props: Record<string, any>): string[] {
  const spec = plain(props.spec);
  if (!isObject(spec)) return [];
  const pod = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : spec;
  return [...asArray(pod.containers), ...asArray(pod.initContainers)].map((c) => (isObject(c) ? asString(c.image) : undefined)).filter((s): s is string => !!s);
}

export const oneBrokerVersion: StackValidationPolicy = {
  name: "natsfleet-one-broker-version",
  description: "One broker and version across the super-cluster, unless inside a declared mixed-version window.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      mixedVersionsUntil: { type: "string", description: "ISO 8601 instant until which a mix is allowed" },
      now: { type: "string" },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = args.getConfig<VersionConfig>();
    const now = cfg.now ? Date.parse(cfg.now) : Date.now();
    let windowNote = "";
    if (cfg.mixedVersionsUntil !== undefined) {
      const until = Date.parse(cfg.mixedVersionsUntil);
      if (Number.isNaN(until)) {
        reportViolation(`mixedVersionsUntil "${cfg.mixedVersionsUntil}" is not a date (use ISO 8601, e.g. 2026-12-01T00:00:00Z)`);
        return;
      }
      if (now < until) return;
      windowNote = ` (the mixed-version window ended ${cfg.mixedVersionsUntil})`;
    }
    for (const rec of topologies(args.resources)) {
      const byBroker = new Map<string, string[]>();
      for (const g of groups(rec.topology)) byBroker.set(g.group.broker, [...(byBroker.get(g.group.broker) ?? []), g.name]);
      if (byBroker.size > 1) {
        const list = [...byBroker].map(([b, names]) => `${b}: ${names.join(", ")}`).join("; ");
        reportViolation(`topology ${rec.topology.name} mixes brokers (${list})${windowNote}; run one broker, or declare mixedVersionsUntil for an upgrade`, rec.urn);
      }
    }
    const versions = new Map<string, string[]>();
    for (const r of args.resources) {
      if (!WORKLOADS.has(r.type)) continue;
      for (const image of images(r.props ?? {})) {
        const b = brokerImage(image);
        if (b) versions.set(`${b.broker} ${b.version}`, [...(versions.get(`${b.broker} ${b.version}`) ?? []), r.name]);
      }
    }
    if (versions.size > 1) {
      const list = [...versions].map(([v, names]) => `${v} (${names.join(", ")})`).join("; ");
      reportViolation(`the stack runs several broker versions: ${list}${windowNote}; upgrade them together or declare mixedVersionsUntil`);
    }
  },
};
