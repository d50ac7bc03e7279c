/**
 * Gateway protocol lines and addresses: the gateway INFO, its commands (gossip, interest-only
 * switch) and the `host:port` forms nats-server uses for gateway URLs.
 */
import * as os from "os";
import { VERSION, PROTOCOL_VERSION } from "../version";

export const GATEWAY_CMD_GOSSIP = 1;
export const GATEWAY_CMD_ALL_SUBS_START = 2;
export const GATEWAY_CMD_ALL_SUBS_COMPLETE = 3;

/** What the accepting-side INFO says about this server. */
export interface GatewayInfoFields {
  serverId: string;
  serverName: string;
  /** This server's gateway URL and the others of its cluster. */
  url: string;
  clusterURLs: Iterable<string>;
  gateway: string;
  maxPayload: number;
  authRequired: boolean;
  tls: boolean;
}

/** The gateway INFO (accepting side, and the dialler after its CONNECT), fields in nats-server's order. */
export function gatewayInfoLine(f: GatewayInfoFields): string {
  const [host, port] = splitHostPort(f.url);
  const info: Record<string, unknown> = {
    server_id: f.serverId,
    server_name: f.serverName,
    version: PROTOCOL_VERSION,
    proto: 0,
    go: `natsfleet ${VERSION} node ${process.version}`,
    host,
    port,
    headers: true,
  };
  if (f.authRequired) info.auth_required = true;
  if (f.tls) Object.assign(info, { tls_required: true, tls_verify: true });
  Object.assign(info, {
    max_payload: f.maxPayload,
    gateway: f.gateway,
    gateway_urls: [f.url, ...f.clusterURLs],
    gateway_url: f.url,
    gateway_nrp: true,
    gateway_iom: true,
  });
  return `INFO ${JSON.stringify(info)}\r\n`;
}

/** INFO gateway_cmd 1: "connect to this gateway too" (implicit gateways). */
export function gossipInfoLine(serverId: string, serverName: string | undefined, gateway: string, urls: string[]): string {
  const info: Record<string, unknown> = { server_id: serverId };
  if (serverName !== undefined) info.server_name = serverName;
  Object.assign(info, { gateway, gateway_urls: urls, gateway_cmd: GATEWAY_CMD_GOSSIP });
  return `INFO ${JSON.stringify(info)}\r\n`;
}

/** INFO gateway_cmd 2 or 3 for an account (base64 of its name, as nats-server's []byte field). */
export function accountCmdLine(gateway: string, cmd: number, account: string): string {
  const payload = Buffer.from(account, "latin1").toString("base64");
  return `INFO ${JSON.stringify({ gateway, gateway_cmd: cmd, gateway_cmd_payload: payload })}\r\n`;
}

/** The advertised gateway URL: `advertise`, else the listen host (a wildcard becomes a real IP). */
export function advertisedURL(advertise: string | undefined, listenHost: string, port: number): string {
  if (advertise) return advertise.includes(":") ? advertise : `${advertise}:${port}`;
  let host = listenHost;
  if (host === "0.0.0.0" || host === "::" || host === "") host = publicIPv4() ?? "127.0.0.1";
  return hostPort(host, port);
}

export function decodeAccount(payload: string | undefined): string | undefined {
  if (typeof payload !== "string" || payload === "") return undefined;
  const name = Buffer.from(payload, "base64").toString("latin1");
  return name === "" ? undefined : name;
}

function publicIPv4(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

export function hostPort(h: string, p: number): string {
  return h.includes(":") ? `[${h}]:${p}` : `${h}:${p}`;
}

function splitHostPort(hp: string): [string, number] {
  const i = hp.lastIndexOf(":");
  if (i < 0) return [hp, 0];
  const host = hp.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(hp.slice(i + 1));
  return [host, Number.isFinite(port) ? port : 0];
}

export function stripV4Mapped(ip: string): string {
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}
