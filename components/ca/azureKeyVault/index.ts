import * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CaBackend, CaDelivery, IstiodSettings, noIstiodSettings } from "../contract";
import { CaLifecycle, withIstiodAdditions } from "../lifecycle";
import { MeshComponent } from "../../shared/meshComponent";
import { describeProblems } from "../../shared/settingsProblem";
import { Transform } from "../../shared/transform";
import { IntermediateCaTransform } from "../tlsCa";
import { createAksCluster, teamClusterAddonIdentity } from "./cluster";
import { MeshClusterFragments, meshClusterFragments } from "./fragments";
import { PluginCaKeyVault, SecretsReadGrantTransform, grantSecretsRead } from "./keyVault";
import { caMaterialFor } from "./material";
import {
  AKS_ISTIO_NAMESPACE,
  AzureKeyVaultCaSettings,
  ResolvedAzureKeyVaultCaSettings,
  azureKeyVaultSettingsProblems,
  resolveAzureKeyVaultSettings,
} from "./settings";

export { AKS_ISTIO_NAMESPACE } from "./settings";
export type * from "./settings";
export { PluginCaKeyVault } from "./keyVault";
export type { PluginCaKeyVaultArgs, SecretsReadGrantTransform } from "./keyVault";

export interface AzureKeyVaultCaArgs {
  /**
   * The Key Vault, its objects, the material source, the add-on's mesh and the cluster: checked
   * (`azureKeyVaultSettingsProblems`) and resolved here, unless already resolved
   * (`resolveAzureKeyVaultSettings`, as the config schema produces them).
   */
  readonly settings: AzureKeyVaultCaSettings | ResolvedAzureKeyVaultCaSettings;
  /**
   * How refusals name these settings (the stack program passes its config key, `istio-mesh-ca:ca`).
   * @default the component's name
   */
  readonly settingsName?: string;
  /** The cluster's name: the intermediate's `L=`, and the AKS name unless `settings.cluster.name` is set. */
  readonly clusterName: string;
  /**
   * The namespace the add-on runs istiod in: the intermediate's default SAN.
   * @default "aks-istio-system"
   */
  readonly istioNamespace?: string;
  /** The stack's CA lifecycle; required with `settings.material.source` generate (the default). */
  readonly caLifecycle?: CaLifecycle;
  /** Per-child escape hatch (partial args or a function); secret values stay secret whatever it does. */
  readonly transform?: {
    /** The intermediate issued from the lifecycle: key, CSR, certificate. */
    readonly intermediate?: IntermediateCaTransform;
    readonly keyVault?: Transform<keyvault.VaultArgs>;
    /** Each of the four Key Vault secrets. */
    readonly secret?: Transform<keyvault.SecretArgs>;
    /** The add-on identity's read grant (role assignment or access policy). */
    readonly grant?: SecretsReadGrantTransform;
    /** `cluster.mode` create: the AKS cluster. */
    readonly managedCluster?: Transform<containerservice.ManagedClusterArgs>;
  };
}

/**
 * The AKS Istio add-on's plug-in CA, read from Azure Key Vault. Stores the material in a Key Vault,
 * lets the secrets-provider add-on read it, and either creates the AKS cluster with the mesh and add-on
 * profiles or hands those profiles out as fragments for a team-owned cluster.
 * The add-on creates `cacerts` itself, so istiod needs nothing from us.
 */
export class AzureKeyVaultCa extends MeshComponent implements CaBackend {
  public readonly backendName = "azureKeyVault";
  public readonly delivery: CaDelivery;
  public readonly istiodSettings: IstiodSettings;
  /** A provider for the AKS cluster this component created (`cluster.mode` create). */
  public readonly clusterProvider?: k8s.Provider;
  /** The Key Vault and the four objects the add-on reads. */
  public readonly keyVault: PluginCaKeyVault;
  /** `serviceMeshProfile` and `addonProfiles` for the cluster definition (azure-native input types). */
  public readonly fragments: MeshClusterFragments;
  /** Backend-specific stack outputs: public values only. */
  public readonly stackOutputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: AzureKeyVaultCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ca", "AzureKeyVaultCa", name, opts);
    const settingsName = args.settingsName ?? name;
    const settings = "resolved" in args.settings ? args.settings : this.resolve(settingsName, args.settings);
    const materialSettings = settings.material;
    const t = args.transform ?? {};
    if (materialSettings.source === "generate" && !args.caLifecycle) {
      this.fail(
        `${settingsName}.material.source is generate, which needs the stack's CA lifecycle: pass caLifecycle (or supply the PEMs with material source provided)`,
      );
    }
    const objectNames = settings.objectNames;
    const { material, istiodAdditions } = caMaterialFor(
      name,
      materialSettings,
      { clusterName: args.clusterName, istioNamespace: args.istioNamespace ?? AKS_ISTIO_NAMESPACE },
      this,
      args.caLifecycle,
      t.intermediate,
    );
    // The add-on writes `cacerts` itself from the Key Vault objects (CSI): nothing for our install to write.
    this.delivery = { kind: "external", material };
    const client = authorization.getClientConfigOutput({ parent: this });
    const tenantId = settings.keyVault.tenantId ?? client.tenantId;
    this.keyVault = new PluginCaKeyVault(
      this.childName("vault"),
      {
        keyVault: settings.keyVault,
        tenantId,
        subscriptionId: client.subscriptionId,
        objectNames,
        material,
        transform: { keyVault: t.keyVault, secret: t.secret },
      },
      { parent: this },
    );
    this.fragments = meshClusterFragments({
      keyVaultId: this.keyVault.keyVaultId,
      objectNames,
      mesh: settings.mesh,
      rotationPollInterval: settings.secretsProvider.rotationPollInterval,
    });

    let principalId: pulumi.Output<string>;
    if (settings.cluster.mode === "create") {
      // The secrets exist before the add-on first looks for them.
      const aks = createAksCluster(
        name,
        { ...settings.cluster, name: settings.cluster.name ?? args.clusterName },
        this.fragments,
        this.keyVault.secrets,
        this,
        t.managedCluster,
      );
      principalId = aks.addonIdentityObjectId;
      this.clusterProvider = aks.provider;
    } else {
      principalId = teamClusterAddonIdentity(settings.cluster, this);
    }
    const grant = grantSecretsRead(
      name,
      {
        keyVault: this.keyVault,
        authorization: settings.keyVault.authorization,
        tenantId,
        principalId,
        transform: t.grant,
      },
      this,
    );

    const istiodSettings = noIstiodSettings([grant, ...this.keyVault.secrets]);
    // The add-on's istiod is not ours to render (istio.install external): these values reach no chart.
    // The add-on's istio-cert-validator CronJob restarts istiod when root-cert changes (see docs/aks.md).
    this.istiodSettings = istiodAdditions ? withIstiodAdditions(istiodSettings, istiodAdditions, this) : istiodSettings;
    this.stackOutputs = {
      keyVaultId: this.keyVault.keyVaultId,
      serviceMeshProfile: this.fragments.serviceMeshProfile,
      addonProfiles: this.fragments.addonProfiles,
    };
    this.registerOutputs(this.stackOutputs);
  }

  /** A library user's settings: refused with every problem, or resolved. */
  private resolve(settingsName: string, given: AzureKeyVaultCaSettings): ResolvedAzureKeyVaultCaSettings {
    const problems = azureKeyVaultSettingsProblems(given);
    if (problems.length > 0) this.fail(describeProblems(settingsName, problems));
    return resolveAzureKeyVaultSettings(given);
  }
}
