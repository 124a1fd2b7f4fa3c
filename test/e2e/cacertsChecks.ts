import { X509Certificate, createPrivateKey } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubectl, mustRun, run } from "./support";

/** Checks of CA material as it sits on the API server, with openssl and Node's X509Certificate. */

export type Files = Record<string, string>;

/** The data of a Secret, decoded. */
export function secretFiles(namespace: string, name: string, kubeconfig?: string): Files {
  const secret = JSON.parse(
    kubectl([
      ...(kubeconfig ? ["--kubeconfig", kubeconfig] : []),
      "get",
      "secret",
      name,
      "-n",
      namespace,
      "-o",
      "json",
    ]),
  );
  return Object.fromEntries(
    Object.entries(secret.data as Record<string, string>).map(([k, v]) => [
      k,
      Buffer.from(v, "base64").toString("utf8"),
    ]),
  );
}

/** Writes files to a private temp dir for openssl. */
export function toDir(files: Files): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cacerts-"));
  for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, k), v, { mode: 0o600 });
  return dir;
}

/**
 * What istiod needs of `cacerts`: the four files, ca-key.pem the key of ca-cert.pem, cert-chain.pem
 * starting with ca-cert.pem and verifying against root-cert.pem, and a SPIFFE workload leaf signed
 * with ca-cert.pem/ca-key.pem (as istiod signs) verifying through the chain to the roots.
 * Returns the intermediate's fingerprint and the roots' fingerprints.
 */
export function checkCacerts(files: Files, trustDomain = "cluster.local"): { intermediate: string; roots: string[] } {
  expect(Object.keys(files).sort()).toEqual(["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
  const dir = toDir(files);
  try {
    const openssl = (...args: string[]) => mustRun("openssl", args, { cwd: dir }).trim();
    const ca = new X509Certificate(files["ca-cert.pem"]);
    expect(ca.ca).toBe(true);
    expect(ca.checkPrivateKey(createPrivateKey(files["ca-key.pem"]))).toBe(true);
    expect(new X509Certificate(files["cert-chain.pem"]).raw).toEqual(ca.raw);
    expect(openssl("verify", "-CAfile", "root-cert.pem", "-untrusted", "cert-chain.pem", "ca-cert.pem")).toBe(
      "ca-cert.pem: OK",
    );
    openssl(
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-subj",
      "/",
      "-keyout",
      "leaf.key",
      "-out",
      "leaf.csr",
    );
    fs.writeFileSync(
      path.join(dir, "leaf.ext"),
      [
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature, keyEncipherment",
        "extendedKeyUsage = serverAuth, clientAuth",
        `subjectAltName = critical, URI:spiffe://${trustDomain}/ns/test/sa/httpbin`,
      ].join("\n"),
    );
    openssl(
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca-cert.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      "leaf.ext",
      "-out",
      "leaf.pem",
    );
    expect(openssl("verify", "-CAfile", "root-cert.pem", "-untrusted", "cert-chain.pem", "leaf.pem")).toBe(
      "leaf.pem: OK",
    );
    const roots = (
      files["root-cert.pem"].match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
    ).map((p) => new X509Certificate(p).fingerprint256);
    return { intermediate: ca.fingerprint256, roots };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl verify` of a chain file against a root bundle, as text ("...: OK" or the error). */
export function verifyChain(rootBundle: string, chain: string): { ok: boolean; out: string } {
  const dir = toDir({ "root.pem": rootBundle, "chain.pem": chain });
  try {
    const r = run("openssl", ["verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "chain.pem"], { cwd: dir });
    return { ok: r.code === 0, out: (r.stdout + r.stderr).trim() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
