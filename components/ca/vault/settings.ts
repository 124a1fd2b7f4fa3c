import { KeySpec, RootParams, Subject } from "../certParams";
import { ExpirySettings, IntermediateSource, RotationSettings } from "../lifecycle/settings";

/**
 * The settings of the HashiCorp Vault backend: where Vault is, how the root is held (in Vault, or
 * offline in this stack), the mounts, the KV copy of the key, Kubernetes auth and the vault-agent
 * injector. Plain types and pure helpers; the config schema that produces them (and checks them
 * against each other) is config/backends/vault.ts.
 */

/** Vault durations as we accept them: digits and a unit, possibly repeated ("8760h", "30d", "1h30m"). */
export const VAULT_DURATION = /^(\d+[smhd])+$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Pure: seconds in a Vault duration (`"600s"` → 600); throws on anything else, naming the setting (`what`). */
export function durationSeconds(ttl: string, what = "duration"): number {
  if (!VAULT_DURATION.test(ttl)) throw new Error(`${what}: not a Vault duration (whole numbers with s, m, h or d, e.g. 8760h or 1h30m): got ${JSON.stringify(ttl)}`);
  let total = 0;
  for (const [, n, unit] of ttl.matchAll(/(\d+)([smhd])/g)) total += Number(n) * UNIT_SECONDS[unit];
  return total;
}

/** Where the root lives: generated and kept in Vault, or held offline by this stack's CA lifecycle. */
export const ROOT_MODES = ["internal", "offline"] as const;
export type VaultRootMode = (typeof ROOT_MODES)[number];

/** Which JWT Vault sends to the TokenReview API to check istiod's login (see `VaultKubernetesAuthSettings.tokenReviewer`). */
export const TOKEN_REVIEWERS = ["clientJwt", "vaultPod", "reviewerJwt"] as const;
export type TokenReviewer = (typeof TOKEN_REVIEWERS)[number];

/** Root generated and kept in Vault (`pki/root/generate/internal`): its key never leaves Vault. */
export interface VaultInternalRoot {
  readonly mode: "internal";
  /** The root's PKI mount. @default "pki" */
  readonly mount: string;
  /** The root mount's max lease TTL; Vault caps every certificate the mount signs at it. @default "8760h" */
  readonly maxLeaseTtl: string;
  /** @default "Istio Root CA" */
  readonly commonName: string;
  readonly organization?: string;
  /** The root's lifetime, a Vault duration; at most `maxLeaseTtl`. @default "8760h" */
  readonly ttl: string;
  /** @default { algorithm: "RSA", rsaBits: 4096 } */
  readonly key: KeySpec;
}

/**
 * Root kept out of Vault (the recommended mode): key, lifetime and subject as for every offline root
 * (`RootParams`); only its certificate is imported into `mount`.
 */
export interface VaultOfflineRoot extends RootParams {
  readonly mode: "offline";
  /** The PKI mount the root certificate is imported into. @default "pki" */
  readonly mount: string;
  /** The root mount's max lease TTL. @default "8760h" */
  readonly maxLeaseTtl: string;
}

/** How the root is held. @default { mode: "offline" } with its defaults */
export type VaultRootSettings = VaultInternalRoot | VaultOfflineRoot;

/** The intermediate istiod signs workload certificates with; its CSR comes from Vault's intermediate mount. */
export interface VaultIntermediateSettings {
  /** The intermediate's PKI mount. @default "istioca" */
  readonly mount: string;
  /** The intermediate mount's max lease TTL. @default "43800h" */
  readonly maxLeaseTtl: string;
  /** The intermediate's lifetime, a Vault duration; at most the root mount's max lease TTL (Vault would cut it silently). @default "8760h" */
  readonly ttl: string;
  /** @default "Istio Intermediate Authority" */
  readonly commonName: string;
  /** The rest of the subject (the common name is `commonName`). @default {} */
  readonly subject: Omit<Subject, "commonName">;
  /** @default { algorithm: "RSA", rsaBits: 4096 } */
  readonly key: KeySpec;
  /** Subject alternative names of the intermediate. */
  readonly dnsNames?: readonly string[];
}

/** Vault's file audit device, enabled first so that everything after it is logged. */
export interface VaultAuditSettings {
  /** Disable where a file audit device already exists. @default true */
  readonly enabled: boolean;
  /** @default "file" */
  readonly path: string;
  /** An absolute path on the Vault server. @default "/vault/vault-audit.log" */
  readonly filePath: string;
}

/** The KV secret holding istiod's four CA files (the only path istiod's agent may read). */
export interface VaultKvSettings {
  /** @default "kv" */
  readonly mount: string;
  /** @default "istioca" */
  readonly path: string;
  /** The KV secrets engine version. @default 2 */
  readonly version: 1 | 2;
  /** false when the KV mount already exists. @default true */
  readonly createMount: boolean;
}

