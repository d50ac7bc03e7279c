/**
 * Generators of hostile client-protocol input for fuzzing a server: random bytes, valid ops,
 * valid ops with mutated bytes, absurd sizes and numbers, long lines. Everything is drawn from
 * a seeded Prng so a failing run reproduces from its seed.
 */
import { Prng } from "./prng";

/** Subjects the fuzzer uses. The side client's subject is never among them or reachable by mutation. */
const SUBJECTS = ["foo", "foo.bar", "foo.*", "foo.>", ">", "*", "a.b.c.d.e", "_INBOX.abc", "_GR_.x", "q", "x.y", "foo..bar", ".foo", "foo.", "fo o", "ünï.cødé", "\u0000"];
const QUEUES = ["g", "workers", "q.1"];
const BAD_NUMBERS = ["-1", "1e3", "0x10", "", " ", "9".repeat(20), "4294967296", "2147483648", "1048577", "99999999999", "١٢", "+5", "5 ", "NaN", "0000000000005"];

export type InputKind = "random" | "valid" | "mutated" | "huge" | "badnum" | "longline" | "soft";

/** One generated input: its bytes and what kind it is (for the summary). */
export interface FuzzInput {
  kind: InputKind;
  bytes: Buffer;
}

function caseMix(r: Prng, s: string): string {
  if (!r.chance(0.3)) return s;
  let out = "";
  for (const ch of s) out += r.chance(0.5) ? ch.toLowerCase() : ch.toUpperCase();
  return out;
}

function payload(r: Prng, n: number): string {
  const chars = "abcXYZ019 \r\n\t\u0000";
  let s = "";
  for (let i = 0; i < n; i++) s += chars[r.int(chars.length)];
  return s;
}

function headerBlock(r: Prng): string {
  const lines = ["NATS/1.0\r\n"];
  for (let i = r.int(3); i > 0; i--) lines.push(`K${r.int(9)}: ${payload(r, r.int(6)).replace(/[\r\n]/g, "v")}\r\n`);
  return lines.join("") + "\r\n";
}

const sep = (r: Prng) => (r.chance(0.1) ? "\t" : r.chance(0.05) ? "  " : " ");

/** A well-formed client op (including server-only ops the client may not send). */
export function validOp(r: Prng): string {
  const subj = r.pick(SUBJECTS);
  const reply = r.chance(0.3) ? `${sep(r)}_INBOX.${r.int(100)}` : "";
  switch (r.int(10)) {
    case 0:
    case 1: {
      const body = payload(r, r.int(40));
      return `${caseMix(r, "PUB")}${sep(r)}${subj}${reply}${sep(r)}${Buffer.byteLength(body, "latin1")}\r\n${body}\r\n`;
    }
    case 2: {
      const h = headerBlock(r);
      const body = payload(r, r.int(20));
      const hl = Buffer.byteLength(h, "latin1");
      return `${caseMix(r, "HPUB")} ${subj}${reply} ${hl} ${hl + Buffer.byteLength(body, "latin1")}\r\n${h}${body}\r\n`;
    }
    case 3:
    case 4:
      return `${caseMix(r, "SUB")} ${subj}${r.chance(0.3) ? " " + r.pick(QUEUES) : ""} ${r.int(50)}\r\n`;
    case 5:
      return `${caseMix(r, "UNSUB")} ${r.int(50)}${r.chance(0.5) ? " " + r.int(5) : ""}\r\n`;
    case 6:
      return `${caseMix(r, r.pick(["PING", "PONG", "+OK"]))}\r\n`;
    case 7: {
      const o: Record<string, unknown> = {};
      for (const k of ["verbose", "pedantic", "echo", "headers", "no_responders"]) if (r.chance(0.5)) o[k] = r.chance(0.5);
      if (r.chance(0.2)) o.protocol = r.pick([0, 1, 2, -1, "1", null]);
      if (r.chance(0.1)) o.user = "u";
      if (r.chance(0.1)) o.name = payload(r, 5);
      return `${caseMix(r, "CONNECT")} ${JSON.stringify(o)}\r\n`;
    }
    case 8:
      return `${caseMix(r, r.pick(["INFO", "-ERR", "MSG", "HMSG", "RS+", "A+"]))} ${r.chance(0.5) ? "{}" : "'x'"}\r\n`;
    default: {
      // Several small ops back to back, as a real client batches them.
      let s = "";
      for (let i = r.range(2, 5); i > 0; i--) s += `PUB ${subj} 1\r\nx\r\n`;
      return s + "PING\r\n";
    }
  }
}

/** Corrupt a buffer: flip, insert, delete, duplicate or truncate bytes. */
export function mutate(r: Prng, b: Buffer): Buffer {
  const arr = [...b];
  for (let n = r.range(1, 3); n > 0; n--) {
    const at = arr.length === 0 ? 0 : r.int(arr.length);
    switch (r.int(6)) {
      case 0:
        if (arr.length) arr[at] = r.int(256);
        break;
      case 1:
        arr.splice(at, 0, r.pick([13, 10, 32, 9, 0, 255, 46, 42, 62, r.int(256)]));
        break;
      case 2:
        arr.splice(at, r.range(1, 4));
        break;
      case 3:
        arr.splice(at, 0, ...arr.slice(at, at + r.range(1, 8)));
        break;
      case 4:
        arr.length = at;
        break;
      default:
        if (arr.length) arr[at] ^= 1 << r.int(8);
    }
  }
  return Buffer.from(arr);
}

