import fc from "fast-check";
import { deepMerge, istiodValues } from "../../components/istio/values";
import { conflictOf, mergeNamedMaps } from "../../components/shared/stringMaps";

describe("deepMerge", () => {
  it("merges nested objects and lets the override win on leaves", () => {
    expect(
      deepMerge(
        { pilot: { env: { A: "1" }, replicaCount: 1 }, list: [1] },
        { pilot: { env: { B: "2" }, replicaCount: 2 }, list: [2] },
      ),
    ).toEqual({ pilot: { env: { A: "1", B: "2" }, replicaCount: 2 }, list: [2] });
  });

  const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean());
  const tree = fc.letrec((tie) => ({
    node: fc.dictionary(fc.constantFrom("a", "b", "c"), fc.oneof({ depthSize: "small" }, leaf, tie("node"))),
  })).node;
  const leaves = (o: unknown, at: string[] = []): [string[], unknown][] =>
    o && typeof o === "object" && Object.keys(o).length > 0
      ? Object.entries(o as Record<string, unknown>).flatMap(([k, v]) => leaves(v, [...at, k]))
      : [[at, o]];
  const get = (o: unknown, p: string[]) => p.reduce<unknown>((x, k) => (x as Record<string, unknown>)?.[k], o);

  it("property: every non-empty leaf of the override is in the result", () => {
    fc.assert(
      fc.property(tree, tree, (base, override) => {
        const merged = deepMerge(base, override);
        for (const [p, v] of leaves(override))
          if (p.length && !(typeof v === "object" && v !== null)) expect(get(merged, p)).toEqual(v);
      }),
    );
  });

  it("property: merging is idempotent and {} is neutral", () => {
    fc.assert(
      fc.property(tree, tree, (base, override) => {
        const merged = deepMerge(base, override);
        expect(deepMerge(merged, override)).toEqual(merged);
        expect(deepMerge(base, {})).toEqual(base);
      }),
    );
  });

  it("does not mutate its inputs", () => {
    const base = { a: { b: 1 } };
    deepMerge(base, { a: { c: 2 } });
    expect(base).toEqual({ a: { b: 1 } });
  });
});

describe("mergeNamedMaps (the one istiod env channel)", () => {
  // Output's own promise (SDK-internal, stable since 1.0): rejects when an apply throws.
  const resolved = <T>(o: import("@pulumi/pulumi").Output<T>): Promise<T> =>
    (o as unknown as { promise(): Promise<T> }).promise();
  it("unions variables from several sources", async () => {
    expect(
      await resolved(
        mergeNamedMaps("istiod env", [
          { source: "backend", values: { A: "1" } },
          { source: "feature", values: { B: "2" } },
        ]),
      ),
    ).toEqual({ A: "1", B: "2" });
  });
  it("refuses two sources setting one variable differently, naming both", () => {
    expect(() =>
      mergeNamedMaps("istiod env", [
        { source: "the CA backend", values: { PILOT_CERT_PROVIDER: "istiod" } },
        { source: "feature x", values: { PILOT_CERT_PROVIDER: "k8s.io/foo" } },
      ]),
    ).toThrow('istiod env PILOT_CERT_PROVIDER: the CA backend sets "istiod" but feature x sets "k8s.io/foo"');
  });
  it("judges outputs once resolved with the same rule (conflictOf), so a conflict hidden in an output is refused too", () => {
    expect(
      conflictOf("istiod env", [
        { source: "the CA backend", values: { X: "a" } },
        { source: "the CA lifecycle", values: { X: "b" } },
      ]),
    ).toBe('istiod env X: the CA backend sets "a" but the CA lifecycle sets "b"');
    expect(
      conflictOf("istiod env", [
        { source: "a", values: { X: "1", Y: "2" } },
        { source: "b", values: { Y: "2" } },
      ]),
    ).toBeUndefined();
  });
  it("accepts agreeing sources", async () => {
    expect(
      await resolved(
        mergeNamedMaps("istiod env", [
          { source: "a", values: { X: "true" } },
          { source: "b", values: { X: "true" } },
        ]),
      ),
    ).toEqual({ X: "true" });
  });
});

describe("istiodValues refuses env entries the istiod chart writes itself", () => {
  const settings = (env: Record<string, string>) => ({
    env,
    podAnnotations: {},
    meshConfig: {},
    clusterRoleRules: [],
    dependsOn: [],
  });
  it("from a backend's env (pilot.env would duplicate the chart's entry; server-side apply rejects it)", () => {
    expect(() =>
      istiodValues({
        istioNamespace: "istio-system",
        settings: settings({ PILOT_CERT_PROVIDER: "k8s.io/x" }),
        featureEnv: [],
      }),
    ).toThrow(/istiod env PILOT_CERT_PROVIDER: the istiod chart's Deployment writes this entry itself/);
  });
  it("from the user's istio.values.istiod overrides", () => {
    expect(() =>
      istiodValues({
        istioNamespace: "istio-system",
        settings: settings({}),
        featureEnv: [],
        overrides: { pilot: { env: { CLUSTER_ID: "c1", REVISION: "x" } } },
      }),
    ).toThrow(/istiod env CLUSTER_ID, REVISION: .* writes these entries itself/);
  });
  it("accepts env the chart does not write", () => {
    expect(() =>
      istiodValues({
        istioNamespace: "istio-system",
        settings: settings({ EXTERNAL_CA: "ISTIOD_RA_KUBERNETES_API" }),
        featureEnv: [],
      }),
    ).not.toThrow();
  });
});
