import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { rsaPrivateKey } from "./keyPool";

/**
 * A faithful stand-in for the @pulumi/tls provider under mocks: it takes the exact inputs our
 * components give tls resources and produces real keys and certificates with Node's crypto and
 * the `openssl` CLI, mapping each input the way terraform-provider-tls does with Go's crypto/x509.
 * Source followed (hashicorp/terraform-provider-tls internal/provider/, the same files as the e2e
 * tier's Go test double, tools/tlsdouble/README.md):
 * - common_cert.go createCertificate: basicConstraints always present and critical (CA:FALSE on
 *   leaves); keyUsage critical, extKeyUsage not (allowedUses split between the two maps);
 *   random 128-bit serial; `maxPathLength` copied to Go's `MaxPathLen` ONLY, never
 *   `MaxPathLenZero`, and Go encodes `MaxPathLen == 0` without `MaxPathLenZero` as "no limit":
 *   so **maxPathLength 0 (like -1 or unset) gives NO pathlen**; only values >= 1 are encoded, and
 *   Go refuses them on a non-CA certificate ("x509: only CAs are allowed to specify MaxPathLen");
 *   a CA certificate ALWAYS gets a Subject Key Identifier (SHA-1 of the public key, what openssl's
 *   `hash` computes for RSA/ECDSA), a non-CA one only with setSubjectKeyId; a CA needs a subject.
 * - self-signed: AKI only with setAuthorityKeyId (= its own SKI; an error when it has none).
 *   Locally signed: Go copies the issuer's SKI into the AKI whenever the issuer has one.
 * - resource_cert_request.go / resource_locally_signed_cert.go: the CSR carries subject and
 *   DNS/IP/URI SANs; the signed certificate takes the CSR's subject and SANs, nothing else.
 * - signature digest chosen by Go from the signing key: SHA-256 for RSA and P-224/P-256,
 *   SHA-384 for P-384, SHA-512 for P-521.
 * - readyForRenewal planned true when validityPeriodHours is 0 or earlyRenewalHours >= it
 *   (attribute_plan_modifier_bool ReadyForRenewal); defaults in the state as the provider plans
 *   them (rsaBits 2048, ecdsaCurve P224, isCaCertificate/setSubjectKeyId/setAuthorityKeyId false,
 *   earlyRenewalHours 0, maxPathLength -1) and keyAlgorithm / caKeyAlgorithm.
 * Not emulated: privateKeyPemPkcs8 / OpenSSH outputs, ED25519 keys, exact-hour validity (openssl
 * 3.0 takes days: validity is rounded up to whole days).
 * Tests then check the result with `openssl verify` and crypto.X509Certificate.
 */

type Inputs = Record<string, any>;

const KEY_USAGE: Record<string, string> = {
  cert_signing: "keyCertSign",
  digital_signature: "digitalSignature",
  content_commitment: "nonRepudiation",
  key_encipherment: "keyEncipherment",
  data_encipherment: "dataEncipherment",
  key_agreement: "keyAgreement",
  crl_signing: "cRLSign",
  encipher_only: "encipherOnly",
  decipher_only: "decipherOnly",
};
const EXT_KEY_USAGE: Record<string, string> = {
  any_extended: "anyExtendedKeyUsage",
  server_auth: "serverAuth",
  client_auth: "clientAuth",
  code_signing: "codeSigning",
  email_protection: "emailProtection",
  ipsec_end_system: "ipsecEndSystem",
  ipsec_tunnel: "ipsecTunnel",
  ipsec_user: "ipsecUser",
  timestamping: "timeStamping",
  ocsp_signing: "OCSPSigning",
  microsoft_server_gated_crypto: "msSGC",
  netscape_server_gated_crypto: "nsSGC",
  microsoft_commercial_code_signing: "msCodeCom",
  microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};
const CURVES: Record<string, string> = { P224: "secp224r1", P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" };

/** One key per resource URN and inputs within a test process (as the state keeps it); RSA keys come from keyPool. */
const keyCache = new Map<string, { privateKeyPem: string; publicKeyPem: string }>();

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "tls-emu-"));
}

