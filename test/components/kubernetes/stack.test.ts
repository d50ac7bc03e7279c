/**
 * stacks/Pulumi.k8s.yaml through the program under mocks (the target built from stack config
 * as the program's registry builds it), and `natsfleet:kubernetes` checking.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { resolve, settle } from "../mocks";
import { CONFIGMAP, K8S_PROVIDER, NAMESPACE, PDB, SECRET, SERVICE, STS, installK8sMocks } from "./k8s-mocks";
import { program } from "../../../components/program";
import { readDeclaration } from "../../../components/topology/load";
import { kubernetesOptionsFromConfig, kubernetesTargetFromStack } from "../../../components/kubernetes/stack-config";
import { KubernetesTarget } from "../../../components/kubernetes/target";
import { SuperCluster } from "../../../components/supercluster";
import { asPolicyResources, packViolations } from "../../policies/harness";

const ROOT = path.resolve(__dirname, "../../..");
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

describe("k8s stack (stacks/Pulumi.k8s.yaml) under mocks", function () {
  this.timeout(60000);

  it("one 3-server cluster on the current context through the default registry: the objects, configs and outputs", async () => {
    const decl = readDeclaration(path.join(ROOT, "stacks", "Pulumi.k8s.yaml")).declaration;
    const reg = await installK8sMocks("k8s", {
      "natsfleet:topology": JSON.stringify(decl),
      "natsfleet:kubernetes": JSON.stringify({ labels: { team: "messaging" } }),
    });
    // no targets: the default registry the CLI-run program gets
    const out = program();
    const urls = await resolve(out.clientUrls);
    await settle(reg);
    assert.deepEqual(urls, { nats: [0, 1, 2].map((i) => `nats://nats-${i}.nats-headless.natsfleet.svc.cluster.local:4222`) });
    const count = (t: string) => reg.filter((r) => r.type === t).length;
    assert.deepEqual(
      [K8S_PROVIDER, NAMESPACE, STS, SERVICE, PDB, SECRET, CONFIGMAP].map((t) => `${t.split(":").pop()}=${count(t)}`),
      ["kubernetes=1", "Namespace=1", "StatefulSet=1", "Service=2", "PodDisruptionBudget=1", "Secret=1", "ConfigMap=2"],
    );
    const provider = reg.find((r) => r.type === K8S_PROVIDER)!;
    assert.equal(provider.inputs.context, undefined, "the current kube context");
    const sts = reg.find((r) => r.type === STS)!.inputs;
    assert.equal(sts.spec.replicas, 3);
    assert.equal(sts.metadata.namespace, "natsfleet");
    assert.equal(sts.spec.template.metadata.labels.team, "messaging");
    const files = reg.find((r) => r.type === SECRET)!.inputs.stringData;
    assert.ok(SECRET_SIG in files, "configs are secret");
    const conf = files.value["nats-0.conf"] as string;
    assert.match(conf, /nats-route:\/\/route:[^@]+@nats-1\.nats-headless\.natsfleet\.svc\.cluster\.local:6222/);
    assert.ok(!/gateway \{/.test(conf), "one cluster: no gateway block");
    assert.equal(reg.filter((r) => r.type === SERVICE && r.inputs.spec.type === "LoadBalancer").length, 0, "nothing exposed outside the Kubernetes cluster");
    assert.deepEqual(Object.keys(await resolve(out.userPasswords)), ["APP/app"]);
  });

  it("the k8s stack passes the whole policy pack", async () => {
    const decl = readDeclaration(path.join(ROOT, "stacks", "Pulumi.k8s.yaml")).declaration;
    const reg = await installK8sMocks("k8s", { "natsfleet:topology": JSON.stringify(decl) });
    const out = program({ targets: { kubernetes: kubernetesTargetFromStack() } });
    await resolve(out.clientUrls);
    await settle(reg, 100);
    assert.deepEqual(await packViolations(asPolicyResources(reg, "k8s")), {});
  });

  it("a TLS super-cluster of Kubernetes clusters with a leaf node passes the pack (LB limited, configs in Secrets)", async () => {
    const reg = await installK8sMocks("k8s");
    const sc = new SuperCluster("mr", {
      topology: {
        name: "mr",
        tls: { enabled: true, listeners: ["cluster", "gateway", "leafnode"] },
        accounts: { APP: { users: [{ user: "app" }] } },
        clusters: [
          { name: "east", target: "kubernetes", servers: 3, production: true, kubernetes: { context: "east" } },
          { name: "west", target: "kubernetes", servers: 3, production: true, kubernetes: { context: "west" } },
        ],
        gateways: { mode: "full-mesh", auth: true },
        leafnodes: [{ name: "edge", target: "kubernetes", hub: "east", account: "APP" }],
      },
      targets: { kubernetes: new KubernetesTarget({ allowedCidrs: ["198.51.100.0/24"], bundle: "// stand-in\n" }) },
    });
    await resolve(sc.clientUrls);
    await settle(reg, 100);
    assert.deepEqual(await packViolations(asPolicyResources(reg, "k8s")), {});
  });

  it("the pack does judge these objects: gateways opened to the internet are caught", async () => {
    const reg = await installK8sMocks("k8s");
    const sc = new SuperCluster("mr", {
      topology: {
        name: "mr",
        tls: { enabled: true, listeners: ["cluster", "gateway", "leafnode"] },
        clusters: [
          { name: "east", target: "kubernetes", servers: 3 },
          { name: "west", target: "kubernetes", servers: 3 },
        ],
      },
      targets: { kubernetes: new KubernetesTarget({ allowedCidrs: ["0.0.0.0/0"], bundle: "// stand-in\n" }) },
    });
    await resolve(sc.clientUrls);
    await settle(reg, 100);
    const found = await packViolations(asPolicyResources(reg, "k8s"));
    assert.deepEqual(Object.keys(found), ["natsfleet-no-open-cluster-ports"]);
    assert.match(found["natsfleet-no-open-cluster-ports"]!.join("\n"), /7222/);
  });

  it("natsfleet:kubernetes: typos and bad values are named with their path", () => {
    assert.deepEqual(kubernetesOptionsFromConfig(undefined), {});
    assert.deepEqual(kubernetesOptionsFromConfig({ allowedCidrs: ["10.0.0.0/8"], groups: { east: { nodeImage: "node:22-alpine" } } }), {
      allowedCidrs: ["10.0.0.0/8"],
      groups: { east: { nodeImage: "node:22-alpine" } },
    });
    assert.throws(
      () => kubernetesOptionsFromConfig({ allowedCidr: ["10.0.0.0/8"], lameDuckDuration: "30", groups: { east: { storage: {} } } }),
      (e: Error) =>
        /^stack config natsfleet:kubernetes is not valid:/.test(e.message) &&
        e.message.includes("natsfleet:kubernetes.allowedCidr: unknown field") &&
        e.message.includes("natsfleet:kubernetes.lameDuckDuration: must be a duration such as 30s or 1m30s") &&
        e.message.includes("natsfleet:kubernetes.groups.east.storage.size:"),
    );
  });
});
