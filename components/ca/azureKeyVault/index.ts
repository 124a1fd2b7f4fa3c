import * as authorization from "@pulumi/azure-native/authorization";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackView } from "../../../config/backends/adapter";
import { CaBackend, CaDelivery, IstiodSettings, noIstiodSettings } from "../contract";
import { createAksCluster, teamClusterAddonIdentity } from "./cluster";
import { AKS_ISTIO_NAMESPACE, AzureKeyVaultConfig } from "./config";
import { MeshClusterFragments, meshClusterFragments } from "./fragments";
import { CaLifecycle, withIstiodAdditions } from "../lifecycle";
import { caMaterialFor } from "./material";
import { PluginCaVault, grantSecretsRead } from "./vault";

export { azureKeyVaultConfigSchema } from "./config";
export type { AzureKeyVaultConfig } from "./config";

export interface AzureKeyVaultCaArgs {
  /** The validated `istio-mesh-ca:ca` object. */
  readonly config: AzureKeyVaultConfig;
  /** `clusters[].name`: the intermediate's `L=`, and the AKS name unless `cluster.name` is set. */
  readonly clusterName: string;
  /** `aks-istio-system`: the intermediate's default SAN. */
  readonly istioNamespace: string;
  /** The stack's CA lifecycle (material.source generate). */
  readonly caLifecycle?: CaLifecycle;
}

/**
 * Seed 001: the AKS Istio add-on with a plug-in CA from Azure Key Vault. Stores the material in a
 * vault, lets the secrets-provider add-on read it, and either creates the AKS cluster with the mesh
 * and add-on profiles or hands those profiles out as fragments for a team-owned cluster.
 * The add-on creates `cacerts` itself, so istiod needs nothing from us.
 */
export class AzureKeyVaultCa extends pulumi.ComponentResource implements CaBackend {
  public readonly backendName = "azureKeyVault";
  public readonly delivery: CaDelivery;
  public readonly istiodSettings: IstiodSettings;
  public readonly clusterProvider?: k8s.Provider;
  public readonly vault: PluginCaVault;
  /** `serviceMeshProfile` and `addonProfiles` for the cluster definition (azure-native input types). */
  public readonly fragments: MeshClusterFragments;
  /** Backend-specific stack outputs: public values only. */
  public readonly stackOutputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: AzureKeyVaultCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:ca:AzureKeyVaultCa", name, {}, opts);
    const cfg = args.config;
    const { material, istiodAdditions } = caMaterialFor(name, cfg.material,
      { clusterName: args.clusterName, istioNamespace: args.istioNamespace }, this, args.caLifecycle);
    // The add-on writes `cacerts` itself from the Key Vault objects (CSI): nothing for our install to write.
    this.delivery = { kind: "external", material };
    const client = authorization.getClientConfigOutput({ parent: this });
    const tenantId = cfg.keyVault.tenantId ?? client.tenantId;
    this.vault = new PluginCaVault(`${name}-vault`, {
      keyVault: cfg.keyVault, tenantId, subscriptionId: client.subscriptionId, objectNames: cfg.objectNames, material,
    }, { parent: this });
    this.fragments = meshClusterFragments({
      keyVaultId: this.vault.vaultId,
      objectNames: cfg.objectNames,
      mesh: cfg.mesh,
      rotationPollInterval: cfg.secretsProvider.rotationPollInterval,
    });

    let principalId: pulumi.Output<string>;
    if (cfg.cluster.mode === "create") {
      // The secrets exist before the add-on first looks for them.
      const aks = createAksCluster(name, { ...cfg.cluster, name: cfg.cluster.name ?? args.clusterName }, this.fragments, this.vault.secrets, this);
      principalId = aks.addonIdentityObjectId;
      this.clusterProvider = aks.provider;
    } else {
      principalId = teamClusterAddonIdentity(cfg.cluster, this);
    }
    const grant = grantSecretsRead(name, { vault: this.vault, authorization: cfg.keyVault.authorization, tenantId, principalId }, this);

    const settings = noIstiodSettings([grant, ...this.vault.secrets]);
    // The add-on's istiod is not ours to render (istio.install external): these values reach no chart.
    // The add-on's istio-cert-validator CronJob restarts istiod when root-cert changes (see docs/aks.md).
    this.istiodSettings = istiodAdditions ? withIstiodAdditions(settings, istiodAdditions) : settings;
    this.stackOutputs = {
      keyVaultId: this.vault.vaultId,
      serviceMeshProfile: this.fragments.serviceMeshProfile,
      addonProfiles: this.fragments.addonProfiles,
    };
    this.registerOutputs(this.stackOutputs);
  }
}

/** Pure cross-key checks: the add-on owns Istio in `aks-istio-system`, one AKS cluster per stack. */
export function azureKeyVaultStackProblems(stack: StackView): { path: (string | number)[]; message: string; input?: unknown }[] {
  const problems: { path: (string | number)[]; message: string; input?: unknown }[] = [];
  if (stack.istio.install !== "external") {
    problems.push({ path: ["istio", "install"], input: stack.istio.install,
      message: "must be external with the azureKeyVault backend: the AKS add-on installs and runs Istio itself" });
  }
  if (stack.istio.namespace !== AKS_ISTIO_NAMESPACE) {
    problems.push({ path: ["istio", "namespace"], input: stack.istio.namespace,
      message: `must be ${AKS_ISTIO_NAMESPACE} with the azureKeyVault backend (the add-on's istiod and root namespace)` });
  }
  if (stack.clusters.length !== 1) {
    problems.push({ path: ["clusters"], input: stack.clusters.map((c) => c.name),
      message: `the azureKeyVault backend serves one AKS cluster per stack (got ${stack.clusters.length}); use one stack per cluster` });
  }
  return problems;
}
