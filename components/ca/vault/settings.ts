import type { SettingsProblem } from "../../shared/settingsProblem";
import {
  KeySpec,
  KeySpecInput,
  RootParams,
  Subject,
  intermediateOutlivesRoot,
  resolveKeySpec,
  resolveRootParams,
} from "../certParams";
import {
  ExpirySettings,
  IntermediateSource,
  RotationInput,
  RotationSettings,
  resolveExpiry,
  resolveIntermediateSource,
  resolveRotation,
} from "../lifecycle/settings";
import { AGENT_TLS_DIR } from "./agentTemplates";

/**
 * The settings of the HashiCorp Vault backend: where Vault is, how the root is held (in Vault, or
 * offline in this stack), the mounts, the KV copy of the key, Kubernetes auth and the vault-agent
 * injector. Plain types, and the one place of their defaults (`resolveVaultSettings`) and checks
 * (`vaultSettingsProblems`); the config schema (config/backends/vault.ts) checks their shape and
 * resolves through these.
 */

/** Vault durations as we accept them: digits and a unit, possibly repeated ("8760h", "30d", "1h30m"). */
export const VAULT_DURATION = /^(\d+[smhd])+$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Pure: seconds in a Vault duration (`"600s"` → 600); throws on anything else, naming the setting (`what`). */
export function durationSeconds(ttl: string, what = "duration"): number {
  if (!VAULT_DURATION.test(ttl))
    throw new Error(
      `${what}: not a Vault duration (whole numbers with s, m, h or d, e.g. 8760h or 1h30m): got ${JSON.stringify(ttl)}`,
    );
  let total = 0;
  for (const [, n, unit] of ttl.matchAll(/(\d+)([smhd])/g)) total += Number(n) * UNIT_SECONDS[unit];
  return total;
}

/** Where the root lives: generated and kept in Vault, or held offline by this stack's CA lifecycle. */
export const ROOT_MODES = ["internal", "offline"] as const;
export type VaultRootMode = (typeof ROOT_MODES)[number];

/**
 * Which JWT Vault sends to the TokenReview API to check istiod's login (see
 * `VaultKubernetesAuthSettings.tokenReviewer`).
 */
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
  /**
   * The intermediate's lifetime, a Vault duration; at most the root mount's max lease TTL (Vault would cut it
   * silently). @default "8760h"
   */
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

/**
 * Everything the Vault backend's components (`VaultPki`, `VaultCa`, `vaultProvider`) are built from,
 * every default applied: what `resolveVaultSettings` returns and the config schema produces.
 * `resolved` tells the components that `vaultSettingsProblems` already found nothing.
 */
export interface ResolvedVaultCaSettings {
  readonly resolved: true;
  /** The Vault API address (http or https URL), reachable from Pulumi and from the cluster. */
  readonly address: string;
  /** Vault Enterprise namespace. */
  readonly namespace?: string;
  /** The provider's token (a secret). Unset: the provider reads $VAULT_TOKEN. */
  readonly token?: string;
  /**
   * The provider normally works with a short-lived child token; skip that only if the token cannot create one. @default
   * false
   */
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
  /**
   * @default { install: false, namespace: "vault", chartVersion: "0.30.1", chartRepository:
   * "https://helm.releases.hashicorp.com" }
   */
  readonly injector: VaultInjectorSettings;
  /**
   * How often istiod's vault-agent reads the KV secret again (the pod annotation
   * `vault.hashicorp.com/template-static-secret-render-interval`, a duration like "30s" or "2m"): a
   * rotation written to Vault reaches istiod's files within it. Unset: the injector's own setting,
   * else vault-agent's default, 5 minutes.
   */
  readonly agentRenderInterval?: string;
  /**
   * Where vault-agent writes the four PEMs; also istiod's ROOT_CA_DIR, so the two cannot disagree. @default
   * "/vault/secrets"
   */
  readonly secretVolumePath: string;
  /**
   * Where the intermediate comes from (offline root only): signed here by the offline root, or
   * issued by a root CA stack. @default DEFAULT_INTERMEDIATE_SOURCE: { kind: "generate" }
   */
  readonly intermediateSource: IntermediateSource;
  /** Root and intermediate rotation of the offline root (its CA lifecycle). @default { restartDeployments: [] } */
  readonly rotation: RotationSettings;
  /**
   * Expiry guards on the CA certificates in use. @default DEFAULT_EXPIRY: { warnDays: 90, errorDays: 14,
   * acknowledge: [] }
   */
  readonly expiry: ExpirySettings;
}

