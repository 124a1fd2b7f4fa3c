import { z } from "zod";
import { StackView as StackConfigView } from "../../../config/backends/adapter";
import { keySpecSchema } from "../../../config/certParams";

/**
 * Config of the cert-manager backend (seed 000): `istio-mesh-ca:ca` with `backend: certManager`.
 * Pure: schemas and checks only, so they are unit-tested without Pulumi.
 */

export const CERT_MANAGER_CHART_VERSION = "v1.21.2";
export const ISTIO_CSR_CHART_VERSION = "v0.17.0";
export const JETSTACK_CHARTS = "https://charts.jetstack.io";

/** Names of cert-manager issuers (Kubernetes object names: DNS-1123 subdomains, kept to labels here). */
const objectName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
  "must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)");

const caPem = z.string({ error: "the issuer's CA certificate as PEM, which istiod and workloads must trust" }).regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/,
  "must be the issuer's CA certificate as PEM (-----BEGIN CERTIFICATE-----); a private key is never needed here");

/** A CA that cert-manager creates for a signer: self-signed bootstrap issuer, CA Certificate, CA issuer. */
const generatedCaFields = {
  /** The CA certificate's common name; defaults to the signer name (as in the seed). */
  commonName: z.string().min(1).optional(),
  organizations: z.array(z.string().min(1)).optional(),
  /** Same key shape as the other backends; mapped to cert-manager's `privateKey.algorithm/size`. */
  key: keySpecSchema.default({ algorithm: "RSA", rsaBits: 4096 }),
  validityDays: z.number().int("must be a whole number of days")
    .min(2, "must be at least 2 days (longer than the 24h workload certificate TTL)").default(3650),
};

export const signerSchema = z.discriminatedUnion("kind", [
  /** A self-signed CA behind a ClusterIssuer (seed 000). */
  z.strictObject({ name: objectName, kind: z.literal("selfSignedCa"), ...generatedCaFields }),
  /** A ClusterIssuer someone else manages; its CA certificate must be given. */
  z.strictObject({ name: objectName, kind: z.literal("existingClusterIssuer"), caPem }),
  /** A self-signed CA behind a namespaced Issuer `<namespace>/<name>`. */
  z.strictObject({ name: objectName, kind: z.literal("issuer"), namespace: objectName, ...generatedCaFields }),
  /** A namespaced Issuer someone else manages; its CA certificate must be given. */
  z.strictObject({ name: objectName, kind: z.literal("existingIssuer"), namespace: objectName, caPem }),
], {
  error: (iss) => iss.code === "invalid_union"
    ? "kind must be selfSignedCa (default), existingClusterIssuer, issuer or existingIssuer"
    : undefined,
});
export type SignerConfig = z.infer<typeof signerSchema>;

/** `kind` may be left out: a self-signed CA ClusterIssuer, as in the seed. */
const signerWithDefaultKind = z.preprocess(
  (v) => (v && typeof v === "object" && !Array.isArray(v) && !("kind" in v) ? { ...v, kind: "selfSignedCa" } : v),
  signerSchema,
);

const chartValues = z.record(z.string(), z.unknown());

