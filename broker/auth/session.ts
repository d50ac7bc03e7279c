/**
 * What authentication leaves on a client connection: user, permissions, JWT limits and
 * expiry timers; and the re-check of every connection after a reload (nats-server disconnects
 * clients whose credentials no longer pass and removes subscriptions they may no longer hold).
 */
import type { Server } from "../server";
import type { Client, ConnectOptions } from "../client";
import type { Account } from "../account";
import { authenticate, AuthResult, nonceRequired, newNonce, userAccountNow, compile, configuredUser } from "../auth";
import { GLOBAL_ACCOUNT } from "../account";
import { systemEventsOf } from "../accounts/system";
import { ClientPermissions } from "../permissions";

/** Credentials a client authenticated with, kept to re-check it when the config is reloaded. */
const credentials = new WeakMap<Client, ConnectOptions>();
/** Expiry timers of JWT users. */
const expiryTimers = new WeakMap<Client, NodeJS.Timeout>();

/** The nonce to put in this client's INFO, when nkeys or JWTs are configured. */
export function nonceFor(server: Server, c: Client): string | undefined {
  if (!nonceRequired(server.opts)) return undefined;
  if (!c.nonce) c.nonce = newNonce();
  return c.nonce;
}

/** Count the client connections currently bound to `acc`. */
function connectionsOf(server: Server, acc: Account, except: Client): number {
  let n = 0;
  for (const c of server.clients.values()) if (c !== except && c.account === acc && c.connectReceived && !c.closed) n++;
  return n;
}

/**
 * Authenticate `c` with its CONNECT options and bind the result to it. Returns the account,
 * or undefined when the credentials fail (the caller sends 'Authorization Violation'); an
 * account over its connection limit is told so here and closed.
 */
export function authenticateClient(server: Server, c: Client, o: ConnectOptions): Account | undefined {
  const r = authenticate(server.opts, o, c.nonce, c.ip);
  if (!r) return undefined;
  const acc = r.account ? server.account(r.account) : server.globalAccount;
  if (r.jwt && r.jwt.maxConnections >= 0 && connectionsOf(server, acc, c) >= r.jwt.maxConnections) {
    c.sendErr("maximum account active connections exceeded");
    c.close("Maximum Account Connections Exceeded");
    return undefined;
  }
  const kept = { ...o };
  const noAuth = server.opts.noAuthUser;
  if (noAuth && r.user === noAuth && !o.user && !o.pass && !o.auth_token && !o.nkey && !o.jwt) {
    // As nats-server, a no_auth_user login is that user with its configured password from now on.
    kept.user = noAuth;
    kept.pass = configuredUser(server.opts, noAuth)?.password;
  }
  credentials.set(c, kept);
  apply(server, c, r);
  if (!c.connectReceived) {
    // Announced once the CONNECT is done and the account bound.
    queueMicrotask(() => {
      if (!c.closed && c.connectReceived) systemEventsOf(server)?.connected(c);
    });
  }
  return acc;
}

function apply(server: Server, c: Client, r: AuthResult): void {
  c.user = r.user;
  c.perms = r.permissions ? new ClientPermissions(r.permissions) : null;
  const g = r.jwt;
  c.limitSubs = g ? g.maxSubs : -1;
  c.limitPayload = g ? g.maxPayload : -1;
  const old = expiryTimers.get(c);
  if (old) clearTimeout(old);
  expiryTimers.delete(c);
  if (!g) return;
  const userAt = g.userExpires ?? Infinity;
  const accAt = g.accountExpires ?? Infinity;
  const at = Math.min(userAt, accAt);
  if (at === Infinity) return;
  // Node timers overflow past ~24.8 days; such a far expiry is re-armed on the next reload.
  const delay = Math.max(0, at - Date.now());
  if (delay > 0x7fffffff) return;
  const t = setTimeout(() => {
    if (c.closed) return;
    c.sendErr(userAt <= accAt ? "User Authentication Expired" : "Account Authentication Expired");
    c.close("Authentication Expired");
    server.scheduleFlush();
  }, delay);
  t.unref();
  expiryTimers.set(c, t);
}

/** Forget a closed client's timers. */
export function clientGone(c: Client): void {
  systemEventsOf(c.server)?.disconnected(c);
  const t = expiryTimers.get(c);
  if (t) clearTimeout(t);
  expiryTimers.delete(c);
}

/**
 * After a reload: every authenticated client is checked again with the credentials it used.
 * Failing ones get 'Authorization Violation' and are closed; a user now in another account is
 * closed; the rest get the new permissions and lose subscriptions they may no longer hold.
 */
export function recheckClients(server: Server): void {
  for (const c of [...server.clients.values()]) {
    if (c.closed || !c.connectReceived) continue;
    const creds = credentials.get(c) ?? c.opts;
    // As nats-server: a user that is gone or now in another account is closed without -ERR.
    const now = userAccountNow(server.opts, creds);
    if (now !== null && (now === undefined || (now || GLOBAL_ACCOUNT) !== c.account.name)) {
      c.close("Client Closed");
      continue;
    }
    const trust = compile(server.opts).trust;
    if (trust && creds.jwt && trust.revoked(creds.jwt)) {
      c.sendErr("User Authentication Revoked");
      c.close("Credentials Revoked");
      continue;
    }
    const r = authenticate(server.opts, creds, c.nonce, c.ip);
    if (!r) {
      c.authViolation();
      continue;
    }
    const acc = r.account ? server.account(r.account) : server.globalAccount;
    if (acc !== c.account) {
      c.close("Client Closed");
      continue;
    }
    apply(server, c, r);
    const perms = c.perms;
    if (!perms) continue;
    for (const sub of [...c.subs.values()]) {
      const ok = perms.canSubscribe(sub.subject) || (sub.queue !== undefined && perms.canSubscribe(sub.subject, sub.queue));
      if (ok) continue;
      c.removeSub(sub);
      c.sendErr(`Permissions Violation for Subscription to ${JSON.stringify(sub.subject)} (sid ${JSON.stringify(sub.sid)})`);
      server.log.info(`Removed sub ${JSON.stringify(sub.subject)} (sid ${JSON.stringify(sub.sid)}) for ${c.user ?? "client"} - not authorized`);
    }
  }
  server.scheduleFlush();
}
