/**
 * The embedding API (`natsfleet/broker`): starting from options objects and config files,
 * readiness and ports, reload, lame duck, shutdown, errors for bad input, two servers in one
 * process joined as a cluster, the built package reached through its `exports`, and the
 * guide (docs/embedding.md) kept in step with the code and its examples.
 */
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { connect, Events, NatsConnection } from "nats";
import {
  ConfigError,
  createServer,
  createServerFromConfig,
  loadConfigFile,
  OptionsError,
  resolveOptions,
  Server,
  ServerOptionsInput,
  startServer,
  startServerFromConfig,
} from "../../broker";
import { optionsFromConfig } from "../../broker/config/options";
import { parseConfigText } from "../../broker/config/parser";
import { canConnect, freePort, sleep } from "../helpers/ports";
import { RawClient } from "../helpers/raw";
import { ensureTestCerts } from "../helpers/certs";
import { DOC_FILE, docExamples, optionTypes, renderDoc } from "../../scripts/embedding-doc";

const ROOT = path.join(__dirname, "..", "..");
const FIXTURES = path.join(__dirname, "fixtures", "config");
const QUIET = { log: { quiet: true } };
const LOCAL: ServerOptionsInput = { host: "127.0.0.1", port: -1 };

const servers: Server[] = [];
const conns: NatsConnection[] = [];
const dirs: string[] = [];

async function start(options: ServerOptionsInput): Promise<Server> {
  const s = await startServer({ ...LOCAL, ...options }, QUIET);
  servers.push(s);
  return s;
}

async function client(s: Server | string, opts: Record<string, unknown> = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: typeof s === "string" ? s : s.clientURL(), reconnect: false, ...opts });
  conns.push(nc);
  return nc;
}

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-embed-"));
  dirs.push(d);
  return d;
}

/** A message published on `from` arrives at a subscriber on `to` (retried while interest propagates). */
async function delivers(from: NatsConnection, to: NatsConnection, subject: string): Promise<string> {
  const sub = to.subscribe(subject, { max: 1 });
  await to.flush();
  const timer = setInterval(() => from.publish(subject, `to ${subject}`), 25);
  const deadline = setTimeout(() => sub.unsubscribe(), 5000);
  try {
    for await (const m of sub) return m.string();
    throw new Error(`no message on ${subject} within 5 s`);
  } finally {
    clearInterval(timer);
    clearTimeout(deadline);
  }
}

async function until(what: string, test: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Whether nothing listens on the port any more (a fresh listener can take it). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const l = net.createServer();
    l.once("error", () => resolve(false));
    l.listen(port, "127.0.0.1", () => l.close(() => resolve(true)));
  });
}

function writeConf(dir: string, text: string): string {
  const f = path.join(dir, "server.conf");
  fs.writeFileSync(f, text);
  return f;
}

