/**
 * Exports and imports between accounts. Accounts are separate subject spaces; a message
 * crosses only where the exporting account offers a subject (public, or to listed accounts)
 * and the importing account takes it:
 * - stream: messages published in the exporter on the subject are delivered in the importer
 *   (optionally under a prefix);
 * - service: requests published in the importer on the local subject are delivered in the
 *   exporter with a fresh `_R_.` reply, and the responder's answer on that reply goes back to
 *   the requester's reply subject in the importing account.
 */
import type { Account } from "../account";
import type { Server } from "../server";
import { InMsg, Deliverer, DeliverySub, Kind } from "../message";
import { subjectMatches } from "../subject";
import { randomBytes } from "crypto";
import type { AccountConfig, ServiceExport, StreamExport, StreamImport, ServiceImport } from "../options";

/** An export as both config files and account JWTs describe it. */
export interface ExportSpec {
  kind: "stream" | "service";
  subject: string;
  /** Accounts allowed to import; undefined means public. */
  accounts?: string[];
  /** Service response type: a singleton response ends the request's reply mapping. */
  responseType?: "singleton" | "stream" | "chunked";
  /** How long a response mapping lives (ms). */
  responseThreshold?: number;
}

/** An import as config files and account JWTs describe it. */
export interface ImportSpec {
  kind: "stream" | "service";
  /** Exporting account name. */
  account: string;
  /** Subject in the exporting account. */
  subject: string;
  /** Stream imports: prefix for delivered subjects. */
  prefix?: string;
  /**
   * Service imports: the local subject requests are published on (default: `subject`).
   * Stream imports: the local subject delivered messages are mapped to (instead of a prefix).
   */
  to?: string;
}

export interface AccountSpec {
  name: string;
  exports: ExportSpec[];
  imports: ImportSpec[];
}

/** A stream import, held by the exporting account. */
interface StreamRoute {
  pattern: string;
  into: Account;
  prefix: string;
  /** Mapped destination subject (wildcards filled from the source), instead of the prefix. */
  to?: string;
}

/** A service import, held by the importing account. */
interface ServiceRoute {
  local: string;
  remote: string;
  target: Account;
  singleton: boolean;
  ttl: number;
}

/** Where a response to a forwarded request goes. */
interface PendingResponse {
  into: Account;
  reply: string;
  singleton: boolean;
  expires: number;
}

/** Default lifetime of a service response mapping (nats-server's 2 minutes). */
const RESPONSE_TTL = 2 * 60 * 1000;
/** Imports chaining into imports stop here (a cycle must not loop forever). */
const MAX_DEPTH = 8;

/** The cross-account routes of one account. */
export class AccountLinks {
  streams: StreamRoute[] = [];
  services: ServiceRoute[] = [];
  readonly responses = new Map<string, PendingResponse>();

  get empty(): boolean {
    return this.streams.length === 0 && this.services.length === 0 && this.responses.size === 0;
  }
}

/** Whether an import of `subject` by `importer` is covered by one of the exporter's exports. */
export function exportFor(exports: ExportSpec[], kind: ExportSpec["kind"], subject: string, importer: string): ExportSpec | undefined {
  return exports.find((e) => e.kind === kind && coveredBy(subject, e.subject) && (e.accounts === undefined || e.accounts.includes(importer)));
}

/** Exports and imports of a config file's account, in the form config and JWT share. */
export function accountSpecFromConfig(acc: AccountConfig): AccountSpec {
  const exports: ExportSpec[] = (acc.exports ?? []).map((e) => {
    if ("stream" in e) return { kind: "stream", subject: (e as StreamExport).stream, accounts: e.accounts };
    const s = e as ServiceExport;
    return { kind: "service", subject: s.service, accounts: s.accounts, responseType: s.responseType, responseThreshold: s.responseThreshold };
  });
  const imports: ImportSpec[] = (acc.imports ?? []).map((i) => {
    if ("stream" in i) {
      const s = i as StreamImport;
      return { kind: "stream", account: s.stream.account, subject: s.stream.subject, prefix: s.prefix, to: s.to };
    }
    const s = i as ServiceImport;
    return { kind: "service", account: s.service.account, subject: s.service.subject, to: s.to };
  });
  return { name: acc.name, exports, imports };
}

/** Whether every subject matched by `sub` is matched by `pattern`. */
function coveredBy(sub: string, pattern: string): boolean {
  const s = sub.split(".");
  const p = pattern.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (p[i] === "*") {
      if (s[i] === ">") return false;
      continue;
    }
    if (p[i] !== s[i]) return false;
  }
  return s.length === p.length;
}

/**
 * Map a subject matched by `from` onto `to`: wildcard tokens of the subject fill the
 * wildcards of `to` in order; a literal `to` is taken as is.
 */
