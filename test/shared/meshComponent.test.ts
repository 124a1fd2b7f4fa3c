import { MANAGED_BY_LABELS, PACKAGE } from "../../components/shared/meshComponent";
import { runUnderMocks } from "../harness/program";

/**
 * components/shared/meshComponent.ts: the base of every component. Its type token and child naming
 * are part of every URN (a change here replaces deployed resources); its refusals are ResourceErrors
 * against the component.
 */
describe("MeshComponent", () => {
  /** A minimal component on the base class, built inside the mocked runtime. */
  const build = (body: (c: any, pulumi: typeof import("@pulumi/pulumi")) => void) => () => {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const { MeshComponent } =
      require("../../components/shared/meshComponent") as typeof import("../../components/shared/meshComponent");
    class Probe extends MeshComponent {
      constructor(name: string) {
        super("test", "Probe", name);
        body(this, pulumi);
        this.registerOutputs({});
      }
      child(suffix: string) {
        return this.childName(suffix);
      }
      refuse(message: string) {
        return this.fail(message);
      }
      guarded<T>(f: () => T) {
        return this.refusing(f);
      }
    }
    new Probe("mesh");
    return {};
  };

  it("registers as istio-mesh-ca:<module>:<Type>, its children named <name>-<suffix> under it", async () => {
    const run = await runUnderMocks(
      build((c, pulumi) => {
        expect(c.child("root")).toBe("mesh-root");
        new pulumi.ComponentResource("test:index:Child", c.child("root"), {}, { parent: c });
      }),
      {},
      { stack: "unit" },
    );
    expect(run.error).toBeUndefined();
    expect(run.urns).toContain("urn:pulumi:unit::istio-mesh-ca::istio-mesh-ca:test:Probe::mesh");
    expect(run.urns).toContain("urn:pulumi:unit::istio-mesh-ca::istio-mesh-ca:test:Probe$test:index:Child::mesh-root");
    expect(run.parentOf.get("mesh-root")).toBe("mesh");
  });

  it("fail() throws a ResourceError with the message as given", async () => {
    const run = await runUnderMocks(
      build((c) => c.refuse("ca.backend: unknown")),
      {},
    );
    expect(run.error?.constructor.name).toBe("ResourceError");
    expect(run.error?.message).toBe("ca.backend: unknown");
  });

  it("refusing() turns a plain Error into a ResourceError, keeps a ResourceError, and returns the value otherwise", async () => {
    const seen: unknown[] = [];
    const plain = await runUnderMocks(
      build((c) => {
        seen.push(c.guarded(() => 42));
        c.guarded(() => {
          throw new Error("bad input");
        });
      }),
      {},
    );
    expect(seen).toEqual([42]);
    expect(plain.error?.constructor.name).toBe("ResourceError");
    expect(plain.error?.message).toBe("bad input");
    const text = await runUnderMocks(
      build((c) =>
        c.guarded(() => {
          throw "not an Error";
        }),
      ),
      {},
    );
    expect(text.error?.message).toBe("not an Error");
    const already = await runUnderMocks(
      build((c, pulumi) =>
        c.guarded(() => {
          throw new pulumi.ResourceError("as it was", undefined);
        }),
      ),
      {},
    );
    expect(already.error?.message).toBe("as it was");
  });

  it("labels what it creates as managed by the package", () => {
    expect(PACKAGE).toBe("istio-mesh-ca");
    expect(MANAGED_BY_LABELS).toEqual({ "app.kubernetes.io/managed-by": "istio-mesh-ca" });
  });
});
