/** The GCP Compute Engine target. */
export { GcpTarget, startupScript, metadataKey, secretId, SECRET_FILES, METADATA_VALUE_LIMIT, SECRET_VALUE_LIMIT, BUNDLE_METADATA_KEY } from "./target";
export type { GcpTargetOptions } from "./options";
export { GCP_DEFAULTS, gcpName } from "./options";