/**
 * A root as given: `mode` and any of its settings (each @default as documented on the resolved type; a
 * key's size or curve as `resolveKeySpec` completes it).
 */
export type VaultRootInput =
  | (Partial<Omit<VaultInternalRoot, "mode" | "key">> & { readonly mode: "internal"; readonly key?: KeySpecInput })
  | (Partial<Omit<VaultOfflineRoot, "mode" | "key">> & { readonly mode: "offline"; readonly key?: KeySpecInput });

/**
 * The Vault backend's settings as a library user (or the config) gives them: every setting with a
 * documented `@default` (see `ResolvedVaultCaSettings` and the types of its parts) may be left out.
 */
export interface VaultCaSettings {
  readonly address: string;
  readonly namespace?: string;
  readonly token?: string;
  readonly skipChildToken?: boolean;
  readonly caCertFile?: string;
  readonly audit?: Partial<VaultAuditSettings>;
  /** @default { mode: "offline" } */
  readonly root?: VaultRootInput;
  readonly intermediate?: Partial<Omit<VaultIntermediateSettings, "key">> & { readonly key?: KeySpecInput };
  readonly kv?: Partial<VaultKvSettings>;
  readonly kubernetesAuth: Partial<VaultKubernetesAuthSettings> &
    Pick<VaultKubernetesAuthSettings, "host" | "caCertPem">;
  readonly agentTls?: Partial<VaultAgentTlsSettings>;
  readonly injector?: Partial<VaultInjectorSettings>;
  readonly agentRenderInterval?: string;
  readonly secretVolumePath?: string;
  /**
   * The CA lifecycle's settings (offline root only), as components/ca/lifecycle/settings.ts defines and
   * defaults them (`resolveIntermediateSource`, `resolveRotation`, `resolveExpiry`).
   */
  readonly intermediateSource?: IntermediateSource;
  readonly rotation?: RotationInput;
  readonly expiry?: Partial<ExpirySettings>;
}

