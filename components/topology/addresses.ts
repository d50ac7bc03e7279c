/**
 * Inputs the renderer needs that the local target knows without any cloud: addresses of local
 * servers, and secrets (declared values, previously generated ones, or fresh ones).
 */
import { randomBytes } from "crypto";
import type { AddressBook, SecretBook, Topology } from "./model";
import { allServers } from "./model";

/** Addresses of every server on the local target: its host, reached directly. */
export function localAddresses(model: Topology): AddressBook<string> {
  const out: AddressBook<string> = {};
  for (const { server, group } of allServers(model)) {
    if (group.target.kind === "local") out[server.name] = { host: group.target.host };
  }
  return out;
}

/** Names of the servers on the local target, in model order. */
export function localServerNames(model: Topology): string[] {
  return allServers(model)
    .filter((s) => s.group.target.kind === "local")
    .map((s) => s.server.name);
}

/**
 * A random password from an alphabet that needs no escaping anywhere (config strings, URLs,
 * shells), so generated secrets never depend on the quoting being right.
 */
export function generatePassword(length = 32): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(length * 2);
  let out = "";
  // Rejection sampling keeps every character equally likely.
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    const b = bytes[i]!;
    if (b < 248) out += alphabet[b % 62];
  }
  while (out.length < length) out += generatePassword(length - out.length);
  return out;
}

/**
 * Every secret the model needs: the declared value if there is one, else the one already
 * known (`existing`, e.g. from a state file), else a generated one. `generated` lists the keys
 * that were new, so a caller knows to persist them.
 */
export function resolveSecrets(
  model: Topology,
  existing: SecretBook<string> = {},
  generate: (key: string) => string = () => generatePassword(),
): { secrets: SecretBook<string>; generated: string[] } {
  const secrets: SecretBook<string> = {};
  const generated: string[] = [];
  for (const spec of model.secrets) {
    if (spec.value !== undefined) secrets[spec.key] = spec.value;
    else if (existing[spec.key] !== undefined) secrets[spec.key] = existing[spec.key]!;
    else {
      secrets[spec.key] = generate(spec.key);
      generated.push(spec.key);
    }
  }
  return { secrets, generated };
}
