import { z } from "zod";
import type * as LifecycleSettingsModule from "../../components/ca/lifecycle/settings";
import { resolveIntermediateParams, resolveRootParams } from "../../components/ca/certParams";
import {
  expiryProblems,
  resolveExpiry,
  resolveIntermediateSource,
  resolveRotation,
} from "../../components/ca/lifecycle/settings";
import { expirySchema, lifecycleConfigFields, rotationSchema } from "../../config/lifecycle";

/**
 * config/lifecycle.ts checks the shape of the CA lifecycle's config; its defaults and the expiry check
 * are the component's (components/ca/lifecycle/settings.ts, test/ca/lifecycle/settings.test.ts).
 */

const fields = z.strictObject(lifecycleConfigFields);

describe("the lifecycle schemas produce what the resolvers do", () => {
  it.each([
    ["nothing set", {}],
    ["root and intermediate", { root: { validityDays: 1000 }, intermediate: { key: { algorithm: "ECDSA" } } }],
    ["a root stack", { intermediateSource: { kind: "rootStack", stack: "acme/istio-mesh-ca/root" } }],
    [
      "rotation",
      {
        rotation: {
          rootPhase: "dual",
          rootGeneration: 2,
          newRoot: { validityDays: 4000 },
          restartDeployments: [{ namespace: "a", name: "b" }],
        },
      },
    ],
    ["some guards", { expiry: { warnDays: 30, acknowledge: ["CN=x"] } }],
  ])("%s", (_what, given: Record<string, any>) => {
    const parsed = fields.parse(given);
    expect(parsed).toStrictEqual({
      ...(given.root ? { root: resolveRootParams(given.root) } : {}),
      ...(given.intermediate ? { intermediate: resolveIntermediateParams(given.intermediate) } : {}),
      intermediateSource: resolveIntermediateSource(given.intermediateSource),
      rotation: resolveRotation(given.rotation),
      expiry: resolveExpiry(given.expiry),
    });
    expect(rotationSchema.parse(given.rotation)).toStrictEqual(resolveRotation(given.rotation));
    expect(expirySchema.parse(given.expiry)).toStrictEqual(resolveExpiry(given.expiry));
  });

  it("reports expiryProblems at expiry.errorDays, judged on the resolved guards", () => {
    const r = z.strictObject({ expiry: expirySchema }).safeParse({ expiry: { errorDays: 100 } }, { reportInput: true });
    const resolved = resolveExpiry({ errorDays: 100 });
    expect(r.error?.issues).toEqual(
      expiryProblems(resolved).map((p) => ({ code: "custom", ...p, path: ["expiry", ...p.path] })),
    );
    expect(r.error?.issues[0]).toMatchObject({ message: "errorDays must not exceed warnDays", input: resolved });
  });
});

describe("one source: the lifecycle schemas follow the component's resolvers", () => {
  const MODULE = "../../components/ca/lifecycle/settings";
  afterEach(() => jest.dontMock(MODULE));

  it("different defaults in the resolvers, and nothing else changed, are what the schemas produce", () => {
    jest.isolateModules(() => {
      jest.doMock(MODULE, () => {
        const actual = jest.requireActual<typeof LifecycleSettingsModule>(MODULE);
        return {
          ...actual,
          resolveIntermediateSource: (s?: LifecycleSettingsModule.IntermediateSource) =>
            s ?? { kind: "rootStack", stack: "changed/default/source" },
          resolveRotation: (r: LifecycleSettingsModule.RotationInput = {}) => ({
            ...r,
            restartDeployments: r.restartDeployments ?? [{ namespace: "changed", name: "default" }],
          }),
          resolveExpiry: (e: Partial<LifecycleSettingsModule.ExpirySettings> = {}) => ({
            warnDays: e.warnDays ?? 60,
            errorDays: e.errorDays ?? 7,
            acknowledge: e.acknowledge ?? ["changed default"],
          }),
        };
      });
      const schemas = require("../../config/lifecycle") as typeof import("../../config/lifecycle");
      expect(z.strictObject(schemas.lifecycleConfigFields).parse({})).toStrictEqual({
        intermediateSource: { kind: "rootStack", stack: "changed/default/source" },
        rotation: { restartDeployments: [{ namespace: "changed", name: "default" }] },
        expiry: { warnDays: 60, errorDays: 7, acknowledge: ["changed default"] },
      });
      // The check runs on the resolver's values: errorDays 10 is within the changed warnDays 60, not beyond it.
      expect(schemas.expirySchema.parse({ errorDays: 10 })).toEqual({
        warnDays: 60,
        errorDays: 10,
        acknowledge: ["changed default"],
      });
      expect(schemas.expirySchema.safeParse({ errorDays: 61 }).success).toBe(false);
    });
  });
});
