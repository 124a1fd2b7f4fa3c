import { byName, ofType, runUnderMocks, ProgramRun } from "../harness/program";

/**
 * IstioInstall consumes any backend through the contract alone. A fake backend that does not use
 * cacerts but asks for env, annotations, mesh config, chart values, RBAC and a dependency shows
 * every field reaching istiod — no backend-specific code involved.
 */
describe("IstioInstall with a non-cacerts backend contribution", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi");
      const k8s = require("@pulumi/kubernetes");
      const { IstioInstall } = require("../../components/istio/istioInstall");
      const provider = new k8s.Provider("p", {});
      const signer = new k8s.core.v1.ConfigMap("external-signer", { data: { ready: "yes" } }, { provider });
      const ca = {
        kind: "fake",
        material: { rootCerts: pulumi.output(["ROOT"]), rootCertBundle: pulumi.output("ROOT\n") },
        istiod: {
          env: { EXTERNAL_CA: "ISTIOD_RA_KUBERNETES_API", SIGNER: pulumi.output("from-an-output") },
          podAnnotations: { "example.com/inject": "true" },
          meshConfig: { defaultConfig: { proxyMetadata: { ISTIO_META_CERT_SIGNER: "foo" } } },
          chartValues: { pilot: { volumes: [{ name: "extra" }] }, global: { caAddress: "ca.example:443" } },
          clusterRoleRules: [{ apiGroups: ["certificates.k8s.io"], resources: ["signers"], verbs: ["approve"], resourceNames: ["example.com/foo"] }],
          usesCacertsSecret: false,
          dependsOn: [signer],
        },
      };
      new IstioInstall("mesh", {
        provider, namespace: "istio-system", createNamespace: false,
        chartSource: { path: "/opt/istio/manifests/charts" },
        revision: "canary", trustDomain: "corp.example",
        ca, featureEnv: [{ source: "sidecarIngressTls", env: { ENABLE_TLS_ON_SIDECAR_INGRESS: "true" } }],
        extraPodAnnotations: { "istio-mesh-ca/root-bundle-hash": "abc" },
        gateway: { name: "gw", namespace: "istio-ingress", serviceType: "ClusterIP" },
        skipAwait: true,
        values: { istiod: { pilot: { env: { USER_SET: "1" } } } },
      });
      return {};
    }, {});
    expect(run.error).toBeUndefined();
  });

  it("creates no cacerts Secret and no namespace", () => {
    expect(ofType(run, "kubernetes:core/v1:Secret")).toEqual([]);
    expect(ofType(run, "kubernetes:core/v1:Namespace").map((r) => r.name)).toEqual(["mesh-gateway-namespace"]);
  });

  it("merges the contribution, features, chart values and user overrides into istiod's values", () => {
    const istiod = byName(run, "mesh-istiod").inputs;
    expect(istiod).toMatchObject({ chart: "/opt/istio/manifests/charts/istiod", name: "istiod", namespace: "istio-system", skipAwait: true });
    expect(istiod.version).toBeUndefined();
    expect(istiod.repositoryOpts).toBeUndefined();
    expect(istiod.values).toEqual({
      global: { istioNamespace: "istio-system", caAddress: "ca.example:443" },
      revision: "canary",
      pilot: {
        env: { EXTERNAL_CA: "ISTIOD_RA_KUBERNETES_API", SIGNER: "from-an-output", ENABLE_TLS_ON_SIDECAR_INGRESS: "true", USER_SET: "1" },
        podAnnotations: { "example.com/inject": "true", "istio-mesh-ca/root-bundle-hash": "abc" },
        volumes: [{ name: "extra" }],
      },
      meshConfig: { trustDomain: "corp.example", defaultConfig: { proxyMetadata: { ISTIO_META_CERT_SIGNER: "foo" } } },
    });
  });

  it("binds the extra RBAC rules to the revisioned istiod service account", () => {
    expect(byName(run, "mesh-istiod-ca").type).toBe("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
    expect(byName(run, "mesh-istiod-ca").inputs.rules).toEqual([
      { apiGroups: ["certificates.k8s.io"], resources: ["signers"], verbs: ["approve"], resourceNames: ["example.com/foo"] },
    ]);
    const binding = ofType(run, "ClusterRoleBinding")[0].inputs;
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "istiod-canary", namespace: "istio-system" }]);
  });

  it("orders istiod after base, the RBAC and the backend's dependencies; the gateway after istiod", () => {
    expect(run.dependsOn.get("mesh-istiod")).toEqual(expect.arrayContaining(["mesh-base", "mesh-istiod-ca", "external-signer"]));
    expect(run.dependsOn.get("mesh-gateway")).toEqual(expect.arrayContaining(["mesh-istiod", "mesh-gateway-namespace"]));
    expect(byName(run, "mesh-gateway").inputs).toMatchObject({ chart: "/opt/istio/manifests/charts/gateway", name: "gw", values: { service: { type: "ClusterIP" } } });
  });
});

describe("IstioInstall refuses an incomplete cacerts contract", () => {
  it("names what the backend failed to provide", async () => {
    const run = await runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi");
      const k8s = require("@pulumi/kubernetes");
      const { IstioInstall } = require("../../components/istio/istioInstall");
      const { cacertsOnlyContribution } = require("../../components/ca/contract");
      new IstioInstall("mesh", {
        provider: new k8s.Provider("p", {}), namespace: "istio-system", createNamespace: true,
        chartSource: { repository: "https://example/charts", version: "1.29.2" },
        ca: { kind: "broken", material: { rootCerts: pulumi.output([]), rootCertBundle: pulumi.output("") }, istiod: cacertsOnlyContribution() },
      });
      return {};
    }, {});
    expect(run.error?.message).toBe("mesh-cacerts: the CA backend uses the cacerts Secret but provides no intermediateCert, intermediateKey, certChain");
  });
});
