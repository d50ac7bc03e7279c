/**
 * What every rule needs: finding the topology records (TopologyResource) among a stack's
 * resources, reading them defensively (policy input is whatever the engine hands over), and
 * the link and address facts several rules share.
 */
import type { NormalizedCluster, NormalizedGroup, NormalizedLeafNode, NormalizedTopology } from "../../components/plan/normalize";
import type { RecordedAddress } from "../../components/topology-resource";
import { TOPOLOGY_RESOURCE_TYPE } from "../../components/topology-resource";

export { TOPOLOGY_RESOURCE_TYPE };

/** A topology record as found in the stack. */
export interface TopologyRecord {
  urn: string;
  topology: NormalizedTopology;
  addresses: Record<string, RecordedAddress>;
}

/** The minimum of a resource the rules read (both ResourceValidationArgs and PolicyResource fit). */
export interface ResourceLike {
  type: string;
  urn: string;
  name: string;
  props: Record<string, any>;
}

function isObject(v: unknown): v is Record<string, any> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The topology record of a resource, or undefined when it is not one (or is malformed). */
export function topologyOf(r: ResourceLike): TopologyRecord | undefined {
  if (r.type !== TOPOLOGY_RESOURCE_TYPE) return undefined;
  const t = r.props?.topology;
  if (!isObject(t) || typeof t.name !== "string" || !isObject(t.clusters)) return undefined;
  const topology: NormalizedTopology = {
    ...(t as NormalizedTopology),
    clusters: t.clusters,
    leafnodes: isObject(t.leafnodes) ? t.leafnodes : {},
    accounts: isObject(t.accounts) ? t.accounts : {},
    gateways: isObject(t.gateways) ? (t.gateways as NormalizedTopology["gateways"]) : { mode: "none", enabled: false, auth: false },
  };
  return { urn: r.urn, topology, addresses: isObject(r.props.addresses) ? r.props.addresses : {} };
}

export function topologies(resources: readonly ResourceLike[]): TopologyRecord[] {
  return resources.map(topologyOf).filter((t): t is TopologyRecord => t !== undefined);
}

export function serverNames(g: NormalizedGroup): string[] {
  return isObject(g.servers) ? Object.keys(g.servers) : [];
}

export function groups(t: NormalizedTopology): Array<{ name: string; kind: "cluster" | "leafnode"; group: NormalizedCluster | NormalizedLeafNode }> {
  return [
    ...Object.entries(t.clusters).map(([name, group]) => ({ name, kind: "cluster" as const, group })),
    ...Object.entries(t.leafnodes).map(([name, group]) => ({ name, kind: "leafnode" as const, group })),
  ];
}

/** Where a group runs, for deciding whether a link between two groups leaves a network. */
function place(g: NormalizedGroup): string {
  const region = (g.target as { region?: string }).region ?? g.region ?? "";
  return `${g.target?.kind}/${region}`;
}

/**
 * A link crosses the internet unless both ends are on the local target, or (with
 * `sameRegionIsPrivate`) both are on the same cloud target in the same region.
 */
export function crossesInternet(a: NormalizedGroup, b: NormalizedGroup, sameRegionIsPrivate = true): boolean {
  if (a.target?.kind === "local" && b.target?.kind === "local") return false;
  if (sameRegionIsPrivate && a.target?.kind !== "local" && place(a) === place(b) && place(a).split("/")[1] !== "") return false;
  return true;
}

/** Loopback, unspecified and link-local addresses: nobody else can dial them. */
export function isLocalOnly(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || h === "::" || h === "0.0.0.0" || /^127\./.test(h) || /^169\.254\./.test(h) || /^fe80:/.test(h);
}

/** RFC 1918 / unique-local addresses: reachable only inside one private network. */
export function isPrivate(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(h);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  return /^f[cd][0-9a-f]{2}:/.test(h);
}

/** Unwraps values the engine may hand over wrapped (secrets proxied as `{ value }` objects). */
export function plain(v: unknown): unknown {
  if (isObject(v) && "value" in v && Object.keys(v).length <= 2 && ("4dabf18193072939515e22adb298388d" in v || v.constructor?.name === "Secret")) return plain(v.value);
  return v;
}

export function asString(v: unknown): string | undefined {
  const p = plain(v);
  return typeof p === "string" ? p : undefined;
}

export function asArray(v: unknown): unknown[] {
  const p = plain(v);
  return Array.isArray(p) ? p : [];
}

export { isObject };
