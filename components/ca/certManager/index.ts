import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { deepMerge } from "../../istio/values";
import { CaBackend, CaDelivery, IstiodSettings, joinPems } from "../contract";
import { CertManagerConfig, defaultSignerOf } from "./config";
import {
  ISTIO_CSR_ROOT_CA_SECRET,
  certManagerChartValues,
  istioCsrAddress,
  istioCsrChartValues,
  kubernetesCsrChartValues,
  kubernetesCsrDeploymentEnv,
  kubernetesCsrEnv,
  kubernetesCsrMeshConfig,
  kubernetesCsrRules,
  namespaceProxyEnv,
} from "./istiod";
import { CertManagerSigner } from "./signers";

export { certManagerConfigSchema } from "./config";
export type { CertManagerConfig } from "./config";

export interface CertManagerCaArgs {
  /** The validated `istio-mesh-ca:ca` config. */
  readonly config: CertManagerConfig;
  /** Provider of the cluster cert-manager runs in; every Kubernetes child uses it. */
  readonly provider: k8s.Provider;
  /** The namespace istiod runs in (istio-csr creates istiod's serving certificate there). */
  readonly istioNamespace: string;
  /** `istio.revision`: istio-csr's default `revisions`. */
  readonly istioRevision?: string;
  /** The cluster's Namespaces: namespaced Issuers and istio-csr's objects in istiod's namespace wait for them. */
  readonly namespacesReady?: Promise<pulumi.Resource[]>;
}

/**
 * cert-manager as the mesh's CA (seed 000). In `kubernetesCsr` mode istiod forwards each workload CSR
 * to the Kubernetes CSR API with the signer of the workload's namespace, and cert-manager signs it
 * with that ClusterIssuer (or Issuer): workloads of different signers do not trust each other. In
 * `istioCsr` mode cert-manager's istio-csr replaces istiod's CA server and signs with one issuer.
 * istiod never holds a signing key here, so `material` has roots only.
 */
export class CertManagerCa extends pulumi.ComponentResource implements CaBackend {
  public readonly backendName = "certManager";
  /** External either way: a Kubernetes CSR signer or istio-csr signs, istiod holds no signing key. */
  public readonly delivery: CaDelivery;
  public readonly istiodSettings: IstiodSettings;

  constructor(name: string, args: CertManagerCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:ca:CertManagerCa", name, {}, opts);
    const { config, provider } = args;
    const k8sOpts = { parent: this, provider };
    const cm = config.certManager;

    const install: pulumi.Resource[] = [];
    const namespaces = args.namespacesReady ?? Promise.resolve([]);
    const afterNamespaces = (deps: pulumi.Resource[]) => namespaces.then((ns) => [...deps, ...ns]);
    if (cm.install) {
      const ns = cm.createNamespace
        ? new k8s.core.v1.Namespace(`${name}-cert-manager-namespace`, { metadata: { name: cm.namespace } }, k8sOpts)
        : undefined;
      install.push(new k8s.helm.v4.Chart(`${name}-cert-manager`, {
        chart: "cert-manager",
        version: cm.version,
        repositoryOpts: { repo: cm.chartRepository },
        name: "cert-manager",
        namespace: ns ? ns.metadata.name : cm.namespace,
        values: deepMerge(certManagerChartValues(config.mode), cm.values),
      }, { ...k8sOpts, dependsOn: ns ? [ns] : [] }));
    }

    const signers = config.signers.map((signer) => ({
      signer,
      result: new CertManagerSigner(`${name}-signer-${signer.name}`, {
        signer, certManagerNamespace: cm.namespace, provider,
        dependsOn: signer.kind === "issuer" ? afterNamespaces(install) : install,
      }, { parent: this }),
    }));
    const issuers = signers.flatMap((s) => (s.result.issuer ? [s.result.issuer] : []));
    const defaultSigner = defaultSignerOf(config);
    const defaultPem = signers.find((s) => s.signer === defaultSigner)!.result.caPem;

    if (config.mode === "kubernetesCsr") {
      const pems = pulumi.all(signers.map((s) => s.result.caPem));
      this.delivery = { kind: "external", material: { rootCerts: pems, rootCertBundle: pems.apply(joinPems) } };
      this.istiodSettings = {
        env: kubernetesCsrEnv(defaultSigner),
        deploymentEnvOverrides: kubernetesCsrDeploymentEnv(defaultSigner),
        podAnnotations: {},
        meshConfig: pems.apply((p) => kubernetesCsrMeshConfig(config.signers, defaultSigner, p)),
        chartValues: kubernetesCsrChartValues(config.signers),
        clusterRoleRules: kubernetesCsrRules(config.signers),
        dependsOn: [...install, ...issuers],
        namespaceProxyEnv: namespaceProxyEnv(config.signers, config.namespaceSigners),
      };
    } else {
      const csr = config.istioCsr;
      // The pinned root: a copy taken at deploy time, so a hijacked issuer cannot swap the trust anchor.
      const rootCa = new k8s.core.v1.Secret(`${name}-istio-csr-root-ca`, {
        metadata: { name: ISTIO_CSR_ROOT_CA_SECRET, namespace: cm.namespace, labels: { "app.kubernetes.io/managed-by": "istio-mesh-ca" } },
        type: "Opaque",
        stringData: { "ca.pem": defaultPem },
      }, { ...k8sOpts, dependsOn: install });
      const istioCsr = new k8s.helm.v4.Chart(`${name}-istio-csr`, {
        chart: "cert-manager-istio-csr",
        version: csr.version,
        repositoryOpts: { repo: csr.chartRepository },
        name: "cert-manager-istio-csr",
        namespace: cm.namespace,
        values: deepMerge(istioCsrChartValues({
          issuer: defaultSigner,
          certManagerNamespace: cm.namespace,
          istioNamespace: args.istioNamespace,
          trustDomain: csr.trustDomain,
          revisions: csr.revisions ?? [args.istioRevision ?? "default"],
          clusterId: csr.clusterId,
        }), csr.values),
      }, { ...k8sOpts, dependsOn: afterNamespaces([...install, ...issuers, rootCa]) });
      const rootCerts = defaultPem.apply((p) => [p]);
      this.delivery = { kind: "external", material: { rootCerts, rootCertBundle: rootCerts.apply(joinPems) } };
      this.istiodSettings = {
        env: { ENABLE_CA_SERVER: "false" },
        podAnnotations: {},
        meshConfig: {},
        clusterRoleRules: [],
        dependsOn: [istioCsr, ...issuers],
        chartValues: { global: { caAddress: istioCsrAddress(cm.namespace) } },
      };
    }
    this.registerOutputs({ rootCertBundle: this.delivery.material.rootCertBundle });
  }
}
