import { resolveIntermediateParams, resolveRootParams } from "../../../components/ca/certParams";
import {
  lifecycleSettings,
  lifecycleSettingsProblems,
  resolveExpiry,
  resolveIntermediateSource,
  resolveRotation,
} from "../../../components/ca/lifecycle";
import { runProgram, runUnderMocks } from "../../harness/program";
import { ROOT_STACK, SELF, asReference, refusalOf, rootConfig } from "./support";

/**
 * CaLifecycle as a library component: defaults inside, refusals in its own terms, without config. The
 * defaults are the resolvers' (components/ca/certParams.ts, components/ca/lifecycle/settings.ts), which
 * the config schemas apply too (test/config/certParams.test.ts, test/config/lifecycle.test.ts).
 */
describe("CaLifecycle args", () => {
  it("are resolved by the same resolvers as the config: partial params completed, absent ones left absent", () => {
    const args = {
      root: { validityDays: 1000 },
      intermediate: { key: { algorithm: "ECDSA" as const } },
      rotation: { rootPhase: "dual" as const, newRoot: { validityDays: 5000 } },
      expiry: { warnDays: 30 },
    };
    expect(lifecycleSettings(args)).toStrictEqual({
      root: resolveRootParams(args.root),
      intermediate: resolveIntermediateParams(args.intermediate),
      intermediateSource: resolveIntermediateSource(),
      rotation: resolveRotation(args.rotation),
      expiry: resolveExpiry(args.expiry),
    });
    expect(lifecycleSettings(args).intermediate?.key).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(lifecycleSettings(args).rotation.newRoot?.key).toEqual({ algorithm: "RSA", rsaBits: 4096 });
    expect(lifecycleSettings({})).toStrictEqual({
      intermediateSource: resolveIntermediateSource(),
      rotation: resolveRotation(),
      expiry: resolveExpiry(),
    });
  });

  it("refuse expiry guards whose error limit exceeds the warning's, in both modes", () => {
    const problem = "expiry.errorDays: 30; errorDays must not exceed warnDays (20)";
    expect(lifecycleSettingsProblems(lifecycleSettings({ expiry: { warnDays: 20, errorDays: 30 } }))).toEqual([
      problem,
    ]);
    expect(
      lifecycleSettingsProblems(
        lifecycleSettings({
          intermediateSource: { kind: "rootStack", stack: ROOT_STACK },
          expiry: { warnDays: 20, errorDays: 30 },
        }),
      ),
    ).toEqual([problem]);
  });

  it("refuses weak keys, too-short lifetimes and an intermediate outliving its root, naming each", () => {
    expect(
      lifecycleSettingsProblems(
        lifecycleSettings({
          root: { key: { algorithm: "RSA", rsaBits: 1024 as 2048 }, validityDays: 100 },
          intermediate: { validityDays: 1 },
        }),
      ),
    ).toEqual([
      "root.key.rsaBits: 1024; RSA keys must be 2048, 3072 or 4096 bits",
      "intermediate.validityDays: 1; must be a whole number of days, at least 2 (longer than the 24h workload certificate TTL)",
    ]);
    expect(lifecycleSettingsProblems(lifecycleSettings({ root: { validityDays: 100 } }))).toEqual([
      expect.stringMatching(/^intermediate.validityDays is 730, longer than root.validityDays \(100\)/),
    ]);
    expect(lifecycleSettingsProblems(lifecycleSettings({}))).toEqual([]);
  });

  it("registers nothing when refused", async () => {
    const run = await runUnderMocks(() => {
      const { CaLifecycle } =
        require("../../../components/ca/lifecycle") as typeof import("../../../components/ca/lifecycle");
      new CaLifecycle("corp", { root: { validityDays: 1 } });
      return {};
    }, {});
    expect(run.error?.message).toMatch(/^corp: invalid CA lifecycle settings:\n {2}- root.validityDays: 1;/);
    expect(run.resources).toEqual([]);
  });

  it("registers nothing when a root stack lifecycle's settings are refused", async () => {
    const run = await runUnderMocks(() => {
      const { createCaLifecycle } =
        require("../../../components/ca/lifecycle") as typeof import("../../../components/ca/lifecycle");
      createCaLifecycle("corp", {
        intermediateSource: { kind: "rootStack", stack: ROOT_STACK },
        expiry: { errorDays: 100 },
        previous: undefined,
      });
      return {};
    }, {});
    expect(run.error?.message).toMatch(
      /^corp: invalid CA lifecycle settings:\n {2}- expiry.errorDays: 100; errorDays must not exceed warnDays \(90\)/,
    );
    expect(run.resources).toEqual([]);
  });
});

type LifecycleModule = typeof import("../../../components/ca/lifecycle");
const EC = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;
const NO_PREVIOUS = /no previous deployment state was given \(previous\)/;