/** An op whose numeric field is absurd: negative, overflowing, not decimal, or inconsistent. */
function badNumber(r: Prng): string {
  const n = r.pick(BAD_NUMBERS);
  switch (r.int(5)) {
    case 0:
      return `PUB foo ${n}\r\nxyz\r\n`;
    case 1:
      return `HPUB foo ${n} ${r.pick(BAD_NUMBERS)}\r\nNATS/1.0\r\n\r\n\r\n`;
    case 2:
      return `HPUB foo 20 10\r\n${"h".repeat(10)}\r\n`;
    case 3:
      return `UNSUB ${r.int(5)} ${n}\r\n`;
    default:
      return `SUB foo ${n}\r\n`;
  }
}

/** A size near or far above the limits, sometimes followed by part of the payload. */
function hugeSize(r: Prng): string {
  const size = r.pick([1048576, 1048577, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 10 ** 12, 65536]);
  const partial = r.chance(0.5) ? "a".repeat(r.int(2000)) : "";
  return r.chance(0.5) ? `PUB foo ${size}\r\n${partial}` : `HPUB foo 12 ${size}\r\nNATS/1.0\r\n\r\n${partial}`;
}

function longLine(r: Prng): string {
  const n = r.pick([4090, 4096, 4097, 5000, 20000]);
  switch (r.int(4)) {
    case 0:
      return `PUB ${"s".repeat(n)} 1\r\nx\r\n`;
    case 1:
      return `SUB ${"a.".repeat(n / 2)}b 1\r\n`;
    case 2:
      return `CONNECT {"name":"${"n".repeat(n)}"}\r\n`;
    default:
      return `${"P".repeat(n)}`;
  }
}

/** Random bytes inside a payload of unchanged length: framing stays intact. */
function payloadNoise(r: Prng): string {
  const n = r.range(0, 64);
  const body = r.bytes(n).toString("latin1");
  return `PUB ${r.pick(["foo", "x.y", "q"])} ${n}\r\n${body}\r\n`;
}

/**
 * Wrong but survivable input: nats-server answers it with an -ERR that keeps the connection
 * open, or accepts it. These let one connection carry many hostile inputs.
 */
export function softHostile(r: Prng): FuzzInput {
  let s: string;
  switch (r.int(10)) {
    case 0:
      s = `SUB ${r.pick(["foo..bar", ".x", "x.", "a.>.b", "..", ">.>"])} ${r.int(50)}\r\n`;
      break;
    case 1:
      s = `PUB ${r.pick(["foo.*", "foo.>", ">", "*", "_GR_.x", "_GR_.a.b"])} 2\r\nhi\r\n`;
      break;
    case 2:
      s = `UNSUB ${r.pick(["999", "0", "x", "-1"])}${r.chance(0.5) ? " 0" : ""}\r\n`;
      break;
    case 3:
    case 4:
      s = payloadNoise(r);
      break;
    case 5:
      s = `${r.pick(["PING", "PONG", "+OK"])}${r.pick([" junk", "\t", "  x y z", ""])}\r\n`;
      break;
    case 6:
      s = `SUB ${r.pick(["foo", "foo.*", ">"])} ${r.chance(0.5) ? r.pick(QUEUES) + " " : ""}dup\r\n`;
      break;
    case 7:
      s = `PUB ${"t.".repeat(r.range(1, 400))}end ${r.chance(0.5) ? "_INBOX.r " : ""}0\r\n\r\n`;
      break;
    case 8:
      // A second CONNECT changing verbosity mid-stream (headers stay as first declared).
      s = `CONNECT {"verbose":${r.chance(0.3)},"pedantic":${r.chance(0.5)}}\r\n`;
      break;
    default:
      s = `${r.pick(["pub", "Pub", "pUB"])} foo 0\r\n\r\n`;
  }
  return { kind: "soft", bytes: Buffer.from(s, "latin1") };
}

/** The next fuzz input. */
export function nextInput(r: Prng): FuzzInput {
  const roll = r.int(100);
  if (roll < 15) return { kind: "random", bytes: r.bytes(r.range(1, 64)) };
  if (roll < 50) return { kind: "valid", bytes: Buffer.from(validOp(r), "latin1") };
  if (roll < 85) return { kind: "mutated", bytes: mutate(r, Buffer.from(validOp(r), "latin1")) };
  if (roll < 92) return { kind: "badnum", bytes: Buffer.from(badNumber(r), "latin1") };
  if (roll < 97) return { kind: "huge", bytes: Buffer.from(hugeSize(r), "latin1") };
  return { kind: "longline", bytes: Buffer.from(longLine(r), "latin1") };
}

/** A connection's opening: usually a CONNECT so later ops get past the handshake. */
export function opening(r: Prng): Buffer {
  if (r.chance(0.15)) return Buffer.alloc(0);
  const o: Record<string, unknown> = { verbose: r.chance(0.3), pedantic: r.chance(0.3), echo: r.chance(0.8) };
  if (r.chance(0.6)) {
    o.headers = true;
    o.no_responders = r.chance(0.5);
  }
  if (r.chance(0.3)) o.protocol = 1;
  return Buffer.from(`CONNECT ${JSON.stringify(o)}\r\n`);
}

/** Cut a buffer into pieces at random points (each piece is written separately). */
export function splitRandomly(r: Prng, b: Buffer): Buffer[] {
  if (b.length <= 1 || r.chance(0.3)) return [b];
  const cuts = new Set<number>();
  for (let n = r.range(1, Math.min(8, b.length - 1)); n > 0; n--) cuts.add(r.range(1, b.length - 1));
  const sorted = [...cuts].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(b.subarray(prev, c));
    prev = c;
  }
  out.push(b.subarray(prev));
  return out;
}
