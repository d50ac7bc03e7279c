/**
 * Pulumi under mocks: every registration is recorded so tests can assert on the whole graph.
 * Dynamic resources register as custom resources whose provider code never runs here.
 */
import * as pulumi from "@pulumi/pulumi";

/** One `newResource` call. */
export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
  custom: boolean;
  provider?: string;
}

export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";

/** Mock password for a RandomPassword resource: derived from its name, so tests can predict configs. */
export function mockPassword(resourceName: string): string {
  return `pw${resourceName.replace(/[^A-Za-z0-9]/g, "")}`;
}

/**
 * Install fresh mocks for `stack` (and the given config) and return the list they fill.
 * Call before constructing anything: a resource built before setMocks never registers.
 */
export async function installMocks(stack: string, config: Record<string, string> = {}, preview = false): Promise<Registered[]> {
  const registered: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs, custom: !!args.custom, provider: args.provider });
        const state: Record<string, any> = { ...args.inputs };
        if (args.type === RANDOM_PASSWORD) state.result = mockPassword(args.name);
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

/** Resolve an Output's value (under mocks with preview=false every value is known). */
export function resolve<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((r) => o.apply((v) => r(v)));
}

/** True when the Output is marked secret. */
export function isSecret(o: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(o);
}

/**
 * Wait until no new registration has arrived for a few event-loop turns: registrations of
 * resources whose inputs were Outputs land asynchronously.
 */
export async function settle(registered: Registered[], quietMs = 50, maxMs = 20000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = -1;
  while (Date.now() < deadline) {
    if (registered.length === last) return;
    last = registered.length;
    await new Promise((r) => setTimeout(r, quietMs));
  }
  throw new Error(`registrations still arriving after ${maxMs} ms (${registered.length} so far)`);
}
