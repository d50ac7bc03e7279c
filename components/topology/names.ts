/**
 * Names the model hands out and every consumer must agree on: secret keys (one generated
 * password each), the service users in route/gateway/leaf credentials, the system account.
 */

/** Default system account name when one is needed and none is declared. */
export const DEFAULT_SYSTEM_ACCOUNT = "SYS";

/** Secret keys, kept in one place so the Pulumi program and local runner agree. */
export const secretKeys = {
  user: (account: string, user: string) => `user:${account}:${user}`,
  route: (cluster: string) => `route:${cluster}`,
  gateway: () => "gateway",
  leaf: (leafnode: string) => `leaf:${leafnode}`,
};

/** User names the renderer puts in route/gateway URLs and leafnode authorization. */
export const serviceUsers = {
  route: "route",
  gateway: "gateway",
  leaf: (leafnode: string) => `leaf-${leafnode}`,
};
