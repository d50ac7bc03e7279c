/**
 * The broker as one JavaScript file a machine runs with plain `node`: esbuild bundles
 * natsfleet-server from broker/main.ts (a checkout) or dist/broker/main.js (an installed
 * package). Bundled once per process: every server of every target ships the same bytes, and
 * the hash lets a target name the object so a broker change is a new object, not an edit.
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

/** The bundled broker. */
export interface BrokerBundle {
  /** The script: `node natsfleet-server.js -c nats.conf` runs the broker. */
  text: string;
  /** sha256 of `text`, hex. */
  sha256: string;
  /** gzip then base64 of `text`: for channels that carry text only (GCP metadata). */
  gzipBase64: string;
  /** The entry point it was built from. */
  source: string;
  /** `text` as a Pulumi asset (S3 object, ConfigMap file). */
  asset(): pulumi.asset.StringAsset;
}

/** Oldest Node.js the bundle must run on (Debian 12 ships 18). */
export const BUNDLE_NODE_TARGET = "node18";

/** Why the bundle could not be built, naming what was looked for. */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundleError";
  }
}

const cache = new Map<string, BrokerBundle>();

/** The folder holding natsfleet's package.json, searched upwards from `from`. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, "utf8")).name === "natsfleet") return dir;
      } catch {
        // a package.json we cannot read is not ours; keep looking upwards
      }
    }
    if (path.dirname(dir) === dir) throw new BundleError(`natsfleet's package.json not found above ${from}`);
  }
}

/** The entry to bundle: the TypeScript source when present, else the compiled one. */
export function bundleEntry(root: string): string {
  for (const rel of ["broker/main.ts", "dist/broker/main.js"]) {
    const p = path.join(root, rel);
    if (fs.existsSync(p)) return p;
  }
  throw new BundleError(`no broker entry point in ${root} (looked for broker/main.ts and dist/broker/main.js; run npm run build)`);
}

/** Bundle natsfleet-server (cached per entry for the life of the process). */
export function brokerBundle(root: string = packageRoot()): BrokerBundle {
  const entry = bundleEntry(root);
  const hit = cache.get(entry);
  if (hit) return hit;
  // required lazily: only deployments that ship the broker pay for loading esbuild
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const esbuild = require("esbuild") as typeof import("esbuild");
  let text: string;
  try {
    const out = esbuild.buildSync({
      stdin: {
        contents: `require(${JSON.stringify("./" + path.relative(root, entry).replace(/\\/g, "/").replace(/\.(ts|js)$/, ""))}).main(process.argv.slice(2));`,
        resolveDir: root,
        sourcefile: "natsfleet-server-entry.js",
        loader: "js",
      },
      bundle: true,
      platform: "node",
      target: BUNDLE_NODE_TARGET,
      format: "cjs",
      minify: true,
      legalComments: "none",
      write: false,
      logLevel: "silent",
    });
    text = `#!/usr/bin/env node\n${out.outputFiles[0]!.text}`;
  } catch (e) {
    const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number } }> }).errors;
    const detail = errors?.length ? errors.map((x) => (x.location ? `${x.location.file}:${x.location.line}: ${x.text}` : x.text)).join("; ") : String(e);
    throw new BundleError(`bundling the broker from ${entry} failed: ${detail}`);
  }
  const bundle: BrokerBundle = {
    text,
    sha256: crypto.createHash("sha256").update(text).digest("hex"),
    gzipBase64: zlib.gzipSync(Buffer.from(text), { level: 9 }).toString("base64"),
    source: entry,
    asset: () => new pulumi.asset.StringAsset(text),
  };
  cache.set(entry, bundle);
  return bundle;
}
