/** The policy pack's entry point (PulumiPolicy.yaml): only the pack; the policies live in policies.ts. */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("natsfleet", { policies, enforcementLevel: "mandatory" });
