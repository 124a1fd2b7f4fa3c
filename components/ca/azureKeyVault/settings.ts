import type { SettingsProblem } from "../../shared/settingsProblem";
import { providedMaterialProblems } from "../pem";

/**
 * The settings of the Azure Key Vault backend: the AKS Istio add-on's plug-in CA, read from Azure Key
 * Vault through the secrets-store CSI add-on. Plain types, and the one place of their defaults
 * (`resolveAzureKeyVaultSettings`) and checks (`azureKeyVaultSettingsProblems`); the config schema
 * (config/backends/azureKeyVault.ts) checks their shape and resolves through these.
 */

/** The namespace the AKS add-on runs istiod in; mesh policies' root namespace. */
export const AKS_ISTIO_NAMESPACE = "aks-istio-system";

/**
 * An ARM Key Vault resource ID: `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>`.
 */
export const KEY_VAULT_ID_PATTERN =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)$/i;

/** Splits a Key Vault resource ID into its parts, or undefined when it is not one. Pure. */
export function parseKeyVaultId(
  id: string,
): { subscriptionId: string; resourceGroupName: string; keyVaultName: string } | undefined {
  const m = KEY_VAULT_ID_PATTERN.exec(id);
  return m ? { subscriptionId: m[1], resourceGroupName: m[2], keyVaultName: m[3] } : undefined;
}

/** How the Key Vault authorizes data-plane reads. */
export type KeyVaultAuthorization = "rbac" | "accessPolicy";

/**
 * The Key Vault holding the plug-in CA: an existing one (`existingId`), or a new one (`name`, `resourceGroupName`,
 * `location`).
 */
export interface KeyVaultSettings {
  /** Use an existing Key Vault (its ARM resource ID) instead of creating one. */
  readonly existingId?: string;
  /** New Key Vault: its name (3-24 characters, globally unique). Required without `existingId`. */
  readonly name?: string;
  /** New Key Vault: its resource group (must exist). Required without `existingId`. */
  readonly resourceGroupName?: string;
  /** New Key Vault: its region, e.g. `westeurope`. Required without `existingId`. */
  readonly location?: string;
  /** The Key Vault's tenant. @default the tenant of the deploying identity (`authorization.getClientConfig`) */
  readonly tenantId?: string;
  /**
   * Azure RBAC (recommended): a role assignment at the Key Vault; `accessPolicy`: get/list on secrets. @default "rbac"
   */
  readonly authorization?: KeyVaultAuthorization;
  /** New Key Vault's SKU. @default "standard" */
  readonly sku?: "standard" | "premium";
  /** New Key Vault: days a deleted Key Vault or secret is kept (7-90). @default 90 */
  readonly softDeleteRetentionDays?: number;
  /** New Key Vault: once on it cannot be turned off (Azure refuses); keep it on for a CA key. @default true */
  readonly purgeProtection?: boolean;
}

/** Names of the four Key Vault secrets the add-on reads (`az aks mesh enable --*-object-name`); distinct. */
export interface KeyVaultObjectNames {
  /** Every trusted root, concatenated. @default "root-cert" */
  readonly rootCert: string;
  /** The intermediate istiod signs with. @default "ca-cert" */
  readonly caCert: string;
  /** The intermediate's key. @default "ca-key" */
  readonly caKey: string;
  /** The intermediate, then each issuer up to the root. @default "cert-chain" */
  readonly certChain: string;
}

export const DEFAULT_OBJECT_NAMES: KeyVaultObjectNames = {
  rootCert: "root-cert",
  caCert: "ca-cert",
  caKey: "ca-key",
  certChain: "cert-chain",
};

/** Where the four objects' material comes from. */
export type KeyVaultMaterialSettings =
  /** The CA lifecycle passed to the component as `caLifecycle` (its roots and this cluster's intermediate). */
  | { readonly source: "generate" }
  /** PEMs supplied by the team. */
  | {
      readonly source: "provided";
      /** Every trusted root (old + new during a root rotation). */
      readonly rootCertPem: string;
      /** The intermediate. */
      readonly caCertPem: string;
      /** The intermediate's key (keep it secret). */
      readonly caKeyPem: string;
      /** @default the intermediate followed by the root that signed it */
      readonly certChainPem?: string;
    };

