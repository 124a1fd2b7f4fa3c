import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { LifecycleState } from "../../components/ca/lifecycle";
import { LifecycleSettings, resolveExpiry } from "../../components/ca/lifecycle/settings";
import { VaultCa, VaultShared } from "../../components/ca/vault";
import { VaultPki } from "../../components/ca/vault/pki";
import { vaultProvider } from "../../components/ca/vault/provider";
import {
  ROOT_MODES,
  ResolvedVaultCaSettings,
  TOKEN_REVIEWERS,
  VAULT_DURATION,
  VaultCaSettings,
  durationSeconds,
  resolveVaultSettings,
  vaultSettingsProblems,
} from "../../components/ca/vault/settings";
import { ConfigIssue } from "../atoms";
import { keySpecSchema, subjectSchema, validityDaysSchema } from "../certParams";
import { conforms } from "../conforms";
import { lifecycleConfigFields, lifecycleConfigIssues } from "../lifecycle";
import { CA_CONFIG_KEY, defineAdapter } from "./adapter";

/**
 * `backend: vault` — HashiCorp Vault's PKI, rendered into istiod's ROOT_CA_DIR by the Vault agent.
 * The `istio-mesh-ca:ca` schema (the shape of components/ca/vault/settings.ts `VaultCaSettings`, whose
 * module owns the defaults and checks: the schema runs `vaultSettingsProblems` and resolves through
 * `resolveVaultSettings`, adapter.ts), its cross-checks, the plaintext-token check and the lifecycle
 * view of an offline root. See docs/vault.md.
 */

export const ttlSchema = z
  .string()
  .regex(VAULT_DURATION, 'must be a Vault duration: digits followed by s, m, h or d, e.g. "8760h", "30d" or "600s"')
  // Checks go on after a failed regex: only judge well-formed durations here.
  .refine((t) => !VAULT_DURATION.test(t) || durationSeconds(t) > 0, "must be longer than zero");

/** A mount or KV path segment as Vault paths are written in the policy: no leading/trailing slash. */
const vaultPath = z
  .string()
  .regex(
    /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
    "must be a Vault path without leading or trailing '/', made of letters, digits, '_', '.', '-'",
  );
const k8sName = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/,
    "must be a Kubernetes name (lowercase letters, digits, '-' and '.')",
  );

/** Root generated and kept in Vault (`pki/root/generate/internal`): its key never leaves Vault. */
const internalRootSchema = z.strictObject({
  mode: z.literal("internal"),
  mount: vaultPath.optional(),
  maxLeaseTtl: ttlSchema.optional(),
  commonName: z.string().min(1).optional(),
  organization: z.string().min(1).optional(),
  ttl: ttlSchema.optional(),
  key: keySpecSchema.optional(),
});

/** Root kept out of Vault (the recommended mode): only its certificate is imported into `mount`. */
const offlineRootSchema = z.strictObject({
  mode: z.literal("offline"),
  key: keySpecSchema.optional(),
  validityDays: validityDaysSchema.optional(),
  subject: subjectSchema.optional(),
  mount: vaultPath.optional(),
  maxLeaseTtl: ttlSchema.optional(),
});

