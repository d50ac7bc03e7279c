/**
 * Human-readable plan output: `+` added, `-` removed, `~` changed, one line per item, then
 * the rollout and warnings. Colours are ANSI escapes, only when the caller says so (the CLI
 * decides from the terminal and NO_COLOR), so the text stays the same bytes either way.
 */
import type { TopologyPlan } from "./plan";
import type { FieldChange, ItemDiff } from "./diff";
import type { ServerImpact } from "./impact";

export interface Paint {
  added(s: string): string;
  removed(s: string): string;
  changed(s: string): string;
  warn(s: string): string;
  heading(s: string): string;
  dim(s: string): string;
}

const ESC = (code: string) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;

/** Colours on or off. */
export function paint(colour: boolean): Paint {
  if (!colour) {
    const id = (s: string) => s;
    return { added: id, removed: id, changed: id, warn: id, heading: id, dim: id };
  }
  return { added: ESC("32"), removed: ESC("31"), changed: ESC("33"), warn: ESC("1;33"), heading: ESC("1"), dim: ESC("2") };
}

/** Whether to colour: a terminal, and neither NO_COLOR (any value, per no-color.org) nor TERM=dumb. */
export function colourWanted(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return isTTY === true;
}

function value(v: unknown): string {
  if (v === undefined) return "(none)";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function changes(cs: FieldChange[]): string {
  return cs.map((c) => `${c.field} ${value(c.before)} -> ${value(c.after)}`).join(", ");
}

function items(title: string, d: ItemDiff, describeAdded: (n: string) => string, p: Paint, out: string[]): void {
  if (!d.added.length && !d.removed.length && !d.changed.length) return;
  out.push(p.heading(title));
  for (const n of d.added) out.push(p.added(`  + ${n}${describeAdded(n)}`));
  for (const n of d.removed) out.push(p.removed(`  - ${n}`));
  for (const c of d.changed) out.push(p.changed(`  ~ ${c.name}: ${changes(c.changes)}`));
}

const ACTION_MARK: Record<ServerImpact["action"], string> = { add: "+", remove: "-", replace: "!", restart: "~", reload: "~", unchanged: "=" };

function serverLine(s: ServerImpact, p: Paint): string {
  const where = `${s.groupKind === "cluster" ? "cluster" : "leaf node"} ${s.group}`;
  const why = s.reasons.length ? `: ${s.reasons.join("; ")}` : "";
  const text = `  ${ACTION_MARK[s.action]} ${s.name} (${where}) ${s.action}${why}`;
  if (s.action === "add") return p.added(text);
  if (s.action === "remove" || s.action === "replace") return p.removed(text);
  return p.changed(text);
}

/** Extra words for an added cluster or leaf node, from the plan's servers. */
function groupNote(plan: TopologyPlan, kind: "cluster" | "leafnode", name: string): string {
  const servers = plan.servers.filter((s) => s.groupKind === kind && s.group === name && s.action !== "remove").map((s) => s.name);
  return ` (${servers.length} server${servers.length === 1 ? "" : "s"}: ${servers.join(", ")})`;
}

/** The plan as lines of text. */
export function formatPlan(plan: TopologyPlan, colour = false): string[] {
  const p = paint(colour);
  const out: string[] = [];
  const side = (s: TopologyPlan["before"]) => `${s.source ?? s.name}: ${s.clusters} cluster(s), ${s.leafnodes} leaf node(s), ${s.servers} server(s)`;
  out.push(p.heading(`Plan for topology ${plan.after.name}`));
  out.push(`  before ${side(plan.before)}`);
  out.push(`  after  ${side(plan.after)}`);
  if (plan.empty) {
    out.push("", "No changes: every server keeps its config.");
    return out;
  }
  const d = plan.diff;
  const body: string[] = [];
  if (d.topology.length) {
    body.push(p.heading("Topology"));
    for (const c of d.topology) body.push(p.changed(`  ~ ${changes([c])}`));
  }
  items("Clusters", d.clusters, (n) => groupNote(plan, "cluster", n), p, body);
  items("Leaf nodes", d.leafnodes, (n) => groupNote(plan, "leafnode", n), p, body);
  if (d.gateways.added.length || d.gateways.removed.length) {
    body.push(p.heading("Gateway links"));
    for (const l of d.gateways.added) body.push(p.added(`  + ${l}`));
    for (const l of d.gateways.removed) body.push(p.removed(`  - ${l}`));
  }
  if (d.leafLinks.added.length || d.leafLinks.removed.length || d.leafLinks.changed.length) {
    body.push(p.heading("Leaf links"));
    for (const l of d.leafLinks.added) body.push(p.added(`  + ${l}`));
    for (const l of d.leafLinks.removed) body.push(p.removed(`  - ${l}`));
    for (const c of d.leafLinks.changed) body.push(p.changed(`  ~ ${c.name}: ${changes(c.changes)}`));
  }
  items("Accounts", d.accounts, () => "", p, body);
  const touched = plan.servers.filter((s) => s.action !== "unchanged");
  if (touched.length) {
    body.push(p.heading("Servers"));
    for (const s of touched) body.push(serverLine(s, p));
    const same = plan.servers.filter((s) => s.action === "unchanged").map((s) => s.name);
    if (same.length) body.push(p.dim(`  = unchanged: ${same.join(", ")}`));
  }
  if (plan.rollout.length) {
    body.push(p.heading("Rollout (one server per cluster at a time; tasks of a step run together)"));
    for (const s of plan.rollout) {
      const tasks = s.tasks.map((t) => `${t.op} ${t.server}${t.after ? ` (takes ports ${t.after.join(", ")} freed)` : ""}`).join(", ");
      body.push(`  ${String(s.step).padStart(2)}. ${tasks}`);
    }
    const ops = new Set(plan.rollout.flatMap((s) => s.tasks.map((t) => t.op)));
    const legend: Record<string, string> = {
      restart: "restart = lame duck, stop, start with the new config, wait for routes",
      replace: "replace = lame duck, delete, create anew, wait for routes",
      stop: "stop = lame duck, then stop",
      reload: "reload = write the config, SIGHUP, confirm it loaded",
    };
    for (const op of ["reload", "restart", "replace", "stop"]) if (ops.has(op as never)) body.push(p.dim(`      ${legend[op]}`));
  }
  if (plan.warnings.length) {
    body.push(p.heading("Warnings"));
    for (const w of plan.warnings) body.push(p.warn(`  ! ${w.message}`));
  }
  out.push("", ...body);
  return out;
}
