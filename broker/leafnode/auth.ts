/**
 * Hub-side authentication of a spoke's CONNECT, as nats-server 2.9 does it: the leafnodes
 * `authorization` block wins (single user, or a users list binding each user to an account);
 * without one, the client port's users apply; with no auth at all, the global account.
 */
import * as bcrypt from "bcryptjs";
import type { ServerOptions } from "../options";
import type { ConnectOptions } from "../client";
import { GLOBAL_ACCOUNT } from "../account";
import * as auth from "../auth";
import type { LeafConnect } from "./protocol";

/** Outcome of checking a spoke: the account to bind, or why it was refused. */
export type LeafAuthResult =
  | {
      ok: true;
      account: string;
      user?: string;
      /** The account came from client authentication (JWT accounts may not exist until used). */
      fromClientAuth?: boolean;
    }
  | { ok: false; reason: string };

function passwordOk(stored: string | undefined, given: string | undefined): boolean {
  if (stored === undefined || stored === "") return given === undefined || given === "";
  if (given === undefined) return false;
  if (/^\$2[abxy]\$\d{2}\$/.test(stored)) {
    try {
      return bcrypt.compareSync(given, stored);
    } catch {
      return false;
    }
  }
  return auth.secureEqual(stored, given);
}

/**
 * Check a spoke's credentials against the hub's options; `nonce` is the one our INFO sent
 * (spokes with credentials files sign it).
 */
export function authorizeLeaf(opts: ServerOptions, c: LeafConnect, nonce: string): LeafAuthResult {
  const a = opts.leafnodes?.authorization;
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
  const r = auth.authenticate(opts, co, nonce);
  if (!r) return { ok: false, reason: c.jwt ? "credentials (JWT) rejected" : `client credentials for user ${JSON.stringify(c.user ?? "")} rejected` };
  return { ok: true, account: r.account ?? GLOBAL_ACCOUNT, user: r.user, fromClientAuth: true };
}