/** Shape only: the component's settings module owns the defaults and the checks. */
const vaultSettingsSchema = conforms<VaultCaSettings & { backend: "vault" }>()(
  z.strictObject({
    backend: z.literal("vault"),
    /** The Vault API address, reachable from Pulumi and from the cluster. */
    address: z.url({
      protocol: /^https?$/,
      error: "must be the Vault address as an http(s) URL, e.g. https://vault.example.internal:8200",
    }),
    /** Vault Enterprise namespace. */
    namespace: vaultPath.optional(),
    /** Only as secret config (`pulumi config set --secret --path 'istio-mesh-ca:ca.token'`); else $VAULT_TOKEN. */
    token: z.string().min(1, "must not be empty; leave it unset to use $VAULT_TOKEN").optional(),
    /** The provider normally works with a short-lived child token; skip that only if the token cannot create one. */
    skipChildToken: z.boolean().optional(),
    /** CA bundle file that signs Vault's TLS certificate, if not in the system trust store. */
    caCertFile: z.string().min(1).optional(),
    audit: z
      .strictObject({
        enabled: z.boolean().optional(),
        path: vaultPath.optional(),
        filePath: z.string().startsWith("/", "must be an absolute path on the Vault server").optional(),
      })
      .optional(),
    root: z
      .discriminatedUnion("mode", [internalRootSchema, offlineRootSchema], {
        error: (iss) =>
          iss.code === "invalid_union"
            ? `root.mode must be one of ${ROOT_MODES.map((m) => `"${m}"`).join(", ")}`
            : undefined,
      })
      .optional(),
    intermediate: z
      .strictObject({
        mount: vaultPath.optional(),
        maxLeaseTtl: ttlSchema.optional(),
        ttl: ttlSchema.optional(),
        commonName: z.string().min(1).optional(),
        subject: subjectSchema.omit({ commonName: true }).optional(),
        key: keySpecSchema.optional(),
        dnsNames: z.array(z.string().min(1)).optional(),
      })
      .optional(),
    kv: z
      .strictObject({
        mount: vaultPath.optional(),
        path: vaultPath.optional(),
        version: z
          .union([z.literal(1), z.literal(2)], { error: "must be 1 or 2 (the KV secrets engine version)" })
          .optional(),
        createMount: z.boolean().optional(),
      })
      .optional(),
    kubernetesAuth: z.strictObject({
      path: vaultPath.optional(),
      /** The cluster's API server as Vault reaches it. */
      host: z.url({ protocol: /^https?$/, error: "must be the Kubernetes API server URL, e.g. https://10.0.0.1:6443" }),
      /** The CA of the API server (public). */
      caCertPem: z.string().includes("-----BEGIN CERTIFICATE-----", { message: "must be a PEM certificate" }),
      role: vaultPath.optional(),
      /**
       * istiod's service account. Default: what the istiod chart names it, `istiod`, or `istiod-<rev>`
       * with istio.revision (older guides: `istiod-service-account`).
       */
      serviceAccount: k8sName.optional(),
      /** Defaults to the Istio namespace. */
      serviceAccountNamespace: k8sName.optional(),
      policyName: vaultPath.optional(),
      tokenPeriod: ttlSchema.optional(),
      /**
       * Which JWT Vault sends to the TokenReview API to check istiod's login (never left to Vault's
       * implicit default: a Vault running in a pod would use its own pod's token, which the cluster
       * here may not know):
       * - `clientJwt` (default): istiod's own login JWT; `disable_local_ca_jwt` is set, and istiod's
       *   service account is allowed to create TokenReviews.
       * - `vaultPod`: Vault runs in a pod of this cluster and reviews with its own service account
       *   token (that account needs `system:auth-delegator`); `disable_local_ca_jwt` stays false.
       * - `reviewerJwt`: the token in `tokenReviewerJwt` (secret config), `disable_local_ca_jwt` set.
       */
      tokenReviewer: z.enum(TOKEN_REVIEWERS, { error: `must be one of ${TOKEN_REVIEWERS.join(", ")}` }).optional(),
      /** With `tokenReviewer: reviewerJwt` only, and only as secret config. */
      tokenReviewerJwt: z.string().min(1).optional(),
    }),
    /**
     * How istiod's vault-agent verifies Vault's TLS certificate (`caCertFile` configures only Pulumi's
     * provider): a Secret in the Istio namespace the injector mounts at /vault/tls
     * (`vault.hashicorp.com/tls-secret`, with `ca-cert` pointing at its `caCertKey`), or a path that
     * already exists in the pod (`vault.hashicorp.com/ca-cert`); `serverName` for SNI/verification.
     */
    agentTls: z
      .strictObject({
        caCertSecret: k8sName.optional(),
        caCertKey: z
          .string()
          .regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret key (letters, digits, '-', '_', '.')")
          .optional(),
        caCertPath: z
          .string()
          .regex(/^\/\S+$/, "must be an absolute file path in the istiod pod")
          .optional(),
        serverName: z.string().min(1).optional(),
      })
      .optional(),
    injector: z
      .strictObject({
        install: z.boolean().optional(),
        namespace: k8sName.optional(),
        chartVersion: z
          .string()
          .regex(/^\d+\.\d+\.\d+$/, "must be a chart version like 0.30.1")
          .optional(),
        chartRepository: z.url().optional(),
      })
      .optional(),
    /**
     * How often istiod's vault-agent reads the KV secret again (`template-static-secret-render-interval`):
     * a rotation reaches istiod within it. Unset: the injector's setting, else the agent's 5 minutes.
     */
    agentRenderInterval: z
      .string()
      .regex(/^(\d+[smh])+$/, 'must be a duration in seconds, minutes or hours, e.g. "30s" or "2m"')
      .refine((t) => !/^(\d+[smh])+$/.test(t) || durationSeconds(t) > 0, "must be longer than zero")
      .optional(),
    /** Where vault-agent writes the four PEMs; also istiod's ROOT_CA_DIR, so the two cannot disagree. */
    secretVolumePath: z
      .string()
      .regex(/^\/[^\s]*[^/\s]$/, "must be an absolute directory path without a trailing '/'")
      .optional(),
    /**
     * The CA lifecycle (root.mode offline only): where the intermediate comes from (signed here by the
     * offline root, or issued by a root CA stack), rotation phases and generations, expiry guards.
     * `root` and `intermediate` keep their Vault shapes above; the lifecycle reads its params from them.
     */
    intermediateSource: lifecycleConfigFields.intermediateSource,
    rotation: lifecycleConfigFields.rotation,
    expiry: lifecycleConfigFields.expiry,
  }),
);

