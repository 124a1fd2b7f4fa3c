import { X509Certificate } from "crypto";
import { caExtensions, splitPemCerts } from "../ca/pem";

/**
 * A CA inventory: what every cluster of a stack trusts and signs with, and when it expires.
 * Pure: PEM strings in, plain data out; `now` is an argument so results are reproducible.
 */

export type CaRole = "root" | "intermediate";

export interface CaInventoryEntry {
  readonly cluster: string;
  readonly role: CaRole;
  /** Distinguished name, RDNs joined with ", " (e.g. "O=Istio, CN=Root CA"). */
  readonly subject: string;
  readonly issuer: string;
  /** Uppercase hex, as `openssl x509 -serial` prints it. */
  readonly serial: string;
  /** Colon-separated uppercase hex, as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprintSha256: string;
  /** ISO 8601. */
  readonly notBefore: string;
  readonly notAfter: string;
  /** Whole days from `now` until notAfter (negative once expired). */
  readonly daysLeft: number;
  /** The CA backend's config name (selfSigned, vault, ...). */
  readonly backend: string;
  /** basicConstraints pathlen (`pathlen:0` on Makefile.selfsigned.mk intermediates); absent when unconstrained. */
  readonly pathLenConstraint?: number;
}

/**
 * An entry as the `inventory` stack output holds it: everything but `daysLeft`, which depends on
 * when it is read (in the output it would change every day, and `pulumi preview --expect-no-changes`
 * would report that as a change).
 */
export type ExportedCaEntry = Omit<CaInventoryEntry, "daysLeft">;

/** Stack output `inventory`: entries per cluster. */
export type StackInventory = Record<string, ExportedCaEntry[]>;

/** The PEMs of one cluster, as the backend contract names them. */
export interface ClusterCaPems {
  /** `root-cert.pem`: one or more roots (two during a root rotation). */
  readonly rootCertBundle: string;
  /** `ca-cert.pem`; absent for backends where istiod does not sign. */
  readonly intermediateCert?: string;
}

const DAY_MS = 86_400_000;

/** Splits a bundle into its certificates (X509Certificate parses only the first of a bundle). */

/** Whole days left until `notAfter`, counted from `now`; floors, so "0" means it expires within a day. */
export function daysLeft(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

const dn = (name: string) => name.split("\n").filter(Boolean).join(", ");

function entry(cluster: string, role: CaRole, pem: string, backend: string, now: Date): CaInventoryEntry {
  const cert = new X509Certificate(pem);
  const notAfter = new Date(cert.validTo);
  const { pathLenConstraint } = caExtensions(cert);
  return {
    cluster,
    role,
    subject: dn(cert.subject),
    issuer: dn(cert.issuer),
    serial: cert.serialNumber.toUpperCase(),
    fingerprintSha256: cert.fingerprint256,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: daysLeft(notAfter, now),
    backend,
    ...(pathLenConstraint !== undefined ? { pathLenConstraint } : {}),
  };
}

/** The inventory of one cluster: every root of the bundle, then the intermediate(s) istiod signs with. */
export function caInventory(cluster: string, pems: ClusterCaPems, backend: string, now: Date): CaInventoryEntry[] {
  return [
    ...splitPemCerts(pems.rootCertBundle).map((pem) => entry(cluster, "root", pem, backend, now)),
    ...splitPemCerts(pems.intermediateCert ?? "").map((pem) => entry(cluster, "intermediate", pem, backend, now)),
  ];
}

/** `daysLeft` of exported entries, as of `now` (an entry of an older output that still has one gets it recomputed). */
export function refreshDaysLeft(inventory: StackInventory, now: Date): CaInventoryEntry[] {
  return Object.values(inventory)
    .flat()
    .map((e) => ({ ...e, daysLeft: daysLeft(new Date(e.notAfter), now) }));
}
