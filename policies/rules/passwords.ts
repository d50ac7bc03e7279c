/**
 * No password in plain text where others can read it: users declared with a literal password
 * (it sits in the stack config and state; declare a bcrypt hash or let one be generated), and
 * NATS configs with plain passwords put in places that are not secret stores (a Kubernetes
 * ConfigMap, EC2 user data, GCE metadata, an SSM String parameter).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asString, isObject, plain, topologyOf } from "./common";

/** `password: "x"` / `password = x` whose value is neither a bcrypt hash nor a `$VARIABLE`. */
const PLAIN_PASSWORD = /\b(?:password|pass)\s*[:=]\s*("([^"\\]|\\.)*"|'[^']*'|[^\s,}#]+)/gi;

/** The first plain password assignment in a config text, as `password: "****"` for messages. */
export function plainPasswordIn(text: string): boolean {
  for (const m of text.matchAll(PLAIN_PASSWORD)) {
    const quoted = /^["']/.test(m[1]!);
    const v = m[1]!.replace(/^["']|["']$/g, "");
    if (/^\$2[aby]\$/.test(v) || /^\$[A-Za-z_]/.test(v) || v === "") continue;
    // `password: opts.password` in a script or bundled code is a reference, not a value
    if (!quoted && /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$/.test(v)) continue;
    return true;
  }
  return false;
}

/** Non-secret text inputs of the resource types that carry configs, by type token. */
function exposedTexts(type: string, props: Record<string, any>): Array<{ where: string; text: string }> {
  const out: Array<{ where: string; text: string }> = [];
  const push = (where: string, v: unknown) => {
    const s = asString(v);
    if (s !== undefined) out.push({ where, text: s });
  };
  switch (type) {
    case "kubernetes:core/v1:ConfigMap": {
      // config files only: a ConfigMap may also carry scripts or bundled code
      const data = plain(props.data);
      if (isObject(data)) for (const [k, v] of Object.entries(data)) if (/\.(conf|cfg)$/.test(k)) push(`data.${k}`, v);
      break;
    }
    case "aws:ec2/instance:Instance":
    case "aws:ec2/launchTemplate:LaunchTemplate": {
      const ud = asString(props.userData);
      if (ud !== undefined) out.push({ where: "userData", text: /^[A-Za-z0-9+/=\s]+$/.test(ud) && ud.length % 4 === 0 ? Buffer.from(ud, "base64").toString("utf8") : ud });
      break;
    }
    case "aws:ssm/parameter:Parameter":
      if (asString(props.type) !== "SecureString") push("value", props.value);
      break;
    case "gcp:compute/instance:Instance":
    case "gcp:compute/instanceTemplate:InstanceTemplate": {
      push("metadataStartupScript", props.metadataStartupScript);
      const md = plain(props.metadata);
      if (isObject(md)) for (const [k, v] of Object.entries(md)) push(`metadata.${k}`, v);
      break;
    }
  }
  return out;
}

export const noPlaintextPasswords: ResourceValidationPolicy = {
  name: "natsfleet-no-plaintext-passwords",
  description: "No user password declared in plain text, and no NATS config with plain passwords outside a secret store.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const rec = topologyOf(args);
    if (rec) {
      for (const [account, a] of Object.entries(rec.topology.accounts)) {
        for (const [user, u] of Object.entries(a?.users ?? {})) {
          if (u?.password === "plain") {
            reportViolation(`topology ${rec.topology.name}: user ${user} of account ${account} has a plain-text password in the stack config; declare a bcrypt hash ($2a$...) or leave it out to have one generated as a secret`);
          }
        }
      }
      return;
    }
    for (const { where, text } of exposedTexts(args.type, args.props ?? {})) {
      if (plainPasswordIn(text)) reportViolation(`${args.type} ${args.name}: ${where} holds a plain-text password readable by anyone who can read the resource; keep configs with passwords in a Secret / SecureString`);
    }
  },
};