/** The two modes, and `previous` as an input: the phase check without any StackReference to this stack. */
describe("CaLifecycle modes and the previous deployment's state", () => {
  it("creates one class per mode; the deprecated constructor returns the same", async () => {
    const root = asReference(await runProgram(rootConfig(), { stack: "root" }));
    const kinds: string[] = [];
    const run = await runUnderMocks(
      () => {
        const l = require("../../../components/ca/lifecycle") as LifecycleModule;
        const generated = l.createCaLifecycle("a", {
          root: { key: EC },
          intermediate: { key: EC },
          previous: undefined,
        });
        const followed = l.createCaLifecycle("b", {
          intermediateSource: { kind: "rootStack", stack: ROOT_STACK },
          previous: undefined,
        });
        const legacy = new l.CaLifecycle("c", { root: { key: EC }, intermediate: { key: EC }, previous: undefined });
        kinds.push(
          `${generated instanceof l.GeneratedLifecycle}`,
          `${followed instanceof l.RootStackLifecycle}`,
          `${legacy instanceof l.GeneratedLifecycle}`,
        );
        return { followed: followed.state };
      },
      {},
      { extraState: (type) => (type === "pulumi:pulumi:StackReference" ? root : undefined) },
    );
    expect(run.error).toBeUndefined();
    expect(kinds).toEqual(["true", "true", "true"]);
    expect(run.outputs.followed).toMatchObject({ rootPhase: "steady", rootGeneration: 1 });
    expect(run.warnings.filter((w) => NO_PREVIOUS.test(w))).toEqual([]);
  });

  it("refuses a phase that does not follow from `previous`, and holds back every value", async () => {
    let settled = "";
    const error = await refusalOf(() => {
      const l = require("../../../components/ca/lifecycle") as LifecycleModule;
      const ca = new l.GeneratedLifecycle("corp", {
        root: { key: EC },
        intermediate: { key: EC },
        rotation: { rootPhase: "cutover" },
        previous: { rootPhase: "steady", rootGeneration: 1, intermediateGeneration: 1 },
        settingsName: "corp-ca",
      });
      ca.rootCertBundle.apply((b) => {
        settled = b;
      });
      return {};
    }, {});
    expect(error?.message).toMatch(
      /^corp-ca\.rotation: rootPhase cannot go from "steady" to "cutover": apply rootPhase "dual" first/,
    );
    expect(settled).toBe("");
  });

  it("accepts the next phase from `previous` given as an Output", async () => {
    const run = await runUnderMocks(() => {
      const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
      const l = require("../../../components/ca/lifecycle") as LifecycleModule;
      const ca = new l.GeneratedLifecycle("corp", {
        root: { key: EC },
        intermediate: { key: EC },
        rotation: { rootPhase: "dual" },
        previous: pulumi.secret({ rootPhase: "steady" as const, rootGeneration: 1, intermediateGeneration: 1 }),
      });
      return { state: ca.state };
    }, {});
    expect(run.error).toBeUndefined();
    expect(run.outputs.state).toMatchObject({ rootPhase: "dual", rootGeneration: 1, intermediateGeneration: 1 });
  });

  it("warns once per lifecycle when `previous` is not given at all (the check is then off)", async () => {
    const run = await runUnderMocks(() => {
      const l = require("../../../components/ca/lifecycle") as LifecycleModule;
      new l.GeneratedLifecycle("corp", {
        root: { key: EC },
        intermediate: { key: EC },
        rotation: { rootPhase: "cutover" },
      });
      return {};
    }, {});
    expect(run.error).toBeUndefined();
    expect(run.warnings.filter((w) => NO_PREVIOUS.test(w))).toEqual([
      expect.stringMatching(/^corp: no previous deployment state/),
    ]);
  });
});

/** What a composing team's stack program calls to pass `previous`: this stack's last `caLifecycle` output. */
describe("readPreviousLifecycleState", () => {
  const STEADY = { rootPhase: "steady", rootGeneration: 1, intermediateGeneration: 1 };
  /** This stack's previous outputs as the engine would answer the StackReference; records what was read. */
  const selfState = (outputs: Record<string, unknown>, reads: string[]) => ({
    extraState: (type: string, inputs: Record<string, unknown>) => {
      if (type !== "pulumi:pulumi:StackReference") return undefined;
      reads.push(String(inputs.name));
      return { outputs, secretOutputNames: Object.keys(outputs) };
    },
  });
  const lifecycle = (rootPhase: string) => () => {
    const l = require("../../../components/ca/lifecycle") as LifecycleModule;
    const ca = l.createCaLifecycle("corp", {
      root: { key: EC },
      intermediate: { key: EC },
      rotation: { rootPhase: rootPhase as "steady" },
      previous: l.readPreviousLifecycleState("corp-previous"),
    });
    return { caLifecycle: ca.state };
  };

  it("reads this stack's caLifecycle output (secret or not) and refuses a phase that does not follow", async () => {
    const reads: string[] = [];
    const error = await refusalOf(lifecycle("cutover"), {}, selfState({ caLifecycle: STEADY }, reads));
    expect(error?.message).toMatch(/rootPhase cannot go from "steady" to "cutover": apply rootPhase "dual" first/);
    expect(reads).toEqual([SELF]);
  });

  it("accepts the next phase, without the warning that the check is off", async () => {
    const reads: string[] = [];
    const run = await runUnderMocks(lifecycle("dual"), {}, selfState({ caLifecycle: STEADY, other: 1 }, reads));
    expect(run.error).toBeUndefined();
    expect(run.outputs.caLifecycle).toMatchObject({ rootPhase: "dual", rootGeneration: 1 });
    expect(run.warnings.filter((w) => NO_PREVIOUS.test(w))).toEqual([]);
    expect(run.secretOutputPaths).toEqual([]);
  });

  it("a stack never deployed (no outputs) is a first deployment: any phase", async () => {
    const run = await runUnderMocks(lifecycle("cutover"), {}, selfState({}, []));
    expect(run.error).toBeUndefined();
    expect(run.outputs.caLifecycle).toMatchObject({ rootPhase: "cutover" });
  });

  it("refuses a malformed caLifecycle output, naming it", async () => {
    const error = await refusalOf(lifecycle("steady"), {}, selfState({ caLifecycle: { rootPhase: "sideways" } }, []));
    expect(error?.message).toMatch(/the previous deployment's caLifecycle output/);
  });
});
