/**
 * Free loopback ports for tests. A port is free when we could bind it a moment ago; callers
 * bind it right after, so the window for a collision with another process is small.
 */
import * as net from "net";

/**
 * Ports this process handed out lately. The kernel may give a just-released port out again at
 * once, so a test that asks twice (a config's gateway port, then a client port) could get the
 * same one; a port is not handed out again for this long.
 */
const handedOut = new Map<number, number>();
const REUSE_AFTER_MS = 120_000;

/** `n` distinct loopback ports that were free when asked and not handed out lately. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    const now = Date.now();
    for (let tries = 0; ports.length < n; tries++) {
      if (tries > n + 500) throw new Error(`freePorts: no loopback port left that was not handed out in the last ${REUSE_AFTER_MS / 1000} s`);
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => resolve());
      });
      const port = (s.address() as net.AddressInfo).port;
      // a recent one stays bound until we are done, so the kernel offers another
      if (now - (handedOut.get(port) ?? -Infinity) < REUSE_AFTER_MS) continue;
      ports.push(port);
    }
    for (const p of ports) handedOut.set(p, now);
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** Resolves true once a TCP connect to host:port succeeds (the socket is closed at once). */
export function canConnect(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => {
      s.destroy();
      resolve(false);
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
