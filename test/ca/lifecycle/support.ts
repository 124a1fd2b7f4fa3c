import * as crypto from "crypto";
import * as vm from "vm";
import * as path from "path";
import { ProgramRun, ROOT, RunOptions, byName, runProgram, runUnderMocks, stackConfig } from "../../harness/program";

/** Helpers for walking a stack through lifecycle steps under mocks. */

export const SELF = "organization/istio-mesh-ca/test";
export const EC = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;

export const ROOT_STACK = "organization/istio-mesh-ca/root";

/** The example root stack config (Pulumi.root.yaml) with fast keys. */
export function rootConfig(rotation: Record<string, unknown> = {}): Record<string, unknown> {
  const cfg = stackConfig("root") as { rootCa: Record<string, any> };
  return {
    rootCa: {
      ...cfg.rootCa,
      root: { ...cfg.rootCa.root, key: EC },
      intermediate: { ...cfg.rootCa.intermediate, key: EC },
      rotation: { ...cfg.rootCa.rotation, ...rotation },
    },
  };
}

/** A root stack's outputs as another stack's StackReference sees them. */
export const asReference = (run: ProgramRun) => ({ outputs: run.outputs, secretOutputNames: ["intermediateKeys"] });

/** A one-cluster mesh stack with the self-signed backend and fast keys. */
export function meshConfig(
  rotation: Record<string, unknown> = {},
  extraCa: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    clusters: [{ name: "cluster-a" }],
    ca: { backend: "selfSigned", root: { key: EC }, intermediate: { key: EC }, rotation, ...extraCa },
  };
}

/**
 * Runs the program as the next deployment of a stack whose last deployment exported `previous`
 * (undefined: a new stack without outputs). `others` answers StackReferences to other stacks.
 */
export function deploy(
  config: Record<string, unknown>,
  previous: Record<string, unknown> | undefined,
  others: Record<string, StackState> = {},
  opts: RunOptions = {},
): Promise<ProgramRun> {
  return runProgram(config, { ...opts, extraState: stackReferences(previous, others) });
}

/** What a StackReference to another stack reads. */
export interface StackState {
  outputs: Record<string, unknown>;
  secretOutputNames?: string[];
}

/** StackReference state: this stack's previous outputs, or another stack's. */
function stackReferences(
  previous: Record<string, unknown> | undefined,
  others: Record<string, StackState>,
): RunOptions["extraState"] {
  return (type, inputs) => {
    if (type !== "pulumi:pulumi:StackReference") return undefined;
    if (inputs.name === SELF) return { outputs: previous ?? {}, secretOutputNames: [] };
    const other = others[inputs.name];
    if (!other) throw new Error(`unexpected StackReference to ${inputs.name}`);
    return { outputs: other.outputs, secretOutputNames: other.secretOutputNames ?? [] };
  };
}

/**
 * Names of resources added, removed and changed (inputs differ) between two runs (remote components such as Helm charts
 * included).
 */
export function changes(
  before: ProgramRun,
  after: ProgramRun,
): { added: string[]; removed: string[]; changed: string[] } {
  const index = (r: ProgramRun) => new Map(r.resources.map((x) => [x.name, JSON.stringify(x.inputs)]));
  const a = index(before);
  const b = index(after);
  return {
    added: [...b.keys()].filter((n) => !a.has(n)).sort(),
    removed: [...a.keys()].filter((n) => !b.has(n)).sort(),
    changed: [...b.keys()].filter((n) => a.has(n) && a.get(n) !== b.get(n)).sort(),
  };
}

/** The cacerts Secret's data in a run. */
export function cacerts(run: ProgramRun, cluster = "cluster-a"): Record<string, string> {
  return byName(run, `${cluster}-istio-cacerts-secret`).inputs.stringData;
}

/** The intermediate a run issued (certificate from cacerts, key from its CSR's inputs). */
export function issuedIntermediate(
  run: ProgramRun,
  resourceName: string,
  cluster = "cluster-a",
): { cert: string; key: string } {
  return { cert: cacerts(run, cluster)["ca-cert.pem"], key: byName(run, `${resourceName}-csr`).inputs.privateKeyPem };
}

export function subjects(bundle: string): string[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((p) =>
    new crypto.X509Certificate(p).subject.replace(/\n/g, ", "),
  );
}

export function fingerprint(pem: string): string {
  return new crypto.X509Certificate(pem).fingerprint256;
}

/**
 * Runs a deployment expected to fail inside an apply — how a refusal that depends on a previous
 * deployment's outputs fails `pulumi preview` — and resolves with the first error it raised.
 * Stack outputs are not awaited (a refused run never resolves them), so the run completes; while it
 * runs, unhandled rejections are collected here instead of failing the test.
 */
export async function refusal(
  config: Record<string, unknown>,
  previous: Record<string, unknown> | undefined,
  others: Record<string, StackState> = {},
  opts: RunOptions = {},
): Promise<Error | undefined> {
  return refusalUnder(config, { ...opts, extraState: stackReferences(previous, others) });
}

/** Runs index.ts expecting a refusal inside an apply; resolves with the first error it raised. */
export async function refusalUnder(config: Record<string, unknown>, opts: RunOptions): Promise<Error | undefined> {
  return refusalOf(
    () => {
      require(path.join(ROOT, "index"));
      return {};
    },
    config,
    opts,
  );
}

/**
 * Runs `entry` under mocks (see runUnderMocks) expecting a refusal inside an apply; resolves with the first error it
 * raised.
 */
export async function refusalOf(
  entry: () => Record<string, unknown>,
  config: Record<string, unknown>,
  opts: RunOptions = {},
): Promise<Error | undefined> {
  // Jest gives tests a copy of `process`; rejections are reported on the real one.
  const real = vm.runInThisContext("process") as NodeJS.Process;
  const saved = real.listeners("unhandledRejection");
  real.removeAllListeners("unhandledRejection");
  const errors: Error[] = [];
  const collect = (e: unknown) => {
    errors.push(e as Error);
  };
  real.on("unhandledRejection", collect);
  try {
    const run = await runUnderMocks(entry, config, opts);
    await new Promise((r) => setTimeout(r, 50));
    return run.error ?? errors[0];
  } finally {
    real.off("unhandledRejection", collect);
    for (const l of saved) real.on("unhandledRejection", l as (...a: unknown[]) => void);
  }
}

/** The rotation walk every backend's rotation test follows. */
export function rotationSteps(
  newRoot: Record<string, unknown>,
): { label: string; rotation: Record<string, unknown>; root?: Record<string, unknown> }[] {
  return [
    { label: "steady", rotation: {} },
    { label: "intermediate generation 2", rotation: { intermediateGeneration: 2 } },
    { label: "dual", rotation: { intermediateGeneration: 2, rootPhase: "dual", newRoot } },
    { label: "cutover", rotation: { intermediateGeneration: 2, rootPhase: "cutover", newRoot } },
    { label: "finalize", rotation: { intermediateGeneration: 2, rootPhase: "finalize", newRoot } },
    { label: "steady, root generation 2", rotation: { intermediateGeneration: 2, rootGeneration: 2 }, root: newRoot },
  ];
}
