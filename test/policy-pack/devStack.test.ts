import { runProgram, stackConfig } from "../harness/program";
import { allViolations } from "./runPolicies";

// One program run per test file: the mock harness does not support a second run in the same module registry.
describe("the policy pack on our own stacks (program under mocks)", () => {
  it("finds no violation in the dev stack", async () => {
    const run = await runProgram(stackConfig("dev"), { stack: "dev" });
    expect(run.error).toBeUndefined();
    // The run must actually contain what the policies judge, or "no violations" would prove nothing.
    const types = new Set(run.resources.map((r) => r.type));
    for (const t of [
      "kubernetes:security.istio.io/v1:PeerAuthentication",
      "kubernetes:core/v1:Secret",
      "kubernetes:helm.sh/v4:Chart",
      "tls:index/privateKey:PrivateKey",
      "tls:index/locallySignedCert:LocallySignedCert",
      "tls:index/selfSignedCert:SelfSignedCert",
    ]) {
      expect(types).toContain(t);
    }
    expect(await allViolations(run, "dev")).toEqual([]);
  });
});
