/**
 * Renderer: golden configs for the dev and local-super stacks, every rendered config accepted
 * by `nats-server -t` (and `natsfleet-server -t` once it is built), quoting, cloud addresses,
 * credentials, TLS blocks, and the errors for missing inputs.
 *
 * Regenerate the golden files after an intended change: UPDATE_GOLDEN=1 npx mocha <this file>
 * (then read the diff before committing it).
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { loadTopology } from "../../../components/topology/load";
import { validateTopology } from "../../../components/topology/validate";
import { RenderError, render, renderTopology } from "../../../components/topology/render";
import { renderTopologyOutput } from "../../../components/topology/render-output";
import { localAddresses, resolveSecrets } from "../../../components/topology/addresses";
import { quote } from "../../../components/topology/conf-writer";
import type { AddressBook, Topology } from "../../../components/topology/model";
import { allServers } from "../../../components/topology/model";
import { BrokerBinary, NATSFLEET_SERVER, NATS_SERVER } from "./harness";

const REPO = path.resolve(__dirname, "../../..");
const GOLDEN = path.join(__dirname, "golden");

/** Deterministic secrets so the golden files are stable. */
const goldenSecret = (key: string) => `golden-${key.replace(/:/g, "-")}`;

function renderStack(stack: string): Record<string, string> {
  const model = loadTopology(path.join(REPO, "stacks", `Pulumi.${stack}.yaml`));
  return render(model, { addresses: localAddresses(model), secrets: resolveSecrets(model, {}, goldenSecret).secrets });
}

