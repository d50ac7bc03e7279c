/** `authorization { }` blocks, users and permissions. */
import { AuthorizationOptions, Permissions, SubjectPermission, UserConfig } from "../options";
import { ConfEntry, ConfMap, ConfValue } from "./tree";
import {
  MappingContext,
  array,
  durationMs,
  fail,
  int,
  isValidPermissionSubject,
  map,
  secondsMs,
  str,
  stringList,
  walkBlock,
} from "./values";

/** nats-server's defaults for `allow_responses: true` (server/const.go). */
export const DEFAULT_ALLOW_RESPONSES = { maxMsgs: 1, expires: 2 * 60 * 1000 };

/** Connection types a user may be limited to (jwt.ConnectionType*). */
const CONNECTION_TYPES = new Set(["STANDARD", "WEBSOCKET", "LEAFNODE", "LEAFNODE_WS", "MQTT", "MQTT_WS"]);

/** A public user nkey: "U" and 55 more base32 characters. */
const USER_NKEY = /^U[A-Z2-7]{55}$/;

function subjects(v: ConfValue, name: string): string[] {
  const list = stringList(v, name);
  for (const s of list) {
    if (!isValidPermissionSubject(s)) fail(v, `invalid value for "${name}": ${JSON.stringify(s)} is not a valid subject`);
  }
  return list;
}

/** `publish: "a"`, `publish: ["a","b"]` (allow list) or `publish: { allow: [..], deny: [..] }`. */
function subjectPermission(v: ConfValue, name: string): SubjectPermission | undefined {
  if (v.kind !== "map") return { allow: subjects(v, name) };
  if (v.entries.size === 0) return undefined;
  const p: SubjectPermission = {};
  walkBlock(v, name, {
    allow: (x, _e, n) => (p.allow = subjects(x, n)),
    deny: (x, _e, n) => (p.deny = subjects(x, n)),
  });
  return p;
}

function allowResponses(v: ConfValue, name: string): Permissions["allowResponses"] {
  if (v.kind === "bool") return v.value ? { ...DEFAULT_ALLOW_RESPONSES } : undefined;
  if (v.kind !== "map") fail(v, `invalid value for "${name}": expected a boolean or a map { max, expires }`);
  const r = { ...DEFAULT_ALLOW_RESPONSES };
  const max = (x: ConfValue, _e: unknown, n: string) => {
    // 0 keeps the default, negative means unlimited (nats-server semantics).
    const m = int(x, n);
    if (m !== 0) r.maxMsgs = m;
  };
  const expires = (x: ConfValue, _e: unknown, n: string) => {
    if (x.kind !== "string") fail(x, `invalid value for "${n}": expected a duration string such as "1m"`);
    const ms = durationMs(x, n);
    if (ms !== 0) r.expires = ms;
  };
  walkBlock(v, name, { max, max_msgs: max, max_messages: max, max_responses: max, expires, expiration: expires, ttl: expires });
  return r;
}

/** A `permissions { publish, subscribe, allow_responses }` block. */
export function parsePermissions(v: ConfValue, name: string): Permissions {
  const p: Permissions = {};
  const pub = (x: ConfValue, _e: unknown, n: string) => (p.publish = subjectPermission(x, n));
  const sub = (x: ConfValue, _e: unknown, n: string) => (p.subscribe = subjectPermission(x, n));
  const resp = (x: ConfValue, _e: unknown, n: string) => (p.allowResponses = allowResponses(x, n));
  walkBlock(map(v, name), name, {
    pub,
    publish: pub,
    import: pub,
    sub,
    subscribe: sub,
    export: sub,
    allow_responses: resp,
    publish_allow_responses: resp,
  });
  if (p.allowResponses) {
    // As in nats-server: allowing responses turns off the implicit "publish anywhere".
    p.publish = { ...p.publish, allow: p.publish?.allow ?? [] };
  }
  return p;
}

/** Where a users list is: client authorization or an account allow nkeys and permissions. */
export interface UsersScope {
  account?: string;
  defaultPermissions?: Permissions;
}

/** `users: [ { user, password, nkey, permissions, allowed_connection_types } ]`. */
export function parseUsers(v: ConfValue, name: string, scope: UsersScope): UserConfig[] {
  return array(v, name).items.map((item) => {
    const um = map(item, name);
    const u: UserConfig = {};
    const user = (x: ConfValue, _e: unknown, n: string) => (u.user = str(x, n));
    const pass = (x: ConfValue, _e: unknown, n: string) => (u.password = str(x, n));
    const perms = (x: ConfValue, _e: unknown, n: string) => (u.permissions = parsePermissions(x, n));
    const types = (x: ConfValue, _e: unknown, n: string) => {
      u.allowedConnectionTypes = stringList(x, n).map((t) => {
        const up = t.toUpperCase();
        if (!CONNECTION_TYPES.has(up)) {
          fail(x, `invalid value for "${n}": unknown connection type ${JSON.stringify(t)} (use ${[...CONNECTION_TYPES].join(", ")})`);
        }
        return up;
      });
    };
    walkBlock(um, name, {
      user,
      username: user,
      pass,
      password: pass,
      nkey: (x, _e, n) => (u.nkey = str(x, n)),
      permission: perms,
      permissions: perms,
      authorization: perms,
      allowed_connection_types: types,
      connection_types: types,
      clients: types,
    });
    if (u.nkey !== undefined) {
      if (!USER_NKEY.test(u.nkey)) fail(um, `"${name}" entry has an invalid user nkey ${JSON.stringify(u.nkey)}`);
      if (u.user !== undefined || u.password !== undefined) fail(um, `"${name}" entry: nkey users take no user or password`);
    } else if (!u.user) {
      fail(um, `"${name}" entry requires a user (or an nkey)`);
    }
    if (!u.permissions && scope.defaultPermissions) u.permissions = scope.defaultPermissions;
    if (scope.account !== undefined) u.account = scope.account;
    return u;
  });
}

