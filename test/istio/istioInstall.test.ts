import { byName, ofType, runUnderMocks, ProgramRun } from "../harness/program";

/**
 * IstioInstall consumes any backend through the contract alone. A fake backend that does not use
 * cacerts but asks for env, annotations, mesh config, chart values, RBAC and a dependency shows
 * every field reaching istiod — no backend-specific code involved.
 */
describe("IstioInstall with an external-delivery backend", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi");
      const k8s = require("@pulumi/kubernetes");
      const { IstioInstall } = require("../../components/istio/istioInstall");
      const provider = new k8s.Provider("p", {});
      const signer = new k8s.core.v1.ConfigMap("external-signer", { data: { ready: "yes" } }, { provider });
      const ca = {
        backendName: "fake",
        delivery: {
          kind: "external",
          material: { rootCerts: pulumi.output(["ROOT"]), rootCertBundle: pulumi.output("ROOT\n") },
        },
        istiodSettings: {
          env: { EXTERNAL_CA: "ISTIOD_RA_KUBERNETES_API", SIGNER: pulumi.output("from-an-output") },
          podAnnotations: pulumi.output({ "example.com/inject": "true", "istio-mesh-ca/root-bundle-hash": "abc" }),
          meshConfig: { defaultConfig: { proxyMetadata: { ISTIO_META_CERT_SIGNER: "foo" } } },
          chartValues: { pilot: { volumes: [{ name: "extra" }] }, global: { caAddress: "ca.example:443" } },
          clusterRoleRules: [
            {
              apiGroups: ["certificates.k8s.io"],
              resources: ["signers"],
              verbs: ["approve"],
              resourceNames: ["example.com/foo"],
            },
          ],
          dependsOn: [signer],
        },
      };
      new IstioInstall("mesh", {
        provider,
        namespace: "istio-system",
        createNamespace: false,
        chartSource: { path: "/opt/istio/manifests/charts" },
        revision: "canary",
        trustDomain: "corp.example",
        ca,
        featureEnv: [{ source: "sidecarIngressTls", values: { ENABLE_TLS_ON_SIDECAR_INGRESS: "true" } }],
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
    expect(istiod).toMatchObject({
      chart: "/opt/istio/manifests/charts/istiod",
      name: "istiod",
      namespace: "istio-system",
      skipAwait: true,
    });
    expect(istiod.version).toBeUndefined();
    expect(istiod.repositoryOpts).toBeUndefined();
    expect(istiod.values).toEqual({
      global: { istioNamespace: "istio-system", caAddress: "ca.example:443" },
      revision: "canary",
      pilot: {
        env: {
          EXTERNAL_CA: "ISTIOD_RA_KUBERNETES_API",
          SIGNER: "from-an-output",
          ENABLE_TLS_ON_SIDECAR_INGRESS: "true",
          USER_SET: "1",
        },
        podAnnotations: { "example.com/inject": "true", "istio-mesh-ca/root-bundle-hash": "abc" },
        volumes: [{ name: "extra" }],
      },
      meshConfig: { trustDomain: "corp.example", defaultConfig: { proxyMetadata: { ISTIO_META_CERT_SIGNER: "foo" } } },
    });
  });

  it("binds the extra RBAC rules to the revisioned istiod service account", () => {
    expect(byName(run, "mesh-istiod-ca").type).toBe("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
    expect(byName(run, "mesh-istiod-ca").inputs.rules).toEqual([
      {
        apiGroups: ["certificates.k8s.io"],
        resources: ["signers"],
        verbs: ["approve"],
        resourceNames: ["example.com/foo"],
      },
    ]);
    const binding = ofType(run, "ClusterRoleBinding")[0].inputs;
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "istiod-canary", namespace: "istio-system" }]);
  });

  it("orders istiod after base, the RBAC and the backend's dependencies; the gateway after istiod", () => {
    expect(run.dependsOn.get("mesh-istiod")).toEqual(
      expect.arrayContaining(["mesh-base", "mesh-istiod-ca", "external-signer"]),
    );
    expect(run.dependsOn.get("mesh-gateway")).toEqual(
      expect.arrayContaining(["mesh-istiod", "mesh-gateway-namespace"]),
    );
    expect(byName(run, "mesh-gateway").inputs).toMatchObject({
      chart: "/opt/istio/manifests/charts/gateway",
      name: "gw",
      values: { service: { type: "ClusterIP" } },
    });
  });
});

