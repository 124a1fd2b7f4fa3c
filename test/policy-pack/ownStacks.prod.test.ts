import { azureMocks } from "../ca/azureKeyVault/fixtures";
import { runProgram, stackConfig } from "../harness/program";
import { allViolations } from "./runPolicies";

// Pulumi.prod.yaml (azureKeyVault backend, AKS add-on): the stack CI deploys with the pack as "prod".
describe("the policy pack on the prod stack (program under mocks)", () => {
  it("finds no violation, and the Key Vault policies had a vault to judge", async () => {
    const run = await runProgram(stackConfig("prod"), { stack: "prod", ...azureMocks() });
    expect(run.error).toBeUndefined();
    expect(run.resources.map((r) => r.type)).toContain("azure-native:keyvault:Vault");
    expect(await allViolations(run, "prod")).toEqual([]);
  });
});
