/** Declaration-side view of clusters and leaf nodes, shared by the validation modules. */
import type { ClusterDeclaration, LeafNodeDeclaration, NodeGroupDeclaration } from "./model";
import type { TopologyPath } from "./errors";

export type GroupDecl = (ClusterDeclaration | LeafNodeDeclaration) & NodeGroupDeclaration;

export interface GroupRef {
  decl: GroupDecl;
  path: TopologyPath;
  kind: "cluster" | "leafnode";
}

/** `a, b, c`, or `none`. */
export function listOrNone(names: string[]): string {
  return names.length ? names.join(", ") : "none";
}

/** A copy without the keys whose value is undefined (keeps models free of `key: undefined`). */
export function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
