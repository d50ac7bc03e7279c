/**
 * The config reloader sidecar. Kubernetes updates a mounted Secret/ConfigMap in place (an
 * atomic symlink swap, seconds to a minute after the object changes); the broker only
 * rereads its config on SIGHUP. The sidecar shares the pod's process namespace, polls the
 * pod's config file and sends SIGHUP to the pid in the broker's pid file when the content
 * changes. Polling a digest, not fs.watch: watches on the swapped symlinks miss changes.
 *
 * The script is plain Node.js with no dependencies so it runs in any Node image; it is shipped
 * in a ConfigMap and is a real program, exercised by the tests against real processes.
 */

/** Paths inside the pod that the broker, the reloader and the preStop hook agree on. */
export const POD_PATHS = {
  /** Secret volume: one `<pod>.conf` per server. */
  configDir: "/etc/nats/config",
  /** ConfigMap volume with the reloader script. */
  scriptsDir: "/etc/nats/scripts",
  /** ConfigMap volume with the natsfleet bundle. */
  brokerDir: "/opt/natsfleet",
  /** Secret volume with the group's certificates: `<pod>.crt`, `<pod>.key`, `ca.crt`. */
  tlsDir: "/etc/nats/tls",
  /** emptyDir shared by broker and reloader. */
  pidDir: "/var/run/nats",
  pidFile: "/var/run/nats/nats.pid",
};

/** Name of the reloader script in the scripts ConfigMap. */
export const RELOADER_FILE = "reloader.js";

/**
 * Environment: CONFIG_FILE (file to watch), WATCH_EXTRA (more files, ':'-separated: rotated
 * certificates), PID_FILE (broker pid), POLL_MS (interval).
 * Logs one line per reload and per problem; never exits on a problem (the broker may be
 * starting or restarting), only on SIGTERM.
 */
export const RELOADER_SCRIPT = `"use strict";
// natsfleet config reloader: SIGHUP the broker when its mounted config changes.
const fs = require("fs");
const crypto = require("crypto");
const conf = process.env.CONFIG_FILE;
const watched = [conf].concat((process.env.WATCH_EXTRA || "").split(":").filter(Boolean));
const pidFile = process.env.PID_FILE;
const every = Number(process.env.POLL_MS || 2000);
if (!conf || !pidFile) {
  console.error("reloader: CONFIG_FILE and PID_FILE must be set");
  process.exit(2);
}
function digest() {
  const h = crypto.createHash("sha256");
  try {
    for (const f of watched) h.update(f + "\\0").update(fs.readFileSync(f)).update("\\0");
  } catch (e) {
    return undefined;
  }
  return h.digest("hex");
}
function brokerPid() {
  const text = fs.readFileSync(pidFile, "utf8").trim();
  if (!/^[0-9]+$/.test(text)) throw new Error("pid file " + pidFile + " does not hold a pid");
  return Number(text);
}
let last = digest();
let lastProblem = "";
console.log("reloader: watching " + watched.join(", ") + " every " + every + " ms");
const timer = setInterval(() => {
  const now = digest();
  if (now === undefined || now === last) return;
  try {
    const pid = brokerPid();
    process.kill(pid, "SIGHUP");
    last = now;
    lastProblem = "";
    console.log("reloader: " + watched.join(", ") + " changed (sha256 " + now.slice(0, 12) + "), sent SIGHUP to " + pid);
  } catch (e) {
    // keep \`last\` so the next tick retries; log a problem once, not every tick
    const problem = String(e && e.message ? e.message : e);
    if (problem !== lastProblem) console.error("reloader: cannot signal the broker: " + problem);
    lastProblem = problem;
  }
}, every);
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => { clearInterval(timer); process.exit(0); });
`;