export interface SecretsProviderSettings {
  /**
   * How often the CSI driver re-reads the Key Vault: bounds how fast a rotated intermediate reaches istiod. @default
   * "2m"
   */
  readonly rotationPollInterval?: string;
}

export const DEFAULT_ROTATION_POLL_INTERVAL = "2m";

/** One of the add-on's managed ingress gateways. */
export interface IngressGatewaySettings {
  readonly mode: "External" | "Internal";
  /** @default true */
  readonly enabled?: boolean;
}

/** The add-on's mesh. */
export interface AddonMeshSettings {
  /** `asm-1-<minor>`: one, or two consecutive ones during a canary upgrade. @example ["asm-1-27"] */
  readonly revisions: readonly string[];
  /** The add-on's managed ingress gateways (at most one per mode). @default [] */
  readonly ingressGateways?: readonly IngressGatewaySettings[];
}

/** This stack creates the AKS cluster (greenfield). */
export interface CreateClusterSettings {
  readonly mode: "create";
  /** The AKS resource name. @default the component's `clusterName` */
  readonly name?: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** @example "1.33" @default AKS's default version */
  readonly kubernetesVersion?: string;
  /** @default the cluster's name */
  readonly dnsPrefix?: string;
  /** The system node pool. */
  readonly nodePool?: {
    /** @default "system" */
    readonly name?: string;
    /** @default "Standard_D4s_v5" */
    readonly vmSize?: string;
    /** @default 3 */
    readonly count?: number;
  };
  /** Which kubeconfig the cluster's Kubernetes provider uses. @default "user" */
  readonly credentials?: "user" | "admin";
}

export const DEFAULT_NODE_POOL = { name: "system", vmSize: "Standard_D4s_v5", count: 3 } as const;

/** What a team-owned cluster's mesh currently uses; a self-signed mesh cannot switch in place. */
export type ExistingMesh = "none" | "selfSigned" | "plugin";

/** The cluster is owned elsewhere: only the profile fragments and the add-on identity's read access. */
export interface FragmentsClusterSettings {
  readonly mode: "fragments";
  /** The team's AKS cluster, for the lookup. */
  readonly name: string;
  readonly resourceGroupName: string;
  /** The mesh CA the cluster runs today. */
  readonly existingMesh: ExistingMesh;
  /** The secrets-provider add-on identity's objectId. @default looked up from the cluster */
  readonly addonIdentityObjectId?: string;
  /** Read the cluster (getManagedCluster) to check its mesh at preview and find the add-on identity. @default true */
  readonly lookup?: boolean;
}

/** Everything the Azure Key Vault backend builds for one AKS cluster. */
export interface AzureKeyVaultCaSettings {
  /** The Key Vault holding the plug-in CA. */
  readonly keyVault: KeyVaultSettings;
  /** Secret names in the Key Vault, passed to the add-on as `*ObjectName`; each @default from DEFAULT_OBJECT_NAMES */
  readonly objectNames?: Partial<KeyVaultObjectNames>;
  /** Where the material comes from. @default { source: "generate" } */
  readonly material?: KeyVaultMaterialSettings;
  /** The secrets-store CSI add-on. @default { rotationPollInterval: "2m" } */
  readonly secretsProvider?: SecretsProviderSettings;
  /** The add-on's mesh: revisions and ingress gateways. */
  readonly mesh: AddonMeshSettings;
  /** Create the AKS cluster, or hand out fragments for a team-owned one. */
  readonly cluster: CreateClusterSettings | FragmentsClusterSettings;
}

/** Key Vault settings with their documented defaults applied (`tenantId` defaults at deploy time), checked. */
export type ResolvedKeyVaultSettings = KeyVaultSettings &
  Required<Pick<KeyVaultSettings, "authorization" | "sku" | "softDeleteRetentionDays" | "purgeProtection">> & {
    readonly resolved: true;
  };

