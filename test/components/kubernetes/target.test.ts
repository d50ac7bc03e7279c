/**
 * The Kubernetes target under Pulumi mocks: the resource graph (types, counts, parents,
 * providers per context), the objects field by field (probes, ports, selectors, PDB, lame
 * duck), the rendered configs (routes by pod DNS, gateway and leaf node advertise from the
 * load balancer, leaf remotes), secrets kept secret, and growth restarting nothing.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Registered, resolve, settle, mockPassword } from "../mocks";
import { CONFIGMAP, K8S_PROVIDER, NAMESPACE, NETPOL, PDB, Parents, SECRET, SERVICE, STS, installK8sMocks, lbHostname, recordParents } from "./k8s-mocks";
import { SuperCluster } from "../../../components/supercluster";
import { KubernetesTarget, KubernetesTargetError } from "../../../components/kubernetes/target";
import type { KubernetesTargetOptions } from "../../../components/kubernetes/options";
import { TopologyError } from "../../../components/topology/errors";
import { FakeCloudTarget } from "../../policies/fake-target";

/** How a secret input reaches the mock monitor. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const FAKE_BUNDLE = "#!/usr/bin/env node\nconsole.log('natsfleet-server stand-in');\n";
const CIDRS = ["198.51.100.0/24", "203.0.113.0/24"];

function topology(extra: { eastServers?: number; north?: boolean; tls?: boolean } = {}) {
  const clusters: Record<string, unknown>[] = [
    { name: "east", target: "kubernetes", servers: extra.eastServers ?? 3, routeAuth: true, kubernetes: { namespace: "nats-east", context: "east-ctx" } },
    { name: "west", target: "kubernetes", servers: 2, broker: "nats-server", kubernetes: { namespace: "nats-west", context: "west-ctx" } },
  ];
  if (extra.north) clusters.push({ name: "north", target: "kubernetes", servers: 3, kubernetes: { namespace: "nats-north", context: "north-ctx" } });
  return {
    name: "mr",
    broker: "natsfleet",
    accounts: { APP: { users: [{ user: "app" }] } },
    clusters,
    gateways: { mode: "full-mesh", auth: true },
    leafnodes: [{ name: "edge", target: "kubernetes", hub: "east", account: "APP", kubernetes: { namespace: "edge" } }],
    ...(extra.tls ? { tls: { enabled: true, listeners: ["cluster", "gateway", "leafnode"] } } : {}),
  };
}

interface Run {
  reg: Registered[];
  parents: Parents;
  sc: SuperCluster;
}

async function run(topo: unknown, options: KubernetesTargetOptions = { allowedCidrs: CIDRS, bundle: FAKE_BUNDLE }): Promise<Run> {
  const reg = await installK8sMocks("k8s");
  const parents: Parents = new Map();
  const sc = new SuperCluster("mr", { topology: topo, targets: { kubernetes: new KubernetesTarget(options) } }, { transformations: [recordParents(parents)] });
  await resolve(sc.clientUrls);
  await settle(reg);
  return { reg, parents, sc };
}

function one(reg: Registered[], type: string, name: string): Registered {
  const found = reg.filter((r) => r.type === type && r.name === name);
  assert.equal(found.length, 1, `${type} ${name}: ${found.length} registrations (have ${reg.filter((r) => r.type === type).map((r) => r.name).join(", ")})`);
  return found[0]!;
}

function names(reg: Registered[], type: string): string[] {
  return reg.filter((r) => r.type === type).map((r) => r.name).sort();
}

/** The plain value of a secret input; fails when the input is not marked secret. */
function unsecret(v: any): any {
  assert.ok(v && typeof v === "object" && SECRET_SIG in v, `expected a secret, got ${JSON.stringify(v)?.slice(0, 80)}`);
  return v.value;
}

function configs(reg: Registered[], group: string): Record<string, string> {
  return unsecret(one(reg, SECRET, `mr-${group}-config`).inputs.stringData);
}

const pw = (key: string) => mockPassword(`mr-${key}`);

