import { SignerSettings } from "../../../components/ca/certManager/settings";
import {
  caCertificates,
  certManagerChartValues,
  istioCsrChartValues,
  kubernetesCsrChartValues,
  kubernetesCsrDeploymentEnv,
  kubernetesCsrEnv,
  kubernetesCsrRules,
  namespaceProxyEnv,
} from "../../../components/ca/certManager/istiod";

const selfSigned = (name: string): SignerSettings => ({ kind: "selfSignedCa", name });

describe("istiod, cert-manager and istio-csr values (pure)", () => {
  const cfg = { signers: ["istio-system", "foo", "bar"].map(selfSigned), namespaceSigners: { foo: "foo", bar: "bar" } };

  it("builds the istiod env of Istio's Kubernetes CSR task and one caCertificates entry per signer", () => {
    expect(kubernetesCsrEnv(cfg.signers[0])).toEqual({
      CERT_SIGNER_DOMAIN: "clusterissuers.cert-manager.io",
      EXTERNAL_CA: "ISTIOD_RA_KUBERNETES_API",
    });
    // The chart writes PILOT_CERT_PROVIDER itself: overridden on the Deployment, never in pilot.env.
    expect(kubernetesCsrDeploymentEnv(cfg.signers[0])).toEqual({
      PILOT_CERT_PROVIDER: "k8s.io/clusterissuers.cert-manager.io/istio-system",
    });
    expect(kubernetesCsrChartValues(cfg.signers)).toEqual({
      global: {
        certSigners: [
          "clusterissuers.cert-manager.io/istio-system",
          "clusterissuers.cert-manager.io/foo",
          "clusterissuers.cert-manager.io/bar",
        ],
      },
    });
    expect(caCertificates(cfg.signers, ["P1", "P2", "P3"])).toEqual([
      { pem: "P1", certSigners: ["clusterissuers.cert-manager.io/istio-system"] },
      { pem: "P2", certSigners: ["clusterissuers.cert-manager.io/foo"] },
      { pem: "P3", certSigners: ["clusterissuers.cert-manager.io/bar"] },
    ]);
    expect(() => caCertificates(cfg.signers, ["P1"])).toThrow(/3 signers but 1/);
  });

  it("maps each namespace to its own signer; the ProxyConfig namespace is the mapping key", () => {
    expect(namespaceProxyEnv(cfg.signers, cfg.namespaceSigners)).toEqual({
      foo: { ISTIO_META_CERT_SIGNER: "foo" },
      bar: { ISTIO_META_CERT_SIGNER: "bar" },
    });
  });

  it("lets istiod approve for exactly the declared signers", () => {
    expect(kubernetesCsrRules(cfg.signers)).toEqual([
      {
        apiGroups: ["certificates.k8s.io"],
        resources: ["signers"],
        verbs: ["approve"],
        resourceNames: [
          "clusterissuers.cert-manager.io/istio-system",
          "clusterissuers.cert-manager.io/foo",
          "clusterissuers.cert-manager.io/bar",
        ],
      },
    ]);
  });

  it("enables the CSR feature gate only where it is needed", () => {
    expect(certManagerChartValues("kubernetesCsr")).toMatchObject({
      crds: { enabled: true },
      featureGates: "ExperimentalCertificateSigningRequestControllers=true",
    });
    expect(certManagerChartValues("istioCsr")).not.toHaveProperty("featureGates");
  });

  it("points istio-csr at a namespaced Issuer's namespace for its CertificateRequests", () => {
    const issuer: SignerSettings = { name: "mesh", kind: "issuer", namespace: "pki" };
    const values = istioCsrChartValues({
      issuer,
      certManagerNamespace: "cm",
      istioNamespace: "istio-system",
      trustDomain: "td",
      revisions: ["1-29"],
      clusterId: "c1",
    });
    expect(values).toMatchObject({
      app: {
        certmanager: { namespace: "pki", issuer: { name: "mesh", kind: "Issuer" } },
        istio: { revisions: ["1-29"] },
        tls: { certificateDNSNames: ["cert-manager-istio-csr.cm.svc"], trustDomain: "td" },
        server: { clusterID: "c1" },
      },
    });
  });
});
