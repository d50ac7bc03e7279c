/**
 * nats-server configs name cipher suites and curves as Go does (IANA names such as
 * TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, curves such as CurveP256); OpenSSL wants its own
 * names. Go's list only restricts TLS 1.2: TLS 1.3 keeps its default suites, so they are kept
 * here too.
 */

const CIPHERS: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: "AES128-SHA",
  TLS_RSA_WITH_AES_256_CBC_SHA: "AES256-SHA",
  TLS_RSA_WITH_AES_128_GCM_SHA256: "AES128-GCM-SHA256",
  TLS_RSA_WITH_AES_256_GCM_SHA384: "AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: "ECDHE-ECDSA-AES128-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: "ECDHE-ECDSA-AES256-SHA",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: "ECDHE-RSA-AES128-SHA",
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: "ECDHE-RSA-AES256-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: "ECDHE-ECDSA-AES128-SHA256",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: "ECDHE-RSA-AES128-SHA256",
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: "ECDHE-RSA-AES128-GCM-SHA256",
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: "ECDHE-ECDSA-AES128-GCM-SHA256",
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: "ECDHE-RSA-AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: "ECDHE-ECDSA-AES256-GCM-SHA384",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: "ECDHE-RSA-CHACHA20-POLY1305",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-RSA-CHACHA20-POLY1305",
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: "ECDHE-ECDSA-CHACHA20-POLY1305",
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
};

/** TLS 1.3 suites (same name in Go and OpenSSL). */
const TLS13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];

const CURVES: Readonly<Record<string, string>> = {
  CurveP256: "P-256",
  CurveP384: "P-384",
  CurveP521: "P-521",
  X25519: "X25519",
};

/**
 * The OpenSSL cipher string for a config's `cipher_suites`; throws naming the first unknown
 * suite (nats-server refuses those too).
 */
export function opensslCiphers(goNames: string[], where: string): string {
  const out: string[] = [];
  for (const name of goNames) {
    const mapped = CIPHERS[name] ?? (TLS13.includes(name) ? name : undefined);
    if (!mapped) throw new Error(`${where}: unrecognized cipher "${name}" in cipher_suites`);
    if (!out.includes(mapped)) out.push(mapped);
  }
  for (const s of TLS13) if (!out.includes(s)) out.push(s);
  return out.join(":");
}

/** The OpenSSL curve list for `curve_preferences`; throws naming an unknown curve. */
export function opensslCurves(goNames: string[], where: string): string {
  return goNames
    .map((name) => {
      const mapped = CURVES[name];
      if (!mapped) throw new Error(`${where}: unrecognized curve preference "${name}" in curve_preferences`);
      return mapped;
    })
    .join(":");
}
