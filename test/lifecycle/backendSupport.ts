import * as path from "path";
import * as vm from "vm";
import { ROOT, RunOptions, runUnderMocks } from "../harness/program";
import { SELF, StackState } from "./support";

/**
 * StackReference answers (this stack's previous outputs, other stacks' outputs) on top of a backend's
 * own provider stand-in (fake Vault, Azure), for walking a backend's stack through lifecycle steps.
 */
export function withStackReferences(extraState: RunOptions["extraState"], previous: Record<string, unknown> | undefined,
  others: Record<string, StackState> = {}): NonNullable<RunOptions["extraState"]> {
  return (type, inputs) => {
    if (type !== "pulumi:pulumi:StackReference") return extraState?.(type, inputs);
    if (inputs.name === SELF) return { outputs: previous ?? {}, secretOutputNames: [] };
    const other = others[inputs.name];
    if (!other) throw new Error(`unexpected StackReference to ${inputs.name}`);
    return { outputs: other.outputs, secretOutputNames: other.secretOutputNames ?? [] };
  };
}

/** PEM certificates of a bundle, in order. */
export function pemsOf(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g)?.map((p) => (p.endsWith("\n") ? p : `${p}\n`)) ?? [];
}

/**
 * `refusal` (support.ts) with the backend's provider stand-in kept: runs a deployment expected to fail
 * inside an apply and resolves with the first error it raised (unhandled rejections collected meanwhile).
 */
export async function refusalWith(config: Record<string, unknown>, extraState: NonNullable<RunOptions["extraState"]>): Promise<Error | undefined> {
  const real = vm.runInThisContext("process") as NodeJS.Process;
  const saved = real.listeners("unhandledRejection");
  real.removeAllListeners("unhandledRejection");
  const errors: Error[] = [];
  const collect = (e: unknown) => { errors.push(e as Error); };
  real.on("unhandledRejection", collect);
  try {
    const run = await runUnderMocks(() => { require(path.join(ROOT, "index")); return {}; }, config, { extraState });
    await new Promise((r) => setTimeout(r, 50));
    return run.error ?? errors[0];
  } finally {
    real.off("unhandledRejection", collect);
    for (const l of saved) real.on("unhandledRejection", l as (...a: unknown[]) => void);
  }
}
