import { runUnderMocks } from "../harness/program";
import { mergeNamedMaps } from "../../components/shared/stringMaps";

/**
 * Inside components, bad input is a `pulumi.ResourceError` against the component (Pulumi reports it
 * with the component's URN), whether a pure helper found it or it surfaced once outputs resolved;
 * the pure helpers themselves throw plain errors with the same message.
 */

describe("refusals are ResourceErrors against the component", () => {
  it("a pure builder's refusal, at construction (MeshMtls: port-level modes without a selector)", async () => {
    const run = await runUnderMocks(() => {
      const k8s = require("@pulumi/kubernetes");
      const { MeshMtls } = require("../../components/policy/mtls");
      new MeshMtls("mtls", {
        provider: new k8s.Provider("p", {}),
        exceptions: [{ name: "legacy", namespace: "shop", ports: { "8080": "PERMISSIVE" } }],
      });
      return {};
    }, {});
    expect(run.error?.message).toBe("PeerAuthentication shop/legacy: portLevelMtls needs a workload selector");
    expect(run.error?.constructor.name).toBe("ResourceError");
    expect(run.resources.filter((r) => r.type.startsWith("kubernetes:security"))).toEqual([]);
  });

  it("a conflict of the maps merged for istiod (mergeNamedMaps, as IstioInstall and the backends call it)", async () => {
    const run = await runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi");
      const { mergeNamedMaps: merge } = require("../../components/shared/stringMaps");
      const owner = new pulumi.ComponentResource("istio-mesh-ca:test:Owner", "owner");
      merge(
        "istiod env",
        [
          { source: "the CA backend", values: { FEATURE: "off" } },
          { source: "a feature", values: { FEATURE: "on" } },
        ],
        owner,
      );
      return {};
    }, {});
    expect(run.error?.message).toBe('istiod env FEATURE: the CA backend sets "off" but a feature sets "on"');
    expect(run.error?.constructor.name).toBe("ResourceError");
  });

  it("the helpers alone throw plain errors, with the same message", () => {
    expect(() =>
      mergeNamedMaps("istiod env", [
        { source: "a", values: { X: "1" } },
        { source: "b", values: { X: "2" } },
      ]),
    ).toThrow(new Error('istiod env X: a sets "1" but b sets "2"'));
  });
});
