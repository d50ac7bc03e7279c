/**
 * A connection's pending output: protocol lines and message copies appended into one Buffer,
 * handed to the socket in a single write per flush. A fresh buffer replaces a flushed one
 * because the socket may still hold the old one.
 */
const CRLF = 0x0a0d;

export class Outbound {
  buf: Buffer;
  len = 0;
  private hint: number;

  constructor(initial = 4096) {
    this.hint = initial;
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Make room for n more bytes. */
  ensure(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  bytes(src: Buffer, s: number, e: number): void {
    const n = e - s;
    this.ensure(n);
    if (n < 48) {
      // Short copies are faster by hand than through Buffer.copy's native call.
      const b = this.buf;
      let o = this.len;
      for (let i = s; i < e; i++) b[o++] = src[i];
    } else {
      src.copy(this.buf, this.len, s, e);
    }
    this.len += n;
  }

  byte(c: number): void {
    this.ensure(1);
    this.buf[this.len++] = c;
  }

  crlf(): void {
    this.ensure(2);
    this.buf.writeUInt16LE(CRLF, this.len);
    this.len += 2;
  }

  /** Decimal digits of a non-negative integer. */
  int(n: number): void {
    this.ensure(16);
    if (n < 10) {
      this.buf[this.len++] = 48 + n;
      return;
    }
    let digits = 0;
    for (let x = n; x > 0; x = Math.floor(x / 10)) digits++;
    let o = this.len + digits;
    this.len = o;
    for (let x = n; x > 0; x = Math.floor(x / 10)) this.buf[--o] = 48 + (x % 10);
  }

  /** Protocol text (rare ops: INFO, -ERR, PING...). */
  ascii(s: string): void {
    const n = Buffer.byteLength(s, "utf8");
    this.ensure(n);
    this.buf.write(s, this.len, "utf8");
    this.len += n;
  }

  /** The pending bytes, leaving a fresh buffer sized by recent use. */
  take(): Buffer | null {
    if (this.len === 0) return null;
    const out = this.buf.subarray(0, this.len);
    // Adapt the next buffer's size to the last batch, within bounds.
    this.hint = Math.min(Math.max(4096, this.len), 1 << 20);
    this.buf = Buffer.allocUnsafe(this.hint);
    this.len = 0;
    return out;
  }

  /** Drop everything pending (connection closing). */
  clear(): void {
    this.len = 0;
  }
}
