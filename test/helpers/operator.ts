/**
 * An operator-mode (decentralized auth) setup for tests, as `nsc` would make it: an operator,
 * a system account and one application account (APP) with open limits, their server config
 * lines (MEMORY resolver, JWTs preloaded) and `.creds` files for users of APP.
 */
import * as jwt from "@nats-io/jwt";

export interface OperatorSetup {
  /** Public key of APP (what /leafz and /connz report as the account). */
  account: string;
  /** `operator`, `system_account`, `resolver` and `resolver_preload` lines. */
  config: string;
  /** A new user of APP as a `.creds` file's text. */
  creds(name: string): Promise<string>;
}

export async function operatorSetup(): Promise<OperatorSetup> {
  const op = jwt.createOperator();
  const sys = jwt.createAccount();
  const acc = jwt.createAccount();
  const opJwt = await jwt.encodeOperator("OP", op, { system_account: sys.getPublicKey() });
  const sysJwt = await jwt.encodeAccount("SYS", sys, {}, { signer: op });
  // nsc writes every limit; a missing one would mean zero
  const limits = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const accJwt = await jwt.encodeAccount("APP", acc, { limits }, { signer: op });
  return {
    account: acc.getPublicKey(),
    config: [
      `operator: ${opJwt}`,
      `system_account: ${sys.getPublicKey()}`,
      "resolver: MEMORY",
      `resolver_preload: { ${sys.getPublicKey()}: ${sysJwt}, ${acc.getPublicKey()}: ${accJwt} }`,
    ].join("\n"),
    async creds(name: string) {
      const u = jwt.createUser();
      return new TextDecoder().decode(jwt.fmtCreds(await jwt.encodeUser(name, u, acc), u));
    },
  };
}
