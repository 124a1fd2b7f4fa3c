/**
 * `istio-mesh-ca/config`: the config adapters — the zod schemas of this project's stack config
 * (`Pulumi.<stack>.yaml`), one per CA backend and for the whole stack, and the functions that parse
 * and check raw config. Nothing here reads Pulumi config on import.
 */
export {
  ISTIO_VERSION,
  ISTIO_CHART_REPOSITORY,
  dnsLabel,
  mtlsModeSchema,
  clusterSchema,
  istioSchema,
  namespaceSchema,
  mtlsSchema,
  sidecarIngressTlsSchema,
  stackConfigSchema,
  rootStackConfigSchema,
} from "./schema";
export type { StackConfig, ClusterConfig, SidecarIngressTlsConfig, RootStackConfig } from "./schema";
export {
  PROJECT,
  ConfigError,
  configKeyPath,
  formatIssue,
  parseStackConfig,
  parseProgramConfig,
  plaintextPrivateKeys,
} from "./load";
export type { ProgramConfig } from "./load";

export { adapters, adapterFor, caConfigSchema, BACKEND_NAMES } from "./backends";
export type { CaConfig, BackendName } from "./backends";
export { defineAdapter } from "./backends/adapter";
export type { BackendAdapter, ClusterContext, StackView, LifecycleHolder } from "./backends/adapter";
export { rootCaConfigSchema, lifecycleConfigFields } from "./lifecycle";
export { keySpecSchema, rootParamsSchema, intermediateParamsSchema } from "./certParams";
export { selfSignedConfigSchema, selfSignedAdapter } from "./backends/selfSigned";
export type { SelfSignedConfig } from "./backends/selfSigned";
export { providedConfigSchema, providedAdapter } from "./backends/provided";
export type { ProvidedConfig } from "./backends/provided";
export { vaultAdapter, vaultConfigSchema } from "./backends/vault";
export type { VaultConfig } from "./backends/vault";
export { certManagerAdapter, certManagerConfigSchema, certManagerStackIssues } from "./backends/certManager";
export type { CertManagerConfig } from "./backends/certManager";
export { azureKeyVaultAdapter, azureKeyVaultConfigSchema, azureKeyVaultStackProblems } from "./backends/azureKeyVault";
export type { AzureKeyVaultConfig } from "./backends/azureKeyVault";