/** Pure: the Key Vault settings with every `@default` applied. Call after `keyVaultProblems` found nothing. */
export function resolveKeyVaultSettings(s: KeyVaultSettings): ResolvedKeyVaultSettings {
  return {
    ...s,
    resolved: true,
    authorization: s.authorization ?? "rbac",
    sku: s.sku ?? "standard",
    softDeleteRetentionDays: s.softDeleteRetentionDays ?? 90,
    purgeProtection: s.purgeProtection ?? true,
  };
}

/**
 * The component's settings with every documented default applied (names that default to the
 * cluster's stay unset): what the config schema produces. `resolved` tells `AzureKeyVaultCa` that
 * `azureKeyVaultSettingsProblems` already found nothing.
 */
export interface ResolvedAzureKeyVaultCaSettings {
  readonly resolved: true;
  readonly keyVault: ResolvedKeyVaultSettings;
  readonly objectNames: KeyVaultObjectNames;
  readonly material: KeyVaultMaterialSettings;
  readonly secretsProvider: Required<SecretsProviderSettings>;
  readonly mesh: {
    readonly revisions: readonly string[];
    readonly ingressGateways: readonly Required<IngressGatewaySettings>[];
  };
  readonly cluster: ResolvedCreateClusterSettings | (FragmentsClusterSettings & { readonly lookup: boolean });
}

/** A new cluster's settings with the node pool and credentials defaults applied. */
export type ResolvedCreateClusterSettings = CreateClusterSettings & {
  readonly nodePool: Required<NonNullable<CreateClusterSettings["nodePool"]>>;
  readonly credentials: "user" | "admin";
};

/** Pure: the settings with every `@default` applied. Call after `azureKeyVaultSettingsProblems` found nothing. */
export function resolveAzureKeyVaultSettings(s: AzureKeyVaultCaSettings): ResolvedAzureKeyVaultCaSettings {
  const cluster =
    s.cluster.mode === "create"
      ? {
          ...s.cluster,
          nodePool: { ...DEFAULT_NODE_POOL, ...s.cluster.nodePool },
          credentials: s.cluster.credentials ?? "user",
        }
      : { ...s.cluster, lookup: s.cluster.lookup ?? true };
  return {
    resolved: true,
    keyVault: resolveKeyVaultSettings(s.keyVault),
    objectNames: { ...DEFAULT_OBJECT_NAMES, ...s.objectNames },
    material: s.material ?? { source: "generate" },
    secretsProvider: {
      rotationPollInterval: s.secretsProvider?.rotationPollInterval ?? DEFAULT_ROTATION_POLL_INTERVAL,
    },
    mesh: {
      revisions: s.mesh.revisions,
      ingressGateways: (s.mesh.ingressGateways ?? []).map((g) => ({ mode: g.mode, enabled: g.enabled ?? true })),
    },
    cluster,
  };
}

/** A problem of the settings; `path` is relative to `AzureKeyVaultCaSettings`. */
export type { SettingsProblem } from "../../shared/settingsProblem";

const NEW_KEY_VAULT_KEYS = ["name", "resourceGroupName", "location"] as const;

/** Pure: an existing Key Vault (a well-formed `existingId`) or a new one (name, resource group, region), not both. */
export function keyVaultProblems(kv: KeyVaultSettings): SettingsProblem[] {
  if (kv.existingId !== undefined) {
    const alsoSet = NEW_KEY_VAULT_KEYS.filter((k) => kv[k] !== undefined);
    if (alsoSet.length > 0) {
      return [
        {
          path: ["existingId"],
          input: kv.existingId,
          message: `set either existingId or ${NEW_KEY_VAULT_KEYS.join("/")}, not both (also set: ${alsoSet.join(", ")})`,
        },
      ];
    }
    return parseKeyVaultId(kv.existingId)
      ? []
      : [
          {
            path: ["existingId"],
            input: kv.existingId,
            message:
              "must be a Key Vault resource ID: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>",
          },
        ];
  }
  return NEW_KEY_VAULT_KEYS.filter((k) => kv[k] === undefined).map((k) => ({
    path: [k],
    input: undefined,
    message: "required for a new vault (or set existingId to use an existing one)",
  }));
}

