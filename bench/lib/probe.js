"use strict";
/**
 * Proves that interest on server B has reached server A before a cross-server run is timed:
 * a probe subscriber on B (subscribed after the measured subscriber got its PONG) and a probe
 * publisher on A that publishes until the probe subscriber receives one. B processed the measured
 * subscriber's SUB first and forwards interest to A over one link connection in order, so once
 * the probe's interest works at A, the measured subject's does too. Any message lost anyway
 * still shows up as a note (received < published).
 */
const net = require("net");

const CONNECT = 'CONNECT {"verbose":false,"pedantic":false,"protocol":1,"name":"bench-probe"}\r\n';

/**
 * @param {number} port
 * @returns {Promise<net.Socket>} a connected socket whose CONNECT has been sent
 */
function connect(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => {
      sock.write(CONNECT);
      resolve(sock);
    });
    sock.once("error", reject);
  });
}

/**
 * Publish on `pubPort` until a subscriber on `subPort` receives it.
 * @param {{ pubPort: number, subPort: number, subject?: string, timeoutMs?: number, everyMs?: number }} o
 * @returns {Promise<{ probes: number, ms: number }>} probes sent and time until the first arrived
 */
async function waitForInterest({ pubPort, subPort, subject = "bench.probe", timeoutMs = 15000, everyMs = 50 }) {
  const started = Date.now();
  /** @type {net.Socket[]} */
  const socks = [];
  let timer;
  let interval;
  try {
    const sub = await connect(subPort);
    socks.push(sub);
    const pub = await connect(pubPort);
    socks.push(pub);
    let probes = 0;
    return await new Promise((resolve, reject) => {
      let buf = "";
      let subscribed = false;
      const fail = (why) => reject(new Error(`interest probe: ${why}`));
      timer = setTimeout(() => fail(`no probe message from A reached B within ${timeoutMs} ms (${probes} sent)`), timeoutMs);
      for (const [side, s] of [["B", sub], ["A", pub]]) {
        s.on("error", (err) => fail(`connection to ${side}: ${err.message}`));
        s.on("close", () => fail(`server ${side} closed the probe connection`));
      }
      pub.on("data", (d) => {
        const text = d.toString();
        if (text.includes("PING\r\n")) pub.write("PONG\r\n");
        if (text.includes("-ERR")) fail(`server A: ${text.trim()}`);
      });
      sub.on("data", (d) => {
        buf = (buf + d.toString()).slice(-4096);
        if (buf.includes("PING\r\n")) {
          sub.write("PONG\r\n");
          buf = buf.replace(/PING\r\n/g, "");
        }
        if (buf.includes("-ERR")) fail(`server B: ${buf.trim()}`);
        if (!subscribed && buf.includes("PONG\r\n")) {
          subscribed = true;
          interval = setInterval(() => {
            probes++;
            pub.write(`PUB ${subject} 0\r\n\r\n`);
          }, everyMs);
        }
        if (buf.includes(`MSG ${subject} `)) resolve({ probes, ms: Date.now() - started });
      });
      sub.write(`SUB ${subject} 1\r\nPING\r\n`);
    });
  } finally {
    clearTimeout(timer);
    clearInterval(interval);
    for (const s of socks) {
      s.removeAllListeners("close");
      s.on("error", () => {});
      s.destroy();
    }
  }
}

module.exports = { waitForInterest };
