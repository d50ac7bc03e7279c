/**
 * Generated route, gateway and leaf node credentials: one RandomPassword per secret key,
 * always wrapped as a Pulumi secret. SuperCluster makes the topology's own; targets use this
 * for credentials of their own (none of ours need plaintext outside a config).
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Length of generated passwords; alphanumeric so configs and URLs need no escaping. */
export const CREDENTIAL_LENGTH = 32;

/** A resource-name-safe form of a secret key (`leaf:factory-1` -> `leaf-factory-1`). */
export function credentialSlug(key: string): string {
  return key.replace(/[^A-Za-z0-9_-]+/g, "-");
}

/** Key -> secret password, one `${prefix}-${slug}` RandomPassword each, children of `parent`. */
export function generateCredentials(keys: readonly string[], parent: pulumi.Resource, prefix: string): Record<string, pulumi.Output<string>> {
  const out: Record<string, pulumi.Output<string>> = {};
  const seen = new Map<string, string>();
  for (const key of keys) {
    const slug = credentialSlug(key);
    const clash = seen.get(slug);
    if (clash !== undefined) throw new Error(`credentials "${clash}" and "${key}" would share the resource name ${prefix}-${slug}`);
    seen.set(slug, key);
    const pw = new random.RandomPassword(`${prefix}-${slug}`, { length: CREDENTIAL_LENGTH, special: false }, { parent });
    out[key] = pulumi.secret(pw.result);
  }
  return out;
}
