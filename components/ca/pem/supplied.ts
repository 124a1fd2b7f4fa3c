import * as crypto from "crypto";
import { joinPems, parseCertBundle, splitPemCerts } from "./bundle";
import {
  WORKLOAD_TTL_MS,
  caExtensions,
  describeCert,
  issuerOf,
  keyMismatch,
  signedBy,
  signingRoot,
  weakKey,
} from "./certificate";

/**
 * Checks of CA material supplied as PEMs (the `provided` backend, Key Vault's `material.source:
 * provided`): verify the chain link by link to a root of the bundle, match the key, refuse weak keys
 * and impossible lifetimes. Pure: PEM strings and a time in, problems out; messages name certificates
 * by subject and fingerprint, never print a key.
 */

/** CA material as a team supplies it (the four `cacerts` files, the chain optional). */
export interface SuppliedMaterial {
  /** The trusted roots, concatenated (old + new during a root rotation). */
  readonly rootCertPem: string;
  /** The CA certificate istiod signs with. */
  readonly caCertPem: string;
  readonly caKeyPem: string;
  /**
   * The CA certificate, then every certificate up to (and optionally including) a root; default: the CA and the root
   * that signed it.
   */
  readonly certChainPem?: string;
}
export type SuppliedKey = keyof SuppliedMaterial;

export interface MaterialProblem {
  readonly key: SuppliedKey;
  readonly message: string;
}

/** One certificate of the verified path, with what the checks read from it. */
export interface PathCert {
  readonly cert: crypto.X509Certificate;
  readonly pem: string;
  /**
   * `intermediate` = the CA istiod signs with; `chain` = further intermediates; `root` = the anchor from the bundle.
   */
  readonly position: "intermediate" | "chain" | "root";
  readonly pathLenConstraint?: number;
}

export interface MaterialCheck {
  readonly problems: MaterialProblem[];
  /** The path from the CA certificate to its root in the bundle, when it verified. */
  readonly path?: PathCert[];
  /**
   * `cert-chain.pem`: as supplied, or the CA certificate then the root that signed it (as Makefile.selfsigned.mk does).
   */
  readonly certChainPem?: string;
  /** The root of the bundle the path ends at. */
  readonly anchor?: crypto.X509Certificate;
}

const iso = (d: string) => new Date(d).toISOString();
const EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const EKU_ANY = "2.5.29.37.0";

/**
 * Checks supplied material as istiod will use it: the CA certificate is a CA allowed to sign
 * certificates; the key is its key; it chains — directly, or through `certChainPem`'s intermediates,
 * each link verified — to one of the roots in `rootCertPem`; path length constraints allow the path;
 * every certificate is valid now, none outlives its issuer, keys are RSA >= 2048 or ECDSA P-256/384/521.
 */
