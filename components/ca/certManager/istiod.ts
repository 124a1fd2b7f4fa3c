import { PolicyRule } from "../contract";
import { CertManagerMode, SignerSettings, isNamespaced, signerDomain, signerName, signerRef } from "./settings";

/**
 * Pure builders of what istiod, cert-manager and istio-csr need, from the component's settings and
 * plain strings. The component wraps them in Outputs.
 */

/**
 * istiod as a registration authority in front of the Kubernetes CSR API (Istio's "Custom CA
 * Integration using Kubernetes CSR" task), as Istio's own
 * tests/integration/security/external_ca configures it: `EXTERNAL_CA` in `pilot.env`,
 * `CERT_SIGNER_DOMAIN` in istiod's env. `PILOT_CERT_PROVIDER` is not here: see
 * `kubernetesCsrDeploymentEnv`.
 */
export function kubernetesCsrEnv(defaultSigner: SignerSettings): Record<string, string> {
  return {
    CERT_SIGNER_DOMAIN: signerDomain(defaultSigner),
    EXTERNAL_CA: "ISTIOD_RA_KUBERNETES_API",
  };
}

/**
 * `PILOT_CERT_PROVIDER=k8s.io/<default signer>` (istiod's own serving certificate from the signer),
 * for istiod's Deployment only. The chart writes that entry itself from `global.pilotCertProvider`,
 * so `pilot.env` would duplicate it (server-side apply rejects the Deployment), and changing
 * `global.pilotCertProvider` would also change the injection template (proxies would no longer mount
 * `istiod-ca-cert`). Istio's external_ca test overrides the Deployment's entry only (operator
 * `components.pilot.k8s.env`) and leaves `global.pilotCertProvider` at `istiod`; so do we, through
 * the contract's `deploymentEnvOverrides` (a post-renderer).
 */
export function kubernetesCsrDeploymentEnv(defaultSigner: SignerSettings): Record<string, string> {
  return { PILOT_CERT_PROVIDER: `k8s.io/${signerName(defaultSigner)}` };
}

/**
 * istiod chart values: `global.certSigners`, the `resourceNames` of the chart's own ClusterRole rule
 * that lets istiod `approve` for signers (rendered whenever `EXTERNAL_CA` is set). Left empty, that
 * rule has no `resourceNames` and allows approving for **any** signer.
 */
export function kubernetesCsrChartValues(signers: readonly SignerSettings[]): Record<string, unknown> {
  return { global: { certSigners: signers.map(signerName) } };
}

/** One trust entry per signer: proxies signed by a signer trust only that signer's CA. */
export function caCertificates(
  signers: readonly SignerSettings[],
  pems: readonly string[],
): { pem: string; certSigners: string[] }[] {
  if (pems.length !== signers.length)
    throw new Error(`caCertificates: ${signers.length} signers but ${pems.length} CA certificates`);
  return signers.map((s, i) => ({ pem: pems[i], certSigners: [signerName(s)] }));
}

export function kubernetesCsrMeshConfig(
  signers: readonly SignerSettings[],
  defaultSigner: SignerSettings,
  pems: readonly string[],
): Record<string, unknown> {
  return {
    defaultConfig: { proxyMetadata: { ISTIO_META_CERT_SIGNER: signerRef(defaultSigner) } },
    caCertificates: caCertificates(signers, pems),
  };
}

/**
 * istiod approves the CSRs it creates, so it may approve for exactly these signers; requesting from a
 * namespaced Issuer also needs cert-manager's `reference` permission on it.
 */
export function kubernetesCsrRules(signers: readonly SignerSettings[]): PolicyRule[] {
  const rules: PolicyRule[] = [
    {
      apiGroups: ["certificates.k8s.io"],
      resources: ["signers"],
      verbs: ["approve"],
      resourceNames: signers.map(signerName),
    },
  ];
  const namespaced = signers.filter(isNamespaced).map((s) => s.name);
  if (namespaced.length > 0) {
    rules.push({
      apiGroups: ["cert-manager.io"],
      resources: ["signers"],
      verbs: ["reference"],
      resourceNames: [...new Set(namespaced)],
    });
  }
  return rules;
}

