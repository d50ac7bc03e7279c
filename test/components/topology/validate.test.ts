/**
 * Every validation rule with a declaration that passes and one that fails, checking the
 * failure's path and text exactly (people grep for these, and the CLI prints them as is).
 */
import * as assert from "assert";
import { checkTopology, validateTopology } from "../../../components/topology/validate";
import { TopologyError, formatIssue } from "../../../components/topology/errors";
import type { TopologyDeclaration } from "../../../components/topology/model";

type Decl = Record<string, unknown>;

/** The issues as the CLI prints them (without a file location). */
function problems(decl: unknown): string[] {
  const r = checkTopology(decl);
  return r.ok ? [] : r.issues.map(formatIssue);
}

function ok(decl: unknown) {
  const r = checkTopology(decl);
  if (!r.ok) assert.fail(`expected valid, got:\n${r.issues.map(formatIssue).join("\n")}`);
  return r.topology;
}

function fails(decl: unknown, ...expected: string[]) {
  const got = problems(decl);
  for (const e of expected) assert.ok(got.includes(e), `expected problem:\n  ${e}\ngot:\n  ${got.join("\n  ") || "(valid)"}`);
  return got;
}

/** The issue's own example, valid apart from what a test changes. */
function global(): Decl {
  return {
    name: "global",
    broker: "natsfleet",
    accounts: { APP: { users: [{ user: "app" }] } },
    clusters: [
      { name: "use1", target: "aws", region: "us-east-1", servers: 3 },
      { name: "euw1", target: "gcp", region: "europe-west1", servers: 3 },
      { name: "lab", target: "local", servers: 3 },
    ],
    gateways: "full-mesh",
    leafnodes: [{ name: "factory-1", target: "local", hub: "use1", account: "APP" }],
  };
}

function local(extra: Decl = {}): Decl {
  return { name: "t", clusters: [{ name: "a", target: "local" }], ...extra };
}

