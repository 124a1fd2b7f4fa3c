import * as fs from "fs";
import * as path from "path";
import { ROOT, byName, runUnderMocks } from "../harness/program";

const example = fs.readFileSync(path.join(ROOT, "examples/ownStack.ts"), "utf8");

describe("the README's composition example (examples/ownStack.ts)", () => {
  it("is exactly what the README shows", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const body = example.split("\n").slice(1).join("\n").replace(/\.\.\/components/g, "istio-mesh-ca/components");
    expect(readme).toContain(body.trim());
  });

  it("runs: a root, the cluster's intermediate in cacerts before istiod, and mTLS", async () => {
    const run = await runUnderMocks(() => ({ ...require(path.join(ROOT, "examples/ownStack")) }), {});
    expect(run.error).toBeUndefined();
    expect(byName(run, "corp-root-cert").type).toBe("tls:index/selfSignedCert:SelfSignedCert");
    expect(byName(run, "prod-eu-istio-cacerts-secret").inputs.metadata.name).toBe("cacerts");
    expect(run.dependsOn.get("prod-eu-istio-istiod")).toContain("prod-eu-istio-cacerts-secret");
    expect(byName(run, "prod-eu-mtls-mesh").inputs.spec).toEqual({ mtls: { mode: "STRICT" } });
    expect(run.outputs.caLifecycle).toMatchObject({ rootPhase: "steady" });
  });
});
