/**
 * `istio-mesh-ca/istio`: Istio from its Helm charts wired to any CA backend, and the `cacerts`
 * Secret. Importing this module registers no resource.
 */
export { IstioInstall } from "./istioInstall";
export type { IstioInstallArgs, ChartSource, IngressGatewayArgs } from "./istioInstall";
export { CacertsSecret, MESH_PROVIDER_OPTIONS } from "./cacerts";
export type { CacertsSecretArgs } from "./cacerts";
export { injectionLabels } from "./values";
export type { Values } from "./values";
export { ISTIO_VERSION, ISTIO_CHART_REPOSITORY, DEFAULT_ISTIO_NAMESPACE } from "./versions";
export { istiodName } from "./deploymentEnv";
export type { Transform } from "../shared/transform";