/** `o` without its undefined entries: optional settings stay absent, as given. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The one place the Vault backend's defaults are applied. Call after `vaultSettingsProblems` found nothing. */
export function resolveVaultSettings(s: VaultCaSettings): ResolvedVaultCaSettings {
  const r = s.root ?? { mode: "offline" };
  const root: VaultRootSettings =
    r.mode === "internal"
      ? defined({
          mode: r.mode,
          mount: r.mount ?? "pki",
          maxLeaseTtl: r.maxLeaseTtl ?? "8760h",
          commonName: r.commonName ?? "Istio Root CA",
          organization: r.organization,
          ttl: r.ttl ?? "8760h",
          key: resolveKeySpec(r.key),
        })
      : {
          mode: r.mode,
          ...resolveRootParams({ key: r.key, validityDays: r.validityDays, subject: r.subject }),
          mount: r.mount ?? "pki",
          maxLeaseTtl: r.maxLeaseTtl ?? "8760h",
        };
  const i = s.intermediate ?? {};
  const kv = s.kv ?? {};
  const auth = s.kubernetesAuth;
  const audit = s.audit ?? {};
  const tls = s.agentTls ?? {};
  const injector = s.injector ?? {};
  return defined({
    resolved: true as const,
    address: s.address,
    namespace: s.namespace,
    token: s.token,
    skipChildToken: s.skipChildToken ?? false,
    caCertFile: s.caCertFile,
    audit: {
      enabled: audit.enabled ?? true,
      path: audit.path ?? "file",
      filePath: audit.filePath ?? "/vault/vault-audit.log",
    },
    root,
    intermediate: defined({
      mount: i.mount ?? "istioca",
      maxLeaseTtl: i.maxLeaseTtl ?? "43800h",
      ttl: i.ttl ?? "8760h",
      commonName: i.commonName ?? "Istio Intermediate Authority",
      subject: i.subject ?? {},
      key: resolveKeySpec(i.key),
      dnsNames: i.dnsNames,
    }),
    kv: {
      mount: kv.mount ?? "kv",
      path: kv.path ?? "istioca",
      version: kv.version ?? 2,
      createMount: kv.createMount ?? true,
    },
    kubernetesAuth: defined({
      path: auth.path ?? "kubernetes",
      host: auth.host,
      caCertPem: auth.caCertPem,
      role: auth.role ?? "istiod",
      serviceAccount: auth.serviceAccount,
      serviceAccountNamespace: auth.serviceAccountNamespace,
      policyName: auth.policyName ?? "istioca",
      tokenPeriod: auth.tokenPeriod ?? "600s",
      tokenReviewer: auth.tokenReviewer ?? "clientJwt",
      tokenReviewerJwt: auth.tokenReviewerJwt,
    }),
    agentTls: defined({
      caCertSecret: tls.caCertSecret,
      caCertKey: tls.caCertKey ?? "ca.crt",
      caCertPath: tls.caCertPath,
      serverName: tls.serverName,
    }),
    injector: {
      install: injector.install ?? false,
      namespace: injector.namespace ?? "vault",
      chartVersion: injector.chartVersion ?? "0.30.1",
      chartRepository: injector.chartRepository ?? "https://helm.releases.hashicorp.com",
    },
    agentRenderInterval: s.agentRenderInterval,
    secretVolumePath: s.secretVolumePath ?? "/vault/secrets",
    intermediateSource: resolveIntermediateSource(s.intermediateSource),
    rotation: resolveRotation(s.rotation),
    expiry: resolveExpiry(s.expiry),
  });
}

/** A problem of the settings; `path` is relative to `VaultCaSettings`. */
export type { SettingsProblem } from "../../shared/settingsProblem";

/**
 * Pure: the token reviewer settings fit together, and an https Vault with its own CA bundle
 * (`caCertFile`) also tells istiod's vault-agent how to verify it (otherwise vault-agent-init fails
 * TLS and istiod never starts). Never echoes a token.
 */
export function authAndTlsProblems(
  cfg: Pick<ResolvedVaultCaSettings, "address" | "caCertFile" | "kubernetesAuth" | "agentTls">,
): SettingsProblem[] {
  const out: SettingsProblem[] = [];
  const auth = cfg.kubernetesAuth;
  if (auth.tokenReviewer === "reviewerJwt" && !auth.tokenReviewerJwt) {
    out.push({
      path: ["kubernetesAuth", "tokenReviewerJwt"],
      message:
        "required with tokenReviewer reviewerJwt: a service account token allowed to create TokenReviews, set with `pulumi config set --secret --path 'istio-mesh-ca:ca.kubernetesAuth.tokenReviewerJwt'`",
    });
  }
  if (auth.tokenReviewerJwt && auth.tokenReviewer !== "reviewerJwt") {
    out.push({
      path: ["kubernetesAuth", "tokenReviewerJwt"],
      message: `only used with tokenReviewer reviewerJwt (tokenReviewer is ${auth.tokenReviewer}); set tokenReviewer: reviewerJwt or remove it (value not shown)`,
    });
  }
  const tls = cfg.agentTls;
  if (tls.caCertSecret && tls.caCertPath) {
    out.push({
      path: ["agentTls", "caCertPath"],
      input: tls.caCertPath,
      message: `set caCertSecret (mounted at ${AGENT_TLS_DIR}, ca-cert = ${AGENT_TLS_DIR}/<caCertKey>) or caCertPath, not both`,
    });
  }
  if (cfg.caCertFile && /^https:/.test(cfg.address) && !tls.caCertSecret && !tls.caCertPath) {
    out.push({
      path: ["caCertFile"],
      input: cfg.caCertFile,
      message:
        "Vault's CA bundle reaches only Pulumi's provider; istiod's vault-agent must verify Vault too, or vault-agent-init fails TLS: " +
        "set agentTls.caCertSecret (a Secret with that bundle in the Istio namespace, key agentTls.caCertKey, default ca.crt) or agentTls.caCertPath (a file in the istiod pod)",
    });
  }
  return out;
}

