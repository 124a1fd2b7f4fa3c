import { z } from "zod";

/**
 * Certificate parameters shared by every backend that issues CA certificates with
 * `@pulumi/tls`. Defaults follow Istio's `tools/certs/common.mk`.
 */

/** Key algorithms we accept; weaker keys are refused outright (RSA < 2048, curves below P-256). */
export const keySpecSchema = z.discriminatedUnion("algorithm", [
  z.strictObject({
    algorithm: z.literal("RSA"),
    /** RSA modulus size in bits. */
    rsaBits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)], {
      error: "RSA keys must be 2048, 3072 or 4096 bits (weaker keys are refused)",
    }).default(4096),
  }),
  z.strictObject({
    algorithm: z.literal("ECDSA"),
    /** Always explicit: @pulumi/tls would otherwise default to P224. */
    ecdsaCurve: z.enum(["P256", "P384", "P521"], {
      error: "ECDSA curves must be P256, P384 or P521 (P224 is refused)",
    }).default("P256"),
  }),
], { error: (iss) => iss.code === "invalid_union" ? "algorithm must be RSA or ECDSA" : undefined });
export type KeySpec = z.infer<typeof keySpecSchema>;

export const subjectSchema = z.strictObject({
  commonName: z.string().min(1).optional(),
  organization: z.string().min(1).optional(),
  organizationalUnit: z.string().min(1).optional(),
  locality: z.string().min(1).optional(),
  province: z.string().min(1).optional(),
  country: z.string().length(2, "country must be a two-letter ISO code").optional(),
});
export type Subject = z.infer<typeof subjectSchema>;

/** Lifetimes are whole days; a CA certificate shorter than the 1-day workload TTL is useless. */
const validityDays = z.number().int("must be a whole number of days").min(2, "must be at least 2 days (longer than the 24h workload certificate TTL)");

const defaultRsa4096: KeySpec = { algorithm: "RSA", rsaBits: 4096 };

export const rootParamsSchema = z.strictObject({
  key: keySpecSchema.default(defaultRsa4096),
  validityDays: validityDays.default(3650),
  subject: subjectSchema.prefault({}),
}).prefault({});
export type RootParams = z.infer<typeof rootParamsSchema>;

export const intermediateParamsSchema = z.strictObject({
  key: keySpecSchema.default(defaultRsa4096),
  validityDays: validityDays.default(730),
  /** Locality defaults to the cluster name, as `make <cluster>-cacerts` does. */
  subject: subjectSchema.prefault({}),
  /** Defaults to `istiod.<istio namespace>.svc`. */
  dnsNames: z.array(z.string().min(1)).optional(),
}).prefault({});
export type IntermediateParams = z.infer<typeof intermediateParamsSchema>;

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
