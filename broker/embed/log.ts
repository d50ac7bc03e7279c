/**
 * A Logger that hands each line to the embedding application (pino, winston, a test buffer)
 * instead of writing nats-server-style lines to stderr or a file.
 */
import { Level, Logger, LoggerOptions } from "../log";

/** Receives every log line the server would print: level (`INF`, `WRN`, `ERR`, `FTL`, `DBG`, `TRC`) and text. */
export type LogSink = (level: Level, message: string) => void;

export class SinkLogger extends Logger {
  constructor(
    private readonly sink: LogSink,
    opts: LoggerOptions = {},
  ) {
    super({ ...opts, file: undefined, quiet: true });
  }

  /** A reload passes `logFile` along; the sink stays the only destination. */
  override configure(opts: LoggerOptions): void {
    super.configure({ ...opts, file: undefined, quiet: true });
  }

  override info(msg: string): void {
    this.sink("INF", msg);
  }
  override warn(msg: string): void {
    this.sink("WRN", msg);
  }
  override error(msg: string): void {
    this.sink("ERR", msg);
  }
  override fatal(msg: string): void {
    this.sink("FTL", msg);
  }
  override debug(msg: string): void {
    if (this.debugEnabled) this.sink("DBG", msg);
  }
  override trace(msg: string): void {
    if (this.traceEnabled) this.sink("TRC", msg);
  }
}
