/**
 * The monitoring index page: links to every endpoint, relative so it works under a base path
 * and behind proxies (as nats-server's page does).
 */
import { VERSION, PROTOCOL_VERSION } from "../version";

/** Endpoint paths (relative to the base path) and their link titles, in page order. */
export const INDEX_LINKS: ReadonlyArray<readonly [string, string]> = [
  ["varz", "General"],
  ["jsz", "JetStream"],
  ["connz", "Connections"],
  ["accountz", "Accounts"],
  ["subsz", "Subscriptions"],
  ["routez", "Routes"],
  ["leafz", "LeafNodes"],
  ["gatewayz", "Gateways"],
  ["healthz", "Health Probe"],
  ["metrics", "Prometheus Metrics"],
];

export function indexPage(serverName: string): string {
  const links = INDEX_LINKS.map(([p, title], i) => `    <a href="./${p}"${i === INDEX_LINKS.length - 1 ? ' class="last"' : ""}>${title}</a>`).join("\n");
  return `<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>natsfleet-server ${escapeHtml(serverName)}</title>
    <style type="text/css">
      body { font-family: ui-sans-serif, system-ui, sans-serif; font-size: 18px; margin-left: 32px }
      h1 { font-size: 24px; font-weight: 600 }
      a { display: block; margin-left: 7px; padding-bottom: 6px; color: rgb(72 72 92); text-decoration: none }
      a:hover { font-weight: 600; color: rgb(59 50 202) }
      a.last { padding-bottom: 16px }
      .version { font-size: 14px; color: rgb(110 110 130) }
    </style>
  </head>
  <body>
    <h1>natsfleet-server</h1>
    <div class="version">v${VERSION} (nats-server protocol ${PROTOCOL_VERSION}) - ${escapeHtml(serverName)}</div>
    <br/>
${links}
  </body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
