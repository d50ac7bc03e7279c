/**
 * Target `kubernetes`: each cluster or leaf node is a StatefulSet in a namespace of a
 * Kubernetes cluster (one provider per kubeconfig context).
 *
 * Allocate: the namespace and, for clusters that accept gateways or leaf nodes, the external
 * Service whose address every server advertises; routes use pod DNS names, known in advance.
 * Deploy: the configs (a Secret, one file per pod: they carry passwords), the reloader script,
 * the broker bundle, the Services, the PodDisruptionBudget and the StatefulSet.
 */
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CHANNEL_CREDS } from "../common/hub-credentials";
import type { KubernetesTarget as KubernetesTargetModel, Ports, ServerAddress, TlsFiles } from "../topology/model";
import { LISTENERS } from "../topology/model";
import type { Allocation, DeployRequest, DeployedServer, NodeGroup, Target } from "../target";
import { BundleData, bundleData, brokerProcess } from "./broker";
import { lameDuckProblems, podConfig } from "./config";
import { GROUP_ANNOTATION, GroupNames, groupNames, objectLabels, podDns, podName, serviceDns } from "./names";
import { K8S_DEFAULTS, KubernetesGroupOptions, KubernetesTargetOptions, groupOptions } from "./options";
import { POD_PATHS, RELOADER_FILE, RELOADER_SCRIPT } from "./reloader";
import { Pki, groupUsesTls, sharedPki, superClusterName } from "../common/pki";
import { cidrProblems, hostCidr } from "../common/firewall";
import * as spec from "./spec";

/**
 * A deployment the target refuses, naming the group and what to change. A RunError, so
 * `pulumi up` prints the message alone, without a stack trace.
 */
