/**
 * `istio-mesh-ca/config`: the config adapters — the zod schemas of this project's stack config
 * (`Pulumi.<stack>.yaml`), one per CA backend and for the whole stack, and the functions that parse
 * and check raw config. Nothing here reads Pulumi config on import.
 */
export {
  ISTIO_VERSION, ISTIO_CHART_REPOSITORY, dnsLabel, mtlsModeSchema, clusterSchema, istioSchema, namespaceSchema,
  mtlsSchema, sidecarIngressTlsSchema, stackConfigSchema, rootStackConfigSchema,
} from "./schema";
export type { StackConfig, ClusterConfig, SidecarIngressTlsConfig, RootStackConfig } from "./schema";
export { PROJECT, ConfigError, configKeyPath, formatIssue, parseStackConfig, parseProgramConfig, plaintextPrivateKeys } from "./load";
export type { ProgramConfig } from "./load";

export { backends, caConfigSchema } from "../components/ca/registry";
export type { CaConfig } from "../components/ca/registry";
export { defineBackend } from "../components/ca/backend";
export type { BackendDefinition, BackendContext, StackConfigView } from "../components/ca/backend";
export { rootCaConfigSchema } from "../components/ca/lifecycle";
export type { RootCaConfig } from "../components/ca/lifecycle";
export { selfSignedConfigSchema, selfSignedBackend } from "../components/ca/selfSigned";
export type { SelfSignedConfig } from "../components/ca/selfSigned";
export { providedConfigSchema, providedBackend } from "../components/ca/provided";
export type { ProvidedConfig } from "../components/ca/provided";
export { vaultConfigSchema, vaultBackend } from "../components/ca/vault";
export type { VaultConfig } from "../components/ca/vault";
export { certManagerConfigSchema, certManagerBackend } from "../components/ca/certManager";
export type { CertManagerConfig } from "../components/ca/certManager";
export { azureKeyVaultConfigSchema, azureKeyVaultBackend } from "../components/ca/azureKeyVault";
export type { AzureKeyVaultConfig } from "../components/ca/azureKeyVault";
