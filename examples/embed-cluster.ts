/**
 * Two embedded servers joined as a cluster: both listen for routes on a free port, the
 * second dials the first at the port it actually bound (`ports().cluster`). Then the first
 * one leaves in lame-duck mode and its client moves over.
 *
 *   npm run build && npx ts-node examples/embed-cluster.ts
 */
import { Server, startServer } from "natsfleet/broker";
import { connect, Events } from "nats";

function member(name: string, routes: string[] = []): Promise<Server> {
  return startServer(
    {
      serverName: name,
      host: "127.0.0.1",
      port: -1,
      cluster: { name: "embedded", host: "127.0.0.1", port: -1, routes },
      // Lame duck: wait 100 ms, then close clients over the next 400 ms (defaults: 10 s and 2 min).
      lameDuckGracePeriod: 100,
      lameDuckDuration: 500,
    },
    { log: { quiet: true } },
  );
}

/** Wait until each server has a route to the other. */
async function routed(servers: Server[]): Promise<void> {
  while (!servers.every((s) => s.numRoutes() > 0)) await new Promise((r) => setTimeout(r, 20));
}

async function main(): Promise<void> {
  const a = await member("a");
  const b = await member("b", [`nats://127.0.0.1:${a.ports().cluster}`]);
  await routed([a, b]);
  console.log(`cluster: a routes on ${a.ports().cluster}, b routes on ${b.ports().cluster}`);

  const onA = await connect({ servers: [a.clientURL(), b.clientURL()], noRandomize: true });
  const onB = await connect({ servers: b.clientURL() });
  const sub = onB.subscribe("orders.>", { max: 1 });
  await onB.flush();
  // Interest crosses the route asynchronously: publish until the subscriber on b has it.
  const publishing = setInterval(() => onA.publish("orders.created", "order 1"), 20);
  for await (const m of sub) console.log(`b received ${m.subject}: ${m.string()}`);
  clearInterval(publishing);

  const reconnected = (async () => {
    for await (const s of onA.status()) {
      if (s.type === Events.LDM) console.log("client told: server a enters lame duck mode");
      if (s.type === Events.Reconnect) return;
    }
  })();
  await a.enterLameDuckMode(); // resolves once a has closed its clients and shut down
  await reconnected;
  console.log(`a shut down, client now on ${onA.getServer()}`);

  await onA.close();
  await onB.close();
  await b.shutdown();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
