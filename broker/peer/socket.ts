/** Socket plumbing every connection kind shares: closing with a last flush, write deadlines. */
import type { Socket } from "net";

/**
 * End the socket after writing `pending` (an -ERR the peer should read), or destroy it at
 * once when there is nothing to say. A peer that never reads cannot keep it open: it is
 * destroyed a second later regardless.
 */
export function endSocket(sock: Socket, pending: Buffer | null): void {
  if (pending && !sock.destroyed) {
    sock.end(pending);
    setTimeout(() => sock.destroy(), 1000).unref();
  } else {
    sock.destroy();
  }
}

/**
 * nats-server's write_deadline: once the kernel has not taken all output, the peer has this
 * long to read it before it counts as a slow consumer. Armed by a flush that leaves bytes
 * behind, cleared by the socket's 'drain'.
 */
export class WriteDeadline {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** Bytes the kernel has not taken yet (the socket may be swapped for a TLS one: read it each time). */
    private readonly pending: () => number,
    /** The deadline in ms, read when armed (reloadable). */
    private readonly ms: () => number,
    /** Called when output is still pending at the deadline. */
    private readonly expired: () => void,
  ) {}

  /** Start the clock unless it runs already. */
  arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.pending() > 0) this.expired();
    }, this.ms());
    this.timer.unref();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
