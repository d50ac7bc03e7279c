/**
 * Topology problems: each one names a path in the declaration (`clusters[1].name`) and what
 * is wrong there. Validation collects all of them before failing, so a person fixes a file in
 * one pass instead of one error per run.
 */

/** A path into the declaration: object keys and array indexes. */
export type TopologyPath = ReadonlyArray<string | number>;

export interface TopologyIssue {
  path: TopologyPath;
  message: string;
  /** `file:line:col` when the declaration came from a file and the path could be located. */
  location?: string;
}

/** `["clusters", 1, "name"]` -> `clusters[1].name`; keys that are not identifiers are quoted. */
export function formatPath(path: TopologyPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === "" ? "(topology)" : out;
}

/** One line per issue: `[file:line:col: ]path: message`. */
export function formatIssue(issue: TopologyIssue): string {
  const where = issue.location ? `${issue.location}: ` : "";
  return `${where}${formatPath(issue.path)}: ${issue.message}`;
}

/** Thrown by validation with every problem found; `message` lists them one per line. */
export class TopologyError extends Error {
  readonly issues: readonly TopologyIssue[];

  constructor(issues: readonly TopologyIssue[], source?: string) {
    const head = `invalid topology${source ? ` in ${source}` : ""} (${issues.length} problem${issues.length === 1 ? "" : "s"})`;
    super([head, ...issues.map((i) => `  ${formatIssue(i)}`)].join("\n"));
    this.name = "TopologyError";
    this.issues = issues;
  }

  /** The issues as the lines `natsfleet validate` prints. */
  lines(): string[] {
    return this.issues.map(formatIssue);
  }
}

/** An error about the file itself (missing, unreadable, not YAML/JSON, no topology key). */
export class TopologySourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TopologySourceError";
  }
}

/** Accumulates issues during validation. */
export class IssueList {
  readonly issues: TopologyIssue[] = [];

  add(path: TopologyPath, message: string): void {
    this.issues.push({ path: [...path], message });
  }

  get empty(): boolean {
    return this.issues.length === 0;
  }
}
