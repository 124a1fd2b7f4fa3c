import { ofType, runUnderMocks } from "../harness/program";

/** components/policy/proxyConfig.ts: one namespace-wide ProxyConfig per namespace, setting proxy env. */
describe("NamespaceProxyConfigs", () => {
  const run = (env: Record<string, Record<string, string>>) =>
    runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
      const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
      const { NamespaceProxyConfigs } =
        require("../../components/policy/proxyConfig") as typeof import("../../components/policy/proxyConfig");
      const provider = new k8s.Provider("p", {});
      const istiod = new k8s.core.v1.Namespace("istiod-ready", {}, { provider });
      const withOutputs = Object.fromEntries(
        Object.entries(env).map(([ns, vars]) => [
          ns,
          Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, pulumi.output(v)])),
        ]),
      );
      new NamespaceProxyConfigs("cluster1-proxyconfig", { provider, env: withOutputs, dependsOn: [istiod] });
      return {};
    }, {});

  it("registers one ProxyConfig named istio-mesh-ca in each namespace, with the env values resolved", async () => {
    const r = await run({ shop: { ISTIO_META_TLS_CLIENT_KEY: "/etc/certs/key.pem" }, billing: { A: "1", B: "2" } });
    expect(r.error).toBeUndefined();
    const configs = ofType(r, "networking.istio.io/v1beta1:ProxyConfig");
    expect(configs.map((c) => c.name).sort()).toEqual(["cluster1-proxyconfig-billing", "cluster1-proxyconfig-shop"]);
    const shop = configs.find((c) => c.name === "cluster1-proxyconfig-shop")!;
    expect(shop.inputs.metadata).toEqual({
      name: "istio-mesh-ca",
      namespace: "shop",
      labels: { "app.kubernetes.io/managed-by": "istio-mesh-ca" },
    });
    expect(shop.inputs.spec).toEqual({ environmentVariables: { ISTIO_META_TLS_CLIENT_KEY: "/etc/certs/key.pem" } });
    expect(r.parentOf.get("cluster1-proxyconfig-shop")).toBe("cluster1-proxyconfig");
    expect(r.dependsOn.get("cluster1-proxyconfig-shop")).toContain("istiod-ready");
  });

  it("registers nothing for no namespaces", async () => {
    const r = await run({});
    expect(r.error).toBeUndefined();
    expect(ofType(r, "ProxyConfig")).toEqual([]);
    expect(r.urns.some((u) => u.endsWith("NamespaceProxyConfigs::cluster1-proxyconfig"))).toBe(true);
  });
});
