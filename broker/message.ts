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

/** Connection kinds, as nats-server names them. */
export const enum Kind {
  CLIENT = 0,
  ROUTER = 1,
  GATEWAY = 2,
  LEAF = 3,
}

/** Anything that receives messages for its subscriptions: a client, a route, a gateway, a leaf. */
export interface Deliverer {
  /** Connection id (unique across kinds, as nats-server numbers them). */
  readonly cid: number;
  readonly kind: Kind;
  readonly kindName: string;
  /** Set once the connection is closing: delivery skips it. */
  readonly closed: boolean;
  /**
   * Leaf connections on which this server is the spoke: plain-interest messages from them are
   * not relayed to routes, since every server of the cluster has its own link to the hub.
   */
  readonly isSpoke?: boolean;
  /**
   * Local connections (clients) write the message for one subscription right away. Remote
   * connections (routes, leaf nodes) instead remember the interest that matched (`collect`)
   * and send the message once, with its queue list, in `flushCollected`.
   */
  deliver(sub: DeliverySub, msg: InMsg): boolean;
  /** Remote only: note a matching plain subscription (queue undefined) or a chosen queue group. */
  collect?(sub: DeliverySub, msg: InMsg): void;
  /** Remote only: send the message once for everything collected; returns false if closed. */
  flushCollected?(msg: InMsg): boolean;
}

/** The subscription fields delivery reads. */
export interface DeliverySub {
  subject: string;
  queue?: string;
  conn: Deliverer;
}

/**
 * Interest changes in an account's subject index, for modules that propagate interest to peers
 * (routes send RS+/RS-, leaf nodes LS+/LS-, gateways RS+ in interest-only mode).
 */
export interface InterestListener {
  subAdded(account: string, sub: DeliverySub): void;
  subRemoved(account: string, sub: DeliverySub): void;
}

/**
 * Called after a message was delivered inside this server (and its routes), so gateways can
 * send it on to other clusters. `servedQueues` holds the queue groups that already got it.
 * Returns how many connections it was sent to (0 or nothing when none).
 */
export type Forwarder = (from: Deliverer, account: string, msg: InMsg, servedQueues: ReadonlySet<string>) => number | void;

/**
 * Gateway reply routing (reference section 3): a reply carrying the `_GR_.<cluster>.<server>.`
 * prefix reaches clients without it and is remembered, so that a client's response goes
 * straight back to the requester's cluster. Set by the gateway module on `Server.replyRouter`.
 */
export interface ReplyRouter {
  /** True while any routed reply is remembered: publishes skip `published` otherwise. */
  readonly active: boolean;
  /** `conn` gets `m` whose reply has the prefix: remember it; returns where the plain reply starts. */
  delivered(conn: Deliverer, m: InMsg): number;
  /** `conn` publishes `m`: if its subject is a remembered reply, send it back and return true. */
  published(conn: Deliverer, account: string, m: InMsg): boolean;
  /** A message from a route whose subject has the prefix: handle it and return true. */
  routed(from: Deliverer, account: string, m: InMsg): boolean;
}
