/** What a config reload would change, and which of those changes need a restart. */
import { isDeepStrictEqual } from "util";
import { ServerOptions } from "../options";

export interface ReloadChanges {
  /** ServerOptions fields (camelCase) whose value differs, in field order. */
  changed: string[];
  /** The subset of `changed` a running server cannot apply (its listen address and identity). */
  refused: string[];
}

/**
 * Fields a reload cannot change: the client listener and the server's name (peers and
 * clients know the server by them). Everything else, including cluster, gateway and leafnode
 * settings, is applied live: a topology change must not need a restart.
 */
export const RELOAD_REFUSED: readonly string[] = ["host", "port", "serverName"];

/** Fields that describe where the options came from rather than what they are. */
const NOT_COMPARED = new Set(["configFile"]);

/** Compares two option sets field by field (deeply; undefined and absent are equal). */
export function describeReloadChanges(old: ServerOptions, next: ServerOptions): ReloadChanges {
  const a = old as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !NOT_COMPARED.has(k));
  const changed = keys.filter((k) => !isDeepStrictEqual(normalize(a[k]), normalize(b[k])));
  return { changed, refused: changed.filter((k) => RELOAD_REFUSED.includes(k)) };
}

/** Drops undefined object members so that `{a: undefined}` equals `{}`. */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = normalize(x);
    return out;
  }
  return v;
}
