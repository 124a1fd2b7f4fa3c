import * as crypto from "crypto";
import { ExpirySettings } from "./settings";
import { WORKLOAD_TTL_MS, fingerprintOf, signingRoot, subjectOf, weakKey } from "../pem";

/**
 * Guards on actual CA certificates (PEM), for material this stack did not choose itself (a root
 * stack's output) as well as its own: expiry windows, lifetime, key strength, chaining. Pure.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
// PEM handling and key strength live in components/ca/pem/ (one implementation for every backend).
export { WORKLOAD_TTL_MS, fingerprintOf, splitPemCerts, subjectOf, weakKey } from "../pem";

function isAcknowledged(cert: crypto.X509Certificate, acknowledge: readonly string[]): boolean {
  const fp = fingerprintOf(cert);
  const subject = subjectOf(cert);
  return acknowledge.some((a) => a === subject || a.replace(/:/g, "").toLowerCase() === fp);
}

/** A CA certificate in use, and how much it matters if it expires soon. */
export interface CheckedCert {
  /** What it is, e.g. `root`, `intermediate of cluster-a`. */
  readonly role: string;
  readonly pem: string;
  /** The outgoing root during a rotation: warned about, never an error (it is being replaced). */
  readonly retiring?: boolean;
}

export interface Findings {
  readonly warnings: string[];
  readonly errors: string[];
}

/**
 * Expiry windows: within `warnDays` a warning, within `errorDays` (or expired) an error unless the
 * certificate's subject or fingerprint is in `acknowledge`.
 */
export function expiryFindings(certs: readonly CheckedCert[], cfg: ExpirySettings, now: Date): Findings {
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const c of certs) {
    const cert = new crypto.X509Certificate(c.pem);
    const expires = new Date(cert.validTo);
    const daysLeft = Math.floor((expires.getTime() - now.getTime()) / DAY_MS);
    if (daysLeft >= cfg.warnDays) continue;
    const what = `${c.role} "${subjectOf(cert)}" (sha256 ${fingerprintOf(cert)})`;
    const when =
      daysLeft < 0
        ? `expired on ${expires.toISOString()}`
        : `expires on ${expires.toISOString()} (in ${daysLeft} days)`;
    if (daysLeft < cfg.errorDays && !c.retiring && !isAcknowledged(cert, cfg.acknowledge)) {
      errors.push(
        `${what} ${when}, within the ${cfg.errorDays}-day limit: rotate it (see docs/rotation.md), or accept it for now by adding its subject or fingerprint to expiry.acknowledge`,
      );
    } else {
      warnings.push(`${what} ${when}${c.retiring ? " (being rotated out)" : ""}`);
    }
  }
  return { warnings, errors };
}

/**
 * Checks an intermediate against the roots it will be served with: it chains to one of them, does not
 * outlive it, lives longer than a workload certificate, and every key is strong enough.
 */
export function materialIssues(intermediatePem: string, rootPems: readonly string[], context: string): string[] {
  const issues: string[] = [];
  const inter = new crypto.X509Certificate(intermediatePem);
  const roots = rootPems.map((p) => new crypto.X509Certificate(p));
  const name = (c: crypto.X509Certificate) => `"${subjectOf(c)}"`;
  for (const c of [inter, ...roots]) {
    const weak = weakKey(c);
    if (weak) issues.push(`${context}: ${name(c)} has ${weak}`);
  }
  if (!inter.ca) issues.push(`${context}: ${name(inter)} is not a CA certificate`);
  const lifetime = Date.parse(inter.validTo) - Date.parse(inter.validFrom);
  if (lifetime <= WORKLOAD_TTL_MS) {
    issues.push(
      `${context}: ${name(inter)} is valid for ${Math.round(lifetime / 3_600_000)} hours, not longer than the 24h workload certificate TTL`,
    );
  }
  const issuer = signingRoot(inter, roots);
  if (!issuer) {
    issues.push(
      `${context}: ${name(inter)} is not signed by any trusted root (${roots.map(name).join(", ") || "none"})`,
    );
  } else if (Date.parse(inter.validTo) > Date.parse(issuer.validTo)) {
    issues.push(
      `${context}: ${name(inter)} expires on ${new Date(inter.validTo).toISOString()}, after its root ${name(issuer)} (${new Date(issuer.validTo).toISOString()}); an intermediate cannot outlive its root`,
    );
  }
  return issues;
}
