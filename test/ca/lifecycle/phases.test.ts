import * as fc from "fast-check";
import {
  LifecycleState,
  ROOT_PHASES,
  RootPhase,
  checkTransition,
  parseLifecycleState,
  phasePlan,
  signerGeneration,
} from "../../../components/ca/lifecycle/phases";

const state = (
  rootPhase: RootPhase,
  rootGeneration = 1,
  intermediateGeneration = 1,
  extra: Partial<LifecycleState> = {},
): LifecycleState => ({ rootPhase, rootGeneration, intermediateGeneration, ...extra });

/** Root generations trusted and signing in a state, in absolute numbers. */
function trustedGenerations(s: LifecycleState): number[] {
  return phasePlan(s.rootPhase).trusted.map((t) => (t === "current" ? s.rootGeneration : s.rootGeneration + 1));
}

describe("phasePlan", () => {
  it("spells out trust and signer for each phase", () => {
    expect(
      ROOT_PHASES.map((p) => [
        p,
        trustedGenerations(state(p, 3)),
        signerGeneration(state(p, 3)),
        phasePlan(p).multiRoot,
      ]),
    ).toEqual([
      ["steady", [3], 3, false],
      ["dual", [3, 4], 3, true],
      ["cutover", [3, 4], 4, true],
      ["finalize", [4], 4, false],
    ]);
  });
});

describe("checkTransition: every pair of phases, every generation step", () => {
  // Expected outcome for prev (generation 1) → next, keyed "prev>next@generation".
  const allowed = new Set([
    "steady>steady@1",
    "steady>dual@1",
    "dual>dual@1",
    "dual>cutover@1",
    "dual>steady@1",
    "cutover>cutover@1",
    "cutover>finalize@1",
    "cutover>dual@1",
    "finalize>finalize@1",
    "finalize>cutover@1",
    "finalize>steady@2",
  ]);
  for (const from of ROOT_PHASES) {
    for (const to of ROOT_PHASES) {
      for (const gen of [1, 2, 3]) {
        const key = `${from}>${to}@${gen}`;
        it(`${key} is ${allowed.has(key) ? "allowed" : "refused"}`, () => {
          const err = checkTransition(state(from, 1), state(to, gen));
          if (allowed.has(key)) expect(err).toBeUndefined();
          else expect(err).toEqual(expect.any(String));
        });
      }
    }
  }

  it("names the phase to apply first when a forward phase is skipped", () => {
    expect(checkTransition(state("steady"), state("finalize"))).toMatch(/apply rootPhase "dual" first/);
    expect(checkTransition(state("steady"), state("cutover"))).toMatch(/apply rootPhase "dual" first/);
    expect(checkTransition(state("dual"), state("finalize"))).toMatch(/apply rootPhase "cutover" first/);
  });

  it("names the phase to step back to when going back more than one phase", () => {
    expect(checkTransition(state("finalize"), state("dual"))).toMatch(/apply rootPhase "cutover" first/);
    expect(checkTransition(state("cutover"), state("steady"))).toMatch(/apply rootPhase "dual" first/);
  });

  it("explains generation mistakes around the end of a rotation", () => {
    expect(checkTransition(state("finalize", 1), state("steady", 1))).toMatch(/steady needs rootGeneration 2/);
    expect(checkTransition(state("steady", 1), state("steady", 2))).toMatch(/apply rootPhase "dual" first/);
    expect(checkTransition(state("dual", 1), state("dual", 2))).toMatch(/rootGeneration must stay 1/);
  });

  it("accepts anything on the first deployment", () => {
    for (const p of ROOT_PHASES) expect(checkTransition(undefined, state(p, 5, 7))).toBeUndefined();
  });

  it("lets intermediate generations go up, never down", () => {
    expect(checkTransition(state("steady", 1, 1), state("steady", 1, 2))).toBeUndefined();
    expect(checkTransition(state("steady", 1, 2), state("steady", 1, 5))).toBeUndefined();
    expect(checkTransition(state("steady", 1, 2), state("steady", 1, 1))).toMatch(
      /intermediateGeneration 1 is lower than the deployed 2/,
    );
  });

  it("refuses changing the root in place, or the incoming root mid-rotation", () => {
    const a = { rootParamsDigest: "aaaa" };
    expect(checkTransition(state("steady", 1, 1, a), state("steady", 1, 1, { rootParamsDigest: "bbbb" }))).toMatch(
      /replace the root in service/,
    );
    expect(
      checkTransition(
        state("dual", 1, 1, { ...a, nextRootParamsDigest: "n1" }),
        state("cutover", 1, 1, { ...a, nextRootParamsDigest: "n2" }),
      ),
    ).toMatch(/rotation.newRoot cannot change/);
    // Completing: root must take the incoming root's params.
    expect(
      checkTransition(
        state("finalize", 1, 1, { ...a, nextRootParamsDigest: "n1" }),
        state("steady", 2, 1, { rootParamsDigest: "n1" }),
      ),
    ).toBeUndefined();
    expect(
      checkTransition(
        state("finalize", 1, 1, { ...a, nextRootParamsDigest: "n1" }),
        state("steady", 2, 1, { rootParamsDigest: "aaaa" }),
      ),
    ).toMatch(/copy rotation.newRoot to root/);
    // Starting a rotation introduces the incoming digest: fine.
    expect(
      checkTransition(state("steady", 1, 1, a), state("dual", 1, 1, { ...a, nextRootParamsDigest: "n1" })),
    ).toBeUndefined();
  });
});

