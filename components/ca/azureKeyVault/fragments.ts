import type * as pulumi from "@pulumi/pulumi";
import type { containerservice } from "@pulumi/azure-native/types/input";
import { KeyVaultObjectNames, ResolvedAzureKeyVaultCaSettings } from "./settings";

/** The add-on key of the secrets-store CSI driver's Key Vault provider in `addonProfiles`. */
export const SECRETS_PROVIDER_ADDON = "azureKeyvaultSecretsProvider";

/** The ManagedCluster properties this backend owns, as azure-native input types. */
export interface MeshClusterFragments {
  /** `serviceMeshProfile`: the Istio add-on with the plug-in CA read from Key Vault. */
  readonly serviceMeshProfile: containerservice.ServiceMeshProfileArgs;
  /** `addonProfiles`: the Key Vault secrets provider with rotation on. Spread into the cluster's own map. */
  readonly addonProfiles: { [SECRETS_PROVIDER_ADDON]: containerservice.ManagedClusterAddonProfileArgs };
}

export interface FragmentArgs {
  readonly keyVaultId: pulumi.Input<string>;
  readonly objectNames: KeyVaultObjectNames;
  readonly mesh: ResolvedAzureKeyVaultCaSettings["mesh"];
  readonly rotationPollInterval: string;
}

/**
 * Pure: the two ManagedCluster fragments (what `az aks mesh enable --key-vault-id ... --*-object-name`
 * and `az aks enable-addons --addons azure-keyvault-secrets-provider` set).
 */
export function meshClusterFragments(args: FragmentArgs): MeshClusterFragments {
  const { objectNames: names } = args;
  const ingressGateways = [...args.mesh.ingressGateways];
  return {
    serviceMeshProfile: {
      mode: "Istio",
      istio: {
        revisions: [...args.mesh.revisions],
        ...(ingressGateways.length > 0 ? { components: { ingressGateways } } : {}),
        certificateAuthority: {
          plugin: {
            keyVaultId: args.keyVaultId,
            certObjectName: names.caCert,
            keyObjectName: names.caKey,
            rootCertObjectName: names.rootCert,
            certChainObjectName: names.certChain,
          },
        },
      },
    },
    addonProfiles: {
      [SECRETS_PROVIDER_ADDON]: {
        enabled: true,
        // The add-on's config map only takes strings.
        config: { enableSecretRotation: "true", rotationPollInterval: args.rotationPollInterval },
      },
    },
  };
}
