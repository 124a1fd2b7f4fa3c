import { z } from "zod";
import { AzureKeyVaultCa } from "../../components/ca/azureKeyVault";
import { historicRootAlias } from "../../components/ca/azureKeyVault/material";
import {
  AKS_ISTIO_NAMESPACE,
  AzureKeyVaultCaSettings,
  CreateClusterSettings,
  ExistingMesh,
  KEY_VAULT_ID_PATTERN,
  azureKeyVaultSettingsProblems,
  resolveAzureKeyVaultSettings,
} from "../../components/ca/azureKeyVault/settings";
import { CaLifecycle, createCaLifecycle } from "../../components/ca/lifecycle";
import { ConfigIssue } from "../atoms";
import { conforms } from "../conforms";
import { lifecycleConfigFields, lifecycleConfigIssues } from "../lifecycle";
import { CA_CONFIG_KEY, StackView, defineAdapter, previousLifecycle } from "./adapter";

/**
 * `backend: azureKeyVault` — the AKS Istio add-on's plug-in CA: four objects in Azure Key Vault, read by
 * the add-on through the secrets-store CSI add-on. The schema checks the shape of
 * components/ca/azureKeyVault/settings.ts
 * (plus the CA lifecycle fields of `material.source: generate`, which the adapter's shared step uses), runs
 * `azureKeyVaultSettingsProblems` and resolves through `resolveAzureKeyVaultSettings` (adapter.ts).
 */

const guid = z
  .string()
  .regex(/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i, "must be a GUID like 00000000-0000-0000-0000-000000000000");
const resourceGroupName = z
  .string()
  .regex(
    /^[-\w.()]{0,89}[-\w()]$/,
    "must be a resource group name: 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending with '.'",
  );
const location = z.string().regex(/^[a-z0-9]+$/, "must be an Azure region name like westeurope");
/** Key Vault names: 3-24 characters, globally unique. */
export const keyVaultNameSchema = z
  .string()
  .regex(
    /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/,
    "must be 3-24 letters, digits and '-', starting with a letter, not ending with '-' and without '--'",
  );
const objectName = z
  .string()
  .regex(/^[0-9a-zA-Z-]{1,127}$/, "must be a Key Vault secret name: 1-127 letters, digits and '-'");

const keyVaultSchema = z.strictObject({
  /** Use an existing Key Vault (its ARM resource ID) instead of creating one. */
  existingId: z
    .string()
    .regex(
      KEY_VAULT_ID_PATTERN,
      "must be a Key Vault resource ID: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>",
    )
    .optional(),
  /** New Key Vault: name, resource group (must exist) and region. */
  name: keyVaultNameSchema.optional(),
  resourceGroupName: resourceGroupName.optional(),
  location: location.optional(),
  /** Defaults to the tenant of the deploying identity (`authorization.getClientConfig`). */
  tenantId: guid.optional(),
  /** How the Key Vault authorizes data-plane reads: Azure RBAC (recommended) or Key Vault access policies. */
  authorization: z.enum(["rbac", "accessPolicy"], { error: "must be rbac or accessPolicy" }).optional(),
  sku: z.enum(["standard", "premium"], { error: "must be standard or premium" }).optional(),
  softDeleteRetentionDays: z.number().int().min(7, "must be 7 to 90 days").max(90, "must be 7 to 90 days").optional(),
  purgeProtection: z.boolean().optional(),
});

const objectNamesSchema = z.strictObject({
  rootCert: objectName.optional(),
  caCert: objectName.optional(),
  caKey: objectName.optional(),
  certChain: objectName.optional(),
});

