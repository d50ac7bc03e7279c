/**
 * External hubs: a hosted NATS service or someone else's backbone that a leaf node (or every
 * server of a cluster) dials. Checked here: the URLs are leafnode URLs, the credentials are a
 * path or a whole `.creds` file, and the local account exists.
 */
import * as path from "path";
import type { ExternalHubDeclaration, ExternalHubModel, HubCredentials, TargetKind, TopologyDeclaration } from "./model";
import { IssueList, TopologyPath } from "./errors";

/** Schemes nats-server 2.9 dials leafnode remotes with (websocket aside: our broker has none). */
const SCHEMES = ["nats-leaf", "nats", "tls"];

/** What a `.creds` file starts with; anything else in `credentials` is a path. */
const JWT_BLOCK = "-----BEGIN NATS USER JWT-----";
const SEED_BLOCK = "-----BEGIN USER NKEY SEED-----";

export function isCredentialsContents(v: string): boolean {
  return v.includes(JWT_BLOCK);
}

/**
 * The validated hub. `target` decides what can be shipped: the local target runs servers on
 * this machine and reads the `.creds` file where it is; cloud targets ship its contents.
 */
export function externalHubModel(
  d: TopologyDeclaration,
  decl: ExternalHubDeclaration,
  at: TopologyPath,
  target: TargetKind,
  issues: IssueList,
): ExternalHubModel {
  const urls = Array.isArray(decl.url) ? decl.url : [decl.url];
  let tls = decl.caFile !== undefined;
  urls.forEach((raw, i) => {
    const where: TopologyPath = Array.isArray(decl.url) ? [...at, "url", i] : [...at, "url"];
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      issues.add(where, `"${raw}" is not a URL (e.g. tls://connect.ngs.global or nats-leaf://hub.example.com:7422)`);
      return;
    }
    const scheme = u.protocol.replace(/:$/, "");
    if (!SCHEMES.includes(scheme)) issues.add(where, `"${raw}": scheme ${scheme}:// is not a leafnode scheme (use ${SCHEMES.map((s) => `${s}://`).join(", ")})`);
    if (!u.hostname) issues.add(where, `"${raw}" has no host`);
    if (u.pathname && u.pathname !== "/") issues.add(where, `"${raw}": a leafnode URL has no path`);
    if (scheme === "tls") tls = true;
  });

  let credentials: HubCredentials | undefined;
  if (decl.credentials !== undefined) {
    if (isCredentialsContents(decl.credentials)) {
      if (!decl.credentials.includes(SEED_BLOCK)) issues.add([...at, "credentials"], "holds a user JWT but no nkey seed block; give the whole .creds file");
      else if (target === "local") issues.add([...at, "credentials"], "target local reads the .creds file where it lies; give its path instead of its contents");
      credentials = { contents: decl.credentials };
    } else {
      credentials = { file: path.resolve(decl.credentials) };
    }
  }

  if (decl.account !== undefined) {
    const declared = Object.keys(d.accounts ?? {});
    if (!declared.includes(decl.account)) issues.add([...at, "account"], `no account named "${decl.account}" (${declared.length ? `known: ${declared.join(", ")}` : "no accounts declared"})`);
    else if (d.systemAccount === decl.account) issues.add([...at, "account"], `"${decl.account}" is the system account; bind an application account`);
  }
  if (decl.caFile !== undefined && target !== "local") {
    issues.add([...at, "caFile"], `is a file on this machine, usable by target local only; ${target} servers verify the hub against the system's CA roots`);
  }

  return {
    urls,
    ...(credentials ? { credentials } : {}),
    ...(decl.account !== undefined ? { account: decl.account } : {}),
    tls,
    ...(decl.caFile !== undefined ? { caFile: path.resolve(decl.caFile) } : {}),
    path: [...at],
  };
}
