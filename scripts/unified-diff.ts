/**
 * A unified diff of two texts (the `diff -u` format, 3 lines of context), written here so the
 * generated docs do not depend on which `diff` a machine has.
 */

type Op = { kind: " " | "-" | "+"; line: string };

/** Line operations turning `a` into `b`, from a longest common subsequence table. */
function operations(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: " ", line: a[i]! });
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      ops.push({ kind: "+", line: b[j++]! });
    } else {
      ops.push({ kind: "-", line: a[i++]! });
    }
  }
  // within a run of changes, removals first (as diff -u prints them)
  for (let k = 0; k < ops.length; ) {
    if (ops[k]!.kind === " ") {
      k++;
      continue;
    }
    let end = k;
    while (end < ops.length && ops[end]!.kind !== " ") end++;
    const run = ops.slice(k, end);
    ops.splice(k, run.length, ...run.filter((o) => o.kind === "-"), ...run.filter((o) => o.kind === "+"));
    k = end;
  }
  return ops;
}

/** `--- from` / `+++ to` and hunks; "" when the texts are equal. */
export function unifiedDiff(before: string, after: string, from: string, to: string, context = 3): string {
  const a = before.replace(/\n$/, "").split("\n");
  const b = after.replace(/\n$/, "").split("\n");
  const ops = operations(a, b);
  const changed = ops.map((o, k) => (o.kind !== " " ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return "";
  // group changes whose context windows touch
  const groups: Array<[number, number]> = [];
  for (const k of changed) {
    const last = groups[groups.length - 1];
    if (last && k - last[1] - 1 <= 2 * context) last[1] = k;
    else groups.push([k, k]);
  }
  const out = [`--- ${from}`, `+++ ${to}`];
  for (const [first, last] of groups) {
    const start = Math.max(0, first - context);
    const end = Math.min(ops.length - 1, last + context);
    // line numbers where the hunk starts on each side
    let aLine = 1;
    let bLine = 1;
    for (let k = 0; k < start; k++) {
      if (ops[k]!.kind !== "+") aLine++;
      if (ops[k]!.kind !== "-") bLine++;
    }
    const slice = ops.slice(start, end + 1);
    const aCount = slice.filter((o) => o.kind !== "+").length;
    const bCount = slice.filter((o) => o.kind !== "-").length;
    out.push(`@@ -${aCount ? aLine : aLine - 1},${aCount} +${bCount ? bLine : bLine - 1},${bCount} @@`);
    for (const o of slice) out.push(`${o.kind}${o.line}`);
  }
  return out.join("\n") + "\n";
}