describe("topology validation", function () {
  describe("the issue's example", function () {
    it("is valid, with defaults filled in", function () {
      const t = ok(global());
      assert.strictEqual(t.broker, "natsfleet");
      assert.deepStrictEqual(
        t.clusters.map((c) => [c.name, c.target.kind, c.region, c.servers.map((s) => s.name)]),
        [
          ["use1", "aws", "us-east-1", ["use1-0", "use1-1", "use1-2"]],
          ["euw1", "gcp", "europe-west1", ["euw1-0", "euw1-1", "euw1-2"]],
          ["lab", "local", undefined, ["lab-0", "lab-1", "lab-2"]],
        ],
      );
      assert.deepStrictEqual(t.clusters[1]!.target, { kind: "gcp", region: "europe-west1", zone: "europe-west1-b", machineType: "e2-small" });
      assert.deepStrictEqual(t.clusters[0]!.target, { kind: "aws", region: "us-east-1", instanceType: "t3.small" });
      assert.deepStrictEqual(t.gateways, { mode: "full-mesh", enabled: true, secret: "gateway" });
      assert.strictEqual(t.systemAccount, "SYS");
      assert.deepStrictEqual(t.accounts.map((a) => a.name), ["APP", "SYS"]);
      const leaf = t.leafnodes[0]!;
      assert.deepStrictEqual(
        { name: leaf.name, hub: leaf.hub, account: leaf.account, servers: leaf.servers.map((s) => s.name), hubUser: leaf.hubUser, hubSecret: leaf.hubSecret },
        { name: "factory-1", hub: "use1", account: "APP", servers: ["factory-1"], hubUser: "leaf-factory-1", hubSecret: "leaf:factory-1" },
      );
      assert.deepStrictEqual(t.clusters[0]!.leafnodes, ["factory-1"]);
      // cloud servers: well-known ports; aws cluster is a hub, so it opens a leafnode port
      assert.deepStrictEqual(t.clusters[0]!.servers[0]!.ports, { client: 4222, cluster: 6222, gateway: 7222, leafnode: 7422, http: 8222 });
      assert.deepStrictEqual(t.clusters[1]!.servers[0]!.ports, { client: 4222, cluster: 6222, gateway: 7222, leafnode: 0, http: 8222 });
      // local servers: the well-known ports + position among local servers
      assert.deepStrictEqual(t.clusters[2]!.servers.map((s) => s.ports), [
        { client: 4222, cluster: 6222, gateway: 7222, leafnode: 0, http: 8222 },
        { client: 4223, cluster: 6223, gateway: 7223, leafnode: 0, http: 8223 },
        { client: 4224, cluster: 6224, gateway: 7224, leafnode: 0, http: 8224 },
      ]);
      assert.deepStrictEqual(leaf.servers[0]!.ports, { client: 4225, cluster: 0, gateway: 0, leafnode: 0, http: 8225 });
      assert.deepStrictEqual(
        t.secrets.map((s) => s.key),
        ["user:APP:app", "route:use1", "route:euw1", "gateway", "leaf:factory-1"],
      );
    });

    it("validateTopology throws a TopologyError listing every problem", function () {
      const d = global();
      (d.clusters as Decl[])[1]!.name = "use1";
      (d.leafnodes as Decl[])[0]!.hub = "use2";
      try {
        validateTopology(d, "example.yaml");
        assert.fail("should throw");
      } catch (err) {
        assert.ok(err instanceof TopologyError);
        assert.deepStrictEqual(err.lines(), [
          'clusters[1].name: "use1" is already used by clusters[0]',
          'leafnodes[0].hub: no cluster named "use2" (known: use1, lab)',
        ]);
        assert.strictEqual(err.message.split("\n")[0], "invalid topology in example.yaml (2 problems)");
      }
    });
  });

  describe("shape", function () {
    it("requires name and clusters", function () {
      ok(local());
      fails({ clusters: [{ name: "a", target: "local" }] }, "name: is required");
      fails({ name: "t" }, "clusters: is required");
      fails({ name: "t", clusters: [] }, "clusters: declare at least one cluster");
      fails(null, "(topology): must be an object, got null");
      fails({ name: "t", clusters: "a" }, 'clusters: must be a list, got the text "a"');
    });

    it("rejects unknown fields, each by name", function () {
      ok(local({ localPorts: { base: 20000 } }));
      const got = fails({ name: "t", clusters: [{ name: "a", target: "local", sevrers: 2 }], gatways: "none" }, "clusters[0].sevrers: unknown field", "gatways: unknown field");
      assert.strictEqual(got.length, 2);
    });

    it("explains an encrypted Pulumi secret where a plain value is needed", function () {
      ok(local({ accounts: { APP: { users: [{ user: "u", password: "plain" }] } } }));
      fails(
        local({ accounts: { APP: { users: [{ user: "u", password: { secure: "v1:abc" } }] } } }),
        "accounts.APP.users[0].password: is an encrypted Pulumi secret, which only `pulumi up` can read; outside Pulumi, give it in plain text or omit it to have one generated",
      );
    });

    it("checks enums: target, broker, gateways", function () {
      ok({ name: "t", broker: "nats-server", gateways: "none", clusters: [{ name: "a", target: "kubernetes", broker: "natsfleet" }] });
      fails({ name: "t", clusters: [{ name: "a", target: "azure" }] }, 'clusters[0].target: "azure" is not one of local, aws, gcp, kubernetes');
      fails({ name: "t", broker: "gnatsd", clusters: [{ name: "a", target: "local" }] }, 'broker: "gnatsd" is not one of natsfleet, nats-server');
      fails(local({ gateways: "mesh" }), "gateways: must be one of full-mesh, none or { mode, auth }");
    });

    it("checks server counts and lists", function () {
      ok({ name: "t", clusters: [{ name: "a", target: "local", servers: [{ name: "x" }, {}] }] });
      fails({ name: "t", clusters: [{ name: "a", target: "local", servers: 0 }] }, "clusters[0].servers: must be at least 1");
      fails({ name: "t", clusters: [{ name: "a", target: "local", servers: [] }] }, "clusters[0].servers: must list at least one server");
      fails({ name: "t", clusters: [{ name: "a", target: "local", servers: "three" }] }, "clusters[0].servers: must be a number of servers or a list of servers");
    });

    it("checks names: a portable alphabet", function () {
      ok({ name: "my_topology-1", clusters: [{ name: "Use1", target: "local" }] });
      const rule = "letters, digits, '-' and '_' only, starting with a letter or digit, at most 63 characters";
      fails({ name: "t", clusters: [{ name: "us east", target: "local" }] }, `clusters[0].name: must be a name: ${rule}`);
      fails({ name: "t", clusters: [{ name: "-a", target: "local" }] }, `clusters[0].name: must be a name: ${rule}`);
      fails({ name: "t", clusters: [{ name: "a", target: "local", servers: [{ name: "a.b" }] }] }, `clusters[0].servers[0].name: must be a name: ${rule}`);
      fails(local({ accounts: { "$G": {} } }), `accounts["$G"]: is not a valid name: ${rule}`);
    });

    it("checks port ranges", function () {
      ok({ name: "t", clusters: [{ name: "a", target: "local", ports: { client: 65535 } }] });
      fails({ name: "t", clusters: [{ name: "a", target: "local", ports: { client: 70000 } }] }, "clusters[0].ports.client: must be a port from 1 to 65535");
      fails({ name: "t", clusters: [{ name: "a", target: "local", servers: [{ ports: { http: 0 } }] }] }, "clusters[0].servers[0].ports.http: must be a port from 1 to 65535");
    });

    it("still runs the cross-field rules when only prunable fields are wrong", function () {
      const got = fails(
        { name: "t", clusters: [{ name: "a", target: "local", colour: "red" }, { name: "a", target: "local" }] },
        "clusters[0].colour: unknown field",
        'clusters[1].name: "a" is already used by clusters[0]',
      );
      assert.strictEqual(got.length, 2);
    });
  });

  describe("names", function () {
    it("cluster names are unique", function () {
      ok(global());
      const d = global();
      (d.clusters as Decl[])[1]!.name = "use1";
      fails(d, 'clusters[1].name: "use1" is already used by clusters[0]');
    });

    it("leaf node names are unique, and distinct from cluster names", function () {
      const d = global();
      (d.leafnodes as Decl[]).push({ name: "factory-1", target: "local", hub: "lab" });
      fails(d, 'leafnodes[1].name: "factory-1" is already used by leafnodes[0]');
      const e = global();
      (e.leafnodes as Decl[])[0]!.name = "lab";
      fails(e, 'leafnodes[0].name: "lab" is already used by clusters[2]');
    });

    it("server names are unique across the super-cluster", function () {
      ok({ name: "t", clusters: [{ name: "a", target: "local", servers: [{ name: "x" }] }, { name: "b", target: "local", servers: [{ name: "y" }] }] });
      fails(
        { name: "t", clusters: [{ name: "a", target: "local", servers: [{ name: "x" }] }, { name: "b", target: "local", servers: [{ name: "x" }] }] },
        'clusters[1].servers[0].name: server name "x" is already used by clusters[0].servers[0]',
      );
      // a generated name can collide too: cluster "a" of 2 makes a-1, as does a leaf node named a-1
      fails(
        { name: "t", clusters: [{ name: "a", target: "local", servers: 2 }], leafnodes: [{ name: "a-1", target: "local", hub: "a" }] },
        'leafnodes[0].name: server name "a-1" is already used by clusters[0].servers (server a-1)',
      );
    });
  });

  describe("references", function () {
    it("a leaf node's hub is a declared cluster", function () {
      ok(global());
      const d = global();
      (d.leafnodes as Decl[])[0]!.hub = "use2";
      fails(d, 'leafnodes[0].hub: no cluster named "use2" (known: use1, euw1, lab)');
      const e = global();
      (e.leafnodes as Decl[]).push({ name: "factory-2", target: "local", hub: "factory-1" });
      fails(e, 'leafnodes[1].hub: no cluster named "factory-1" (known: use1, euw1, lab); "factory-1" is a leaf node, and only clusters can be hubs');
    });

    it("a leaf node's account is a declared account, not the system account", function () {
      const d = global();
      (d.leafnodes as Decl[])[0]!.account = "APX";
      fails(d, 'leafnodes[0].account: no account named "APX" (known: APP)');
      fails(
        { name: "t", clusters: [{ name: "a", target: "local" }], leafnodes: [{ name: "l", target: "local", hub: "a", account: "APP" }] },
        'leafnodes[0].account: no account named "APP" (no accounts declared)',
      );
      const e = global();
      e.systemAccount = "OPS";
      e.accounts = { APP: {}, OPS: {} };
      (e.leafnodes as Decl[])[0]!.account = "OPS";
      fails(e, 'leafnodes[0].account: "OPS" is the system account; bind an application account');
    });

    it("a leaf node without an account binds the global account", function () {
      const t = ok({ name: "t", clusters: [{ name: "a", target: "local" }], leafnodes: [{ name: "l", target: "local", hub: "a" }] });
      assert.strictEqual(t.leafnodes[0]!.account, undefined);
    });

    it("top-level users name an existing account", function () {
      const t = ok(local({ accounts: { APP: {} }, users: [{ user: "u", password: "p", account: "APP" }] }));
      assert.deepStrictEqual(t.accounts[0]!.users, [{ user: "u", account: "APP", secret: "user:APP:u" }]);
      assert.deepStrictEqual(t.secrets, [{ key: "user:APP:u", purpose: 'password of user "u" in account APP', value: "p" }]);
      fails(local({ accounts: { APP: {} }, users: [{ user: "u" }] }), "users[0].account: is required for a user declared outside accounts (known: APP)");
      fails(local({ accounts: { APP: {} }, users: [{ user: "u", account: "OPS" }] }), 'users[0].account: no account named "OPS" (known: APP)');
    });

    it("a user inside an account does not name another", function () {
      ok(local({ accounts: { APP: { users: [{ user: "u", account: "APP" }] } } }));
      fails(local({ accounts: { APP: { users: [{ user: "u", account: "OPS" }] } } }), 'accounts.APP.users[0].account: is "OPS" but the user is declared inside accounts.APP; remove it or move the user');
    });

    it("user names are unique across accounts", function () {
      ok(local({ accounts: { APP: { users: [{ user: "a" }] }, OPS: { users: [{ user: "b" }] } } }));
      fails(local({ accounts: { APP: { users: [{ user: "a" }] }, OPS: { users: [{ user: "a" }] } } }), 'accounts.OPS.users[0].user: "a" is already used by accounts.APP.users[0]');
      fails(local({ accounts: { APP: { users: [{ user: "a" }] } }, users: [{ user: "a", account: "APP" }] }), 'users[0].user: "a" is already used by accounts.APP.users[0]');
    });
  });

  describe("targets", function () {
    it("aws and gcp need a region", function () {
      ok(global());
      fails({ name: "t", clusters: [{ name: "a", target: "aws" }] }, "clusters[0].region: is required for target aws (e.g. us-east-1)");
      fails({ name: "t", clusters: [{ name: "a", target: "gcp" }] }, "clusters[0].region: is required for target gcp (e.g. europe-west1)");
    });

    it("local takes no region; kubernetes may carry one", function () {
      const t = ok({ name: "t", clusters: [{ name: "a", target: "kubernetes", region: "eu" }] });
      assert.deepStrictEqual(t.clusters[0]!.target, { kind: "kubernetes", namespace: "nats", serviceType: "LoadBalancer", region: "eu" });
      fails({ name: "t", clusters: [{ name: "a", target: "local", region: "eu" }] }, "clusters[0].region: is not used by target local (remove it)");
    });

    it("target-specific blocks match the target and keep their fields", function () {
      const t = ok({ name: "t", clusters: [{ name: "a", target: "aws", region: "us-east-1", aws: { instanceType: "m7g.large", keyName: "ops" } }] });
      assert.deepStrictEqual(t.clusters[0]!.target, { kind: "aws", region: "us-east-1", instanceType: "m7g.large", keyName: "ops" });
      fails({ name: "t", clusters: [{ name: "a", target: "aws", region: "us-east-1", gcp: { zone: "x" } }] }, "clusters[0].gcp: only applies to target gcp (this one's target is aws)");
      fails({ name: "t", clusters: [{ name: "a", target: "gcp", region: "europe-west1", gcp: { zone: "us-east1-b" } }] }, 'clusters[0].gcp.zone: "us-east1-b" is not a zone of region europe-west1');
    });

    it("local host is configurable", function () {
      const t = ok({ name: "t", clusters: [{ name: "a", target: "local", local: { host: "127.0.0.2" } }] });
      assert.deepStrictEqual(t.clusters[0]!.target, { kind: "local", host: "127.0.0.2" });
    });
  });

  describe("local ports", function () {
    it("dev stack: one server at 4222 / 8222, no other listener", function () {
      const t = ok({ name: "dev", clusters: [{ name: "dev", target: "local", ports: { client: 4222, http: 8222 } }] });
      assert.deepStrictEqual(t.clusters[0]!.servers, [{ name: "dev-0", index: 0, group: "dev", ports: { client: 4222, cluster: 0, gateway: 0, leafnode: 0, http: 8222 } }]);
    });

    it("allocates from localPorts.base in blocks of ten per server", function () {
      const t = ok({ name: "t", localPorts: { base: 20000 }, clusters: [{ name: "a", target: "local", servers: 2 }, { name: "b", target: "local" }] });
      assert.deepStrictEqual(
        [...t.clusters[0]!.servers, ...t.clusters[1]!.servers].map((s) => s.ports),
        [
          { client: 20000, cluster: 20001, gateway: 20002, leafnode: 0, http: 20004 },
          { client: 20010, cluster: 20011, gateway: 20012, leafnode: 0, http: 20014 },
          { client: 20020, cluster: 0, gateway: 20022, leafnode: 0, http: 20024 },
        ],
      );
    });

    it("group and server ports override the allocation", function () {
      const t = ok({ name: "t", clusters: [{ name: "a", target: "local", servers: [{}, { ports: { client: 5000 } }], ports: { client: 4300, cluster: 6300 } }] });
      assert.deepStrictEqual(t.clusters[0]!.servers.map((s) => [s.ports.client, s.ports.cluster, s.ports.http]), [
        [4300, 6300, 8222],
        [5000, 6301, 8223],
      ]);
    });

    it("two local servers never share a port on one host", function () {
      ok({ name: "t", clusters: [{ name: "a", target: "local", ports: { client: 5000 } }, { name: "b", target: "local", ports: { client: 5001 } }] });
      fails(
        { name: "t", clusters: [{ name: "a", target: "local", ports: { client: 5000 } }, { name: "b", target: "local", ports: { client: 5000 } }] },
        "clusters[1].servers: server b-0: client port 5000 on 127.0.0.1 is already used by a-0 (client)",
      );
      fails(
        { name: "t", clusters: [{ name: "a", target: "local", servers: [{ ports: { client: 8222 } }] }] },
        "clusters[0].servers[0]: server a-0: http port 8222 on 127.0.0.1 is already used by a-0 (client)",
      );
      // different loopback hosts may share a port; a wildcard host clashes with all
      ok({ name: "t", clusters: [{ name: "a", target: "local", ports: { client: 5000, http: 5100 } }, { name: "b", target: "local", local: { host: "127.0.0.2" }, ports: { client: 5000, http: 5101 } }] });
      fails(
        { name: "t", clusters: [{ name: "a", target: "local", ports: { client: 5000, http: 5100 } }, { name: "b", target: "local", local: { host: "0.0.0.0" }, ports: { client: 5000, http: 5101 } }] },
        "clusters[1].servers: server b-0: client port 5000 on 0.0.0.0 is already used by a-0 (client)",
      );
    });

    it("cloud servers may share ports: each has its own machine", function () {
      const t = ok({ name: "t", clusters: [{ name: "a", target: "aws", region: "us-east-1", servers: 2 }] });
      assert.deepStrictEqual(t.clusters[0]!.servers.map((s) => s.ports.client), [4222, 4222]);
    });

    it("the base leaves room for every local server", function () {
      ok({ name: "t", localPorts: { base: 65000 }, clusters: [{ name: "a", target: "local", servers: 3 }] });
      fails(
        { name: "t", localPorts: { base: 65500 }, clusters: [{ name: "a", target: "local", servers: 5 }] },
        "localPorts.base: 65500 leaves no room for 5 local servers (they would need ports up to 65544; the highest is 65535)",
      );
    });

    it("the well-known scheme reports ports past 65535", function () {
      fails(
        { name: "t", clusters: [{ name: "a", target: "local", servers: [{ ports: { client: 65535, http: 65534 } }, {}] , ports: { client: 65535 } }] },
        "clusters[0].servers[1]: server a-1: client port 65536 is above 65535; set localPorts.base or explicit ports",
      );
    });
  });

  describe("gateways, system account, secrets", function () {
    it("full-mesh needs more than one cluster to open gateways", function () {
      const one = ok(local());
      assert.deepStrictEqual(one.gateways, { mode: "full-mesh", enabled: false });
      assert.strictEqual(one.clusters[0]!.servers[0]!.ports.gateway, 0);
      const none = ok({ name: "t", gateways: "none", clusters: [{ name: "a", target: "local" }, { name: "b", target: "local" }] });
      assert.deepStrictEqual(none.gateways, { mode: "none", enabled: false });
      const mesh = ok({ name: "t", gateways: { mode: "full-mesh", auth: true }, clusters: [{ name: "a", target: "local" }, { name: "b", target: "local" }] });
      assert.deepStrictEqual(mesh.gateways, { mode: "full-mesh", enabled: true, secret: "gateway" });
    });

    it("a system account exactly when gateways and leaf nodes meet, or when declared", function () {
      const both = ok({ name: "t", clusters: [{ name: "a", target: "local" }, { name: "b", target: "local" }], leafnodes: [{ name: "l", target: "local", hub: "a" }] });
      assert.strictEqual(both.systemAccount, "SYS");
      assert.deepStrictEqual(both.accounts, [{ name: "SYS", users: [] }]);
      const leafOnly = ok({ name: "t", clusters: [{ name: "a", target: "local" }], leafnodes: [{ name: "l", target: "local", hub: "a" }] });
      assert.strictEqual(leafOnly.systemAccount, undefined);
      assert.deepStrictEqual(leafOnly.accounts, []);
      const declared = ok(local({ systemAccount: "ADMIN", accounts: { ADMIN: { users: [{ user: "admin" }] } } }));
      assert.strictEqual(declared.systemAccount, "ADMIN");
      assert.deepStrictEqual(declared.accounts.map((a) => a.name), ["ADMIN"]);
    });

    it("route credentials: on by default off the local target, switchable", function () {
      const t = ok({
        name: "t",
        clusters: [
          { name: "a", target: "aws", region: "us-east-1", servers: 2 },
          { name: "b", target: "local", servers: 2 },
          { name: "c", target: "local", servers: 2, routeAuth: true },
          { name: "d", target: "aws", region: "us-east-1", servers: 1 },
        ],
      });
      assert.deepStrictEqual(t.clusters.map((c) => c.routeSecret), ["route:a", undefined, "route:c", undefined]);
    });

    it("TLS on the local target needs cert paths; cloud targets bring their own", function () {
      const t = ok(local({ tls: { enabled: true, listeners: ["client"], certFile: "c.pem", keyFile: "k.pem" } }));
      assert.deepStrictEqual(t.clusters[0]!.tls, { client: true, cluster: false, gateway: false, leafnode: false, certFile: "c.pem", keyFile: "k.pem" });
      ok({ name: "t", clusters: [{ name: "a", target: "aws", region: "us-east-1", tls: { enabled: true } }] });
      fails(
        { name: "t", clusters: [{ name: "a", target: "local", tls: { enabled: true, certFile: "c.pem" } }] },
        "clusters[0].tls.keyFile: is required when TLS is on for the local target (clusters[0])",
      );
      fails(local({ tls: { enabled: true } }), "tls.certFile: is required when TLS is on for the local target (clusters[0])", "tls.keyFile: is required when TLS is on for the local target (clusters[0])");
    });

    it("per-cluster broker overrides the topology's", function () {
      const t = ok({ name: "t", broker: "nats-server", clusters: [{ name: "a", target: "local" }, { name: "b", target: "local", broker: "natsfleet" }] });
      assert.deepStrictEqual(t.clusters.map((c) => c.broker), ["nats-server", "natsfleet"]);
    });
  });

  it("collects every problem of a declaration in one run", function () {
    const d = global();
    (d.clusters as Decl[])[1]!.name = "use1";
    delete (d.clusters as Decl[])[0]!.region;
    (d.leafnodes as Decl[])[0]!.hub = "use2";
    (d.leafnodes as Decl[])[0]!.account = "APX";
    assert.deepStrictEqual(problems(d), [
      'clusters[1].name: "use1" is already used by clusters[0]',
      'leafnodes[0].hub: no cluster named "use2" (known: use1, lab)',
      'leafnodes[0].account: no account named "APX" (known: APP)',
      "clusters[0].region: is required for target aws (e.g. us-east-1)",
    ]);
  });

  it("the hand-written declaration type accepts what the schema accepts", function () {
    const d: TopologyDeclaration = global() as unknown as TopologyDeclaration;
    assert.strictEqual(validateTopology(d).name, "global");
  });
});
