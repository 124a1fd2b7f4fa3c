import * as path from "path";
import { ROOT, byName, runUnderMocks } from "../harness/program";
import { exampleProgram, readmeProgram } from "./readmeProgram";

// The example imports the package by its name, as a composing team does; here the name maps to the
// sources (tsconfig.json "paths" does the same for the type check). The packed package itself is
// exercised by test/e2e/package.test.ts.
jest.mock("istio-mesh-ca", () => require("../../components"), { virtual: true });
jest.mock("istio-mesh-ca/config", () => require("../../config"), { virtual: true });

const run = (config: Record<string, unknown>) =>
  runUnderMocks(() => ({ ...require(path.join(ROOT, "examples/ownStack")) }), config);

describe("the README's composition program (examples/ownStack.ts)", () => {
  it("is exactly what the README shows, and imports only the package's public entry points", () => {
    const program = exampleProgram(ROOT);
    // Differs? Edit examples/ownStack.ts, then `npm run readme:example` copies it into the README.
    expect(readmeProgram(ROOT)).toBe(program);
    const imports = [...program.matchAll(/from "([^"]+)"/g)].map((m) => m[1]);
    expect(imports.filter((i) => !i.startsWith("@pulumi/"))).toEqual(["istio-mesh-ca"]);
  });

  it("runs: a root, the cluster's intermediate in cacerts before istiod, and mTLS", async () => {
    const r = await run({});
    expect(r.error).toBeUndefined();
    expect(byName(r, "corp-root-cert").type).toBe("tls:index/selfSignedCert:SelfSignedCert");
    expect(byName(r, "prod-eu-istio-cacerts-secret").inputs.metadata.name).toBe("cacerts");
    expect(r.dependsOn.get("prod-eu-istio-istiod")).toContain("prod-eu-istio-cacerts-secret");
    expect(byName(r, "prod-eu-mtls-mesh").inputs.spec).toEqual({ mtls: { mode: "STRICT" } });
    expect(byName(r, "prod-eu").inputs).toMatchObject({ enableSecretMutable: "true" });
    expect(byName(r, "prod-eu").inputs.context).toBeUndefined();
    expect(byName(r, "prod-eu-istio-istiod").inputs).toMatchObject({ chart: "istiod", version: "1.29.2" });
    expect(byName(r, "prod-eu-istio-istiod").inputs.skipAwait ?? false).toBe(false);
    expect(r.outputs.caLifecycle).toMatchObject({ rootPhase: "steady" });
    // It passes its previous caLifecycle output back in: the rotation-order check is on.
    expect(r.warnings.filter((w) => /no previous deployment state/.test(w))).toEqual([]);
    expect(byName(r, "prod-eu-istio-namespace").inputs.metadata).toEqual({
      name: "istio-system",
      labels: { team: "platform" },
    });
  });

  it("takes its own settings from the stack's config: cluster, kube context, local charts, skipAwait", async () => {
    const r = await run({ cluster: "c1", kubeContext: "ctx", istioChartPath: "/charts", skipAwait: true });
    expect(r.error).toBeUndefined();
    expect(byName(r, "c1").inputs).toMatchObject({ context: "ctx" });
    expect(byName(r, "c1-istio-istiod").inputs).toMatchObject({ chart: "/charts/istiod", skipAwait: true });
    expect(byName(r, "c1-istio-cacerts-secret").inputs.metadata.name).toBe("cacerts");
  });
});
