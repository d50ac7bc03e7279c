/**
 * Test certificates made at test time with openssl: no private key is ever committed.
 * `ensureTestCerts(dir)` writes ca.pem, server-cert.pem, server-key.pem (SANs localhost,
 * 127.0.0.1) and client-cert.pem/client-key.pem, once per directory per process.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const made = new Set<string>();

export function ensureTestCerts(dir: string): void {
  if (made.has(dir) && fs.existsSync(path.join(dir, "server-key.pem"))) return;
  fs.mkdirSync(dir, { recursive: true });
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=natsfleet test CA", "-keyout", "ca-key.pem", "-out", "ca.pem");
  for (const who of ["server", "client"]) {
    const ext = path.join(dir, `${who}.ext`);
    fs.writeFileSync(
      ext,
      who === "server"
        ? "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n"
        : "subjectAltName=email:client@natsfleet.test\nextendedKeyUsage=clientAuth\n",
    );
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${who === "server" ? "localhost" : "client"}`, "-keyout", `${who}-key.pem`, "-out", `${who}.csr`);
    run("x509", "-req", "-in", `${who}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", `${who}-cert.pem`);
  }
  made.add(dir);
}

/**
 * A client certificate for `subject` (openssl form, "/O=x/CN=y") signed by the CA of `dir`
 * (made by ensureTestCerts), with optional subjectAltName entries ("email:a@b", "DNS:h").
 * Writes `<name>-cert.pem` and `<name>-key.pem` in `dir`.
 */
export function issueClientCert(dir: string, name: string, subject: string, san: string[] = []): { cert: string; key: string } {
  ensureTestCerts(dir);
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(ext, `${san.length > 0 ? `subjectAltName=${san.join(",")}\n` : ""}extendedKeyUsage=clientAuth\n`);
  run("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`);
  run("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", `${name}-cert.pem`);
  return { cert: path.join(dir, `${name}-cert.pem`), key: path.join(dir, `${name}-key.pem`) };
}
