/** Checks shared by the targets' stack-config options (`natsfleet:aws`, `natsfleet:gcp`). */

/** Problems with an options object from stack config: not an object, or keys nobody reads (typos). */
export function stackKeyProblems(value: unknown, key: string, known: readonly string[]): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [`${key}: expected an object, got ${JSON.stringify(value)}`];
  return Object.keys(value)
    .filter((k) => !known.includes(k))
    .map((k) => `${key}.${k}: unknown option (known: ${known.join(", ")})`);
}
