import { byName, isSecretValue, runUnderMocks } from "../harness/program";

/**
 * The components without a backend of their own take `transform` too (one idiom: every component has
 * the per-child escape hatch): CacertsSecret, WorkloadRestarts, NamespaceProxyConfigs.
 */
describe("transform on CacertsSecret, WorkloadRestarts and NamespaceProxyConfigs", () => {
  const material = {
    rootCertBundle: "ROOT",
    intermediateCert: "CA",
    intermediateKey: "KEY",
    certChain: "CHAIN",
  };

  const run = (transforms: { cacerts?: unknown; restarts?: unknown; proxyConfig?: unknown }) =>
    runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
      const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
      const { CacertsSecret } = require("../../components/istio") as typeof import("../../components/istio");
      const { WorkloadRestarts } = require("../../components/ca") as typeof import("../../components/ca");
      const { NamespaceProxyConfigs } = require("../../components/policy") as typeof import("../../components/policy");
      const provider = new k8s.Provider("p", {});
      const m = {
        rootCerts: pulumi.output([material.rootCertBundle]),
        rootCertBundle: pulumi.output(material.rootCertBundle),
        intermediateCert: pulumi.output(material.intermediateCert),
        intermediateKey: pulumi.secret(material.intermediateKey),
        certChain: pulumi.output(material.certChain),
      };
      new CacertsSecret("c1", {
        namespace: "istio-system",
        material: m,
        provider,
        transform: { secret: transforms.cacerts as never },
      });
      new WorkloadRestarts("c1-restarts", {
        provider,
        clusterName: "c1",
        deployments: [{ namespace: "shop", name: "web" }],
        material: m,
        transform: { deploymentPatch: transforms.restarts as never },
      });
      new NamespaceProxyConfigs("c1-proxyconfig", {
        provider,
        env: { shop: { A: "1" } },
        transform: { proxyConfig: transforms.proxyConfig as never },
      });
      return {};
    }, {});

  it("partial args are merged over the component's", async () => {
    const r = await run({
      cacerts: { metadata: { annotations: { team: "platform" } } },
      restarts: { metadata: { labels: { team: "platform" } } },
      proxyConfig: { metadata: { labels: { team: "platform" } } },
    });
    expect(r.error).toBeUndefined();
    expect(byName(r, "c1-secret").inputs.metadata).toMatchObject({
      name: "cacerts",
      namespace: "istio-system",
      annotations: { team: "platform" },
    });
    expect(byName(r, "c1-restarts-shop-web").inputs.metadata).toMatchObject({
      name: "web",
      labels: { team: "platform" },
    });
    expect(byName(r, "c1-proxyconfig-shop").inputs.metadata).toMatchObject({
      name: "istio-mesh-ca",
      labels: { "app.kubernetes.io/managed-by": "istio-mesh-ca", team: "platform" },
    });
  });

  it("a function gets the child's name and can change its options", async () => {
    const seen: string[] = [];
    const protect = (_args: unknown, opts: { protect?: boolean }, name: string) => {
      seen.push(name);
      opts.protect = true;
    };
    const r = await run({ cacerts: protect, restarts: protect, proxyConfig: protect });
    expect(r.error).toBeUndefined();
    expect(seen.sort()).toEqual(["c1-proxyconfig-shop", "c1-restarts-shop-web", "c1-secret"]);
  });

  it("cacerts' data stays a Pulumi secret even when a transform replaces it with plain values", async () => {
    const r = await run({
      cacerts: (args: Record<string, unknown>) => ({ ...args, stringData: { "ca-key.pem": "PLAIN-KEY" } }),
    });
    expect(r.error).toBeUndefined();
    const secret = byName(r, "c1-secret");
    expect(isSecretValue(secret.rawInputs.stringData)).toBe(true);
    expect(secret.inputs.stringData).toEqual({ "ca-key.pem": "PLAIN-KEY" });
  });

  it("without a transform, cacerts holds the four files as one secret", async () => {
    const r = await run({});
    const secret = byName(r, "c1-secret");
    expect(isSecretValue(secret.rawInputs.stringData)).toBe(true);
    expect(secret.inputs.stringData).toEqual({
      "ca-cert.pem": "CA",
      "ca-key.pem": "KEY",
      "root-cert.pem": "ROOT",
      "cert-chain.pem": "CHAIN",
    });
  });
});
