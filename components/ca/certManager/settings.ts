import type { SettingsProblem } from "../../shared/settingsProblem";
import { DEFAULT_KEY, KeySpec } from "../certParams";

/**
 * The settings of the cert-manager backend, in the component's own terms: plain types, their
 * defaults, signer naming and the checks a `CertManagerCa` runs on its settings. The config schema
 * that produces them is in config/backends/certManager.ts.
 */

export const CERT_MANAGER_CHART_VERSION = "v1.21.2";
export const ISTIO_CSR_CHART_VERSION = "v0.17.0";
export const JETSTACK_CHARTS = "https://charts.jetstack.io";
/** Lifetime of a CA that cert-manager generates for a signer, in days. */
export const DEFAULT_SIGNER_VALIDITY_DAYS = 3650;

/**
 * How workload certificates get signed:
 * - `kubernetesCsr` (Istio's "Custom CA Integration using Kubernetes CSR" task): istiod is a
 *   registration authority that forwards workload CSRs through the Kubernetes CSR API, one signer per
 *   namespace;
 * - `istioCsr`: cert-manager's istio-csr replaces istiod's CA server and signs everything with one issuer.
 */
export type CertManagerMode = "kubernetesCsr" | "istioCsr";

/** A CA that cert-manager creates for a signer: self-signed bootstrap issuer, CA Certificate, CA issuer. */
export interface GeneratedCaSettings {
  /** The signer's name: the CA issuer's Kubernetes name (a DNS-1123 label). */
  readonly name: string;
  /** The CA certificate's common name. @default the signer name */
  readonly commonName?: string;
  /** The CA certificate's `O=` entries. @default none */
  readonly organizations?: readonly string[];
  /** The CA key; mapped to cert-manager's `privateKey.algorithm/size`. @default { algorithm: "RSA", rsaBits: 4096 } */
  readonly key?: KeySpec;
  /** Lifetime of the CA certificate in whole days, at least 2. @default 3650 */
  readonly validityDays?: number;
}

/** A self-signed CA behind a ClusterIssuer `<name>`. */
export interface SelfSignedCaSigner extends GeneratedCaSettings {
  readonly kind: "selfSignedCa";
}

/** A self-signed CA behind a namespaced Issuer `<namespace>/<name>`. */
export interface GeneratedIssuerSigner extends GeneratedCaSettings {
  readonly kind: "issuer";
  /** The Issuer's namespace; it must exist (or be one of the cluster's declared namespaces). */
  readonly namespace: string;
}

/** A ClusterIssuer someone else manages. */
export interface ExistingClusterIssuerSigner {
  readonly kind: "existingClusterIssuer";
  /** The ClusterIssuer's name. */
  readonly name: string;
  /** The issuer's CA certificate as PEM, which istiod and workloads must trust (never a key). */
  readonly caPem: string;
}

/** A namespaced Issuer `<namespace>/<name>` someone else manages. */
export interface ExistingIssuerSigner {
  readonly kind: "existingIssuer";
  /** The Issuer's name. */
  readonly name: string;
  /** The Issuer's namespace. */
  readonly namespace: string;
  /** The issuer's CA certificate as PEM, which istiod and workloads must trust (never a key). */
  readonly caPem: string;
}

/** One cert-manager issuer that signs workload certificates. */
export type SignerSettings =
  SelfSignedCaSigner | GeneratedIssuerSigner | ExistingClusterIssuerSigner | ExistingIssuerSigner;
/** A signer whose CA cert-manager generates. */
export type GeneratedSigner = SelfSignedCaSigner | GeneratedIssuerSigner;
/** A signer that is a namespaced Issuer (signer domain `issuers.cert-manager.io`). */
export type NamespacedSigner = GeneratedIssuerSigner | ExistingIssuerSigner;

/** The cert-manager installation (or the existing one the backend uses). */
export interface CertManagerInstallSettings {
  /**
   * false: use an existing cert-manager (in kubernetesCsr mode it must run with the
   * `ExperimentalCertificateSigningRequestControllers` feature gate).
   * @default true
   */
  readonly install?: boolean;
  /** cert-manager's namespace (also where ClusterIssuers' CA Secrets live). @default "cert-manager" */
  readonly namespace?: string;
  /** Create that namespace (only when installing). @default true */
  readonly createNamespace?: boolean;
  /** cert-manager chart version, a v1 release. @default CERT_MANAGER_CHART_VERSION */
  readonly version?: string;
  /** @default JETSTACK_CHARTS */
  readonly chartRepository?: string;
  /** Chart values merged last, over ours. @default {} */
  readonly values?: Readonly<Record<string, unknown>>;
}

