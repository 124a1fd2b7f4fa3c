import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * A faithful stand-in for the @pulumi/tls provider under mocks: it takes the exact inputs our
 * components give tls resources and produces real keys and certificates with Node's crypto and
 * the `openssl` CLI, mapping each input the way terraform-provider-tls does (Go's crypto/x509):
 * basicConstraints and keyUsage critical, pathlen from maxPathLength (-1 = none), SKI when
 * setSubjectKeyId, AKI from the issuer's SKI on locally signed certs, SANs copied from the CSR.
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
  server_auth: "serverAuth",
  client_auth: "clientAuth",
  code_signing: "codeSigning",
  email_protection: "emailProtection",
  timestamping: "timeStamping",
  ocsp_signing: "OCSPSigning",
};
const CURVES: Record<string, string> = { P224: "secp224r1", P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" };

/** Keys are costly (RSA 4096): reuse one per resource URN and inputs within a test process. */
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
    ["C", s.country], ["O", s.organization], ["OU", s.organizationalUnit], ["L", s.locality],
    ["ST", s.province], ["street", s.streetAddresses?.[0]], ["postalCode", s.postalCode],
    ["serialNumber", s.serialNumber], ["CN", s.commonName],
  ];
  const rdn = parts.filter(([, v]) => v).map(([k, v]) => `/${k}=${String(v).replace(/\//g, "\\/")}`).join("");
  return rdn || "/";
}

function extensions(i: Inputs, opts: { selfSigned: boolean; issuerHasSki: boolean }): string {
  const lines: string[] = [];
  if (i.isCaCertificate) {
    const mpl = i.maxPathLength ?? -1;
    lines.push(`basicConstraints = critical, CA:TRUE${mpl >= 0 ? `, pathlen:${mpl}` : ""}`);
  } else {
    lines.push("basicConstraints = critical, CA:FALSE");
  }
  const uses: string[] = i.allowedUses ?? [];
  const ku = uses.filter((u) => KEY_USAGE[u]).map((u) => KEY_USAGE[u]);
  if (ku.length) lines.push(`keyUsage = critical, ${ku.join(", ")}`);
  const eku = uses.filter((u) => EXT_KEY_USAGE[u]).map((u) => EXT_KEY_USAGE[u]);
  if (eku.length) lines.push(`extendedKeyUsage = ${eku.join(", ")}`);
  lines.push(`subjectKeyIdentifier = ${i.setSubjectKeyId ? "hash" : "none"}`);
  const aki = opts.selfSigned ? Boolean(i.setAuthorityKeyId) : opts.issuerHasSki;
  lines.push(`authorityKeyIdentifier = ${aki ? "keyid:always" : "none"}`);
  const san = [...(i.dnsNames ?? []).map((d: string) => `DNS:${d}`), ...(i.ipAddresses ?? []).map((a: string) => `IP:${a}`),
    ...(i.uris ?? []).map((u: string) => `URI:${u}`)];
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

export function privateKey(urn: string, i: Inputs): Inputs {
  const cacheKey = `${urn}|${JSON.stringify(i)}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    const pair = i.algorithm === "ECDSA"
      ? crypto.generateKeyPairSync("ec", {
        namedCurve: CURVES[i.ecdsaCurve ?? "P224"],
        privateKeyEncoding: { type: "sec1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" },
      })
      : crypto.generateKeyPairSync("rsa", {
        modulusLength: i.rsaBits ?? 2048,
        privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" },
      });
    key = { privateKeyPem: pair.privateKey, publicKeyPem: pair.publicKey };
    keyCache.set(cacheKey, key);
  }
  return { ...i, ...key };
}

export function selfSignedCert(i: Inputs): Inputs {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "key.pem"), i.privateKeyPem);
  fs.writeFileSync(path.join(dir, "ext.cnf"), `[req]\ndistinguished_name = dn\n[dn]\n${extensions(i, { selfSigned: true, issuerHasSki: false })}`);
  openssl(["req", "-x509", "-new", "-sha256", "-key", "key.pem", "-subj", subjectArg(i.subject), "-days", days(i.validityPeriodHours),
    "-config", "ext.cnf", "-extensions", "ext", "-out", "cert.pem"], dir);
  const certPem = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...i, certPem, ...validity(certPem), readyForRenewal: false };
}

export function certRequest(i: Inputs): Inputs {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "key.pem"), i.privateKeyPem);
  const san = (i.dnsNames ?? []).map((d: string) => `DNS:${d}`);
  fs.writeFileSync(path.join(dir, "req.cnf"),
    `[req]\ndistinguished_name = dn\nreq_extensions = ext\n[dn]\n[ext]\n${san.length ? `subjectAltName = ${san.join(", ")}\n` : ""}`);
  openssl(["req", "-new", "-sha256", "-key", "key.pem", "-subj", subjectArg(i.subject), "-config", "req.cnf", "-out", "req.pem"], dir);
  const certRequestPem = fs.readFileSync(path.join(dir, "req.pem"), "utf8");
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...i, certRequestPem };
}

export function locallySignedCert(i: Inputs): Inputs {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "req.pem"), i.certRequestPem);
  fs.writeFileSync(path.join(dir, "ca.pem"), i.caCertPem);
  fs.writeFileSync(path.join(dir, "cakey.pem"), i.caPrivateKeyPem);
  const issuerHasSki = new crypto.X509Certificate(i.caCertPem).toString().length > 0
    && openssl(["x509", "-in", "ca.pem", "-noout", "-ext", "subjectKeyIdentifier"], dir).includes("Subject Key Identifier");
  fs.writeFileSync(path.join(dir, "ext.cnf"), extensions(i, { selfSigned: false, issuerHasSki }));
  openssl(["x509", "-req", "-sha256", "-in", "req.pem", "-CA", "ca.pem", "-CAkey", "cakey.pem",
    "-set_serial", `0x${crypto.randomBytes(16).toString("hex")}`, "-days", days(i.validityPeriodHours),
    "-copy_extensions", "copy", "-extfile", "ext.cnf", "-extensions", "ext", "-out", "cert.pem"], dir);
  const certPem = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...i, certPem, ...validity(certPem), readyForRenewal: false };
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
    case "tls:index/privateKey:PrivateKey": return privateKey(urn, inputs);
    case "tls:index/selfSignedCert:SelfSignedCert": return remembered(urn, inputs, selfSignedCert);
    case "tls:index/certRequest:CertRequest": return remembered(urn, inputs, certRequest);
    case "tls:index/locallySignedCert:LocallySignedCert": return remembered(urn, inputs, locallySignedCert);
    default: return undefined;
  }
}
