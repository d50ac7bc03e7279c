/**
 * The order in which to apply server changes so that no cluster loses more than one server at
 * a time: every disruptive task puts its server in lame-duck mode first (clients move to its
 * peers before it stops), each server is back and linked before the next of its group, and a
 * step holds at most one server of any cluster or leaf node (servers of different groups roll
 * in parallel).
 *
 * Phases, in order:
 *   1. new cluster servers (capacity first; they dial their peers, which accept them before
 *      knowing them: routes are gossiped, gateways discovered implicitly);
 *   2. removed leaf node servers (before their hubs close the door on them);
 *   3. reloads (no downtime);
 *   4. restarts and replacements;
 *   5. new leaf node servers (their hubs now accept them);
 *   6. removed cluster servers.
 * Local servers share one host: a task that needs a port another server holds waits for the
 * task that frees it (its stop, or its restart onto other ports), which is pulled forward.
 */
import type { LocalEndpoint, ServerImpact } from "./impact";
import { LISTENERS } from "../topology/model";

export type StepOp = "reload" | "restart" | "replace" | "start" | "stop";

/** One server's part in a step. */
export interface StepTask {
  op: StepOp;
  server: string;
  group: string;
  groupKind: "cluster" | "leafnode";
  /** What the operator (or a target) does, in order. */
  actions: string[];
  /** True when the server stops serving during this step. */
  down: boolean;
  /** Servers whose tasks must finish first (they free a port this one takes). */
  after?: string[];
}

/** One step: its tasks run together and all finish before the next step starts. */
export interface RolloutStep {
  /** 1-based. */
  step: number;
  tasks: StepTask[];
}

export interface Rollout {
  steps: RolloutStep[];
  /** Port hand-overs that form a cycle (a swap): no order works without a temporary port. */
  cycles: string[][];
}

const ACTIONS: Record<StepOp, string[]> = {
  reload: ["write the new config", "reload (SIGHUP)", "check the new config is loaded"],
  restart: ["lame duck (SIGUSR2), wait for clients to move", "stop", "start with the new config", "wait until healthy with every route"],
  replace: ["lame duck (SIGUSR2), wait for clients to move", "delete the old server", "create its replacement", "wait until healthy with every route"],
  start: ["start", "wait until healthy with every route"],
  stop: ["lame duck (SIGUSR2), wait for clients to move", "stop"],
};

const OP_OF: Partial<Record<ServerImpact["action"], StepOp>> = {
  reload: "reload",
  restart: "restart",
  replace: "replace",
  add: "start",
  remove: "stop",
};

function phase(i: ServerImpact): number {
  switch (i.action) {
    case "add":
      return i.groupKind === "cluster" ? 1 : 5;
    case "remove":
      return i.groupKind === "leafnode" ? 2 : 6;
    case "reload":
      return 3;
    case "restart":
    case "replace":
      return 4;
    default:
      return 0;
  }
}

function hostPorts(e: LocalEndpoint | undefined): Set<string> {
  const out = new Set<string>();
  if (!e) return out;
  for (const l of LISTENERS) if (e.ports[l]) out.add(`${e.host}:${e.ports[l]}`);
  return out;
}

/** Port hand-overs: server -> servers that must free one of its new ports first. */
function portDependencies(tasks: readonly ServerImpact[]): Map<string, string[]> {
  const releases = new Map<string, string>();
  for (const t of tasks) {
    const before = hostPorts(t.local?.before);
    const after = hostPorts(t.local?.after);
    for (const hp of before) if (!after.has(hp)) releases.set(hp, t.name);
  }
  const deps = new Map<string, string[]>();
  for (const t of tasks) {
    const before = hostPorts(t.local?.before);
    for (const hp of hostPorts(t.local?.after)) {
      const holder = releases.get(hp);
      if (holder !== undefined && holder !== t.name && !before.has(hp)) deps.set(t.name, [...new Set([...(deps.get(t.name) ?? []), holder])]);
    }
  }
  return deps;
}

/** The steps for a plan's server impacts (unchanged servers take no step). */
export function planRollout(impacts: readonly ServerImpact[]): Rollout {
  const tasks = impacts
    .map((impact, position) => ({ impact, position }))
    .filter(({ impact }) => phase(impact) > 0)
    .sort((a, b) => phase(a.impact) - phase(b.impact) || a.position - b.position)
    .map(({ impact }) => impact);
  const byName = new Map(tasks.map((t) => [t.name, t]));
  const deps = portDependencies(tasks);

  // linear order: phase order, each task preceded by what frees its ports
  const order: ServerImpact[] = [];
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[][] = [];
  const visit = (t: ServerImpact, path: string[]) => {
    const s = state.get(t.name);
    if (s === "done") return;
    if (s === "visiting") {
      cycles.push([...path.slice(path.indexOf(t.name)), t.name]);
      return;
    }
    state.set(t.name, "visiting");
    for (const d of deps.get(t.name) ?? []) visit(byName.get(d)!, [...path, t.name]);
    state.set(t.name, "done");
    order.push(t);
  };
  for (const t of tasks) visit(t, []);

  // pack: a step takes, from the front of the order, tasks of one phase, at most one per
  // group (a group's tasks keep their order), none waiting on a task not finished yet
  const steps: RolloutStep[] = [];
  const done = new Set<string>();
  let remaining = order;
  while (remaining.length) {
    const current = phase(remaining[0]!);
    const seen = new Set<string>();
    const taken: ServerImpact[] = [];
    for (const t of remaining) {
      const group = `${t.groupKind}:${t.group}`;
      if (seen.has(group)) continue;
      seen.add(group);
      if (phase(t) !== current) continue;
      // a cycle leaves a task waiting on one not done yet: the front task goes anyway
      if ((deps.get(t.name) ?? []).some((d) => !done.has(d)) && t !== remaining[0]) continue;
      taken.push(t);
    }
    for (const t of taken) done.add(t.name);
    remaining = remaining.filter((t) => !done.has(t.name));
    steps.push({
      step: steps.length + 1,
      tasks: taken.map((t) => {
        const op = OP_OF[t.action]!;
        const mine = deps.get(t.name) ?? [];
        return { op, server: t.name, group: t.group, groupKind: t.groupKind, actions: ACTIONS[op], down: op === "restart" || op === "replace" || op === "stop", ...(mine.length ? { after: mine } : {}) };
      }),
    });
  }
  return { steps, cycles };
}

/** Steps that would take two or more servers of one cluster down together (should be none). */
export function quorumViolations(steps: readonly RolloutStep[]): Array<{ step: number; cluster: string; down: string[] }> {
  const out: Array<{ step: number; cluster: string; down: string[] }> = [];
  for (const s of steps) {
    const down = new Map<string, string[]>();
    for (const t of s.tasks) if (t.down && t.groupKind === "cluster") down.set(t.group, [...(down.get(t.group) ?? []), t.server]);
    for (const [cluster, servers] of down) if (servers.length > 1) out.push({ step: s.step, cluster, down: servers });
  }
  return out;
}