/** istio-csr (mode `istioCsr` only). */
export interface IstioCsrSettings {
  /** istio-csr chart version. @default ISTIO_CSR_CHART_VERSION */
  readonly version?: string;
  /** @default JETSTACK_CHARTS */
  readonly chartRepository?: string;
  /** The mesh's trust domain; must equal Istio's when that is set. @default "cluster.local" */
  readonly trustDomain?: string;
  /** istiod revisions that get a serving certificate. @default [istioRevision ?? "default"] */
  readonly revisions?: readonly string[];
  /** Istio cluster ID istio-csr accepts CSRs from (istiod's default). @default "Kubernetes" */
  readonly clusterId?: string;
  /** Chart values merged last, over ours. @default {} */
  readonly values?: Readonly<Record<string, unknown>>;
}

/** What a `CertManagerCa` is asked to set up. */
export interface CertManagerCaSettings {
  /** See `CertManagerMode`. @default "kubernetesCsr" */
  readonly mode?: CertManagerMode;
  /**
   * The cert-manager installation. @default {} (install cert-manager CERT_MANAGER_CHART_VERSION into `cert-manager`)
   */
  readonly certManager?: CertManagerInstallSettings;
  /**
   * The issuers that sign workload certificates, at least one; unique names. In kubernetesCsr mode
   * they are all ClusterIssuers or all namespaced Issuers (istiod has one signer domain).
   * @example [{ kind: "selfSignedCa", name: "istio-system" }, { kind: "selfSignedCa", name: "foo" }]
   */
  readonly signers: readonly SignerSettings[];
  /** The signer of workloads in namespaces without a mapping, and of istiod itself. @default the first signer */
  readonly defaultSigner?: string;
  /**
   * Namespace → signer name; each becomes a ProxyConfig in that namespace (kubernetesCsr mode only).
   * @default {}
   * @example { foo: "foo", bar: "bar" }
   */
  readonly namespaceSigners?: Readonly<Record<string, string>>;
  /** istio-csr (mode `istioCsr` only). @default {} */
  readonly istioCsr?: IstioCsrSettings;
}

/**
 * The settings with every default applied: what `resolveCertManagerSettings` returns, and what the
 * config schema produces (config/backends/certManager.ts). `resolved` tells `CertManagerCa` that
 * `signerProblems` already found nothing, so it neither checks nor resolves them again.
 */
export interface ResolvedCertManagerSettings {
  readonly resolved: true;
  readonly mode: CertManagerMode;
  readonly certManager: Required<CertManagerInstallSettings>;
  readonly signers: readonly SignerSettings[];
  readonly defaultSigner: SignerSettings;
  readonly namespaceSigners: Readonly<Record<string, string>>;
  readonly istioCsr: Required<Omit<IstioCsrSettings, "revisions">> & Pick<IstioCsrSettings, "revisions">;
}

/**
 * The one place the defaults documented on `CertManagerCaSettings` are applied. Call after `signerProblems` found
 * nothing.
 */
export function resolveCertManagerSettings(s: CertManagerCaSettings): ResolvedCertManagerSettings {
  const cm = s.certManager ?? {};
  const csr = s.istioCsr ?? {};
  return {
    resolved: true,
    mode: s.mode ?? "kubernetesCsr",
    certManager: {
      install: cm.install ?? true,
      namespace: cm.namespace ?? "cert-manager",
      createNamespace: cm.createNamespace ?? true,
      version: cm.version ?? CERT_MANAGER_CHART_VERSION,
      chartRepository: cm.chartRepository ?? JETSTACK_CHARTS,
      values: cm.values ?? {},
    },
    signers: s.signers,
    defaultSigner: defaultSignerOf(s),
    namespaceSigners: s.namespaceSigners ?? {},
    istioCsr: {
      version: csr.version ?? ISTIO_CSR_CHART_VERSION,
      chartRepository: csr.chartRepository ?? JETSTACK_CHARTS,
      trustDomain: csr.trustDomain ?? "cluster.local",
      ...(csr.revisions !== undefined ? { revisions: csr.revisions } : {}),
      clusterId: csr.clusterId ?? "Kubernetes",
      values: csr.values ?? {},
    },
  };
}

/** A signer's key, default applied. */
export const signerKey = (s: GeneratedSigner): KeySpec => s.key ?? DEFAULT_KEY;
/** A signer's CA lifetime in days, default applied. */
export const signerValidityDays = (s: GeneratedSigner): number => s.validityDays ?? DEFAULT_SIGNER_VALIDITY_DAYS;

/** Whether a signer is a namespaced Issuer (signer domain `issuers.cert-manager.io`). */
export function isNamespaced(s: SignerSettings): s is NamespacedSigner {
  return s.kind === "issuer" || s.kind === "existingIssuer";
}

/** Whether cert-manager generates the signer's CA (bootstrap issuer, CA Certificate, CA issuer). */
export function isGenerated(s: SignerSettings): s is GeneratedSigner {
  return s.kind === "selfSignedCa" || s.kind === "issuer";
}

