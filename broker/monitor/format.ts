/**
 * Value formats of nats-server's monitoring JSON: Go's time.Time (RFC3339Nano), Go's
 * time.Duration.String(), nats-server's coarse uptime strings, and encoding/json's
 * MarshalIndent output. Tools written against nats-server parse these, so they must match.
 */
import { performance } from "perf_hooks";

const NS_PER_MS = 1_000_000n;

/**
 * Wall-clock milliseconds with sub-millisecond digits when the monotonic clock agrees with
 * Date.now() (it drifts after clock steps; then whole milliseconds are the honest answer).
 */
export function preciseNow(): number {
  const wall = Date.now();
  const fine = performance.timeOrigin + performance.now();
  return Math.abs(fine - wall) <= 1 ? Math.max(fine, wall) : wall;
}

/**
 * Go's RFC3339Nano in UTC: fractional seconds with trailing zeros trimmed (no dot at all when
 * whole). Doubles near today's epoch hold about a tenth of a microsecond, so digits stop at
 * microseconds rather than invent nanoseconds.
 */
export function goTime(epochMs: number): string {
  const wholeMs = Math.floor(epochMs);
  const sec = Math.floor(wholeMs / 1000);
  let micros = Math.round((epochMs - sec * 1000) * 1000);
  let secs = sec;
  if (micros >= 1_000_000) {
    secs += 1;
    micros -= 1_000_000;
  }
  const base = new Date(secs * 1000).toISOString().slice(0, 19);
  const frac = micros === 0 ? "" : "." + String(micros).padStart(6, "0").replace(/0+$/, "");
  return `${base}${frac}Z`;
}

/** Go's time.Duration.String() for a nanosecond count: "0s", "922µs", "2.5ms", "1m42s", "1h0m0s". */
export function goDuration(ns: bigint | number): string {
  let n = typeof ns === "bigint" ? ns : BigInt(Math.round(ns));
  if (n === 0n) return "0s";
  const neg = n < 0n;
  if (neg) n = -n;
  let out: string;
  if (n < 1_000_000_000n) {
    // Below a second Go switches unit so the integer part is never zero.
    if (n < 1000n) out = `${n}ns`;
    else if (n < NS_PER_MS) out = fixed(n, 1000n) + "µs";
    else out = fixed(n, NS_PER_MS) + "ms";
  } else {
    const h = n / 3_600_000_000_000n;
    const m = (n / 60_000_000_000n) % 60n;
    const s = fixed(n % 60_000_000_000n, 1_000_000_000n) + "s";
    if (h > 0n) out = `${h}h${m}m${s}`;
    else if (m > 0n) out = `${m}m${s}`;
    else out = s;
  }
  return neg ? "-" + out : out;
}

/** `n / unit` with the remainder as decimals, trailing zeros trimmed. */
function fixed(n: bigint, unit: bigint): string {
  const whole = n / unit;
  const rem = n % unit;
  if (rem === 0n) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rem).padStart(digits, "0").replace(/0+$/, "")}`;
}

/** nats-server's uptime/idle format: whole seconds, with days and years ("3d2h0m5s"). */
export function uptime(ms: number): string {
  const tsecs = Math.max(0, Math.floor(ms / 1000));
  const tmins = Math.floor(tsecs / 60);
  const thrs = Math.floor(tmins / 60);
  const tdays = Math.floor(thrs / 24);
  const tyrs = Math.floor(tdays / 365);
  if (tyrs > 0) return `${tyrs}y${tdays % 365}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (tdays > 0) return `${tdays}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (thrs > 0) return `${thrs}h${tmins % 60}m${tsecs % 60}s`;
  if (tmins > 0) return `${tmins}m${tsecs % 60}s`;
  return `${tsecs}s`;
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

/**
 * encoding/json's MarshalIndent(v, "", "  "): two-space indent, and <, >, & and the JS line
 * separators escaped as \u00XX the way Go does by default.
 */
export function goJSON(value: unknown, indent = true): string {
  const s = indent ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  return s.replace(HTML_UNSAFE, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/** A duration option (milliseconds) as the integer nanoseconds Go's JSON gives time.Duration. */
export function durationNs(ms: number): number {
  return Math.round(ms * 1e6);
}