/** The add-on's revisions are `asm-1-<minor>`; returns problems (at most two, consecutive minors). Pure. */
export function revisionProblems(revisions: readonly string[]): string[] {
  const problems: string[] = [];
  const minors = revisions.map((r) => /^asm-1-(\d+)$/.exec(r));
  revisions.forEach((r, i) => {
    if (!minors[i])
      problems.push(`revision ${JSON.stringify(r)} is not an add-on revision; allowed: asm-1-<minor> such as asm-1-27`);
  });
  if (revisions.length === 0 || revisions.length > 2) {
    problems.push(`list one revision, or two during a canary upgrade (got ${revisions.length})`);
  }
  if (problems.length === 0 && revisions.length === 2) {
    const [a, b] = minors.map((m) => Number(m![1]));
    if (Math.abs(a - b) !== 1) {
      problems.push(
        `revisions ${revisions.join(" and ")} are not consecutive minor versions; a canary upgrade runs asm-1-N next to asm-1-N+1`,
      );
    }
  }
  return problems;
}

/**
 * The refusal of the switch AKS does not support: a mesh on the add-on's self-signed CA cannot move to
 * a plug-in CA in place. Shared by the settings checks and the preview check.
 */
export function inPlaceSwitchMessage(cluster: string): string {
  return (
    `the mesh of cluster ${cluster} uses the add-on's self-signed CA and cannot switch to a plug-in CA in place: ` +
    "disable the mesh first (`az aks mesh disable`, or remove serviceMeshProfile from the cluster definition), apply, " +
    "then enable it again with this stack's serviceMeshProfile fragment (and set existingMesh: none)"
  );
}

/**
 * Pure checks of the settings, each with its path: the Key Vault, distinct object names, the add-on's
 * revisions and gateways, a team-owned cluster that can take a plug-in CA, supplied PEMs that fit
 * together (never echoing the key).
 */
export function azureKeyVaultSettingsProblems(s: AzureKeyVaultCaSettings): SettingsProblem[] {
  const problems: SettingsProblem[] = keyVaultProblems(s.keyVault).map((p) => ({
    ...p,
    path: ["keyVault", ...p.path],
  }));
  const seen = new Map<string, string>();
  for (const [k, v] of Object.entries({ ...DEFAULT_OBJECT_NAMES, ...s.objectNames })) {
    if (seen.has(v))
      problems.push({
        path: ["objectNames", k],
        input: v,
        message: `same secret name as ${seen.get(v)}; the four objects need distinct names`,
      });
    seen.set(v, k);
  }
  for (const message of revisionProblems(s.mesh.revisions))
    problems.push({ path: ["mesh", "revisions"], input: s.mesh.revisions, message });
  const modes = (s.mesh.ingressGateways ?? []).map((g) => g.mode);
  if (new Set(modes).size !== modes.length)
    problems.push({
      path: ["mesh", "ingressGateways"],
      input: modes,
      message: "at most one External and one Internal gateway",
    });
  const c = s.cluster;
  if (c.mode === "fragments") {
    if (c.existingMesh === "selfSigned")
      problems.push({
        path: ["cluster", "existingMesh"],
        input: c.existingMesh,
        message: inPlaceSwitchMessage(c.name),
      });
    if (c.lookup === false && !c.addonIdentityObjectId) {
      problems.push({
        path: ["cluster", "addonIdentityObjectId"],
        input: undefined,
        message:
          "with lookup: false, set the objectId of the cluster's azureKeyvaultSecretsProvider identity (az aks show --query addonProfiles.azureKeyvaultSecretsProvider.identity.objectId)",
      });
    }
  }
  if (s.material?.source === "provided") {
    for (const p of providedMaterialProblems(s.material)) {
      problems.push({
        path: ["material", p.key],
        input: p.key === "caKeyPem" ? undefined : "(PEM)",
        message: p.message,
      });
    }
  }
  return problems;
}
