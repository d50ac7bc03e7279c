/**
 * Runs policies the way the engine would, on the resources of a real program run under
 * Pulumi mocks (the components tests' mock harness): secrets unwrapped as the analyzer does,
 * policy config defaults from each policy's schema, `notApplicable` as a sentinel.
 */
import type { Policy, PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { installMocks, settle, Registered } from "../components/mocks";
import { policies } from "../../policies/policies";

/** How a secret reaches the mock monitor (the analyzer hands policies the plain value). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

class NotApplicable extends Error {}

function unwrap(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrap);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (SECRET_SIG in o && "value" in o) return unwrap(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrap(x)]));
  }
  return v;
}

/** Runs `program` under fresh mocks and returns every registration once they stop arriving. */
export async function runProgram(stack: string, program: () => void, config: Record<string, string> = {}): Promise<Registered[]> {
  const reg = await installMocks(stack, config);
  program();
  await settle(reg, 100);
  return reg;
}

/** The registrations as the policy engine's resources (inputs as props, secrets unwrapped). */
export function asPolicyResources(reg: Registered[], stack = "test"): PolicyResource[] {
  return reg.map((r) => {
    const { __provider, ...props } = r.inputs;
    void __provider;
    const res: Partial<PolicyResource> = {
      type: r.type,
      name: r.name,
      urn: `urn:pulumi:${stack}::natsfleet::${r.type}::${r.name}`,
      props: unwrap(props) as Record<string, any>,
      dependencies: [],
      propertyDependencies: {},
    };
    return res as PolicyResource;
  });
}

function configFor(policy: Policy, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    if ((schema as { default?: unknown }).default !== undefined) out[k] = structuredClone((schema as { default?: unknown }).default);
  }
  return { ...out, ...overrides };
}

/** Violations of one policy over the resources, as `message` strings, sorted (registration order under mocks is not stable). */
export async function violations(policy: Policy, resources: PolicyResource[], config: Record<string, unknown> = {}): Promise<string[]> {
  const out: string[] = [];
  const cfg = configFor(policy, config);
  const notApplicable = (): never => {
    throw new NotApplicable();
  };
  if ("validateStack" in policy) {
    const args: StackValidationArgs = { resources, stackTags: new Map(), getConfig: <T extends object>() => cfg as T, notApplicable };
    try {
      await (policy as StackValidationPolicy).validateStack(args, (m) => out.push(m));
    } catch (e) {
      if (!(e instanceof NotApplicable)) throw e;
    }
    return out.sort();
  }
  const rp = policy as ResourceValidationPolicy;
  const fns = rp.validateResource === undefined ? [] : Array.isArray(rp.validateResource) ? rp.validateResource : [rp.validateResource];
  for (const r of resources) {
    const args = {
      type: r.type,
      props: r.props,
      urn: r.urn,
      name: r.name,
      opts: {} as ResourceValidationArgs["opts"],
      stackTags: new Map(),
      isType: () => false,
      asType: () => undefined,
      getConfig: <T extends object>() => cfg as T,
      notApplicable,
    } as unknown as ResourceValidationArgs;
    for (const fn of fns) {
      try {
        await fn(args, (m) => out.push(m));
      } catch (e) {
        if (!(e instanceof NotApplicable)) throw e;
      }
    }
  }
  return out.sort();
}

/** Every policy of the pack over the resources: policy name -> its violations (only those with any). */
export async function packViolations(resources: PolicyResource[], config: Record<string, Record<string, unknown>> = {}): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const p of policies) {
    const v = await violations(p, resources, config[p.name]);
    if (v.length) out[p.name] = v;
  }
  return out;
}
