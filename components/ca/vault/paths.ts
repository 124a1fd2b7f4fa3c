/**
 * The one Vault path istiod's agent reads, derived from the KV config. One place, so the policy and
 * the agent templates cannot drift apart.
 *
 * All four CA files come from one KV secret, written in one go (`ca-cert.pem`, `ca-key.pem`,
 * `cert-chain.pem`, `root-cert.pem`), never from the PKI mounts' `cert/ca`/`cert/ca_chain`: those
 * serve the mount's *default issuer*, which since Vault 1.11 (multi-issuer) need not be the issuer
 * just set-signed or imported (a rotated intermediate, a root cutover, `config/ca`), so istiod could
 * get a new key next to an old certificate. One KV version holds a matching certificate and key.
 */
export interface VaultReadPaths {
  /** `<kv mount>/<path>` (KV v1) or `<kv mount>/data/<path>` (KV v2): holds the four PEMs. */
  readonly caSecret: string;
  /** Whether `caSecret` is a KV v2 path (its data sits under `.Data.data`). */
  readonly kvV2: boolean;
}

export interface KvNames {
  readonly kvMount: string;
  readonly kvPath: string;
  readonly kvVersion: 1 | 2;
}

/** Pure: the read path from the KV mount, path and version. */
export function vaultReadPaths(m: KvNames): VaultReadPaths {
  return {
    caSecret: m.kvVersion === 2 ? `${m.kvMount}/data/${m.kvPath}` : `${m.kvMount}/${m.kvPath}`,
    kvV2: m.kvVersion === 2,
  };
}

/** Pure: the policy paths — the KV secret only; no PKI path (the agent reads nothing from the PKI mounts). */
export function policyPaths(p: VaultReadPaths): string[] {
  return [p.caSecret];
}

/** Pure: policy HCL granting `read` (nothing else) on exactly `paths`. */
export function readOnlyPolicy(paths: string[]): string {
  return paths.map((path) => `path ${JSON.stringify(path)} {\n  capabilities = ["read"]\n}\n`).join("\n");
}
