import { z } from "zod";
import { CertManagerCa } from "../../components/ca/certManager";
import {
  CertManagerCaSettings,
  ExistingClusterIssuerSigner,
  ExistingIssuerSigner,
  GeneratedIssuerSigner,
  ResolvedCertManagerSettings,
  SelfSignedCaSigner,
  isNamespaced,
  istioCsrIssuerProblem,
  resolveCertManagerSettings,
  signerProblems,
} from "../../components/ca/certManager/settings";
import { ConfigIssue, dnsLabel } from "../atoms";
import { keySpecSchema } from "../certParams";
import { conforms } from "../conforms";
import { CA_CONFIG_KEY, StackView, defineAdapter, noLifecycle, nothingShared } from "./adapter";

/**
 * `backend: certManager` — cert-manager signs: Kubernetes CSR signers (istiod as RA, Istio's "Custom
 * CA Integration using Kubernetes CSR" task) or istio-csr. The schema checks the shape of the
 * component's `CertManagerCaSettings` (components/ca/certManager/settings.ts, which documents every
 * field and owns its defaults and checks), runs `signerProblems` and resolves them (adapter.ts).
 */

const caPem = z
  .string({ error: "the issuer's CA certificate as PEM, which istiod and workloads must trust" })
  .regex(
    /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/,
    "must be the issuer's CA certificate as PEM (-----BEGIN CERTIFICATE-----); a private key is never needed here",
  );

/** A CA that cert-manager creates for a signer: self-signed bootstrap issuer, CA Certificate, CA issuer. */
const generatedCaFields = {
  commonName: z.string().min(1).optional(),
  organizations: z.array(z.string().min(1)).optional(),
  /** Same key shape as the other backends. */
  key: keySpecSchema.optional(),
  validityDays: z
    .number()
    .int("must be a whole number of days")
    .min(2, "must be at least 2 days (longer than the 24h workload certificate TTL)")
    .optional(),
};

export const signerSchema = z.discriminatedUnion(
  "kind",
  [
    /** A self-signed CA behind a ClusterIssuer. */
    conforms<SelfSignedCaSigner>()(
      z.strictObject({ name: dnsLabel, kind: z.literal("selfSignedCa"), ...generatedCaFields }),
    ),
    /** A ClusterIssuer someone else manages; its CA certificate must be given. */
    conforms<ExistingClusterIssuerSigner>()(
      z.strictObject({ name: dnsLabel, kind: z.literal("existingClusterIssuer"), caPem }),
    ),
    /** A self-signed CA behind a namespaced Issuer `<namespace>/<name>`. */
    conforms<GeneratedIssuerSigner>()(
      z.strictObject({ name: dnsLabel, kind: z.literal("issuer"), namespace: dnsLabel, ...generatedCaFields }),
    ),
    /** A namespaced Issuer someone else manages; its CA certificate must be given. */
    conforms<ExistingIssuerSigner>()(
      z.strictObject({ name: dnsLabel, kind: z.literal("existingIssuer"), namespace: dnsLabel, caPem }),
    ),
  ],
  {
    error: (iss) =>
      iss.code === "invalid_union"
        ? "kind must be selfSignedCa (default), existingClusterIssuer, issuer or existingIssuer"
        : undefined,
  },
);
export type SignerConfig = z.infer<typeof signerSchema>;

/** `kind` may be left out: a self-signed CA ClusterIssuer. */
const signerWithDefaultKind = z.preprocess(
  (v) => (v && typeof v === "object" && !Array.isArray(v) && !("kind" in v) ? { ...v, kind: "selfSignedCa" } : v),
  signerSchema,
);

const chartValues = z.record(z.string(), z.unknown());

/** Shape only: the component's settings module owns the defaults and the checks (`signerProblems`). */
const certManagerSettingsSchema = conforms<CertManagerCaSettings & { backend: "certManager" }>()(
  z.strictObject({
    backend: z.literal("certManager"),
    mode: z.enum(["kubernetesCsr", "istioCsr"], { error: "mode must be kubernetesCsr or istioCsr" }).optional(),
    certManager: z
      .strictObject({
        install: z.boolean().optional(),
        namespace: dnsLabel.optional(),
        createNamespace: z.boolean().optional(),
        version: z
          .string()
          .regex(/^v1\.\d+\.\d+$/, "must be a cert-manager v1 release like v1.21.2")
          .optional(),
        chartRepository: z.url().optional(),
        values: chartValues.optional(),
      })
      .optional(),
    signers: z.array(signerWithDefaultKind).min(1, "list at least one signer"),
    defaultSigner: dnsLabel.optional(),
    namespaceSigners: z.record(z.string(), z.string()).optional(),
    istioCsr: z
      .strictObject({
        version: z
          .string()
          .regex(/^v\d+\.\d+\.\d+$/, "must be an istio-csr release like v0.17.0")
          .optional(),
        chartRepository: z.url().optional(),
        /** Must equal istio-mesh-ca:istio.trustDomain when that is set. */
        trustDomain: z.string().min(1).optional(),
        revisions: z.array(z.string().min(1)).min(1).optional(),
        clusterId: z.string().min(1).optional(),
        values: chartValues.optional(),
      })
      .optional(),
  }),
);

