/**
 * Subject mappings of an account (`mappings { }`), as nats-server 2.9.10 applies them: a
 * message a client or leaf node publishes on a subject matching a mapping's source continues
 * under one destination, picked by weight; weights below 100% leave the rest unmapped.
 * Cluster-scoped destinations replace the others in the cluster they name.
 */
import { InMsg } from "../message";
import { isValidSubject, subjectMatches } from "../subject";
import type { MappingDestination } from "../options";
import { MappingError, Transform, tokenize, validateDestination } from "./transform";

export { MappingError } from "./transform";

/** A destination with its cumulative weight (a draw below it picks it). */
interface WeightedDest {
  transform: Transform;
  weight: number;
}

/** One source subject and where its messages go. */
export class Mapping {
  readonly wildcard: boolean;

  constructor(
    readonly src: string,
    readonly dests: WeightedDest[],
    /** Cluster name -> destinations used there instead of `dests`. */
    readonly clusterDests: Map<string, WeightedDest[]> | null,
  ) {
    this.wildcard = src.split(".").some((t) => t === "*" || t === ">");
  }

  /** Whether the literal subject `subject` is this mapping's source. */
  matches(subject: string): boolean {
    return this.wildcard ? subjectMatches(subject, this.src) : subject === this.src;
  }
}

/**
 * nats-server's AddWeightedMappings: checks the destinations (the errors are its texts), adds
 * the unmapped remainder when the weights of a list do not reach 100 and the source is not
 * listed itself, and turns weights into cumulative bounds in ascending order.
 */
export function compileMapping(src: string, dests: MappingDestination[]): Mapping {
  if (!isValidSubject(src)) throw new MappingError("invalid subject");
  const seen = new Set<string>();
  const main: WeightedDest[] = [];
  let scoped: Map<string, WeightedDest[]> | null = null;
  let total = 0;
  for (const d of dests) {
    if (seen.has(d.destination)) throw new MappingError(`duplicate entry for ${JSON.stringify(d.destination)}`);
    seen.add(d.destination);
    if (d.weight > 100) throw new MappingError("individual weights need to be <= 100");
    // As nats-server, cluster-scoped destinations count toward the same 100%.
    total += d.weight;
    if (total > 100) throw new MappingError("total weight needs to be <= 100");
    validateDestination(d.destination);
    const wd = { transform: new Transform(src, d.destination), weight: d.weight };
    if (!d.cluster) {
      main.push(wd);
    } else {
      scoped ??= new Map();
      const list = scoped.get(d.cluster) ?? [];
      list.push(wd);
      scoped.set(d.cluster, list);
    }
  }
  const finish = (list: WeightedDest[]): WeightedDest[] => {
    const sum = list.reduce((a, d) => a + d.weight, 0);
    if (sum !== 100 && !seen.has(src)) {
      list.push({ transform: new Transform(src, tokenize(src)), weight: list.length === 0 ? 100 : 100 - sum });
    }
    const sorted = [...list].sort((a, b) => a.weight - b.weight);
    let acc = 0;
    return sorted.map((d) => ({ transform: d.transform, weight: (acc += d.weight) }));
  };
  const finished = scoped === null ? null : new Map([...scoped].map(([c, l]) => [c, finish(l)] as const));
  return new Mapping(src, finish(main), finished);
}

/** A plain destination is one destination of weight 100. */
export function destinationsOf(value: string | MappingDestination[]): MappingDestination[] {
  return typeof value === "string" ? [{ destination: value, weight: 100 }] : value;
}

/** nats-server's config error for a mapping it cannot add. */
export function mappingProblem(src: string, value: string | MappingDestination[], err: MappingError): string {
  const to = typeof value === "string" ? ` to ${JSON.stringify(value)}` : "";
  return `Error adding mapping for ${JSON.stringify(src)}${to} : ${err.message}`;
}

/** Where a matched subject goes: its latin1 bytes for the message line, "" to drop it. */
export interface MappedSubject {
  subject: string;
  bytes: Buffer;
}

/** The destinations one subject can take, computed once per subject. */
interface Choices {
  /** Cumulative weights, or null for a single destination. */
  weights: number[] | null;
  subjects: MappedSubject[];
}

