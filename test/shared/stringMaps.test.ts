import fc from "fast-check";
import { conflictOf, mergeNamedMaps } from "../../components/shared/stringMaps";
import { runUnderMocks } from "../harness/program";

/**
 * components/shared/stringMaps.ts: maps from several sources (istiod env, annotations) merged without silent overrides.
 */
describe("conflictOf", () => {
  it("names the key and both sources with their values", () => {
    expect(
      conflictOf("istiod env", [
        { source: "the CA backend", values: { A: "1", B: "x" } },
        { source: "sidecarIngressTls", values: { B: "y" } },
      ]),
    ).toBe('istiod env B: the CA backend sets "x" but sidecarIngressTls sets "y"');
  });

  it("accepts the same value twice, and ignores values that are not strings (not yet known)", () => {
    expect(
      conflictOf("env", [
        { source: "a", values: { A: "1" } },
        { source: "b", values: { A: "1" } },
      ]),
    ).toBeUndefined();
    expect(
      conflictOf("env", [
        { source: "a", values: { A: {} } },
        { source: "b", values: { A: "1" } },
      ]),
    ).toBeUndefined();
    expect(conflictOf("env", [])).toBeUndefined();
  });

  const maps = fc.array(fc.dictionary(fc.constantFrom("A", "B", "C"), fc.constantFrom("1", "2")), { maxLength: 4 });
  it("property: reports a conflict exactly when some key is set to two different values", () => {
    fc.assert(
      fc.property(maps, (values) => {
        const sources = values.map((v, i) => ({ source: `s${i}`, values: v }));
        const differs = ["A", "B", "C"].some((k) => new Set(values.filter((v) => k in v).map((v) => v[k])).size > 1);
        expect(conflictOf("env", sources) !== undefined).toBe(differs);
      }),
    );
  });
});

describe("mergeNamedMaps", () => {
  it("refuses a conflict of known values at once, as a plain Error without a component", () => {
    expect(() =>
      mergeNamedMaps("env", [
        { source: "a", values: { X: "1" } },
        { source: "b", values: { X: "2" } },
      ]),
    ).toThrow(new Error('env X: a sets "1" but b sets "2"'));
  });

  it("merges maps given as outputs, or with outputs as values", async () => {
    const run = await runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
      const { mergeNamedMaps: merge } =
        require("../../components/shared/stringMaps") as typeof import("../../components/shared/stringMaps");
      const merged = merge("env", [
        { source: "a", values: pulumi.output({ X: "1" }) },
        { source: "b", values: { Y: pulumi.output("2") } },
      ]);
      return { merged };
    }, {});
    expect(run.error).toBeUndefined();
    expect(run.outputs.merged).toEqual({ X: "1", Y: "2" });
  });
});
