import * as fc from "fast-check";
import { DEFAULT_ROOT_PARAMS, resolveRootParams } from "../../../components/ca/certParams";
import {
  DEFAULT_EXPIRY,
  DEFAULT_INTERMEDIATE_SOURCE,
  ExpirySettings,
  expiryProblems,
  resolveExpiry,
  resolveIntermediateSource,
  resolveRotation,
} from "../../../components/ca/lifecycle/settings";

/**
 * components/ca/lifecycle/settings.ts owns the CA lifecycle's defaults and the expiry check: what a
 * library user (createCaLifecycle, VaultPki's lifecycle, resolveVaultSettings) or the config leaves out
 * (the config schemas resolve through these: test/config/lifecycle.test.ts).
 */

describe("resolveIntermediateSource (pure)", () => {
  it("issues intermediates in this stack unless a root stack is named", () => {
    expect(resolveIntermediateSource()).toEqual({ kind: "generate" });
    expect(resolveIntermediateSource()).toBe(DEFAULT_INTERMEDIATE_SOURCE);
    const rootStack = { kind: "rootStack" as const, stack: "acme/istio-mesh-ca/root" };
    expect(resolveIntermediateSource(rootStack)).toBe(rootStack);
  });
});

describe("resolveRotation (pure)", () => {
  it("restarts nothing by default and leaves phases and generations unset (steady, generation 1)", () => {
    expect(resolveRotation()).toEqual({ restartDeployments: [] });
    expect(resolveRotation({})).toStrictEqual({ restartDeployments: [] });
    expect(resolveRotation({ rootPhase: "dual", rootGeneration: 2 })).toStrictEqual({
      rootPhase: "dual",
      rootGeneration: 2,
      restartDeployments: [],
    });
  });

  it("completes a partial newRoot with the root defaults", () => {
    expect(resolveRotation({ newRoot: { validityDays: 5000 } }).newRoot).toEqual({
      ...DEFAULT_ROOT_PARAMS,
      validityDays: 5000,
    });
    expect(resolveRotation({ newRoot: { key: { algorithm: "ECDSA" } } }).newRoot).toEqual(
      resolveRootParams({ key: { algorithm: "ECDSA", ecdsaCurve: "P256" } }),
    );
  });

  it("keeps what is given and is idempotent", () => {
    const restart = fc.record(
      { namespace: fc.constantFrom("a", "b"), name: fc.constantFrom("x", "y"), cluster: fc.constant("c") },
      { requiredKeys: ["namespace", "name"] },
    );
    const rotation = fc.record(
      {
        rootPhase: fc.constantFrom("steady" as const, "dual" as const, "cutover" as const, "finalize" as const),
        rootGeneration: fc.integer({ min: 1, max: 5 }),
        intermediateGeneration: fc.integer({ min: 1, max: 5 }),
        restartDeployments: fc.array(restart, { maxLength: 2 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(rotation, (r) => {
        const resolved = resolveRotation(r);
        expect(resolved).toStrictEqual({ ...r, restartDeployments: r.restartDeployments ?? [] });
        expect(resolveRotation(resolved)).toStrictEqual(resolved);
      }),
    );
  });
});

describe("resolveExpiry (pure)", () => {
  it("warns within 90 days, refuses within 14, acknowledges nothing by default", () => {
    expect(resolveExpiry()).toEqual({ warnDays: 90, errorDays: 14, acknowledge: [] });
    expect(resolveExpiry({})).toEqual(DEFAULT_EXPIRY);
  });

  it("takes each unset guard from the defaults, keeps each set one", () => {
    const expiry = fc.record(
      {
        warnDays: fc.integer({ min: 1, max: 400 }),
        errorDays: fc.integer({ min: 1, max: 400 }),
        acknowledge: fc.array(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(expiry, (e) => {
        expect(resolveExpiry(e)).toEqual({ ...DEFAULT_EXPIRY, ...e });
      }),
    );
  });
});

describe("expiryProblems (pure)", () => {
  it("refuses an error limit beyond the warning's, at errorDays, with the guards as the input", () => {
    const e: ExpirySettings = { warnDays: 10, errorDays: 11, acknowledge: [] };
    expect(expiryProblems(e)).toEqual([
      { path: ["errorDays"], message: "errorDays must not exceed warnDays", input: e },
    ]);
    expect(expiryProblems({ ...e, errorDays: 10 })).toEqual([]);
    expect(expiryProblems(DEFAULT_EXPIRY)).toEqual([]);
  });
});
