import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CaBackend } from "../components/ca/contract";
import { StackConfig } from "../config/schema";
import { MeshClusterArgs, MeshSidecarIngressTls } from "./meshCluster";

/** Pure: the validated stack config in MeshCluster's terms (the one place that maps one to the other). */
export function meshClusterArgs(
  config: StackConfig,
  provider: k8s.Provider,
  ca: CaBackend & pulumi.Resource,
): MeshClusterArgs {
  const istio = config.istio;
  return {
    provider,
    ca,
    istio:
      istio.install === "external"
        ? { install: "external", namespace: istio.namespace }
        : {
            install: "helm",
            namespace: istio.namespace,
            createNamespace: istio.createNamespace,
            chartSource: istio.chartPath
              ? { path: istio.chartPath }
              : { repository: istio.chartRepository, version: istio.version },
            revision: istio.revision,
            trustDomain: istio.trustDomain,
            gateway: istio.gateway.enabled ? istio.gateway : undefined,
            skipAwait: istio.skipAwait,
            values: istio.values,
          },
    namespaces: config.namespaces,
    mtls: config.mtls,
    sidecarIngressTls: config.sidecarIngressTls.map((s): MeshSidecarIngressTls => ({
      workloadName: s.name,
      namespace: s.namespace,
      selector: s.selector,
      port: s.port,
      portName: s.portName,
      defaultEndpoint: s.defaultEndpoint ?? `0.0.0.0:${s.appPort}`,
      mode: s.mode,
      additionalIngress: s.additionalIngress.map((p) => ({ ...p, defaultEndpoint: `0.0.0.0:${p.appPort}` })),
      certificates:
        s.certificates.source === "generate"
          ? {
              generate: {
                serverDnsNames: s.certificates.serverDnsNames ?? [`${s.name}.${s.namespace}.svc.cluster.local`],
                clientCommonName: s.certificates.clientCommonName ?? `client.${s.namespace}.svc.cluster.local`,
                validityDays: s.certificates.validityDays,
              },
            }
          : {
              provided: {
                serverCertPem: s.certificates.serverCertPem,
                serverKeyPem: pulumi.secret(s.certificates.serverKeyPem),
                caCertPem: s.certificates.caCertPem,
              },
            },
      secretNames: {
        tls: s.secretNames.tls ?? `${s.name}-mtls-termination`,
        ca: s.secretNames.ca ?? `${s.name}-mtls-termination-cacert`,
      },
      mountPaths: s.mountPaths,
    })),
  };
}
