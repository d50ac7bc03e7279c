/**
 * Logging in nats-server's line style: `[pid] 2006/01/02 15:04:05.000000 [INF] text`.
 */
import * as fs from "fs";

export type Level = "INF" | "WRN" | "ERR" | "FTL" | "DBG" | "TRC";

export interface LoggerOptions {
  debug?: boolean;
  trace?: boolean;
  logtime?: boolean;
  /** Log file path; stderr when absent. */
  file?: string;
  /** Silence everything (embedded use, tests). */
  quiet?: boolean;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

function stamp(d: Date): string {
  return (
    `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}000`
  );
}

export class Logger {
  debugEnabled: boolean;
  traceEnabled: boolean;
  private fd: number | null = null;

  constructor(private opts: LoggerOptions = {}) {
    this.debugEnabled = !!opts.debug;
    this.traceEnabled = !!opts.trace;
    this.open();
  }

  /** Current settings (a reload keeps what the embedder chose, such as `quiet`). */
  get options(): LoggerOptions {
    return { ...this.opts };
  }

  /** Apply new options (reload); reopens the log file. */
  configure(opts: LoggerOptions): void {
    this.close();
    this.opts = opts;
    this.debugEnabled = !!opts.debug;
    this.traceEnabled = !!opts.trace;
    this.open();
  }

  /** SIGUSR1: reopen the log file (after rotation). */
  reopen(): void {
    this.close();
    this.open();
  }

  close(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = null;
    }
  }

  info(msg: string): void {
    this.write("INF", msg);
  }
  warn(msg: string): void {
    this.write("WRN", msg);
  }
  error(msg: string): void {
    this.write("ERR", msg);
  }
  fatal(msg: string): void {
    this.write("FTL", msg);
  }
  debug(msg: string): void {
    if (this.debugEnabled) this.write("DBG", msg);
  }
  trace(msg: string): void {
    if (this.traceEnabled) this.write("TRC", msg);
  }

  private open(): void {
    if (this.opts.file) this.fd = fs.openSync(this.opts.file, "a");
  }

  private write(level: Level, msg: string): void {
    if (this.opts.quiet) return;
    const time = this.opts.logtime === false ? "" : stamp(new Date()) + " ";
    const line = `[${process.pid}] ${time}[${level}] ${msg}\n`;
    if (this.fd !== null) fs.writeSync(this.fd, line);
    else process.stderr.write(line);
  }
}
