import { CaLifecycle } from "../../components/ca/lifecycle";
import { VaultCa, VaultShared } from "../../components/ca/vault";
import { VaultPki } from "../../components/ca/vault/pki";
import { vaultProvider } from "../../components/ca/vault/provider";
import { VaultConfig, clusterProblems, plaintextTokenProblems, serviceAccountProblems, vaultConfigSchema, vaultLifecycleSettings } from "../../components/ca/vault/config";
import { defineAdapter } from "./adapter";

/** `backend: vault` — HashiCorp Vault's PKI, rendered into istiod's ROOT_CA_DIR by the Vault agent. */
export const vaultAdapter = defineAdapter<"vault", VaultConfig, VaultShared>({
  backend: "vault",
  schema: vaultConfigSchema,
  validate: (config, stack) => [...clusterProblems(stack.clusters.length), ...serviceAccountProblems(config, stack.istio)],
  plaintextSecrets: (config, isSecret) => plaintextTokenProblems(config, isSecret("ca")),
  shared: (name, config, _stack, opts) => {
    const provider = vaultProvider(name, config, opts);
    const pki = new VaultPki(`${name}-pki`, { config, provider }, opts);
    const lifecycle = vaultLifecycleSettings(config);
    if (!lifecycle) return { provider, pki };
    // Named and parented like the root this backend always had (`mesh-pki-root` under the PKI
    // component), so that existing stacks keep their root; later generations are `mesh-pki-root-g<n>`.
    const caLifecycle = new CaLifecycle(`${name}-pki`, { ...lifecycle, settingsName: "istio-mesh-ca:ca" }, { parent: pki });
    return { provider, pki, caLifecycle };
  },
  lifecycle: (shared) => shared.caLifecycle,
  create: (name, config, ctx, opts) => new VaultCa(name, {
    config, shared: ctx.shared, provider: ctx.provider, clusterName: ctx.clusterName, istioNamespace: ctx.istioNamespace,
    istioRevision: ctx.istioRevision,
  }, opts),
});
