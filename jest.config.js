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
  transform: { "^.+\\.ts$": ["ts-jest", {}] },
};
