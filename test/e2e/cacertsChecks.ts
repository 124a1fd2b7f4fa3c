import { X509Certificate, createPrivateKey } from "crypto";
import { OpensslDir, verifyPems } from "../harness/openssl";
import { getCoreObject, kubeconfigOr } from "./kubeApi";
import { mustRun } from "./support";

/** Checks of CA material as it sits on the API server, with openssl and Node's X509Certificate. */

export type Files = Record<string, string>;

/** The data of a Secret, decoded. */
export function secretFiles(namespace: string, name: string, kubeconfig?: string): Files {
  const secret = getCoreObject(kubeconfigOr(kubeconfig), "secret", name, namespace);
  if (!secret) throw new Error(`secret ${namespace}/${name} not found`);
  return Object.fromEntries(
    Object.entries((secret.data ?? {}) as Record<string, string>).map(([k, v]) => [
      k,
      Buffer.from(v, "base64").toString("utf8"),
    ]),
  );
}

/** Writes files to a private temp dir for openssl. */
export function toDir(files: Files): string {
  const ssl = new OpensslDir({ prefix: "cacerts-" });
  for (const [k, v] of Object.entries(files)) ssl.write(k, v, 0o600);
  return ssl.dir;
}

/**
 * What istiod needs of `cacerts`: the four files, ca-key.pem the key of ca-cert.pem, cert-chain.pem
 * starting with ca-cert.pem and verifying against root-cert.pem, and a SPIFFE workload leaf signed
 * with ca-cert.pem/ca-key.pem (as istiod signs) verifying through the chain to the roots.
 * Returns the intermediate's fingerprint and the roots' fingerprints.
 */
export function checkCacerts(files: Files, trustDomain = "cluster.local"): { intermediate: string; roots: string[] } {
  expect(Object.keys(files).sort()).toEqual(["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
  const ssl = new OpensslDir({ dir: toDir(files), exec: mustRun });
  try {
    const openssl = (...args: string[]) => ssl.run(...args).trim();
    const ca = new X509Certificate(files["ca-cert.pem"]);
    expect(ca.ca).toBe(true);
    expect(ca.checkPrivateKey(createPrivateKey(files["ca-key.pem"]))).toBe(true);
    expect(new X509Certificate(files["cert-chain.pem"]).raw).toEqual(ca.raw);
    expect(openssl("verify", "-CAfile", "root-cert.pem", "-untrusted", "cert-chain.pem", "ca-cert.pem")).toBe(
      "ca-cert.pem: OK",
    );
    ssl.leaf("leaf", "ca-cert.pem", "ca-key.pem", {
      spiffe: `spiffe://${trustDomain}/ns/test/sa/httpbin`,
      subj: "/",
      criticalSan: true,
    });
    expect(openssl("verify", "-CAfile", "root-cert.pem", "-untrusted", "cert-chain.pem", "leaf.pem")).toBe(
      "leaf.pem: OK",
    );
    const roots = (
      files["root-cert.pem"].match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
    ).map((p) => new X509Certificate(p).fingerprint256);
    return { intermediate: ca.fingerprint256, roots };
  } finally {
    ssl.cleanup();
  }
}

/** `openssl verify` of a chain file against a root bundle, as text ("...: OK" or the error). */
export function verifyChain(rootBundle: string, chain: string): { ok: boolean; out: string } {
  const r = verifyPems(
    { roots: rootBundle, cert: chain, untrusted: chain },
    { certFile: "chain.pem", untrustedFile: "chain.pem", prefix: "cacerts-" },
  );
  return { ok: r.ok, out: r.out.trim() };
}
