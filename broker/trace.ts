/**
 * Protocol tracing (`-V`, `trace: true`), in nats-server's words: `<<- [PUB foo 5]` for what a
 * client sent, `<<- MSG_PAYLOAD: ["hello"]` for its payloads (cut at max_traced_msg_len), and
 * `->> [MSG foo 1 5]` for what it is sent. Callers check `log.traceEnabled` first, so a server
 * that does not trace pays one boolean per protocol op.
 */
import type { Logger } from "./log";
import type { Parser } from "./protocol/parser";

export interface Traced {
  describe(): string;
  readonly server: { readonly log: Logger; readonly opts: { maxTracedMsgLen?: number } };
}

/** CONNECT carries credentials: never into a log (nats-server drops `pass`; tokens go too). */
const SECRET_FIELDS = /"(pass|auth_token|sig|jwt)"\s*:\s*"(?:[^"\\]|\\.)*"/g;

/** The control line the parser just read. */
export function traceIn(c: Traced, p: Parser): void {
  let line = p.line.toString("latin1", p.lineStart, p.lineEnd);
  if (/^connect/i.test(line)) line = line.replace(SECRET_FIELDS, '"$1":"[REDACTED]"');
  c.server.log.trace(`${c.describe()} - <<- [${line}]`);
}

/** A message payload (without its CRLF). */
export function tracePayload(c: Traced, buf: Buffer, start: number, end: number): void {
  const max = c.server.opts.maxTracedMsgLen ?? 0;
  const cut = max > 0 && end - start > max;
  const text = buf.toString("latin1", start, cut ? start + max : end);
  const quoted = JSON.stringify(text);
  c.server.log.trace(`${c.describe()} - <<- MSG_PAYLOAD: [${cut ? `${quoted.slice(0, -1)}..."` : quoted}]`);
}

/** A protocol line sent to the peer (without its CRLF). */
export function traceOut(c: Traced, line: string): void {
  c.server.log.trace(`${c.describe()} - ->> [${line}]`);
}
