/**
 * The e2e tier's order: the longest files first, so the two workers finish together. jest's own
 * order uses the durations of the last run on this machine; a fresh clone has none and gets file
 * size, which once started the rotation conductor (the longest file) twelve minutes into the tier.
 * Seconds each file takes alone on 2 cores (docs/e2e.md "Timings"). A file not listed here (a new
 * one, its cost unknown) runs first, then these, longest first.
 */
const path = require("path");
const Sequencer = require("@jest/test-sequencer").default;

const SECONDS = {
  "rotationConductor.test.ts": 525,
  "multiCluster.test.ts": 400,
  "vaultStack.test.ts": 270,
  "certManagerStack.test.ts": 180,
  "package.test.ts": 130,
  "faults.test.ts": 100,
  "localStack.test.ts": 100,
  "engine.test.ts": 85,
  "providedStack.test.ts": 85,
  "policyPackEngine.test.ts": 20,
  "policyPackServes.test.ts": 15,
};

class LongestFirst extends Sequencer {
  sort(tests) {
    const cost = (t) => SECONDS[path.basename(t.path)] ?? Infinity;
    return super
      .sort([...tests])
      .map((t, i) => [t, i])
      .sort(([a, i], [b, j]) => cost(b) - cost(a) || i - j)
      .map(([t]) => t);
  }
}

module.exports = LongestFirst;