describe("checkTransition: properties", () => {
  const anyState = fc.record({
    rootPhase: fc.constantFrom(...ROOT_PHASES),
    rootGeneration: fc.integer({ min: 1, max: 4 }),
    intermediateGeneration: fc.integer({ min: 1, max: 4 }),
  });

  it("an allowed move never breaks trust: each side's signer is trusted by the other side's bundle", () => {
    fc.assert(
      fc.property(anyState, anyState, (prev, next) => {
        if (checkTransition(prev, next) !== undefined) return;
        expect(trustedGenerations(next)).toContain(signerGeneration(prev));
        expect(trustedGenerations(prev)).toContain(signerGeneration(next));
      }),
      { numRuns: 2000 },
    );
  });

  it("re-applying the deployed state is always allowed", () => {
    fc.assert(fc.property(anyState, (s) => checkTransition(s, s) === undefined));
  });

  it("the only way from generation g to g+1 is finalize → steady", () => {
    fc.assert(
      fc.property(anyState, anyState, (prev, next) => {
        if (checkTransition(prev, next) === undefined && next.rootGeneration !== prev.rootGeneration) {
          expect([prev.rootPhase, next.rootPhase, next.rootGeneration - prev.rootGeneration]).toEqual([
            "finalize",
            "steady",
            1,
          ]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("walking forward one allowed step at a time completes a rotation in exactly four deployments", () => {
    const walk = [state("steady", 1), state("dual", 1), state("cutover", 1), state("finalize", 1), state("steady", 2)];
    walk.slice(1).forEach((s, i) => expect(checkTransition(walk[i], s)).toBeUndefined());
  });
});

describe("parseLifecycleState", () => {
  it("reads back what a stack recorded", () => {
    expect(
      parseLifecycleState(
        { rootPhase: "dual", rootGeneration: 2, intermediateGeneration: 3, nextRootParamsDigest: "x" },
        "w",
      ),
    ).toEqual({ rootPhase: "dual", rootGeneration: 2, intermediateGeneration: 3, nextRootParamsDigest: "x" });
  });

  it.each([
    [null],
    ["steady"],
    [{ rootPhase: "rotating", rootGeneration: 1, intermediateGeneration: 1 }],
    [{ rootPhase: "steady", rootGeneration: 0, intermediateGeneration: 1 }],
  ])("refuses %j naming where it came from", (raw) => {
    expect(() => parseLifecycleState(raw, "root stack org/p/root")).toThrow(
      /root stack org\/p\/root is not a lifecycle state/,
    );
  });
});
