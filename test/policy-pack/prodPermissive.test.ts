import { runProgram, stackConfig } from "../harness/program";
import { allViolations } from "./runPolicies";

/** The negative control for devStack.test.ts: the same pipeline does report violations. */
describe("the policy pack on a production variant of the dev stack (program under mocks)", () => {
  it("flags the same program when a production stack leaves a namespace PERMISSIVE", async () => {
    const config = stackConfig("dev");
    const namespaces = (config.namespaces as { name: string; mtls?: string }[]).map((n) =>
      n.name === "istio-demo" ? { ...n, mtls: "PERMISSIVE" } : n,
    );
    const run = await runProgram({ ...config, namespaces }, { stack: "prod" });
    expect(run.error).toBeUndefined();
    expect(run.resources.length).toBeGreaterThan(10);
    const found = await allViolations(run, "prod");
    expect(found).toEqual([
      expect.stringMatching(/^mtls-permissive-allow-list .*istio-demo/),
      expect.stringMatching(/^mtls-strict-in-production .*istio-demo/),
    ]);
  });
});
