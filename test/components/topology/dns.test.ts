/**
 * The `dns` declaration: what validation accepts and how it normalizes it (components/topology/
 * dns.ts `dnsModel`), every problem with its path and exact text, and the DNS plan that picks
 * the target holding the zone and checks what one name can carry (`dnsPlan`).
 */
import { strict as assert } from "assert";
import { checkTopology, validateTopology } from "../../../components/topology/validate";
import { formatIssue, IssueList, TopologyError } from "../../../components/topology/errors";
import { dnsModel, dnsPlan } from "../../../components/topology/dns";
import type { Topology, TopologyDeclaration } from "../../../components/topology/model";

type Decl = Record<string, any>;

function problems(decl: unknown): string[] {
  const r = checkTopology(decl);
  return r.ok ? [] : r.issues.map(formatIssue);
}

const base = (dns: Decl = { zone: "example.com", name: "nats.example.com" }): Decl => ({
  name: "d",
  clusters: [
    { name: "use1", target: "aws", region: "us-east-1", servers: 2 },
    { name: "ew1", target: "gcp", region: "europe-west1", servers: 2 },
    { name: "lab", target: "local", servers: 1 },
  ],
  gateways: "full-mesh",
  dns,
});

/** The plan's problems as `path: message` lines ([] when it plans). */
function planProblems(model: Topology, provider?: string): string[] {
  try {
    dnsPlan(model, provider);
    return [];
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    return e.lines();
  }
}

describe("topology dns: declaration and model", () => {
  it("normalizes zone and name (case, trailing dot), defaults the TTL and names every cluster", () => {
    const t = validateTopology(base({ zone: "Example.COM.", name: "NATS.example.com." }));
    assert.deepEqual(t.dns, {
      zone: "example.com",
      name: "nats.example.com",
      ttl: 60,
      clusterNames: { use1: "use1.nats.example.com", ew1: "ew1.nats.example.com", lab: "lab.nats.example.com" },
    });
    assert.equal(validateTopology(base({ zone: "example.com", name: "nats.example.com", ttl: 15 })).dns!.ttl, 15);
  });

  it("takes the zone apex as the client name", () => {
    assert.equal(validateTopology(base({ zone: "example.com", name: "example.com" })).dns!.clusterNames.use1, "use1.example.com");
  });

  it("leaves dns out of the model when not declared", () => {
    const d = base();
    delete d.dns;
    assert.equal(validateTopology(d).dns, undefined);
  });

  it("rejects a name outside the zone", () => {
    assert.deepEqual(problems(base({ zone: "example.com", name: "nats.example.org" })), ['dns.name: "nats.example.org" is not inside zone example.com (it must end with .example.com)']);
    // a suffix is not a subdomain
    assert.deepEqual(problems(base({ zone: "example.com", name: "natsexample.com" })), ['dns.name: "natsexample.com" is not inside zone example.com (it must end with .example.com)']);
  });

  it("needs a cluster on aws or gcp", () => {
    const d = base();
    d.clusters = [{ name: "lab", target: "local", servers: 1 }];
    assert.deepEqual(problems(d), ["dns: no cluster runs on a target with DNS routing (aws, gcp); remove dns or add such a cluster"]);
  });

  it("rejects cloud cluster names that are no DNS label; other targets' are just left unnamed", () => {
    const d = base();
    d.clusters[0].name = "us_east";
    d.clusters[2].name = "lab_1";
    assert.deepEqual(problems(d), [`clusters[0].name: "us_east" cannot be a DNS label for dns.name (letters, digits and inner '-' only)`]);
    d.clusters[0].name = "use1";
    assert.deepEqual(Object.keys(validateTopology(d).dns!.clusterNames), ["use1", "ew1"]);
  });

  it("rejects two cloud clusters whose names differ only in case", () => {
    const d = base();
    d.clusters.push({ name: "USE1", target: "aws", region: "us-west-2", servers: 1 });
    assert.deepEqual(problems(d), [`clusters[3].name: "USE1" and "use1" are the same DNS name use1.nats.example.com (DNS ignores case)`]);
  });

  it("checks the shape: DNS names and a TTL from 1 s to a day", () => {
    const got = [
      ...problems(base({ zone: "exa mple.com", name: "nats.example.com" })),
      ...problems(base({ zone: "example.com", name: "-nats.example.com" })),
      ...problems(base({ zone: "example.com", name: "nats.example.com", ttl: 0 })),
      ...problems(base({ zone: "example.com", name: "nats.example.com", ttl: 86401 })),
      ...problems(base({ zone: "example.com", name: "nats.example.com", provider: "aws" })),
    ];
    for (const p of ["dns.zone: must be a DNS domain such as example.com", "dns.name: must be a DNS name such as nats.example.com", "dns.ttl: must be at least 1 second", "dns.ttl: must be at most 86400 seconds"]) {
      assert.ok(got.includes(p), `expected ${p} in:\n${got.join("\n")}`);
    }
    assert.ok(got.some((p) => p.startsWith("dns") && /provider/.test(p)), `unknown key named: ${got.join("\n")}`);
  });
});

