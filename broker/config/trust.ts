/**
 * Decentralized (JWT) authentication keys: `operator`, `resolver`, `resolver_preload`.
 * JWTs are checked for shape only here; signatures are the resolver's job at run time.
 */
import * as fs from "fs";
import { ConfValue } from "./tree";
import { bool, durationMs, fail, intIn, map, str, stringList, walkBlock } from "./values";

/** Account resolver (`resolver: MEMORY`, `resolver: URL(...)`, or a directory resolver). */
export type ResolverConfig =
  | { type: "memory" }
  | { type: "url"; url: string }
  | {
      type: "full" | "cache";
      dir: string;
      allowDelete?: boolean;
      limit?: number;
      /** ms */
      ttl?: number;
      /** ms */
      interval?: number;
      /** ms */
      timeout?: number;
    };

function looksLikeJwt(s: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(s.trim()) && s.trim().startsWith("eyJ");
}

/** Claims of a JWT (no signature check: that is the resolver's job). */
function jwtClaims(s: string): Record<string, unknown> | undefined {
  try {
    const payload = s.trim().split(".")[1];
    return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function parseResolver(v: ConfValue, name: string): ResolverConfig {
  if (v.kind === "string") {
    const s = v.value.trim();
    if (/^mem(ory)?$/i.test(s)) return { type: "memory" };
    const m = /^url\s*\(\s*"?([^\s")]*)"?\s*\)$/i.exec(s);
    if (m) {
      try {
        new URL(m[1]);
      } catch {
        fail(v, `invalid value for "${name}": ${JSON.stringify(m[1])} is not a URL`);
      }
      return { type: "url", url: m[1] };
    }
    fail(v, `invalid value for "${name}": expected MEMORY, URL("...") or a map { type: full|cache, dir }`);
  }
  const out: Partial<Extract<ResolverConfig, { dir: string }>> = {};
  walkBlock(map(v, name), name, {
    type: (x, _e, n) => {
      const t = str(x, n).toLowerCase();
      if (t !== "full" && t !== "cache") fail(x, `invalid value for "${n}": expected full or cache`);
      out.type = t;
    },
    dir: (x, _e, n) => (out.dir = str(x, n)),
    allow_delete: (x, _e, n) => (out.allowDelete = bool(x, n)),
    limit: (x, _e, n) => (out.limit = intIn(x, n, 0, Number.MAX_SAFE_INTEGER)),
    ttl: (x, _e, n) => (out.ttl = durationMs(x, n)),
    interval: (x, _e, n) => (out.interval = durationMs(x, n)),
    timeout: (x, _e, n) => (out.timeout = durationMs(x, n)),
  });
  if (!out.dir) fail(v, `"${name}" needs a dir`);
  const type = out.type ?? "full";
  if (type === "cache" && (out.interval !== undefined || out.allowDelete)) fail(v, `"${name}": a cache resolver takes no interval or allow_delete`);
  if (type === "full" && out.ttl !== undefined) fail(v, `"${name}": a full resolver takes no ttl`);
  return { ...out, type, dir: out.dir };
}

export function parseOperators(v: ConfValue, name: string): string[] {
  const list = stringList(v, name);
  for (const op of list) {
    if (looksLikeJwt(op)) {
      if (jwtClaims(op) === undefined) fail(v, `invalid value for "${name}": malformed operator JWT`);
      continue;
    }
    try {
      fs.accessSync(op, fs.constants.R_OK);
    } catch {
      fail(v, `invalid value for "${name}": ${JSON.stringify(op)} is neither an operator JWT nor a readable file`);
    }
  }
  return list;
}

export function parsePreload(v: ConfValue, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of map(v, name).entries.values()) {
    const jwt = str(e.value, `${name}.${e.key}`);
    const claims = looksLikeJwt(jwt) ? jwtClaims(jwt) : undefined;
    const nats = claims?.nats as { type?: string } | undefined;
    if (!claims || (nats?.type !== undefined && nats.type !== "account")) {
      fail(e.value, `invalid value for "${name}.${e.key}": not an account JWT`);
    }
    out[e.key] = jwt;
  }
  return out;
}