export class KubernetesTargetError extends pulumi.RunError {
  constructor(group: NodeGroup, problems: string[]) {
    super(`kubernetes target, ${group.kind === "cluster" ? "cluster" : "leaf node"} ${group.name} (${group.path}):\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "KubernetesTargetError";
  }
}

/** What allocate leaves for deploy, per group. */
interface Allocated {
  names: GroupNames;
  namespace: string;
  ports: Ports;
  options: KubernetesGroupOptions;
  provider?: k8s.Provider;
  namespaceResource?: k8s.core.v1.Namespace;
  external?: k8s.core.v1.Service;
  /** Set when the group uses TLS: the super-cluster's CA. */
  pki?: Pki;
  addresses: Record<string, ServerAddress<pulumi.Input<string>>>;
}

/** Where a pod finds its external hub's `.creds` file: a key of the config Secret. */
export const POD_CREDS_FILE = `${POD_PATHS.configDir}/${CHANNEL_CREDS}`;

/** Where a pod finds its certificate files (the TLS Secret's keys, mounted whole). */
export function podTlsFiles(pod: string): TlsFiles {
  return { certFile: `${POD_PATHS.tlsDir}/${pod}.crt`, keyFile: `${POD_PATHS.tlsDir}/${pod}.key`, caFile: `${POD_PATHS.tlsDir}/ca.crt` };
}

function k8sModel(group: NodeGroup): KubernetesTargetModel {
  if (group.target.kind !== "kubernetes") throw new Error(`internal: group ${group.name} has target ${group.target.kind}, not kubernetes`);
  return group.target;
}

/** Resource-name-safe form of a context or namespace. */
function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, "-");
}

/** The first address of a LoadBalancer Service, failing loudly when there is none yet. */
function loadBalancerAddress(svc: k8s.core.v1.Service, what: string): pulumi.Output<string> {
  return svc.status.apply((status) => {
    const first = status?.loadBalancer?.ingress?.find((i) => i.ip || i.hostname);
    const addr = first?.ip || first?.hostname;
    if (!addr) throw new Error(`${what}: the LoadBalancer Service has no ingress address (is a load balancer controller running?)`);
    return addr;
  });
}

export class KubernetesTarget implements Target {
  readonly kind = "kubernetes" as const;
  private readonly providers = new Map<string, k8s.Provider | undefined>();
  private readonly namespaces = new Map<string, k8s.core.v1.Namespace>();
  private readonly allocated = new Map<string, Allocated>();
  private bundle?: BundleData;

  constructor(private readonly opts: KubernetesTargetOptions = {}) {}

  allocate(group: NodeGroup, parent: pulumi.Resource, prefix: string): Allocation {
    const model = k8sModel(group);
    const options = groupOptions(this.opts, group.name);
    const ports = this.sharedPorts(group);
    const problems = [...lameDuckProblems(options), ...cidrProblems(options.allowedCidrs ?? [], "allowedCidrs", true)];
    const external = group.kind === "cluster" ? spec.externalListeners(ports) : [];
    if (external.length > 0) {
      if (model.serviceType === "NodePort") {
        problems.push(`serviceType NodePort cannot carry ${external.join(" and ")}: node ports differ from the ports servers advertise; use LoadBalancer or ClusterIP`);
      }
      if (model.serviceType === "LoadBalancer" && !(options.allowedCidrs?.length)) {
        problems.push(`a LoadBalancer for ${external.join(" and ")} needs allowedCidrs (the other clusters' and leaf nodes' source ranges); without them the ports are open to the internet`);
      }
    }
    if (ports.http <= 0) problems.push("the monitoring (http) port is needed for the /healthz probes");
    if (problems.length) throw new KubernetesTargetError(group, problems);

    // providers, namespaces and the CA are per SuperCluster, named after it
    const scope = superClusterName(prefix, group);
    const provider = this.providerFor(model.context, parent, scope);
    const namespaceResource = this.namespaceFor(model, provider, parent, scope);
    const names = groupNames(group.name);
    const domain = this.opts.clusterDomain ?? K8S_DEFAULTS.clusterDomain;
    const state: Allocated = { names, namespace: model.namespace, ports, options, provider, namespaceResource, addresses: {} };
    if (groupUsesTls(group)) state.pki = sharedPki(parent, scope);

    let advertise: pulumi.Input<string> | undefined;
    if (external.length > 0) {
      const type = model.serviceType === "LoadBalancer" ? "LoadBalancer" : "ClusterIP";
      state.external = new k8s.core.v1.Service(
        `${prefix}-external`,
        spec.externalService({ names, namespace: model.namespace, groupName: group.name, kind: group.kind, ports, options }, type),
        this.resourceOptions(parent, state),
      );
      advertise = type === "LoadBalancer" ? loadBalancerAddress(state.external, `${group.name} external Service`) : serviceDns(names.external, model.namespace, domain);
    }
    this.allocated.set(prefix, state);

    const alloc: Allocation = { addresses: state.addresses };
    if (state.pki) alloc.tlsFiles = {};
    for (const server of group.servers) {
      const host = podDns(names, server.index, model.namespace, domain);
      alloc.addresses[server.name] = advertise === undefined ? { host } : { host, advertise };
      if (alloc.tlsFiles) alloc.tlsFiles[server.name] = podTlsFiles(podName(names, server.index));
      if (group.externalHub?.credentials) (alloc.credentialsFiles ??= {})[server.name] = POD_CREDS_FILE;
    }
    return alloc;
  }

  deploy(req: DeployRequest): DeployedServer[] {
    const group = req.group;
    // SuperCluster deploys under the prefix it allocated with (`${superCluster}-${group}`)
    const state = this.allocated.get(req.prefix);
    if (!state) throw new Error(`internal: kubernetes group ${group.name} deployed before it was allocated`);
    const { names, options } = state;
    const opts = this.resourceOptions(req.parent, state);

    // configs keyed by pod name: the pod template reads `$(POD_NAME).conf`
    const files: Record<string, pulumi.Output<string>> = {};
    for (const server of group.servers) {
      const config = req.configs[server.name];
      if (!config) throw new Error(`internal: no rendered config for server ${server.name}`);
      files[`${podName(names, server.index)}.conf`] = config.apply((text) => podConfig(text, options));
    }
    // the hub's .creds travel in the same Secret, next to the configs (never a ConfigMap)
    if (req.hubCredentials) files[CHANNEL_CREDS] = req.hubCredentials;
    const metadata = (name: string) => ({ name, namespace: state.namespace, labels: objectLabels(names, group.kind, options.labels), annotations: { [GROUP_ANNOTATION]: group.name } });
    const configSecret = new k8s.core.v1.Secret(
      `${req.prefix}-config`,
      { metadata: metadata(names.config), type: "Opaque", stringData: pulumi.secret(pulumi.all(files)) },
      { ...opts, additionalSecretOutputs: ["data", "stringData"] },
    );
    const scripts = new k8s.core.v1.ConfigMap(`${req.prefix}-scripts`, { metadata: metadata(names.scripts), data: { [RELOADER_FILE]: RELOADER_SCRIPT } }, opts);
    const dependsOn: pulumi.Resource[] = [configSecret, scripts];
    if (state.pki) dependsOn.push(this.tlsSecret(req, state, metadata(names.tls)));

    let bundle: BundleData | undefined;
    if (group.broker === "natsfleet" && !options.natsfleetImage) {
      bundle = this.bundleData(group);
      dependsOn.push(
        new k8s.core.v1.ConfigMap(
          `${req.prefix}-broker`,
          { metadata: metadata(names.broker), ...(bundle.data ? { data: bundle.data } : {}), ...(bundle.binaryData ? { binaryData: bundle.binaryData } : {}) },
          opts,
        ),
      );
    }
    const g: spec.GroupSpec = {
      names,
      namespace: state.namespace,
      groupName: group.name,
      kind: group.kind,
      replicas: group.servers.length,
      ports: state.ports,
      options,
      ...(k8sModel(group).storageClass ? { storageClass: k8sModel(group).storageClass } : {}),
      broker: brokerProcess(group.broker, options, bundle, names.broker),
      tls: state.pki !== undefined,
    };
    const headless = new k8s.core.v1.Service(`${req.prefix}-headless`, spec.headlessService(g), opts);
    new k8s.core.v1.Service(`${req.prefix}-client`, spec.clientService(g), opts);
    new k8s.policy.v1.PodDisruptionBudget(`${req.prefix}-pdb`, spec.podDisruptionBudget(g), opts);
    const policy = spec.networkPolicy(g, gatewayPeerCidrs(req));
    if (policy) new k8s.networking.v1.NetworkPolicy(`${req.prefix}-netpol`, policy, opts);
    const sts = new k8s.apps.v1.StatefulSet(`${req.prefix}-sts`, spec.statefulSet(g), { ...opts, dependsOn: [...dependsOn, headless] });

    const domain = this.opts.clusterDomain ?? K8S_DEFAULTS.clusterDomain;
    return group.servers.map((server) => {
      const host = podDns(names, server.index, state.namespace, domain);
      return {
        name: server.name,
        clientUrl: sts.id.apply(() => `nats://${host}:${state.ports.client}`),
        monitorUrl: sts.id.apply(() => `http://${host}:${state.ports.http}`),
        resources: [sts],
      };
    });
  }

  /**
   * One certificate per server, all in one Secret mounted whole: a new server adds keys and
   * a renewed certificate changes a file, never the pod template; the reloader sees both.
   */
  private tlsSecret(req: DeployRequest, state: Allocated, metadata: { name: string; namespace: string }): k8s.core.v1.Secret {
    const domain = this.opts.clusterDomain ?? K8S_DEFAULTS.clusterDomain;
    const files: Record<string, pulumi.Input<string>> = { "ca.crt": state.pki!.caPem };
    for (const server of req.group.servers) {
      const pod = podName(state.names, server.index);
      const cert = state.pki!.serverCert(
        {
          server: server.name,
          address: state.addresses[server.name]!,
          // clients inside the cluster come through the client Service, peers by Service names
          extra: [serviceDns(state.names.client, state.namespace, domain), serviceDns(state.names.external, state.namespace, domain), pod],
        },
        req.parent,
        `${req.prefix}-${server.name}`,
      );
      files[`${pod}.crt`] = cert.certPem;
      files[`${pod}.key`] = cert.keyPem;
    }
    return new k8s.core.v1.Secret(
      `${req.prefix}-tls`,
      { metadata, type: "Opaque", stringData: pulumi.secret(pulumi.all(files)) },
      { ...this.resourceOptions(req.parent, state), additionalSecretOutputs: ["data", "stringData"] },
    );
  }

  /** One pod template serves every server, so a group's servers must share their ports. */
  private sharedPorts(group: NodeGroup): Ports {
    const first = group.servers[0];
    if (!first) throw new KubernetesTargetError(group, ["has no servers"]);
    const differ = group.servers.filter((s) => LISTENERS.some((l) => s.ports[l] !== first.ports[l]));
    if (differ.length) {
      throw new KubernetesTargetError(group, [`servers ${differ.map((s) => s.name).join(", ")} declare ports other than ${first.name}'s; on Kubernetes every server of a group uses the same ports`]);
    }
    return first.ports;
  }

  private resourceOptions(parent: pulumi.Resource, state: Pick<Allocated, "provider" | "namespaceResource">): pulumi.CustomResourceOptions {
    return {
      parent,
      ...(state.provider ? { provider: state.provider } : {}),
      ...(state.namespaceResource ? { dependsOn: [state.namespaceResource] } : {}),
      // names are fixed (peers' configs hold them): a replacement must free the name first
      deleteBeforeReplace: true,
    };
  }

  /**
   * The provider of a kubeconfig context: given, or made once per context. Made ones let
   * ConfigMaps and Secrets change in place; otherwise a config change would replace them.
   */
  private providerFor(context: string | undefined, parent: pulumi.Resource, scope: string): k8s.Provider | undefined {
    const key = `${scope}\0${context ?? ""}`;
    if (this.providers.has(key)) return this.providers.get(key);
    let provider = context === undefined ? this.opts.provider : this.opts.providers?.[context];
    if (!provider) {
      provider = new k8s.Provider(
        `${scope}-k8s-${context === undefined ? "default" : slug(context)}`,
        { ...(context !== undefined ? { context } : {}), enableConfigMapMutable: true, enableSecretMutable: true },
        { parent },
      );
    }
    this.providers.set(key, provider);
    return provider;
  }

  private namespaceFor(model: KubernetesTargetModel, provider: k8s.Provider | undefined, parent: pulumi.Resource, scope: string): k8s.core.v1.Namespace | undefined {
    if (this.opts.existingNamespace) return undefined;
    const key = `${scope}\0${model.context ?? ""}\0${model.namespace}`;
    let ns = this.namespaces.get(key);
    if (!ns) {
      const name = `${scope}-ns-${model.context === undefined ? "" : `${slug(model.context)}-`}${slug(model.namespace)}`;
      ns = new k8s.core.v1.Namespace(
        name,
        { metadata: { name: model.namespace, labels: { "app.kubernetes.io/managed-by": "natsfleet" } } },
        { parent, ...(provider ? { provider } : {}) },
      );
      this.namespaces.set(key, ns);
    }
    return ns;
  }

  private bundleData(group: NodeGroup): BundleData {
    if (this.bundle) return this.bundle;
    let text: string;
    try {
      const given = this.opts.bundle;
      text = typeof given === "string" ? given : given ? given() : defaultBundle();
    } catch (e) {
      throw new KubernetesTargetError(group, [`broker natsfleet needs the natsfleet-server bundle: ${(e as Error).message}`, "or give the target a natsfleetImage"]);
    }
    try {
      this.bundle = bundleData(text);
    } catch (e) {
      throw new KubernetesTargetError(group, [(e as Error).message]);
    }
    return this.bundle;
  }
}

/**
 * Host CIDRs of the other clusters' advertised addresses, for the gateway rule. Names (a
 * cloud load balancer's DNS name) cannot go in a NetworkPolicy: those peers need allowedCidrs.
 */
function gatewayPeerCidrs(req: DeployRequest): pulumi.Output<string[]> {
  const ctx = req.context;
  if (!ctx || req.group.kind !== "cluster" || !ctx.model.gateways.enabled) return pulumi.output([]);
  const peers = ctx.model.clusters.filter((c) => c.name !== req.group.name).flatMap((c) => c.servers.map((s) => ctx.addresses[s.name]));
  return pulumi
    .all(peers.map((a) => (a ? pulumi.output(a.advertise ?? a.host) : pulumi.output(""))))
    .apply((list) => [...new Set(list.filter((a) => net.isIP(a.replace(/^\[|\]$/g, "")) !== 0).map(hostCidr))].sort());
}

/** The bundle built from this checkout (components/common/bundle.ts), loaded only when needed. */
function defaultBundle(): string {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { brokerBundle } = require("../common/bundle") as typeof import("../common/bundle");
  return brokerBundle().text;
}
