import { AzureKeyVaultCa, azureKeyVaultStackProblems } from "../../components/ca/azureKeyVault";
import { AzureKeyVaultConfig, azureKeyVaultConfigSchema } from "../../components/ca/azureKeyVault/config";
import { historicRootAlias } from "../../components/ca/azureKeyVault/material";
import { CaLifecycle } from "../../components/ca/lifecycle";
import { defineAdapter } from "./adapter";

/** `backend: azureKeyVault` — the AKS Istio add-on's plug-in CA, its four objects in Azure Key Vault. */
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
    return new CaLifecycle(name, { ...config.material, settingsName: "istio-mesh-ca:ca.material" },
      { ...opts, transformations: [...(opts.transformations ?? []), ...transformations] });
  },
  lifecycle: (shared) => shared,
  create: (name, config, ctx, opts) => new AzureKeyVaultCa(name, {
    config,
    clusterName: ctx.clusterName,
    istioNamespace: ctx.istioNamespace,
    caLifecycle: ctx.shared,
  }, opts),
});
