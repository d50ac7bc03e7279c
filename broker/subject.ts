/**
 * Subject rules (reference section 1): tokens split by '.', no empty tokens, no whitespace;
 * '*' and '>' are wildcards only as a whole token, '>' only as the last token.
 * Subjects are held as latin1 strings internally so bytes round-trip exactly.
 */

function hasWhitespace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) return true;
  }
  return false;
}

/** A subject a client may subscribe to (wildcards allowed). */
export function isValidSubject(s: string): boolean {
  if (s.length === 0 || hasWhitespace(s)) return false;
  const tokens = s.split(".");
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.length === 0) return false;
    if (t.length > 1 && (t.includes(">") || t.includes("*"))) continue; // "foo*" is a literal token
    if (t === ">" && i !== tokens.length - 1) return false;
  }
  return true;
}

/** A subject without wildcards, as a publish subject must be. */
export function isValidLiteralSubject(s: string): boolean {
  if (!isValidSubject(s)) return false;
  for (const t of s.split(".")) {
    if (t === "*" || t === ">") return false;
  }
  return true;
}

/** True when the subject contains a wildcard token. */
export function hasWildcard(s: string): boolean {
  if (s === "*" || s === ">") return true;
  if (s.startsWith("*.") || s.startsWith(">.")) return true;
  if (s.endsWith(".*") || s.endsWith(".>")) return true;
  return s.includes(".*.");
}

/**
 * Whether the literal subject `subject` is matched by the pattern `pattern`.
 * Used where a tree walk is overkill (cache invalidation, permission checks).
 */
export function subjectMatches(subject: string, pattern: string): boolean {
  let si = 0;
  let pi = 0;
  const sl = subject.length;
  const pl = pattern.length;
  for (;;) {
    const pe = pattern.indexOf(".", pi);
    const pend = pe < 0 ? pl : pe;
    if (si > sl) return false;
    const se = subject.indexOf(".", si);
    const send = se < 0 ? sl : se;
    const plen = pend - pi;
    if (plen === 1 && pattern.charCodeAt(pi) === 62 /* > */) return si < sl;
    if (!(plen === 1 && pattern.charCodeAt(pi) === 42 /* * */)) {
      if (send - si !== plen || subject.substring(si, send) !== pattern.substring(pi, pend)) return false;
    } else if (send === si) {
      return false;
    }
    const pDone = pe < 0;
    const sDone = se < 0;
    if (pDone || sDone) return pDone && sDone;
    pi = pend + 1;
    si = send + 1;
  }
}

/**
 * Whether two subjects (either may hold wildcards) can match a common literal subject.
 * Used to invalidate cached match results when a wildcard subscription comes or goes.
 */
export function subjectsCollide(a: string, b: string): boolean {
  const at = a.split(".");
  const bt = b.split(".");
  const n = Math.min(at.length, bt.length);
  for (let i = 0; i < n; i++) {
    const x = at[i];
    const y = bt[i];
    if (x === ">" || y === ">") return true;
    if (x === "*" || y === "*") continue;
    if (x !== y) return false;
  }
  return at.length === bt.length;
}
