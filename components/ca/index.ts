/**
 * `istio-mesh-ca/ca`: the CA backends (one ComponentResource each, all yielding the `CaBackend`
 * contract), the offline root lifecycle they share, and the contract's types.
 * Importing this module registers no resource. Config schemas: `istio-mesh-ca/config`.
 */
export { noIstiodSettings, joinPems } from "./contract";
export type {
  CaBackend,
  CaDelivery,
  CaMaterial,
  CompleteCaMaterial,
  IstiodSettings,
  PolicyRule,
  StringMap,
} from "./contract";

export { RootCa, IntermediateCa } from "./tlsCa";
export type { RootCaArgs, IntermediateCaArgs, SigningRoot, RootCaTransform, IntermediateCaTransform } from "./tlsCa";

export {
  CaLifecycle,
  createCaLifecycle,
  GeneratedLifecycle,
  RootStackLifecycle,
  WorkloadRestarts,
  LIFECYCLE_OUTPUT,
  ROOT_PHASES,
  lifecycleSettings,
  clusterCaMaterial,
  withIstiodAdditions,
  trustBundleAdditions,
  expiryFindings,
  selfStackName,
  parseLifecycleState,
  readPreviousLifecycleState,
  previousLifecycleStateOf,
  // The one source of the lifecycle's defaults and checks (the config schemas resolve through these too).
  DEFAULT_INTERMEDIATE_SOURCE,
  DEFAULT_EXPIRY,
  resolveIntermediateSource,
  resolveRotation,
  resolveExpiry,
  expiryProblems,
  lifecycleSettingsProblems,
} from "./lifecycle";
export type {
  CaLifecycleArgs,
  GeneratedLifecycleArgs,
  RootStackLifecycleArgs,
  LifecycleCommonArgs,
  PreviousLifecycleState,
  LifecycleSettings,
  LifecycleState,
  RootPhase,
  WorkloadRestartsArgs,
  DeploymentRef,
  IntermediateSource,
  RotationSettings,
  RotationInput,
  ExpirySettings,
  RootCaSettings,
  ClusterCa,
  ClusterMaterialRequest,
  ClusterCaMaterial,
  IstiodAdditions,
  CheckedCert,
  Findings,
} from "./lifecycle";
// The one source of the certificate parameters' defaults.
export {
  DEFAULT_KEY,
  DEFAULT_ROOT_PARAMS,
  DEFAULT_INTERMEDIATE_PARAMS,
  resolveKeySpec,
  resolveRootParams,
  resolveIntermediateParams,
} from "./certParams";
export type {
  KeySpec,
  KeySpecInput,
  Subject,
  RootParams,
  RootParamsInput,
  IntermediateParams,
  IntermediateParamsInput,
} from "./certParams";

export { SelfSignedCa } from "./selfSigned";
export type { SelfSignedCaArgs } from "./selfSigned";
export { ProvidedCa, deploymentOrderProblem } from "./provided";
export type { ProvidedCaArgs, ProvidedRoots, ProvidedClusterMaterial, DeployedMaterial } from "./provided";
// What ProvidedCa's `roots.checks` holds, and the checks that make it.
export { checkSuppliedMaterial, providedMaterialProblems, defaultCertChain } from "./pem";
export type { SuppliedMaterial, SuppliedKey, MaterialCheck, MaterialProblem, PathCert } from "./pem";
export { VaultCa, VaultPki, vaultProvider, durationSeconds, injectorChartValues } from "./vault";
// The one source of the Vault defaults and checks, for a composing team that builds settings itself.
export { resolveVaultSettings, vaultSettingsProblems } from "./vault/settings";
export type { VaultCaArgs, VaultShared, VaultPkiArgs, VaultPkiTransform, IssuedIntermediate } from "./vault";
export type {
  VaultCaSettings,
  VaultRootSettings,
  VaultInternalRoot,
  VaultOfflineRoot,
  VaultRootMode,
  VaultIntermediateSettings,
  VaultAuditSettings,
  VaultKvSettings,
  VaultKubernetesAuthSettings,
  TokenReviewer,
  VaultAgentTlsSettings,
  VaultInjectorSettings,
  ResolvedVaultCaSettings,
  VaultRootInput,
  SettingsProblem as VaultSettingsProblem,
} from "./vault/settings";
export { CertManagerCa, CertManagerSigner, resolveCertManagerSettings, signerProblems } from "./certManager";
export type {
  CertManagerCaArgs,
  CertManagerCaSettings,
  CertManagerMode,
  SignerSettings as CertManagerSignerSettings,
  CertManagerSignerArgs,
  CertManagerSignerTransform,
  SignerResult as CertManagerSignerResult,
  CertManagerInstallSettings,
  IstioCsrSettings,
  GeneratedCaSettings,
  SelfSignedCaSigner,
  GeneratedIssuerSigner,
  ExistingClusterIssuerSigner,
  ExistingIssuerSigner,
  ResolvedCertManagerSettings,
  SettingsProblem as CertManagerSettingsProblem,
} from "./certManager";
export { AzureKeyVaultCa, PluginCaKeyVault, AKS_ISTIO_NAMESPACE } from "./azureKeyVault";
export type { AzureKeyVaultCaArgs, PluginCaKeyVaultArgs, SecretsReadGrantTransform } from "./azureKeyVault";
export type {
  AzureKeyVaultCaSettings,
  KeyVaultSettings,
  KeyVaultObjectNames,
  KeyVaultMaterialSettings,
  ResolvedAzureKeyVaultCaSettings,
  ResolvedKeyVaultSettings,
  SecretsProviderSettings,
  AddonMeshSettings,
  IngressGatewaySettings,
  CreateClusterSettings,
  FragmentsClusterSettings,
  ExistingMesh,
  KeyVaultAuthorization,
} from "./azureKeyVault/settings";
export {
  resolveAzureKeyVaultSettings,
  resolveKeyVaultSettings,
  azureKeyVaultSettingsProblems,
  keyVaultProblems,
  revisionProblems,
} from "./azureKeyVault/settings";
export { meshClusterFragments } from "./azureKeyVault/fragments";
export type { MeshClusterFragments, FragmentArgs } from "./azureKeyVault/fragments";
