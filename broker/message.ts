/**
 * A message in flight, filled in place by the connection that parsed it and read by every
 * delivery: all fields point into the input bytes, so nothing is copied until it is written
 * to a receiver's outbound buffer.
 */
export class InMsg {
  /** Buffer holding subject and reply (the control line). */
  line: Buffer = Buffer.alloc(0);
  ss = 0;
  se = 0;
  rs = 0;
  re = 0;
  /** Subject as a latin1 string (the subject index's key). */
  subject = "";
  /** Reply subject as a latin1 string, or "" when there is none. */
  reply = "";
  /** Header length, or -1 when the message has no headers. */
  hdr = -1;
  /** Headers + payload. */
  data: Buffer = Buffer.alloc(0);
  ds = 0;
  de = 0;

  get size(): number {
    return this.de - this.ds;
  }

  get hasReply(): boolean {
    return this.re > this.rs;
  }
}

/** Anything that receives messages for its subscriptions: a client, a route, a gateway, a leaf. */
export interface Deliverer {
  /** Write one message for one of this connection's subscriptions. Returns false if it closed. */
  deliver(sub: DeliverySub, msg: InMsg): boolean;
  readonly kindName: string;
}

/** The subscription fields delivery reads. */
export interface DeliverySub {
  subject: string;
  queue?: string;
  conn: Deliverer;
}
