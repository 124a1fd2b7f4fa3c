import * as crypto from "crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  BasicConstraints,
  Certificate,
  KeyUsage,
  KeyUsageFlags,
  id_ce_basicConstraints,
  id_ce_keyUsage,
} from "@peculiar/asn1-x509";

/**
 * One certificate (Node's `crypto.X509Certificate`): how messages name it, who signed it, what its CA
 * extensions say (read with `@peculiar/asn1-x509`, as Node does not expose them), whether its key is
 * strong enough and matches a private key. Pure and synchronous; never prints a key.
 */

/** Istio's default workload certificate TTL: a CA that lives shorter cannot back a single leaf. */
export const WORKLOAD_TTL_MS = 86_400_000;

/** How a certificate is named in messages: its subject on one line, as openssl prints it. */
export function subjectOf(cert: crypto.X509Certificate): string {
  return cert.subject.split("\n").filter(Boolean).join(", ");
}

/** How a certificate's issuer is named in messages and outputs: on one line, as openssl prints it. */
export function issuerOf(cert: crypto.X509Certificate): string {
  return cert.issuer.split("\n").filter(Boolean).join(", ");
}

/** SHA-256 fingerprint without colons, lowercase. */
export function fingerprintOf(cert: crypto.X509Certificate): string {
  return cert.fingerprint256.replace(/:/g, "").toLowerCase();
}

/** `"O=Istio, CN=Root CA" (sha256 ab12…)`: a certificate as messages name it. */
export function describeCert(cert: crypto.X509Certificate): string {
  return `"${subjectOf(cert)}" (sha256 ${fingerprintOf(cert).slice(0, 16)}…)`;
}

/** Whether `issuer` issued `cert`: names match and the signature verifies with the issuer's key. */
export function signedBy(cert: crypto.X509Certificate, issuer: crypto.X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** The certificate among `roots` that signed `cert`, if any. */
export function signingRoot(
  cert: crypto.X509Certificate,
  roots: readonly crypto.X509Certificate[],
): crypto.X509Certificate | undefined {
  return roots.find((r) => signedBy(cert, r));
}

/** What a CA certificate's basicConstraints and keyUsage say. */
export interface CaExtensions {
  /** basicConstraints cA (false when the extension is absent). */
  readonly ca: boolean;
  /** basicConstraints pathLenConstraint; undefined when unconstrained. */
  readonly pathLenConstraint?: number;
  /** Whether a keyUsage extension is present at all (absent means any use, RFC 5280 4.2.1.3). */
  readonly hasKeyUsage: boolean;
  /** keyUsage keyCertSign (true when keyUsage is absent). */
  readonly keyCertSign: boolean;
}

/** Reads basicConstraints and keyUsage from the certificate's DER. */
export function caExtensions(cert: crypto.X509Certificate): CaExtensions {
  try {
    const extensions = AsnConvert.parse(cert.raw, Certificate).tbsCertificate.extensions ?? [];
    const value = (id: string) => extensions.find((e) => e.extnID === id)?.extnValue.buffer;
    const bc = value(id_ce_basicConstraints);
    const ku = value(id_ce_keyUsage);
    const constraints = bc ? AsnConvert.parse(bc, BasicConstraints) : undefined;
    const usage = ku ? AsnConvert.parse(ku, KeyUsage) : undefined;
    return {
      ca: constraints?.cA ?? false,
      ...(constraints?.pathLenConstraint !== undefined ? { pathLenConstraint: constraints.pathLenConstraint } : {}),
      hasKeyUsage: usage !== undefined,
      keyCertSign: usage === undefined || (usage.toNumber() & KeyUsageFlags.keyCertSign) !== 0,
    };
  } catch {
    // Malformed extensions: report the certificate as Node sees it (CA flag only).
    return { ca: cert.ca, hasKeyUsage: false, keyCertSign: cert.ca };
  }
}

/**
 * Refuses keys istiod cannot or should not sign with: RSA below 2048 bits, EC curves other than
 * P-256/P-384/P-521, anything but RSA or ECDSA (istio's pkg/security/pkg/pki/util loads RSA and EC keys only).
 */
export function weakKey(cert: crypto.X509Certificate): string | undefined {
  const k = cert.publicKey;
  const d = k.asymmetricKeyDetails ?? {};
  if (k.asymmetricKeyType === "rsa" && (d.modulusLength ?? 0) < 2048)
    return `an RSA key of ${d.modulusLength} bits (at least 2048 required)`;
  if (k.asymmetricKeyType === "ec" && !["prime256v1", "secp384r1", "secp521r1"].includes(d.namedCurve ?? "")) {
    return `an EC key on curve ${d.namedCurve} (P-256, P-384 or P-521 required)`;
  }
  if (k.asymmetricKeyType !== "rsa" && k.asymmetricKeyType !== "ec") {
    const t = String(k.asymmetricKeyType);
    return `${/^[aeiou]/.test(t) ? "an" : "a"} ${t} key (RSA or ECDSA required: istiod signs with RSA or ECDSA CA keys only)`;
  }
  return undefined;
}

/** Why `keyPem` cannot be the key of `cert`, or undefined when it is. Never includes the key. */
export function keyMismatch(
  cert: crypto.X509Certificate,
  keyPem: string,
  certKey = "the certificate",
): string | undefined {
  if (/-{5}BEGIN ENCRYPTED PRIVATE KEY-{5}|Proc-Type: 4,ENCRYPTED/.test(keyPem)) {
    return "is an encrypted private key; istiod needs it unencrypted (it is stored encrypted as a Pulumi secret): openssl pkey -in key.pem -out plain-key.pem";
  }
  // istiod (security/pkg/pki/util ParsePemEncodedKey) reads the first PEM block only, e.g. not past the
  // EC PARAMETERS block `openssl ecparam -genkey` writes first.
  const first = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(keyPem)?.[1];
  if (first && !["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"].includes(first)) {
    return `starts with ${/^[AEIOU]/.test(first) ? "an" : "a"} ${first} block; istiod reads only the first PEM block, which must be the key (PRIVATE KEY, RSA or EC PRIVATE KEY): openssl pkey -in key.pem -out ca-key.pem`;
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(keyPem);
  } catch {
    return "must be an unencrypted PEM private key (PKCS#1 RSA, SEC1 EC or PKCS#8)";
  }
  return cert.checkPrivateKey(key) ? undefined : `does not match the public key of ${certKey}`;
}