/** The well-formed settings resolved once; the component's checks and the lifecycle's, each at its config path. */
export const vaultConfigSchema = vaultSettingsSchema.transform(({ backend, ...given }, ctx) => {
  const cfg: VaultConfig = { backend, ...resolveVaultSettings(given) };
  const problems = [...vaultSettingsProblems(cfg), ...lifecycleProblems(cfg)];
  for (const p of problems) ctx.addIssue({ code: "custom", path: p.path, message: p.message, input: p.input });
  return problems.length > 0 ? z.NEVER : cfg;
});
export type VaultConfig = ResolvedVaultCaSettings & { readonly backend: "vault" };

/** Whole days a well-formed Vault duration covers (rounded up). */
const durationDays = (ttl: string): number => Math.ceil(durationSeconds(ttl) / 86400);

/**
 * Pure: the lifecycle view of an offline-root Vault config — root params from `root`, the
 * intermediate's lifetime, key and subject from `intermediate` (as Vault's CSR carries them); none
 * with a root stack source. Undefined in internal mode (Vault owns that root).
 */
export function vaultLifecycleSettings(cfg: VaultConfig): LifecycleSettings | undefined {
  if (cfg.root.mode !== "offline") return undefined;
  const lifecycle = { intermediateSource: cfg.intermediateSource, rotation: cfg.rotation, expiry: cfg.expiry };
  if (cfg.intermediateSource.kind === "rootStack") return lifecycle;
  const { key, validityDays, subject } = cfg.root;
  const inter = cfg.intermediate;
  return {
    ...lifecycle,
    root: { key, validityDays, subject },
    intermediate: VAULT_DURATION.test(inter.ttl)
      ? {
          key: inter.key,
          validityDays: durationDays(inter.ttl),
          subject: { ...inter.subject, commonName: inter.commonName },
          dnsNames: inter.dnsNames,
        }
      : undefined,
  };
}

const ROTATION_KEYS = ["rootPhase", "rootGeneration", "intermediateGeneration", "newRoot"] as const;
const INTERNAL_ROOT =
  "not used with root.mode internal: Vault holds that root (pki/root/generate/internal) and the CA lifecycle " +
  "(rotation phases, generations, root stack source, restarts, expiry guards) applies to an offline root only; " +
  "set root.mode offline to use it, or rotate the internal root in Vault (see docs/vault.md)";

/**
 * Pure: the lifecycle checks of `lifecycleConfigIssues` for an offline root (the intermediate outliving
 * `rotation.newRoot` reported at `intermediate.ttl`; outliving `root` is ttlProblems' job), and the
 * refusal of lifecycle settings with an internal root.
 */
export function lifecycleProblems(cfg: VaultConfig): ConfigIssue[] {
  if (cfg.root.mode === "internal") {
    const out: ConfigIssue[] = [];
    for (const k of ROTATION_KEYS) {
      if (cfg.rotation[k] !== undefined)
        out.push({ path: ["rotation", k], input: cfg.rotation[k], message: INTERNAL_ROOT });
    }
    if (cfg.rotation.restartDeployments.length > 0) {
      out.push({
        path: ["rotation", "restartDeployments"],
        input: cfg.rotation.restartDeployments,
        message: INTERNAL_ROOT,
      });
    }
    if (cfg.intermediateSource.kind !== "generate")
      out.push({ path: ["intermediateSource"], input: cfg.intermediateSource, message: INTERNAL_ROOT });
    if (JSON.stringify(cfg.expiry) !== JSON.stringify(resolveExpiry()))
      out.push({ path: ["expiry"], input: cfg.expiry, message: INTERNAL_ROOT });
    return out;
  }
  const lifecycle = vaultLifecycleSettings(cfg)!;
  if (lifecycle.intermediateSource.kind === "generate" && !lifecycle.intermediate) return [];
  return lifecycleConfigIssues(lifecycle).flatMap((p): ConfigIssue[] => {
    if (p.path[0] !== "intermediate") return [p];
    // Outliving `root` is reported by ttlProblems in Vault's terms; keep the `rotation.newRoot` one.
    return p.message.includes("rotation.newRoot")
      ? [{ ...p, path: ["intermediate", "ttl"], input: cfg.intermediate.ttl }]
      : [];
  });
}

