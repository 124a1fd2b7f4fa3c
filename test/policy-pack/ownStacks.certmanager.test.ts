import { caSecretReads } from "../ca/certManager/fixtures";
import { runProgram, stackConfig } from "../harness/program";
import { allViolations } from "./runPolicies";

// Pulumi.certmanager.yaml: cert-manager Issuers and Certificates (custom resources) are scanned for keys.
describe("the policy pack on the certmanager stack (program under mocks)", () => {
  it("finds no violation", async () => {
    const run = await runProgram(stackConfig("certmanager"), {
      stack: "certmanager",
      extraState: caSecretReads().extraState,
    });
    expect(run.error).toBeUndefined();
    expect(run.resources.some((r) => r.type.startsWith("kubernetes:cert-manager.io/"))).toBe(true);
    expect(await allViolations(run, "certmanager")).toEqual([]);
  });
});
