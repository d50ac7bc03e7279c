/** `tls { }` blocks (client port, cluster, gateway, leafnodes, remotes). */
import * as fs from "fs";
import { TlsOptions } from "../options";
import { ConfValue } from "./tree";
import { MappingContext, array, bool, fail, map, secondsMs, str, walkBlock } from "./values";

/**
 * nats-server loads certificates while reading the config (so `-t` catches a wrong path);
 * we check they are readable for the same reason. Paths are relative to the working
 * directory, as in nats-server.
 */
function readableFile(v: ConfValue, name: string): string {
  const file = str(v, name);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    fail(v, `invalid value for "${name}": cannot read file ${JSON.stringify(file)}`);
  }
  return file;
}

function nonEmptyList(v: ConfValue, name: string): string[] {
  const items = array(v, name).items.map((i) => str(i, name));
  if (items.length === 0) fail(v, `invalid value for "${name}": must not be empty`);
  return items;
}

export function parseTls(value: ConfValue, where: string, ctx: MappingContext): TlsOptions {
  const tls: TlsOptions = {};
  walkBlock(map(value, where), where, {
    cert_file: (v, _e, n) => (tls.certFile = readableFile(v, n)),
    key_file: (v, _e, n) => (tls.keyFile = readableFile(v, n)),
    ca_file: (v, _e, n) => (tls.caFile = readableFile(v, n)),
    insecure: (v, _e, n) => (tls.insecure = bool(v, n)),
    verify: (v, _e, n) => (tls.verify = bool(v, n) || tls.verify),
    verify_and_map: (v, _e, n) => {
      tls.verifyAndMap = bool(v, n);
      if (tls.verifyAndMap) tls.verify = true;
    },
    verify_cert_and_check_known_urls: (_v, e, n) =>
      ctx.refuse(e, n, "ignoring it would accept peers whose certificate does not match a known URL"),
    cipher_suites: (v, _e, n) => (tls.cipherSuites = nonEmptyList(v, n)),
    curve_preferences: (v, _e, n) => (tls.curvePreferences = nonEmptyList(v, n)),
    timeout: (v, _e, n) => (tls.timeout = secondsMs(v, n)),
    connection_rate_limit: (_v, e, n) => ctx.ignore(e, n),
    pinned_certs: (v, _e, n) => {
      tls.pinnedCerts = array(v, n).items.map((item) => {
        const s = str(item, n).toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(s)) {
          fail(item, `invalid value for "${n}": ${JSON.stringify(s)} is not a hex-encoded SHA-256 of a SubjectPublicKeyInfo`);
        }
        return s;
      });
    },
    // nats-server 2.10 key; the broker implements it, so accept it ahead of the reference.
    handshake_first: (v, _e, n) => (tls.handshakeFirst = bool(v, n)),
  });
  if (tls.certFile !== undefined && tls.keyFile === undefined) fail(value, `"${where}" has cert_file but no key_file`);
  if (tls.keyFile !== undefined && tls.certFile === undefined) fail(value, `"${where}" has key_file but no cert_file`);
  return tls;
}
