/**
 * The natsfleet policies, importable without starting a policy pack (index.ts does that):
 * tests call each policy's validateResource / validateStack directly.
 *
 * Every policy's enforcement level (and its options) can be set in the pack's config, e.g.
 * `pulumi preview --policy-pack policies --policy-pack-config policies/policy-config.example.json`
 * (every policy and option listed there), or in short
 *   { "natsfleet-cluster-size": { "enforcementLevel": "advisory", "minSize": 5 },
 *     "natsfleet-allowed-machine-types": { "allowed": ["t3.medium", "e2-standard-2"] },
 *     "natsfleet-one-broker-version": { "mixedVersionsUntil": "2026-12-01T00:00:00Z" } }
 */
import type { Policies } from "@pulumi/policy";
import { clusterSize } from "./rules/cluster-size";
import { uniqueNames } from "./rules/unique-names";
import { tlsAcrossInternet } from "./rules/tls";
import { noPlaintextPasswords } from "./rules/passwords";
import { noOpenClusterPorts } from "./rules/firewall";
import { oneBrokerVersion } from "./rules/versions";
import { allowedMachineTypes } from "./rules/machine-types";
import { gatewaysReachable, leafHubsExist } from "./rules/stack-links";

export { clusterSize, uniqueNames, tlsAcrossInternet, noPlaintextPasswords, noOpenClusterPorts, oneBrokerVersion, allowedMachineTypes, gatewaysReachable, leafHubsExist };

/** Every policy of the pack, in the order they are reported. */
export const policies: Policies = [
  clusterSize,
  uniqueNames,
  tlsAcrossInternet,
  noPlaintextPasswords,
  noOpenClusterPorts,
  oneBrokerVersion,
  allowedMachineTypes,
  leafHubsExist,
  gatewaysReachable,
];
