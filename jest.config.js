/** Unit tier: runs the real program under Pulumi mocks; no CLI, cluster or network. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/test/e2e/"],
  // RSA-4096 generation and openssl calls make some suites take seconds.
  testTimeout: 120000,
  // Both cores: jest's default (cores - 1) runs one file at a time on a 2-core machine.
  maxWorkers: 2,
  // The Pulumi SDK's own stack captures skip source-map-support (test/harness/sdkStackTraces.ts).
  setupFilesAfterEnv: ["<rootDir>/test/harness/setupAfterEnv.ts"],
  // TypeScript and npm's Arborist, which @pulumi/pulumi loads on import, load at first use instead
  // (test/harness/deferred/load.js): each test file's own registry loaded them again.
  moduleNameMapper: {
    "^typescript$": "<rootDir>/test/harness/deferred/typescript.js",
    "^@npmcli/arborist$": "<rootDir>/test/harness/deferred/arborist.js",
    "^normalize-package-data$": "<rootDir>/test/harness/deferred/normalizePackageData.js",
  },
  // Transpile only: `npm test` type-checks the whole tree with tsc first; ts-jest checking each file
  // again in each worker cost ≈ 10 s of the tier.
  transform: { "^.+\\.ts$": ["ts-jest", { transpilation: true }] },
};
