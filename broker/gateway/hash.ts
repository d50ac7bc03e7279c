/**
 * Names of clusters and servers as they appear in routed reply subjects:
 * `_GR_.<cluster hash>.<server hash>.<reply>`, each hash six characters of base 62 taken from
 * the first bytes of the name's SHA-256, exactly as nats-server computes them, so that replies
 * find their way back whichever implementation is on the other side.
 */
import { createHash } from "crypto";

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Length of one hash in a routed reply. */
export const GW_HASH_LEN = 6;
/** `_GR_.` */
export const GW_REPLY_PREFIX = "_GR_.";
/** Offset of the cluster hash, the server hash and the original reply in a routed subject. */
export const GW_CLUSTER_OFFSET = GW_REPLY_PREFIX.length;
export const GW_SERVER_OFFSET = GW_CLUSTER_OFFSET + GW_HASH_LEN + 1;
export const GW_SUBJECT_OFFSET = GW_SERVER_OFFSET + GW_HASH_LEN + 1;

/** The 6-character base-62 hash nats-server uses for gateway (cluster) names and server ids. */
export function gwHash(name: string): string {
  const d = createHash("sha256").update(name, "utf8").digest();
  let out = "";
  for (let i = 0; i < GW_HASH_LEN; i++) out += DIGITS[d[i] % 62];
  return out;
}

/** Whether a subject carries the routed-reply prefix and is long enough to hold a reply. */
export function isRoutedReply(subject: string): boolean {
  return subject.length > GW_SUBJECT_OFFSET && subject.startsWith(GW_REPLY_PREFIX);
}

/** Same test on bytes (the delivery path has no subject string for the reply). */
export function isRoutedReplyBytes(b: Buffer, s: number, e: number): boolean {
  return (
    e - s > GW_SUBJECT_OFFSET &&
    b[s] === 0x5f /* _ */ &&
    b[s + 1] === 0x47 /* G */ &&
    b[s + 2] === 0x52 /* R */ &&
    b[s + 3] === 0x5f /* _ */ &&
    b[s + 4] === 0x2e /* . */
  );
}
