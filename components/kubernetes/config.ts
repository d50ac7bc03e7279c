/**
 * The per-pod config: the rendered topology config plus what only Kubernetes needs (the pid
 * file the reloader and the preStop hook signal, lame duck timings that fit the pod's
 * termination grace period). Appended as top-level keys, which the config format allows
 * anywhere in the file.
 */
import { durationSeconds } from "./broker";
import { K8S_DEFAULTS, KubernetesGroupOptions } from "./options";
import { POD_PATHS } from "./reloader";

/** nats-server refuses a lame duck duration under 30s. */
const MIN_LAME_DUCK_SECONDS = 30;

/** Check the lame duck settings against each other and the grace period; returns problems. */
export function lameDuckProblems(options: KubernetesGroupOptions): string[] {
  const problems: string[] = [];
  const grace = options.terminationGracePeriodSeconds ?? K8S_DEFAULTS.terminationGracePeriodSeconds;
  let duration: number | undefined;
  let gracePeriod: number | undefined;
  try {
    duration = durationSeconds(options.lameDuckDuration ?? K8S_DEFAULTS.lameDuckDuration);
    if (duration < MIN_LAME_DUCK_SECONDS) problems.push(`lameDuckDuration must be at least ${MIN_LAME_DUCK_SECONDS}s (nats-server refuses less), got ${options.lameDuckDuration}`);
  } catch (e) {
    problems.push(`lameDuckDuration: ${(e as Error).message}`);
  }
  try {
    gracePeriod = durationSeconds(options.lameDuckGracePeriod ?? K8S_DEFAULTS.lameDuckGracePeriod);
  } catch (e) {
    problems.push(`lameDuckGracePeriod: ${(e as Error).message}`);
  }
  if (!Number.isInteger(grace) || grace < 1) problems.push(`terminationGracePeriodSeconds must be a whole number of seconds >= 1, got ${grace}`);
  else if (duration !== undefined && duration >= grace) {
    problems.push(`lameDuckDuration (${duration}s) must be shorter than terminationGracePeriodSeconds (${grace}s), or pods are killed while draining`);
  }
  if (duration !== undefined && gracePeriod !== undefined && gracePeriod >= duration) {
    problems.push(`lameDuckGracePeriod (${gracePeriod}s) must be shorter than lameDuckDuration (${duration}s)`);
  }
  return problems;
}

/**
 * The file a pod reads: the rendered config and the Kubernetes settings. `pidFile` is the
 * pod's path; tests running the result as a real process pass one of their own.
 */
export function podConfig(rendered: string, options: KubernetesGroupOptions, pidFile: string = POD_PATHS.pidFile): string {
  const lines = [
    "",
    "# kubernetes: the reloader and the preStop hook signal the pid in this file;",
    "# lame duck ends before the pod's termination grace period does",
    `pid_file: "${pidFile}"`,
    `lame_duck_duration: "${options.lameDuckDuration ?? K8S_DEFAULTS.lameDuckDuration}"`,
    `lame_duck_grace_period: "${options.lameDuckGracePeriod ?? K8S_DEFAULTS.lameDuckGracePeriod}"`,
    "",
  ];
  return rendered.replace(/\n*$/, "\n") + lines.join("\n");
}