/** Kubernetes auth: how istiod's vault-agent logs in to Vault. */
export interface VaultKubernetesAuthSettings {
  /** The auth mount's path (without `auth/`). @default "kubernetes" */
  readonly path: string;
  /** The cluster's API server as Vault reaches it, e.g. `https://10.0.0.1:6443`. */
  readonly host: string;
  /** The CA of the API server (public), PEM. */
  readonly caCertPem: string;
  /** The role istiod logs in with. @default "istiod" */
  readonly role: string;
  /**
   * istiod's service account. Default: what the istiod chart names it, `istiod`, or `istiod-<rev>`
   * with an Istio revision (older guides: `istiod-service-account`).
   */
  readonly serviceAccount?: string;
  /** The service account's namespace. Default: the Istio namespace. */
  readonly serviceAccountNamespace?: string;
  /** The read-only policy granted to the role. @default "istioca" */
  readonly policyName: string;
  /** The login token's period, a Vault duration. @default "600s" */
  readonly tokenPeriod: string;
  /**
   * Which JWT Vault sends to the TokenReview API to check istiod's login (never left to Vault's
   * implicit default: a Vault running in a pod would use its own pod's token, which the cluster
   * here may not know):
   * - `clientJwt`: istiod's own login JWT; `disable_local_ca_jwt` is set, and istiod's service
   *   account is allowed to create TokenReviews.
   * - `vaultPod`: Vault runs in a pod of this cluster and reviews with its own service account
   *   token (that account needs `system:auth-delegator`); `disable_local_ca_jwt` stays false.
   * - `reviewerJwt`: the token in `tokenReviewerJwt`, `disable_local_ca_jwt` set.
   * @default "clientJwt"
   */
  readonly tokenReviewer: TokenReviewer;
  /** With `tokenReviewer: reviewerJwt` only: a service account token allowed to create TokenReviews (a secret). */
  readonly tokenReviewerJwt?: string;
}

/**
 * How istiod's vault-agent verifies Vault's TLS certificate (`caCertFile` configures only Pulumi's
 * provider): a Secret in the Istio namespace the injector mounts at `AGENT_TLS_DIR`
 * (`vault.hashicorp.com/tls-secret`, with `ca-cert` pointing at its `caCertKey`), or a path that
 * already exists in the pod (`vault.hashicorp.com/ca-cert`). Not both.
 */
export interface VaultAgentTlsSettings {
  readonly caCertSecret?: string;
  /** The CA bundle's key in `caCertSecret`. @default "ca.crt" */
  readonly caCertKey: string;
  /** An absolute file path in the istiod pod. */
  readonly caCertPath?: string;
  /** For SNI and verification. */
  readonly serverName?: string;
}

/** HashiCorp's vault-agent injector (the `vault` chart with only the injector). */
export interface VaultInjectorSettings {
  /** Install HashiCorp's injector; false when the cluster already runs one. @default false */
  readonly install: boolean;
  /** @default "vault" */
  readonly namespace: string;
  /** @default "0.30.1" */
  readonly chartVersion: string;
  /** @default "https://helm.releases.hashicorp.com" */
  readonly chartRepository: string;
}

/** Everything the Vault backend's components (`VaultPki`, `VaultCa`, `vaultProvider`) are built from. */
export interface VaultCaSettings {
  /** The Vault API address (http or https URL), reachable from Pulumi and from the cluster. */
  readonly address: string;
  /** Vault Enterprise namespace. */
  readonly namespace?: string;
  /** The provider's token (a secret). Unset: the provider reads $VAULT_TOKEN. */
  readonly token?: string;
  /** The provider normally works with a short-lived child token; skip that only if the token cannot create one. @default false */
  readonly skipChildToken: boolean;
  /** CA bundle file that signs Vault's TLS certificate, if not in the system trust store (Pulumi's provider only). */
  readonly caCertFile?: string;
  /** @default { enabled: true, path: "file", filePath: "/vault/vault-audit.log" } */
  readonly audit: VaultAuditSettings;
  /** @default { mode: "offline" } with the offline root's defaults */
  readonly root: VaultRootSettings;
  /** @default every field's default */
  readonly intermediate: VaultIntermediateSettings;
  /** @default { mount: "kv", path: "istioca", version: 2, createMount: true } */
  readonly kv: VaultKvSettings;
  readonly kubernetesAuth: VaultKubernetesAuthSettings;
  /** @default { caCertKey: "ca.crt" } */
  readonly agentTls: VaultAgentTlsSettings;
  /** @default { install: false, namespace: "vault", chartVersion: "0.30.1", chartRepository: "https://helm.releases.hashicorp.com" } */
  readonly injector: VaultInjectorSettings;
  /**
   * How often istiod's vault-agent reads the KV secret again (the pod annotation
   * `vault.hashicorp.com/template-static-secret-render-interval`, a duration like "30s" or "2m"): a
   * rotation written to Vault reaches istiod's files within it. Unset: the injector's own setting,
   * else vault-agent's default, 5 minutes.
   */
  readonly agentRenderInterval?: string;
  /** Where vault-agent writes the four PEMs; also istiod's ROOT_CA_DIR, so the two cannot disagree. @default "/vault/secrets" */
  readonly secretVolumePath: string;
  /**
   * Where the intermediate comes from (offline root only): signed here by the offline root, or
   * issued by a root CA stack. @default { kind: "generate" }
   */
  readonly intermediateSource: IntermediateSource;
  /** Root and intermediate rotation of the offline root (its CA lifecycle). @default { restartDeployments: [] } */
  readonly rotation: RotationSettings;
  /** Expiry guards on the CA certificates in use. @default { warnDays: 90, errorDays: 14, acknowledge: [] } */
  readonly expiry: ExpirySettings;
}
