/** Moved to ./provided/fixtures.ts; kept for the tests outside test/ca that still import it here. */
export * from "./provided/fixtures";
