/**
 * The Vault paths istiod's agent reads, derived from the configured mounts. One place, so the
 * policy and the agent templates cannot drift apart.
 */
export interface VaultReadPaths {
  /** `<kv mount>/<path>` (KV v1) or `<kv mount>/data/<path>` (KV v2): holds `ca-key.pem`. */
  readonly keySecret: string;
  /** Whether `keySecret` is a KV v2 path (its data sits under `.Data.data`). */
  readonly kvV2: boolean;
  /** `<intermediate mount>/cert/ca`: the intermediate. */
  readonly intermediateCert: string;
  /** `<intermediate mount>/cert/ca_chain`: the intermediate, then the root. */
  readonly intermediateChain: string;
  /** `<root mount>/cert/ca`: the root. */
  readonly rootCert: string;
}

export interface MountNames {
  readonly rootMount: string;
  readonly intermediateMount: string;
  readonly kvMount: string;
  readonly kvPath: string;
  readonly kvVersion: 1 | 2;
}

/** Pure: read paths from mount names. */
export function vaultReadPaths(m: MountNames): VaultReadPaths {
  return {
    keySecret: m.kvVersion === 2 ? `${m.kvMount}/data/${m.kvPath}` : `${m.kvMount}/${m.kvPath}`,
    kvV2: m.kvVersion === 2,
    intermediateCert: `${m.intermediateMount}/cert/ca`,
    intermediateChain: `${m.intermediateMount}/cert/ca_chain`,
    rootCert: `${m.rootMount}/cert/ca`,
  };
}

/** Pure: the policy paths (the KV secret, the intermediate mount's certificates, the root certificate). */
export function policyPaths(p: VaultReadPaths, intermediateMount: string): string[] {
  return [p.keySecret, `${intermediateMount}/cert/*`, p.rootCert];
}

/** Pure: read-only policy HCL granting exactly `paths`. */
export function readOnlyPolicy(paths: string[]): string {
  return paths.map((path) => `path ${JSON.stringify(path)} {\n  capabilities = ["read", "list"]\n}\n`).join("\n");
}
