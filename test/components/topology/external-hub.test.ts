/**
 * External hubs end to end: a server in operator mode stands in for a hosted NATS service
 * (Synadia Cloud / NGS). The topology attaches a whole cluster and a leaf node to it with a
 * `.creds` file, both binaries run the rendered configs, and messages flow both ways between
 * the hub's own clients and the topology's.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { connect, credsAuthenticator, NatsConnection, StringCodec } from "nats";
import { validateTopology } from "../../../components/topology/validate";
import { resolveSecrets } from "../../../components/topology/addresses";
import { render } from "../../../components/topology/render";
import { localAddresses } from "../../../components/topology/addresses";
import { collectLive, liveDrift } from "../../../components/plan/live";
import { ServerKind, ServerProcess, spawnServer, stopAllServers } from "../../helpers/servers";
import { operatorSetup } from "../../helpers/operator";
import { BrokerBinary, NATSFLEET_SERVER, NATS_SERVER, RunningTopology, freePorts, getJson, onFreePorts, startTopology, waitFor, waitForLinks } from "./harness";

const sc = StringCodec();

/** An operator-mode hub: one account (APP) whose users authenticate with .creds files. */
interface Hub {
  server: ServerProcess;
  leafPort: number;
  httpPort: number;
  account: string;
  /** A fresh user of APP as a .creds file's contents. */
  creds(name: string): Promise<string>;
}

async function startHub(kind: ServerKind): Promise<Hub> {
  const op = await operatorSetup();
  const [leafPort, httpPort] = await freePorts(2);
  const server = await spawnServer(kind, ["-m", String(httpPort)], { config: `${op.config}\nleafnodes { listen: "127.0.0.1:${leafPort}" }` });
  return { server, leafPort: leafPort!, httpPort: httpPort!, account: op.account, creds: (name) => op.creds(name) };
}

/** Hub binary x topology binary: each broker plays both roles against the other. */
const PAIRS: Array<[ServerKind, BrokerBinary]> = [
  ["natsfleet", NATS_SERVER],
  ["nats-server", NATSFLEET_SERVER],
  ["natsfleet", NATSFLEET_SERVER],
];