function openssl(args: string[], cwd: string): string {
  return execFileSync("openssl", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Subject in Go's pkix.Name order. */
function subjectArg(subject: Inputs | undefined): string {
  const s = subject ?? {};
  const parts: [string, string | undefined][] = [
    ["C", s.country],
    ["O", s.organization],
    ["OU", s.organizationalUnit],
    ["L", s.locality],
    ["ST", s.province],
    ["street", s.streetAddresses?.[0]],
    ["postalCode", s.postalCode],
    ["serialNumber", s.serialNumber],
    ["CN", s.commonName],
  ];
  const rdn = parts
    .filter(([, v]) => v)
    .map(([k, v]) => `/${k}=${String(v).replace(/\//g, "\\/")}`)
    .join("");
  return rdn || "/";
}

/** The digest Go's x509 picks for the signing key (signingParamsForKey). */
function digestFor(keyPem: string): string {
  const k = crypto.createPrivateKey(keyPem);
  if (k.asymmetricKeyType !== "ec") return "-sha256";
  const curve = k.asymmetricKeyDetails?.namedCurve;
  return curve === "secp384r1" ? "-sha384" : curve === "secp521r1" ? "-sha512" : "-sha256";
}

function hasSubject(subject: Inputs | undefined): boolean {
  return Object.values(subject ?? {}).some((v) => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null));
}

function extensions(
  i: Inputs,
  opts: { selfSigned: boolean; issuerHasSki: boolean; hasSubject: boolean; csrSans?: string[] },
): string {
  const lines: string[] = [];
  // common_cert.go: `if maxPathLen >= 0 { template.MaxPathLen = maxPathLen }`, MaxPathLenZero never
  // set, so 0 is "no limit" for Go's marshalBasicConstraints: only >= 1 reaches the certificate.
  const mpl: number = i.maxPathLength ?? -1;
  if (i.isCaCertificate) {
    if (!opts.hasSubject) {
      throw new Error(
        "Invalid Certificate Subject: Must contain at least one Distinguished Name when creating Certificate Authority (CA)",
      );
    }
    lines.push(`basicConstraints = critical, CA:TRUE${mpl >= 1 ? `, pathlen:${mpl}` : ""}`);
  } else {
    if (mpl >= 1) throw new Error("Failed to create certificate: x509: only CAs are allowed to specify MaxPathLen");
    lines.push("basicConstraints = critical, CA:FALSE");
  }
  const uses: string[] = i.allowedUses ?? [];
  const ku = uses.filter((u) => KEY_USAGE[u]).map((u) => KEY_USAGE[u]);
  if (ku.length) lines.push(`keyUsage = critical, ${ku.join(", ")}`);
  const eku = uses.filter((u) => EXT_KEY_USAGE[u]).map((u) => EXT_KEY_USAGE[u]);
  if (eku.length) lines.push(`extendedKeyUsage = ${eku.join(", ")}`);
  // A CA certificate always gets an SKI; any certificate with setSubjectKeyId.
  const ski = Boolean(i.isCaCertificate || i.setSubjectKeyId);
  lines.push(`subjectKeyIdentifier = ${ski ? "hash" : "none"}`);
  if (opts.selfSigned && i.setAuthorityKeyId && !ski) {
    throw new Error("Invalid Certificate Authority: Could not determine Authority Key Identifier");
  }
  const aki = opts.selfSigned ? Boolean(i.setAuthorityKeyId) : opts.issuerHasSki;
  lines.push(`authorityKeyIdentifier = ${aki ? "keyid:always" : "none"}`);
  const san = opts.csrSans ?? [
    ...(i.dnsNames ?? []).map((d: string) => `DNS:${d}`),
    ...(i.ipAddresses ?? []).map((a: string) => `IP:${a}`),
    ...(i.uris ?? []).map((u: string) => `URI:${u}`),
  ];
  if (san.length) lines.push(`subjectAltName = ${san.join(", ")}`);
  return `[ext]\n${lines.join("\n")}\n`;
}

function days(hours: number): string {
  return String(Math.max(1, Math.ceil(hours / 24)));
}

function validity(certPem: string): { validityStartTime: string; validityEndTime: string } {
  const c = new crypto.X509Certificate(certPem);
  return { validityStartTime: new Date(c.validFrom).toISOString(), validityEndTime: new Date(c.validTo).toISOString() };
}

/** The state values the provider plans for unset optional inputs (its schema defaults). */
const CERT_DEFAULTS = { earlyRenewalHours: 0, isCaCertificate: false, maxPathLength: -1, setSubjectKeyId: false };

function keyAlgorithm(keyPem: string): string {
  const t = crypto.createPrivateKey(keyPem).asymmetricKeyType;
  return t === "ec" ? "ECDSA" : t === "ed25519" ? "ED25519" : "RSA";
}

function readyForRenewal(i: Inputs): boolean {
  return i.validityPeriodHours === 0 || (i.earlyRenewalHours ?? 0) >= i.validityPeriodHours;
}

function serialArg(): string {
  // A random serial below 2^128, as common_cert.go draws it.
  return `0x${crypto.randomBytes(16).toString("hex")}`;
}

function rsaPair(bits: number): { privateKey: string; publicKey: string } {
  const privateKey = rsaPrivateKey(bits);
  return {
    privateKey,
    publicKey: crypto.createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString(),
  };
}

export function privateKey(urn: string, i: Inputs): Inputs {
  const cacheKey = `${urn}|${JSON.stringify(i)}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    const pair =
      i.algorithm === "ECDSA"
        ? crypto.generateKeyPairSync("ec", {
            namedCurve: CURVES[i.ecdsaCurve ?? "P224"],
            privateKeyEncoding: { type: "sec1", format: "pem" },
            publicKeyEncoding: { type: "spki", format: "pem" },
          })
        : rsaPair(i.rsaBits ?? 2048);
    key = { privateKeyPem: pair.privateKey, publicKeyPem: pair.publicKey };
    keyCache.set(cacheKey, key);
  }
  return { rsaBits: 2048, ecdsaCurve: "P224", ...i, ...key };
}

export function selfSignedCert(i: Inputs): Inputs {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "key.pem"), i.privateKeyPem);
  fs.writeFileSync(
    path.join(dir, "ext.cnf"),
    `[req]\ndistinguished_name = dn\n[dn]\n${extensions(i, { selfSigned: true, issuerHasSki: false, hasSubject: hasSubject(i.subject) })}`,
  );
  openssl(
    [
      "req",
      "-x509",
      "-new",
      digestFor(i.privateKeyPem),
      "-key",
      "key.pem",
      "-subj",
      subjectArg(i.subject),
      "-days",
      days(i.validityPeriodHours),
      "-set_serial",
      serialArg(),
      "-config",
      "ext.cnf",
      "-extensions",
      "ext",
      "-out",
      "cert.pem",
    ],
    dir,
  );
  const certPem = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    ...CERT_DEFAULTS,
    setAuthorityKeyId: false,
    ...i,
    certPem,
    ...validity(certPem),
    readyForRenewal: readyForRenewal(i),
    keyAlgorithm: keyAlgorithm(i.privateKeyPem),
  };
}

export function certRequest(i: Inputs): Inputs {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "key.pem"), i.privateKeyPem);
  const san = [
    ...(i.dnsNames ?? []).map((d: string) => `DNS:${d}`),
    ...(i.ipAddresses ?? []).map((a: string) => `IP:${a}`),
    ...(i.uris ?? []).map((u: string) => `URI:${u}`),
  ];
  fs.writeFileSync(
    path.join(dir, "req.cnf"),
    `[req]\ndistinguished_name = dn\nreq_extensions = ext\n[dn]\n[ext]\n${san.length ? `subjectAltName = ${san.join(", ")}\n` : ""}`,
  );
  openssl(
    [
      "req",
      "-new",
      digestFor(i.privateKeyPem),
      "-key",
      "key.pem",
      "-subj",
      subjectArg(i.subject),
      "-config",
      "req.cnf",
      "-out",
      "req.pem",
    ],
    dir,
  );
  const certRequestPem = fs.readFileSync(path.join(dir, "req.pem"), "utf8");
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...i, certRequestPem, keyAlgorithm: keyAlgorithm(i.privateKeyPem) };
}

/** Whether req.pem's subject has at least one attribute (the certificate takes the CSR's subject). */
function csrHasSubject(dir: string): boolean {
  return (
    openssl(["req", "-in", "req.pem", "-noout", "-subject", "-nameopt", "RFC2253"], dir)
      .replace(/^subject=/, "")
      .trim() !== ""
  );
}

/** DNS, IP and URI SANs of req.pem, in openssl extension syntax. */
function csrSans(dir: string): string[] {
  const text = openssl(["req", "-in", "req.pem", "-noout", "-text"], dir);
  const m = text.match(/X509v3 Subject Alternative Name:[^\n]*\n\s*([^\n]*)/);
  if (!m) return [];
  return m[1]
    .split(/,\s*/)
    .map((e) => e.replace(/^IP Address:/, "IP:"))
    .filter((e) => /^(DNS|IP|URI):/.test(e));
}

export function locallySignedCert(i: Inputs): Inputs {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "req.pem"), i.certRequestPem);
  fs.writeFileSync(path.join(dir, "ca.pem"), i.caCertPem);
  fs.writeFileSync(path.join(dir, "cakey.pem"), i.caPrivateKeyPem);
  const issuerHasSki =
    new crypto.X509Certificate(i.caCertPem).toString().length > 0 &&
    openssl(["x509", "-in", "ca.pem", "-noout", "-ext", "subjectKeyIdentifier"], dir).includes(
      "Subject Key Identifier",
    );
  // The provider's template takes the CSR's subject, key and DNS/IP/URI SANs, and no other CSR
  // extension (resource_locally_signed_cert.go): the SANs are read here and written into ext.cnf.
  fs.writeFileSync(
    path.join(dir, "ext.cnf"),
    extensions(i, { selfSigned: false, issuerHasSki, hasSubject: csrHasSubject(dir), csrSans: csrSans(dir) }),
  );
  openssl(
    [
      "x509",
      "-req",
      digestFor(i.caPrivateKeyPem),
      "-in",
      "req.pem",
      "-CA",
      "ca.pem",
      "-CAkey",
      "cakey.pem",
      "-set_serial",
      serialArg(),
      "-days",
      days(i.validityPeriodHours),
      "-extfile",
      "ext.cnf",
      "-extensions",
      "ext",
      "-out",
      "cert.pem",
    ],
    dir,
  );
  const certPem = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    ...CERT_DEFAULTS,
    ...i,
    certPem,
    ...validity(certPem),
    readyForRenewal: readyForRenewal(i),
    caKeyAlgorithm: keyAlgorithm(i.caPrivateKeyPem),
  };
}

/**
 * Like the engine keeping state: a resource registered again (same URN) with the same inputs keeps the
 * outputs it had, so successive runs in one process show which certificates really change.
 */
const stateCache = new Map<string, Inputs>();

function remembered(urn: string, i: Inputs, make: (i: Inputs) => Inputs): Inputs {
  const cacheKey = `${urn}|${JSON.stringify(i)}`;
  let state = stateCache.get(cacheKey);
  if (!state) {
    state = make(i);
    stateCache.set(cacheKey, state);
  }
  return state;
}

/** Dispatches a tls resource type token to its emulation; undefined for other types. */
export function emulateTls(type: string, urn: string, inputs: Inputs): Inputs | undefined {
  switch (type) {
    case "tls:index/privateKey:PrivateKey":
      return privateKey(urn, inputs);
    case "tls:index/selfSignedCert:SelfSignedCert":
      return remembered(urn, inputs, selfSignedCert);
    case "tls:index/certRequest:CertRequest":
      return remembered(urn, inputs, certRequest);
    case "tls:index/locallySignedCert:LocallySignedCert":
      return remembered(urn, inputs, locallySignedCert);
    default:
      return undefined;
  }
}