export function mapSubject(subject: string, from: string, to: string): string {
  if (from === to) return subject;
  const tt = to.split(".");
  if (!tt.includes("*") && !tt.includes(">")) return to;
  const st = subject.split(".");
  const ft = from.split(".");
  const wild: string[] = [];
  let rest: string[] = [];
  for (let i = 0; i < ft.length; i++) {
    if (ft[i] === "*") wild.push(st[i]);
    else if (ft[i] === ">") rest = st.slice(i);
  }
  const out: string[] = [];
  let w = 0;
  for (const t of tt) {
    if (t === "*") out.push(wild[w++] ?? "*");
    else if (t === ">") out.push(...(rest.length > 0 ? rest : ["*"]));
    else out.push(t);
  }
  return out.join(".");
}

/**
 * Build every account's links from specs. Imports not covered by an export are reported
 * through `problem` and ignored (nats-server refuses them too).
 */
export function linkAccounts(server: Server, specs: AccountSpec[], problem: (msg: string) => void): void {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const [acc, sub] of streamInterest.get(server) ?? []) server.removeSub(acc, sub);
  const interest: Array<[Account, DeliverySub]> = [];
  streamInterest.set(server, interest);
  // Route interest for imports matters only with routes; without, it would only show in counts.
  const clustered = server.opts.cluster !== undefined;
  for (const acc of server.accounts.values()) {
    // Pending responses survive a reload; routes are rebuilt.
    const keep = acc.links?.responses;
    acc.links = null;
    if (keep && keep.size > 0) {
      acc.links = new AccountLinks();
      for (const [k, v] of keep) acc.links.responses.set(k, v);
    }
  }
  const linksOf = (acc: Account) => (acc.links ??= new AccountLinks());
  for (const spec of specs) {
    const importer = server.account(spec.name);
    for (const imp of spec.imports) {
      const exporterSpec = byName.get(imp.account);
      const exp = exporterSpec ? exportFor(exporterSpec.exports, imp.kind, imp.subject, spec.name) : undefined;
      if (!exp) {
        problem(`Error adding ${imp.kind} import ${JSON.stringify(imp.subject)} of account ${spec.name}: ${imp.kind} import not authorized`);
        continue;
      }
      const exporter = server.account(imp.account);
      if (imp.kind === "stream") {
        let prefix = imp.prefix ?? "";
        if (prefix && !prefix.endsWith(".")) prefix += ".";
        const route: StreamRoute = { pattern: imp.subject, into: importer, prefix, to: imp.to };
        linksOf(exporter).streams.push(route);
        if (clustered) {
          const sub: DeliverySub = { subject: imp.subject, conn: new StreamCatcher(server, route) };
          interest.push([exporter, sub]);
          server.addSub(exporter, sub);
        }
      } else {
        if (clustered) catchResponses(server, exporter);
        linksOf(importer).services.push({
          local: imp.to ?? imp.subject,
          remote: imp.subject,
          target: exporter,
          singleton: (exp.responseType ?? "singleton") === "singleton",
          ttl: exp.responseThreshold && exp.responseThreshold > 0 ? exp.responseThreshold : RESPONSE_TTL,
        });
      }
    }
  }
}

let depth = 0;
let replySeq = 0;
const replyBases = new WeakMap<Server, string>();

/** This server's `_R_.<random>.` prefix, so responses find their way back in a cluster. */
function replyBase(server: Server): string {
  let b = replyBases.get(server);
  if (!b) replyBases.set(server, (b = "_R_." + randomBytes(6).toString("base64url").replace(/[-_]/g, "x") + "."));
  return b;
}

/** A copy of `m` under another subject and reply (headers and payload are shared). */
function retarget(m: InMsg, subject: string, reply: string): InMsg {
  const n = new InMsg();
  n.line = Buffer.from(reply ? `${subject} ${reply}` : subject, "latin1");
  n.ss = 0;
  n.se = subject.length;
  if (reply) {
    n.rs = subject.length + 1;
    n.re = n.rs + reply.length;
  }
  n.subject = subject;
  n.reply = reply;
  n.hdr = m.hdr;
  n.data = m.data;
  n.ds = m.ds;
  n.de = m.de;
  return n;
}

/**
 * After `m` was delivered in `acc`: hand it to importing accounts. Returns how many receivers
 * got it there. Messages from routes and gateways were already crossed where they were
 * published, so only local sources cross here.
 */
export function crossAccounts(server: Server, from: Deliverer, acc: Account, m: InMsg): number {
  const links = acc.links;
  if (links === null || from.kind === Kind.ROUTER || from.kind === Kind.GATEWAY || depth >= MAX_DEPTH) return 0;
  let n = 0;
  depth++;
  try {
    // A responder answering a forwarded request.
    if (links.responses.size > 0 && m.subject.startsWith("_R_.")) {
      const p = links.responses.get(m.subject);
      if (p) {
        if (p.singleton || p.expires < Date.now()) links.responses.delete(m.subject);
        if (p.expires >= Date.now()) n += server.routeMessage(LOCAL_ONLY, p.into, retarget(m, p.reply, ""));
      }
    }
    for (const s of links.streams) {
      if (!subjectMatches(m.subject, s.pattern)) continue;
      const subject = s.to ? mapSubject(m.subject, s.pattern, s.to) : s.prefix + m.subject;
      n += server.routeMessage(LOCAL_ONLY, s.into, retarget(m, subject, m.reply));
    }
    for (const s of links.services) {
      if (!subjectMatches(m.subject, s.local)) continue;
      let reply = "";
      if (m.reply) {
        reply = replyBase(server) + (++replySeq).toString(36);
        const target = (s.target.links ??= new AccountLinks());
        if (target.responses.size > 10000) pruneResponses(target);
        target.responses.set(reply, { into: acc, reply: m.reply, singleton: s.singleton, expires: Date.now() + s.ttl });
      }
      // As nats-server, the exporting account's own subject mappings apply to the request.
      let subject = mapSubject(m.subject, s.local, s.remote);
      const mapped = s.target.mappings?.map(subject);
      if (mapped) subject = mapped.subject;
      // The import itself is a receiver (nats-server's internal subscription): a requester gets
      // no "no responders" status even when the exporter has no responder.
      n += Math.max(1, subject === "" ? 0 : server.routeMessage(from, s.target, retarget(m, subject, reply)));
    }
  } finally {
    depth--;
  }
  return n;
}

