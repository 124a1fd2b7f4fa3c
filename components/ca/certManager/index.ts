import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { deepMerge } from "../../istio/values";
import { MANAGED_BY_LABELS, MeshComponent } from "../../shared/meshComponent";
import { Transform, transformed } from "../../shared/transform";
import { describeProblems } from "../../shared/settingsProblem";
import { CaBackend, CaDelivery, IstiodSettings, joinPems } from "../contract";
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
import {
  CertManagerCaSettings,
  ResolvedCertManagerSettings,
  istioCsrIssuerProblem,
  resolveCertManagerSettings,
  signerProblems,
} from "./settings";
import { CertManagerSigner, CertManagerSignerTransform } from "./signers";

export { CertManagerSigner } from "./signers";
export type { CertManagerSignerArgs, CertManagerSignerTransform, SignerResult } from "./signers";
export {
  CERT_MANAGER_CHART_VERSION,
  ISTIO_CSR_CHART_VERSION,
  JETSTACK_CHARTS,
  DEFAULT_SIGNER_VALIDITY_DAYS,
  defaultSignerOf,
  isNamespaced,
  signerName,
  signerRef,
  signerProblems,
  resolveCertManagerSettings,
} from "./settings";
export type {
  CertManagerCaSettings,
  CertManagerMode,
  CertManagerInstallSettings,
  IstioCsrSettings,
  SignerSettings,
  GeneratedSigner,
  NamespacedSigner,
  SelfSignedCaSigner,
  GeneratedIssuerSigner,
  ExistingClusterIssuerSigner,
  ExistingIssuerSigner,
  GeneratedCaSettings,
  ResolvedCertManagerSettings,
  SettingsProblem,
} from "./settings";

export interface CertManagerCaArgs {
  /**
   * Mode, cert-manager install, signers and their namespace mapping, istio-csr (defaults documented
   * there): checked (`signerProblems`) and resolved here, unless already resolved
   * (`resolveCertManagerSettings`, as the config schema produces them).
   */
  readonly settings: CertManagerCaSettings | ResolvedCertManagerSettings;
  /**
   * How refusals name these settings (the stack program passes its config key, `istio-mesh-ca:ca`).
   * @default the component's name
   */
  readonly settingsName?: string;
  /** Provider of the cluster cert-manager runs in; every Kubernetes child uses it. */
  readonly provider: k8s.Provider;
  /**
   * The namespace istiod runs in (istio-csr creates istiod's serving certificate there).
   * @example "istio-system"
   */
  readonly istioNamespace: string;
  /** Istio's revision: istio-csr's default `revisions`. @default none (istiod `default`) */
  readonly istioRevision?: string;
  /**
   * The cluster's Namespaces: namespaced Issuers and istio-csr's objects in istiod's namespace wait for them. @default
   * none
   */
  readonly namespacesReady?: Promise<pulumi.Resource[]>;
  /** Per-child escape hatch (partial args or a function): adjust a child's args or options before it is registered. */
  readonly transform?: {
    readonly certManagerNamespace?: Transform<k8s.core.v1.NamespaceArgs>;
    readonly certManager?: Transform<k8s.helm.v4.ChartArgs>;
    /** Every signer's issuers and CA Certificate. */
    readonly signer?: CertManagerSignerTransform;
    readonly istioCsrRootCa?: Transform<k8s.core.v1.SecretArgs>;
    readonly istioCsr?: Transform<k8s.helm.v4.ChartArgs>;
  };
}

/**
 * cert-manager as the mesh's CA. In `kubernetesCsr` mode (Istio's "Custom CA Integration using
 * Kubernetes CSR" task) istiod forwards each workload CSR to the Kubernetes CSR API with the signer
 * of the workload's namespace, and cert-manager signs it with that ClusterIssuer (or Issuer):
 * workloads of different signers do not trust each other. In `istioCsr` mode cert-manager's
 * istio-csr replaces istiod's CA server and signs with one issuer. istiod never holds a signing key
 * here, so `material` has roots only.
 */
export class CertManagerCa extends MeshComponent implements CaBackend {
  public readonly backendName = "certManager";
  /** External either way: a Kubernetes CSR signer or istio-csr signs, istiod holds no signing key. */
  public readonly delivery: CaDelivery;
  public readonly istiodSettings: IstiodSettings;
  /** cert-manager's Namespace, when this component creates it. */
  public readonly certManagerNamespace?: k8s.core.v1.Namespace;
  /** The cert-manager chart, when this component installs it. */
  public readonly certManagerChart?: k8s.helm.v4.Chart;
  /** One component per signer, by signer name. */
  public readonly signers: Readonly<Record<string, CertManagerSigner>>;
  /** istio-csr's pinned root CA Secret (istioCsr mode). */
  public readonly istioCsrRootCa?: k8s.core.v1.Secret;
  /** The istio-csr chart (istioCsr mode). */
  public readonly istioCsrChart?: k8s.helm.v4.Chart;

