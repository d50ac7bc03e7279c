/**
 * Helpers for the security suites (auth, permissions, accounts, JWT): raw logins, config
 * rewrites with SIGHUP, and waiting for a server to apply a reload.
 */
import * as fs from "fs";
import { createUser, fromSeed } from "@nats-io/nkeys";
import { RawClient } from "../helpers/raw";
import { ServerProcess } from "../helpers/servers";

export const err = (text: string) => `-ERR '${text}'\r\n`;

/** Open a raw connection, send CONNECT (quiet, with `fields`) and PING; resolve with it. */
export async function login(port: number, fields: Record<string, unknown> = {}, sign?: (nonce: string) => string): Promise<RawClient> {
  const c = await RawClient.open(port);
  const f: Record<string, unknown> = { verbose: false, pedantic: false, protocol: 1, ...fields };
  if (sign) f.sig = sign(c.info().nonce as string);
  c.send(`CONNECT ${JSON.stringify(f)}\r\nPING\r\n`);
  await c.waitFor(/PONG\r\n|-ERR/, 5000, false);
  return c;
}

/** Whether the login was accepted (PONG and no -ERR). */
export function accepted(c: RawClient): boolean {
  return /^(\+OK\r\n)?PONG\r\n/.test(c.afterInfo());
}

/** The config file a server was started with (`-c file`). */
export function configFile(s: ServerProcess): string {
  const i = s.args.indexOf("-c");
  if (i < 0) throw new Error("server was not started with -c");
  return s.args[i + 1];
}

/**
 * Rewrite the server's config, send SIGHUP, and wait until it has reloaded: both servers log
 * "Reloaded server configuration".
 */
export async function reload(s: ServerProcess, config: string): Promise<void> {
  const before = countReloads(s.output);
  fs.writeFileSync(configFile(s), config);
  s.proc.kill("SIGHUP");
  const deadline = Date.now() + 5000;
  while (countReloads(s.output) <= before) {
    if (Date.now() > deadline) throw new Error(`${s.kind} did not reload: ${s.output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // Let the server finish re-checking connections.
  await new Promise((r) => setTimeout(r, 100));
}

function countReloads(out: string): number {
  return out.split("Reloaded server configuration").length - 1;
}

/** A fresh user nkey: public key and a signer over the INFO nonce (base64url, as clients send). */
export function newNkeyUser(): { pub: string; seed: string; sign: (nonce: string) => string } {
  const kp = createUser();
  const seed = new TextDecoder().decode(kp.getSeed());
  return {
    pub: kp.getPublicKey(),
    seed,
    sign: (nonce: string) => Buffer.from(fromSeed(Buffer.from(seed)).sign(Buffer.from(nonce))).toString("base64url"),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
