/**
 * A raw protocol client for byte-exact tests: it connects, collects every byte the server
 * sends, and lets a test wait for a pattern or for the close. Text is latin1 so bytes map
 * one-to-one to characters.
 */
import * as net from "net";

export type Expect = string | RegExp | ((text: string) => boolean);

const live = new Set<RawClient>();

export class RawClient {
  /** Everything received so far, latin1. */
  text = "";
  closed = false;
  /** Set when the socket failed (for instance ECONNRESET after the server dropped us). */
  error?: Error;
  private waiters: Array<() => void> = [];
  private readonly closedPromise: Promise<void>;

  private constructor(readonly sock: net.Socket) {
    live.add(this);
    sock.on("data", (b: Buffer) => {
      this.text += b.toString("latin1");
      this.wake();
    });
    sock.on("error", (e) => {
      this.error = e;
    });
    this.closedPromise = new Promise((resolve) => {
      sock.once("close", () => {
        this.closed = true;
        live.delete(this);
        this.wake();
        resolve();
      });
    });
  }

  /** Connect to a server's client port; resolves once TCP is up (INFO may follow). */
  static connect(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host });
      sock.setNoDelay(true);
      const onErr = (e: Error) => reject(e);
      sock.once("error", onErr);
      sock.once("connect", () => {
        sock.removeListener("error", onErr);
        resolve(new RawClient(sock));
      });
    });
  }

  /** Connect and wait for the server's INFO line. */
  static async open(port: number, host = "127.0.0.1"): Promise<RawClient> {
    const c = await RawClient.connect(port, host);
    await c.waitFor(/^INFO .*\r\n/);
    return c;
  }

  send(data: string | Buffer): void {
    if (this.sock.destroyed) return;
    this.sock.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** The INFO line the server sent first, parsed. */
  info(): Record<string, unknown> {
    const m = /^INFO (.*) \r\n/.exec(this.text);
    if (!m) throw new Error(`no 'INFO {json} \\r\\n' line at the start of ${JSON.stringify(this.text.slice(0, 200))}`);
    return JSON.parse(m[1]) as Record<string, unknown>;
  }

  /** Bytes received after the first INFO line; PINGs the server sends on its own are dropped. */
  afterInfo(keepPings = false): string {
    const i = this.text.indexOf("\r\n");
    const rest = i < 0 ? "" : this.text.slice(i + 2);
    return keepPings ? rest : dropServerPings(rest);
  }

  /** Resolve once the received text satisfies `expect` (tested on `afterInfo()` unless `whole`). */
  async waitFor(expect: Expect, timeoutMs = 3000, whole = true): Promise<string> {
    const test = (): boolean => {
      const t = whole ? this.text : this.afterInfo();
      if (typeof expect === "string") return t.includes(expect);
      if (expect instanceof RegExp) return expect.test(t);
      return expect(t);
    };
    await this.until(test, timeoutMs, () => `waiting for ${String(expect)}`);
    return this.text;
  }

  /** Resolve once bytes after INFO (pings dropped) have at least `n` characters. */
  async waitForLength(n: number, timeoutMs = 3000): Promise<string> {
    await this.until(() => this.afterInfo().length >= n, timeoutMs, () => `waiting for ${n} bytes after INFO`);
    return this.afterInfo();
  }

  /** Resolve once the server closed the connection. */
  async waitClosed(timeoutMs = 3000): Promise<void> {
    await this.until(() => this.closed, timeoutMs, () => "waiting for the server to close the connection");
  }

  /**
   * Send PING and wait for the matching PONG: once it arrives, every reply to what was sent
   * before it has arrived too (the server answers in order).
   */
  async sync(timeoutMs = 3000): Promise<string> {
    const before = countPongs(this.afterInfo());
    this.send("PING\r\n");
    await this.until(() => countPongs(this.afterInfo()) > before, timeoutMs, () => "waiting for PONG");
    return this.afterInfo();
  }

  /** Whether the connection is still open after `ms` of quiet. */
  async staysOpen(ms = 300): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return !this.closed;
  }

  close(): Promise<void> {
    this.sock.destroy();
    return this.closedPromise;
  }

  private until(test: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (test()) {
          done();
          resolve();
        } else if (this.closed) {
          // Nothing more will arrive; fail now with what we have.
          done();
          if (test()) resolve();
          else reject(new Error(`${what()}: connection closed; received ${JSON.stringify(this.text)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what()}: timed out after ${timeoutMs} ms; received ${JSON.stringify(this.text)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Remove whole `PING\r\n` lines (server keep-alives) from received protocol text. */
export function dropServerPings(s: string): string {
  // Only at line starts: a payload could contain the same bytes, but tests never send that.
  return s.replace(/(^|\r\n)(PING\r\n)+/g, "$1");
}

function countPongs(s: string): number {
  let n = 0;
  for (let i = s.indexOf("PONG\r\n"); i >= 0; i = s.indexOf("PONG\r\n", i + 1)) n++;
  return n;
}

/** Destroy every raw socket still open (after hooks). */
export async function closeAllRaw(): Promise<void> {
  await Promise.all([...live].map((c) => c.close()));
}