const pem = z.string().includes("-----BEGIN", { message: "must be a PEM block" });
const materialSchema = z
  .discriminatedUnion(
    "source",
    [
      z
        .strictObject({
          source: z.literal("generate"),
          /**
           * The CA lifecycle (components/ca/lifecycle): `root` (offline-style, held encrypted in this stack's
           * state) and the cluster's `intermediate` (`L=` defaults to the cluster name), or the intermediate
           * from a root CA stack (`intermediateSource`); `rotation` phases and generations; `expiry` guards.
           */
          ...lifecycleConfigFields,
        })
        .superRefine((m, ctx) => {
          for (const p of lifecycleConfigIssues(m)) ctx.addIssue({ code: "custom", ...p });
        }),
      z.strictObject({
        source: z.literal("provided"),
        /** Every trusted root (old + new during a root rotation). */
        rootCertPem: pem,
        caCertPem: pem,
        /** Set with `pulumi config set --secret --path`. */
        caKeyPem: pem,
        certChainPem: pem.optional(),
      }),
      // The lifecycle fields' defaults (config/lifecycle.ts) when `material` is left out.
    ],
    { error: (iss) => (iss.code === "invalid_union" ? 'material.source must be "generate" or "provided"' : undefined) },
  )
  .prefault({ source: "generate" });

const meshSchema = z.strictObject({
  revisions: z.array(z.string()),
  ingressGateways: z
    .array(
      z.strictObject({
        mode: z.enum(["External", "Internal"], { error: "must be External or Internal" }),
        enabled: z.boolean().optional(),
      }),
    )
    .optional(),
});

const createClusterSchema = conforms<CreateClusterSettings>()(
  z.strictObject({
    /** This stack creates the AKS cluster (greenfield). */
    mode: z.literal("create"),
    /** The AKS resource name; defaults to the stack's single `clusters[].name`. */
    name: z
      .string()
      .regex(/^[a-zA-Z0-9][-_a-zA-Z0-9]{0,62}$/, "must be 1-63 letters, digits, '-' or '_'")
      .optional(),
    resourceGroupName,
    location,
    kubernetesVersion: z
      .string()
      .regex(/^\d+\.\d+(\.\d+)?$/, "must be a Kubernetes version like 1.33")
      .optional(),
    dnsPrefix: z
      .string()
      .regex(/^[a-zA-Z0-9][-a-zA-Z0-9]{0,52}[a-zA-Z0-9]$/, "must be 2-54 letters, digits and '-'")
      .optional(),
    nodePool: z
      .strictObject({
        name: z
          .string()
          .regex(/^[a-z][a-z0-9]{0,11}$/, "must be 1-12 lowercase letters and digits, starting with a letter")
          .optional(),
        vmSize: z.string().min(1).optional(),
        count: z.number().int().min(1, "must be 1 to 1000").max(1000, "must be 1 to 1000").optional(),
      })
      .optional(),
    credentials: z.enum(["user", "admin"], { error: "must be user or admin" }).optional(),
  }),
);

/** What the team-owned cluster's mesh currently uses; a self-signed mesh cannot switch in place. */
export const existingMeshSchema = conforms<ExistingMesh>()(
  z.enum(["none", "selfSigned", "plugin"], { error: "must be none, selfSigned or plugin" }),
);

const fragmentsClusterSchema = z.strictObject({
  /** The cluster is owned elsewhere: this stack only produces profile fragments and grants access. */
  mode: z.literal("fragments"),
  /** The team's AKS cluster, for the lookup. */
  name: z.string().min(1),
  resourceGroupName,
  /** The mesh CA the cluster runs today. */
  existingMesh: existingMeshSchema,
  /** The secrets-provider add-on identity; looked up from the cluster when omitted. */
  addonIdentityObjectId: guid.optional(),
  /** Read the cluster (getManagedCluster) to check its mesh at preview and find the add-on identity. */
  lookup: z.boolean().optional(),
});

