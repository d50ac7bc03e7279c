/**
 * `.creds` files (a user JWT and its nkey seed between dashed BEGIN/END lines) and the nonce
 * signature a spoke sends in CONNECT.
 */
import * as fs from "fs";
import { fromSeed } from "@nats-io/nkeys";

export interface LeafCredentials {
  jwt: string;
  /** base64url (no padding) signature of the hub's nonce. */
  sig: string;
}

/** The blocks between `-----BEGIN ...-----` / `------END ...------` lines, in file order. */
function blocks(text: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  let inside = false;
  let cur: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    const marker = /^-{3,}.*-{3,}$/.test(line);
    if (marker && !inside) {
      inside = true;
      cur = [];
    } else if (marker && inside) {
      inside = false;
      const v = cur.join("").trim();
      if (v) out.push(v);
    } else if (inside) {
      cur.push(line);
    }
  }
  return out;
}

/**
 * Read `file` and sign `nonce` with its seed. Throws an Error naming the file and what is wrong
 * (missing file, malformed content, bad seed).
 */
export function signWithCredentials(file: string, nonce: string): LeafCredentials {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`leafnode credentials ${JSON.stringify(file)}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (e as Error).message}`);
  }
  const b = blocks(text);
  if (b.length < 2) throw new Error(`leafnode credentials ${JSON.stringify(file)}: malformed (needs a user JWT and an nkey seed block)`);
  const [jwt, seed] = b;
  let sig: Uint8Array;
  try {
    const kp = fromSeed(new TextEncoder().encode(seed));
    sig = kp.sign(new TextEncoder().encode(nonce));
  } catch (e) {
    throw new Error(`leafnode credentials ${JSON.stringify(file)}: malformed seed (${(e as Error).message})`);
  }
  return { jwt, sig: Buffer.from(sig).toString("base64url") };
}
