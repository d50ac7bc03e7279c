/**
 * `verify_and_map`: which configured user a verified client certificate stands for, in
 * nats-server 2.9's order: an email SAN, then a DNS SAN, then a URI SAN, then the subject DN
 * (equal to a user name parsed as a DN, in any RDN order), then the subject written as Go's
 * RDNSequence string ("CN=client,O=Org,C=US": reversed, comma-joined) looked up literally.
 */
import { X509Certificate } from "crypto";
import type { TLSSocket } from "tls";

/** One attribute of a distinguished name; types upper-cased ("CN", "OU", "DC"). */
interface DnAttr {
  type: string;
  value: string;
}

/** The identities of a peer certificate that verify_and_map can map. */
export interface CertIdentities {
  emails: string[];
  dnsNames: string[];
  uris: string[];
  /** Subject attributes in certificate order (most significant first). */
  subject: DnAttr[];
  /** Go's RDNSequence.String() of the subject. */
  rdnString: string;
}

/** The verified peer certificate's identities, or undefined when there is none. */
export function peerIdentities(sock: unknown): CertIdentities | undefined {
  const s = sock as Partial<TLSSocket>;
  if (typeof s.getPeerX509Certificate !== "function") return undefined;
  const cert = s.getPeerX509Certificate();
  return cert ? certIdentities(cert) : undefined;
}

export function certIdentities(cert: X509Certificate): CertIdentities {
  const emails: string[] = [];
  const dnsNames: string[] = [];
  const uris: string[] = [];
  for (const entry of splitSan(cert.subjectAltName ?? "")) {
    const i = entry.indexOf(":");
    if (i < 0) continue;
    const kind = entry.slice(0, i);
    const value = unquote(entry.slice(i + 1));
    if (kind === "email") emails.push(value);
    else if (kind === "DNS") dnsNames.push(value);
    else if (kind === "URI") uris.push(value);
  }
  const subject: DnAttr[] = [];
  for (const line of cert.subject.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) subject.push({ type: line.slice(0, i).toUpperCase(), value: line.slice(i + 1) });
  }
  const rdnString = [...subject].reverse().map((a) => `${a.type}=${escapeDnValue(a.value)}`).join(",");
  return { emails, dnsNames, uris, subject, rdnString };
}

/**
 * The configured user name the certificate maps to, or undefined. `has(name)` says whether a
 * user of that name exists and may connect here.
 */
export function mapCertificateUser(id: CertIdentities, names: Iterable<string>, has: (name: string) => boolean): string | undefined {
  for (const candidate of [...id.emails, ...id.dnsNames, ...id.uris]) if (has(candidate)) return candidate;
  if (id.subject.length > 0) {
    for (const name of names) {
      const dn = parseDn(name);
      if (dn && sameAttributes(dn, id.subject) && has(name)) return name;
    }
  }
  if (id.rdnString && has(id.rdnString)) return id.rdnString;
  return undefined;
}

/** Parse an RFC 4514 DN ("CN=x,OU=y+O=z"); undefined when it is not one. */
export function parseDn(s: string): DnAttr[] | undefined {
  const out: DnAttr[] = [];
  let type = "";
  let value = "";
  let inValue = false;
  const push = (): boolean => {
    const t = type.trim().toUpperCase();
    if (!inValue || !/^[A-Z][A-Z0-9-]*$|^\d+(\.\d+)*$/.test(t)) return false;
    out.push({ type: t, value: value.trim() });
    type = value = "";
    inValue = false;
    return true;
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (!inValue) {
      if (ch === "=") inValue = true;
      else if (ch === "," || ch === "+") return undefined;
      else type += ch;
      continue;
    }
    if (ch === "\\" && i + 1 < s.length) {
      const hex = /^[0-9a-fA-F]{2}/.exec(s.slice(i + 1, i + 3));
      if (hex) {
        value += String.fromCharCode(parseInt(hex[0], 16));
        i += 2;
      } else {
        value += s[++i];
      }
    } else if (ch === "," || ch === "+" || ch === ";") {
      if (!push()) return undefined;
    } else {
      value += ch;
    }
  }
  if (!push()) return undefined;
  return out;
}

/** The same attributes, whatever their order (nats-server accepts reordered RDNs). */
function sameAttributes(a: DnAttr[], b: DnAttr[]): boolean {
  if (a.length !== b.length) return false;
  const rest = b.map((x) => `${x.type}=${x.value}`);
  for (const x of a) {
    const i = rest.indexOf(`${x.type}=${x.value}`);
    if (i < 0) return false;
    rest.splice(i, 1);
  }
  return true;
}

/** Node's subjectAltName: "DNS:a, email:b"; values with a comma are JSON-quoted. */
function splitSan(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"' && s[i - 1] !== "\\") quoted = !quoted;
    if (!quoted && ch === "," && s[i + 1] === " ") {
      out.push(cur);
      cur = "";
      i++;
      continue;
    }
    cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

function unquote(v: string): string {
  if (v.startsWith('"') && v.endsWith('"')) {
    try {
      return JSON.parse(v) as string;
    } catch {
      return v;
    }
  }
  return v;
}

/** Escape as Go's pkix does for RDNSequence.String(). */
function escapeDnValue(v: string): string {
  let out = "";
  for (let i = 0; i < v.length; i++) {
    const ch = v[i];
    const edge = (i === 0 && (ch === " " || ch === "#")) || (i === v.length - 1 && ch === " ");
    if (edge || ",+\"\\<>;".includes(ch)) out += "\\" + ch;
    else out += ch;
  }
  return out;
}
