/**
 * Decentralized authentication (operator mode): trusted operator JWTs, account JWTs from a
 * MEMORY resolver (`resolver_preload`), and user JWTs presented in CONNECT with a signature
 * over the INFO nonce (what a `.creds` file gives a client). Signatures and claims are
 * decoded with @nats-io/jwt (which verifies the JWT signature) and @nats-io/nkeys.
 */
import * as fs from "fs";
import * as net from "net";
import { decode } from "@nats-io/jwt";
import type { ClaimsData, Account as AccountClaims, User as UserClaims } from "@nats-io/jwt";
import type { ServerOptions, Permissions } from "../options";
import type { ConnectOptions } from "../client";
import { PermissionSet } from "../permissions";
import { verifyNonce } from "../auth";
import type { AuthResult } from "../auth";

/** Limits and expiry a JWT user connection is held to (-1 or undefined: unlimited). */
export interface JwtGrant {
  /** User JWT expiry (ms epoch). */
  userExpires?: number;
  /** Account JWT expiry (ms epoch). */
  accountExpires?: number;
  /** Max subscriptions: the smaller of user and account limits. */
  maxSubs: number;
  /** Max payload: the smaller of user and account limits. */
  maxPayload: number;
  /** Account connection limit. */
  maxConnections: number;
}

/** A verified account JWT. */
export interface TrustedAccount {
  publicKey: string;
  name: string;
  jwt: string;
  claims: ClaimsData<AccountClaims>;
  /** Keys that may sign users of this account: the account key and its signing keys. */
  signers: Set<string>;
}

const JWT_RE = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

/** An inline operator JWT, or the JWT found in a file (plain or `-----BEGIN ...` armored). */
function operatorJwt(entry: string): string {
  const t = entry.trim();
  if (/^eyJ/.test(t)) return t;
  const text = fs.readFileSync(t, "utf8");
  const m = JWT_RE.exec(text);
  if (!m) throw new Error(`operator file ${JSON.stringify(t)} holds no JWT`);
  return m[0];
}

/**
 * A JWT limit: negative is unlimited; a missing one is zero, as nats-server decodes it (an
 * account JWT without limits admits no connections there, so tools always write -1).
 */
function unlimited(n: number | undefined): number {
  if (n === undefined) return 0;
  return n < 0 ? -1 : n;
}

function minLimit(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

function expired(claims: { exp?: number }, now: number): boolean {
  return claims.exp !== undefined && claims.exp > 0 && claims.exp * 1000 <= now;
}

/** The user JWT's permissions in config terms (nats-server's buildInternalNkeyUser). */
function jwtPermissions(u: Partial<UserClaims>): Permissions | undefined {
  const p: Permissions = {};
  let any = false;
  if ((u.pub?.allow?.length ?? 0) > 0 || (u.pub?.deny?.length ?? 0) > 0) {
    p.publish = { allow: u.pub?.allow?.length ? u.pub.allow : undefined, deny: u.pub?.deny ?? [] };
    any = true;
  }
  if ((u.sub?.allow?.length ?? 0) > 0 || (u.sub?.deny?.length ?? 0) > 0) {
    p.subscribe = { allow: u.sub?.allow ?? [], deny: u.sub?.deny ?? [] };
    any = true;
  }
  if (u.resp) {
    // JWT ttl is nanoseconds; zero values take nats-server's defaults (1 message, 2 minutes).
    const max = u.resp.max ?? 0;
    const ttl = Math.floor((u.resp.ttl ?? 0) / 1e6);
    p.allowResponses = { maxMsgs: max === 0 ? 1 : max, expires: ttl === 0 ? 120000 : ttl };
    p.publish = { ...p.publish, allow: p.publish?.allow ?? [] };
    any = true;
  }
  return any ? p : undefined;
}

/** The user JWT's `src` CIDR list admits the client's address (an empty list admits all). */
function sourceAllowed(src: string[] | string | undefined, ip: string | undefined): boolean {
  const list = typeof src === "string" ? src.split(",").map((x) => x.trim()).filter(Boolean) : src ?? [];
  if (list.length === 0) return true;
  if (!ip || net.isIP(ip) === 0) return false;
  const family = net.isIP(ip) === 6 ? "ipv6" : "ipv4";
  for (const cidr of list) {
    const m = /^(.*)\/(\d+)$/.exec(cidr);
    const addr = m ? m[1] : cidr;
    const kind = net.isIP(addr);
    // An invalid entry fails the whole check, as nats-server does.
    if (kind === 0) return false;
    const bl = new net.BlockList();
    const t = kind === 6 ? "ipv6" : "ipv4";
    if (m) bl.addSubnet(addr, Number(m[2]), t);
    else bl.addAddress(addr, t);
    if (t === family && bl.check(ip, family)) return true;
  }
  return false;
}

/** `<public key>.jwt` files under a resolver directory (shard subdirectories included). */
function jwtFiles(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...jwtFiles(p));
    else if (e.name.endsWith(".jwt")) out.push([e.name.slice(0, -4), p]);
  }
  return out;
}

/** The operator(s) and the accounts they vouch for. */
export class Trust {
  readonly operatorKeys = new Set<string>();
  /** The system account an operator JWT names (`system_account` claim). */
  systemAccount?: string;
  readonly accounts = new Map<string, TrustedAccount>();
  /** Problems met while loading (bad preloads), for the server log. */
  readonly problems: string[] = [];

