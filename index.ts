/**
 * Pulumi program entry (Pulumi.yaml `main: dist/index.js`, built by `npm run build`).
 */
import { program } from "./components/program";

const outputs = program();

/** Cluster name -> client URLs. */
export const clientUrls = outputs.clientUrls;
/** Leaf node name -> client URLs. */
export const leafnodeUrls = outputs.leafnodeUrls;
/** Server name -> monitoring URL. */
export const monitorUrls = outputs.monitorUrls;
export const serverNames = outputs.serverNames;
/** `account/user` -> password (secret; `pulumi stack output --show-secrets`). */
export const userPasswords = outputs.userPasswords;
