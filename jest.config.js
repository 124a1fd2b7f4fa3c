/** Unit tier: runs the real program under Pulumi mocks; no CLI, cluster or network. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/test/e2e/"],
  // RSA-4096 generation and openssl calls make some suites take seconds.
  testTimeout: 120000,
  transform: { "^.+\\.ts$": ["ts-jest", {}] },
};
