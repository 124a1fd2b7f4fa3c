import { byName, ofType, privateKeyOccurrences, runProgram, stackConfig, ProgramRun } from "../harness/program";

describe("dev stack (Pulumi.dev.yaml)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(stackConfig("dev"), { stack: "dev" });
  });

  it("runs without error", () => {
    expect(run.error).toBeUndefined();
  });

  it("lists resources", () => {
    console.log(run.resources.map((r) => `${r.type} ${r.name}`).join("\n"));
    console.log(JSON.stringify(run.dependsOn.get("cluster1-istio-istiod")));
    console.log(JSON.stringify(run.outputs, null, 1).slice(0, 3000), run.secretOutputPaths);
    expect(ofType(run, "kubernetes:core/v1:Secret").length).toBeGreaterThan(0);
    expect(byName(run, "cluster1-istio-cacerts-secret")).toBeDefined();
    console.log(privateKeyOccurrences(run).map((o) => `${o.resource.name} ${o.path} ${o.secret}`));
  });
});
