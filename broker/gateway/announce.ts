/**
 * Our cluster's interest, announced on inbound gateway connections as nats-server 2.9 does:
 * on accept every queue group (`RS+ <acc> <subj> <queue> 1`), then per account the
 * interest-only switch (INFO gateway_cmd 2, every plain subject, gateway_cmd 3); afterwards the
 * first and last subscription of each key as RS+/RS-, and A+ for an account we had refused.
 */
import type { GatewayConn } from "./conn";
import { ClusterInterest, Mode } from "./interest";
import { GATEWAY_CMD_ALL_SUBS_COMPLETE, GATEWAY_CMD_ALL_SUBS_START, accountCmdLine } from "./info";

export class InterestAnnouncer {
  constructor(
    private readonly interest: ClusterInterest,
    /** Our gateway name (INFO commands carry it). */
    private readonly gatewayName: () => string,
  ) {}

  /** On accept, before the per-account switches: every queue group of every account. */
  sendQueueSubs(conn: GatewayConn): void {
    let text = "";
    for (const account of this.interest.accounts.keys()) {
      for (const t of this.interest.keys(account, true)) text += `RS+ ${account} ${t.subject} ${t.queue} 1\r\n`;
    }
    if (text) conn.sendInterest(text);
  }

  /** Interest-only mode for an account: INFO gateway_cmd 2, every plain subscription, gateway_cmd 3. */
  sendAllSubs(conn: GatewayConn, account: string): void {
    const name = this.gatewayName();
    conn.sendProto(accountCmdLine(name, GATEWAY_CMD_ALL_SUBS_START, account));
    let text = "";
    for (const t of this.interest.keys(account, false)) text += `RS+ ${account} ${t.subject}\r\n`;
    if (text) conn.sendInterest(text);
    conn.sendProto(accountCmdLine(name, GATEWAY_CMD_ALL_SUBS_COMPLETE, account));
    conn.sent.set(account, Mode.InterestOnly);
  }

  /** First or last subscription of a key in this cluster: tell every inbound gateway. */
  changed(inbound: Iterable<GatewayConn>, account: string, subject: string, queue: string | undefined, added: boolean): void {
    for (const conn of inbound) {
      const mode = conn.sent.get(account);
      if (queue !== undefined) {
        if (added && mode === null) conn.sent.delete(account);
        conn.sendInterest(added ? `RS+ ${account} ${subject} ${queue} 1\r\n` : `RS- ${account} ${subject} ${queue}\r\n`);
      } else if (mode === Mode.InterestOnly) {
        conn.sendInterest(added ? `RS+ ${account} ${subject}\r\n` : `RS- ${account} ${subject}\r\n`);
      } else if (added) {
        // An account the remote has not heard of yet (or was told A-): announce it whole.
        if (mode === null) conn.sendInterest(`A+ ${account}\r\n`);
        this.sendAllSubs(conn, account);
      }
    }
  }
}
