/**
 * Tiny HTTP/TCP probes for local brokers' monitoring and client ports. node:http with
 * `agent: false` rather than global fetch: fetch's pooled keep-alive sockets would keep a
 * test runner (or the CLI) alive after we are done.
 */
import * as http from "http";
import * as net from "net";

/** The body and status of one GET. */
export interface HttpResult {
  status: number;
  body: string;
}

/** GET `url` once; rejects on connection errors and after `timeoutMs`. */
export function httpGet(url: string, timeoutMs = 2000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/** GET a JSON monitoring endpoint; rejects unless the answer is 200 with a JSON body. */
export async function getJson<T = Record<string, unknown>>(url: string, timeoutMs = 2000): Promise<T> {
  const res = await httpGet(url, timeoutMs);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  try {
    return JSON.parse(res.body) as T;
  } catch {
    throw new Error(`GET ${url}: not JSON: ${res.body.slice(0, 200)}`);
  }
}

/** True when something accepts a TCP connection on host:port within `timeoutMs`. */
export function tcpProbe(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.removeAllListeners();
      sock.on("error", () => undefined);
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}
