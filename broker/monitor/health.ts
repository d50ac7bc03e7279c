/**
 * /healthz (readiness probe) and /jsz (JetStream, which natsfleet-server does not run: always
 * reported disabled, as nats-server does when JetStream is off).
 */
import type { Server } from "../server";
import { goTime, preciseNow } from "./format";
import { QueryError, boolParam, intParam } from "./query";

export interface HealthStatus {
  /** nats-server 2.9.10 says "error" when it cannot take clients ("unavailable" is for JetStream). */
  status: "ok" | "error";
  error?: string;
}

/** Validates the JetStream options nats-server accepts (they cannot fail here: no JetStream). */
export function healthzOptions(q: URLSearchParams): void {
  boolParam(q, "js-enabled");
  boolParam(q, "js-enabled-only");
  boolParam(q, "js-server-only");
}

/** Healthy while the server accepts clients; lame duck and shutdown are unavailable (503). */
export function healthz(server: Server): HealthStatus {
  if (!server.isRunning()) return { status: "error", error: "server is not running" };
  if (server.lameDuck) return { status: "error", error: "server is in lame duck mode, not accepting clients" };
  return { status: "ok" };
}

export function jszOptions(q: URLSearchParams): void {
  for (const b of ["accounts", "streams", "consumers", "config"]) boolParam(q, b);
  intParam(q, "offset");
  intParam(q, "limit");
  if (boolParam(q, "leader-only")) throw new QueryError("JetStream is not enabled: not leader");
}

export function jsz(server: Server): Record<string, unknown> {
  return {
    server_id: server.id,
    now: goTime(preciseNow()),
    disabled: true,
    config: { max_memory: 0, max_storage: 0 },
    memory: 0,
    storage: 0,
    reserved_memory: 0,
    reserved_storage: 0,
    accounts: 0,
    ha_assets: 0,
    api: { total: 0, errors: 0 },
    streams: 0,
    consumers: 0,
    messages: 0,
    bytes: 0,
  };
}