/** Namespace → `ISTIO_META_CERT_SIGNER` for the namespace's ProxyConfig. */
export function namespaceProxyEnv(
  signers: readonly SignerSettings[],
  mapping: Readonly<Record<string, string>>,
): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(mapping).map(([ns, name]) => {
      const signer = signers.find((s) => s.name === name);
      if (!signer) throw new Error(`namespaceSigners.${ns}: unknown signer ${name}`);
      return [ns, { ISTIO_META_CERT_SIGNER: signerRef(signer) }];
    }),
  );
}

export const CSR_FEATURE_GATE = "ExperimentalCertificateSigningRequestControllers=true";

/** Makes Pulumi wait until cainjector filled the webhooks' CA bundle: issuers created earlier are refused. */
const WAIT_CA_BUNDLE = { "pulumi.com/waitFor": "jsonpath={.webhooks[*].clientConfig.caBundle}" };

/**
 * cert-manager chart values: CRDs with the chart, and the CSR controllers in kubernetesCsr mode (cert-manager#5827).
 */
export function certManagerChartValues(mode: CertManagerMode): Record<string, unknown> {
  return {
    crds: { enabled: true, keep: true },
    ...(mode === "kubernetesCsr" ? { featureGates: CSR_FEATURE_GATE } : {}),
    webhook: {
      validatingWebhookConfigurationAnnotations: WAIT_CA_BUNDLE,
      mutatingWebhookConfigurationAnnotations: WAIT_CA_BUNDLE,
    },
  };
}

/** istio-csr's Service, where proxies send their CSRs. */
export function istioCsrAddress(certManagerNamespace: string): string {
  return `cert-manager-istio-csr.${certManagerNamespace}.svc:443`;
}

export const ISTIO_CSR_ROOT_CA_SECRET = "istio-csr-root-ca";
export const ISTIO_CSR_ROOT_CA_DIR = "/var/run/secrets/istio-csr";

export interface IstioCsrValuesArgs {
  readonly issuer: SignerSettings;
  readonly certManagerNamespace: string;
  readonly istioNamespace: string;
  readonly trustDomain: string;
  readonly revisions: readonly string[];
  readonly clusterId: string;
}

/**
 * istio-csr chart values: the issuer, a root CA pinned from a Secret (protects against signer
 * hijacking: istio-csr refuses chains to any other root), istiod's serving certificate (`istiod-tls`,
 * which the istiod chart mounts when present).
 */
export function istioCsrChartValues(a: IstioCsrValuesArgs): Record<string, unknown> {
  return {
    app: {
      certmanager: {
        // CertificateRequests for a namespaced Issuer must live in its namespace.
        namespace: isNamespaced(a.issuer) ? a.issuer.namespace : a.istioNamespace,
        issuer: {
          name: a.issuer.name,
          kind: isNamespaced(a.issuer) ? "Issuer" : "ClusterIssuer",
          group: "cert-manager.io",
        },
      },
      tls: {
        rootCAFile: `${ISTIO_CSR_ROOT_CA_DIR}/ca.pem`,
        trustDomain: a.trustDomain,
        certificateDNSNames: [`cert-manager-istio-csr.${a.certManagerNamespace}.svc`],
        istiodCertificateEnable: true,
      },
      server: { clusterID: a.clusterId },
      istio: { namespace: a.istioNamespace, revisions: a.revisions },
      controller: { leaderElectionNamespace: a.istioNamespace },
    },
    volumes: [{ name: "root-ca", secret: { secretName: ISTIO_CSR_ROOT_CA_SECRET } }],
    volumeMounts: [{ name: "root-ca", mountPath: ISTIO_CSR_ROOT_CA_DIR, readOnly: true }],
  };
}