/** The signer's name as workloads ask for it (`ISTIO_META_CERT_SIGNER`): `<name>` or `<namespace>.<name>`. */
export function signerRef(s: SignerSettings): string {
  return isNamespaced(s) ? `${s.namespace}.${s.name}` : s.name;
}

export function signerDomain(s: SignerSettings): string {
  return isNamespaced(s) ? "issuers.cert-manager.io" : "clusterissuers.cert-manager.io";
}

/** The Kubernetes CSR signer name, e.g. `clusterissuers.cert-manager.io/foo`. */
export function signerName(s: SignerSettings): string {
  return `${signerDomain(s)}/${signerRef(s)}`;
}

/** The default signer: `defaultSigner`, else the first one. Call only on settings `signerProblems` accepts. */
export function defaultSignerOf<S extends SignerSettings>(s: {
  readonly signers: readonly S[];
  readonly defaultSigner?: string;
}): S {
  return s.signers.find((signer) => signer.name === s.defaultSigner) ?? s.signers[0];
}

/** A problem of the settings; `path` is relative to `CertManagerCaSettings`. */
export type { SettingsProblem } from "../../shared/settingsProblem";

/** Pure checks of the settings: duplicates, unknown references, combinations Istio cannot express. */
export function signerProblems(
  s: Pick<CertManagerCaSettings, "mode" | "signers" | "defaultSigner" | "namespaceSigners">,
): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  const mode = s.mode ?? "kubernetesCsr";
  const namespaceSigners = s.namespaceSigners ?? {};
  if (s.signers.length === 0) return [{ path: ["signers"], input: s.signers, message: "list at least one signer" }];
  const names = s.signers.map((signer) => signer.name);
  const declared = [...new Set(names)].join(", ");
  s.signers.forEach((signer, i) => {
    if (names.indexOf(signer.name) !== i) {
      problems.push({
        path: ["signers", i, "name"],
        input: signer.name,
        message: `duplicate signer ${JSON.stringify(signer.name)}; signer names must be unique`,
      });
    }
  });
  s.signers.forEach((signer, i) => {
    // A generated CA also creates `<name>-selfsigned`: it must not be another signer's issuer.
    if (isGenerated(signer) && names.includes(`${signer.name}-selfsigned`)) {
      problems.push({
        path: ["signers", i, "name"],
        input: signer.name,
        message: `signer ${JSON.stringify(signer.name)} creates a bootstrap issuer named ${JSON.stringify(`${signer.name}-selfsigned`)}, which is also a signer; rename one of them`,
      });
    }
  });
  if (s.defaultSigner !== undefined && !names.includes(s.defaultSigner)) {
    problems.push({
      path: ["defaultSigner"],
      input: s.defaultSigner,
      message: `signer ${JSON.stringify(s.defaultSigner)} is not declared in signers (declared: ${declared})`,
    });
  }
  for (const [namespace, signer] of Object.entries(namespaceSigners)) {
    if (!names.includes(signer)) {
      problems.push({
        path: ["namespaceSigners", namespace],
        input: signer,
        message: `signer ${JSON.stringify(signer)} is not declared in signers (declared: ${declared})`,
      });
    }
  }
  if (mode === "kubernetesCsr") {
    // istiod builds every signer name as CERT_SIGNER_DOMAIN + "/" + the proxy's signer: one domain per mesh.
    const first = s.signers[0];
    s.signers.forEach((signer, i) => {
      if (isNamespaced(signer) !== isNamespaced(first)) {
        problems.push({
          path: ["signers", i, "kind"],
          input: signer.kind,
          message: `kind ${signer.kind} mixes namespaced Issuers with ClusterIssuers; istiod has one CERT_SIGNER_DOMAIN, so use ${isNamespaced(first) ? "issuer or existingIssuer" : "selfSignedCa or existingClusterIssuer"} like signers[0]`,
        });
      }
    });
  } else if (Object.keys(namespaceSigners).length > 0) {
    problems.push({
      path: ["namespaceSigners"],
      input: namespaceSigners,
      message:
        "istio-csr signs every workload with one issuer; per-namespace signers need mode kubernetesCsr (or remove namespaceSigners)",
    });
  }
  return problems;
}

/**
 * istio-csr issues istiod's serving certificate in the Istio namespace, where a namespaced Issuer
 * elsewhere cannot be used. Returns why not, or undefined.
 */
export function istioCsrIssuerProblem(issuer: SignerSettings, istioNamespace: string): string | undefined {
  if (!isNamespaced(issuer) || issuer.namespace === istioNamespace) return undefined;
  return (
    `istio-csr issues istiod's certificate in the Istio namespace ${JSON.stringify(istioNamespace)}, where it cannot use an Issuer in ${JSON.stringify(issuer.namespace)}: ` +
    `put the Issuer in ${JSON.stringify(istioNamespace)} (kind ${issuer.kind}) or use a ClusterIssuer (kind selfSignedCa or existingClusterIssuer)`
  );
}
