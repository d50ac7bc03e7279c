/**
 * One certificate authority per super-cluster and one certificate per server, made with
 * @pulumi/tls. A gateway in AWS verifies a gateway in GCP, so the CA is shared by every target
 * that deploys into the same SuperCluster (memoized on that component). Private keys are
 * Pulumi secrets. Each server's certificate serves both ends of a link (server_auth for its
 * listeners, client_auth for the routes/gateways/remotes it dials).
 */
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { NodeGroup } from "../target";
import type { ServerAddress, TlsFiles } from "../topology/model";

/** Ten years for the CA, two for servers: rotation is a `pulumi up` after the early-renewal window. */
export const CA_VALIDITY_HOURS = 24 * 365 * 10;
export const SERVER_VALIDITY_HOURS = 24 * 365 * 2;
export const SERVER_EARLY_RENEWAL_HOURS = 24 * 30;

/** The files a server's TLS blocks name, on a VM: the bootstrap writes them there. */
export const VM_TLS_FILES: TlsFiles = {
  certFile: "/etc/natsfleet/tls/cert.pem",
  keyFile: "/etc/natsfleet/tls/key.pem",
  caFile: "/etc/natsfleet/tls/ca.pem",
};

/** True when any of the group's listeners uses TLS. */
export function groupUsesTls(group: NodeGroup): boolean {
  const t = group.tls;
  return t.client || t.cluster || t.gateway || t.leafnode;
}

/** Extra names for one server's certificate beyond its own addresses. */
export interface ServerCertRequest {
  /** Server name: the certificate's CN and a DNS SAN. */
  server: string;
  /** Its route host and advertise address (IPs become IP SANs, names DNS SANs). */
  address: ServerAddress<pulumi.Input<string>>;
  /** More addresses (private IPs, load balancer names, pod DNS names). */
  extra?: pulumi.Input<string>[];
}

/** One server's certificate material. */
export interface ServerCert {
  certPem: pulumi.Output<string>;
  /** Secret. */
  keyPem: pulumi.Output<string>;
  caPem: pulumi.Output<string>;
}

/** IP SANs and DNS SANs from a list of addresses, deduplicated and sorted (stable inputs). */
export function splitSans(values: string[]): { ipAddresses: string[]; dnsNames: string[] } {
  const clean = [...new Set(values.map((v) => v.replace(/^\[|\]$/g, "")).filter((v) => v.length > 0))].sort();
  return { ipAddresses: clean.filter((v) => net.isIP(v) !== 0), dnsNames: clean.filter((v) => net.isIP(v) === 0) };
}

export class Pki {
  /** The CA certificate every server trusts (public). */
  readonly caPem: pulumi.Output<string>;
  private readonly caKey: tls.PrivateKey;
  private readonly caCert: tls.SelfSignedCert;

  constructor(
    private readonly name: string,
    private readonly parent: pulumi.Resource,
  ) {
    this.caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
    this.caCert = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: pulumi.secret(this.caKey.privateKeyPem),
        isCaCertificate: true,
        validityPeriodHours: CA_VALIDITY_HOURS,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        subject: { commonName: `${name} natsfleet CA`, organization: "natsfleet" },
      },
      { parent },
    );
    this.caPem = this.caCert.certPem;
  }

  /** A key and a CA-signed certificate for one server, children of `parent` named `${prefix}-...`. */
  serverCert(req: ServerCertRequest, parent: pulumi.Resource, prefix: string): ServerCert {
    const key = new tls.PrivateKey(`${prefix}-tls-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
    const sans = pulumi
      .all([req.address.host, req.address.advertise, ...(req.extra ?? [])])
      .apply((vs) => splitSans([req.server, "localhost", "127.0.0.1", ...vs.filter((v): v is string => typeof v === "string")]));
    const csr = new tls.CertRequest(
      `${prefix}-tls-csr`,
      {
        privateKeyPem: pulumi.secret(key.privateKeyPem),
        subject: { commonName: req.server, organization: "natsfleet" },
        dnsNames: sans.apply((s) => s.dnsNames),
        ipAddresses: sans.apply((s) => s.ipAddresses),
      },
      { parent },
    );
    const cert = new tls.LocallySignedCert(
      `${prefix}-tls-cert`,
      {
        certRequestPem: csr.certRequestPem,
        caPrivateKeyPem: pulumi.secret(this.caKey.privateKeyPem),
        caCertPem: this.caCert.certPem,
        validityPeriodHours: SERVER_VALIDITY_HOURS,
        earlyRenewalHours: SERVER_EARLY_RENEWAL_HOURS,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
      },
      { parent },
    );
    return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem), caPem: this.caPem };
  }
}

const shared = new WeakMap<pulumi.Resource, Pki>();

/**
 * The super-cluster's PKI, made on first use by any target and shared afterwards. `root` is the
 * SuperCluster (the `parent` of `Target.allocate`), `name` its name.
 */
export function sharedPki(root: pulumi.Resource, name: string): Pki {
  let pki = shared.get(root);
  if (!pki) {
    pki = new Pki(name, root);
    shared.set(root, pki);
  }
  return pki;
}

/**
 * The SuperCluster's name from an allocate prefix (`${name}-${group}`): the CA is named after
 * the super-cluster, not after whichever group happened to need it first.
 */
export function superClusterName(prefix: string, group: NodeGroup): string {
  const suffix = `-${group.name}`;
  return prefix.endsWith(suffix) ? prefix.slice(0, -suffix.length) : prefix;
}
