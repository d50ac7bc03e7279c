/**
 * Client authentication as nats-server 2.9 does it: operator JWTs (decentralized), nkey users
 * (signature over the INFO nonce), users lists (plain or bcrypt passwords), a single
 * user/password, a token, and `no_auth_user`. Comparisons are constant-time. The result
 * names the account and the permissions the connection gets.
 */
import { timingSafeEqual, createHash, randomBytes } from "crypto";
import * as bcrypt from "bcryptjs";
import { fromPublic } from "@nats-io/nkeys";
import type { ServerOptions, UserConfig } from "./options";
import type { ConnectOptions } from "./client";
import { PermissionSet } from "./permissions";
import { Trust, trustFor, JwtGrant } from "./jwt";

/** Equal strings compare in time independent of where they differ. */
export function secureEqual(a: string, b: string): boolean {
  // Hash first so lengths do not leak and timingSafeEqual gets equal-length inputs.
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

export interface AuthResult {
  /** User name (or nkey / JWT subject) for logs and /connz. */
  user?: string;
  /** Account the client is bound to (undefined: the global account). */
  account?: string;
  /** Permissions of the user, if it has any. */
  permissions?: PermissionSet;
  /** Set for JWT users: limits and expiry from the user and account claims. */
  jwt?: JwtGrant;
}

/** A configured user with its compiled permissions. */
interface UserEntry {
  config: UserConfig;
  permissions?: PermissionSet;
}

/** The authorization configuration of one ServerOptions, indexed once. */
interface CompiledAuth {
  required: boolean;
  nonce: boolean;
  users: Map<string, UserEntry>;
  nkeys: Map<string, UserEntry>;
  trust: Trust | null;
}

const compiled = new WeakMap<ServerOptions, CompiledAuth>();

/** Index users and nkeys of `opts` (cached per options object, so a reload recompiles). */
export function compile(opts: ServerOptions): CompiledAuth {
  let c = compiled.get(opts);
  if (c) return c;
  const users = new Map<string, UserEntry>();
  const nkeys = new Map<string, UserEntry>();
  const add = (u: UserConfig) => {
    const entry: UserEntry = { config: u, permissions: u.permissions ? new PermissionSet(u.permissions) : undefined };
    if (u.nkey) nkeys.set(u.nkey, entry);
    else if (u.user !== undefined) users.set(u.user, entry);
  };
  for (const u of opts.authorization?.users ?? []) add(u);
  for (const acc of opts.accounts) for (const u of acc.users ?? []) add({ ...u, account: acc.name });
  const trust = trustFor(opts);
  const a = opts.authorization;
  const required = trust !== null || !!(a && (a.token || a.user)) || users.size > 0 || nkeys.size > 0;
  c = { required, nonce: nkeys.size > 0 || trust !== null, users, nkeys, trust };
  compiled.set(opts, c);
  return c;
}

/** Whether the client port asks for credentials. */
export function authRequired(opts: ServerOptions): boolean {
  return compile(opts).required;
}

/** Whether INFO must carry a nonce for the client to sign (nkey users or JWTs). */
export function nonceRequired(opts: ServerOptions): boolean {
  return compile(opts).nonce;
}

/** 11 random bytes, base64url without padding: nats-server's nonce shape. */
export function newNonce(): string {
  return randomBytes(11).toString("base64url");
}

/**
 * Verdicts of bcrypt checks by (hash, password digest): a reconnecting client, or one retrying
 * a wrong password in a loop, does not block the event loop for the hash again (~70 ms at
 * cost 10). A verdict never changes for the same pair.
 */
const bcryptVerdicts = new Map<string, boolean>();

function passwordMatches(stored: string | undefined, given: string | undefined): boolean {
  const g = given ?? "";
  if (stored === undefined || stored === "") return g === "";
  if (stored.startsWith("$2a$") || stored.startsWith("$2b$") || stored.startsWith("$2y$")) {
    const key = stored + "\0" + createHash("sha256").update(g).digest("hex");
    const known = bcryptVerdicts.get(key);
    if (known !== undefined) return known;
    let ok = false;
    try {
      ok = bcrypt.compareSync(g, stored);
    } catch {
      ok = false;
    }
    if (bcryptVerdicts.size >= 4096) bcryptVerdicts.clear();
    bcryptVerdicts.set(key, ok);
    return ok;
  }
  return secureEqual(stored, g);
}

/** Verify an nkey signature over the nonce (base64url, or standard base64 as a fallback). */
export function verifyNonce(publicKey: string, nonce: string | undefined, sig: string | undefined): boolean {
  if (!nonce || !sig) return false;
  try {
    const s = /[+/=]/.test(sig) ? Buffer.from(sig, "base64") : Buffer.from(sig, "base64url");
    return fromPublic(publicKey).verify(Buffer.from(nonce, "latin1"), s);
  } catch {
    return false;
  }
}

function granted(e: UserEntry, name: string | undefined): AuthResult {
  return { user: name, account: e.config.account, permissions: e.permissions };
}

/**
 * Check a CONNECT's credentials against `opts`; undefined means 'Authorization Violation'.
 * `nonce` is the one sent in this connection's INFO; `ip` the client's address (JWT `src`).
 */
export function authenticate(opts: ServerOptions, c: ConnectOptions, nonce?: string, ip?: string): AuthResult | undefined {
  const ca = compile(opts);
  if (!ca.required) return {};
  if (ca.trust) return ca.trust.authenticate(c, nonce, ip);
  if (ca.nkeys.size > 0 && c.nkey) {
    const e = ca.nkeys.get(c.nkey);
    if (!e || !typeAllowed(e.config)) return undefined;
    return verifyNonce(c.nkey, nonce, c.sig) ? granted(e, c.nkey) : undefined;
  }
  const a = opts.authorization ?? {};
  if (ca.users.size > 0) {
    const name = c.user;
    if (opts.noAuthUser && !c.user && !c.pass && !c.auth_token) {
      const nu = ca.users.get(opts.noAuthUser);
      if (nu) {
        // nats-server checks the configured password against itself, so a no_auth_user with a
        // bcrypt password never gets in; kept for identical behaviour.
        if (!typeAllowed(nu.config) || !passwordMatches(nu.config.password, nu.config.password)) return undefined;
        return granted(nu, nu.config.user);
      }
    }
    if (name) {
      const e = ca.users.get(name);
      if (!e || !typeAllowed(e.config)) return undefined;
      return passwordMatches(e.config.password, c.pass) ? granted(e, name) : undefined;
    }
  }
  if (a.token) return c.auth_token !== undefined && secureEqual(a.token, c.auth_token) ? {} : undefined;
  if (a.user) {
    if (c.user === undefined || !secureEqual(a.user, c.user)) return undefined;
    return passwordMatches(a.password, c.pass) ? { user: a.user } : undefined;
  }
  return undefined;
}

/**
 * Where the configured user or nkey a client logged in as lives now: its account name ("" for
 * the global account), or undefined when it no longer exists. Null when the client did not
 * log in as a user or nkey (tokens, JWTs, no auth).
 */
export function userAccountNow(opts: ServerOptions, c: ConnectOptions): string | undefined | null {
  const ca = compile(opts);
  if (ca.trust) return null;
  let e: UserEntry | undefined;
  if (c.nkey) e = ca.nkeys.get(c.nkey);
  else if (c.user) e = ca.users.get(c.user);
  else return null;
  return e ? e.config.account ?? "" : undefined;
}

/** The configured (non-nkey) user of that name. */
export function configuredUser(opts: ServerOptions, name: string): UserConfig | undefined {
  return compile(opts).users.get(name)?.config;
}

/** Client connections are STANDARD; a user limited to other types cannot connect here. */
function typeAllowed(u: UserConfig): boolean {
  const t = u.allowedConnectionTypes;
  return !t || t.length === 0 || t.includes("STANDARD");
}
