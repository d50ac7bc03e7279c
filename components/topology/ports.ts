/**
 * Port assignment. Cloud servers each have a machine (or pod) of their own, so they use the
 * well-known ports. Local servers share one host, so each gets its own ports, derived
 * deterministically from its position so that re-validating the same declaration always gives
 * the same ports (a changed port would restart a running server).
 */
import type { ClusterModel, LeafNodeModel, Listener, Ports, Topology } from "./model";
import { LISTENERS, WELL_KNOWN_PORTS } from "./model";

/** Position of each listener inside a server's block of ten when allocating from a base. */
export const BASE_SLOTS: Readonly<Record<Listener, number>> = { client: 0, cluster: 1, gateway: 2, leafnode: 3, http: 4 };
/** Ports reserved per server when allocating from a base (room for future listeners). */
export const BASE_STRIDE = 10;

/** Which listeners a server opens; the others get port 0 in the model. */
export type UsedListeners = Readonly<Record<Listener, boolean>>;

export interface PortRequest {
  /** 0-based position among all local servers (clusters first, then leaf nodes). */
  localIndex: number;
  /** 0-based position inside its cluster or leaf node. */
  groupIndex: number;
  used: UsedListeners;
  /** Per-listener base declared on the cluster/leaf node (`ports:`), offset by groupIndex. */
  groupBase?: Partial<Ports>;
  /** Ports declared on this very server. */
  explicit?: Partial<Ports>;
}

/**
 * Ports of one local server. Precedence: the server's own `ports`, then its group's base
 * + position, then the topology-wide scheme (`localPorts.base` stride, or well-known + index).
 */
export function localPorts(req: PortRequest, topologyBase: number | undefined): Ports {
  const out = { ...WELL_KNOWN_PORTS };
  for (const l of LISTENERS) {
    if (!req.used[l]) {
      out[l] = 0;
      continue;
    }
    const explicit = req.explicit?.[l];
    const group = req.groupBase?.[l];
    if (explicit !== undefined) out[l] = explicit;
    else if (group !== undefined) out[l] = group + req.groupIndex;
    else if (topologyBase !== undefined) out[l] = topologyBase + BASE_STRIDE * req.localIndex + BASE_SLOTS[l];
    else out[l] = WELL_KNOWN_PORTS[l] + req.localIndex;
  }
  return out;
}

/** Ports of a cloud server: well-known unless declared on the group or the server. */
export function remotePorts(used: UsedListeners, groupPorts?: Partial<Ports>, explicit?: Partial<Ports>): Ports {
  const out = { ...WELL_KNOWN_PORTS };
  for (const l of LISTENERS) out[l] = used[l] ? (explicit?.[l] ?? groupPorts?.[l] ?? WELL_KNOWN_PORTS[l]) : 0;
  return out;
}

/**
 * The model with some servers' ports replaced (e.g. free ports picked by a test or a local
 * runner at start-up). Listeners a server does not open stay 0 whatever is given.
 */
export function withServerPorts(model: Topology, ports: Readonly<Record<string, Partial<Ports>>>): Topology {
  const move = <G extends ClusterModel | LeafNodeModel>(g: G): G => ({
    ...g,
    servers: g.servers.map((s) => {
      const p = ports[s.name];
      if (!p) return s;
      const next = { ...s.ports };
      for (const l of LISTENERS) if (next[l] !== 0 && p[l] !== undefined) next[l] = p[l]!;
      return { ...s, ports: next };
    }),
  });
  return { ...model, clusters: model.clusters.map(move), leafnodes: model.leafnodes.map(move) };
}