export const certManagerConfigSchema = certManagerSettingsSchema
  .superRefine((cfg, ctx) => {
    if (cfg.signers.length === 0) return; // reported by `min(1)`
    for (const p of signerProblems(cfg))
      ctx.addIssue({ code: "custom", path: p.path, message: p.message, input: p.input });
  })
  .transform(({ backend, ...settings }) => ({ backend, ...resolveCertManagerSettings(settings) }));
export type CertManagerConfig = ResolvedCertManagerSettings & { readonly backend: "certManager" };

/** Cross-key checks against the rest of the stack config; paths are relative to the whole config. */
export function certManagerStackIssues(
  cfg: Pick<ResolvedCertManagerSettings, "mode" | "signers" | "defaultSigner" | "namespaceSigners" | "istioCsr">,
  stack: StackView,
): ConfigIssue[] {
  const declared = stack.namespaces.map((n) => n.name);
  const issues: ConfigIssue[] = [];
  const csrRevisions = cfg.istioCsr.revisions;
  const istioRevision = stack.istio.revision ?? "default";
  if (
    cfg.mode === "istioCsr" &&
    stack.istio.install === "helm" &&
    csrRevisions !== undefined &&
    !csrRevisions.includes(istioRevision)
  ) {
    // istio-csr issues istiod's serving certificate (istiod[-<rev>].<ns>.svc) for these revisions only.
    issues.push({
      path: ["ca", "istioCsr", "revisions"],
      input: csrRevisions,
      message: `istiod is installed as revision ${JSON.stringify(istioRevision)} (istio.revision), which istio-csr would not issue a serving certificate for; include ${JSON.stringify(istioRevision)} or leave istioCsr.revisions unset (it follows istio.revision)`,
    });
  }
  if (cfg.mode === "istioCsr") {
    // istio-csr's chart creates istiod's serving Certificate (`istiod`) in the Istio namespace with
    // the issuer as issuerRef; a namespaced Issuer is only found in the Certificate's own namespace.
    const issuer = cfg.defaultSigner;
    const why = istioCsrIssuerProblem(issuer, stack.istio.namespace);
    if (why && isNamespaced(issuer)) {
      issues.push({
        path: ["ca", "signers", cfg.signers.indexOf(issuer), "namespace"],
        input: issuer.namespace,
        message: why,
      });
    }
  }
  for (const namespace of Object.keys(cfg.namespaceSigners)) {
    const path = ["ca", "namespaceSigners", namespace];
    if (namespace === stack.istio.namespace) {
      issues.push({
        path,
        input: namespace,
        message: `${namespace} is the Istio root namespace, where a ProxyConfig applies to the whole mesh; set ca.defaultSigner instead`,
      });
    } else if (!declared.includes(namespace)) {
      issues.push({
        path,
        input: namespace,
        message: `namespace ${JSON.stringify(namespace)} is not declared; add it to istio-mesh-ca:namespaces (declared: ${declared.join(", ") || "none"})`,
      });
    }
  }
  return issues;
}

export const certManagerAdapter = defineAdapter<"certManager", CertManagerConfig, undefined>({
  backend: "certManager",
  schema: certManagerConfigSchema,
  // Cross-key checks read the resolved settings: with problems of its own, `ca` reaches here unresolved.
  validate: (config, stack) => ("resolved" in config ? certManagerStackIssues(config, stack) : []),
  shared: nothingShared,
  lifecycle: noLifecycle,
  create: (name, config, ctx, opts) =>
    new CertManagerCa(
      name,
      {
        settings: config,
        settingsName: CA_CONFIG_KEY,
        provider: ctx.provider,
        istioNamespace: ctx.istioNamespace,
        istioRevision: ctx.istioRevision,
        namespacesReady: ctx.namespacesReady,
      },
      opts,
    ),
});
