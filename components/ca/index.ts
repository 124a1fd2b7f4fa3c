/**
 * `istio-mesh-ca/ca`: the CA backends (one ComponentResource each, all yielding the `CaBackend`
 * contract), the offline root lifecycle they share, and the contract's types.
 * Importing this module registers no resource. Config schemas: `istio-mesh-ca/config`.
 */
export { noIstiodSettings, joinPems } from "./contract";
export type { CaBackend, CaDelivery, CaMaterial, CompleteCaMaterial, IstiodSettings, PolicyRule, StringMap } from "./contract";

export { RootCa, IntermediateCa } from "./tlsCa";
export type { RootCaArgs, IntermediateCaArgs, SigningRoot } from "./tlsCa";

export { CaLifecycle, WorkloadRestarts, LIFECYCLE_OUTPUT, ROOT_PHASES, lifecycleSettings } from "./lifecycle";
export type {
  CaLifecycleArgs, LifecycleSettings, LifecycleState, RootPhase, WorkloadRestartsArgs, DeploymentRef, IntermediateSource,
  RotationSettings, ExpirySettings, RootCaSettings,
} from "./lifecycle";
export { DEFAULT_ROOT_PARAMS, DEFAULT_INTERMEDIATE_PARAMS } from "./certParams";
export type { KeySpec, Subject, RootParams, IntermediateParams } from "./certParams";

export { SelfSignedCa } from "./selfSigned";
export type { SelfSignedCaArgs } from "./selfSigned";
export { ProvidedCa } from "./provided";
export type { ProvidedCaArgs, ProvidedRoots } from "./provided";
export { VaultCa } from "./vault";
export type { VaultCaArgs, VaultShared } from "./vault";
export type { VaultCaSettings, VaultRootSettings, VaultIntermediateSettings, VaultKubernetesAuthSettings, VaultInjectorSettings } from "./vault/settings";
export { CertManagerCa } from "./certManager";
export type { CertManagerCaArgs, CertManagerCaSettings, CertManagerMode, SignerSettings as CertManagerSignerSettings } from "./certManager";
export { AzureKeyVaultCa } from "./azureKeyVault";
export type { AzureKeyVaultCaArgs } from "./azureKeyVault";
export type { AzureKeyVaultCaSettings, KeyVaultSettings, KeyVaultObjectNames, KeyVaultMaterialSettings, ResolvedAzureKeyVaultCaSettings } from "./azureKeyVault/settings";
export { resolveAzureKeyVaultSettings, resolveKeyVaultSettings } from "./azureKeyVault/settings";
export { meshClusterFragments } from "./azureKeyVault/fragments";
export type { MeshClusterFragments, FragmentArgs } from "./azureKeyVault/fragments";
