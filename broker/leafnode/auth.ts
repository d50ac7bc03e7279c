/**
 * Hub-side authentication of a spoke's CONNECT, as nats-server 2.9 does it: the leafnodes
 * `authorization` block wins (single user, or a users list binding each user to an account);
 * without one, the client port's users apply; with no auth at all, the global account.
 */
import type { ServerOptions } from "../options";
import type { ConnectOptions } from "../client";
import { GLOBAL_ACCOUNT } from "../account";
import * as auth from "../auth";
import type { LeafConnect } from "./protocol";

/** Outcome of checking a spoke: the account to bind, or why it was refused. */
export type LeafAuthResult = { ok: true; account: string; user?: string } | { ok: false; reason: string };

function passwordOk(stored: string | undefined, given: string | undefined): boolean {
  if (stored === undefined || stored === "") return given === undefined || given === "";
  if (given === undefined) return false;
  // bcrypt hashes need the security work's verifier: never compared as plain text.
  if (/^\$2[abxy]\$/.test(stored)) return false;
  return auth.secureEqual(stored, given);
}

/** Check a spoke's credentials against the hub's options. */
export function authorizeLeaf(opts: ServerOptions, c: LeafConnect): LeafAuthResult {
  const a = opts.leafnodes?.authorization;
  if (c.jwt && !c.user) {
    // Credentials (JWT + signed nonce) need operator mode, which this hub does not run.
    if (a?.user || (a?.users?.length ?? 0) > 0 || auth.authRequired(opts)) {
      return { ok: false, reason: "JWT credentials are not accepted: no operator configured" };
    }
  }
  if (a?.user) {
    if (c.user === undefined || !auth.secureEqual(a.user, c.user)) return { ok: false, reason: `unknown user ${JSON.stringify(c.user ?? "")}` };
    if (!passwordOk(a.password, c.pass)) return { ok: false, reason: `wrong password for user ${JSON.stringify(a.user)}` };
    return { ok: true, account: a.account ?? GLOBAL_ACCOUNT, user: a.user };
  }
  if (a?.users && a.users.length > 0) {
    const u = a.users.find((x) => x.user !== undefined && c.user !== undefined && auth.secureEqual(x.user, c.user));
    if (!u) return { ok: false, reason: `unknown user ${JSON.stringify(c.user ?? "")}` };
    if (!passwordOk(u.password, c.pass)) return { ok: false, reason: `wrong password for user ${JSON.stringify(u.user)}` };
    return { ok: true, account: u.account ?? GLOBAL_ACCOUNT, user: u.user };
  }
  if (!auth.authRequired(opts)) return { ok: true, account: GLOBAL_ACCOUNT, user: c.user };
  const co: ConnectOptions = {
    verbose: false,
    pedantic: false,
    echo: false,
    headers: true,
    no_responders: false,
    protocol: 1,
    user: c.user,
    pass: c.pass,
    jwt: c.jwt,
    sig: c.sig,
  };
  const r = auth.authenticate(opts, co);
  if (!r) return { ok: false, reason: `client credentials for user ${JSON.stringify(c.user ?? "")} rejected` };
  return { ok: true, account: r.account ?? GLOBAL_ACCOUNT, user: r.user };
}
