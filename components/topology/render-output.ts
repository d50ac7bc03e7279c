/**
 * The renderer for Pulumi: addresses and secrets are Inputs (EIP addresses, RandomPassword
 * results), so wait for all of them and run the pure renderer once. The result is secret
 * whenever any secret went in (pulumi.all carries secretness through).
 */
import * as pulumi from "@pulumi/pulumi";
import type { AddressBook, RenderInputs, SecretBook, ServerAddress, Topology } from "./model";
import { RenderOptions, renderTopology } from "./render";

/** Config text per server name, as one Output (a Map does not survive Output serialization). */
export function renderTopologyOutput(
  model: Topology,
  inputs: RenderInputs<pulumi.Input<string>>,
  options: RenderOptions = {},
): pulumi.Output<Record<string, string>> {
  const addresses: Record<string, pulumi.Output<ServerAddress<string>>> = {};
  for (const [name, a] of Object.entries(inputs.addresses)) {
    addresses[name] = pulumi.all([a.host, a.advertise]).apply(([host, advertise]) => (advertise === undefined ? { host } : { host, advertise }));
  }
  return pulumi.all([pulumi.all(addresses), pulumi.all(inputs.secrets)]).apply(([resolved, secrets]) => {
    const configs = renderTopology(
      model,
      {
        addresses: resolved as AddressBook<string>,
        secrets: secrets as SecretBook<string>,
        ...(inputs.tlsFiles ? { tlsFiles: inputs.tlsFiles } : {}),
        ...(inputs.credentialsFiles ? { credentialsFiles: inputs.credentialsFiles } : {}),
        ...(inputs.listenHosts ? { listenHosts: inputs.listenHosts } : {}),
      },
      options,
    );
    return Object.fromEntries(configs);
  });
}
