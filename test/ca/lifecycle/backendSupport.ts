import { RunOptions } from "../../harness/program";
import { SELF, StackState, refusalUnder } from "./support";

/**
 * StackReference answers (this stack's previous outputs, other stacks' outputs) on top of a backend's
 * own provider stand-in (fake Vault, Azure), for walking a backend's stack through lifecycle steps.
 */
export function withStackReferences(
  extraState: RunOptions["extraState"],
  previous: Record<string, unknown> | undefined,
  others: Record<string, StackState> = {},
): NonNullable<RunOptions["extraState"]> {
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
  return (
    bundle
      .match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g)
      ?.map((p) => (p.endsWith("\n") ? p : `${p}\n`)) ?? []
  );
}

/**
 * `refusal` (support.ts) with the backend's provider stand-in kept: runs a deployment expected to fail
 * inside an apply and resolves with the first error it raised (unhandled rejections collected meanwhile).
 */
export async function refusalWith(
  config: Record<string, unknown>,
  extraState: NonNullable<RunOptions["extraState"]>,
): Promise<Error | undefined> {
  return refusalUnder(config, { extraState });
}
