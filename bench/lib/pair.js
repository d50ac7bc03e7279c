"use strict";
/**
 * Two servers of the same kind linked on loopback, for the route and gateway rows: writes their
 * config files, starts both, and waits until the monitoring endpoints show the link up in both
 * directions. Messages are then published on A and received on B.
 */
const fs = require("fs");
const http = require("http");
const path = require("path");
const { RunningServer, freePort } = require("./servers");
const { sleep } = require("./proc");

/**
 * @typedef {"route"|"gateway"} LinkKind
 *
 * @typedef {object} PairPorts
 * @property {number} client  NATS client port
 * @property {number} http    monitoring port
 * @property {number} link    cluster (route) or gateway listen port
 */

/**
 * Config file text for one server of a pair. The route pair is one cluster of two servers (only
 * B solicits, so there is exactly one route connection and no duplicate to resolve); the gateway
 * pair is two single-server clusters that each name the other.
 * @param {LinkKind} kind
 * @param {"a"|"b"} self
 * @param {{ a: PairPorts, b: PairPorts }} ports
 * @returns {string}
 */
function pairConfig(kind, self, ports) {
  const other = self === "a" ? "b" : "a";
  const me = ports[self];
  const head = [
    `server_name: bench-${kind}-${self}`,
    `listen: 127.0.0.1:${me.client}`,
    `http: 127.0.0.1:${me.http}`,
  ];
  if (kind === "route") {
    const routes = self === "b" ? `nats-route://127.0.0.1:${ports.a.link}` : "";
    return [...head,
      "cluster {",
      "  name: bench",
      `  listen: 127.0.0.1:${me.link}`,
      `  routes: [${routes ? `"${routes}"` : ""}]`,
      "}", ""].join("\n");
  }
  return [...head,
    "gateway {",
    `  name: bench-${self}`,
    `  listen: 127.0.0.1:${me.link}`,
    "  gateways: [",
    `    { name: bench-${other}, url: "nats://127.0.0.1:${ports[other].link}" }`,
    "  ]",
    "}", ""].join("\n");
}

/** GET a monitoring endpoint as JSON; undefined on any failure (the server may still be starting). */
function getJson(port, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, timeout: 1000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

/**
 * Whether one server reports the link to its peer as up.
 * @param {LinkKind} kind
 * @param {any} z  /routez or /gatewayz body
 * @param {string} peerGateway  the other side's gateway name
 */
function linkUp(kind, z, peerGateway) {
  if (!z) return false;
  if (kind === "route") return z.num_routes >= 1;
  return !!(z.outbound_gateways && z.outbound_gateways[peerGateway]);
}

/** Two linked servers: `a` takes the publisher, `b` the subscriber. */
class ServerPair {
  /**
   * @param {import("./servers").ServerSpec} spec
   * @param {LinkKind} kind
   * @param {{ dir: string, logPrefix: string, prefix?: string[] }} opts  where configs and logs go
   *   (`<logPrefix>-a.log` / `-b.log`); command prefix (taskset, both servers get the same)
   */
  constructor(spec, kind, opts) {
    this.spec = spec;
    this.kind = kind;
    this.opts = opts;
    /** @type {RunningServer[]} */
    this.servers = [];
  }

  /** @returns {RunningServer} */
  get a() {
    return this.servers[0];
  }

  /** @returns {RunningServer} */
  get b() {
    return this.servers[1];
  }

  get pubPort() {
    return this.a.port;
  }

  get subPort() {
    return this.b.port;
  }

  get alive() {
    return this.servers.every((s) => s.alive);
  }

  /**
   * Start both servers and wait until each reports the link to the other.
   * @param {number} linkTimeoutMs
   */
  async start(linkTimeoutMs = 20000) {
    const ports = {};
    for (const side of ["a", "b"]) ports[side] = { client: await freePort(), http: await freePort(), link: await freePort() };
    fs.mkdirSync(this.opts.dir, { recursive: true });
    for (const side of ["a", "b"]) {
      const configFile = path.join(this.opts.dir, `${this.spec.id}-${this.kind}-${side}.conf`);
      fs.writeFileSync(configFile, pairConfig(this.kind, side, ports));
      this.servers.push(new RunningServer(this.spec, {
        logFile: `${this.opts.logPrefix}-${side}.log`, prefix: this.opts.prefix, configFile, port: ports[side].client,
      }));
    }
    this.ports = ports;
    for (const s of this.servers) await s.start();
    const endpoint = this.kind === "route" ? "/routez" : "/gatewayz";
    const until = Date.now() + linkTimeoutMs;
    let seen = [];
    while (Date.now() < until) {
      seen = await Promise.all(["a", "b"].map((side) => getJson(ports[side].http, endpoint)));
      if (linkUp(this.kind, seen[0], "bench-b") && linkUp(this.kind, seen[1], "bench-a")) return this;
      if (!this.alive) break;
      await sleep(100);
    }
    const state = seen.map((z, i) => `${i ? "b" : "a"}: ${linkUp(this.kind, z, i ? "bench-a" : "bench-b") ? "up" : "down"}`).join(", ");
    throw new Error(`${this.spec.label} ${this.kind} link not up within ${linkTimeoutMs} ms (${state}${this.alive ? "" : ", a server exited"}): ` +
      this.servers.map((s) => s.logTail(2).replace(/\n/g, " | ")).join(" || "));
  }

  async stop() {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}

module.exports = { ServerPair, pairConfig };
