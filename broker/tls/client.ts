/**
 * TLS on the client port, as nats-server 2.9 does it: INFO goes out in plaintext with
 * tls_required, then the server waits (tls timeout) for the client's handshake; anything else
 * (plaintext protocol, silence, a bad certificate) closes the connection with reason
 * "TLS Handshake Failure" and no -ERR (nats-server's -ERR never reaches the client).
 */
import type { Socket } from "net";
import { Duplex } from "stream";
import type { TLSSocket } from "tls";
import type { Client, ConnectOptions } from "../client";
import type { ServerOptions, UserConfig } from "../options";
import { acceptTls, loadTls, LoadedTls } from "./index";
import { mapCertificateUser, peerIdentities } from "./map";

/** The client port's TLS from `opts.tls`, or null without one; throws TlsConfigError. */
export function loadClientTls(opts: ServerOptions): LoadedTls | null {
  return opts.tls ? loadTls(opts.tls, "tls") : null;
}

/**
 * Run the handshake on a client that has just been sent INFO; on success the client reads and
 * writes through the TLS socket from then on (`begin` starts its timers and reads).
 */
export function upgradeClient(c: Client, t: LoadedTls, begin: (secure: TLSSocket) => void): void {
  c.server.log.debug(`${c.describe()} - Starting TLS client connection handshake`);
  acceptTls(c.sock, t).then(
    (secure) => {
      if (c.closed) {
        secure.destroy();
        return;
      }
      c.server.log.debug(`${c.describe()} - TLS handshake complete`);
      begin(secure);
    },
    (e: Error) => {
      if (c.closed) return;
      c.server.log.error(`${c.describe()} - TLS handshake error: ${e.message}`);
      c.close("TLS Handshake Failure");
      c.server.scheduleFlush();
    },
  );
}

/**
 * allow_non_tls: see whether the client starts a TLS handshake (a first byte 0x16, a TLS
 * record) or speaks plain protocol, waiting at most the TLS timeout as nats-server does (then:
 * plain). `then` gets the first chunk (undefined when there was none); the socket is back in
 * flowing mode for the plain reader, with that chunk put back first.
 */
export function whenClientSpeaks(sock: Socket, timeoutMs: number, then: (first: Buffer | undefined) => void): void {
  let done = false;
  const finish = (first: Buffer | undefined) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    sock.removeListener("readable", onReadable);
    if (first) sock.unshift(first);
    then(first);
    // a 'readable' listener stopped the flow; whoever reads now (a 'data' listener) needs it back
    if (!sock.destroyed) sock.resume();
  };
  const onReadable = () => {
    const chunk = sock.read() as Buffer | null;
    if (chunk !== null) finish(chunk);
  };
  const timer = setTimeout(() => finish(undefined), timeoutMs);
  timer.unref();
  sock.on("readable", onReadable);
  sock.once("close", () => finish(undefined));
  // a reset while we wait must not go unhandled; the reader that takes over sees the close
  sock.on("error", () => undefined);
}

/**
 * The socket as a plain stream, for a TLS handshake that must see bytes already read from it
 * (TLS over a native socket reads the kernel directly and would miss them).
 */
export function asStream(sock: Socket): Socket {
  const d = new Duplex({
    read: () => {
      sock.resume();
    },
    write: (chunk: Buffer, _enc, cb) => {
      sock.write(chunk, cb);
    },
    final: (cb) => {
      sock.end();
      cb();
    },
    destroy: (err, cb) => {
      sock.destroy();
      cb(err);
    },
  });
  sock.on("data", (c: Buffer) => {
    if (!d.push(c)) sock.pause();
  });
  sock.once("end", () => d.push(null));
  // the TLS socket learns of a reset by the close; an 'error' here would have no listener
  sock.once("close", () => d.destroy());
  sock.on("error", () => d.destroy());
  // what net.Socket callers read besides the stream (remote address for logs and /connz)
  Object.defineProperties(d, {
    remoteAddress: { get: () => sock.remoteAddress },
    remotePort: { get: () => sock.remotePort },
    writableLength: { get: () => sock.writableLength },
  });
  return d as unknown as Socket;
}

/**
 * verify_and_map: the CONNECT to authenticate, with the user its certificate maps to. `o` is
 * returned unchanged when mapping does not apply (off, or no users configured, as nats-server);
 * undefined means no configured user matches the certificate ('Authorization Violation').
 * Mapped users are matched without a password (nats-server ignores passwords here); a mapped
 * user configured with a bcrypt password cannot be admitted this way.
 */
export function tlsMappedConnect(opts: ServerOptions, sock: unknown, o: ConnectOptions): ConnectOptions | undefined {
  if (!opts.tls?.verifyAndMap) return o;
  const users = new Map<string, UserConfig>();
  for (const u of opts.authorization?.users ?? []) if (u.user !== undefined && !u.nkey) users.set(u.user, u);
  for (const a of opts.accounts) for (const u of a.users ?? []) if (u.user !== undefined && !u.nkey) users.set(u.user, u);
  if (users.size === 0) return o;
  const id = peerIdentities(sock);
  if (!id) return undefined;
  const typeOk = (u: UserConfig) => !u.allowedConnectionTypes?.length || u.allowedConnectionTypes.includes("STANDARD");
  const name = mapCertificateUser(id, users.keys(), (n) => {
    const u = users.get(n);
    return u !== undefined && typeOk(u);
  });
  if (name === undefined) return undefined;
  return { ...o, user: name, pass: users.get(name)!.password };
}
