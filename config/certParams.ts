import { z } from "zod";
import {
  IntermediateParams,
  KeySpec,
  RootParams,
  Subject,
  resolveIntermediateParams,
  resolveKeySpec,
  resolveRootParams,
} from "../components/ca/certParams";
import { conforms } from "./conforms";

/**
 * Config schemas of the certificate parameters. Shape only: components/ca/certParams.ts has the types
 * and the defaults, which these apply through its resolvers (an absent `root` or `intermediate` is `{}`,
 * which the resolver completes; `.unwrap()` gives the schema of a present one, absent staying absent).
 */

export const keySpecSchema = conforms<KeySpec>()(
  z
    .discriminatedUnion(
      "algorithm",
      [
        z.strictObject({
          algorithm: z.literal("RSA"),
          rsaBits: z
            .union([z.literal(2048), z.literal(3072), z.literal(4096)], {
              error: "RSA keys must be 2048, 3072 or 4096 bits (weaker keys are refused)",
            })
            .optional(),
        }),
        z.strictObject({
          algorithm: z.literal("ECDSA"),
          ecdsaCurve: z
            .enum(["P256", "P384", "P521"], {
              error: "ECDSA curves must be P256, P384 or P521 (P224 is refused)",
            })
            .optional(),
        }),
      ],
      { error: (iss) => (iss.code === "invalid_union" ? "algorithm must be RSA or ECDSA" : undefined) },
    )
    .transform(resolveKeySpec),
);

export const subjectSchema = conforms<Subject>()(
  z.strictObject({
    commonName: z.string().min(1).optional(),
    organization: z.string().min(1).optional(),
    organizationalUnit: z.string().min(1).optional(),
    locality: z.string().min(1).optional(),
    province: z.string().min(1).optional(),
    country: z.string().length(2, "country must be a two-letter ISO code").optional(),
  }),
);

/** Lifetimes are whole days; a CA certificate shorter than the 1-day workload TTL is useless. */
export const validityDaysSchema = z
  .number()
  .int("must be a whole number of days")
  .min(2, "must be at least 2 days (longer than the 24h workload certificate TTL)");

export const rootParamsSchema = conforms<RootParams>()(
  z
    .strictObject({
      key: keySpecSchema.optional(),
      validityDays: validityDaysSchema.optional(),
      subject: subjectSchema.optional(),
    })
    .transform(resolveRootParams)
    .prefault({}),
);

export const intermediateParamsSchema = conforms<IntermediateParams>()(
  z
    .strictObject({
      key: keySpecSchema.optional(),
      validityDays: validityDaysSchema.optional(),
      /** Locality defaults to the cluster name, as `make <cluster>-cacerts` does. */
      subject: subjectSchema.optional(),
      /** Defaults to `istiod.<istio namespace>.svc`. */
      dnsNames: z.array(z.string().min(1)).optional(),
    })
    .transform(resolveIntermediateParams)
    .prefault({}),
);
