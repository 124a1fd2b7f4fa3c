import { runUnderMocks } from "../harness/program";

/**
 * components/shared/customResource.ts: a custom resource from a typed model is validated against the
 * upstream schema before anything is registered, may be emitted under a newer apiVersion, and goes
 * through the owner's transform.
 */
describe("validatedCustomResource", () => {
  const model = (json: Record<string, unknown>, invalid?: string) => ({
    validate() {
      if (invalid) throw new Error(invalid);
    },
    toJSON() {
      return json;
    },
  });
  const json = {
    apiVersion: "security.istio.io/v1beta1",
    kind: "PeerAuthentication",
    metadata: { name: "default", namespace: "istio-system" },
    spec: { mtls: { mode: "STRICT" } },
  };

  const run = (invalid: string | undefined, apiVersion?: string, transform?: unknown) =>
    runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
      const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
      const { validatedCustomResource } =
        require("../../components/shared/customResource") as typeof import("../../components/shared/customResource");
      const owner = new pulumi.ComponentResource("istio-mesh-ca:test:Owner", "owner");
      const provider = new k8s.Provider("k8s", {}, { parent: owner });
      validatedCustomResource(
        "owner-mtls",
        model(json, invalid),
        { parent: owner, provider },
        apiVersion,
        transform as never,
      );
      return {};
    }, {});

  it("refuses a model its schema rejects, against the owner, naming kind and name, and registers nothing", async () => {
    const r = await run("spec.mtls.mode must be one of STRICT, PERMISSIVE, DISABLE");
    expect(r.error?.constructor.name).toBe("ResourceError");
    expect(r.error?.message).toBe(
      "PeerAuthentication default: invalid against the upstream schema: spec.mtls.mode must be one of STRICT, PERMISSIVE, DISABLE",
    );
    expect(r.resources.filter((x) => x.type.startsWith("kubernetes:security"))).toEqual([]);
  });

  it("registers the model as it is, or under the apiVersion given", async () => {
    const asIs = await run(undefined);
    expect(asIs.error).toBeUndefined();
    const cr = asIs.resources.find((x) => x.name === "owner-mtls")!;
    expect(cr.type).toBe("kubernetes:security.istio.io/v1beta1:PeerAuthentication");
    expect(cr.inputs.spec).toEqual(json.spec);
    expect(asIs.parentOf.get("owner-mtls")).toBe("owner");
    const v1 = await run(undefined, "security.istio.io/v1");
    expect(v1.resources.find((x) => x.name === "owner-mtls")!.type).toBe(
      "kubernetes:security.istio.io/v1:PeerAuthentication",
    );
  });

  it("applies the owner's transform after validation", async () => {
    const r = await run(undefined, undefined, { metadata: { labels: { team: "mesh" } } });
    const cr = r.resources.find((x) => x.name === "owner-mtls")!;
    expect(cr.inputs.metadata).toEqual(expect.objectContaining({ name: "default", labels: { team: "mesh" } }));
  });
});
