import { runProgram } from "./program";

/** The harness itself: every run evaluates the program afresh. */
describe("runProgram", () => {
  const cfg = { ca: { backend: "selfSigned", root: { key: { algorithm: "ECDSA", ecdsaCurve: "P256" } }, intermediate: { key: { algorithm: "ECDSA", ecdsaCurve: "P256" } } } };

  it("registers the same resources on a second run in the same file", async () => {
    const first = await runProgram(cfg);
    const second = await runProgram(cfg);
    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();
    expect(second.resources.length).toBeGreaterThan(10);
    expect(second.resources.map((r) => r.name).sort()).toEqual(first.resources.map((r) => r.name).sort());
  });

  it("a run with a different config sees that config", async () => {
    const run = await runProgram({ ...cfg, clusters: [{ name: "a" }, { name: "b" }] });
    expect(run.resources.filter((r) => r.type === "pulumi:providers:kubernetes").map((r) => r.name).sort()).toEqual(["a-k8s", "b-k8s"]);
  });
});
