/**
 * Gateway-routed replies on a server that runs leaf nodes but no gateways (typically a spoke).
 *
 * A request from another cluster reaches a spoke through its hub with a reply of the form
 * `_GR_.<cluster>.<server>.<reply>`. Clients may not publish to `_GR_.` subjects (nats-server
 * refuses them too), so the client sees the plain reply, and its response to that plain reply
 * is sent under the full `_GR_.` subject to the leaf connections that asked for `_GR_.`
 * subjects (the hub advertises `_GR_.>`), which hand it to the right gateway. nats-server does
 * the same with its reply map and `gwLeafSubs`. With gateways on, the gateway module's own
 * tracker takes this role instead.
 */
import type { Server } from "../server";
import { Deliverer, InMsg, Kind } from "../message";
import { ReplyTracker } from "../gateway/replies";

const SPACE = Buffer.from(" ");

/** A reply tracker whose responses go to leaf connections only. */
export function leafReplyRouter(server: Server): ReplyTracker {
  return new ReplyTracker({
    sendBack: (account, routed, m) => sendToLeafs(server, account, routed, m),
    // Routes only carry `_GR_.` subjects between servers that run gateways.
    routedFromRoute: () => false,
  });
}

/** Send `m` under the subject `routed` to every leaf connection with matching interest. */
function sendToLeafs(server: Server, account: string, routed: string, m: InMsg): void {
  const acc = server.accounts.get(account);
  if (!acc) return;
  const r = acc.sublist.match(routed);
  if (r.psubs.length === 0) return;
  const subj = Buffer.from(routed, "latin1");
  const out = new InMsg();
  out.subject = routed;
  out.reply = m.reply;
  out.line = m.re > m.rs ? Buffer.concat([subj, SPACE, m.line.subarray(m.rs, m.re)]) : subj;
  out.ss = 0;
  out.se = subj.length;
  out.rs = m.re > m.rs ? subj.length + 1 : 0;
  out.re = m.re > m.rs ? out.line.length : 0;
  out.hdr = m.hdr;
  out.data = m.data;
  out.ds = m.ds;
  out.de = m.de;
  const targets: Deliverer[] = [];
  for (const sub of r.psubs) {
    const c = sub.conn;
    if (c.kind !== Kind.LEAF || c.closed || typeof c.collect !== "function") continue;
    if (!targets.includes(c)) targets.push(c);
    c.collect(sub, out);
  }
  let n = 0;
  for (const c of targets) if (c.flushCollected!(out)) n++;
  if (n > 0) {
    server.stats.outMsgs += n;
    server.stats.outBytes += n * out.size;
    server.scheduleFlush();
  }
}