export function checkSuppliedMaterial(m: SuppliedMaterial, now: Date = new Date()): MaterialCheck {
  const problems: MaterialProblem[] = [];
  const add = (key: SuppliedKey, message: string) => problems.push({ key, message });
  // Certificates end up in plain stack outputs: a key pasted into a certificate field must stop here.
  const keyIn = (["rootCertPem", "caCertPem", "certChainPem"] as const).filter((k) =>
    /-{5}BEGIN [A-Z ]*PRIVATE KEY-{5}/.test(m[k] ?? ""),
  );
  for (const k of keyIn) {
    add(
      k,
      `holds a private key; it takes certificates only${k === "rootCertPem" ? " (root-cert.pem): the root key (root-key.pem) must never be given to Pulumi" : ""}`,
    );
  }
  if (keyIn.length > 0) return { problems };
  const roots = parseCertBundle(m.rootCertPem);
  const ca = parseCertBundle(m.caCertPem);
  if (!roots) add("rootCertPem", "must hold one or more PEM certificates (the trusted roots)");
  if (!ca || ca.length !== 1)
    add("caCertPem", "must hold exactly one PEM certificate (the intermediate istiod signs with)");
  const suppliedChain = m.certChainPem === undefined ? undefined : parseCertBundle(m.certChainPem);
  if (m.certChainPem !== undefined && !suppliedChain)
    add("certChainPem", "must hold PEM certificates: caCertPem first, then the certificates up to the root");
  for (const r of roots ?? []) {
    const weak = weakKey(r);
    if (weak) add("rootCertPem", `root ${describeCert(r)} has ${weak}`);
    if (!caExtensions(r).ca)
      add("rootCertPem", `${describeCert(r)} is not a CA certificate (basicConstraints CA:true is required of a root)`);
    if (Date.parse(r.validTo) < now.getTime())
      add("rootCertPem", `root ${describeCert(r)} expired on ${iso(r.validTo)}; remove it from the bundle`);
    if (Date.parse(r.validFrom) > now.getTime())
      add("rootCertPem", `root ${describeCert(r)} is not valid before ${iso(r.validFrom)}`);
  }
  if (!roots || !ca || ca.length !== 1 || (m.certChainPem !== undefined && !suppliedChain)) return { problems };
  const [intermediate] = ca;

  const mismatch = keyMismatch(intermediate, m.caKeyPem, "caCertPem");
  if (mismatch) add("caKeyPem", mismatch);

  // The path from the intermediate to an anchor in the bundle, each link verified.
  const path: PathCert[] = [];
  const link = (cert: crypto.X509Certificate, position: PathCert["position"]) =>
    path.push({ cert, pem: cert.toString(), position, ...pick(caExtensions(cert).pathLenConstraint) });
  let anchor: crypto.X509Certificate | undefined;
  let chainPem: string | undefined;
  if (suppliedChain) {
    if (suppliedChain[0].fingerprint256 !== intermediate.fingerprint256) {
      add(
        "certChainPem",
        `must start with caCertPem ${describeCert(intermediate)}, got ${describeCert(suppliedChain[0])} first`,
      );
      return { problems };
    }
    link(intermediate, "intermediate");
    const isRoot = (c: crypto.X509Certificate) => roots.some((r) => r.fingerprint256 === c.fingerprint256);
    for (let i = 1; i < suppliedChain.length; i++) {
      const [child, parent] = [suppliedChain[i - 1], suppliedChain[i]];
      if (!signedBy(child, parent)) {
        add(
          "certChainPem",
          `certificate ${i} ${describeCert(child)} is not signed by the next one, certificate ${i + 1} ${describeCert(parent)}; list the chain from caCertPem up to the root, each certificate followed by its issuer`,
        );
        return { problems };
      }
      if (isRoot(parent)) {
        if (i !== suppliedChain.length - 1)
          add("certChainPem", `continues after the root ${describeCert(parent)}; end the chain at the root`);
        anchor = parent;
        break;
      }
      link(parent, "chain");
    }
    if (!anchor) {
      const last = suppliedChain[suppliedChain.length - 1];
      anchor = isRoot(last) ? last : signingRoot(last, roots);
      if (!anchor) {
        add(
          "certChainPem",
          `ends with ${describeCert(last)} (issuer "${issuerOf(last)}"), which is neither a root in rootCertPem nor signed by one; add the missing intermediates, or the issuing root to rootCertPem`,
        );
        return { problems };
      }
    }
    chainPem = splitPemCerts(m.certChainPem!).join(""); // the certificates only, without any text around them
  } else {
    link(intermediate, "intermediate");
    anchor = signingRoot(intermediate, roots);
    if (!anchor) {
      const issuer = issuerOf(intermediate);
      add(
        "caCertPem",
        `${describeCert(intermediate)} is not signed by any root in rootCertPem (its issuer is "${issuer}"; roots: ${roots.map(describeCert).join(", ")}); if further intermediates sit between it and the root, list them in certChainPem`,
      );
      return { problems };
    }
    chainPem = joinPems([intermediate.toString(), anchor.toString()]);
  }
  link(anchor, "root");

  // Every CA of the path: allowed to sign, path length, lifetimes, keys.
  path.forEach((p, j) => {
    const key: SuppliedKey =
      p.position === "intermediate" ? "caCertPem" : p.position === "chain" ? "certChainPem" : "rootCertPem";
    const what =
      `${p.position === "root" ? "root" : p.position === "chain" ? "chain certificate" : ""} ${describeCert(p.cert)}`.trim();
    const ext = caExtensions(p.cert);
    if (p.position !== "root") {
      if (!ext.ca)
        add(
          key,
          `${what} is not a CA certificate (basicConstraints CA:true is required to sign workload certificates)`,
        );
      else if (!ext.keyCertSign)
        add(key, `${what} has a keyUsage without keyCertSign, so it may not sign certificates`);
      const weak = weakKey(p.cert);
      if (weak) add(key, `${what} has ${weak}`);
      // istiod verifies its CA chain with Go's x509 defaults (keycertbundle.go Verify): server auth.
      const eku = p.cert.keyUsage;
      if (eku && !eku.includes(EKU_SERVER_AUTH) && !eku.includes(EKU_ANY)) {
        add(
          key,
          `${what} has an extendedKeyUsage (${eku.join(", ")}) without serverAuth (${EKU_SERVER_AUTH}); istiod verifies its CA chain for server authentication and would refuse to load it: issue it without extendedKeyUsage, or with serverAuth`,
        );
      }
      if (Date.parse(p.cert.validTo) < now.getTime()) add(key, `${what} expired on ${iso(p.cert.validTo)}`);
      if (Date.parse(p.cert.validFrom) > now.getTime())
        add(key, `${what} is not valid before ${iso(p.cert.validFrom)}`);
      const issuer = path[j + 1].cert;
      if (Date.parse(p.cert.validTo) > Date.parse(issuer.validTo)) {
        add(
          key,
          `${what} expires on ${iso(p.cert.validTo)}, after its issuer ${describeCert(issuer)} (${iso(issuer.validTo)}); a CA certificate cannot outlive its issuer: issue it with a shorter lifetime (Makefile.selfsigned.mk: INTERMEDIATE_DAYS below ROOTCA_DAYS)`,
        );
      }
    }
    // `j` CA certificates below this one in the path: its pathLenConstraint must allow them.
    if (p.pathLenConstraint !== undefined && p.pathLenConstraint < j) {
      add(
        key,
        `${what} has pathlen:${p.pathLenConstraint} but ${j} CA certificate(s) below it in the chain; the workload certificates istiod issues would not verify`,
      );
    }
  });
  const lifetime = Date.parse(intermediate.validTo) - Date.parse(intermediate.validFrom);
  if (lifetime <= WORKLOAD_TTL_MS) {
    add(
      "caCertPem",
      `${describeCert(intermediate)} is valid for ${Math.round(lifetime / 3_600_000)} hours, not longer than the 24h workload certificate TTL`,
    );
  }
  return { problems, path, certChainPem: chainPem, anchor };
}

function pick(pathLenConstraint: number | undefined): { pathLenConstraint?: number } {
  return pathLenConstraint === undefined ? {} : { pathLenConstraint };
}

/** The problems of `checkSuppliedMaterial` alone. */
export function providedMaterialProblems(m: SuppliedMaterial, now: Date = new Date()): MaterialProblem[] {
  return checkSuppliedMaterial(m, now).problems;
}

/**
 * `cert-chain.pem` when none is given: the intermediate, then the root of the bundle that signed it (empty root part
 * when none did).
 */
export function defaultCertChain(caCertPem: string, rootCertPem: string): string {
  const intermediate = new crypto.X509Certificate(caCertPem);
  const root = signingRoot(intermediate, parseCertBundle(rootCertPem) ?? []);
  return joinPems([caCertPem, ...(root ? [root.toString()] : [])]);
}
