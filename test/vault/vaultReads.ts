import { ProgramRun, ofType } from "../harness/program";
import { T } from "./fakeVault";

/**
 * What Vault would answer to istiod's agent, derived from what the program WROTE into Vault: the KV
 * secrets only (a KV v2 read nests the data under `data`), keyed by the agent's read path. The PKI
 * mounts are left out on purpose: a template reading `cert/ca` or `cert/ca_chain` (the mount's
 * default issuer, possibly stale since Vault 1.11) fails the render instead of passing.
 */
export function vaultReads(run: ProgramRun): Record<string, Record<string, unknown>> {
  const reads: Record<string, Record<string, unknown>> = {};
  for (const kv of ofType(run, T.kvV2)) {
    reads[`${kv.inputs.mount}/data/${kv.inputs.name}`] = {
      data: JSON.parse(kv.inputs.dataJson),
      metadata: { version: 1 },
    };
  }
  for (const kv of ofType(run, T.kvV1)) reads[kv.inputs.path] = JSON.parse(kv.inputs.dataJson);
  return reads;
}
