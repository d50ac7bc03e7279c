/**
 * `natsfleet plan`'s core: two validated topologies in, everything a reviewer needs out
 * (topology diff, per-server impact, a quorum-safe rollout and warnings). Pure: no files,
 * no network, so the CLI, tests and the README example all get the same answer.
 */
import type { Topology } from "../topology/model";
import { allServers } from "../topology/model";
import { normalizeTopology, NormalizedTopology } from "./normalize";
import { diffTopologies, diffIsEmpty, TopologyDiff } from "./diff";
import { serverImpacts, ServerImpact } from "./impact";
import { planRollout, RolloutStep } from "./rollout";
import { planWarnings, PlanWarning } from "./warnings";

/** One side of a plan. */
export interface PlanSide {
  model: Topology;
  /** Clusters declared `production: true` (see productionClusters). */
  production?: ReadonlySet<string>;
  /** Where it came from, for the output (`stacks/x.yaml`, `stacks/x.yaml@HEAD~1`). */
  source?: string;
}

export interface SideSummary {
  source?: string;
  name: string;
  clusters: number;
  leafnodes: number;
  servers: number;
}

export interface TopologyPlan {
  before: SideSummary;
  after: SideSummary;
  /** True when nothing changes at all. */
  empty: boolean;
  diff: TopologyDiff;
  /** Every server of either side with its action. */
  servers: ServerImpact[];
  rollout: RolloutStep[];
  warnings: PlanWarning[];
}

function summary(side: PlanSide): SideSummary {
  return {
    ...(side.source !== undefined ? { source: side.source } : {}),
    name: side.model.name,
    clusters: side.model.clusters.length,
    leafnodes: side.model.leafnodes.length,
    servers: allServers(side.model).length,
  };
}

export function normalizeSide(side: PlanSide): NormalizedTopology {
  return normalizeTopology(side.model, side.production ?? new Set());
}

/** The plan for going from `before` to `after`. */
export function planChange(before: PlanSide, after: PlanSide): TopologyPlan {
  const nb = normalizeSide(before);
  const na = normalizeSide(after);
  const diff = diffTopologies(nb, na);
  const servers = serverImpacts(before.model, after.model);
  const rollout = planRollout(servers);
  const warnings = planWarnings(nb, na, diff, servers);
  for (const cycle of rollout.cycles) {
    warnings.push({ code: "port-shift", message: `servers ${cycle.join(" -> ")} swap ports: no order frees them in time; stop one of them first or give one temporary ports` });
  }
  return {
    before: summary(before),
    after: summary(after),
    empty: diffIsEmpty(diff) && servers.every((s) => s.action === "unchanged"),
    diff,
    servers,
    rollout: rollout.steps,
    warnings,
  };
}
