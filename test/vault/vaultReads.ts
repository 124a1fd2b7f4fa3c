import { ProgramRun, ofType } from "../harness/program";
import { T } from "./fakeVault";

/**
 * What Vault would answer to istiod's agent, derived from what the program WROTE into Vault:
 * PKI fetches return trimmed PEMs (`cert/ca_chain` joins the stored chain with "\n", as Vault's
 * path_fetch does); a KV v2 read nests the data under `data`. Keyed by the agent's read path.
 */
export function vaultReads(run: ProgramRun, opts: { rootMount: string; intermediateMount: string; rootPem: string }): Record<string, Record<string, unknown>> {
  const reads: Record<string, Record<string, unknown>> = {};
  const pems = (bundle: string) => bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];

  const setSigned = ofType(run, T.setSigned).find((r) => r.inputs.backend === opts.intermediateMount);
  if (setSigned) {
    const chain = pems(setSigned.inputs.certificate);
    reads[`${opts.intermediateMount}/cert/ca`] = { certificate: chain[0], revocation_time: 0 };
    reads[`${opts.intermediateMount}/cert/ca_chain`] = { certificate: chain.join("\n"), ca_chain: chain.join("\n"), revocation_time: 0 };
  }
  const imported = ofType(run, T.configCa).find((r) => r.inputs.backend === opts.rootMount);
  reads[`${opts.rootMount}/cert/ca`] = { certificate: imported ? pems(imported.inputs.pemBundle)[0] : opts.rootPem.trim(), revocation_time: 0 };

  for (const kv of ofType(run, T.kvV2)) {
    reads[`${kv.inputs.mount}/data/${kv.inputs.name}`] = { data: JSON.parse(kv.inputs.dataJson), metadata: { version: 1 } };
  }
  for (const kv of ofType(run, T.kvV1)) reads[kv.inputs.path] = JSON.parse(kv.inputs.dataJson);
  return reads;
}
