/**
 * Process CPU percent over the last second or so, like nats-server's (which samples
 * /proc/self/stat every second). Sampled on read instead of on a timer, so an idle monitor costs
 * nothing; the first reading is the average since the process started.
 */

/** Shortest window worth a new sample; shorter reads repeat the last value. */
const MIN_WINDOW_MS = 1000;

export class CpuMeter {
  private lastCpuUs: number;
  private lastAt: number;
  private value: number;

  constructor() {
    const u = process.cpuUsage();
    this.lastCpuUs = u.user + u.system;
    this.lastAt = Date.now();
    const lifetimeMs = process.uptime() * 1000;
    this.value = lifetimeMs > 0 ? round1(this.lastCpuUs / 1000 / lifetimeMs * 100) : 0;
  }

  /** Percent of one core (100 = one core busy), one decimal as nats-server reports it. */
  read(): number {
    const now = Date.now();
    const elapsed = now - this.lastAt;
    if (elapsed < MIN_WINDOW_MS) return this.value;
    const u = process.cpuUsage();
    const total = u.user + u.system;
    this.value = round1(((total - this.lastCpuUs) / 1000 / elapsed) * 100);
    this.lastCpuUs = total;
    this.lastAt = now;
    return this.value;
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

let shared: CpuMeter | null = null;

/** CPU percent of this process (one meter per process: CPU time is per process anyway). */
export function processCpu(): number {
  shared ??= new CpuMeter();
  return shared.read();
}