let tmp: string;
before(function () {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-render-"));
});
after(function () {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Run `<binary> -t -c <file>` on each config; returns the failures with the binary's words. */
function syntaxCheck(binary: BrokerBinary, configs: Record<string, string>, label: string): string[] {
  const dir = path.join(tmp, `${label}-${binary.name}`);
  fs.mkdirSync(dir, { recursive: true });
  const failures: string[] = [];
  for (const [name, text] of Object.entries(configs)) {
    const file = path.join(dir, `${name}.conf`);
    fs.writeFileSync(file, text);
    const r = spawnSync(binary.command, [...binary.args, "-t", "-c", file], { encoding: "utf8", timeout: 15000 });
    if (r.status !== 0) failures.push(`${name}: exit ${r.status}: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  }
  return failures;
}

/**
 * Syntax-check with every broker binary present (nats-server always, natsfleet-server once
 * built; the per-stack tests above say visibly when it is not).
 */
function syntaxCheckAll(configs: Record<string, string>, label: string): string[] {
  return [NATS_SERVER, NATSFLEET_SERVER].filter((b) => !b.unavailable || b === NATS_SERVER).flatMap((b) => syntaxCheck(b, configs, label).map((f) => `${b.name}: ${f}`));
}

/** The example topology, with aws, gcp and local clusters and a leaf node. */
function globalModel(extra: Record<string, unknown> = {}): Topology {
  return validateTopology({
    name: "global",
    accounts: { APP: { users: [{ user: "app", permissions: { publish: { allow: ["orders.>"] }, subscribe: { deny: ["admin.>"] } } }] } },
    clusters: [
      { name: "use1", target: "aws", region: "us-east-1", servers: 3 },
      { name: "euw1", target: "gcp", region: "europe-west1", servers: 3 },
      { name: "lab", target: "local", servers: 3, ports: { client: 14222, cluster: 16222, gateway: 17222, http: 18222 } },
    ],
    gateways: "full-mesh",
    leafnodes: [{ name: "factory-1", target: "local", hub: "use1", account: "APP", ports: { client: 24222, http: 28222 } }],
    ...extra,
  });
}

/** Private 10.x addresses for routes, public ones for gateways and leaf nodes. */
function cloudAddresses(model: Topology): AddressBook<string> {
  const book = localAddresses(model);
  model.clusters.forEach((c, ci) => {
    if (c.target.kind === "local") return;
    c.servers.forEach((s, si) => (book[s.name] = { host: `10.${ci}.0.${si + 10}`, advertise: `${c.name}-${si}.example.net` }));
  });
  return book;
}

function makeCert(dir: string): { certFile: string; keyFile: string; caFile: string } {
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyFile, "-out", certFile], {
    stdio: "ignore",
  });
  return { certFile, keyFile, caFile: certFile };
}

describe("topology renderer", function () {
  this.timeout(60000);

  for (const stack of ["dev", "local-super"]) {
    describe(`stack ${stack}`, function () {
      it("matches the golden configs", function () {
        const configs = renderStack(stack);
        const dir = path.join(GOLDEN, stack);
        if (process.env.UPDATE_GOLDEN) {
          fs.rmSync(dir, { recursive: true, force: true });
          fs.mkdirSync(dir, { recursive: true });
          for (const [name, text] of Object.entries(configs)) fs.writeFileSync(path.join(dir, `${name}.conf`), text);
        }
        const golden = fs.readdirSync(dir).filter((f) => f.endsWith(".conf")).sort();
        assert.deepStrictEqual(golden, Object.keys(configs).map((n) => `${n}.conf`).sort(), "one golden file per server");
        for (const [name, text] of Object.entries(configs)) {
          assert.strictEqual(text, fs.readFileSync(path.join(dir, `${name}.conf`), "utf8"), `${stack}/${name}.conf differs from golden`);
        }
      });

      for (const binary of [NATS_SERVER, NATSFLEET_SERVER]) {
        it(`every config passes ${binary.name} -t`, function () {
          if (binary.unavailable) {
            console.log(`      (skipping ${binary.name} -t: ${binary.unavailable})`);
            this.skip();
          }
          assert.deepStrictEqual(syntaxCheck(binary, renderStack(stack), stack), []);
        });
      }
    });
  }

  describe("the dev stack", function () {
    it("is one plain server on 4222 with monitoring on 8222", function () {
      const configs = renderStack("dev");
      assert.deepStrictEqual(Object.keys(configs), ["dev-0"]);
      const text = configs["dev-0"]!;
      assert.match(text, /^listen: "127\.0\.0\.1:4222"$/m);
      assert.match(text, /^http: "127\.0\.0\.1:8222"$/m);
      const body = text.replace(/^#.*\n/gm, "");
      assert.doesNotMatch(body, /cluster|gateway|leafnodes|accounts/);
    });
  });

  describe("local-super", function () {
    const configs = () => renderStack("local-super");

    it("routes each server to the two others of its cluster", function () {
      const text = configs()["west-1"]!;
      assert.match(text, /cluster \{\n {2}name: "west"\n {2}listen: "127\.0\.0\.1:15041"\n {2}routes: \[\n {4}"nats-route:\/\/127\.0\.0\.1:15031"\n {4}"nats-route:\/\/127\.0\.0\.1:15051"\n {2}\]\n\}/);
    });

    it("lists every other cluster's gateways, advertising its own", function () {
      const text = configs()["lab-0"]!;
      assert.match(text, /gateway \{\n {2}name: "lab"\n {2}listen: "127\.0\.0\.1:15062"\n {2}advertise: "127\.0\.0\.1:15062"\n/);
      assert.match(text, /name: "east"\n {6}urls: \[\n {8}"nats:\/\/127\.0\.0\.1:15002"\n {8}"nats:\/\/127\.0\.0\.1:15012"\n {8}"nats:\/\/127\.0\.0\.1:15022"\n/);
      assert.match(text, /name: "west"\n/);
      assert.doesNotMatch(text, /name: "lab"\n {6}urls/);
    });

    it("opens a leafnode listener on hubs only, with one user per leaf node bound to its account", function () {
      const c = configs();
      assert.match(c["east-0"]!, /leafnodes \{\n {2}listen: "127\.0\.0\.1:15003"\n/);
      assert.match(c["east-0"]!, /user: "leaf-factory-1"\n {8}password: "golden-leaf-factory-1"\n {8}account: "APP"/);
      assert.doesNotMatch(c["lab-0"]!, /leafnodes/);
      assert.match(c["factory-2"]!, /remotes: \[\n {4}\{\n {6}urls: \[\n {8}"nats-leaf:\/\/leaf-factory-2:golden-leaf-factory-2@127\.0\.0\.1:15033"/);
      assert.match(c["factory-2"]!, /account: "APP"/);
    });

    it("sets the system account everywhere (gateways and leaf nodes together)", function () {
      for (const text of Object.values(configs())) assert.match(text, /^system_account: "SYS"$/m);
    });
  });

  describe("a leaf node of several servers", function () {
    it("is a cluster of its own (named after the leaf node) whose every server dials the hub", function () {
      const model = validateTopology({
        name: "t",
        localPorts: { base: 40000 },
        clusters: [{ name: "hub", target: "local", servers: 2 }],
        leafnodes: [{ name: "edge", target: "local", hub: "hub", servers: 2 }],
      });
      assert.deepStrictEqual(model.leafnodes[0]!.servers.map((s) => s.name), ["edge-0", "edge-1"]);
      const configs = render(model, { addresses: localAddresses(model), secrets: resolveSecrets(model, {}, goldenSecret).secrets });
      const e1 = configs["edge-1"]!;
      assert.match(e1, /cluster \{\n {2}name: "edge"\n {2}listen: "127\.0\.0\.1:40031"\n {2}routes: \[\n {4}"nats-route:\/\/127\.0\.0\.1:40021"\n {2}\]/);
      assert.match(e1, /"nats-leaf:\/\/leaf-edge:golden-leaf-edge@127\.0\.0\.1:40003"\n {8}"nats-leaf:\/\/leaf-edge:golden-leaf-edge@127\.0\.0\.1:40013"/);
      assert.doesNotMatch(e1, /system_account/, "no gateways, so no system account needed");
      assert.deepStrictEqual(syntaxCheckAll(configs, "leaf-cluster"), []);
    });
  });

  describe("cloud addresses", function () {
    it("routes over private hosts, gateways and leaf remotes over advertised ones, with credentials", function () {
      const model = globalModel();
      const configs = render(model, { addresses: cloudAddresses(model), secrets: resolveSecrets(model, {}, goldenSecret).secrets });
      const use1 = configs["use1-0"]!;
      assert.match(use1, /^listen: "0\.0\.0\.0:4222"$/m);
      assert.match(use1, /authorization \{\n {4}user: "route"\n {4}password: "golden-route-use1"\n {2}\}/);
      assert.match(use1, /"nats-route:\/\/route:golden-route-use1@10\.0\.0\.11:6222"/);
      assert.match(use1, /advertise: "use1-0\.example\.net:7222"/);
      assert.match(use1, /"nats:\/\/gateway:golden-gateway@euw1-2\.example\.net:7222"/);
      assert.match(use1, /"nats:\/\/gateway:golden-gateway@127\.0\.0\.1:17222"/);
      assert.match(use1, /permissions \{\n {10}publish \{\n {12}allow: \[\n {14}"orders\.>"/);
      // the local lab cluster dials the cloud clusters' advertised gateways
      assert.match(configs["lab-0"]!, /"nats:\/\/gateway:golden-gateway@use1-1\.example\.net:7222"/);
      assert.match(configs["factory-1"]!, /"nats-leaf:\/\/leaf-factory-1:golden-leaf-factory-1@use1-2\.example\.net:7422"/);
    });

    it("every server's config passes the brokers' -t", function () {
      const model = globalModel();
      const configs = render(model, { addresses: cloudAddresses(model), secrets: resolveSecrets(model, {}, goldenSecret).secrets });
      assert.strictEqual(Object.keys(configs).length, 10);
      assert.deepStrictEqual(syntaxCheckAll(configs, "global"), []);
    });

    it("renders through Pulumi Outputs, secret when a secret goes in", async function () {
      const model = globalModel();
      const plain = cloudAddresses(model);
      const addresses = Object.fromEntries(Object.entries(plain).map(([k, a]) => [k, { host: pulumi.output(a.host), ...(a.advertise ? { advertise: pulumi.output(a.advertise) } : {}) }]));
      const secrets = Object.fromEntries(Object.entries(resolveSecrets(model, {}, goldenSecret).secrets).map(([k, v]) => [k, pulumi.secret(v)]));
      const out = renderTopologyOutput(model, { addresses, secrets });
      const configs = await new Promise<Record<string, string>>((r) => out.apply(r));
      assert.deepStrictEqual(configs, render(model, { addresses: plain, secrets: resolveSecrets(model, {}, goldenSecret).secrets }));
      assert.strictEqual(await out.isSecret, true);
    });
  });

  describe("quoting", function () {
    it("escapes only what the nats-server lexer needs", function () {
      assert.strictEqual(quote('a#b}c{d$e\'f'), '"a#b}c{d$e\'f"');
      assert.strictEqual(quote('q"b\\s'), '"q\\"b\\\\s"');
      assert.strictEqual(quote("t\tn\nr\r"), '"t\\tn\\nr\\r"');
      assert.strictEqual(quote("bell\x07del\x7f"), '"bell\\x07del\\x7f"');
      assert.strictEqual(quote("ünï"), '"ünï"');
    });

    it("passwords with every special character survive the brokers' parsers", function () {
      const model = loadTopology(path.join(REPO, "stacks", "Pulumi.local-super.yaml"));
      const nasty = (k: string) => `#}{"\\$@:/%?'\t,;=[] ${k}`;
      const configs = render(model, { addresses: localAddresses(model), secrets: resolveSecrets(model, {}, nasty).secrets });
      assert.deepStrictEqual(syntaxCheckAll(configs, "nasty"), []);
      // percent-encoded in URLs, so '@', ':' and '/' cannot end the userinfo early
      assert.match(configs["factory-1"]!, /nats-leaf:\/\/leaf-factory-1:%23%7D%7B%22%5C%24%40%3A%2F%25%3F'%09%2C%3B%3D%5B%5D%20leaf%3Afactory-1@127\.0\.0\.1:15003/);
    });
  });

  describe("TLS", function () {
    it("adds tls blocks to the enabled listeners, with the declared cert paths", function () {
      const certs = makeCert(tmp);
      const model = validateTopology({
        name: "secure",
        tls: { enabled: true, ...certs },
        clusters: [
          { name: "a", target: "local", servers: 2, ports: { client: 31000, cluster: 31100, gateway: 31200, leafnode: 31300, http: 31400 } },
          { name: "b", target: "local", servers: 1, ports: { client: 32000, gateway: 32200, http: 32400 } },
        ],
        leafnodes: [{ name: "edge", target: "local", hub: "a", ports: { client: 33000, http: 33400 } }],
      });
      const configs = render(model, { addresses: localAddresses(model), secrets: resolveSecrets(model, {}, goldenSecret).secrets });
      const a0 = configs["a-0"]!;
      const block = (indent: string, verify: boolean) =>
        [`${indent}tls {`, `  cert_file: ${quote(certs.certFile)}`, `  key_file: ${quote(certs.keyFile)}`, `  ca_file: ${quote(certs.caFile)}`, ...(verify ? ["  verify: true"] : [])]
          .map((l, i) => (i === 0 ? l : indent + l))
          .join("\n") + `\n${indent}}`;
      assert.ok(a0.includes(`\n${block("", false)}\n`), "client tls at top level");
      assert.ok(a0.includes(`\n${block("  ", true)}\n  routes`), "cluster tls verifies peers");
      assert.ok(a0.split("gateway {")[1]!.includes(block("  ", true)), "gateway tls verifies peers");
      assert.ok(a0.split("leafnodes {")[1]!.includes(block("  ", false)), "leafnode listener tls");
      assert.ok(configs["edge"]!.split("remotes")[1]!.includes(`\n${block("      ", false)}\n`), "leaf remote follows the hub's tls");
      assert.deepStrictEqual(syntaxCheckAll(configs, "tls"), []);
    });

    it("takes cert paths from the target when the declaration has none", function () {
      const model = validateTopology({ name: "t", clusters: [{ name: "a", target: "aws", region: "us-east-1", tls: { enabled: true, listeners: ["client"] } }] });
      const configs = render(model, {
        addresses: { "a-0": { host: "10.0.0.1" } },
        secrets: {},
        tlsFiles: { "a-0": { certFile: "/etc/nats/tls.crt", keyFile: "/etc/nats/tls.key" } },
      });
      assert.match(configs["a-0"]!, /tls \{\n {2}cert_file: "\/etc\/nats\/tls\.crt"\n {2}key_file: "\/etc\/nats\/tls\.key"\n\}/);
      assert.throws(() => render(model, { addresses: { "a-0": { host: "10.0.0.1" } }, secrets: {} }), (err: Error) => err instanceof RenderError && err.problems.includes("a-0: TLS is on but no certificate paths are given"));
    });
  });

  describe("missing inputs", function () {
    it("lists every missing address and secret", function () {
      const model = globalModel();
      try {
        render(model, { addresses: localAddresses(model), secrets: {} });
        assert.fail("should throw");
      } catch (err) {
        assert.ok(err instanceof RenderError, String(err));
        assert.ok(err.problems.includes("use1-0 (route): no address for server use1-1"), err.message);
        assert.ok(err.problems.includes("lab-0 (gateway to euw1): no address for server euw1-0"), err.message);
        assert.ok(err.problems.includes("factory-1 (leaf remote): no value for secret leaf:factory-1"), err.message);
        assert.ok(err.problems.includes("account APP user app: no value for secret user:APP:app"), err.message);
      }
    });

    it("renders a subset when asked, still needing the subset's peers", function () {
      const model = globalModel({ gateways: "none" });
      const secrets = resolveSecrets(model, {}, goldenSecret).secrets;
      const only = renderTopology(model, { addresses: localAddresses(model), secrets }, { servers: ["lab-0", "lab-1", "lab-2"] });
      assert.deepStrictEqual([...only.keys()], ["lab-0", "lab-1", "lab-2"]);
      assert.throws(() => renderTopology(model, { addresses: localAddresses(model), secrets }, { servers: ["nope"] }), /no server named "nope" in the topology/);
    });

    it("is pure: same inputs, same bytes, inputs untouched", function () {
      const model = globalModel();
      const inputs = { addresses: cloudAddresses(model), secrets: resolveSecrets(model, {}, goldenSecret).secrets };
      const before = JSON.stringify({ model, inputs });
      const a = render(model, inputs);
      const b = render(model, inputs);
      assert.deepStrictEqual(a, b);
      assert.strictEqual(JSON.stringify({ model, inputs }), before);
      assert.deepStrictEqual(Object.keys(a), allServers(model).map((s) => s.server.name));
    });
  });
});
