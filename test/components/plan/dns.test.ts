/**
 * `natsfleet plan` on DNS changes: adding `dns` or changing its TTL shows as a topology change
 * and restarts or reloads no server (DNS records live outside the servers' configs).
 */
import { strict as assert } from "assert";
import { validateTopology } from "../../../components/topology/validate";
import { planChange, PlanSide } from "../../../components/plan/plan";
import { formatPlan } from "../../../components/plan/format";

const decl = (dns?: Record<string, unknown>) => ({
  name: "d",
  clusters: [
    { name: "use1", target: "aws", region: "us-east-1", servers: 3 },
    { name: "ew1", target: "gcp", region: "europe-west1", servers: 3 },
  ],
  gateways: "full-mesh",
  tls: { enabled: true, listeners: ["gateway"] },
  ...(dns ? { dns } : {}),
});
const side = (d: unknown, source: string): PlanSide => ({ model: validateTopology(d), source });

describe("natsfleet plan: dns", () => {
  it("shows dns added as a topology change that touches no server", () => {
    const plan = planChange(side(decl(), "before.yaml"), side(decl({ zone: "example.com", name: "nats.example.com" }), "after.yaml"));
    assert.deepEqual(plan.diff.topology, [{ field: "dns", before: undefined, after: { zone: "example.com", name: "nats.example.com", ttl: 60 } }]);
    assert.deepEqual(plan.servers.map((s) => s.action).filter((a) => a !== "unchanged"), []);
    const text = formatPlan(plan, false);
    assert.ok(text.includes("Topology"), text.join("\n"));
    assert.ok(text.some((l) => /^\s+~ dns\b/.test(l) && l.includes("nats.example.com")), text.join("\n"));
  });

  it("shows a TTL change field by field", () => {
    const plan = planChange(side(decl({ zone: "example.com", name: "nats.example.com" }), "a"), side(decl({ zone: "example.com", name: "nats.example.com", ttl: 20 }), "b"));
    assert.deepEqual(plan.diff.topology, [{ field: "dns.ttl", before: 60, after: 20 }]);
    assert.equal(plan.empty, false);
  });
});