/**
 * An internal subscription that takes the messages a route brings in and handles a copy on the
 * next tick: delivery is not re-entrant, and the input buffer is reused once it returns.
 */
abstract class RouteCatcher implements Deliverer {
  readonly cid = 0;
  readonly kind = Kind.LEAF;
  abstract readonly kindName: string;
  readonly closed = false;
  private pending = false;

  constructor(protected readonly server: Server) {}

  deliver(): boolean {
    return false;
  }

  collect(): void {
    this.pending = true;
  }

  flushCollected(m: InMsg): boolean {
    if (!this.pending) return false;
    this.pending = false;
    const src = this.server.routingFrom;
    if (src === null || src.kind !== Kind.ROUTER || !this.accepts(src)) return false;
    const copy = this.retarget(m);
    copy.data = Buffer.from(m.data.subarray(m.ds, m.de));
    copy.ds = 0;
    copy.de = copy.data.length;
    setImmediate(() => this.handle(copy));
    return true;
  }

  /** Whether a message from this route-kind sender is for us. */
  protected accepts(_src: Deliverer): boolean {
    return true;
  }

  /** The message as it is to be handled (subject and reply), before its payload is copied. */
  protected abstract retarget(m: InMsg): InMsg;

  protected abstract handle(copy: InMsg): void;
}

/**
 * Responses published on another server of the cluster: an internal subscription on this
 * server's `_R_.` prefix in the exporting account gives the routes interest in them, so they
 * come back here, where the requester's mapping lives. Local responses are handled in
 * crossAccounts without it.
 */
class ResponseCatcher extends RouteCatcher {
  readonly kindName = "Service Responses";

  constructor(
    server: Server,
    private readonly account: Account,
  ) {
    super(server);
  }

  protected retarget(m: InMsg): InMsg {
    return retarget(m, m.subject, "");
  }

  protected handle(m: InMsg): void {
    const links = this.account.links;
    const p = links?.responses.get(m.subject);
    if (!links || !p) return;
    if (p.singleton || p.expires < Date.now()) links.responses.delete(m.subject);
    if (p.expires < Date.now()) return;
    this.server.routeMessage(LOCAL_ONLY, p.into, retarget(m, p.reply, ""));
    this.server.scheduleFlush();
  }
}

const catchers = new WeakMap<Account, ResponseCatcher>();

/**
 * The sender of messages crossing into an importing account. Like nats-server's shadow
 * subscriptions, those deliveries are local: each server of a cluster crosses the messages
 * it receives in the exporting account itself, so forwarding the crossed copy would double it.
 * A route kind keeps routeMessage from forwarding to routes and gateways.
 */
const LOCAL_ONLY: Deliverer = { cid: 0, kind: Kind.ROUTER, kindName: "Account Import", closed: false, deliver: () => false };

/**
 * A stream import's interest in the exporting account: routes then send this server the
 * exporter's messages published elsewhere in the cluster, crossed here into the importer.
 */
class StreamCatcher extends RouteCatcher {
  readonly kindName = "Stream Import";

  constructor(
    server: Server,
    private readonly route: StreamRoute,
  ) {
    super(server);
  }

  /** Crossed copies come back as LOCAL_ONLY deliveries: not again. */
  protected override accepts(src: Deliverer): boolean {
    return src !== LOCAL_ONLY;
  }

  protected retarget(m: InMsg): InMsg {
    const r = this.route;
    return retarget(m, r.to ? mapSubject(m.subject, r.pattern, r.to) : r.prefix + m.subject, m.reply);
  }

  protected handle(copy: InMsg): void {
    this.server.routeMessage(LOCAL_ONLY, this.route.into, copy);
    this.server.scheduleFlush();
  }
}

const streamInterest = new WeakMap<Server, Array<[Account, DeliverySub]>>();

function catchResponses(server: Server, acc: Account): void {
  if (catchers.has(acc)) return;
  const c = new ResponseCatcher(server, acc);
  catchers.set(acc, c);
  server.addSub(acc, { subject: replyBase(server) + ">", conn: c });
}

function pruneResponses(l: AccountLinks): void {
  const now = Date.now();
  for (const [k, p] of l.responses) if (p.expires < now) l.responses.delete(k);
}
