import { mtlsNoDisable, mtlsPermissiveAllowList, mtlsStrictInProduction } from "../../policy-pack/policies/mtls";
import { violations } from "./fakeArgs";

const PA_V1 = "kubernetes:security.istio.io/v1:PeerAuthentication";
const PA_V1BETA1 = "kubernetes:security.istio.io/v1beta1:PeerAuthentication";

const pa = (namespace: string, mode?: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name: "default", namespace },
  spec: { ...(mode ? { mtls: { mode } } : {}), ...extra },
});

describe("mtls-no-namespace-disable", () => {
  it.each([PA_V1, PA_V1BETA1])("refuses a namespace-wide DISABLE (%s)", async (type) => {
    const v = await violations(mtlsNoDisable, { type, props: pa("payments", "DISABLE") });
    expect(v).toHaveLength(1);
    expect(v[0]).toMatch(/namespace payments disables mTLS/);
  });

  it("refuses a mesh-wide DISABLE in the root namespace", async () => {
    expect(await violations(mtlsNoDisable, { type: PA_V1, props: pa("istio-system", "DISABLE") })).toHaveLength(1);
  });

  it("accepts STRICT, PERMISSIVE and a workload-selected port-level DISABLE", async () => {
    expect(await violations(mtlsNoDisable, { type: PA_V1, props: pa("payments", "STRICT") })).toEqual([]);
    expect(await violations(mtlsNoDisable, { type: PA_V1, props: pa("payments", "PERMISSIVE") })).toEqual([]);
    const portException = pa("test", "STRICT", {
      selector: { matchLabels: { app: "httpbin" } },
      portLevelMtls: { 9080: { mode: "DISABLE" } },
    });
    expect(await violations(mtlsNoDisable, { type: PA_V1, props: portException })).toEqual([]);
  });

  it("ignores other resource types", async () => {
    expect(
      await violations(mtlsNoDisable, { type: "kubernetes:core/v1:ConfigMap", props: pa("x", "DISABLE") }),
    ).toEqual([]);
  });
});

describe("mtls-permissive-allow-list", () => {
  it("refuses PERMISSIVE outside the allow-list and names the config key", async () => {
    const v = await violations(mtlsPermissiveAllowList, { type: PA_V1, props: pa("legacy", "PERMISSIVE") });
    expect(v).toHaveLength(1);
    expect(v[0]).toMatch(/permissiveNamespaces/);
  });

  it("accepts PERMISSIVE in an allow-listed namespace of a non-production stack", async () => {
    const v = await violations(
      mtlsPermissiveAllowList,
      { type: PA_V1, props: pa("legacy", "PERMISSIVE"), stack: "staging" },
      { permissiveNamespaces: ["legacy"] },
    );
    expect(v).toEqual([]);
  });

  it("refuses PERMISSIVE in production even when allow-listed (by stack name or by flag)", async () => {
    const byName = await violations(
      mtlsPermissiveAllowList,
      { type: PA_V1, props: pa("legacy", "PERMISSIVE"), stack: "prod" },
      { permissiveNamespaces: ["legacy"] },
    );
    expect(byName[0]).toMatch(/stack prod is production/);
    const byFlag = await violations(
      mtlsPermissiveAllowList,
      { type: PA_V1, props: pa("legacy", "PERMISSIVE"), stack: "eu-live" },
      { permissiveNamespaces: ["legacy"], production: true },
    );
    expect(byFlag).toHaveLength(1);
  });

  it("leaves STRICT and workload-selected policies alone", async () => {
    expect(await violations(mtlsPermissiveAllowList, { type: PA_V1, props: pa("legacy", "STRICT") })).toEqual([]);
    const selected = pa("legacy", "PERMISSIVE", { selector: { matchLabels: { app: "old" } } });
    expect(await violations(mtlsPermissiveAllowList, { type: PA_V1, props: selected })).toEqual([]);
  });
});

describe("mtls-strict-in-production", () => {
  it("requires an explicit STRICT on namespace-wide policies in production stacks", async () => {
    expect(
      await violations(mtlsStrictInProduction, { type: PA_V1, props: pa("istio-system"), stack: "prod" }),
    ).toHaveLength(1);
    expect(
      await violations(mtlsStrictInProduction, { type: PA_V1, props: pa("a", "UNSET"), stack: "prod" }),
    ).toHaveLength(1);
    expect(await violations(mtlsStrictInProduction, { type: PA_V1, props: pa("a", "STRICT"), stack: "prod" })).toEqual(
      [],
    );
  });

  it("uses the configured production stacks", async () => {
    const props = pa("a", "PERMISSIVE");
    expect(
      await violations(mtlsStrictInProduction, { type: PA_V1, props, stack: "prod" }, { productionStacks: ["live"] }),
    ).toEqual([]);
    expect(
      await violations(mtlsStrictInProduction, { type: PA_V1, props, stack: "live" }, { productionStacks: ["live"] }),
    ).toHaveLength(1);
  });

  it("does not apply to non-production stacks", async () => {
    expect(
      await violations(mtlsStrictInProduction, { type: PA_V1, props: pa("a", "PERMISSIVE"), stack: "dev" }),
    ).toEqual([]);
  });
});