/**
 * Pure, cross-key: when this stack installs a revisioned istiod from the chart, the role must be
 * bound to the service account the chart creates for it, `istiod-<rev>`; another name would make
 * every login of istiod's vault-agent fail. (Without a revision an explicit name is left alone: it
 * is documented for older Istio, `istiod-service-account`, and custom charts.)
 */
export function serviceAccountProblems(
  cfg: Pick<VaultConfig, "kubernetesAuth">,
  istio: { install: "helm" | "external"; revision?: string },
): ConfigIssue[] {
  const sa = cfg.kubernetesAuth?.serviceAccount; // `ca` with problems of its own arrives as given
  const expected = `istiod-${istio.revision}`;
  if (istio.install !== "helm" || istio.revision === undefined || sa === undefined || sa === expected) return [];
  return [
    {
      path: ["ca", "kubernetesAuth", "serviceAccount"],
      input: sa,
      message: `the istiod chart names istiod's service account ${JSON.stringify(expected)}${istio.revision ? ` (istio.revision ${istio.revision})` : ""}; set ${JSON.stringify(expected)} or leave serviceAccount unset`,
    },
  ];
}

/** Pure: the one-cluster rule (one Kubernetes auth mount, one istiod identity per stack). */
export function clusterProblems(clusterCount: number): ConfigIssue[] {
  return clusterCount === 1
    ? []
    : [
        {
          path: ["clusters"],
          input: clusterCount,
          message:
            "the vault backend serves exactly one cluster per stack (its Kubernetes auth mount trusts one API server); use one stack per cluster",
        },
      ];
}

/** Pure: a token in config must have been set as a secret. */
export function plaintextTokenProblems(
  cfg: Pick<VaultConfig, "token"> & { kubernetesAuth?: { tokenReviewerJwt?: string } },
  caKeyIsSecret: boolean,
): string[] {
  if (caKeyIsSecret) return [];
  const out: string[] = [];
  if (cfg.token !== undefined) {
    out.push(
      "istio-mesh-ca:ca.token: a Vault token in plain config (not shown); set it with `pulumi config set --secret --path 'istio-mesh-ca:ca.token'` or leave it unset and export VAULT_TOKEN",
    );
  }
  if (cfg.kubernetesAuth?.tokenReviewerJwt !== undefined) {
    out.push(
      "istio-mesh-ca:ca.kubernetesAuth.tokenReviewerJwt: a token in plain config (not shown); set it with `pulumi config set --secret --path 'istio-mesh-ca:ca.kubernetesAuth.tokenReviewerJwt'`",
    );
  }
  return out;
}

export const vaultAdapter = defineAdapter<"vault", VaultConfig, VaultShared>({
  backend: "vault",
  schema: vaultConfigSchema,
  validate: (config, stack) => [
    ...clusterProblems(stack.clusters.length),
    ...serviceAccountProblems(config, stack.istio),
  ],
  plaintextSecrets: (config, isSecret) => plaintextTokenProblems(config, isSecret("ca")),
  shared: (name, config, stack, opts) => {
    const provider = vaultProvider(name, config, opts);
    // With an offline root the PKI owns the CA lifecycle, named and parented like the root this backend
    // always had (`mesh-pki-root` under the PKI component; later generations `mesh-pki-root-g<n>`), and
    // issues the stack's one cluster's intermediate (validation allows exactly one).
    // The previous deployment's state is read through a StackReference under the PKI, as it always was:
    // deferred, since the PKI is its parent and takes the state as an input.
    const lifecycle = vaultLifecycleSettings(config);
    const [previous, readPrevious] = pulumi.deferredOutput<LifecycleState | undefined>();
    const pki = new VaultPki(
      `${name}-pki`,
      {
        settings: config,
        provider,
        settingsName: CA_CONFIG_KEY,
        ...(lifecycle
          ? {
              lifecycle: { ...lifecycle, ...(stack.previousDeployment ? { previous } : {}) },
              cluster: { clusterName: stack.clusters[0].name, istioNamespace: stack.istio.namespace },
            }
          : {}),
      },
      opts,
    );
    if (lifecycle && stack.previousDeployment)
      readPrevious(stack.previousDeployment(`${name}-pki-lifecycle-previous`, { parent: pki }).caLifecycle);
    return { provider, pki };
  },
  lifecycle: (shared) => shared.pki.caLifecycle,
  create: (name, config, ctx, opts) =>
    new VaultCa(
      name,
      {
        settings: config,
        shared: ctx.shared,
        provider: ctx.provider,
        istioNamespace: ctx.istioNamespace,
        istioRevision: ctx.istioRevision,
        settingsName: CA_CONFIG_KEY,
      },
      opts,
    ),
});