/** A minimal cacerts backend for the tests below (material is complete by type). */
function cacertsBackend(pulumi: typeof import("@pulumi/pulumi"), env: Record<string, string> = {}) {
  const pem = (s: string) => pulumi.output(s);
  return {
    backendName: "fake",
    delivery: {
      kind: "cacerts",
      material: {
        rootCerts: pulumi.output(["ROOT"]),
        rootCertBundle: pem("ROOT\n"),
        intermediateCert: pem("INTER"),
        intermediateKey: pulumi.secret("KEY"),
        certChain: pem("INTER\nROOT\n"),
      },
    },
    istiodSettings: { env, podAnnotations: {}, meshConfig: {}, clusterRoleRules: [], dependsOn: [] },
  };
}

describe("IstioInstall defaults, children and per-child transforms", () => {
  let run: ProgramRun;
  let exposed: Record<string, unknown>;
  beforeAll(async () => {
    run = await runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi");
      const k8s = require("@pulumi/kubernetes");
      const { IstioInstall } = require("../../components/istio/istioInstall");
      const install = new IstioInstall("mesh", {
        provider: new k8s.Provider("p", {}),
        ca: cacertsBackend(pulumi),
        gateway: {},
        transform: {
          // Partial args, deep-merged over ours.
          namespace: { metadata: { labels: { team: "platform" } } },
          // A function editing args and options in place.
          istiod: (args: Record<string, unknown>, opts: Record<string, unknown>) => {
            args.skipAwait = true;
            opts.ignoreChanges = ["values"];
          },
          gateway: (args: Record<string, unknown>) => ({ ...args, name: "edge" }),
        },
      });
      exposed = {
        namespace: install.namespace,
        cacerts: install.cacerts,
        base: install.base,
        istiod: install.istiod,
        gatewayNamespace: install.gatewayNamespace,
        gateway: install.gateway,
      };
      return {};
    }, {});
    expect(run.error).toBeUndefined();
  });

  it("applies documented defaults: istio-system, the pinned chart release, a LoadBalancer gateway in istio-ingress", () => {
    expect(byName(run, "mesh-base").inputs).toMatchObject({
      chart: "base",
      version: "1.29.2",
      repositoryOpts: { repo: "https://istio-release.storage.googleapis.com/charts" },
      namespace: "istio-system",
      skipAwait: false,
    });
    expect(byName(run, "mesh-gateway-namespace").inputs.metadata).toEqual({
      name: "istio-ingress",
      labels: { "istio-injection": "enabled" },
    });
    expect(byName(run, "mesh-gateway").inputs.values).toEqual({ service: { type: "LoadBalancer" } });
  });

  it("writes cacerts for a cacerts backend, before istiod", () => {
    expect(byName(run, "mesh-cacerts-secret").inputs.metadata).toMatchObject({
      name: "cacerts",
      namespace: "istio-system",
    });
    expect(run.dependsOn.get("mesh-istiod")).toEqual(expect.arrayContaining(["mesh-base", "mesh-cacerts-secret"]));
  });

  it("lets a transform adjust a child, as partial args or as a function", () => {
    expect(byName(run, "mesh-namespace").inputs.metadata).toEqual({
      name: "istio-system",
      labels: { team: "platform" },
    });
    expect(byName(run, "mesh-istiod").inputs.skipAwait).toBe(true);
    expect(byName(run, "mesh-gateway").inputs.name).toBe("edge");
  });

  it("exposes every child it created", () => {
    for (const [k, v] of Object.entries(exposed)) expect([k, v]).toEqual([k, expect.anything()]);
  });
});

describe("IstioInstall refuses istiod settings that would be merged silently", () => {
  const install = (settings: Record<string, unknown>, featureEnv: unknown[] = []) =>
    runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi");
      const k8s = require("@pulumi/kubernetes");
      const { IstioInstall } = require("../../components/istio/istioInstall");
      const ca = cacertsBackend(pulumi);
      new IstioInstall("mesh", {
        provider: new k8s.Provider("p", {}),
        ca: { ...ca, istiodSettings: { ...ca.istiodSettings, ...settings } },
        featureEnv,
      });
      return {};
    }, {});

  it("a feature setting an env variable the backend sets differently, naming both", async () => {
    const run = await install({ env: { ENABLE_TLS_ON_SIDECAR_INGRESS: "false" } }, [
      { source: "sidecarIngressTls", values: { ENABLE_TLS_ON_SIDECAR_INGRESS: "true" } },
    ]);
    expect(run.error?.message).toBe(
      'istiod env ENABLE_TLS_ON_SIDECAR_INGRESS: the CA backend sets "false" but sidecarIngressTls sets "true"',
    );
    expect(run.error?.constructor.name).toBe("ResourceError");
    expect(run.resources.filter((r) => r.name !== "p").map((r) => r.name)).toEqual(["mesh"]);
  });
});
