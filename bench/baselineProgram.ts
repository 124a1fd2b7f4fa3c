import * as k8s from "@pulumi/kubernetes";

// The plain program a scenario is compared with: same SDK, same mocks, same process setup, and as
// many plain resources as the scenario registers (BENCH_BASELINE_COUNT, set by bench/run.ts; one
// Namespace each), so the ratio is the cost of our program per resource, not of resources as such.
const count = Math.max(1, Number(process.env.BENCH_BASELINE_COUNT ?? "1"));
export const namespaces = Array.from(
  { length: count },
  (_, i) => new k8s.core.v1.Namespace(`baseline-${i}`, { metadata: { name: `baseline-${i}` } }).metadata.name,
);
