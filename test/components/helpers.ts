/**
 * Shared test helpers for components tests: free loopback ports and process cleanup.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Free loopback ports: the one implementation, which never hands out a port twice in a row. */
export { freePorts } from "../helpers/ports";

/** A fresh temporary folder, removed by `removeDir`. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `natsfleet-${prefix}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** True while `pid` runs (zombies count as gone). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** SIGKILL whatever in `pids` still runs: the safety net after a failed test. */
export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    if (pidAlive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // raced with its exit
      }
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
