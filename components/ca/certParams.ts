/**
 * Certificate parameters shared by every backend that issues CA certificates with `@pulumi/tls`.
 * Defaults follow Istio's `tools/certs/common.mk`. Plain types, and the one place of their defaults
 * (`resolveKeySpec`, `resolveRootParams`, `resolveIntermediateParams`); the config schemas in
 * config/certParams.ts check the shape and resolve through these.
 */

/** A key we accept; weaker keys are refused outright (RSA < 2048, curves below P-256). */
export type KeySpec =
  | { readonly algorithm: "RSA"; /** Modulus size in bits. */ readonly rsaBits: 2048 | 3072 | 4096 }
  /** Always explicit: @pulumi/tls would otherwise default to P224. */
  | { readonly algorithm: "ECDSA"; readonly ecdsaCurve: "P256" | "P384" | "P521" };

/** A certificate subject; unset fields take the defaults of the certificate's role. */
export interface Subject {
  readonly commonName?: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly locality?: string;
  readonly province?: string;
  /** Two-letter ISO code. */
  readonly country?: string;
}

export interface RootParams {
  /** @default { algorithm: "RSA", rsaBits: 4096 } */
  readonly key: KeySpec;
  /** Whole days, at least 2. @default 3650 */
  readonly validityDays: number;
  /** @default { organization: "Istio", commonName: "Root CA" } */
  readonly subject: Subject;
}

export interface IntermediateParams {
  /** @default { algorithm: "RSA", rsaBits: 4096 } */
  readonly key: KeySpec;
  /** Whole days, at least 2, at most the root's. @default 730 */
  readonly validityDays: number;
  /**
   * Locality defaults to the cluster name, as `make <cluster>-cacerts` does. @default { organization: "Istio",
   * commonName: "Intermediate CA", locality: <cluster> }
   */
  readonly subject: Subject;
  /** @default ["istiod.<istio namespace>.svc"] */
  readonly dnsNames?: readonly string[];
}

/**
 * A key as given (by a library user or the config): the algorithm, and its size or curve when not the
 * default. `resolveKeySpec` completes it.
 */
export type KeySpecInput =
  | { readonly algorithm: "RSA"; /** @default 4096 */ readonly rsaBits?: 2048 | 3072 | 4096 }
  | { readonly algorithm: "ECDSA"; /** @default "P256" */ readonly ecdsaCurve?: "P256" | "P384" | "P521" };

/** Root parameters as given: any of them (each @default as documented on `RootParams`). */
export interface RootParamsInput {
  readonly key?: KeySpecInput;
  readonly validityDays?: number;
  readonly subject?: Subject;
}

/** Intermediate parameters as given: any of them (each @default as documented on `IntermediateParams`). */
export interface IntermediateParamsInput extends RootParamsInput {
  readonly dnsNames?: readonly string[];
}

/**
 * The defaults of the certificate parameters: the one place they are written. The config schemas
 * (config/certParams.ts) and every component apply them through the resolvers below.
 */
export const DEFAULT_RSA_BITS = 4096;
export const DEFAULT_ECDSA_CURVE = "P256";
export const DEFAULT_KEY: KeySpec = { algorithm: "RSA", rsaBits: DEFAULT_RSA_BITS };
export const DEFAULT_ROOT_PARAMS: RootParams = { key: DEFAULT_KEY, validityDays: 3650, subject: {} };
export const DEFAULT_INTERMEDIATE_PARAMS: IntermediateParams = { key: DEFAULT_KEY, validityDays: 730, subject: {} };

/** Pure: a key with its size or curve (the algorithm's default when not given); `DEFAULT_KEY` when none is given. */
export function resolveKeySpec(k?: KeySpecInput): KeySpec {
  if (!k) return DEFAULT_KEY;
  return k.algorithm === "RSA"
    ? { algorithm: "RSA", rsaBits: k.rsaBits ?? DEFAULT_RSA_BITS }
    : { algorithm: "ECDSA", ecdsaCurve: k.ecdsaCurve ?? DEFAULT_ECDSA_CURVE };
}

