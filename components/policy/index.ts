/**
 * `istio-mesh-ca/policy`: mTLS policies (PeerAuthentication), per-namespace ProxyConfigs and TLS
 * termination in a workload's own sidecar. Importing this module registers no resource.
 */
export { MeshMtls, peerAuthentication } from "./mtls";
export type { MeshMtlsArgs, MtlsMode, PortMtlsException } from "./mtls";
export { NamespaceProxyConfigs } from "./proxyConfig";
export type { NamespaceProxyConfigsArgs } from "./proxyConfig";
export { SidecarIngressTls, SIDECAR_INGRESS_TLS_ENV, userVolumeAnnotations } from "./sidecarIngressTls";
export type {
  SidecarIngressTlsArgs,
  ProvidedTlsMaterial,
  GeneratedTlsMaterial,
  IngressPort,
} from "./sidecarIngressTls";
