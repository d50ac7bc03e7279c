/**
 * Embedding the broker: start it from an options object on a free port, talk to it with the
 * official `nats` client, add a user with a reload, and shut it down.
 *
 *   npm run build && npx ts-node examples/embed.ts
 */
import { startServer, ServerOptionsInput } from "natsfleet/broker";
import { connect } from "nats";

async function main(): Promise<void> {
  const options: ServerOptionsInput = {
    host: "127.0.0.1",
    port: -1, // any free port: ask the server which one with clientURL() or ports()
    authorization: { users: [{ user: "app", password: "app-secret" }] },
  };
  const server = await startServer(options, { log: { quiet: true } });
  console.log(`listening on ${server.clientURL()}`);

  const nc = await connect({ servers: server.clientURL(), user: "app", pass: "app-secret" });
  const sub = nc.subscribe("greetings", { max: 1 });
  nc.publish("greetings", "hello from an embedded broker");
  for await (const m of sub) console.log(`received: ${m.string()}`);

  // A reload takes the whole new configuration; it returns the fields that changed.
  const changed = await server.reload({
    ...options,
    authorization: { users: [{ user: "app", password: "app-secret" }, { user: "ops", password: "ops-secret" }] },
  });
  console.log(`reloaded: ${changed.join(", ")}`);
  const ops = await connect({ servers: server.clientURL(), user: "ops", pass: "ops-secret" });
  console.log(`ops connected to ${ops.getServer()}`);

  await ops.close();
  await nc.drain();
  await server.shutdown(); // resolves once every connection and listener is closed
  console.log("shut down");
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
