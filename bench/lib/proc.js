"use strict";
/**
 * Child processes that talk in JSON lines: natsload instances, and the servers under test.
 * Every wait has a timeout so a wedged child can never hang the benchmark.
 */
const { spawn } = require("child_process");
const readline = require("readline");

/** A natsload process: JSON objects read line by line from its stdout, commands on stdin. */
class LoadProc {
  /**
   * @param {string} bin natsload binary
   * @param {string[]} args mode and options
   * @param {string[]} [prefix] command prefix (taskset when pinning)
   */
  constructor(bin, args, prefix = []) {
    const argv = [...prefix, bin, ...args];
    this.desc = `natsload ${args.join(" ")}`;
    this.child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    this.lines = [];
    this.waiters = [];
    this.stderr = "";
    this.exitCode = undefined;
    this.child.stdin.on("error", () => {}); // the child may exit before we say "end"
    this.child.stderr.on("data", (d) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    readline.createInterface({ input: this.child.stdout }).on("line", (line) => {
      let obj;
      try {
        obj = JSON.parse(line);
      } catch {
        obj = { unparsed: line };
      }
      this.lines.push(obj);
      this.flush();
    });
    this.exited = new Promise((resolve) => {
      this.child.on("error", (err) => {
        this.stderr += String(err.message);
        this.exitCode = -1;
        resolve(-1);
        this.flush();
      });
      this.child.on("close", (code, signal) => {
        this.exitCode = code === null ? `signal ${signal}` : code;
        resolve(this.exitCode);
        this.flush();
      });
    });
  }

  flush() {
    while (this.waiters.length && (this.lines.length || this.exitCode !== undefined)) {
      const w = this.waiters.shift();
      clearTimeout(w.timer);
      if (this.lines.length) w.resolve(this.lines.shift());
      else w.reject(new Error(`${this.desc} exited (${this.exitCode}) without output: ${this.stderr.trim()}`));
    }
  }

  /**
   * Next JSON line from the process.
   * @param {number} timeoutMs
   * @returns {Promise<any>}
   */
  next(timeoutMs) {
    return new Promise((resolve, reject) => {
      const w = { resolve, reject, timer: undefined };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.desc}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
      this.flush();
    });
  }

  /** @param {string} line command for the process (e.g. "end 123") */
  send(line) {
    if (this.exitCode === undefined) this.child.stdin.write(line + "\n");
  }

  /** Close stdin: holding modes report and exit. */
  finish() {
    this.child.stdin.end();
  }

  /** Wait for exit; SIGTERM then SIGKILL if it does not come in time. */
  async stop(timeoutMs = 5000) {
    if (this.exitCode !== undefined) return this.exitCode;
    const t = setTimeout(() => this.child.kill("SIGTERM"), timeoutMs);
    const k = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs + 2000);
    const code = await this.exited;
    clearTimeout(t);
    clearTimeout(k);
    return code;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { LoadProc, sleep };