const NOT_MAPPED: Choices = { weights: null, subjects: [] };
const DROPPED: MappedSubject = { subject: "", bytes: Buffer.alloc(0) };
/** Subjects remembered per account; past this the memo starts over (unique inboxes). */
const MEMO_LIMIT = 4096;

/** Serialized form for /accountz, as nats-server's MapDest. */
export interface MapDestInfo {
  subject: string;
  weight: number;
  cluster?: string;
}

/** The mappings of one account and a memo of what each published subject turns into. */
export class SubjectMapper {
  private readonly memo = new Map<string, Choices>();
  private readonly scoped: boolean;
  private cluster = "";

  constructor(
    readonly mappings: readonly Mapping[],
    /** This server's cluster name, read when cluster-scoped destinations exist. */
    private readonly clusterName: () => string,
  ) {
    this.scoped = mappings.some((m) => m.clusterDests !== null);
  }

  /** The mappings' source subjects. */
  get sources(): string[] {
    return this.mappings.map((m) => m.src);
  }

  /** Where a message published on `subject` goes, or null when no mapping applies. */
  map(subject: string): MappedSubject | null {
    if (this.scoped) {
      // A generated cluster name can be replaced by a peer's: start over with the new one.
      const c = this.clusterName();
      if (c !== this.cluster) {
        this.cluster = c;
        this.memo.clear();
      }
    }
    let c = this.memo.get(subject);
    if (c === undefined) {
      c = this.choicesFor(subject);
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
      this.memo.set(subject, c);
    }
    if (c.weights === null) return c === NOT_MAPPED ? null : c.subjects[0];
    const w = Math.floor(Math.random() * 100);
    const ws = c.weights;
    for (let i = 0; i < ws.length; i++) if (w < ws[i]) return c.subjects[i];
    return DROPPED;
  }

  private choicesFor(subject: string): Choices {
    const m = this.mappings.find((x) => x.matches(subject));
    if (!m) return NOT_MAPPED;
    const dests = (m.clusterDests !== null ? m.clusterDests.get(this.cluster) : undefined) ?? m.dests;
    const tokens = subject.split(".");
    const subjects = dests.map((d) => {
      const s = d.transform.apply(tokens);
      return { subject: s, bytes: Buffer.from(s, "latin1") };
    });
    const single = dests.length === 1 && dests[0].weight === 100;
    return { weights: single ? null : dests.map((d) => d.weight), subjects };
  }

  /** The mappings as nats-server's /accountz lists them (sources sorted, as Go encodes maps). */
  describe(): Record<string, MapDestInfo[]> {
    const out: Record<string, MapDestInfo[]> = {};
    for (const m of [...this.mappings].sort((a, b) => (a.src < b.src ? -1 : a.src > b.src ? 1 : 0))) {
      const list: MapDestInfo[] = m.dests.map((d) => ({ subject: d.transform.dest, weight: d.weight }));
      const clusters = [...(m.clusterDests ?? new Map<string, WeightedDest[]>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [cluster, ds] of clusters) for (const d of ds) list.push({ subject: d.transform.dest, weight: d.weight, cluster });
      out[m.src] = list;
    }
    return out;
  }
}

/**
 * A mapped copy of a message in flight: the message line is rebuilt as `<subject>[ <reply>]`
 * in a buffer kept across messages, so a steady mapped stream allocates nothing. The copy is
 * valid until the next `apply` (deliveries copy what they write).
 */
export class Remapper {
  readonly msg = new InMsg();
  private scratch = Buffer.alloc(0);

  apply(m: InMsg, to: MappedSubject): InMsg {
    const out = this.msg;
    const n = to.bytes.length;
    out.subject = to.subject;
    out.reply = m.reply;
    out.ss = 0;
    out.se = n;
    if (m.re > m.rs) {
      const need = n + 1 + (m.re - m.rs);
      if (this.scratch.length < need) this.scratch = Buffer.allocUnsafe(Math.max(need, 2 * this.scratch.length, 128));
      const line = this.scratch;
      to.bytes.copy(line, 0);
      line[n] = 32;
      m.line.copy(line, n + 1, m.rs, m.re);
      out.line = line;
      out.rs = n + 1;
      out.re = need;
    } else {
      out.line = to.bytes;
      out.rs = out.re = 0;
    }
    out.hdr = m.hdr;
    out.data = m.data;
    out.ds = m.ds;
    out.de = m.de;
    return out;
  }
}
