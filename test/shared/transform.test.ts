import fc from "fast-check";
import { transformed } from "../../components/shared/transform";

/** components/shared/transform.ts: the per-child escape hatch every component offers. */
describe("transformed", () => {
  const args = () => ({ metadata: { name: "istio-ca", labels: { a: "1" } }, data: ["x"], type: "Opaque" });

  it("without a transform: the args as given, and a copy of the options (a later edit cannot reach the caller's)", () => {
    const a = args();
    const opts = { protect: true };
    const [outArgs, outOpts] = transformed(undefined, "child", a, opts);
    expect(outArgs).toBe(a);
    expect(outOpts).toEqual(opts);
    expect(outOpts).not.toBe(opts);
  });

  it("partial args are deep-merged over ours: nested objects merge, arrays and scalars replace", () => {
    const a = args();
    const [out] = transformed({ metadata: { labels: { b: "2" } }, data: ["y"] } as never, "child", a, {});
    expect(out).toEqual({ metadata: { name: "istio-ca", labels: { a: "1", b: "2" } }, data: ["y"], type: "Opaque" });
    // Ours are untouched.
    expect(a).toEqual(args());
  });

  it("a function edits copies in place, sees the child's name, and may return new args", () => {
    const a = args();
    const opts = { protect: false };
    const seen: string[] = [];
    const [out, o] = transformed<ReturnType<typeof args>>(
      (x, op, name) => {
        seen.push(name);
        x.type = "kubernetes.io/tls";
        op.protect = true;
      },
      "cluster1-cacerts",
      a,
      opts,
    );
    expect(seen).toEqual(["cluster1-cacerts"]);
    expect(out.type).toBe("kubernetes.io/tls");
    expect(o.protect).toBe(true);
    expect(a.type).toBe("Opaque");
    expect(opts.protect).toBe(false);
    const [replaced] = transformed<ReturnType<typeof args>>(() => ({ ...args(), type: "new" }), "c", a, {});
    expect(replaced.type).toBe("new");
  });

  const plain = fc.dictionary(
    fc.constantFrom("a", "b", "c"),
    fc.oneof(
      fc.string(),
      fc.integer(),
      fc.dictionary(fc.constantFrom("x", "y"), fc.string(), { maxKeys: 2, noNullPrototype: true }),
    ),
    { maxKeys: 3, noNullPrototype: true },
  );

  it("property: a partial never loses a key of ours, every key it sets wins, and ours are not mutated", () => {
    fc.assert(
      fc.property(plain, plain, (base, patch) => {
        const before = JSON.stringify(base);
        const [out] = transformed(patch, "n", base, {});
        expect(JSON.stringify(base)).toBe(before);
        for (const k of Object.keys(base)) expect(k in out).toBe(true);
        for (const [k, v] of Object.entries(patch)) {
          const b = base[k];
          const bothObjects = typeof v === "object" && typeof b === "object";
          expect(out[k]).toEqual(bothObjects ? { ...(b as object), ...(v as object) } : v);
        }
      }),
    );
  });

  it("property: an empty partial is the identity", () => {
    fc.assert(
      fc.property(plain, (base) => {
        expect(transformed({}, "n", base, {})[0]).toEqual(base);
      }),
    );
  });
});
