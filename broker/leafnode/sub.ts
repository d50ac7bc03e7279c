/** Interest a leaf peer declared with `LS+`, kept in the bound account's subject index. */
import type { Deliverer, DeliverySub } from "../message";

export class LeafSub implements DeliverySub {
  /** Messages sent to the peer for it (monitoring). */
  delivered = 0;
  constructor(
    readonly conn: Deliverer,
    readonly subject: string,
    readonly queue: string | undefined,
    /** Queue weight: how many members the peer has behind this group (1 for plain interest). */
    public weight: number,
    /** The peer's cluster name, so interest is never echoed back into the cluster it came from. */
    readonly origin: string | undefined,
    /** `subject` or `subject queue`: the key LS-/LS+ name it by (monitoring shows it as sid). */
    readonly sid: string,
  ) {}
}

/** `subject` or `subject queue`: how LS+/LS- identify interest. */
export function interestKey(subject: string, queue: string | undefined): string {
  return queue === undefined ? subject : `${subject} ${queue}`;
}

/**
 * Weight a subscription counts for in queue interest: local subscriptions 1, remote ones
 * (routes, leafs) the weight their peer announced.
 */
export function weightOf(sub: DeliverySub): number {
  const w = (sub as { weight?: unknown }).weight;
  return typeof w === "number" && w > 0 ? w : 1;
}

/** The cluster a remote subscription came from, if its connection told us. */
export function originOf(sub: DeliverySub): string | undefined {
  const o = (sub as { origin?: unknown }).origin;
  return typeof o === "string" && o !== "" ? o : undefined;
}
