/**
 * /metrics: the /varz counters in Prometheus text exposition format (0.0.4), so a scraper needs
 * no exporter sidecar. Every sample carries `server_id` and `server_name` labels.
 */
import type { Server } from "../server";
import { VERSION, PROTOCOL_VERSION } from "../version";
import { cluster, leafsOf, routesOf } from "./sources";
import { totalSubscriptions } from "./varz";
import { processCpu } from "./cpu";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const PREFIX = "natsfleet_";

interface Metric {
  name: string;
  type: "gauge" | "counter";
  help: string;
  value: number;
  labels?: Record<string, string>;
}

export function metrics(server: Server): string {
  const s = server.stats;
  const u = server.usage();
  const gw = cluster(server).gateways;
  const gateways = gw ? gw.outbound.size : 0;
  const list: Metric[] = [
    { name: "info", type: "gauge", help: "Server build information (always 1).", value: 1, labels: { version: VERSION, protocol_version: PROTOCOL_VERSION } },
    { name: "start_time_seconds", type: "gauge", help: "Server start time, seconds since the Unix epoch.", value: server.startTime.getTime() / 1000 },
    { name: "connections", type: "gauge", help: "Open client connections.", value: server.clients.size },
    { name: "total_connections", type: "counter", help: "Client connections accepted since start.", value: s.totalConnections },
    { name: "subscriptions", type: "gauge", help: "Subscriptions in all accounts.", value: totalSubscriptions(server) },
    { name: "slow_consumers", type: "counter", help: "Connections closed as slow consumers since start.", value: s.slowConsumers },
    { name: "in_msgs", type: "counter", help: "Messages received from connections.", value: s.inMsgs },
    { name: "out_msgs", type: "counter", help: "Messages delivered to connections.", value: s.outMsgs },
    { name: "in_bytes", type: "counter", help: "Payload bytes received from connections.", value: s.inBytes },
    { name: "out_bytes", type: "counter", help: "Payload bytes delivered to connections.", value: s.outBytes },
    { name: "mem_bytes", type: "gauge", help: "Resident set size of the process.", value: u.mem },
    { name: "cpu_percent", type: "gauge", help: "Process CPU use over the last second, percent of one core.", value: processCpu() },
    { name: "cores", type: "gauge", help: "CPU cores of the host.", value: u.cores },
    { name: "routes", type: "gauge", help: "Open route connections.", value: routesOf(server).length },
    { name: "gateways", type: "gauge", help: "Outbound gateway connections.", value: gateways },
    { name: "leafnodes", type: "gauge", help: "Open leaf node connections.", value: leafsOf(server).length },
  ];
  const base = { server_id: server.id, server_name: server.name };
  let out = "";
  for (const m of list) {
    const name = PREFIX + m.name;
    out += `# HELP ${name} ${m.help}\n# TYPE ${name} ${m.type}\n`;
    out += `${name}${labels({ ...base, ...m.labels })} ${sample(m.value)}\n`;
  }
  return out;
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return `{${parts.join(",")}}`;
}

/** The exposition format escapes backslash, double quote and newline in label values. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function sample(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}
