import { runProgram, stackConfig } from "../harness/program";
import { fakeVault } from "../vault/fakeVault";
import { allViolations } from "./runPolicies";

// Pulumi.staging.yaml (vault backend): PKI mounts, so the audit-device stack policy applies.
describe("the policy pack on the staging stack (program under mocks)", () => {
  it("finds no violation, and the Vault audit policy had PKI mounts to judge", async () => {
    const run = await runProgram(stackConfig("staging"), { stack: "staging", extraState: fakeVault().extraState });
    expect(run.error).toBeUndefined();
    expect(run.resources.some((r) => r.type === "vault:index/mount:Mount" && r.inputs.type === "pki")).toBe(true);
    expect(await allViolations(run, "staging")).toEqual([]);
  });
});
