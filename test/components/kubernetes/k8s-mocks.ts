/**
 * Mocks for the Kubernetes target: the shared recorder (../mocks) plus what a cluster would
 * fill in (a LoadBalancer Service's ingress address), and a parent recorder: the mock monitor
 * is not told parents, so a `transformations` option on the root component reports them.
 */
import * as pulumi from "@pulumi/pulumi";
import { Registered, RANDOM_PASSWORD, mockPassword } from "../mocks";

export const SERVICE = "kubernetes:core/v1:Service";
export const STS = "kubernetes:apps/v1:StatefulSet";
export const SECRET = "kubernetes:core/v1:Secret";
export const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
export const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
export const NAMESPACE = "kubernetes:core/v1:Namespace";
export const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
export const K8S_PROVIDER = "pulumi:providers:kubernetes";

/** The address the mocked load balancer controller gives a Service. */
export function lbHostname(resourceName: string): string {
  return `${resourceName}.lb.example.net`;
}

/**
 * Recorder with LoadBalancer status, for the Kubernetes target. `preview`: a preview of a new
 * stack, where no load balancer has an address yet (its status stays unknown).
 */
export async function installK8sMocks(stack: string, config: Record<string, string> = {}, preview = false): Promise<Registered[]> {
  const registered: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs, custom: !!args.custom, provider: args.provider });
        const state: Record<string, any> = { ...args.inputs };
        if (args.type === RANDOM_PASSWORD) state.result = mockPassword(args.name);
        // @pulumi/tls outputs, recognizable in configs and Secrets
        if (args.type === "tls:index/privateKey:PrivateKey") state.privateKeyPem = `KEY(${args.name})`;
        if (args.type === "tls:index/certRequest:CertRequest") state.certRequestPem = `CSR(${args.name})`;
        if (args.type === "tls:index/selfSignedCert:SelfSignedCert" || args.type === "tls:index/locallySignedCert:LocallySignedCert") state.certPem = `CERT(${args.name})`;
        if (!preview && args.type === SERVICE && args.inputs?.spec?.type === "LoadBalancer") {
          state.status = { loadBalancer: { ingress: [{ hostname: lbHostname(args.name) }] } };
        }
        return { id: args.custom ? `${args.name}-id` : undefined, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    "natsfleet",
    stack,
    preview,
  );
  pulumi.runtime.setAllConfig(config);
  return registered;
}

/** Resource name -> its parent's name and type, filled by `recordParents()`. */
export type Parents = Map<string, { type: string; parent?: string; parentType?: string }>;

/** A `transformations` entry that records every descendant's parent. */
export function recordParents(parents: Parents): pulumi.ResourceTransformation {
  return (args) => {
    const p = args.opts.parent as unknown as { __name?: string; __pulumiType?: string } | undefined;
    parents.set(args.name, { type: args.type, ...(p?.__name ? { parent: p.__name } : {}), ...(p?.__pulumiType ? { parentType: p.__pulumiType } : {}) });
    return undefined;
  };
}
