/** The AWS EC2 target. */
export { AwsTarget, awsUserData } from "./target";
export type { AwsTargetOptions } from "./options";
export { AWS_DEFAULTS } from "./options";
