import * as fc from "fast-check";
import { IntermediateParamsInput, KeySpecInput, RootParamsInput } from "../../components/ca/certParams";

/** Arbitrary well-formed certificate parameters as a user gives them: any field may be left out. */

export const keyInput: fc.Arbitrary<KeySpecInput> = fc.oneof(
  fc.record(
    { algorithm: fc.constant("RSA" as const), rsaBits: fc.constantFrom(2048 as const, 3072 as const, 4096 as const) },
    { requiredKeys: ["algorithm"] },
  ),
  fc.record(
    {
      algorithm: fc.constant("ECDSA" as const),
      ecdsaCurve: fc.constantFrom("P256" as const, "P384" as const, "P521" as const),
    },
    { requiredKeys: ["algorithm"] },
  ),
);
const subject = fc.record(
  {
    commonName: fc.string({ minLength: 1, maxLength: 8 }),
    organization: fc.string({ minLength: 1, maxLength: 8 }),
    locality: fc.string({ minLength: 1, maxLength: 8 }),
    country: fc.constantFrom("DE", "US"),
  },
  { requiredKeys: [] },
);
export const rootInput: fc.Arbitrary<RootParamsInput> = fc.record(
  { key: keyInput, validityDays: fc.integer({ min: 2, max: 20_000 }), subject },
  { requiredKeys: [] },
);
export const intermediateInput: fc.Arbitrary<IntermediateParamsInput> = fc.record(
  {
    key: keyInput,
    validityDays: fc.integer({ min: 2, max: 20_000 }),
    subject,
    dnsNames: fc.array(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
