/**
 * Mocks for cloud targets: like ../mocks.ts (same Registered records, same predictable
 * RandomPassword results), plus the outputs clouds compute (private and public IPs, bucket
 * names, ARNs, PEMs), the data-source calls (AMI, zones, images), and a record of which
 * inputs arrived as secrets (the mock monitor unwraps secrets before `newResource` sees them).
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { mockPassword, RANDOM_PASSWORD, Registered } from "../mocks";

export type { Registered } from "../mocks";
export { resolve, settle } from "../mocks";

/** The secret marker of Pulumi's wire format. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export interface CloudMocks {
  registered: Registered[];
  /** Resource name -> top-level input keys that were secret on the wire. */
  secretInputs: Map<string, Set<string>>;
  /** Data-source calls: token and inputs. */
  calls: Array<{ token: string; inputs: Record<string, any> }>;
}

const h = (s: string) => crypto.createHash("sha256").update(s).digest();

/** A deterministic private IP per resource name (same name, same address, across runs). */
export function mockPrivateIp(name: string): string {
  const b = h(name);
  return `10.42.${b[0]! % 3}.${10 + (b[1]! % 240)}`;
}
/** A deterministic public IP per resource name, from the documentation ranges. */
export function mockPublicIp(name: string): string {
  const b = h(`pub:${name}`);
  return `${b[0]! % 2 ? "198.51.100" : "203.0.113"}.${1 + (b[1]! % 254)}`;
}

function state(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  const s: Record<string, any> = { ...inputs };
  const lower = name.toLowerCase();
  switch (type) {
    case RANDOM_PASSWORD:
      s.result = mockPassword(name);
      break;
    case "aws:ec2/networkInterface:NetworkInterface":
      s.privateIp = mockPrivateIp(name);
      s.privateDnsName = `ip-${s.privateIp.replace(/\./g, "-")}.ec2.internal`;
      break;
    case "aws:ec2/eip:Eip":
      s.publicIp = mockPublicIp(name);
      s.publicDns = `ec2-${s.publicIp.replace(/\./g, "-")}.compute.amazonaws.com`;
      break;
    case "aws:s3/bucket:Bucket":
      s.bucket = `${lower}-0123abc`;
      s.arn = `arn:aws:s3:::${s.bucket}`;
      break;
    case "aws:iam/role:Role":
      s.name = `${name}-x1`;
      s.arn = `arn:aws:iam::123456789012:role/${s.name}`;
      break;
    case "aws:iam/instanceProfile:InstanceProfile":
      s.name = `${name}-x1`;
      break;
    case "gcp:compute/address:Address":
      s.address = inputs.address ?? (inputs.addressType === "INTERNAL" ? mockPrivateIp(name) : mockPublicIp(name));
      s.selfLink = `https://www.googleapis.com/compute/v1/projects/p/regions/r/addresses/${name}`;
      break;
    case "gcp:serviceaccount/account:Account":
      s.email = `${inputs.accountId}@p.iam.gserviceaccount.com`;
      s.name = `projects/p/serviceAccounts/${s.email}`;
      break;
    case "tls:index/privateKey:PrivateKey":
      s.privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${name}\n-----END PRIVATE KEY-----\n`;
      break;
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      s.certPem = `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`;
      break;
    case "tls:index/certRequest:CertRequest":
      s.certRequestPem = `-----BEGIN CERTIFICATE REQUEST-----\n${name}\n-----END CERTIFICATE REQUEST-----\n`;
      break;
  }
  if (s.selfLink === undefined && type.startsWith("gcp:")) s.selfLink = `https://www.googleapis.com/compute/v1/projects/p/${name}`;
  return s;
}

/** The hosted zone id the Route53 zone lookup returns. */
export const MOCK_HOSTED_ZONE = "ZMOCK0123456789";
/** The id the managed prefix list lookup returns for a list name. */
export const mockPrefixListId = (name: string) => `pl-${crypto.createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
/** What the ip-ranges lookup returns for Route53's health checkers (a few of AWS's real ROUTE53_HEALTHCHECKS ranges). */
export const MOCK_ROUTE53_CHECKERS = { cidrBlocks: ["15.177.0.0/18", "54.228.16.0/26", "54.243.31.192/26", "54.255.254.192/26"], ipv6CidrBlocks: ["2600:1f14:7ff:f800::/56"] };
/** The project's Cloud DNS managed zones: a public and a private zone for example.com. */
export const MOCK_MANAGED_ZONES = [
  { name: "example-com", dnsName: "example.com.", visibility: "public", id: "projects/p/managedZones/example-com", managedZoneId: "1", description: "", nameServers: [] },
  { name: "example-com-internal", dnsName: "example.com.", visibility: "private", id: "projects/p/managedZones/example-com-internal", managedZoneId: "2", description: "", nameServers: [] },
];

function callResult(token: string, inputs: Record<string, any>): Record<string, any> {
  switch (token) {
    case "aws:ec2/getAmi:getAmi":
      return { ...inputs, id: "ami-0123456789abcdef0", name: "al2023-ami-2023.6-kernel-6.1-x86_64" };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return { ...inputs, names: ["zone-a", "zone-b", "zone-c"], zoneIds: ["z1", "z2", "z3"] };
    case "aws:ec2/getSubnet:getSubnet":
      return { ...inputs, vpcId: "vpc-existing" };
    case "aws:route53/getZone:getZone":
      return { ...inputs, id: MOCK_HOSTED_ZONE, zoneId: MOCK_HOSTED_ZONE };
    case "aws:ec2/getManagedPrefixList:getManagedPrefixList":
      return { ...inputs, id: mockPrefixListId(inputs.name) };
    case "aws:index/getIpRanges:getIpRanges":
      if (inputs.services?.join() !== "route53_healthchecks") throw new Error(`mock getIpRanges: no ranges for services ${JSON.stringify(inputs.services)}`);
      return { ...inputs, id: "ip-ranges", createDate: "2026-11-01-00-00-00", syncToken: 1793491200, ...MOCK_ROUTE53_CHECKERS };
    case "gcp:dns/getManagedZones:getManagedZones":
      return { ...inputs, id: "mz", managedZones: MOCK_MANAGED_ZONES };
    case "gcp:compute/getImage:getImage":
      return { ...inputs, selfLink: `https://www.googleapis.com/compute/v1/projects/${inputs.project}/global/images/${inputs.family}-20261101` };
    default:
      return inputs;
  }
}

