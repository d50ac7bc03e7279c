/**
 * PING/PONG liveness, shared by every connection kind (client, route, gateway, leaf node):
 * a PING every interval, a PONG clears the count and gives the round-trip time, and more
 * PINGs outstanding than the limit make the connection stale. What differs per kind (when
 * the first PING goes, whether an active peer is pinged at all, what "stale" logs) is given
 * by the connection.
 */

/** The connection a Pinger serves. */
export interface PingTarget {
  readonly closed: boolean;
  /** Queue a PING to the peer (the connection flushes it). */
  sendPing(): void;
  /** The peer left `max` PINGs unanswered: tell it and close, in the connection's words. */
  stale(): void;
}

/** When and how often to PING; read on every tick so a reload takes effect. */
export interface PingSchedule {
  /** Delay of the first PING (soon, so monitoring has an RTT early). */
  firstDelay(): number;
  interval(): number;
  /** PINGs that may be outstanding before the peer is stale. */
  max(): number;
  /** Skip this tick (nats-server pings an active client only while it has no RTT yet). */
  skip?(): boolean;
}

export class Pinger {
  /** Round-trip time of the last answered PING, in the clock's unit (ms); 0 = none yet. */
  rtt = 0;
  private outstanding = 0;
  /** When the unanswered PING went out; null when none is. */
  private sentAt: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly target: PingTarget,
    private readonly schedule: PingSchedule,
    /** Fractional clocks (performance.now) give sub-millisecond RTTs on a LAN. */
    private readonly clock: () => number = Date.now,
  ) {}

  /** Start pinging (idempotent). */
  start(): void {
    if (this.timer || this.target.closed) return;
    this.arm(this.schedule.firstDelay());
  }

  /** The peer answered. */
  pong(): void {
    this.outstanding = 0;
    if (this.sentAt !== null) {
      this.rtt = this.clock() - this.sentAt;
      this.sentAt = null;
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(delay: number): void {
    this.timer = setTimeout(() => this.tick(), delay);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    if (this.target.closed) return;
    if (!this.schedule.skip?.()) {
      if (this.outstanding + 1 > this.schedule.max()) {
        this.target.stale();
        return;
      }
      this.outstanding++;
      this.sentAt = this.clock();
      this.target.sendPing();
    }
    this.arm(this.schedule.interval());
  }
}

/** What every connection kind offers for staleness: its state, an -ERR and a close. */
export interface StaleConn {
  readonly closed: boolean;
  sendErr(text: string): void;
  close(reason: "Stale Connection"): void;
}

/** The usual target: `sendPing` queues the PING; stale logs `note`, sends -ERR and closes, as nats-server does. */
export function pingTarget(conn: StaleConn, sendPing: () => void, note: () => void): PingTarget {
  return {
    get closed() {
      return conn.closed;
    },
    sendPing,
    stale: () => {
      note();
      conn.sendErr("Stale Connection");
      conn.close("Stale Connection");
    },
  };
}