export const certManagerConfigSchema = z.strictObject({
  backend: z.literal("certManager"),
  /**
   * `kubernetesCsr` (seed 000): istiod is a registration authority that forwards workload CSRs through
   * the Kubernetes CSR API, one signer per namespace. `istioCsr`: cert-manager's istio-csr replaces
   * istiod's CA server and signs everything with one issuer.
   */
  mode: z.enum(["kubernetesCsr", "istioCsr"], { error: "mode must be kubernetesCsr or istioCsr" }).default("kubernetesCsr"),
  certManager: z.strictObject({
    /** false: reference an existing cert-manager (it must run with the CSR feature gate in kubernetesCsr mode). */
    install: z.boolean().default(true),
    namespace: objectName.default("cert-manager"),
    createNamespace: z.boolean().default(true),
    version: z.string().regex(/^v1\.\d+\.\d+$/, "must be a cert-manager v1 release like v1.21.2").default(CERT_MANAGER_CHART_VERSION),
    chartRepository: z.url().default(JETSTACK_CHARTS),
    /** Chart values merged last. */
    values: chartValues.default({}),
  }).prefault({}),
  signers: z.array(signerWithDefaultKind).min(1, "list at least one signer"),
  /** The signer of workloads in namespaces without a mapping, and of istiod itself; defaults to the first signer. */
  defaultSigner: objectName.optional(),
  /** Namespace → signer name; each becomes a ProxyConfig in that namespace (kubernetesCsr mode only). */
  namespaceSigners: z.record(z.string(), z.string()).default({}),
  istioCsr: z.strictObject({
    version: z.string().regex(/^v\d+\.\d+\.\d+$/, "must be an istio-csr release like v0.17.0").default(ISTIO_CSR_CHART_VERSION),
    chartRepository: z.url().default(JETSTACK_CHARTS),
    /** Must equal istio-mesh-ca:istio.trustDomain when that is set. */
    trustDomain: z.string().min(1).default("cluster.local"),
    /** istiod revisions that get a serving certificate; default: `[istio.revision]`, or `[default]` without one. */
    revisions: z.array(z.string().min(1)).min(1).optional(),
    /** Istio cluster ID istio-csr accepts CSRs from (istiod's default is `Kubernetes`). */
    clusterId: z.string().min(1).default("Kubernetes"),
    values: chartValues.default({}),
  }).prefault({}),
}).superRefine((cfg, ctx) => {
  for (const p of signerProblems(cfg)) ctx.addIssue({ code: "custom", path: p.path, message: p.message, input: p.input });
});
export type CertManagerConfig = z.infer<typeof certManagerConfigSchema>;

/** A config problem; `path` is relative to the `ca` object unless said otherwise. */
export interface Problem {
  path: (string | number)[];
  message: string;
  input?: unknown;
}

/** Whether a signer is a namespaced Issuer (signer domain `issuers.cert-manager.io`). */
export function isNamespaced(s: SignerConfig): s is Extract<SignerConfig, { namespace: string }> {
  return s.kind === "issuer" || s.kind === "existingIssuer";
}

/** The signer's name as workloads ask for it (`ISTIO_META_CERT_SIGNER`): `<name>` or `<namespace>.<name>`. */
export function signerRef(s: SignerConfig): string {
  return isNamespaced(s) ? `${s.namespace}.${s.name}` : s.name;
}

export function signerDomain(s: SignerConfig): string {
  return isNamespaced(s) ? "issuers.cert-manager.io" : "clusterissuers.cert-manager.io";
}

/** The Kubernetes CSR signer name, e.g. `clusterissuers.cert-manager.io/foo`. */
export function signerName(s: SignerConfig): string {
  return `${signerDomain(s)}/${signerRef(s)}`;
}

/** The default signer: `defaultSigner`, else the first one. Call only on validated config. */
export function defaultSignerOf(cfg: Pick<CertManagerConfig, "signers" | "defaultSigner">): SignerConfig {
  return cfg.signers.find((s) => s.name === cfg.defaultSigner) ?? cfg.signers[0];
}