describe("topology dns: plan", () => {
  it("plans nothing without dns", () => {
    const d = base();
    delete d.dns;
    assert.equal(dnsPlan(validateTopology(d)), undefined);
  });

  it("gives the zone to the first cloud cluster's target; every aws/gcp cluster answers, its own and the other cloud's", () => {
    const plan = dnsPlan(validateTopology(base()))!;
    assert.equal(plan.home, "aws");
    assert.deepEqual(plan.own.map((c) => c.name), ["use1"]);
    assert.deepEqual(plan.foreign.map((c) => c.name), ["ew1"], "the local cluster has no public address to name");
    assert.equal(plan.clientPort, 4222);
    assert.deepEqual(plan.clusterPorts, { use1: 4222, ew1: 4222 });
  });

  it("follows natsfleet:dnsProvider", () => {
    const plan = dnsPlan(validateTopology(base()), "gcp")!;
    assert.equal(plan.home, "gcp");
    assert.deepEqual([plan.own.map((c) => c.name), plan.foreign.map((c) => c.name)], [["ew1"], ["use1"]]);
  });

  it("rejects a provider that is not a DNS target or runs no cluster", () => {
    assert.deepEqual(planProblems(validateTopology(base()), "kubernetes"), ['dns: natsfleet:dnsProvider is "kubernetes"; expected one of aws, gcp']);
    const d = base();
    d.clusters.splice(1, 1);
    assert.deepEqual(planProblems(validateTopology(d), "gcp"), ["dns: natsfleet:dnsProvider is gcp but no cluster runs on gcp; its zone would answer with no cluster"]);
  });

  it("needs one client port behind the client name and behind each cluster's name (reported by validation)", () => {
    const d = base();
    d.clusters.splice(1, 0, { name: "use2", target: "aws", region: "us-east-2", servers: 1, ports: { client: 4333 } });
    const expected = ["dns.name: clusters use1 (4222), use2 (4333), ew1 (4222) answer for nats.example.com with different client ports; one name carries one port"];
    // `natsfleet validate` reports it, not only a deployment
    assert.deepEqual(problems(d), expected);
    // the other cloud's clusters answer for the client name too, whichever cloud holds the zone
    const built: Topology = { ...validateTopology({ ...d, dns: undefined }), dns: dnsModel(d as TopologyDeclaration, new IssueList())! };
    assert.deepEqual(planProblems(built), expected);
    assert.deepEqual(planProblems(built, "gcp"), expected);
    // a local cluster has no DNS name: its port is its own business
    const local = base();
    local.clusters[2].ports = { client: 5222 };
    assert.equal(dnsPlan(validateTopology(local))!.clientPort, 4222);
    const mixed = base();
    mixed.clusters[1].servers = [{ ports: { client: 4222 } }, { ports: { client: 4223 } }];
    assert.deepEqual(problems(mixed), ["clusters[1].ports: servers use client ports 4222, 4223; ew1.nats.example.com is one name, so its servers need one client port"]);
  });

  it("needs a monitoring port on every aws/gcp server, on either cloud, for the health checks", () => {
    const t = validateTopology(base());
    const noHttp = (cluster: number): Topology => ({ ...t, clusters: t.clusters.map((c, i) => (i === cluster ? { ...c, servers: c.servers.map((s, j) => (j === 1 ? { ...s, ports: { ...s.ports, http: 0 } } : s)) } : c)) });
    assert.deepEqual(planProblems(noHttp(0)), ["clusters[0]: server use1-1 has no monitoring port; nats.example.com's health checks read /healthz on it"]);
    assert.deepEqual(planProblems(noHttp(1)), ["clusters[1]: server ew1-1 has no monitoring port; nats.example.com's health checks read /healthz on it"], "Route53 checks the GCP servers too");
    assert.deepEqual(planProblems(noHttp(2)), [], "the local cluster is not in DNS");
  });
});
