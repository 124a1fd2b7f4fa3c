/**
 * E2E tier: the real Pulumi engine and a real kube-apiserver, both built from Go modules
 * (tools/build.sh). Run it through the wrapper, which builds/starts them and sets the env:
 *   npm run test:e2e     (= bash scripts/e2e/with-toolchain.sh npx jest --config jest.e2e.config.js)
 * See docs/e2e.md.
 */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test/e2e"],
  testMatch: ["**/*.test.ts"],
  // Files run in parallel, each jest worker on a control plane of its own (test/e2e/workerEnv.ts).
  // E2E_WORKERS=1 runs them one at a time on the wrapper's control plane.
  maxWorkers: Number(process.env.E2E_WORKERS ?? 2),
  setupFiles: ["<rootDir>/test/e2e/workerEnv.ts"],
  // Longest first, also on a fresh clone (no durations cached yet).
  testSequencer: "<rootDir>/test/e2e/sequencer.js",
  // `pulumi preview` runs take 10-30 s each on a loaded 2-core machine; RSA-4096 keys, CRDs.
  testTimeout: 600000,
  // As in the unit tier (jest.config.js): modules @pulumi/pulumi loads on import and these files never use
  // (the conductor's test imports the rotation scripts, which import the SDK) load at first use.
  moduleNameMapper: {
    "^typescript$": "<rootDir>/test/harness/deferred/typescript.js",
    "^@npmcli/arborist$": "<rootDir>/test/harness/deferred/arborist.js",
    "^normalize-package-data$": "<rootDir>/test/harness/deferred/normalizePackageData.js",
  },
  // Transpile only: CI's `npm test` (before this tier) type-checks these files with tsc; ts-jest checking
  // them again cost each worker a TypeScript program per file, on the two cores the stacks need.
  transform: { "^.+\\.ts$": ["ts-jest", { transpilation: true }] },
  // Each test's duration in the log: where the tier's time goes.
  verbose: true,
};
