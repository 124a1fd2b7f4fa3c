import { describeProblems } from "../../components/shared/settingsProblem";

describe("describeProblems (pure)", () => {
  const problems = [
    { path: ["signers", 0, "name"], message: "duplicate", input: "a" },
    { path: ["defaultSigner"], message: "not declared" },
  ];

  it("names each problem by the settings' name and its path, joined by '; '", () => {
    expect(describeProblems("istio-mesh-ca:ca", problems)).toBe(
      "istio-mesh-ca:ca.signers.0.name: duplicate; istio-mesh-ca:ca.defaultSigner: not declared",
    );
  });

  it("with withInput, says the value it saw where there is one", () => {
    expect(describeProblems("keyVault", problems, { withInput: true })).toBe(
      'keyVault.signers.0.name: duplicate (got "a"); keyVault.defaultSigner: not declared',
    );
  });

  it("says nothing for no problems", () => {
    expect(describeProblems("x", [])).toBe("");
  });
});
