import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CaBackend } from "../components/ca/contract";
import { CacertsSecret } from "../components/istio/cacerts";
import { IstioInstall } from "../components/istio/istioInstall";
import { injectionLabels } from "../components/istio/values";
import { NamedMap } from "../components/shared/stringMaps";
import { MeshMtls } from "../components/policy/mtls";
import { NamespaceProxyConfigs } from "../components/policy/proxyConfig";
import { SIDECAR_INGRESS_TLS_ENV, SidecarIngressTls } from "../components/policy/sidecarIngressTls";
import { StackConfig } from "../config/schema";

export interface MeshClusterArgs {
  readonly clusterName: string;
  readonly provider: k8s.Provider;
  /** The cluster's CA backend (any kind). */
  readonly ca: CaBackend & pulumi.Resource;
  readonly config: StackConfig;
}

/**
 * One cluster of the mesh: namespaces, Istio wired to the CA backend, mTLS policies and sidecar
 * ingress TLS, from the validated stack config.
 */
export class MeshCluster extends pulumi.ComponentResource {
  /** Undefined when `istio.install` is `external`. */
  public readonly istio?: IstioInstall;
  public readonly sidecarIngressTls: Record<string, SidecarIngressTls> = {};
  /** The Namespaces this cluster's mesh created (Istio's and the declared ones). */
  public readonly namespaces: k8s.core.v1.Namespace[];

  constructor(name: string, args: MeshClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:stacks:MeshCluster", name, {}, opts);
    const { config, provider } = args;
    const k8sOpts = { parent: this, provider };

    const namespaces = config.namespaces.filter((n) => n.create).map((n) => new k8s.core.v1.Namespace(`${name}-ns-${n.name}`, {
      metadata: {
        name: n.name,
        // With istio.revision, injection means `istio.io/rev=<revision>`: no webhook of a revisioned
        // install selects `istio-injection=enabled`.
        labels: { ...(n.labels ?? {}), ...(n.injection ? injectionLabels(config.istio.revision) : {}) },
      },
    }, k8sOpts));

    const featureEnv: NamedMap[] = config.sidecarIngressTls.length > 0
      ? [{ source: "sidecarIngressTls", values: SIDECAR_INGRESS_TLS_ENV }] : [];
    if (config.istio.install === "external" && featureEnv.length > 0) {
      // We don't render istiod's values here: say what the external install must set.
      void pulumi.log.warn(`istio-mesh-ca:istio.install is external: the istiod installed elsewhere must run with ${featureEnv
        .flatMap((f) => Object.entries(f.values as Record<string, string>).map(([k, v]) => `${k}=${v}`)).join(", ")} for istio-mesh-ca:sidecarIngressTls to work`, this);
    }
    const istio = config.istio;
    // What the mesh policies wait for: Istio (its CRDs) when we install it, the cacerts otherwise.
    const installed: pulumi.Resource[] = [];
    if (istio.install === "external") {
      if (args.ca.delivery.kind === "cacerts") {
        installed.push(new CacertsSecret(`${name}-cacerts`, { namespace: istio.namespace, material: args.ca.delivery.material, provider }, { parent: this }));
      }
    } else {
      this.istio = new IstioInstall(`${name}-istio`, {
      provider,
      namespace: istio.namespace,
      createNamespace: istio.createNamespace,
      chartSource: istio.chartPath ? { path: istio.chartPath } : { repository: istio.chartRepository, version: istio.version },
      revision: istio.revision,
      trustDomain: istio.trustDomain,
      ca: args.ca,
      featureEnv,
      gateway: istio.gateway.enabled ? istio.gateway : undefined,
      skipAwait: istio.skipAwait,
      values: istio.values,
    }, { parent: this });
      installed.push(this.istio);
    }

    // Policies need Istio's CRDs and their namespaces.
    const policyDeps = [...installed, ...namespaces];
    this.namespaces = [...(this.istio?.namespace ? [this.istio.namespace] : []), ...namespaces];
    new MeshMtls(`${name}-mtls`, {
      provider,
      rootNamespace: istio.namespace,
      meshMode: config.mtls.mode,
      namespaces: config.namespaces.flatMap((n) => (n.mtls ? [{ name: n.name, mode: n.mtls }] : [])),
      exceptions: config.mtls.exceptions,
      dependsOn: policyDeps,
    }, { parent: this });

    const proxyEnv = args.ca.istiodSettings.namespaceProxyEnv ?? {};
    if (Object.keys(proxyEnv).length > 0) {
      new NamespaceProxyConfigs(`${name}-proxyconfig`, { provider, env: proxyEnv, dependsOn: policyDeps }, { parent: this });
    }

    for (const s of config.sidecarIngressTls) {
      const certificates = s.certificates.source === "generate"
        ? { generate: {
          serverDnsNames: s.certificates.serverDnsNames ?? [`${s.name}.${s.namespace}.svc.cluster.local`],
          clientCommonName: s.certificates.clientCommonName ?? `client.${s.namespace}.svc.cluster.local`,
          validityDays: s.certificates.validityDays,
        } }
        : { provided: {
          serverCertPem: s.certificates.serverCertPem,
          serverKeyPem: pulumi.secret(s.certificates.serverKeyPem),
          caCertPem: s.certificates.caCertPem,
        } };
      this.sidecarIngressTls[`${s.namespace}/${s.name}`] = new SidecarIngressTls(`${name}-${s.namespace}-${s.name}`, {
        provider,
        workloadName: s.name,
        namespace: s.namespace,
        selector: s.selector,
        port: s.port,
        portName: s.portName,
        defaultEndpoint: s.defaultEndpoint ?? `0.0.0.0:${s.appPort}`,
        mode: s.mode,
        additionalIngress: s.additionalIngress.map((p) => ({ ...p, defaultEndpoint: `0.0.0.0:${p.appPort}` })),
        certificates,
        secretNames: {
          tls: s.secretNames.tls ?? `${s.name}-mtls-termination`,
          ca: s.secretNames.ca ?? `${s.name}-mtls-termination-cacert`,
        },
        mountPaths: s.mountPaths,
        dependsOn: policyDeps,
      }, { parent: this });
    }
    this.registerOutputs({});
  }
}