for (const [hubKind, binary] of PAIRS) {
  describe(`external hub: ${binary.name} servers as leaf nodes of a ${hubKind} hub in operator mode`, function () {
    this.timeout(90000);
    let hub: Hub;
    let run: RunningTopology | undefined;
    let dir: string;
    const clients: NatsConnection[] = [];

    before(async function () {
      if (binary.unavailable) {
        console.log(`    (skipping ${binary.name}: ${binary.unavailable})`);
        this.skip();
      }
      hub = await startHub(hubKind);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-ext-hub-"));
      const credsFile = path.join(dir, "hosted.creds");
      fs.writeFileSync(credsFile, await hub.creds("onprem"), { mode: 0o600 });
      const url = `nats-leaf://127.0.0.1:${hub.leafPort}`;
      const model = await onFreePorts(
        validateTopology({
          name: "hosted",
          accounts: { APP: { users: [{ user: "app", password: "app-pw" }] } },
          clusters: [{ name: "onprem", target: "local", servers: 2, hub: { url, credentials: credsFile, account: "APP" } }],
          leafnodes: [{ name: "edge", target: "local", hub: { url, credentials: credsFile, account: "APP" } }],
        }),
      );
      const { secrets } = resolveSecrets(model);
      run = await startTopology(model, secrets, binary);
      await waitForLinks(run);
    });

    after(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await run?.stop();
      await stopAllServers();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    async function client(port: number, opts: Record<string, unknown> = {}): Promise<NatsConnection> {
      const nc = await connect({ servers: `127.0.0.1:${port}`, ...opts });
      clients.push(nc);
      return nc;
    }

    const ours = (server: string) => client(run!.server(server).ports.client, { user: "app", pass: "app-pw" });
    const theirs = async () => client(hub.server.port, { authenticator: credsAuthenticator(new TextEncoder().encode(await hub.creds("app"))) });

    async function expectDelivery(sub: NatsConnection, pub: NatsConnection, subject: string): Promise<void> {
      const got: string[] = [];
      const s = sub.subscribe(subject);
      (async () => {
        for await (const m of s) got.push(sc.decode(m.data));
      })().catch(() => undefined);
      await sub.flush();
      // interest crosses the leaf link(s) asynchronously: publish until one arrives
      await waitFor(`${subject} delivered`, async () => {
        pub.publish(subject, sc.encode("hello"));
        await pub.flush();
        await new Promise((r) => setTimeout(r, 100));
        return got.length > 0 || "nothing yet";
      });
      s.unsubscribe();
    }

    it("the hub sees every server's link, in the account the .creds file names", async () => {
      const z = await getJson<{ leafnodes: number; leafs: Array<{ account: string }> }>(hub.httpPort, "/leafz");
      assert.strictEqual(z.leafnodes, 3, JSON.stringify(z));
      assert.deepStrictEqual([...new Set(z.leafs.map((l) => l.account))], [hub.account]);
    });

    it("messages flow from the hub's clients to the cluster and the leaf node", async () => {
      const hubClient = await theirs();
      await expectDelivery(await ours("onprem-1"), hubClient, "to.onprem");
      await expectDelivery(await ours("edge"), hubClient, "to.edge");
    });

    it("messages flow from the cluster and the leaf node to the hub's clients", async () => {
      const hubClient = await theirs();
      await expectDelivery(hubClient, await ours("onprem-0"), "from.onprem");
      await expectDelivery(hubClient, await ours("edge"), "from.edge");
    });

    it("natsfleet plan --live sees the links to the external hub and no drift", async () => {
      const snapshot = await collectLive(run!.model, Object.fromEntries([...run!.servers.values()].map((s) => [s.name, `http://127.0.0.1:${s.ports.http}`])));
      assert.deepStrictEqual(liveDrift(run!.model, snapshot).problems, []);
      // with the hub's port wrong in the model, every server's link is reported missing
      const moved = structuredClone(run!.model);
      for (const g of [...moved.clusters, ...moved.leafnodes]) if (g.externalHub) g.externalHub.urls = ["nats-leaf://127.0.0.1:1"];
      assert.deepStrictEqual(
        liveDrift(moved, snapshot).problems.filter((p) => p.kind === "missing-leaf").map((p) => p.server).sort(),
        ["edge", "onprem-0", "onprem-1"],
      );
    });

    it("the leaf node reaches the cluster through the hub", async () => {
      await expectDelivery(await ours("onprem-0"), await ours("edge"), "edge.to.onprem");
    });
  });
}

describe("external hub: rendered remotes", () => {
  it("are accepted by nats-server -t as rendered", async function () {
    if (NATS_SERVER.unavailable) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-ext-render-"));
    try {
      const hub = await startHub("natsfleet");
      const credsFile = path.join(dir, "ngs.creds");
      fs.writeFileSync(credsFile, await hub.creds("x"));
      await hub.server.stop();
      const model = validateTopology({
        name: "t",
        clusters: [
          { name: "a", target: "local", servers: 2, hub: { url: ["tls://connect.ngs.global", "tls://connect2.ngs.global:7422"], credentials: credsFile } },
          { name: "b", target: "local" },
        ],
        leafnodes: [{ name: "e", target: "local", hub: { url: "tls://connect.ngs.global", credentials: credsFile } }],
      });
      const configs = render(model, { addresses: localAddresses(model), secrets: resolveSecrets(model).secrets });
      assert.ok(
        configs["a-0"]!.includes(`remotes: [\n    {\n      urls: [\n        "tls://connect.ngs.global"\n        "tls://connect2.ngs.global:7422"\n      ]\n      credentials: "${credsFile}"\n    }\n  ]`),
        configs["a-0"],
      );
      // gateways plus leaf remotes need a system account (nats-server 2.9 refuses otherwise)
      assert.strictEqual(model.systemAccount, "SYS");
      const { execFileSync } = await import("child_process");
      for (const [name, text] of Object.entries(configs)) {
        const f = path.join(dir, `${name}.conf`);
        fs.writeFileSync(f, text);
        execFileSync(NATS_SERVER.command, ["-t", "-c", f], { stdio: "pipe" });
      }
    } finally {
      await stopAllServers();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
