#!/usr/bin/env node
"use strict";
/**
 * A working operator-mode (decentralized auth) setup, as `nsc` would make it: an operator, a
 * system account, an APP account and one user, written as
 *   <dir>/operator.jwt, <dir>/server.conf (resolver: MEMORY with the account JWTs preloaded),
 *   <dir>/app.creds (the user's JWT and seed, for clients).
 * Usage: node scripts/operator-example.js [dir] [port]   (default .natsfleet/operator-example, 4222)
 * The same server.conf runs on natsfleet-server and nats-server.
 */
const fs = require("fs");
const path = require("path");
const { createOperator, createAccount, createUser, encodeOperator, encodeAccount, encodeUser, fmtCreds } = require("@nats-io/jwt");

async function main() {
  const dir = path.resolve(process.argv[2] || ".natsfleet/operator-example");
  const port = Number(process.argv[3] || 4222);
  if (!Number.isInteger(port) || port < -1 || port > 65535) throw new Error(`invalid port "${process.argv[3]}"`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const op = createOperator();
  const sys = createAccount();
  const app = createAccount();
  const user = createUser();
  // nsc writes every limit; a missing one would mean zero (no connections at all).
  const open = { limits: { conn: -1, subs: -1, payload: -1, data: -1, imports: -1, exports: -1, leaf: -1, wildcards: true } };
  const opJwt = await encodeOperator("EXAMPLE", op, { system_account: sys.getPublicKey() });
  const sysJwt = await encodeAccount("SYS", sys, open, { signer: op });
  const appJwt = await encodeAccount("APP", app, open, { signer: op });
  const userJwt = await encodeUser("app", user, app);
  fs.writeFileSync(path.join(dir, "operator.jwt"), opJwt);
  fs.writeFileSync(
    path.join(dir, "server.conf"),
    [
      `port: ${port}`,
      `operator: "${path.join(dir, "operator.jwt")}"`,
      `system_account: ${sys.getPublicKey()}`,
      `resolver: MEMORY`,
      `resolver_preload: {`,
      `  ${sys.getPublicKey()}: "${sysJwt}"   # SYS`,
      `  ${app.getPublicKey()}: "${appJwt}"   # APP`,
      `}`,
      ``,
    ].join("\n"),
  );
  fs.writeFileSync(path.join(dir, "app.creds"), new TextDecoder().decode(fmtCreds(userJwt, user)), { mode: 0o600 });
  process.stdout.write(`wrote ${dir}/{operator.jwt,server.conf,app.creds}\n`);
}

main().catch((e) => {
  process.stderr.write(`operator-example: ${e.message}\n`);
  process.exit(1);
});
