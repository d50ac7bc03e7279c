/**
 * Client authentication against the `authorization` block: token, single user, or a users
 * list, and `no_auth_user`. Comparisons are constant-time. Permissions, bcrypt, nkeys, JWTs and
 * accounts' users extend this (security work).
 */
import { timingSafeEqual, createHash } from "crypto";
import type { AuthorizationOptions, ServerOptions, UserConfig } from "./options";
import type { ConnectOptions } from "./client";

/** Equal strings compare in time independent of where they differ. */
export function secureEqual(a: string, b: string): boolean {
  // Hash first so lengths do not leak and timingSafeEqual gets equal-length inputs.
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

export interface AuthResult {
  user?: string;
  /** Account the client is bound to (defaults to the global account). */
  account?: string;
}

/** Whether the client port asks for credentials. */
export function authRequired(opts: ServerOptions): boolean {
  const a = opts.authorization;
  if (a && (a.token || a.user || (a.users && a.users.length > 0))) return true;
  return opts.accounts.some((acc) => (acc.users?.length ?? 0) > 0);
}

function allUsers(opts: ServerOptions): UserConfig[] {
  const users: UserConfig[] = [...(opts.authorization?.users ?? [])];
  for (const acc of opts.accounts) for (const u of acc.users ?? []) users.push({ ...u, account: acc.name });
  return users;
}

function passwordMatches(stored: string | undefined, given: string | undefined): boolean {
  if (stored === undefined) return given === undefined || given === "";
  if (given === undefined) return false;
  if (stored.startsWith("$2a$") || stored.startsWith("$2b$") || stored.startsWith("$2y$")) {
    // bcrypt hashes need the security work's verifier; never compare them as plain text.
    return false;
  }
  return secureEqual(stored, given);
}

/** Check a CONNECT's credentials; undefined means 'Authorization Violation'. */
export function authenticate(opts: ServerOptions, c: ConnectOptions): AuthResult | undefined {
  const a: AuthorizationOptions = opts.authorization ?? {};
  if (a.token) {
    return c.auth_token !== undefined && secureEqual(a.token, c.auth_token) ? {} : undefined;
  }
  if (a.user) {
    if (c.user === undefined || !secureEqual(a.user, c.user)) return undefined;
    return passwordMatches(a.password, c.pass) ? { user: a.user } : undefined;
  }
  const users = allUsers(opts);
  const noCreds = c.user === undefined && c.auth_token === undefined && c.nkey === undefined && c.jwt === undefined;
  const name = noCreds && opts.noAuthUser ? opts.noAuthUser : c.user;
  if (name === undefined) return undefined;
  const u = users.find((x) => x.user !== undefined && secureEqual(x.user, name));
  if (!u) return undefined;
  if (!(noCreds && opts.noAuthUser === name) && !passwordMatches(u.password, c.pass)) return undefined;
  return { user: u.user, account: u.account };
}
