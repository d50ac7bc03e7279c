/**
 * Scale benchmark of the Pulumi program under mocks: a generated topology of 50 clusters x 5
 * servers + 500 leaf nodes (750 servers), all on the local target. Measures the whole run,
 * from config to every resource registered and every output resolved. Target: < 20 s.
 *
 *   node -r ts-node/register/transpile-only bench/scale-program.ts [clusters] [servers] [leafnodes]
 *
 * (or compiled: `pulumi up` runs compiled JS, and ts-node's source maps roughly double the time).
 * Prints one JSON line (for bench/run.js and RESULTS.md) after a human-readable summary.
 */
import * as pulumi from "@pulumi/pulumi";
import { performance } from "perf_hooks";

interface Registered {
  type: string;
  name: string;
}

/** The declaration: clusters c0..c{n-1}, leaf nodes round-robin over the hubs, one account. */
export function scaleTopology(clusters: number, servers: number, leafnodes: number): Record<string, unknown> {
  return {
    name: "scale",
    broker: "nats-server",
    accounts: { APP: { users: [{ user: "app" }, { user: "ops" }] } },
    clusters: Array.from({ length: clusters }, (_, i) => ({ name: `c${i}`, target: "local", servers })),
    gateways: "full-mesh",
    leafnodes: Array.from({ length: leafnodes }, (_, i) => ({ name: `leaf${i}`, target: "local", hub: `c${i % clusters}`, account: "APP" })),
    // 750 servers x 10 ports from 20000: clear of the well-known ports
    localPorts: { base: 20000 },
  };
}

async function main(): Promise<void> {
  const [clusters, servers, leafnodes] = [Number(process.argv[2] ?? 50), Number(process.argv[3] ?? 5), Number(process.argv[4] ?? 500)];
  const topology = scaleTopology(clusters, servers, leafnodes);
  const registered: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "random:index/randomPassword:RandomPassword") state.result = `pw${registered.length}`;
        return { id: args.custom ? `${args.name}-id` : undefined, state };
      },
      call: (args) => args.inputs,
    },
    "natsfleet",
    "scale",
    false,
  );
  pulumi.runtime.setAllConfig({ "natsfleet:topology": JSON.stringify(topology), "natsfleet:stateDir": "/tmp/natsfleet-scale-bench" });

  // loading the modules is part of what `pulumi up` pays, so it is timed too
  const t0 = performance.now();
  const { program } = await import("../components/program");
  const tLoaded = performance.now();
  const out = program();
  const tBuilt = performance.now();
  const resolve = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));
  const [urls, monitors, names] = await Promise.all([resolve(out.clientUrls), resolve(out.monitorUrls), resolve(out.serverNames), resolve(out.leafnodeUrls)]);
  // registrations of resources whose inputs were Outputs may still be landing
  let last = -1;
  while (registered.length !== last) {
    last = registered.length;
    await new Promise((r) => setTimeout(r, 20));
  }
  const tDone = performance.now();

  const expectServers = clusters * servers + leafnodes;
  if (names.length !== expectServers || Object.keys(monitors).length !== expectServers || Object.keys(urls).length !== clusters) {
    throw new Error(`incomplete run: ${names.length} servers, ${Object.keys(monitors).length} monitoring URLs, ${Object.keys(urls).length} clusters`);
  }
  const byType = new Map<string, number>();
  for (const r of registered) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
  const totalS = (tDone - t0) / 1000;
  // ts-node's source-map hook makes every stack capture (Pulumi takes one per resource) costly,
  // so say which way it ran: `pulumi up` runs the compiled dist/index.js
  const mode = (process as unknown as Record<symbol, unknown>)[Symbol.for("ts-node.register.instance")] ? "ts-node" : "compiled";
  console.log(`scale-program (${mode}): ${clusters} clusters x ${servers} servers + ${leafnodes} leaf nodes = ${expectServers} servers`);
  console.log(`  resources registered: ${registered.length} (${[...byType].map(([t, n]) => `${t} ${n}`).join(", ")})`);
  console.log(`  module load ${((tLoaded - t0) / 1000).toFixed(2)} s, components built ${((tBuilt - tLoaded) / 1000).toFixed(2)} s, all registered and resolved ${((tDone - tBuilt) / 1000).toFixed(2)} s`);
  console.log(`  total ${totalS.toFixed(2)} s (target < 20 s): ${totalS < 20 ? "OK" : "OVER TARGET"}`);
  console.log(JSON.stringify({ bench: "scale-program", mode, clusters, servers, leafnodes, resources: registered.length, seconds: Number(totalS.toFixed(3)), targetSeconds: 20 }));
}

main().then(
  // the mock runtime leaves nothing that must finish; do not wait on stray handles
  () => process.exit(0),
  (e) => {
    console.error(`scale-program: ${(e as Error).message}`);
    process.exit(1);
  },
);