/** The top-level (client) `authorization { }` block. */
export function parseClientAuthorization(v: ConfValue, name: string): AuthorizationOptions {
  const m = map(v, name);
  const auth: AuthorizationOptions = {};
  let usersValue: ConfValue | undefined;
  const user = (x: ConfValue, _e: unknown, n: string) => (auth.user = str(x, n));
  const pass = (x: ConfValue, _e: unknown, n: string) => (auth.password = str(x, n));
  const perms = (x: ConfValue, _e: unknown, n: string) => (auth.defaultPermissions = parsePermissions(x, n));
  walkBlock(m, name, {
    user,
    username: user,
    pass,
    password: pass,
    token: (x, _e, n) => (auth.token = str(x, n)),
    timeout: (x, _e, n) => (auth.timeout = secondsMs(x, n)),
    users: (x) => (usersValue = x),
    default_permission: perms,
    default_permissions: perms,
    permissions: perms,
  });
  // Users last, so that default permissions apply wherever they are written in the block.
  if (usersValue) auth.users = parseUsers(usersValue, `${name}.users`, { defaultPermissions: auth.defaultPermissions });
  if ((auth.user !== undefined || auth.password !== undefined) && auth.token !== undefined) {
    fail(m, `"${name}" cannot have both a user/password and a token`);
  }
  if (auth.users && auth.user !== undefined) fail(m, `"${name}" cannot have both a single user and a users array`);
  if (auth.users && auth.token !== undefined) fail(m, `"${name}" cannot have both a token and a users array`);
  return auth;
}

/**
 * Route and gateway `authorization`: a single user/password. Returns the permissions written
 * inside (deprecated there for routes) separately.
 */
export function parsePeerAuthorization(
  v: ConfValue,
  name: string,
  kind: "cluster" | "gateway",
  ctx: MappingContext,
): { auth: AuthorizationOptions; permissions?: Permissions } {
  const m: ConfMap = map(v, name);
  const auth: AuthorizationOptions = {};
  let permissions: Permissions | undefined;
  const user = (x: ConfValue, _e: unknown, n: string) => (auth.user = str(x, n));
  const pass = (x: ConfValue, _e: unknown, n: string) => (auth.password = str(x, n));
  const perms = (x: ConfValue, e: ConfEntry, n: string) => {
    if (kind === "gateway") fail(x, `"${n}": gateway authorization does not take permissions`);
    ctx.warn(e, `setting "permissions" within cluster authorization is deprecated; use cluster.permissions`);
    permissions = parsePermissions(x, n);
  };
  walkBlock(m, name, {
    user,
    username: user,
    pass,
    password: pass,
    timeout: (x, _e, n) => (auth.timeout = secondsMs(x, n)),
    token: (x) => fail(x, `${kind} authorization does not support tokens`),
    users: (x) => fail(x, `${kind} authorization does not allow multiple users`),
    permissions: perms,
    default_permissions: perms,
    default_permission: perms,
  });
  return { auth, permissions };
}

/** Leafnode listener `authorization`: a user/password or users bound to accounts. */
export function parseLeafAuthorization(v: ConfValue, name: string): AuthorizationOptions {
  const m = map(v, name);
  const auth: AuthorizationOptions = {};
  const user = (x: ConfValue, _e: unknown, n: string) => (auth.user = str(x, n));
  const pass = (x: ConfValue, _e: unknown, n: string) => (auth.password = str(x, n));
  walkBlock(m, name, {
    user,
    username: user,
    pass,
    password: pass,
    timeout: (x, _e, n) => (auth.timeout = secondsMs(x, n)),
    account: (x, _e, n) => (auth.account = str(x, n)),
    users: (x, _e, n) => {
      auth.users = array(x, n).items.map((item) => {
        const u: UserConfig = {};
        const uu = (y: ConfValue, _f: unknown, k: string) => (u.user = str(y, k));
        const up = (y: ConfValue, _f: unknown, k: string) => (u.password = str(y, k));
        walkBlock(map(item, n), n, {
          user: uu,
          username: uu,
          pass: up,
          password: up,
          account: (y, _f, k) => (u.account = str(y, k)),
        });
        if (!u.user) fail(item, `"${n}" entry requires a user`);
        return u;
      });
    },
  });
  if (auth.users && auth.users.length > 0 && auth.user !== undefined) {
    fail(m, `"${name}" cannot have both a single user and a users array`);
  }
  return auth;
}
