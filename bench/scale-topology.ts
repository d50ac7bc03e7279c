/**
 * Scale benchmark of the topology core: a generated topology of 50 clusters x 5 servers +
 * 500 leaf nodes (750 servers) over all four targets, timed through YAML parsing,
 * validation and rendering of every server's config. Target: validate + render < 1 s.
 *
 *   node -r ts-node/register/transpile-only bench/scale-topology.ts [clusters] [servers] [leafnodes] [runs]
 *
 * Prints a human-readable summary, then one JSON line (for bench/run.js and RESULTS.md).
 */
import { performance } from "perf_hooks";
import { stringify } from "yaml";
import { parseDeclaration } from "../components/topology/load";
import { validateTopology } from "../components/topology/validate";
import { renderTopology } from "../components/topology/render";
import { localAddresses, resolveSecrets } from "../components/topology/addresses";
import type { AddressBook, Topology } from "../components/topology/model";

const TARGETS = ["aws", "gcp", "kubernetes", "local"] as const;

/** Clusters c0..c{n-1} round-robin over the targets; leaf nodes round-robin over the hubs. */
export function scaleDeclaration(clusters: number, servers: number, leafnodes: number): Record<string, unknown> {
  return {
    name: "scale",
    accounts: { APP: { users: [{ user: "app" }, { user: "ops", permissions: { publish: { allow: ["ops.>"] } } }] } },
    clusters: Array.from({ length: clusters }, (_, i) => {
      const target = TARGETS[i % TARGETS.length]!;
      return { name: `c${i}`, target, servers, ...(target === "aws" ? { region: "us-east-1" } : target === "gcp" ? { region: "europe-west1" } : {}) };
    }),
    gateways: "full-mesh",
    leafnodes: Array.from({ length: leafnodes }, (_, i) => ({ name: `leaf${i}`, target: "local", hub: `c${i % clusters}`, account: "APP" })),
    // hundreds of local servers x 10 ports: clear of the well-known ports
    localPorts: { base: 20000 },
  };
}

/** Cloud servers get made-up private/public addresses, as a target would allocate them. */
function addresses(model: Topology): AddressBook<string> {
  const book = localAddresses(model);
  model.clusters.forEach((c, ci) => {
    if (c.target.kind === "local") return;
    c.servers.forEach((s, si) => (book[s.name] = { host: `10.${ci}.0.${si + 10}`, advertise: `${s.name}.example.net` }));
  });
  return book;
}

interface Timing {
  parse: number;
  validate: number;
  render: number;
}

function once(yamlText: string): { timing: Timing; servers: number; bytes: number } {
  const t0 = performance.now();
  const loaded = parseDeclaration(yamlText, "scale.yaml");
  const t1 = performance.now();
  const model = validateTopology(loaded.declaration, "scale.yaml");
  const t2 = performance.now();
  const secrets = resolveSecrets(model, {}, (k) => `bench-${k}`).secrets;
  const configs = renderTopology(model, { addresses: addresses(model), secrets });
  const t3 = performance.now();
  let bytes = 0;
  for (const text of configs.values()) bytes += text.length;
  return { timing: { parse: t1 - t0, validate: t2 - t1, render: t3 - t2 }, servers: configs.size, bytes };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function main(): void {
  const [clusters, servers, leafnodes, runs] = [Number(process.argv[2] ?? 50), Number(process.argv[3] ?? 5), Number(process.argv[4] ?? 500), Number(process.argv[5] ?? 5)];
  const yamlText = stringify({ config: { "natsfleet:topology": scaleDeclaration(clusters, servers, leafnodes) } });
  const results = Array.from({ length: runs }, () => once(yamlText));
  const first = results[0]!;
  const pick = (k: keyof Timing) => results.map((r) => r.timing[k]);
  const total = results.map((r) => r.timing.validate + r.timing.render);
  const summary = {
    bench: "scale-topology",
    clusters,
    serversPerCluster: servers,
    leafnodes,
    servers: first.servers,
    configBytes: first.bytes,
    runs,
    coldValidatePlusRenderMs: +total[0]!.toFixed(1),
    medianParseMs: +median(pick("parse")).toFixed(1),
    medianValidateMs: +median(pick("validate")).toFixed(1),
    medianRenderMs: +median(pick("render")).toFixed(1),
    medianValidatePlusRenderMs: +median(total).toFixed(1),
    targetMs: 1000,
  };
  const ok = summary.coldValidatePlusRenderMs < summary.targetMs;
  console.log(`scale-topology: ${clusters} clusters x ${servers} servers + ${leafnodes} leaf nodes = ${first.servers} configs (${(first.bytes / 1e6).toFixed(1)} MB)`);
  console.log(`  parse YAML        ${summary.medianParseMs} ms (median of ${runs})`);
  console.log(`  validate          ${summary.medianValidateMs} ms`);
  console.log(`  render            ${summary.medianRenderMs} ms`);
  console.log(`  validate + render ${summary.medianValidatePlusRenderMs} ms median, ${summary.coldValidatePlusRenderMs} ms first run (target < ${summary.targetMs} ms: ${ok ? "met" : "MISSED"})`);
  console.log(JSON.stringify(summary));
}

if (require.main === module) main();
