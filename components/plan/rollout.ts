/**
 * The order in which to apply server changes so that no cluster loses more than one server at
 * a time: one server per step, every disruptive step put in lame-duck mode first (clients move
 * to the server's peers before it stops), and each server back and linked before the next.
 *
 * Phases, each one server per group at a time:
 *   1. reloads (no downtime: peers learn of the servers about to come);
 *   2. restarts and replacements, cluster by cluster;
 *   3. new servers, clusters before leaf nodes (a leaf node needs its hub);
 *   4. removals, leaf nodes before clusters (a leaf node is never left pointing at nothing),
 *      so capacity is added before any is taken away.
 */
import type { ServerImpact } from "./impact";

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
}

/**
 * One step: its tasks run together and all finish before the next step starts. A step holds
 * at most one server of any cluster or leaf node, so servers of different groups roll in
 * parallel while each group loses at most one member at a time.
 */
export interface RolloutStep {
  /** 1-based. */
  step: number;
  tasks: StepTask[];
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
    case "reload":
      return 1;
    case "restart":
    case "replace":
      return 2;
    case "add":
      return i.groupKind === "cluster" ? 3 : 4;
    case "remove":
      return i.groupKind === "leafnode" ? 5 : 6;
    default:
      return 0;
  }
}

/** The steps for a plan's server impacts (unchanged servers take no step). */
export function planRollout(impacts: readonly ServerImpact[]): RolloutStep[] {
  const steps: RolloutStep[] = [];
  for (let p = 1; p <= 6; p++) {
    // within a phase, each group's servers queue in model order; a step takes the head of every queue
    const queues = new Map<string, ServerImpact[]>();
    for (const i of impacts) {
      if (phase(i) !== p) continue;
      const key = `${i.groupKind}:${i.group}`;
      queues.set(key, [...(queues.get(key) ?? []), i]);
    }
    while ([...queues.values()].some((q) => q.length > 0)) {
      const tasks: StepTask[] = [];
      for (const q of queues.values()) {
        const i = q.shift();
        if (!i) continue;
        const op = OP_OF[i.action]!;
        tasks.push({ op, server: i.name, group: i.group, groupKind: i.groupKind, actions: ACTIONS[op], down: op === "restart" || op === "replace" || op === "stop" });
      }
      steps.push({ step: steps.length + 1, tasks });
    }
  }
  return steps;
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