/** Pure checks within the `ca` object: duplicates, unknown references, combinations Istio cannot express. */
export function signerProblems(cfg: Pick<CertManagerConfig, "mode" | "signers" | "defaultSigner" | "namespaceSigners">): Problem[] {
  const problems: Problem[] = [];
  const names = cfg.signers.map((s) => s.name);
  const declared = [...new Set(names)].join(", ");
  cfg.signers.forEach((s, i) => {
    if (names.indexOf(s.name) !== i) {
      problems.push({ path: ["signers", i, "name"], input: s.name, message: `duplicate signer ${JSON.stringify(s.name)}; signer names must be unique` });
    }
  });
  cfg.signers.forEach((s, i) => {
    // A generated CA also creates `<name>-selfsigned`: it must not be another signer's issuer.
    if ((s.kind === "selfSignedCa" || s.kind === "issuer") && names.includes(`${s.name}-selfsigned`)) {
      problems.push({ path: ["signers", i, "name"], input: s.name,
        message: `signer ${JSON.stringify(s.name)} creates a bootstrap issuer named ${JSON.stringify(`${s.name}-selfsigned`)}, which is also a signer; rename one of them` });
    }
  });
  if (cfg.defaultSigner !== undefined && !names.includes(cfg.defaultSigner)) {
    problems.push({ path: ["defaultSigner"], input: cfg.defaultSigner,
      message: `signer ${JSON.stringify(cfg.defaultSigner)} is not declared in signers (declared: ${declared})` });
  }
  for (const [ns, signer] of Object.entries(cfg.namespaceSigners)) {
    if (!names.includes(signer)) {
      problems.push({ path: ["namespaceSigners", ns], input: signer,
        message: `signer ${JSON.stringify(signer)} is not declared in signers (declared: ${declared})` });
    }
  }
  if (cfg.mode === "kubernetesCsr") {
    // istiod builds every signer name as CERT_SIGNER_DOMAIN + "/" + the proxy's signer: one domain per mesh.
    const first = cfg.signers[0];
    cfg.signers.forEach((s, i) => {
      if (first && isNamespaced(s) !== isNamespaced(first)) {
        problems.push({ path: ["signers", i, "kind"], input: s.kind,
          message: `kind ${s.kind} mixes namespaced Issuers with ClusterIssuers; istiod has one CERT_SIGNER_DOMAIN, so use ${isNamespaced(first) ? "issuer or existingIssuer" : "selfSignedCa or existingClusterIssuer"} like signers[0]` });
      }
    });
  } else if (Object.keys(cfg.namespaceSigners).length > 0) {
    problems.push({ path: ["namespaceSigners"], input: cfg.namespaceSigners,
      message: "istio-csr signs every workload with one issuer; per-namespace signers need mode kubernetesCsr (or remove namespaceSigners)" });
  }
  return problems;
}

/** Cross-key checks against the rest of the stack config; paths are relative to the whole config. */
export function namespaceProblems(cfg: Pick<CertManagerConfig, "namespaceSigners"> & Partial<Pick<CertManagerConfig, "mode" | "signers" | "defaultSigner" | "istioCsr">>,
  stack: StackConfigView): Problem[] {
  const declared = stack.namespaces.map((n) => n.name);
  const problems: Problem[] = [];
  const revs = cfg.istioCsr?.revisions;
  const rev = stack.istio.revision ?? "default";
  if (cfg.mode === "istioCsr" && stack.istio.install === "helm" && revs !== undefined && !revs.includes(rev)) {
    // istio-csr issues istiod's serving certificate (istiod[-<rev>].<ns>.svc) for these revisions only.
    problems.push({ path: ["ca", "istioCsr", "revisions"], input: revs,
      message: `istiod is installed as revision ${JSON.stringify(rev)} (istio.revision), which istio-csr would not issue a serving certificate for; include ${JSON.stringify(rev)} or leave istioCsr.revisions unset (it follows istio.revision)` });
  }
  if (cfg.mode === "istioCsr" && cfg.signers && cfg.signers.length > 0) {
    // istio-csr's chart creates istiod's serving Certificate (`istiod`) in app.istio.namespace with
    // the issuer as issuerRef; a namespaced Issuer is only found in the Certificate's own namespace.
    const issuer = defaultSignerOf({ signers: cfg.signers, defaultSigner: cfg.defaultSigner });
    if (isNamespaced(issuer) && issuer.namespace !== stack.istio.namespace) {
      problems.push({ path: ["ca", "signers", cfg.signers.indexOf(issuer), "namespace"], input: issuer.namespace,
        message: `istio-csr issues istiod's certificate in the Istio namespace ${JSON.stringify(stack.istio.namespace)}, where it cannot use an Issuer in ${JSON.stringify(issuer.namespace)}: `
          + `put the Issuer in ${JSON.stringify(stack.istio.namespace)} (kind ${issuer.kind}) or use a ClusterIssuer (kind selfSignedCa or existingClusterIssuer)` });
    }
  }
  for (const ns of Object.keys(cfg.namespaceSigners)) {
    const path = ["ca", "namespaceSigners", ns];
    if (ns === stack.istio.namespace) {
      problems.push({ path, input: ns, message: `${ns} is the Istio root namespace, where a ProxyConfig applies to the whole mesh; set ca.defaultSigner instead` });
    } else if (!declared.includes(ns)) {
      problems.push({ path, input: ns,
        message: `namespace ${JSON.stringify(ns)} is not declared; add it to istio-mesh-ca:namespaces (declared: ${declared.join(", ") || "none"})` });
    }
  }
  return problems;
}
