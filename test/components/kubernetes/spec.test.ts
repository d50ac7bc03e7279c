/**
 * The Kubernetes target's pure parts: names (DNS-1123, stable, collision-free), the bundle's
 * fit into a ConfigMap, lame duck timings, and the commands per broker.
 */
import { strict as assert } from "assert";
import * as zlib from "zlib";
import * as crypto from "crypto";
import { groupNames, k8sName, podDns } from "../../../components/kubernetes/names";
import { BUNDLE_ANNOTATION, CONFIGMAP_LIMIT, brokerProcess, bundleData, durationSeconds, lameDuckHoldSeconds } from "../../../components/kubernetes/broker";
import { lameDuckProblems, podConfig } from "../../../components/kubernetes/config";
import { groupOptions } from "../../../components/kubernetes/options";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe("Kubernetes target: names", () => {
  it("keeps DNS-safe group names as they are, so pod names equal server names", () => {
    assert.equal(k8sName("east"), "east");
    assert.equal(k8sName("eu-west-1"), "eu-west-1");
    const n = groupNames("east");
    assert.equal(podDns(n, 2, "nats", "cluster.local"), "east-2.east-headless.nats.svc.cluster.local");
  });

  it("turns other names into distinct DNS labels short enough for pod names", () => {
    const names = ["East", "east_1", "east-1", "a".repeat(63), "a".repeat(62) + "b", "x-", "_"];
    const out = names.map(k8sName);
    assert.equal(new Set(out).size, names.length, out.join(" "));
    for (const o of out) {
      assert.match(o, DNS_LABEL, o);
      assert.ok(o.length <= 52, `${o} is ${o.length} long`);
    }
    // stable: the same name always gives the same label (it is in peers' configs)
    assert.equal(k8sName("East"), k8sName("East"));
  });
});

describe("Kubernetes target: bundle in a ConfigMap", () => {
  it("ships the bundle as is when it fits", () => {
    const b = bundleData("console.log(1)\n");
    assert.deepEqual(b.data, { "natsfleet-server.js": "console.log(1)\n" });
    assert.equal(b.compressed, false);
    assert.equal(b.sha256, crypto.createHash("sha256").update("console.log(1)\n").digest("hex"));
  });

  it("compresses a bundle over the limit, and the compressed copy unpacks to the same text", () => {
    const text = "// " + "natsfleet ".repeat(2000) + "\n";
    const b = bundleData(text, 4096);
    assert.equal(b.compressed, true);
    assert.equal(b.data, undefined);
    const gz = b.binaryData!["natsfleet-server.js.gz"]!;
    assert.ok(gz.length <= 4096);
    assert.equal(zlib.gunzipSync(Buffer.from(gz, "base64")).toString("utf8"), text);
  });

  it("refuses a bundle that does not fit even compressed, naming the way out", () => {
    const text = crypto.randomBytes(8000).toString("hex");
    assert.throws(() => bundleData(text, 4096), /over the ConfigMap limit of 4096: build an image .* natsfleetImage/);
  });

  it("the real bundle fits uncompressed under the 1 MiB ConfigMap limit", function () {
    this.timeout(60000);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { brokerBundle } = require("../../../components/common/bundle") as typeof import("../../../components/common/bundle");
    const b = bundleData(brokerBundle().text);
    assert.equal(b.compressed, false);
    assert.ok(Buffer.byteLength(b.data!["natsfleet-server.js"]!) < CONFIGMAP_LIMIT);
  });

  it("pod commands per broker: plain bundle, compressed bundle, own image, nats-server", () => {
    const plain = brokerProcess("natsfleet", {}, bundleData("x"), "east-broker");
    assert.deepEqual(plain.command.slice(0, 2), ["node", "/opt/natsfleet/natsfleet-server.js"]);
    assert.equal(plain.annotations[BUNDLE_ANNOTATION], bundleData("x").sha256);
    const packed = brokerProcess("natsfleet", {}, bundleData("y".repeat(10000), 2000), "east-broker");
    assert.equal(packed.command[0], "sh");
    assert.match(packed.command[2]!, /^gunzip -c \/opt\/natsfleet\/natsfleet-server\.js\.gz > \/var\/run\/natsfleet\/natsfleet-server\.js && exec node /);
    assert.deepEqual(packed.bundleVolume, { configMap: "east-broker", compressed: true });
    const own = brokerProcess("natsfleet", { natsfleetImage: "reg/natsfleet:1", natsfleetEntrypoint: "/app/server.js" }, undefined, "east-broker");
    assert.deepEqual(own.command.slice(0, 2), ["node", "/app/server.js"]);
    assert.equal(own.bundleVolume, undefined);
    const official = brokerProcess("nats-server", { natsServerImage: "nats:2.9.10-alpine" }, undefined, "east-broker");
    assert.equal(official.image, "nats:2.9.10-alpine");
    assert.deepEqual(official.annotations, {});
  });
});

describe("Kubernetes target: lame duck and durations", () => {
  it("parses durations the config format uses", () => {
    assert.equal(durationSeconds("30s"), 30);
    assert.equal(durationSeconds("2m"), 120);
    assert.equal(durationSeconds("1m30s"), 90);
    assert.equal(durationSeconds("500ms"), 1);
    assert.throws(() => durationSeconds("30"), /"30" is not a duration/);
    assert.throws(() => durationSeconds("30s and more"), /is not a duration/);
  });

  it("defaults fit: 30s lame duck, 10s grace, 60s termination grace, preStop holds 30s", () => {
    assert.deepEqual(lameDuckProblems({}), []);
    assert.equal(lameDuckHoldSeconds({}), 30);
    assert.equal(lameDuckHoldSeconds({ terminationGracePeriodSeconds: 32 }), 27);
  });

  it("names every timing problem", () => {
    assert.deepEqual(lameDuckProblems({ lameDuckDuration: "10s" }), [
      "lameDuckDuration must be at least 30s (nats-server refuses less), got 10s",
      "lameDuckGracePeriod (10s) must be shorter than lameDuckDuration (10s)",
    ]);
    assert.deepEqual(lameDuckProblems({ lameDuckDuration: "45s", terminationGracePeriodSeconds: 40 }), [
      "lameDuckDuration (45s) must be shorter than terminationGracePeriodSeconds (40s), or pods are killed while draining",
    ]);
    assert.deepEqual(lameDuckProblems({ lameDuckGracePeriod: "soon" }), ['lameDuckGracePeriod: "soon" is not a duration (e.g. 30s, 2m, 1m30s)']);
  });

  it("the pod config appends pid file and lame duck settings after the rendered text", () => {
    const text = podConfig('server_name: "a-0"\n\n\n', { lameDuckDuration: "40s" }, "/tmp/x.pid");
    assert.match(text, /^server_name: "a-0"\n\n# kubernetes:/);
    assert.match(text, /pid_file: "\/tmp\/x\.pid"\nlame_duck_duration: "40s"\nlame_duck_grace_period: "10s"\n$/);
  });
});

describe("Kubernetes target: options", () => {
  it("per-group overrides sit on top of target-wide options; target-only keys stay out", () => {
    const o = groupOptions({ allowedCidrs: ["10.0.0.0/8"], labels: { a: "1" }, clusterDomain: "c.local", bundle: "x", groups: { east: { labels: { b: "2" } } } }, "east");
    assert.deepEqual(o, { allowedCidrs: ["10.0.0.0/8"], labels: { b: "2" } });
    assert.deepEqual(groupOptions({ labels: { a: "1" } }, "west"), { labels: { a: "1" } });
  });
});
