/**
 * /subsz: subject index statistics summed over accounts, and optionally the subscriptions.
 */
import type { Server } from "../server";
import type { Account } from "../account";
import type { Sublist, MatchResult, Subscription } from "../sublist";
import { isValidLiteralSubject, subjectMatches } from "../subject";
import { goTime, preciseNow } from "./format";
import { SubDetail, subDetail } from "./conninfo";
import { QueryError, boolParam, intParam, param } from "./query";
import type { SubView } from "./sources";

export const DEFAULT_SUB_LIST_SIZE = 1024;

/** nats-server's SublistStats. */
export interface SublistStats {
  num_subscriptions: number;
  num_cache: number;
  num_inserts: number;
  num_removes: number;
  num_matches: number;
  cache_hit_rate: number;
  max_fanout: number;
  avg_fanout: number;
}

export interface SubszOptions {
  subs?: boolean;
  offset?: number;
  limit?: number;
  /** Only this account. */
  acc?: string;
  /** Only subscriptions a publish to this literal subject would reach. */
  test?: string;
}

export type Subsz = SublistStats | (SublistStats & { server_id: string; now: string; total: number; offset: number; limit: number; subscriptions_list: SubDetail[] });

/** Running sums; the fanout average is over cached results of every account together. */
class StatsSum {
  subs = 0;
  cache = 0;
  inserts = 0;
  removes = 0;
  matches = 0;
  hits = 0;
  maxFanout = 0;
  totFanout = 0;
  cacheCnt = 0;

  add(sl: Sublist<Subscription>): void {
    this.subs += sl.size;
    this.cache += sl.cacheSize;
    this.inserts += sl.stats.inserts;
    this.removes += sl.stats.removes;
    this.matches += sl.stats.matches;
    this.hits += sl.stats.cacheHits;
    for (const r of sl.cachedResults()) {
      // A queue group counts once: one of its members gets the message.
      const fanout = r.psubs.length + r.qsubs.length;
      this.totFanout += fanout;
      this.cacheCnt++;
      if (fanout > this.maxFanout) this.maxFanout = fanout;
    }
  }

  result(): SublistStats {
    return {
      num_subscriptions: this.subs,
      num_cache: this.cache,
      num_inserts: this.inserts,
      num_removes: this.removes,
      num_matches: this.matches,
      cache_hit_rate: this.matches > 0 ? this.hits / this.matches : 0,
      max_fanout: this.maxFanout,
      avg_fanout: this.cacheCnt > 0 ? this.totFanout / this.cacheCnt : 0,
    };
  }
}


/** Statistics of one account's index (accountz detail). */
export function sublistStats(acc: Account): SublistStats {
  const sum = new StatsSum();
  sum.add(acc.sublist);
  return sum.result();
}

export function subszOptions(q: URLSearchParams): SubszOptions {
  return {
    subs: boolParam(q, "subs"),
    offset: intParam(q, "offset"),
    limit: intParam(q, "limit"),
    test: param(q, "test") || undefined,
    acc: param(q, "acc") || undefined,
  };
}

export function subsz(server: Server, o: SubszOptions = {}): Subsz {
  if (o.test !== undefined && !isValidLiteralSubject(o.test)) {
    throw new QueryError(`invalid test subject, must be valid publish subject: ${o.test}`);
  }
  const offset = Math.max(0, o.offset ?? 0);
  const limit = o.limit && o.limit > 0 ? o.limit : DEFAULT_SUB_LIST_SIZE;
  const sum = new StatsSum();
  const details: SubDetail[] = [];
  for (const acc of server.accounts.values()) {
    if (o.acc !== undefined && acc.name !== o.acc) continue;
    sum.add(acc.sublist);
    if (!o.subs) continue;
    for (const s of acc.sublist.all()) {
      if (o.test !== undefined && !subjectMatches(o.test, s.subject)) continue;
      details.push(subDetail(s as unknown as SubView, s.conn.cid, acc.name));
    }
  }
  const stats = sum.result();
  const page = details.slice(Math.min(offset, details.length), Math.min(offset + limit, details.length));
  // Like nats-server, the envelope only appears when there is a list to show.
  if (page.length === 0) return stats;
  return { server_id: server.id, now: goTime(preciseNow()), ...stats, total: details.length, offset, limit, subscriptions_list: page };
}