afterEach(async () => {
  await Promise.all(conns.splice(0).map((nc) => nc.close().catch(() => undefined)));
  await Promise.all(servers.splice(0).map((s) => s.shutdown()));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("embedding API: starting", () => {
  it("starts from an options object on a random port: ready, client URL, addr, pub/sub with the nats client", async () => {
    const s = await start({});
    assert.equal(s.isRunning(), true);
    assert.equal(await s.readyForConnections(10), true);
    await s.ready();
    const url = new URL(s.clientURL());
    assert.equal(url.hostname, "127.0.0.1");
    assert.notEqual(Number(url.port), 4222);
    assert.equal(s.addr()?.port, Number(url.port));
    assert.deepEqual(s.ports(), { client: Number(url.port) });

    const pub = await client(s);
    const sub = await client(s);
    assert.equal(await delivers(pub, sub, "embedded.hello"), "to embedded.hello");
    assert.equal(s.numClients(), 2);
  });

  it("starts from a config file, with adjust() applied on top and the file's warnings logged", async () => {
    const dir = tempDir();
    const file = writeConf(dir, `host: 127.0.0.1\nport: 4222\nmax_payload: 2KB\njetstream: {}\n`);
    const lines: string[] = [];
    const s = await startServerFromConfig(file, {
      adjust: (fromFile) => ({ ...fromFile, port: -1 }),
      log: { sink: (level, msg) => lines.push(`[${level}] ${msg}`) },
    });
    servers.push(s);
    assert.notEqual(s.ports().client, 4222);
    assert.equal(s.opts.maxPayload, 2048);
    assert.equal(s.opts.configFile, file);
    assert.ok(lines.some((l) => l.startsWith("[WRN]") && l.includes(`server.conf:4:1: "jetstream" is not supported`)), lines.join("\n"));
    assert.ok(lines.includes("[INF] Server is ready"), lines.join("\n"));
    const nc = await client(s);
    assert.equal(nc.info?.max_payload, 2048);
  });

  it("waits for readiness before and after start; readyForConnections gives up after its timeout", async () => {
    const s = createServer(LOCAL, QUIET);
    servers.push(s);
    assert.equal(await s.readyForConnections(50), false);
    assert.equal(s.addr(), null);
    const readyEvent = new Promise<void>((r) => s.once("ready", r));
    const waiting = s.ready();
    await s.start();
    await waiting;
    await readyEvent;
    assert.equal(await s.readyForConnections(0), true);
    assert.equal(s.start(), s.start(), "start() twice is the same start");
  });

  it("binds every listener given port -1 and reports the ports it got", async () => {
    const s = await start({
      httpHost: "127.0.0.1",
      httpPort: -1,
      cluster: { name: "C", host: "127.0.0.1", port: -1 },
      gateway: { name: "C", host: "127.0.0.1", port: -1 },
      leafnodes: { host: "127.0.0.1", port: -1 },
    });
    const p = s.ports();
    assert.deepEqual(Object.keys(p).sort(), ["client", "cluster", "gateway", "http", "leafnode"]);
    for (const [kind, port] of Object.entries(p)) {
      assert.ok(port !== undefined && port > 0, kind);
      assert.equal(await canConnect(port), true, `${kind} port ${port}`);
    }
    assert.equal(new Set(Object.values(p)).size, 5, "five different ports");
  });

  it("never changes the caller's options object (the server keeps its own copy)", async () => {
    const options: ServerOptionsInput = { ...LOCAL, cluster: { host: "127.0.0.1", port: -1 } };
    const before = JSON.stringify(options);
    const s = await start(options);
    assert.ok(s.opts.cluster?.name, "the route addon names the cluster in the server's copy");
    assert.equal(JSON.stringify(options), before);
  });

  it("sends log lines to a sink, debug lines only with debug", async () => {
    const lines: string[] = [];
    const s = await startServer({ ...LOCAL, debug: true }, { log: { sink: (level, msg) => lines.push(`${level} ${msg}`) } });
    servers.push(s);
    await client(s);
    await s.shutdown();
    assert.ok(lines.includes("INF Starting natsfleet-server"), lines.join("\n"));
    assert.ok(lines.some((l) => /^DBG .* - Client connection created$/.test(l)), lines.join("\n"));
    assert.equal(lines[lines.length - 1], "INF Server Exiting..");
  });
});

describe("embedding API: bad input", () => {
  const cases: Array<{ options: Record<string, unknown>; field: string; text: RegExp }> = [
    { options: { port: "4222" }, field: "port", text: /expected a port number .* got "4222"/ },
    { options: { prot: 4222 }, field: "prot", text: /unknown option \(did you mean "port"\?\)/ },
    { options: { max_payload: 1024 }, field: "max_payload", text: /camelCase: "maxPayload"/ },
    { options: { maxPayload: 0 }, field: "maxPayload", text: /a size in bytes/ },
    { options: { cluster: { port: 70000 } }, field: "cluster.port", text: /got 70000/ },
    { options: { cluster: { host: "127.0.0.1" } }, field: "cluster.port", text: /is required/ },
    { options: { cluster: { port: -1, routes: ["not a url"] } }, field: "cluster.routes[0]", text: /a URL like nats:\/\/host:port/ },
    { options: { gateway: { name: "two words", port: -1 } }, field: "gateway.name", text: /without spaces/ },
    { options: { leafnodes: { remotes: [{ urls: [] }] } }, field: "leafnodes.remotes[0].urls", text: /at least 1 entry/ },
    { options: { tls: { certFile: "cert.pem" } }, field: "tls.keyFile", text: /is required with certFile/ },
    { options: { authorization: { users: [{ user: "a", nkey: "UNOTANKEY" }] } }, field: "authorization.users[0].nkey", text: /public user nkey/ },
    { options: { authorization: { users: [{ password: "p" }] } }, field: "authorization.users[0].user", text: /is required/ },
    { options: { noAuthUser: "ghost" }, field: "noAuthUser", text: /"ghost" is not a user/ },
    { options: { accounts: [{ name: "A" }, { name: "A" }] }, field: "accounts[1].name", text: /defined twice/ },
    {
      options: { accounts: [{ name: "A", exports: [{ stream: "a.>", accounts: ["C"] }] }, { name: "B", imports: [{ stream: { account: "A", subject: "a.>" } }] }] },
      field: "accounts[0].exports[0].accounts",
      text: /account "C" is not defined/,
    },
    {
      options: { accounts: [{ name: "A" }, { name: "B", imports: [{ service: { account: "A", subject: "svc" } }] }] },
      field: "accounts[1].imports[0].service.account",
      text: /does not export service "svc" to "B"/,
    },
    { options: { systemAccount: "SYS" }, field: "systemAccount", text: /not one of accounts/ },
    { options: { resolver: { type: "full" } }, field: "resolver.dir", text: /is required/ },
  ];

  for (const c of cases) {
    it(`names ${c.field} for ${JSON.stringify(c.options)}`, async () => {
      const check = (e: unknown) => e instanceof OptionsError && e.field === c.field && c.text.test(e.message) && e.message.startsWith(`server option "${c.field}": `);
      assert.throws(() => createServer(c.options as ServerOptionsInput, QUIET), check);
      await assert.rejects(startServer({ ...LOCAL, ...c.options } as ServerOptionsInput, QUIET), check);
    });
  }

  it("rejects a bad config file with a ConfigError at file:line:col, starting nothing", async () => {
    const dir = tempDir();
    const file = writeConf(dir, `host: 127.0.0.1\nport: -1\ncluster {\n  port: "six"\n}\n`);
    await assert.rejects(
      startServerFromConfig(file, QUIET),
      (e: unknown) => e instanceof ConfigError && e.message === `${file}:4:9: invalid value for "cluster.port": expected an integer, got string "six"`,
    );
    fs.writeFileSync(file, `port: -1\nlisten_port: 4222\n`);
    assert.throws(() => createServerFromConfig(file, QUIET), (e: unknown) => e instanceof ConfigError && /server\.conf:2:1: unknown configuration key "listen_port"/.test(e.message));
  });

  it("releases what a failed start had bound (client port) and reports the listener that failed", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const s = createServer({ ...LOCAL, cluster: { host: "127.0.0.1", port: taken } }, QUIET);
      servers.push(s);
      await assert.rejects(s.start(), /cluster listener on 127\.0\.0\.1:\d+: listen EADDRINUSE/);
      assert.equal(s.isRunning(), false);
      assert.equal(s.addr(), null);
      assert.equal(await portIsFree(s.port), true, "the client port was released");
      assert.equal(await s.readyForConnections(10), false);
      await assert.rejects(s.ready(), /EADDRINUSE/);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it("accepts as options what every config fixture produces: an options object can say what a file can", function () {
    this.timeout(60000);
    ensureTestCerts(path.join(FIXTURES, "certs"));
    const cwd = process.cwd();
    process.chdir(FIXTURES); // fixtures name certificates relative to their folder
    try {
      const env = { NATSFLEET_TEST_PORT: "4333", NATSFLEET_TEST_NAME: "from-env", NATSFLEET_TEST_TOKEN: "envtoken" };
      const files = fs.readdirSync(".").filter((f) => f.endsWith(".conf"));
      assert.ok(files.length >= 10, files.join(" "));
      for (const f of files) {
        const { options } = loadConfigFile(f, env);
        const resolved = resolveOptions(options);
        assert.deepEqual(JSON.parse(JSON.stringify(resolved)), JSON.parse(JSON.stringify(options)), `${f}: the checks change nothing`);
      }
    } finally {
      process.chdir(cwd);
    }
  });

  it("documents a config key for every option field that the config parser accepts", () => {
    // Where each options type sits in a config file; KEY is replaced by `<key>: 1`.
    const templates: Record<string, string[]> = {
      ServerOptions: ["KEY"],
      TlsOptions: ["tls { KEY }"],
      SubjectPermission: ["authorization { permissions { publish { KEY } } }"],
      Permissions: ["authorization { permissions { KEY } }"],
      UserConfig: ["authorization { users: [ { user: u, KEY } ] }", "leafnodes { authorization { users: [ { user: u, KEY } ] } }"],
      AuthorizationOptions: ["authorization { KEY }", "leafnodes { authorization { KEY } }", "cluster { authorization { KEY } }"],
      StreamExport: ["accounts { A { exports: [ { KEY } ] } }"],
      ServiceExport: ["accounts { A { exports: [ { KEY } ] } }"],
      StreamImport: ["accounts { A { imports: [ { KEY } ] } }"],
      ServiceImport: ["accounts { A { imports: [ { KEY } ] } }"],
      AccountConfig: ["accounts { A { KEY } }"],
      ClusterOptions: ["cluster { KEY }"],
      RemoteGatewayOptions: ["gateway { gateways: [ { KEY } ] }"],
      GatewayOptions: ["gateway { KEY }"],
      RemoteLeafOptions: ["leafnodes { remotes: [ { KEY } ] }"],
      LeafNodeOptions: ["leafnodes { KEY }"],
      MappingDestination: ['mappings { "a.b": { KEY } }'],
    };
    const notInFiles = new Set(["UnsupportedBlock"]);
    const unknownKey = (template: string, key: string): boolean => {
      try {
        const text = template.replace("KEY", `${key}: 1`);
        optionsFromConfig(parseConfigText(text, "t.conf", {}), {});
      } catch (e) {
        return new RegExp(`unknown configuration key "${key}"`).test((e as Error).message);
      }
      return false;
    };
    let checked = 0;
    for (const t of optionTypes()) {
      if (t.alias !== undefined || notInFiles.has(t.name)) continue;
      const places = templates[t.name];
      assert.ok(places, `${t.name}: add where it sits in a config file to this test`);
      for (const p of places) assert.ok(unknownKey(p, "zz_not_a_key"), `${t.name}: template ${p} does not reach the block`);
      for (const f of t.fields) {
        if (!f.derivedKey) continue;
        assert.ok(!places.every((p) => unknownKey(p, f.configKey!)), `${t.name}.${f.name}: config key "${f.configKey}" is not accepted; fix the field or add @config`);
        checked++;
      }
    }
    assert.ok(checked > 100, `checked ${checked} keys`);
  });
});

describe("embedding API: reload", () => {
  const users = (...names: string[]) => ({ users: names.map((n) => ({ user: n, password: `${n}-pass` })) });

  it("from an options object: a new user can connect, a removed one is cut off; returns what changed", async () => {
    const options: ServerOptionsInput = { ...LOCAL, authorization: users("alice", "bob") };
    const s = await start(options);
    const bob = await client(s, { user: "bob", pass: "bob-pass" });
    await assert.rejects(client(s, { user: "carol", pass: "carol-pass" }), /Authorization Violation/i);

    const changed = await s.reload({ ...options, authorization: users("alice", "carol") });
    assert.deepEqual(changed, ["authorization"]);
    const carol = await client(s, { user: "carol", pass: "carol-pass" });
    await carol.flush();
    await bob.closed();
    await assert.rejects(client(s, { user: "bob", pass: "bob-pass" }), /Authorization Violation/i);
    assert.deepEqual(await s.reload({ ...options, authorization: users("alice", "carol") }), [], "nothing changed");
  });

  it("with no argument re-reads the config file after it was edited, as SIGHUP does", async () => {
    const dir = tempDir();
    const conf = (names: string[]) =>
      `host: 127.0.0.1\nport: -1\nauthorization {\n  users: [\n${names.map((n) => `    { user: ${n}, password: ${n}-pass }`).join("\n")}\n  ]\n}\n`;
    const file = writeConf(dir, conf(["alice", "bob"]));
    const s = await startServerFromConfig(file, QUIET);
    servers.push(s);
    const bob = await client(s, { user: "bob", pass: "bob-pass" });

    fs.writeFileSync(file, conf(["alice", "dave"]));
    assert.deepEqual(await s.reload(), ["authorization"]);
    await (await client(s, { user: "dave", pass: "dave-pass" })).flush();
    await bob.closed();
    await assert.rejects(client(s, { user: "bob", pass: "bob-pass" }), /Authorization Violation/i);
  });

  it("refuses what cannot change and broken files, and keeps serving as before", async () => {
    const dir = tempDir();
    const file = writeConf(dir, `host: 127.0.0.1\nport: -1\nmax_payload: 1KB\n`);
    const s = await startServerFromConfig(file, QUIET);
    servers.push(s);
    const port = s.ports().client;

    await assert.rejects(s.reload({ ...LOCAL, port: await freePort() }), /config reload not supported for port/);
    await assert.rejects(s.reload({ ...LOCAL, maxPayload: -5 }), (e: unknown) => e instanceof OptionsError && e.field === "maxPayload");
    fs.writeFileSync(file, `host: 127.0.0.1\nport: -1\nmax_payload: [\n`);
    await assert.rejects(s.reload(), (e: unknown) => e instanceof ConfigError && e.position.file === file);
    assert.equal(s.opts.maxPayload, 1024, "nothing was applied");
    assert.equal(s.ports().client, port);
    const nc = await client(s);
    assert.equal(nc.info?.max_payload, 1024);

    // Host and port left out of a reload keep their values: only max_payload changes here.
    assert.deepEqual(await s.reload({ maxPayload: 4096 }), ["maxPayload"]);
  });

  it("without a config file and without options says a file is needed", async () => {
    const s = await start({});
    await assert.rejects(s.reload(), /can only reload config when a file is provided/);
    assert.equal(s.isRunning(), true);
  });
});

describe("embedding API: lame duck and shutdown", () => {
  it("lame duck: clients get an INFO with ldm, are closed, then the server shuts down and frees its port", async () => {
    const s = await start({ lameDuckGracePeriod: 100, lameDuckDuration: 400 });
    const port = s.ports().client;
    const raw = await RawClient.open(port);
    raw.send(`CONNECT {"protocol":1,"verbose":false}\r\n`);
    await raw.sync();
    const nc = await client(s);
    const ldm = (async () => {
      for await (const st of nc.status()) if (st.type === Events.LDM) return true;
      return false;
    })();
    const shutdownEvent = new Promise<void>((r) => s.once("shutdown", r));

    const lameDuck = s.enterLameDuckMode();
    assert.equal(s.lameDuck, true);
    await raw.waitFor(/\r\nINFO \{[^\r]*"ldm":true[^\r]*\} \r\n/);
    assert.equal(await canConnect(port), false, "no new clients in lame duck mode");
    assert.equal(await ldm, true, "the nats client saw the lame duck INFO");
    await raw.waitClosed(2000);
    await nc.closed();
    await lameDuck;
    await shutdownEvent;
    await s.waitForShutdown();
    assert.equal(s.isRunning(), false);
    assert.equal(await portIsFree(port), true);
    await s.enterLameDuckMode(); // again: already done
  });

  it("shutdown resolves once connections and listeners are closed; waitForShutdown and the event follow", async () => {
    const s = await start({ httpHost: "127.0.0.1", httpPort: -1 });
    const { client: port, http } = s.ports();
    const nc = await client(s);
    let events = 0;
    s.on("shutdown", () => events++);
    const waiting = s.waitForShutdown();
    await s.shutdown();
    await waiting;
    await nc.closed();
    assert.equal(events, 1);
    assert.equal(s.isRunning(), false);
    assert.equal(await portIsFree(port), true);
    assert.equal(await portIsFree(http!), true);
    await s.shutdown(); // idempotent
    assert.equal(events, 1);
  });

  it("a shutdown during start() waits for the listeners being opened and closes them all", async () => {
    const s = createServer({ ...LOCAL, httpHost: "127.0.0.1", httpPort: -1, cluster: { host: "127.0.0.1", port: -1 } }, QUIET);
    servers.push(s);
    const starting = s.start();
    const stopping = s.shutdown(); // before start() has bound anything
    await starting;
    await stopping;
    assert.equal(s.isRunning(), false);
    const { client: port, http, cluster } = s.ports();
    for (const p of [port, http!, cluster!]) assert.equal(await portIsFree(p), true, `port ${p} still bound`);
  });
});

describe("embedding API: two servers in one process as a cluster", () => {
  it("route to each other's bound cluster port (port -1) and exchange messages both ways", async () => {
    const member = (name: string, routes: string[] = []) =>
      start({ serverName: name, cluster: { name: "embedded", host: "127.0.0.1", port: -1, routes } });
    const a = await member("a");
    const b = await member("b", [`nats://127.0.0.1:${a.ports().cluster}`]);
    // Each lists the other: reload a with b's actual port (duplicate routes are resolved).
    await a.reload({ ...a.opts, cluster: { ...a.opts.cluster!, routes: [`nats://127.0.0.1:${b.ports().cluster}`] } });
    await until("a route each way", () => a.numRoutes() === 1 && b.numRoutes() === 1);
    await until("both client URLs known to both", () => a.connectURLs.length === 2 && b.connectURLs.length === 2);

    const onA = await client(a);
    const onB = await client(b);
    assert.equal(await delivers(onA, onB, "a.to.b"), "to a.to.b");
    assert.equal(await delivers(onB, onA, "b.to.a"), "to b.to.a");
    assert.deepEqual(onA.info?.connect_urls?.sort(), [a.clientURL(), b.clientURL()].map((u) => u.slice("nats://".length)).sort());
  });
});

/**
 * The guide's hand-written ```ts blocks (not the generated examples and reference) as
 * compilable modules: imports stay on top, the rest runs inside an async function with the
 * names the prose assumes (`options`, `logger`) declared.
 */
function guideSnippets(doc: string): Map<string, string> {
  const hand = doc.replace(/<!-- example: [\s\S]*?<!-- \/example -->/g, "").replace(/<!-- options-reference[\s\S]*?<!-- \/options-reference -->/, "");
  const prelude = [
    `import { startServer, startServerFromConfig, ServerOptionsInput } from "natsfleet/broker";`,
    `declare const options: ServerOptionsInput;`,
    `declare const logger: { info(fields: object, msg: string): void };`,
  ].join("\n");
  const out = new Map<string, string>();
  [...hand.matchAll(/```ts\n([\s\S]*?)```/g)].forEach((m, i) => {
    const lines = m[1].trimEnd().split("\n");
    const imports = lines.filter((l) => l.startsWith("import "));
    const body = lines.filter((l) => !l.startsWith("import "));
    const text = imports.length > 0 ? `${imports.join("\n")}\nexport {};\n${body.join("\n")}\n` : `${prelude}\nexport async function snippet(): Promise<void> {\n${body.join("\n")}\n}\n`;
    out.set(path.join(ROOT, "examples", `__guide_snippet_${i}.ts`), text);
  });
  return out;
}

describe("natsfleet/broker: the built package", () => {
  const built = path.join(ROOT, "dist", "broker", "index.js");

  before(function () {
    if (!fs.existsSync(built) || !fs.existsSync(built.replace(/\.js$/, ".d.ts"))) {
      assert.fail(`${built} is missing: run \`npm run build\` first (CI builds through npm ci's prepare script)`);
    }
  });

  it("resolves through package.json exports to dist/ and starts a working server", async () => {
    assert.equal(require.resolve("natsfleet/broker"), built);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const pkg = require("natsfleet/broker") as typeof import("../../broker");
    for (const name of ["startServer", "startServerFromConfig", "createServer", "createServerFromConfig", "resolveOptions", "loadConfigFile"] as const) {
      assert.equal(typeof pkg[name], "function", name);
    }
    assert.equal(typeof pkg.Server, "function");
    assert.notEqual(pkg.Server, Server, "the package is the built copy, not these sources");
    const s = await pkg.startServer(LOCAL, QUIET);
    servers.push(s as unknown as Server);
    const nc = await client(s.clientURL());
    await nc.flush();
    assert.throws(() => pkg.createServer({ port: "x" } as never), (e: unknown) => e instanceof pkg.OptionsError && e.field === "port");
  });

  it("type-checks the examples and the guide's snippets against the package's declarations (node16 resolution)", function () {
    this.timeout(120000);
    const examples = fs.readdirSync(path.join(ROOT, "examples")).filter((f) => f.endsWith(".ts")).map((f) => path.join(ROOT, "examples", f));
    assert.ok(examples.length >= 2);
    const snippets = guideSnippets(fs.readFileSync(DOC_FILE, "utf8"));
    assert.ok(snippets.size >= 3, `${snippets.size} snippets`);
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ["node"],
    };
    const resolved = ts.resolveModuleName("natsfleet/broker", examples[0], options, ts.sys).resolvedModule;
    assert.equal(resolved?.resolvedFileName, path.join(ROOT, "dist", "broker", "index.d.ts"));
    // The snippets are compiled as if they were files next to the examples (same package).
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists, readFile } = host;
    host.getSourceFile = (f, lang, ...rest) => (snippets.has(f) ? ts.createSourceFile(f, snippets.get(f)!, lang) : getSourceFile.call(host, f, lang, ...rest));
    host.fileExists = (f) => snippets.has(f) || fileExists.call(host, f);
    host.readFile = (f) => snippets.get(f) ?? readFile.call(host, f);
    const program = ts.createProgram([...examples, ...snippets.keys()], options, host);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.formatDiagnostic(d, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => "\n" }));
    assert.deepEqual(problems, []);
  });

  const run = (file: string): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(process.execPath, ["-r", "ts-node/register/transpile-only", file], { cwd: ROOT, timeout: 30000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${file}: ${err.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      });
    });

  it("runs examples/embed.ts: start, pub/sub, reload with a new user, shutdown", async function () {
    this.timeout(60000);
    const out = (await run("examples/embed.ts")).split("\n");
    assert.match(out[0], /^listening on nats:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(out.slice(1, 3), ["received: hello from an embedded broker", "reloaded: authorization"]);
    assert.match(out[3], /^ops connected to 127\.0\.0\.1:\d+$/);
    assert.equal(out[4], "shut down");
  });

  it("runs examples/embed-cluster.ts: two servers routed by discovered ports, lame duck hand-over", async function () {
    this.timeout(60000);
    const out = await run("examples/embed-cluster.ts");
    assert.match(out, /^cluster: a routes on \d+, b routes on \d+\n/);
    assert.match(out, /\nb received orders\.created: order 1\n/);
    assert.match(out, /\nclient told: server a enters lame duck mode\n/);
    const [, aPort, bPort] = /a routes on (\d+), b routes on (\d+)/.exec(out)!;
    assert.notEqual(aPort, bPort);
    assert.match(out, /\na shut down, client now on 127\.0\.0\.1:\d+\n$/);
  });
});

describe("docs/embedding.md", () => {
  it("is current: the option reference and the examples regenerate to the same text", () => {
    const doc = fs.readFileSync(DOC_FILE, "utf8");
    assert.ok(renderDoc(doc) === doc, "docs/embedding.md is out of date: run npx ts-node scripts/embedding-doc.ts");
  });

  it("shows every example under examples/, and documents every option field", () => {
    const doc = fs.readFileSync(DOC_FILE, "utf8");
    const onDisk = fs.readdirSync(path.join(ROOT, "examples")).filter((f) => f.endsWith(".ts")).map((f) => `examples/${f}`);
    assert.deepEqual(docExamples(doc).sort(), onDisk.sort());
    for (const t of optionTypes()) {
      assert.ok(doc.includes(`### \`${t.name}\``), t.name);
      for (const f of t.fields) assert.ok(f.doc.length > 0, `${t.name}.${f.name} has no doc comment`);
    }
  });
});
