import * as crypto from "crypto";

/** Pure checks of CA material supplied as PEMs, so a broken chain fails at config time, not in istiod. */

/** The PEM certificates in a bundle, in order. */
export function splitPemCerts(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)?.map((p) => `${p}\n`) ?? [];
}

function parseCerts(bundle: string): crypto.X509Certificate[] | undefined {
  try {
    const pems = splitPemCerts(bundle);
    return pems.length > 0 ? pems.map((p) => new crypto.X509Certificate(p)) : undefined;
  } catch {
    return undefined;
  }
}

export interface ProvidedMaterial {
  readonly rootCertPem: string;
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly certChainPem?: string;
}

/** The root in `roots` that signed `cert`, if any. */
export function signingRoot(cert: crypto.X509Certificate, roots: crypto.X509Certificate[]): crypto.X509Certificate | undefined {
  return roots.find((r) => cert.checkIssued(r) && cert.verify(r.publicKey));
}

/**
 * Problems with supplied material, by config key: the intermediate must be a CA signed by one of the
 * roots, the key must be its key, the chain must start with it. Messages never include the key.
 */
export function providedMaterialProblems(m: ProvidedMaterial): { key: keyof ProvidedMaterial; message: string }[] {
  const roots = parseCerts(m.rootCertPem);
  const ca = parseCerts(m.caCertPem);
  const problems: { key: keyof ProvidedMaterial; message: string }[] = [];
  if (!roots) problems.push({ key: "rootCertPem", message: "must hold one or more PEM certificates (the trusted roots)" });
  if (!ca || ca.length !== 1) problems.push({ key: "caCertPem", message: "must hold exactly one PEM certificate (the intermediate istiod signs with)" });
  if (!roots || !ca || ca.length !== 1) return problems;
  const [intermediate] = ca;
  if (!intermediate.ca) problems.push({ key: "caCertPem", message: "is not a CA certificate (basicConstraints CA:true is required to sign workload certificates)" });
  if (!signingRoot(intermediate, roots)) problems.push({ key: "caCertPem", message: `is not signed by any certificate in rootCertPem (issuer ${intermediate.issuer.replace(/\n/g, ", ")})` });
  try {
    if (!intermediate.checkPrivateKey(crypto.createPrivateKey(m.caKeyPem))) {
      problems.push({ key: "caKeyPem", message: "does not match the public key of caCertPem" });
    }
  } catch {
    problems.push({ key: "caKeyPem", message: "must be a PEM private key (PKCS#1, PKCS#8 or SEC1)" });
  }
  if (m.certChainPem !== undefined) {
    const chain = parseCerts(m.certChainPem);
    if (!chain || chain[0].fingerprint256 !== intermediate.fingerprint256) {
      problems.push({ key: "certChainPem", message: "must start with caCertPem, followed by the certificates up to the root" });
    }
  }
  return problems;
}
