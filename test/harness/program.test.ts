import { isSecretValue, runProgram, runUnderMocks } from "./program";

/** The harness itself: every run evaluates the program afresh. */
describe("runProgram", () => {
  const cfg = {
    ca: {
      backend: "selfSigned",
      root: { key: { algorithm: "ECDSA", ecdsaCurve: "P256" } },
      intermediate: { key: { algorithm: "ECDSA", ecdsaCurve: "P256" } },
    },
  };

  it("registers the same resources on a second run in the same file", async () => {
    const first = await runProgram(cfg);
    const second = await runProgram(cfg);
    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();
    expect(second.resources.length).toBeGreaterThan(10);
    expect(second.resources.map((r) => r.name).sort()).toEqual(first.resources.map((r) => r.name).sort());
  });

  it("an export that fails (a refusal inside an apply) is the run's error, and the next run is unaffected", async () => {
    const failing = await runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
      return {
        refused: pulumi.output(1).apply((): number => {
          throw new Error("refused in an apply");
        }),
      };
    }, {});
    expect(failing.error?.message).toBe("refused in an apply");
    expect(failing.outputs).toEqual({});
    const next = await runProgram(cfg);
    expect(next.error).toBeUndefined();
  });

  it("a run with a different config sees that config", async () => {
    const run = await runProgram({ ...cfg, clusters: [{ name: "a" }, { name: "b" }] });
    expect(
      run.resources
        .filter((r) => r.type === "pulumi:providers:kubernetes")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["a-k8s", "b-k8s"]);
  });
});

/**
 * What the harness reads through the SDK: the secret marker (public constants), and, through
 * `recordRegistrations` (the one use of SDK internals), parents, dependencies, aliases and URNs.
 * If an SDK upgrade changes the mock monitor or its requests, this fails here first.
 */
describe("the harness against the SDK", () => {
  const program = () => {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    class Thing extends pulumi.CustomResource {
      constructor(
        name: string,
        value: import("@pulumi/pulumi").Input<string>,
        opts: import("@pulumi/pulumi").CustomResourceOptions,
      ) {
        super("test:index:Thing", name, { value }, opts);
      }
    }
    const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
    const a = new Thing("a", pulumi.secret("s3cret"), { parent });
    const b = new Thing("b", "plain", { parent, dependsOn: [a], aliases: [{ name: "old-b" }] });
    pulumi.log.warn("a warning");
    return { bValue: (b as any).value as unknown };
  };

  it("records parents, dependencies, aliases, URNs, warnings and secret inputs", async () => {
    const run = await runUnderMocks(program, {}, { stack: "harness" });
    expect(run.error).toBeUndefined();
    expect(run.parentOf.get("a")).toBe("parent");
    expect(run.parentOf.get("b")).toBe("parent");
    expect(run.dependsOn.get("b")).toEqual(["a"]);
    expect(run.dependsOn.get("a")).toEqual([]);
    expect((run.aliases.get("b") ?? []).map((x) => JSON.parse(x))).toEqual([
      expect.objectContaining({ name: "old-b" }),
    ]);
    expect([...run.urns].sort()).toEqual([
      "urn:pulumi:harness::istio-mesh-ca::test:index:Parent$test:index:Thing::a",
      "urn:pulumi:harness::istio-mesh-ca::test:index:Parent$test:index:Thing::b",
      "urn:pulumi:harness::istio-mesh-ca::test:index:Parent::parent",
    ]);
    expect(run.warnings).toEqual(["a warning"]);
    const a = run.resources.find((r) => r.name === "a")!;
    expect(isSecretValue(a.rawInputs.value)).toBe(true);
    expect(a.inputs.value).toBe("s3cret");
  });
});