/** Shape only: the component's settings module owns the defaults and the checks. */
const azureKeyVaultSettingsSchema = conforms<AzureKeyVaultCaSettings & { backend: "azureKeyVault" }>()(
  z.strictObject({
    backend: z.literal("azureKeyVault"),
    keyVault: keyVaultSchema,
    /** Secret names in the Key Vault, passed to the add-on as `*ObjectName`. */
    objectNames: objectNamesSchema.optional(),
    material: materialSchema,
    secretsProvider: z
      .strictObject({
        rotationPollInterval: z
          .string()
          .regex(/^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/, "must be a duration like 2m, 30s or 1h30m")
          .optional(),
      })
      .optional(),
    mesh: meshSchema,
    cluster: z.discriminatedUnion("mode", [createClusterSchema, fragmentsClusterSchema], {
      error: (iss) => (iss.code === "invalid_union" ? 'cluster.mode must be "create" or "fragments"' : undefined),
    }),
  }),
);

export const azureKeyVaultConfigSchema = azureKeyVaultSettingsSchema
  .superRefine((cfg, ctx) => {
    if (ctx.issues.length > 0) return; // the checks read well-formed settings; shape problems come first
    for (const p of azureKeyVaultSettingsProblems(cfg))
      ctx.addIssue({ code: "custom", path: p.path, message: p.message, input: p.input });
    // `material` as parsed: the same object, typed with the lifecycle fields of a generated one.
  })
  .transform(({ backend, ...settings }) => ({
    backend,
    ...resolveAzureKeyVaultSettings(settings),
    material: settings.material,
  }));

export type AzureKeyVaultConfig = z.output<typeof azureKeyVaultConfigSchema>;

/** Pure cross-key checks: the add-on owns Istio in `aks-istio-system`, one AKS cluster per stack. */
export function azureKeyVaultStackProblems(stack: StackView): ConfigIssue[] {
  const problems: ConfigIssue[] = [];
  if (stack.istio.install !== "external") {
    problems.push({
      path: ["istio", "install"],
      input: stack.istio.install,
      message: "must be external with the azureKeyVault backend: the AKS add-on installs and runs Istio itself",
    });
  }
  if (stack.istio.namespace !== AKS_ISTIO_NAMESPACE) {
    problems.push({
      path: ["istio", "namespace"],
      input: stack.istio.namespace,
      message: `must be ${AKS_ISTIO_NAMESPACE} with the azureKeyVault backend (the add-on's istiod and root namespace)`,
    });
  }
  if (stack.clusters.length !== 1) {
    problems.push({
      path: ["clusters"],
      input: stack.clusters.map((c) => c.name),
      message: `the azureKeyVault backend serves one AKS cluster per stack (got ${stack.clusters.length}); use one stack per cluster`,
    });
  }
  return problems;
}

export const azureKeyVaultAdapter = defineAdapter<"azureKeyVault", AzureKeyVaultConfig, CaLifecycle | undefined>({
  backend: "azureKeyVault",
  schema: azureKeyVaultConfigSchema,
  validate: (_config, stack) => azureKeyVaultStackProblems(stack),
  // Once per stack: the CA lifecycle when the material is generated (not for PEMs supplied as config).
  shared: (name, config, stack, opts) => {
    if (config.material.source !== "generate") return undefined;
    // The validated stack config: with `clusters` unset it is the default cluster1, whose historic root
    // must be aliased like any other (validation allows exactly one cluster with this backend).
    const transformations = stack.clusters.length === 1 ? [historicRootAlias(name, stack.clusters[0].name)] : [];
    const lifecycleOpts = { ...opts, transformations: [...(opts.transformations ?? []), ...transformations] };
    return createCaLifecycle(
      name,
      {
        ...config.material,
        ...previousLifecycle(stack, `${name}-lifecycle-previous`, lifecycleOpts),
        settingsName: `${CA_CONFIG_KEY}.material`,
      },
      lifecycleOpts,
    );
  },
  lifecycle: (shared) => shared,
  create: (name, config, ctx, opts) =>
    new AzureKeyVaultCa(
      name,
      {
        settings: config,
        settingsName: CA_CONFIG_KEY,
        clusterName: ctx.clusterName,
        istioNamespace: ctx.istioNamespace,
        caLifecycle: ctx.shared,
      },
      opts,
    ),
});
