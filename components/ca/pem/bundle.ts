import * as crypto from "crypto";

/** PEM bundles: split into certificates, join, parse. Pure. */

/** `root-cert.pem` is the roots concatenated, each ending in a newline. */
export function joinPems(pems: string[]): string {
  return pems.map((p) => (p.endsWith("\n") ? p : `${p}\n`)).join("");
}

/** The PEM certificates of a bundle, in order, each ending in a newline. */
export function splitPemCerts(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)?.map((p) => `${p}\n`) ?? [];
}

/** The certificates of a bundle; undefined when it holds none or one does not parse. */
export function parseCertBundle(bundle: string): crypto.X509Certificate[] | undefined {
  try {
    const pems = splitPemCerts(bundle);
    return pems.length > 0 ? pems.map((p) => new crypto.X509Certificate(p)) : undefined;
  } catch {
    return undefined;
  }
}
