import { lifecycleSettings, lifecycleSettingsProblems } from "../../../components/ca/lifecycle/caLifecycle";
import { lifecycleConfigFields } from "../../../config/lifecycle";
import { z } from "zod";
import { runUnderMocks } from "../../harness/program";

/** CaLifecycle as a library component: defaults inside, refusals in its own terms, without config. */
describe("CaLifecycle args", () => {
  it("applies the same defaults as the config schema", () => {
    const fromSchema = z.strictObject(lifecycleConfigFields).parse({ root: {}, intermediate: {} });
    expect(lifecycleSettings({ root: {}, intermediate: {} })).toEqual(fromSchema);
    expect(lifecycleSettings({ root: { validityDays: 1000 } }).root).toEqual({ ...fromSchema.root, validityDays: 1000 });
  });

  it("refuses weak keys, too-short lifetimes and an intermediate outliving its root, naming each", () => {
    expect(lifecycleSettingsProblems(lifecycleSettings({
      root: { key: { algorithm: "RSA", rsaBits: 1024 as 2048 }, validityDays: 100 },
      intermediate: { validityDays: 1 },
    }))).toEqual([
      "root.key.rsaBits: 1024; RSA keys must be 2048, 3072 or 4096 bits",
      "intermediate.validityDays: 1; must be a whole number of days, at least 2 (longer than the 24h workload certificate TTL)",
    ]);
    expect(lifecycleSettingsProblems(lifecycleSettings({ root: { validityDays: 100 } })))
      .toEqual([expect.stringMatching(/^intermediate.validityDays is 730, longer than root.validityDays \(100\)/)]);
    expect(lifecycleSettingsProblems(lifecycleSettings({}))).toEqual([]);
  });

  it("registers nothing when refused", async () => {
    const run = await runUnderMocks(() => {
      const { CaLifecycle } = require("../../../components/ca/lifecycle") as typeof import("../../../components/ca/lifecycle");
      new CaLifecycle("corp", { root: { validityDays: 1 } });
      return {};
    }, {});
    expect(run.error?.message).toMatch(/^corp: invalid CA lifecycle settings:\n {2}- root.validityDays: 1;/);
    expect(run.resources).toEqual([]);
  });
});
