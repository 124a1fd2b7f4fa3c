import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { parseProgramConfig } from "../../config/load";
import { byName, runProgram, stackConfig } from "../harness/program";
import { ROOT, e2eEnv, mustRun } from "./support";

/** Pulumi.local.yaml (the stack `npm run local` prepares for) is valid and its chartPath layout is real. */
describe("the local stack (Pulumi.local.yaml)", () => {
  const raw = stackConfig("local");

  it("validates, targets $KUBECONFIG (no kubeconfig/context of its own), skips awaits and uses a local chart directory", () => {
    const cfg = parseProgramConfig(raw);
    expect(cfg.kind).toBe("mesh");
    if (cfg.kind !== "mesh") return;
    expect(cfg.config.clusters).toEqual([{ name: "cluster1" }]);
    expect(cfg.config.istio).toMatchObject({ skipAwait: true, chartPath: "/tmp/istio-mesh-ca-local/istio-charts" });
    expect(cfg.config.ca.backend).toBe("selfSigned");
  });

  it("the program points the charts at chartPath/{base,istiod} and does not wait for Deployments", async () => {
    const run = await runProgram(raw, { stack: "local" });
    expect(run.error).toBeUndefined();
    for (const chart of ["base", "istiod"]) {
      const c = byName(run, `cluster1-istio-${chart}`).inputs;
      expect(c.chart).toBe(`/tmp/istio-mesh-ca-local/istio-charts/${chart}`);
      expect(c.skipAwait).toBe(true);
      expect(c.repositoryOpts).toBeUndefined();
    }
  });

  it("scripts/e2e/istio-module.sh --charts lays out base/, istiod/, gateway/ from the Istio module (as local.sh does)", () => {
    const dir = path.join(e2eEnv().dir, "istio-charts");
    mustRun("bash", [path.join(ROOT, "scripts/e2e/istio-module.sh"), "--charts", dir]);
    for (const chart of ["base", "istiod", "gateway"]) {
      const meta = parse(fs.readFileSync(path.join(dir, chart, "Chart.yaml"), "utf8")) as { name: string };
      expect(meta.name).toBe(chart);
      expect(fs.existsSync(path.join(dir, chart, "templates"))).toBe(true);
    }
    expect(fs.realpathSync(path.join(dir, "base"))).toMatch(/\/istio\.io\/istio@v[^/]+\/manifests\/charts\/base$/);
  });
});
