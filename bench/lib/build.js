"use strict";
/**
 * Compiles the C load generator into bench/out/ when the binary is missing or older than its
 * source, so `npm run bench` needs nothing but gcc and no build artefact is committed.
 */
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const SRC = path.join(__dirname, "..", "natsload.c");
const OUT_DIR = path.join(__dirname, "..", "out");
const BIN = path.join(OUT_DIR, "natsload");

/** @returns {string} path of an up-to-date natsload binary */
function ensureNatsload() {
  const srcTime = fs.statSync(SRC).mtimeMs;
  if (fs.existsSync(BIN) && fs.statSync(BIN).mtimeMs >= srcTime) return BIN;
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const cc = process.env.CC || "gcc";
  try {
    execFileSync(cc, ["-O2", "-Wall", "-Wextra", "-o", BIN, SRC], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const detail = err.stderr ? err.stderr.toString() : String(err.message);
    throw new Error(`could not compile ${path.relative(process.cwd(), SRC)} with ${cc}:\n${detail}`);
  }
  return BIN;
}

module.exports = { ensureNatsload, OUT_DIR };
