/**
 * `--signal <cmd>[=<pid|pidfile>]`: send a control signal to a running server, as nats-server
 * does. Without a pid, the pid file named by the config (`pid_file`) or `-P` is used.
 */
import * as fs from "fs";

const COMMANDS: Record<string, NodeJS.Signals> = {
  stop: "SIGKILL",
  quit: "SIGINT",
  term: "SIGTERM",
  reopen: "SIGUSR1",
  reload: "SIGHUP",
  ldm: "SIGUSR2",
};

/** Resolve and send; returns a message for the user, throws Error with a clear text on failure. */
export function sendSignal(spec: string, pidFile?: string): string {
  const eq = spec.indexOf("=");
  const cmd = (eq < 0 ? spec : spec.slice(0, eq)).toLowerCase();
  const target = eq < 0 ? pidFile : spec.slice(eq + 1);
  const sig = COMMANDS[cmd];
  if (!sig) throw new Error(`unknown signal "${cmd}" (known: ${Object.keys(COMMANDS).join(", ")})`);
  if (!target) throw new Error(`signal "${cmd}" needs a pid: --signal ${cmd}=<pid|pidfile>, or -P <pidfile>`);
  let pid: number;
  if (/^\d+$/.test(target)) pid = Number(target);
  else {
    let text: string;
    try {
      text = fs.readFileSync(target, "utf8").trim();
    } catch (e) {
      throw new Error(`cannot read pid file ${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!/^\d+$/.test(text)) throw new Error(`pid file ${target} does not hold a pid`);
    pid = Number(text);
  }
  try {
    process.kill(pid, sig);
  } catch (e) {
    throw new Error(`cannot signal process ${pid}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return `signal "${cmd}" sent to process ${pid}`;
}