/** Pure: lifetimes that Vault would cut short, or an intermediate outliving its root. */
export function ttlProblems(cfg: Pick<ResolvedVaultCaSettings, "root" | "intermediate">): SettingsProblem[] {
  const out: SettingsProblem[] = [];
  const s = (ttl: string) => durationSeconds(ttl);
  const inter = cfg.intermediate;
  const ttls = [
    inter.ttl,
    inter.maxLeaseTtl,
    cfg.root.maxLeaseTtl,
    ...(cfg.root.mode === "internal" ? [cfg.root.ttl] : []),
  ];
  const malformed = ttls.filter((t) => !VAULT_DURATION.test(t));
  if (malformed.length > 0) {
    return [
      {
        path: [],
        input: malformed,
        message: `not Vault durations (digits followed by s, m, h or d, e.g. "8760h"): ${malformed.join(", ")}`,
      },
    ];
  }
  if (s(inter.ttl) > s(inter.maxLeaseTtl)) {
    out.push({
      path: ["intermediate", "ttl"],
      input: inter.ttl,
      message: `intermediate.ttl is longer than intermediate.maxLeaseTtl (${inter.maxLeaseTtl}); shorten it or raise the mount's max lease TTL`,
    });
  }
  if (cfg.root.mode === "internal") {
    const root = cfg.root;
    if (s(root.ttl) > s(root.maxLeaseTtl)) {
      out.push({
        path: ["root", "ttl"],
        input: root.ttl,
        message: `root.ttl is longer than root.maxLeaseTtl (${root.maxLeaseTtl}); Vault would cut it short`,
      });
    }
    // sign-intermediate on the root mount is capped by that mount's max lease TTL and the root's expiry.
    const cap = Math.min(s(root.ttl), s(root.maxLeaseTtl));
    if (s(inter.ttl) > cap) {
      out.push({
        path: ["intermediate", "ttl"],
        input: inter.ttl,
        message: `intermediate.ttl is longer than the root allows (${cap / 3600}h: root.ttl and root.maxLeaseTtl); an intermediate cannot outlive its root`,
      });
    }
  } else {
    const days = Math.ceil(s(inter.ttl) / 86400);
    const err = intermediateOutlivesRoot(cfg.root, { key: inter.key, validityDays: days, subject: {} });
    if (err)
      out.push({
        path: ["intermediate", "ttl"],
        input: inter.ttl,
        message: `intermediate.ttl (${days} days) is longer than root.validityDays (${cfg.root.validityDays}); an intermediate cannot outlive its root`,
      });
  }
  return out;
}

/** Pure checks of the settings, each with its path: lifetimes Vault would cut, the token reviewer, the agent's TLS. */
export function vaultSettingsProblems(s: VaultCaSettings | ResolvedVaultCaSettings): SettingsProblem[] {
  const resolved = "resolved" in s ? s : resolveVaultSettings(s);
  return [...ttlProblems(resolved), ...authAndTlsProblems(resolved)];
}