function secretKeys(raw: Record<string, any>): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(raw)) if (v && typeof v === "object" && v[SIG_KEY] === SECRET_SIG) out.add(k);
  return out;
}

/** Install fresh cloud mocks; call before constructing anything. */
export async function installCloudMocks(stack: string, config: Record<string, string> = {}): Promise<CloudMocks> {
  const m: CloudMocks = { registered: [], secretInputs: new Map(), calls: [] };
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        m.registered.push({ type: args.type, name: args.name, inputs: args.inputs, custom: !!args.custom, provider: args.provider });
        return { id: args.custom ? `${args.name}-id` : undefined, state: state(args.type, args.name, args.inputs) };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        m.calls.push({ token: args.token, inputs: args.inputs });
        return callResult(args.token, args.inputs);
      },
    },
    "natsfleet",
    stack,
    false,
  );
  // the raw request still carries secret markers: record them per resource
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, cb: any) => {
    m.secretInputs.set(req.getName(), secretKeys(req.getObject().toJavaScript()));
    return register(req, cb);
  };
  pulumi.runtime.setAllConfig(config);
  return m;
}

/** Registrations of one type. */
export function ofType(m: CloudMocks, type: string): Registered[] {
  return m.registered.filter((r) => r.type === type);
}

/** The one registration named `name` (throws, listing near names, when absent). */
export function named(m: CloudMocks, name: string): Registered {
  const r = m.registered.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name}; have ${m.registered.map((x) => x.name).filter((n) => n.startsWith(name.slice(0, 8))).join(", ")}`);
  return r;
}

/** `urn::id` provider reference -> the provider's resource name. */
export function providerName(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const urn = ref.split("::").slice(0, -1).join("::");
  return urn.split("::").pop();
}

/** True when shellcheck is installed (Debian package `shellcheck`). */
export function haveShellcheck(): boolean {
  try {
    require("child_process").execFileSync("shellcheck", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** shellcheck's findings on `script` ("" when clean). */
export function shellcheck(script: string): string {
  const r = require("child_process").spawnSync("shellcheck", ["-s", "bash", "-"], { input: script, encoding: "utf8" });
  return r.status === 0 ? "" : `${r.stdout}${r.stderr}`;
}

/** An input as its plain value (the mock monitor hands some secrets over still wrapped). */
export function plain<T = any>(v: any): T {
  return v && typeof v === "object" && v[SIG_KEY] === SECRET_SIG ? (v.value as T) : (v as T);
}