describe("Kubernetes target under mocks", function () {
  this.timeout(60000);

  describe("resource graph", () => {
    let r: Run;
    before(async () => {
      r = await run(topology());
    });

    it("registers the native objects per group, and no Helm chart", () => {
      const k8sTypes = [...new Set(r.reg.filter((x) => x.type.startsWith("kubernetes:")).map((x) => x.type))].sort();
      assert.deepEqual(k8sTypes, [
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:Secret",
        "kubernetes:core/v1:Service",
        "kubernetes:policy/v1:PodDisruptionBudget",
      ]);
      assert.deepEqual(names(r.reg, STS), ["mr-east-sts", "mr-edge-sts", "mr-west-sts"]);
      assert.deepEqual(names(r.reg, PDB), ["mr-east-pdb", "mr-edge-pdb", "mr-west-pdb"]);
      assert.deepEqual(names(r.reg, SECRET), ["mr-east-config", "mr-edge-config", "mr-west-config"]);
      // the bundle only where natsfleet runs (west runs nats-server)
      assert.deepEqual(names(r.reg, CONFIGMAP), ["mr-east-broker", "mr-east-scripts", "mr-edge-broker", "mr-edge-scripts", "mr-west-scripts"]);
      // external Services only for clusters that accept gateways or leaf nodes
      assert.deepEqual(names(r.reg, SERVICE), [
        "mr-east-client",
        "mr-east-external",
        "mr-east-headless",
        "mr-edge-client",
        "mr-edge-headless",
        "mr-west-client",
        "mr-west-external",
        "mr-west-headless",
      ]);
      assert.deepEqual(names(r.reg, NAMESPACE), ["mr-ns-east-ctx-nats-east", "mr-ns-edge", "mr-ns-west-ctx-nats-west"]);
      assert.deepEqual(names(r.reg, NETPOL), []);
    });

    it("puts addresses under the SuperCluster and servers under their Cluster / LeafNode", () => {
      const parentOf = (name: string) => r.parents.get(name);
      for (const n of ["mr-east-external", "mr-west-external", "mr-ns-edge", "mr-k8s-east-ctx", "mr-k8s-default"]) {
        assert.equal(parentOf(n)?.parent, "mr", n);
        assert.equal(parentOf(n)?.parentType, "natsfleet:index:SuperCluster", n);
      }
      for (const g of ["east", "west"]) {
        for (const suffix of ["sts", "headless", "client", "pdb", "config", "scripts"]) {
          assert.equal(parentOf(`mr-${g}-${suffix}`)?.parent, `mr-${g}`, `mr-${g}-${suffix}`);
          assert.equal(parentOf(`mr-${g}-${suffix}`)?.parentType, "natsfleet:index:Cluster");
        }
      }
      assert.equal(parentOf("mr-edge-sts")?.parentType, "natsfleet:index:LeafNode");
    });

    it("makes one provider per kube context, each allowing in-place ConfigMap/Secret updates, and uses it", () => {
      assert.deepEqual(names(r.reg, K8S_PROVIDER), ["mr-k8s-default", "mr-k8s-east-ctx", "mr-k8s-west-ctx"]);
      const east = one(r.reg, K8S_PROVIDER, "mr-k8s-east-ctx").inputs;
      assert.equal(east.context, "east-ctx");
      assert.equal(one(r.reg, K8S_PROVIDER, "mr-k8s-default").inputs.context, undefined);
      for (const p of r.reg.filter((x) => x.type === K8S_PROVIDER)) {
        assert.equal(String(p.inputs.enableConfigMapMutable), "true", p.name);
        assert.equal(String(p.inputs.enableSecretMutable), "true", p.name);
      }
      const providerOf = (type: string, name: string) => one(r.reg, type, name).provider ?? "";
      assert.match(providerOf(STS, "mr-east-sts"), /::mr-k8s-east-ctx::/);
      assert.match(providerOf(SERVICE, "mr-east-external"), /::mr-k8s-east-ctx::/);
      assert.match(providerOf(SECRET, "mr-west-config"), /::mr-k8s-west-ctx::/);
      assert.match(providerOf(NAMESPACE, "mr-ns-edge"), /::mr-k8s-default::/);
      assert.match(providerOf(STS, "mr-edge-sts"), /::mr-k8s-default::/);
    });

    it("reports client and monitoring URLs by pod DNS", async () => {
      assert.deepEqual((await resolve(r.sc.clientUrls)).west, [
        "nats://west-0.west-headless.nats-west.svc.cluster.local:4222",
        "nats://west-1.west-headless.nats-west.svc.cluster.local:4222",
      ]);
      assert.equal((await resolve(r.sc.monitorUrls))["edge"], "http://edge-0.edge-headless.edge.svc.cluster.local:8222");
    });
  });

  describe("objects, field by field", () => {
    let r: Run;
    before(async () => {
      r = await run(topology());
    });
    const sts = (g: string) => one(r.reg, STS, `mr-${g}-sts`).inputs;
    const svc = (n: string) => one(r.reg, SERVICE, n).inputs;
    const podSpec = (g: string) => sts(g).spec.template.spec;
    const broker = (g: string) => podSpec(g).containers.find((c: any) => c.name === "nats");
    const reloader = (g: string) => podSpec(g).containers.find((c: any) => c.name === "reloader");

    it("StatefulSet: Parallel, headless serviceName, replicas, explicit names in the namespace", () => {
      const s = sts("east");
      assert.equal(s.metadata.name, "east");
      assert.equal(s.metadata.namespace, "nats-east");
      assert.equal(s.spec.podManagementPolicy, "Parallel");
      assert.equal(s.spec.serviceName, "east-headless");
      assert.equal(s.spec.replicas, 3);
      assert.equal(sts("west").spec.replicas, 2);
      assert.equal(sts("edge").spec.replicas, 1);
      assert.deepEqual(s.spec.updateStrategy, { type: "RollingUpdate" });
    });

    it("selectors: StatefulSet, Services and PDB select exactly the pod template's labels", () => {
      for (const g of ["east", "west", "edge"]) {
        const s = sts(g);
        const selector = s.spec.selector.matchLabels;
        assert.deepEqual(selector, { "app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": g });
        const podLabels = s.spec.template.metadata.labels;
        for (const [k, v] of Object.entries(selector)) assert.equal(podLabels[k], v, `${g} pod label ${k}`);
        for (const name of [`mr-${g}-headless`, `mr-${g}-client`, ...(g === "edge" ? [] : [`mr-${g}-external`])]) {
          assert.deepEqual(svc(name).spec.selector, selector, name);
        }
        const pdb = one(r.reg, PDB, `mr-${g}-pdb`).inputs;
        assert.deepEqual(pdb.spec.selector.matchLabels, selector);
        assert.equal(pdb.spec.maxUnavailable, 1);
        assert.equal(pdb.spec.minAvailable, undefined);
        for (const c of s.spec.template.spec.topologySpreadConstraints) assert.deepEqual(c.labelSelector.matchLabels, selector);
      }
    });

    it("ports: Service targetPorts name container ports; the external Service carries only gateway and leaf node ports", () => {
      for (const g of ["east", "west", "edge"]) {
        const named = new Map<string, number>(broker(g).ports.map((p: any) => [p.name, p.containerPort]));
        for (const name of [`mr-${g}-headless`, `mr-${g}-client`, ...(g === "edge" ? [] : [`mr-${g}-external`])]) {
          for (const p of svc(name).spec.ports) {
            assert.ok(named.has(p.targetPort), `${name} targetPort ${p.targetPort} is no container port of ${g}`);
            assert.equal(named.get(p.targetPort), p.port, `${name} ${p.targetPort}`);
          }
        }
      }
      const eastPorts = broker("east").ports.map((p: any) => `${p.name}:${p.containerPort}`).sort();
      assert.deepEqual(eastPorts, ["cluster:6222", "gateway:7222", "leafnodes:7422", "monitor:8222", "nats:4222"]);
      assert.deepEqual(svc("mr-east-external").spec.ports.map((p: any) => p.port), [7222, 7422]);
      assert.deepEqual(svc("mr-west-external").spec.ports.map((p: any) => p.port), [7222]);
      assert.deepEqual(svc("mr-east-client").spec.ports.map((p: any) => p.port), [4222]);
      // a one-server leaf node opens no route port
      assert.ok(!broker("edge").ports.some((p: any) => p.name === "cluster"));
    });

    it("headless Service publishes not-ready pods; the external one is a LoadBalancer limited to allowedCidrs", () => {
      const h = svc("mr-east-headless");
      assert.equal(h.metadata.name, "east-headless");
      assert.equal(h.spec.clusterIP, "None");
      assert.equal(h.spec.publishNotReadyAddresses, true);
      const e = svc("mr-east-external");
      assert.equal(e.spec.type, "LoadBalancer");
      assert.deepEqual(e.spec.loadBalancerSourceRanges, CIDRS);
      assert.equal(svc("mr-east-client").spec.type, "ClusterIP");
    });

    it("probes: startup, readiness and liveness on /healthz of the monitoring port", () => {
      for (const g of ["east", "west", "edge"]) {
        const c = broker(g);
        for (const p of ["startupProbe", "readinessProbe", "livenessProbe"]) {
          assert.deepEqual(c[p].httpGet, { path: "/healthz", port: "monitor" }, `${g} ${p}`);
        }
        assert.ok(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 60, "startup gets at least a minute");
      }
    });

    it("lame duck: preStop signals ldm through the pid file, 60s grace, and the config agrees", () => {
      const c = broker("east");
      const pre = c.lifecycle.preStop.exec.command.join(" ");
      assert.match(pre, /node \/opt\/natsfleet\/natsfleet-server\.js --signal ldm=\/var\/run\/nats\/nats\.pid; sleep 30/);
      assert.match(broker("west").lifecycle.preStop.exec.command.join(" "), /nats-server --signal ldm=\/var\/run\/nats\/nats\.pid/);
      assert.equal(podSpec("east").terminationGracePeriodSeconds, 60);
      const conf = configs(r.reg, "east")["east-0.conf"]!;
      assert.match(conf, /lame_duck_duration: "30s"/);
      assert.match(conf, /lame_duck_grace_period: "10s"/);
      assert.match(conf, /pid_file: "\/var\/run\/nats\/nats\.pid"/);
    });

    it("images and commands: Node running the bundle for natsfleet, the official image for nats-server", () => {
      assert.equal(broker("east").image, "node:20-alpine");
      assert.deepEqual(broker("east").command, ["node", "/opt/natsfleet/natsfleet-server.js", "--config", "/etc/nats/config/$(POD_NAME).conf"]);
      assert.equal(broker("west").image, "nats:2.10.22-alpine");
      assert.deepEqual(broker("west").command, ["nats-server", "--config", "/etc/nats/config/$(POD_NAME).conf"]);
      assert.deepEqual(broker("east").env, [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }]);
      const bundle = one(r.reg, CONFIGMAP, "mr-east-broker").inputs;
      assert.equal(bundle.data["natsfleet-server.js"], FAKE_BUNDLE);
      assert.ok(podSpec("east").volumes.some((v: any) => v.name === "broker" && v.configMap.name === "east-broker"));
      assert.ok(!podSpec("west").volumes.some((v: any) => v.name === "broker"));
      assert.match(sts("east").spec.template.metadata.annotations["natsfleet.io/bundle-sha256"], /^[0-9a-f]{64}$/);
    });

    it("reload without restart: a reloader sidecar in a shared process namespace watches the pod's config", () => {
      const spec = podSpec("east");
      assert.equal(spec.shareProcessNamespace, true);
      const rl = reloader("east");
      assert.deepEqual(rl.command, ["node", "/etc/nats/scripts/reloader.js"]);
      const env = Object.fromEntries(rl.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
      assert.equal(env.CONFIG_FILE, "/etc/nats/config/$(POD_NAME).conf");
      assert.equal(env.PID_FILE, "/var/run/nats/nats.pid");
      const mounts = (c: any) => Object.fromEntries(c.volumeMounts.map((m: any) => [m.name, m.mountPath]));
      assert.equal(mounts(rl).config, mounts(broker("east")).config);
      assert.equal(mounts(rl).pid, mounts(broker("east")).pid);
      // the config volume is the Secret, mounted whole (a subPath mount never updates)
      assert.deepEqual(spec.volumes.find((v: any) => v.name === "config"), { name: "config", secret: { secretName: "east-config" } });
      assert.ok(!rl.volumeMounts.concat(broker("east").volumeMounts).some((m: any) => m.subPath), "no subPath mounts");
      assert.match(one(r.reg, CONFIGMAP, "mr-east-scripts").inputs.data["reloader.js"], /SIGHUP/);
    });

    it("security: non-root, one user for both containers, no privilege escalation, read-only root", () => {
      assert.deepEqual(podSpec("east").securityContext, { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } });
      for (const c of podSpec("west").containers) {
        assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } }, c.name);
      }
      // every path a container writes is an emptyDir (pid file, unpacked bundle)
      const writable = new Set(podSpec("east").volumes.filter((v: any) => v.emptyDir).map((v: any) => v.name));
      for (const c of podSpec("east").containers) for (const m of c.volumeMounts) if (!m.readOnly) assert.ok(writable.has(m.name), `${c.name} writes ${m.name}`);
    });

    it("resources and topology spread", () => {
      assert.deepEqual(broker("east").resources, { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } });
      assert.ok(reloader("east").resources.limits.memory);
      assert.deepEqual(
        podSpec("east").topologySpreadConstraints.map((c: any) => [c.topologyKey, c.maxSkew, c.whenUnsatisfiable]),
        [
          ["topology.kubernetes.io/zone", 1, "ScheduleAnyway"],
          ["kubernetes.io/hostname", 1, "ScheduleAnyway"],
        ],
      );
    });
  });

  describe("rendered configs", () => {
    let r: Run;
    before(async () => {
      r = await run(topology());
    });

    it("one config per pod, named after the pod, with server_name the pod name", () => {
      const east = configs(r.reg, "east");
      assert.deepEqual(Object.keys(east).sort(), ["east-0.conf", "east-1.conf", "east-2.conf"]);
      for (let i = 0; i < 3; i++) assert.match(east[`east-${i}.conf`]!, new RegExp(`server_name: "?east-${i}"?\\n`));
      assert.deepEqual(Object.keys(configs(r.reg, "edge")), ["edge-0.conf"]);
    });

    it("routes dial the other pods by their headless DNS names, with the route credentials", () => {
      const conf = configs(r.reg, "east")["east-1.conf"]!;
      const routePw = pw("route-east");
      for (const i of [0, 2]) {
        assert.ok(conf.includes(`nats-route://route:${routePw}@east-${i}.east-headless.nats-east.svc.cluster.local:6222`), `route to east-${i}\n${conf}`);
      }
      assert.ok(!conf.includes("east-1.east-headless"), "no route to itself");
      assert.ok(configs(r.reg, "west")["west-0.conf"]!.includes(`nats-route://route:${pw("route-west")}@west-1.west-headless.nats-west.svc.cluster.local:6222`));
    });

    it("gateways advertise their cluster's load balancer and dial the other cluster's", () => {
      const east = configs(r.reg, "east")["east-0.conf"]!;
      const west = configs(r.reg, "west")["west-1.conf"]!;
      assert.match(east, new RegExp(`advertise: "?${lbHostname("mr-east-external").replace(/\./g, "\\.")}:7222"?`));
      assert.match(west, new RegExp(`advertise: "?${lbHostname("mr-west-external").replace(/\./g, "\\.")}:7222"?`));
      const gwPw = pw("gateway");
      assert.ok(east.includes(`nats://gateway:${gwPw}@${lbHostname("mr-west-external")}:7222`), east);
      assert.ok(west.includes(`nats://gateway:${gwPw}@${lbHostname("mr-east-external")}:7222`), west);
      assert.ok(!east.includes("west-headless"), "gateways never use the other cluster's pod DNS");
    });

    it("the hub advertises its leaf node port on the load balancer; the leaf node dials it", () => {
      const east = configs(r.reg, "east")["east-2.conf"]!;
      assert.match(east, new RegExp(`advertise: "?${lbHostname("mr-east-external").replace(/\./g, "\\.")}:7422"?`));
      const edge = configs(r.reg, "edge")["edge-0.conf"]!;
      assert.ok(edge.includes(`nats-leaf://leaf-edge:${pw("leaf-edge")}@${lbHostname("mr-east-external")}:7422`), edge);
      assert.match(edge, /account: "?APP"?/);
    });

    it("configs carry passwords, so they live in Secrets marked secret; ConfigMaps hold no password", () => {
      for (const g of ["east", "west", "edge"]) {
        const s = one(r.reg, SECRET, `mr-${g}-config`).inputs;
        assert.ok(SECRET_SIG in s.stringData, `${g} stringData is secret`);
        assert.equal(s.metadata.name, `${g}-config`);
      }
      for (const c of r.reg.filter((x) => x.type === CONFIGMAP)) {
        const text = JSON.stringify(c.inputs.data ?? {});
        assert.ok(!text.includes("pwmr"), `${c.name} holds a generated password`);
      }
    });

    it("the program's user passwords stay secret", async () => {
      assert.equal(await pulumi.isSecret(r.sc.userPasswords), true);
    });
  });

  describe("preview of a new stack (no load balancer address yet)", () => {
    it("registers the same objects as up, with the pod templates known and the configs unknown", async () => {
      const up = await run(topology());
      const reg = await installK8sMocks("k8s", {}, true);
      new SuperCluster("mr", { topology: topology(), targets: { kubernetes: new KubernetesTarget({ allowedCidrs: CIDRS, bundle: FAKE_BUNDLE }) } });
      await settle(reg, 100);
      const keys = (rs: Registered[]) => rs.map((x) => `${x.type} ${x.name}`).sort();
      assert.deepEqual(keys(reg), keys(up.reg));
      // the pod template does not wait for any address: a preview shows whether pods restart
      assert.deepEqual(one(reg, STS, "mr-east-sts").inputs.spec.template, one(up.reg, STS, "mr-east-sts").inputs.spec.template);
      assert.equal(one(reg, SECRET, "mr-east-config").inputs.stringData?.__pulumiUnknown, true, "configs wait for the load balancer");
    });
  });

  describe("growth restarts nothing", () => {
    for (const tls of [false, true]) it(`one more server and one more cluster change only replicas and config data of existing objects${tls ? " (TLS on)" : ""}`, async () => {
      const before = await run(topology({ tls }));
      const after = await run(topology({ eastServers: 4, north: true, tls }));
      const key = (x: Registered) => `${x.type} ${x.name}`;
      const afterByKey = new Map(after.reg.map((x) => [key(x), x]));
      const changed: string[] = [];
      for (const old of before.reg) {
        const now = afterByKey.get(key(old));
        assert.ok(now, `${key(old)} disappeared`);
        if (JSON.stringify(old.inputs) === JSON.stringify(now!.inputs)) continue;
        changed.push(key(old));
        if (old.type === STS) {
          // the pod template is what restarts pods: it must not move
          assert.deepEqual(now!.inputs.spec.template, old.inputs.spec.template, `${old.name} pod template`);
          assert.deepEqual({ ...now!.inputs.spec, replicas: 0 }, { ...old.inputs.spec, replicas: 0 }, `${old.name} spec besides replicas`);
          assert.deepEqual(now!.inputs.metadata, old.inputs.metadata);
        } else if (old.type === SECRET) {
          assert.deepEqual({ ...now!.inputs, stringData: null }, { ...old.inputs, stringData: null }, `${old.name} besides its data`);
        } else {
          assert.ok(old.type === "pulumi-nodejs:dynamic:Topology", `${key(old)} changed: ${JSON.stringify(old.inputs).slice(0, 200)}`);
        }
      }
      assert.deepEqual(changed.sort(), [
        "kubernetes:apps/v1:StatefulSet mr-east-sts",
        "kubernetes:core/v1:Secret mr-east-config",
        // a new server's certificate is a new key in its group's TLS Secret
        ...(tls ? ["kubernetes:core/v1:Secret mr-east-tls"] : []),
        "kubernetes:core/v1:Secret mr-edge-config",
        "kubernetes:core/v1:Secret mr-west-config",
        "pulumi-nodejs:dynamic:Topology mr-topology",
      ]);
      assert.equal(one(after.reg, STS, "mr-east-sts").inputs.spec.replicas, 4);
      // the old servers learn the new peer and the new cluster through the data alone
      const east0 = configs(after.reg, "east")["east-0.conf"]!;
      assert.ok(east0.includes("east-3.east-headless.nats-east.svc.cluster.local:6222"));
      assert.ok(east0.includes(lbHostname("mr-north-external")));
      assert.ok(configs(after.reg, "east")["east-3.conf"]);
    });
  });

  describe("TLS", () => {
    let r: Run;
    before(async () => {
      r = await run(topology({ tls: true }));
    });

    it("every server's config names its own certificate files in the pod", () => {
      const conf = configs(r.reg, "east")["east-1.conf"]!;
      assert.match(conf, /cert_file: "\/etc\/nats\/tls\/east-1\.crt"/);
      assert.match(conf, /key_file: "\/etc\/nats\/tls\/east-1\.key"/);
      assert.match(conf, /ca_file: "\/etc\/nats\/tls\/ca\.crt"/);
      assert.match(configs(r.reg, "edge")["edge-0.conf"]!, /cert_file: "\/etc\/nats\/tls\/edge-0\.crt"/);
    });

    it("certificates and keys travel in a secret Secret per group, signed by one CA", () => {
      const tlsSecret = one(r.reg, SECRET, "mr-east-tls").inputs;
      const files = unsecret(tlsSecret.stringData);
      assert.deepEqual(Object.keys(files).sort(), ["ca.crt", "east-0.crt", "east-0.key", "east-1.crt", "east-1.key", "east-2.crt", "east-2.key"]);
      assert.equal(files["ca.crt"], "CERT(mr-ca)");
      assert.equal(files["east-0.key"], "KEY(mr-east-east-0-tls-key)");
      assert.equal(r.reg.filter((x) => x.type === "tls:index/selfSignedCert:SelfSignedCert").length, 1, "one CA for all groups");
      assert.equal(r.parents.get("mr-east-east-0-tls-cert")?.parent, "mr-east");
    });

    it("SANs: pod DNS, the load balancer, the client and external Service names", () => {
      const csr = one(r.reg, "tls:index/certRequest:CertRequest", "mr-east-east-0-tls-csr").inputs;
      for (const n of ["east-0.east-headless.nats-east.svc.cluster.local", lbHostname("mr-east-external"), "east.nats-east.svc.cluster.local", "east-external.nats-east.svc.cluster.local", "east-0"]) {
        assert.ok(csr.dnsNames.includes(n), `${n} in ${csr.dnsNames}`);
      }
    });

    it("the pods mount the TLS Secret and the reloader watches the certificates (rotation reloads)", () => {
      const spec = one(r.reg, STS, "mr-east-sts").inputs.spec.template.spec;
      assert.deepEqual(spec.volumes.find((v: any) => v.name === "tls"), { name: "tls", secret: { secretName: "east-tls" } });
      for (const c of spec.containers) assert.ok(c.volumeMounts.some((m: any) => m.name === "tls" && m.mountPath === "/etc/nats/tls"), c.name);
      const rl = spec.containers.find((c: any) => c.name === "reloader");
      assert.equal(rl.env.find((e: any) => e.name === "WATCH_EXTRA").value, "/etc/nats/tls/$(POD_NAME).crt:/etc/nats/tls/$(POD_NAME).key:/etc/nats/tls/ca.crt");
    });
  });

  describe("bad input gets a clear error", () => {
    it("a LoadBalancer carrying gateways needs allowedCidrs", async () => {
      await installK8sMocks("k8s");
      assert.throws(
        () => new SuperCluster("mr", { topology: topology(), targets: { kubernetes: new KubernetesTarget({ bundle: FAKE_BUNDLE }) } }),
        // a RunError: `pulumi up` shows the message without a stack trace
        (e: Error) => e instanceof KubernetesTargetError && pulumi.RunError.isInstance(e) && /cluster east \(clusters\[0\]\)/.test(e.message) && /allowedCidrs/.test(e.message),
      );
    });

    it("NodePort cannot carry gateways", async () => {
      await installK8sMocks("k8s");
      const t = topology();
      (t.clusters[1] as any).kubernetes.serviceType = "NodePort";
      assert.throws(
        () => new SuperCluster("mr", { topology: t, targets: { kubernetes: new KubernetesTarget({ bundle: FAKE_BUNDLE, allowedCidrs: CIDRS }) } }),
        /cluster west \(clusters\[1\]\):\n  serviceType NodePort cannot carry gateway/,
      );
    });

    it("a malformed CIDR is named with its position", async () => {
      await installK8sMocks("k8s");
      assert.throws(
        () => new SuperCluster("mr", { topology: topology(), targets: { kubernetes: new KubernetesTarget({ bundle: FAKE_BUNDLE, allowedCidrs: ["10.0.0.0/8", "10.1.2.3"] }) } }),
        /allowedCidrs\[1\]: "10\.1\.2\.3" is not a CIDR/,
      );
    });

    it("lame duck longer than the grace period", async () => {
      await installK8sMocks("k8s");
      assert.throws(
        () => new SuperCluster("mr", { topology: topology(), targets: { kubernetes: new KubernetesTarget({ bundle: FAKE_BUNDLE, allowedCidrs: CIDRS, lameDuckDuration: "2m" }) } }),
        /lameDuckDuration \(120s\) must be shorter than terminationGracePeriodSeconds \(60s\)/,
      );
    });

    it("a bundle that cannot be built names what to do instead", async () => {
      await installK8sMocks("k8s");
      const bundle = () => {
        throw new Error("no broker entry point");
      };
      assert.throws(
        () => new SuperCluster("mr", { topology: topology(), targets: { kubernetes: new KubernetesTarget({ bundle, allowedCidrs: CIDRS }) } }),
        /cluster east \(clusters\[0\]\):\n  broker natsfleet needs the natsfleet-server bundle: no broker entry point\n  or give the target a natsfleetImage/,
      );
    });

    it("a kubernetes group without the target registered fails like validation", async () => {
      await installK8sMocks("k8s");
      assert.throws(() => new SuperCluster("mr", { topology: topology(), targets: {} }), (e: Error) => e instanceof TopologyError && /target "kubernetes" is not available/.test(e.message));
    });
  });

  describe("NetworkPolicy (opt-in) from the firewall model", () => {
    it("gateways only from the namespace, allowedCidrs and the other clusters' advertised IPs", async () => {
      const reg = await installK8sMocks("k8s");
      const topo = {
        name: "mr",
        clusters: [
          { name: "k", target: "kubernetes", servers: 3 },
          { name: "aws1", target: "aws", region: "us-east-1", servers: 2 },
        ],
      };
      const aws = new FakeCloudTarget("aws", { advertise: (s) => (s.endsWith("-0") ? "203.0.113.7" : "203.0.113.8") });
      const sc = new SuperCluster("mr", { topology: topo, targets: { aws, kubernetes: new KubernetesTarget({ bundle: FAKE_BUNDLE, allowedCidrs: ["192.0.2.0/24"], networkPolicy: true }) } });
      await resolve(sc.clientUrls);
      await settle(reg);
      const np = one(reg, NETPOL, "mr-k-netpol").inputs.spec;
      assert.deepEqual(np.podSelector.matchLabels, { "app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "k" });
      const rule = (port: number) => np.ingress.find((x: any) => x.ports.some((p: any) => p.port === port));
      assert.deepEqual(rule(6222).from, [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "k" } } }]);
      assert.deepEqual(rule(7222).from, [{ podSelector: {} }, { ipBlock: { cidr: "192.0.2.0/24" } }, { ipBlock: { cidr: "203.0.113.7/32" } }, { ipBlock: { cidr: "203.0.113.8/32" } }]);
      assert.deepEqual(rule(8222).from, [{ podSelector: {} }]);
      assert.equal(rule(4222).from, undefined, "clients: the Service decides who reaches it");
      // what the k8s cluster's config dials: the AWS servers' advertised addresses
      assert.ok(configs(reg, "k")["k-0.conf"]!.includes("@203.0.113.7:7222"));
    });
  });

  describe("one target, two SuperClusters", () => {
    it("keeps their providers, namespaces and objects apart", async () => {
      const reg = await installK8sMocks("k8s");
      const target = new KubernetesTarget({ bundle: FAKE_BUNDLE, existingNamespace: false });
      const topo = (name: string, ns: string) => ({ name, clusters: [{ name: "core", target: "kubernetes", servers: 3, kubernetes: { namespace: ns } }] });
      const a = new SuperCluster("a", { topology: topo("a", "ns-a"), targets: { kubernetes: target } });
      const b = new SuperCluster("b", { topology: topo("b", "ns-b"), targets: { kubernetes: target } });
      assert.deepEqual((await resolve(a.clientUrls)).core![0], "nats://core-0.core-headless.ns-a.svc.cluster.local:4222");
      assert.deepEqual((await resolve(b.clientUrls)).core![0], "nats://core-0.core-headless.ns-b.svc.cluster.local:4222");
      await settle(reg);
      assert.deepEqual(names(reg, K8S_PROVIDER), ["a-k8s-default", "b-k8s-default"]);
      assert.deepEqual(names(reg, STS), ["a-core-sts", "b-core-sts"]);
      assert.match(one(reg, STS, "b-core-sts").provider ?? "", /::b-k8s-default::/);
      assert.equal(one(reg, STS, "b-core-sts").inputs.metadata.namespace, "ns-b");
    });
  });

  describe("options", () => {
    it("existing namespace, given provider, ClusterIP exposure, storage, labels, NetworkPolicy, natsfleet image", async () => {
      const reg = await installK8sMocks("k8s");
      const provider = new (await import("@pulumi/kubernetes")).Provider("mine", { context: "prod" });
      const topo = {
        name: "mr",
        clusters: [
          { name: "a", target: "kubernetes", servers: 3, kubernetes: { namespace: "msg", serviceType: "ClusterIP", storageClass: "fast" } },
          { name: "b", target: "kubernetes", servers: 3, kubernetes: { namespace: "msg", serviceType: "ClusterIP" } },
        ],
      };
      const sc = new SuperCluster("mr", {
        topology: topo,
        targets: {
          kubernetes: new KubernetesTarget({
            provider,
            existingNamespace: true,
            natsfleetImage: "ghcr.io/example/natsfleet:0.3",
            storage: { size: "5Gi" },
            labels: { team: "messaging" },
            networkPolicy: true,
            groups: { b: { resources: { requests: { cpu: "1" } }, storage: { size: "1Gi", storageClass: "slow" } } },
          }),
        },
      });
      await resolve(sc.clientUrls);
      await settle(reg);
      assert.deepEqual(names(reg, NAMESPACE), []);
      assert.deepEqual(names(reg, K8S_PROVIDER), ["mine"]);
      assert.deepEqual(names(reg, CONFIGMAP), ["mr-a-scripts", "mr-b-scripts"]);
      const a = one(reg, STS, "mr-a-sts").inputs;
      assert.match(one(reg, STS, "mr-a-sts").provider ?? "", /::mine::/);
      assert.equal(a.spec.template.spec.containers[0].image, "ghcr.io/example/natsfleet:0.3");
      assert.equal(a.spec.template.metadata.labels.team, "messaging");
      assert.equal(a.metadata.labels.team, "messaging");
      assert.ok(!("team" in a.spec.selector.matchLabels), "user labels stay out of the immutable selector");
      assert.deepEqual(a.spec.volumeClaimTemplates[0].spec, { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } }, storageClassName: "fast" });
      const b = one(reg, STS, "mr-b-sts").inputs;
      assert.equal(b.spec.volumeClaimTemplates[0].spec.storageClassName, "slow");
      assert.deepEqual(b.spec.template.spec.containers[0].resources, { requests: { cpu: "1" } });
      // ClusterIP exposure: gateways advertise the in-cluster Service name
      const conf = unsecret(one(reg, SECRET, "mr-a-config").inputs.stringData)["a-0.conf"];
      assert.match(conf, /advertise: "?a-external\.msg\.svc\.cluster\.local:7222"?/);
      assert.ok(conf.includes(`@b-external.msg.svc.cluster.local:7222"`), conf);
      assert.equal(one(reg, SERVICE, "mr-a-external").inputs.spec.type, "ClusterIP");
      // the NetworkPolicy: routes only from the group's own pods
      const np = one(reg, NETPOL, "mr-a-netpol").inputs.spec;
      const routeRule = np.ingress.find((x: any) => x.ports.some((p: any) => p.port === 6222));
      assert.deepEqual(routeRule.from, [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "a" } } }]);
      for (const rule of np.ingress) {
        if (!rule.from) assert.ok(!rule.ports.some((p: any) => [6222, 7222, 8222].includes(p.port)), "route, gateway and monitoring ports are never open to all");
      }
    });
  });
});