/** Pure: root parameters with every default applied (`DEFAULT_ROOT_PARAMS` when none are given). */
export function resolveRootParams(p: RootParamsInput = {}): RootParams {
  return {
    key: p.key ? resolveKeySpec(p.key) : DEFAULT_ROOT_PARAMS.key,
    validityDays: p.validityDays ?? DEFAULT_ROOT_PARAMS.validityDays,
    subject: p.subject ?? DEFAULT_ROOT_PARAMS.subject,
  };
}

/**
 * Pure: intermediate parameters with every default applied (`dnsNames` stays absent: its default
 * needs the cluster).
 */
export function resolveIntermediateParams(p: IntermediateParamsInput = {}): IntermediateParams {
  return {
    key: p.key ? resolveKeySpec(p.key) : DEFAULT_INTERMEDIATE_PARAMS.key,
    validityDays: p.validityDays ?? DEFAULT_INTERMEDIATE_PARAMS.validityDays,
    subject: p.subject ?? DEFAULT_INTERMEDIATE_PARAMS.subject,
    ...(p.dnsNames !== undefined ? { dnsNames: p.dnsNames } : {}),
  };
}

export const ROOT_SUBJECT_DEFAULTS = { organization: "Istio", commonName: "Root CA" } as const;
export const INTERMEDIATE_SUBJECT_DEFAULTS = { organization: "Istio", commonName: "Intermediate CA" } as const;

/** keyUsage of common.mk: digitalSignature, nonRepudiation, keyEncipherment, keyCertSign. */
export const CA_ALLOWED_USES = ["cert_signing", "digital_signature", "content_commitment", "key_encipherment"];

/**
 * Pure cross-field check: an intermediate must not outlive the root that signs it
 * (the chain would stop verifying before the intermediate expires). Returns an error or undefined.
 */
export function intermediateOutlivesRoot(root: RootParams, intermediate: IntermediateParams): string | undefined {
  if (intermediate.validityDays > root.validityDays) {
    return `intermediate.validityDays is ${intermediate.validityDays}, longer than root.validityDays (${root.validityDays}); an intermediate cannot outlive its root: shorten the intermediate or lengthen the root`;
  }
  return undefined;
}

/** Pure: what is wrong with a key, validity or subject, in the parameters' own terms (empty when fine). */
export function certParamsProblems(what: string, p: RootParams | IntermediateParams): string[] {
  const problems: string[] = [];
  const k = p.key as { algorithm: string; rsaBits?: number; ecdsaCurve?: string };
  if (k.algorithm === "RSA" && ![2048, 3072, 4096].includes(k.rsaBits as number)) {
    problems.push(`${what}.key.rsaBits: ${JSON.stringify(k.rsaBits)}; RSA keys must be 2048, 3072 or 4096 bits`);
  } else if (k.algorithm === "ECDSA" && !["P256", "P384", "P521"].includes(k.ecdsaCurve as string)) {
    problems.push(`${what}.key.ecdsaCurve: ${JSON.stringify(k.ecdsaCurve)}; curves must be P256, P384 or P521`);
  } else if (k.algorithm !== "RSA" && k.algorithm !== "ECDSA") {
    problems.push(`${what}.key.algorithm: ${JSON.stringify(k.algorithm)}; must be RSA or ECDSA`);
  }
  if (!Number.isInteger(p.validityDays) || p.validityDays < 2) {
    problems.push(
      `${what}.validityDays: ${JSON.stringify(p.validityDays)}; must be a whole number of days, at least 2 (longer than the 24h workload certificate TTL)`,
    );
  }
  if (p.subject.country !== undefined && p.subject.country.length !== 2) {
    problems.push(`${what}.subject.country: ${JSON.stringify(p.subject.country)}; must be a two-letter ISO code`);
  }
  return problems;
}
