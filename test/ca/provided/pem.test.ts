import * as crypto from "crypto";
import {
  caExtensions,
  checkSuppliedMaterial,
  providedMaterialProblems,
  splitPemCerts,
} from "../../../components/ca/pem";
import { OpensslDir } from "../../harness/openssl";
import { ProvidedFixtures, makeProvidedFixtures } from "./fixtures";

/** The shared PEM checks (components/ca/pem/) on real openssl material. */
describe("components/ca/pem", () => {
  let f: ProvidedFixtures;
  beforeAll(() => {
    f = makeProvidedFixtures();
  });
  const x = (pem: string) => new crypto.X509Certificate(pem);
  const keysOf = (m: Parameters<typeof providedMaterialProblems>[0]) => providedMaterialProblems(m).map((p) => p.key);
  const messages = (m: Parameters<typeof providedMaterialProblems>[0]) =>
    providedMaterialProblems(m)
      .map((p) => `${p.key}: ${p.message}`)
      .join("\n");

  it("reads basicConstraints and keyUsage from the DER, as openssl prints them", () => {
    expect(caExtensions(x(f.rootA.cert))).toEqual({ ca: true, hasKeyUsage: true, keyCertSign: true });
    expect(caExtensions(x(f.interA.cert))).toEqual({
      ca: true,
      pathLenConstraint: 0,
      hasKeyUsage: true,
      keyCertSign: true,
    });
    expect(caExtensions(x(f.corpPolicy.cert))).toMatchObject({ ca: true, pathLenConstraint: 1 });
    expect(caExtensions(x(f.notCa.cert))).toMatchObject({ ca: false, keyCertSign: false });
    expect(caExtensions(x(f.noCertSign.cert))).toMatchObject({ ca: true, keyCertSign: false });
    // Cross-check with openssl's own reading.
    const d = new OpensslDir();
    try {
      const text = d.run("x509", "-noout", "-text", "-in", d.write("i.pem", f.interA.cert));
      expect(text).toMatch(/CA:TRUE, pathlen:0/);
      expect(text).toMatch(/Certificate Sign/);
    } finally {
      d.cleanup();
    }
  });

  it("splits a bundle into certificates, each ending in a newline, the last one without its own", () => {
    const bundle = `${f.rootA.cert}${f.rootB.cert.trim()}`;
    expect(splitPemCerts(bundle)).toEqual([f.rootA.cert, f.rootB.cert]);
  });

  it("accepts the Makefile-like chain (default cert-chain = intermediate + root) and a dual-root bundle", () => {
    const m = { rootCertPem: f.rootA.cert, caCertPem: f.interA.cert, caKeyPem: f.interA.key };
    const check = checkSuppliedMaterial(m);
    expect(check.problems).toEqual([]);
    expect(check.certChainPem).toBe(f.interA.cert + f.rootA.cert);
    expect(check.path!.map((p) => [p.position, p.pathLenConstraint])).toEqual([
      ["intermediate", 0],
      ["root", undefined],
    ]);
    expect(keysOf({ ...m, rootCertPem: f.rootA.cert + f.rootB.cert })).toEqual([]);
    expect(
      keysOf({ ...m, rootCertPem: f.rootB.cert + f.rootA.cert, certChainPem: f.interA.cert + f.rootA.cert }),
    ).toEqual([]);
  });

  it("follows a corporate chain link by link: intermediate → policy CA → root (root in the chain or not)", () => {
    const m = { rootCertPem: f.corpRoot.cert, caCertPem: f.corpInter.cert, caKeyPem: f.corpInter.key };
    for (const chain of [
      f.corpInter.cert + f.corpPolicy.cert,
      f.corpInter.cert + f.corpPolicy.cert + f.corpRoot.cert,
    ]) {
      const check = checkSuppliedMaterial({ ...m, certChainPem: chain });
      expect(check.problems).toEqual([]);
      expect(check.path!.map((p) => [p.position, p.pathLenConstraint])).toEqual([
        ["intermediate", 0],
        ["chain", 1],
        ["root", undefined],
      ]);
      expect(check.certChainPem).toBe(chain);
    }
    // Without the chain the intermediate is not signed by a root of the bundle: the message says to list the chain.
    expect(messages(m)).toMatch(
      /^caCertPem: "O=Example Corp, OU=Mesh, CN=Istio cluster1 CA" \(sha256 [0-9a-f]{16}…\) is not signed by any root in rootCertPem \(its issuer is "O=Example Corp, CN=Example Corp Policy CA".*list them in certChainPem$/,
    );
    // A chain in the wrong order, or with a gap.
    expect(messages({ ...m, certChainPem: f.corpInter.cert + f.corpRoot.cert })).toMatch(
      /certChainPem: certificate 1 .* is not signed by the next one, certificate 2 .*Example Corp Root CA/,
    );
    expect(messages({ ...m, certChainPem: f.corpPolicy.cert + f.corpInter.cert })).toMatch(
      /certChainPem: must start with caCertPem/,
    );
    // A chain ending with a root that is not in the bundle.
    expect(
      messages({
        ...m,
        rootCertPem: f.rootA.cert,
        certChainPem: f.corpInter.cert + f.corpPolicy.cert + f.corpRoot.cert,
      }),
    ).toMatch(
      /certChainPem: ends with "O=Example Corp, CN=Example Corp Root CA".*neither a root in rootCertPem nor signed by one/,
    );
  });

  it("refuses a path its pathlen constraints forbid", () => {
    expect(
      messages({
        rootCertPem: f.corpRoot.cert,
        caCertPem: f.tightInter.cert,
        caKeyPem: f.tightInter.key,
        certChainPem: f.tightInter.cert + f.tightPolicy.cert,
      }),
    ).toMatch(
      /^certChainPem: chain certificate "O=Example Corp, CN=Tight Policy CA" .* has pathlen:0 but 1 CA certificate\(s\) below it/,
    );
  });

  it.each([
    [
      "a key of another certificate",
      (g: ProvidedFixtures) => ({ caKeyPem: g.rootB.key }),
      "caKeyPem: does not match the public key of caCertPem",
    ],
    [
      "an encrypted key",
      (g: ProvidedFixtures) => ({ caKeyPem: g.encryptedKeyA }),
      "caKeyPem: is an encrypted private key",
    ],
    [
      "EC PARAMETERS before the key",
      (g: ProvidedFixtures) => ({
        caKeyPem: `-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${g.interA.key}`,
      }),
      "caKeyPem: starts with an EC PARAMETERS block; istiod reads only the first PEM block",
    ],
    [
      "a CA restricted to clientAuth",
      (g: ProvidedFixtures) => ({ caCertPem: g.ekuClient.cert, caKeyPem: g.ekuClient.key }),
      "has an extendedKeyUsage (1.3.6.1.5.5.7.3.2) without serverAuth",
    ],
    [
      "garbage as key",
      () => ({ caKeyPem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }),
      "caKeyPem: must be an unencrypted PEM private key",
    ],
    [
      "a certificate that is not a CA",
      (g: ProvidedFixtures) => ({ caCertPem: g.notCa.cert, caKeyPem: g.notCa.key }),
      'caCertPem: "O=Istio, CN=Not A CA" (sha256',
    ],
    [
      "a CA without keyCertSign",
      (g: ProvidedFixtures) => ({ caCertPem: g.noCertSign.cert, caKeyPem: g.noCertSign.key }),
      "has a keyUsage without keyCertSign",
    ],
    [
      "an intermediate of another root",
      (g: ProvidedFixtures) => ({ caCertPem: g.interB.cert, caKeyPem: g.interB.key }),
      "is not signed by any root in rootCertPem",
    ],
    [
      "an expired intermediate",
      (g: ProvidedFixtures) => ({ caCertPem: g.expired.cert, caKeyPem: g.expired.key }),
      "expired on 2020-03-01T00:00:00.000Z",
    ],
    [
      "RSA 1024",
      (g: ProvidedFixtures) => ({ caCertPem: g.weakRsa.cert, caKeyPem: g.weakRsa.key }),
      "has an RSA key of 1024 bits (at least 2048 required)",
    ],
    [
      "Ed25519",
      (g: ProvidedFixtures) => ({ caCertPem: g.ed25519.cert, caKeyPem: g.ed25519.key }),
      "has an ed25519 key (RSA or ECDSA required",
    ],
    [
      "an intermediate outliving its root",
      (g: ProvidedFixtures) => ({
        rootCertPem: g.shortRoot.cert,
        caCertPem: g.outliving.cert,
        caKeyPem: g.outliving.key,
      }),
      "a CA certificate cannot outlive its issuer",
    ],
    [
      "a private key as root",
      (g: ProvidedFixtures) => ({ rootCertPem: g.rootA.key }),
      "rootCertPem: holds a private key; it takes certificates only (root-cert.pem): the root key (root-key.pem) must never be given to Pulumi",
    ],
    [
      "a key inside the chain",
      (g: ProvidedFixtures) => ({ certChainPem: g.interA.cert + g.interA.key + g.rootA.cert }),
      "certChainPem: holds a private key; it takes certificates only",
    ],
    [
      "no certificate as root",
      () => ({ rootCertPem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }),
      "rootCertPem: must hold one or more PEM certificates",
    ],
    [
      "two certificates as caCertPem",
      (g: ProvidedFixtures) => ({ caCertPem: g.interA.cert + g.rootA.cert }),
      "caCertPem: must hold exactly one PEM certificate",
    ],
  ])("refuses %s", (_what, change, expected) => {
    const m = { rootCertPem: f.rootA.cert, caCertPem: f.interA.cert, caKeyPem: f.interA.key, ...change(f) };
    const text = messages(m);
    expect(text).toContain(expected);
    // Never a key in a message.
    expect(text).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY|MII/);
  });

  it("a not-yet-valid certificate is refused (checked against the given time)", () => {
    const past = new Date(Date.now() - 86_400_000 * 2);
    expect(messages({ rootCertPem: f.rootA.cert, caCertPem: f.interA.cert, caKeyPem: f.interA.key }).length).toBe(0);
    const text = providedMaterialProblems(
      { rootCertPem: f.rootA.cert, caCertPem: f.interA.cert, caKeyPem: f.interA.key },
      past,
    )
      .map((p) => `${p.key}: ${p.message}`)
      .join("\n");
    expect(text).toMatch(/caCertPem: "O=Istio, CN=Intermediate CA, L=cluster1" .* is not valid before/);
    expect(text).toMatch(/rootCertPem: root "O=Istio, CN=Root CA" .* is not valid before/);
  });
});
