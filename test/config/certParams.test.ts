import * as fc from "fast-check";
import type * as CertParams from "../../components/ca/certParams";
import {
  KeySpec,
  KeySpecInput,
  resolveIntermediateParams,
  resolveKeySpec,
  resolveRootParams,
} from "../../components/ca/certParams";
import { intermediateParamsSchema, keySpecSchema, rootParamsSchema } from "../../config/certParams";
import { intermediateInput, keyInput, rootInput } from "../ca/certParamsInputs";

/**
 * config/certParams.ts checks the shape of the certificate parameters; their defaults are the
 * component's (components/ca/certParams.ts, test/ca/certParams.test.ts), applied through its resolvers.
 */

describe("the certificate parameter schemas produce what the resolvers do", () => {
  it("for every well-formed input, and for none", () => {
    fc.assert(
      fc.property(keyInput, rootInput, intermediateInput, (key, root, inter) => {
        expect(keySpecSchema.parse(key)).toEqual(resolveKeySpec(key));
        expect(rootParamsSchema.parse(root)).toEqual(resolveRootParams(root));
        expect(intermediateParamsSchema.parse(inter)).toEqual(resolveIntermediateParams(inter));
        // Present params under .unwrap() (lifecycleConfigFields.root/intermediate, rotation.newRoot) too.
        expect(rootParamsSchema.unwrap().optional().parse(root)).toEqual(resolveRootParams(root));
      }),
    );
    expect(rootParamsSchema.parse(undefined)).toEqual(resolveRootParams());
    expect(intermediateParamsSchema.parse(undefined)).toEqual(resolveIntermediateParams());
    // Absent stays absent where the schema is unwrapped (the root stack refusal depends on it).
    expect(rootParamsSchema.unwrap().optional().parse(undefined)).toBeUndefined();
    expect(intermediateParamsSchema.unwrap().optional().parse(undefined)).toBeUndefined();
  });

  it("still refuse weak keys and short lifetimes in their own words", () => {
    const issue = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
      r.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issue(keySpecSchema.safeParse({ algorithm: "RSA", rsaBits: 1024 }))).toEqual([
      "rsaBits: RSA keys must be 2048, 3072 or 4096 bits (weaker keys are refused)",
    ]);
    expect(issue(keySpecSchema.safeParse({ algorithm: "ECDSA", ecdsaCurve: "P224" }))).toEqual([
      "ecdsaCurve: ECDSA curves must be P256, P384 or P521 (P224 is refused)",
    ]);
    expect(issue(keySpecSchema.safeParse({ algorithm: "DSA" }))).toEqual(["algorithm: algorithm must be RSA or ECDSA"]);
    expect(issue(rootParamsSchema.safeParse({ validityDays: 1 }))).toEqual([
      "validityDays: must be at least 2 days (longer than the 24h workload certificate TTL)",
    ]);
  });
});

describe("one source: the schemas follow the component's resolvers", () => {
  const MODULE = "../../components/ca/certParams";
  afterEach(() => jest.dontMock(MODULE));

  it("a different default in the resolvers, and nothing else changed, is what the schemas produce", () => {
    // Resolvers with other defaults than the real ones: had a schema a default of its own, it would win.
    const key = (k?: KeySpecInput): KeySpec =>
      !k
        ? { algorithm: "ECDSA", ecdsaCurve: "P521" }
        : k.algorithm === "RSA"
          ? { algorithm: "RSA", rsaBits: k.rsaBits ?? 3072 }
          : { algorithm: "ECDSA", ecdsaCurve: k.ecdsaCurve ?? "P384" };
    jest.isolateModules(() => {
      jest.doMock(MODULE, () => ({
        ...jest.requireActual<typeof CertParams>(MODULE),
        resolveKeySpec: key,
        resolveRootParams: (p: CertParams.RootParamsInput = {}) => ({
          key: key(p.key),
          validityDays: p.validityDays ?? 1234,
          subject: p.subject ?? { organization: "root default" },
        }),
        resolveIntermediateParams: (p: CertParams.IntermediateParamsInput = {}) => ({
          key: key(p.key),
          validityDays: p.validityDays ?? 123,
          subject: p.subject ?? { organization: "intermediate default" },
        }),
      }));
      const schemas = require("../../config/certParams") as typeof import("../../config/certParams");
      expect(schemas.keySpecSchema.parse({ algorithm: "RSA" })).toEqual({ algorithm: "RSA", rsaBits: 3072 });
      expect(schemas.keySpecSchema.parse({ algorithm: "ECDSA" })).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P384" });
      expect(schemas.rootParamsSchema.parse(undefined)).toEqual({
        key: { algorithm: "ECDSA", ecdsaCurve: "P521" },
        validityDays: 1234,
        subject: { organization: "root default" },
      });
      expect(schemas.intermediateParamsSchema.parse({ key: { algorithm: "RSA" } })).toEqual({
        key: { algorithm: "RSA", rsaBits: 3072 },
        validityDays: 123,
        subject: { organization: "intermediate default" },
      });
    });
  });
});