  constructor(name: string, args: CertManagerCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ca", "CertManagerCa", name, opts);
    const settingsName = args.settingsName ?? name;
    const settings = "resolved" in args.settings ? args.settings : this.resolve(settingsName, args.settings);
    const { provider } = args;
    const k8sOpts = { parent: this, provider };
    const t = args.transform ?? {};
    const cm = settings.certManager;
    const defaultSigner = settings.defaultSigner;
    // Not a settings check (resolved settings skip those): it pairs the signer with istioNamespace, an
    // arg of this component. The stack program refuses the same earlier, before registering anything
    // (config/backends/certManager.ts, with the signer's config path); a library user is refused here.
    if (settings.mode === "istioCsr") {
      const why = istioCsrIssuerProblem(defaultSigner, args.istioNamespace);
      if (why) this.fail(`${settingsName}.defaultSigner: ${why}`);
    }

    const install: pulumi.Resource[] = [];
    const namespaces = args.namespacesReady ?? Promise.resolve([]);
    const afterNamespaces = (deps: pulumi.Resource[]) => namespaces.then((ns) => [...deps, ...ns]);
    if (cm.install) {
      const namespace = cm.createNamespace
        ? new k8s.core.v1.Namespace(
            this.childName("cert-manager-namespace"),
            ...transformed(
              t.certManagerNamespace,
              this.childName("cert-manager-namespace"),
              { metadata: { name: cm.namespace } },
              k8sOpts,
            ),
          )
        : undefined;
      this.certManagerNamespace = namespace;
      this.certManagerChart = new k8s.helm.v4.Chart(
        this.childName("cert-manager"),
        ...transformed(
          t.certManager,
          this.childName("cert-manager"),
          {
            chart: "cert-manager",
            version: cm.version,
            repositoryOpts: { repo: cm.chartRepository },
            name: "cert-manager",
            namespace: namespace ? namespace.metadata.name : cm.namespace,
            values: deepMerge(certManagerChartValues(settings.mode), cm.values),
          },
          { ...k8sOpts, dependsOn: namespace ? [namespace] : [] },
        ),
      );
      install.push(this.certManagerChart);
    }

    const signerComponents = settings.signers.map((signer) => ({
      signer,
      component: new CertManagerSigner(
        this.childName(`signer-${signer.name}`),
        {
          signer,
          certManagerNamespace: cm.namespace,
          provider,
          dependsOn: signer.kind === "issuer" ? afterNamespaces(install) : install,
          transform: t.signer,
        },
        { parent: this },
      ),
    }));
    this.signers = Object.fromEntries(signerComponents.map((s) => [s.signer.name, s.component]));
    const issuers = signerComponents.flatMap((s) => (s.component.issuer ? [s.component.issuer] : []));
    const defaultPem = signerComponents.find((s) => s.signer === defaultSigner)!.component.caPem;

    if (settings.mode === "kubernetesCsr") {
      const pems = pulumi.all(signerComponents.map((s) => s.component.caPem));
      this.delivery = { kind: "external", material: { rootCerts: pems, rootCertBundle: pems.apply(joinPems) } };
      this.istiodSettings = {
        env: kubernetesCsrEnv(defaultSigner),
        deploymentEnvOverrides: kubernetesCsrDeploymentEnv(defaultSigner),
        podAnnotations: {},
        meshConfig: pems.apply((p) => this.refusing(() => kubernetesCsrMeshConfig(settings.signers, defaultSigner, p))),
        chartValues: kubernetesCsrChartValues(settings.signers),
        clusterRoleRules: kubernetesCsrRules(settings.signers),
        dependsOn: [...install, ...issuers],
        namespaceProxyEnv: this.refusing(() => namespaceProxyEnv(settings.signers, settings.namespaceSigners)),
      };
    } else {
      const csr = settings.istioCsr;
      // The pinned root: a copy taken at deploy time, so a hijacked issuer cannot swap the trust anchor.
      const rootCa = new k8s.core.v1.Secret(
        this.childName("istio-csr-root-ca"),
        ...transformed(
          t.istioCsrRootCa,
          this.childName("istio-csr-root-ca"),
          {
            metadata: { name: ISTIO_CSR_ROOT_CA_SECRET, namespace: cm.namespace, labels: MANAGED_BY_LABELS },
            type: "Opaque",
            stringData: { "ca.pem": defaultPem },
          },
          { ...k8sOpts, dependsOn: install },
        ),
      );
      this.istioCsrRootCa = rootCa;
      const istioCsr = new k8s.helm.v4.Chart(
        this.childName("istio-csr"),
        ...transformed(
          t.istioCsr,
          this.childName("istio-csr"),
          {
            chart: "cert-manager-istio-csr",
            version: csr.version,
            repositoryOpts: { repo: csr.chartRepository },
            name: "cert-manager-istio-csr",
            namespace: cm.namespace,
            values: deepMerge(
              istioCsrChartValues({
                issuer: defaultSigner,
                certManagerNamespace: cm.namespace,
                istioNamespace: args.istioNamespace,
                trustDomain: csr.trustDomain,
                revisions: csr.revisions ?? [args.istioRevision ?? "default"],
                clusterId: csr.clusterId,
              }),
              csr.values,
            ),
          },
          { ...k8sOpts, dependsOn: afterNamespaces([...install, ...issuers, rootCa]) },
        ),
      );
      this.istioCsrChart = istioCsr;
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

  /** A library user's settings: refused with every problem, or resolved. */
  private resolve(settingsName: string, given: CertManagerCaSettings): ResolvedCertManagerSettings {
    const problems = signerProblems(given);
    if (problems.length > 0) this.fail(describeProblems(settingsName, problems));
    return resolveCertManagerSettings(given);
  }
}
