/**
 * The declaration's structure as a zod schema: types, enums, unknown keys, ranges. Rules that
 * relate fields to each other (unique names, references, ports) live in validate.ts, which
 * only runs on input this schema accepted, so it can trust the shape.
 */
import { z } from "zod";
import type { BrokerKind, GatewayMode, TargetKind, TopologyDeclaration } from "./model";
import { BROKER_KINDS, GATEWAY_MODES, LISTENERS, TARGET_KINDS } from "./model";
import type { TopologyIssue } from "./errors";

/**
 * Names end up as server names, cluster names, file names and DNS labels, so they are kept to
 * a portable alphabet.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const NAME_RULE = "letters, digits, '-' and '_' only, starting with a letter or digit, at most 63 characters";

/** A DNS name (trailing dot optional): labels of letters, digits and '-'. */
const DNS_NAME = /^(?=.{1,253}\.?$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/;

const name = z.string().regex(NAME_PATTERN, { error: `must be a name: ${NAME_RULE}` });
const port = z.number().int({ error: "must be a whole number" }).min(1, { error: "must be a port from 1 to 65535" }).max(65535, {
  error: "must be a port from 1 to 65535",
});
const portsShape = z.strictObject({
  client: port.optional(),
  cluster: port.optional(),
  gateway: port.optional(),
  leafnode: port.optional(),
  http: port.optional(),
});
const subjects = z.array(z.string().min(1, { error: "a subject cannot be empty" }));
const subjectPermission = z.strictObject({ allow: subjects.optional(), deny: subjects.optional() });
const permissions = z.strictObject({ publish: subjectPermission.optional(), subscribe: subjectPermission.optional() });

const user = z.strictObject({
  user: z.string().min(1, { error: "a user name cannot be empty" }),
  password: z.string().min(1, { error: "a password cannot be empty (omit it to have one generated)" }).optional(),
  account: name.optional(),
  permissions: permissions.optional(),
});

const tls = z.strictObject({
  enabled: z.boolean().optional(),
  listeners: z.array(z.enum(LISTENERS.filter((l) => l !== "http") as ["client", "cluster", "gateway", "leafnode"])).optional(),
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  caFile: z.string().min(1).optional(),
});

const server = z.strictObject({ name: name.optional(), ports: portsShape.optional() });

const servers = z.union(
  [
    z.number().int({ error: "must be a whole number" }).min(1, { error: "must be at least 1" }).max(1000, { error: "must be at most 1000" }),
    z.array(server).min(1, { error: "must list at least one server" }),
  ],
  { error: "must be a number of servers or a list of servers" },
);

const targetBlocks = {
  local: z.strictObject({ host: z.string().min(1).optional() }).optional(),
  aws: z
    .strictObject({
      instanceType: z.string().min(1).optional(),
      ami: z.string().min(1).optional(),
      vpcId: z.string().min(1).optional(),
      subnetIds: z.array(z.string().min(1)).optional(),
      keyName: z.string().min(1).optional(),
    })
    .optional(),
  gcp: z
    .strictObject({
      project: z.string().min(1).optional(),
      zone: z.string().min(1).optional(),
      machineType: z.string().min(1).optional(),
      image: z.string().min(1).optional(),
      network: z.string().min(1).optional(),
      subnetwork: z.string().min(1).optional(),
    })
    .optional(),
  kubernetes: z
    .strictObject({
      namespace: z.string().min(1).optional(),
      context: z.string().min(1).optional(),
      serviceType: z.enum(["LoadBalancer", "NodePort", "ClusterIP"]).optional(),
      storageClass: z.string().min(1).optional(),
    })
    .optional(),
};

const groupFields = {
  name,
  target: z.enum(TARGET_KINDS as [TargetKind, ...TargetKind[]]),
  region: z.string().min(1, { error: "a region cannot be empty" }).optional(),
  broker: z.enum(BROKER_KINDS as [BrokerKind, ...BrokerKind[]]).optional(),
  servers: servers.optional(),
  ports: portsShape.optional(),
  tls: tls.optional(),
  ...targetBlocks,
};

const externalHub = z.strictObject({
  url: z.union([z.string().min(1, { error: "a URL cannot be empty" }), z.array(z.string().min(1, { error: "a URL cannot be empty" })).min(1, { error: "must list at least one URL" })], {
    error: "must be a URL or a list of URLs",
  }),
  credentials: z.string().min(1, { error: "cannot be empty (a .creds file path or its contents)" }).optional(),
  account: name.optional(),
  caFile: z.string().min(1).optional(),
});

// production: read by the policy pack and `natsfleet plan` (odd size >= 3), not by rendering (issue 7)
const cluster = z.strictObject({ ...groupFields, routeAuth: z.boolean().optional(), production: z.boolean().optional(), hub: externalHub.optional() });
const leafnode = z.strictObject({
  ...groupFields,
  hub: z.union([name, externalHub], { error: "must be a cluster name or an external hub { url, credentials }" }),
  account: name.optional(),
});

const accountName = z.string().regex(NAME_PATTERN, { error: `must be an account name: ${NAME_RULE}` });

export const topologySchema = z.strictObject({
  name,
  broker: z.enum(BROKER_KINDS as [BrokerKind, ...BrokerKind[]]).optional(),
  accounts: z.record(accountName, z.strictObject({ users: z.array(user).optional() })).optional(),
  users: z.array(user).optional(),
  systemAccount: name.optional(),
  clusters: z.array(cluster).min(1, { error: "declare at least one cluster" }),
  gateways: z
    .union(
      [
        z.enum(GATEWAY_MODES as [GatewayMode, ...GatewayMode[]]),
        z.strictObject({ mode: z.enum(GATEWAY_MODES as [GatewayMode, ...GatewayMode[]]).optional(), auth: z.boolean().optional() }),
      ],
      { error: `must be one of ${GATEWAY_MODES.join(", ")} or { mode, auth }` },
    )
    .optional(),
  leafnodes: z.array(leafnode).optional(),
  tls: tls.optional(),
  localPorts: z.strictObject({ base: port.optional() }).optional(),
  dns: z
    .strictObject({
      zone: z.string().regex(DNS_NAME, { error: "must be a DNS domain such as example.com" }),
      name: z.string().regex(DNS_NAME, { error: "must be a DNS name such as nats.example.com" }),
      ttl: z.number().int({ error: "must be a whole number" }).min(1, { error: "must be at least 1 second" }).max(86400, { error: "must be at most 86400 seconds" }).optional(),
    })
    .optional(),
});

/** What describe() needs from a zod issue (zod 4's issue union, loosely). */
interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  values?: unknown[];
  expected?: string;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `the text ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

const ARTICLE: Record<string, string> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  int: "a whole number",
};

/** Turn zod's issue into our one-line style, naming what was found where it helps. */
function describe(issue: ZodIssueLike, input: unknown): string {
  const found = valueAt(input, issue.path);
  switch (issue.code) {
    case "invalid_type":
      if (found === undefined) return "is required";
      // A Pulumi `secure:` value: only the Pulumi engine can decrypt it.
      if (found !== null && typeof found === "object" && "secure" in found) {
        return "is an encrypted Pulumi secret, which only `pulumi up` can read; outside Pulumi, give it in plain text or omit it to have one generated";
      }
      return `must be ${ARTICLE[issue.expected ?? ""] ?? issue.expected}, got ${kindOf(found)}`;
    case "invalid_value": {
      const options = (issue.values ?? []).map(String).join(", ");
      return `${JSON.stringify(found)} is not one of ${options}`;
    }
    case "unrecognized_keys":
      return ""; // expanded per key by the caller
    case "invalid_key":
      return `is not a valid name: ${NAME_RULE}`;
    default:
      return issue.message;
  }
}

/** Schema issues in our format: one issue per unknown key, paths as arrays of keys/indexes. */
export function schemaIssues(input: unknown): { ok: true; value: TopologyDeclaration } | { ok: false; issues: TopologyIssue[] } {
  const r = topologySchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const issues: TopologyIssue[] = [];
  for (const raw of r.error.issues as unknown as ZodIssueLike[]) {
    const path = raw.path.map((p) => (typeof p === "symbol" ? String(p) : p)) as Array<string | number>;
    if (raw.code === "unrecognized_keys") {
      for (const key of raw.keys ?? []) issues.push({ path: [...path, key], message: "unknown field" });
      continue;
    }
    issues.push({ path, message: describe(raw, input) });
  }
  return { ok: false, issues };
}

// The schema's output must stay assignable to the declaration type written by hand in model.ts;
// this line stops compiling the day they drift apart.
const _schemaMatchesDeclaration = (x: z.output<typeof topologySchema>): TopologyDeclaration => x;
void _schemaMatchesDeclaration;