  constructor(opts: ServerOptions) {
    for (const entry of opts.operator ?? []) {
      const claims = decode<{ signing_keys?: string[]; type?: string; system_account?: string }>(operatorJwt(entry));
      this.systemAccount ??= claims.nats?.system_account;
      if (claims.nats?.type !== undefined && claims.nats.type !== "operator") throw new Error(`operator JWT ${claims.sub} is a ${claims.nats.type} JWT`);
      this.operatorKeys.add(claims.sub);
      for (const k of claims.nats?.signing_keys ?? []) this.operatorKeys.add(k);
    }
    // A directory resolver (full or cache): account JWTs stored as <dir>/**/<public key>.jwt.
    const r = opts.resolver as { type?: string; dir?: string } | undefined;
    if (r && (r.type === "full" || r.type === "cache") && r.dir) {
      for (const [key, file] of jwtFiles(r.dir)) {
        try {
          this.addAccount(key, fs.readFileSync(file, "utf8").trim());
        } catch (e) {
          this.problems.push(`resolver ${file}: ${(e as Error).message}`);
        }
      }
    }
    for (const [key, jwt] of Object.entries(opts.resolverPreload ?? {})) {
      try {
        this.addAccount(key, jwt);
      } catch (e) {
        this.problems.push(`resolver_preload ${key}: ${(e as Error).message}`);
      }
    }
  }

  private addAccount(key: string, jwt: string): void {
    const claims = decode<AccountClaims>(jwt);
    if (claims.sub !== key) throw new Error(`account JWT subject ${claims.sub} does not match its key`);
    if (!this.operatorKeys.has(claims.iss)) throw new Error(`account JWT is not signed by a trusted operator`);
    const signers = new Set<string>([claims.sub]);
    for (const sk of claims.nats?.signing_keys ?? []) signers.add(typeof sk === "string" ? sk : sk.key);
    this.accounts.set(key, { publicKey: key, name: claims.name, jwt, claims, signers });
  }

  /** Whether the user JWT's account (as now configured) revokes it. */
  revoked(jwt: string): boolean {
    let uc: ClaimsData<UserClaims>;
    try {
      uc = decode<UserClaims>(jwt);
    } catch {
      return false;
    }
    const acc = this.accounts.get(uc.nats?.issuer_account || uc.iss);
    const revoked = acc?.claims.nats?.revocations ?? {};
    const iat = uc.iat ?? 0;
    return (revoked[uc.sub] !== undefined && revoked[uc.sub] >= iat) || (revoked["*"] !== undefined && revoked["*"] >= iat);
  }

  /**
   * Authenticate a CONNECT carrying a user JWT; undefined means 'Authorization Violation'.
   * The account connection limit is the caller's to enforce (it has its own -ERR).
   */
  authenticate(c: ConnectOptions, nonce: string | undefined, ip?: string): AuthResult | undefined {
    if (!c.jwt) return undefined;
    let uc: ClaimsData<UserClaims>;
    try {
      uc = decode<UserClaims>(c.jwt);
    } catch {
      return undefined;
    }
    const u = uc.nats ?? {};
    if (u.type !== undefined && u.type !== "user") return undefined;
    const now = Date.now();
    if (expired(uc, now) || (uc.nbf !== undefined && uc.nbf > 0 && uc.nbf * 1000 > now)) return undefined;
    const types = u.allowed_connection_types;
    if (types && types.length > 0 && !types.includes("STANDARD")) return undefined;
    const issuer = u.issuer_account || uc.iss;
    const acc = this.accounts.get(issuer);
    if (!acc || !acc.signers.has(uc.iss)) return undefined;
    if (expired(acc.claims, now)) return undefined;
    if (u.bearer_token) {
      if (acc.claims.nats?.limits?.disallow_bearer || acc.claims.nats?.disallow_bearer) return undefined;
    } else if (!verifyNonce(uc.sub, nonce, c.sig)) {
      return undefined;
    }
    const revoked = acc.claims.nats?.revocations ?? {};
    const iat = uc.iat ?? 0;
    if ((revoked[uc.sub] !== undefined && revoked[uc.sub] >= iat) || (revoked["*"] !== undefined && revoked["*"] >= iat)) return undefined;
    if (!sourceAllowed(u.src, ip)) return undefined;
    const al = acc.claims.nats?.limits ?? {};
    const grant: JwtGrant = {
      userExpires: uc.exp ? uc.exp * 1000 : undefined,
      accountExpires: acc.claims.exp ? acc.claims.exp * 1000 : undefined,
      maxSubs: minLimit(unlimited(u.subs), unlimited(al.subs)),
      maxPayload: minLimit(unlimited(u.payload), unlimited(al.payload)),
      maxConnections: unlimited(al.conn),
    };
    const perms = jwtPermissions(u);
    return { user: uc.sub, account: acc.publicKey, permissions: perms ? new PermissionSet(perms) : undefined, jwt: grant };
  }
}

/** The trust of `opts`, or null when no operator is configured (then JWTs are not used). */
export function trustFor(opts: ServerOptions): Trust | null {
  return opts.operator && opts.operator.length > 0 ? new Trust(opts) : null;
}
