import * as fc from "fast-check";
import {
  DEFAULT_ECDSA_CURVE,
  DEFAULT_INTERMEDIATE_PARAMS,
  DEFAULT_KEY,
  DEFAULT_ROOT_PARAMS,
  DEFAULT_RSA_BITS,
  resolveIntermediateParams,
  resolveKeySpec,
  resolveRootParams,
} from "../../components/ca/certParams";
import { intermediateInput, keyInput, rootInput } from "./certParamsInputs";

/**
 * components/ca/certParams.ts owns the certificate parameters' defaults: its resolvers complete what a
 * library user or the config leaves out (the config schemas resolve through them:
 * test/config/certParams.test.ts).
 */

describe("resolveKeySpec (pure)", () => {
  it("gives Istio's common.mk key when none is given, and each algorithm its default size or curve", () => {
    expect(resolveKeySpec()).toEqual({ algorithm: "RSA", rsaBits: 4096 });
    expect(resolveKeySpec()).toBe(DEFAULT_KEY);
    expect(resolveKeySpec({ algorithm: "RSA" })).toEqual({ algorithm: "RSA", rsaBits: 4096 });
    expect(resolveKeySpec({ algorithm: "ECDSA" })).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
  });

  it("keeps a given size or curve, fills a missing one from the defaults, and is idempotent", () => {
    fc.assert(
      fc.property(keyInput, (k) => {
        const r = resolveKeySpec(k);
        expect(r.algorithm).toBe(k.algorithm);
        if (k.algorithm === "RSA" && r.algorithm === "RSA") expect(r.rsaBits).toBe(k.rsaBits ?? DEFAULT_RSA_BITS);
        if (k.algorithm === "ECDSA" && r.algorithm === "ECDSA")
          expect(r.ecdsaCurve).toBe(k.ecdsaCurve ?? DEFAULT_ECDSA_CURVE);
        expect(resolveKeySpec(r)).toEqual(r);
      }),
    );
  });
});

describe("resolveRootParams / resolveIntermediateParams (pure)", () => {
  it("give each role's defaults when nothing is given: RSA 4096, 3650 days for the root, 730 for intermediates", () => {
    expect(resolveRootParams()).toEqual({ key: { algorithm: "RSA", rsaBits: 4096 }, validityDays: 3650, subject: {} });
    expect(resolveRootParams({})).toEqual(DEFAULT_ROOT_PARAMS);
    expect(resolveIntermediateParams()).toEqual({
      key: { algorithm: "RSA", rsaBits: 4096 },
      validityDays: 730,
      subject: {},
    });
    expect(resolveIntermediateParams({})).toEqual(DEFAULT_INTERMEDIATE_PARAMS);
  });

  it("complete partial params: a key with its algorithm only, a lifetime only", () => {
    expect(resolveRootParams({ validityDays: 1000 })).toEqual({ ...DEFAULT_ROOT_PARAMS, validityDays: 1000 });
    expect(resolveIntermediateParams({ key: { algorithm: "ECDSA" }, dnsNames: ["istiod.x.svc"] })).toEqual({
      ...DEFAULT_INTERMEDIATE_PARAMS,
      key: { algorithm: "ECDSA", ecdsaCurve: "P256" },
      dnsNames: ["istiod.x.svc"],
    });
    // The SAN default needs the cluster: not set here.
    expect(resolveIntermediateParams({})).not.toHaveProperty("dnsNames");
  });

  it("keep every given parameter, take the role's default for each missing one, and are idempotent", () => {
    fc.assert(
      fc.property(rootInput, intermediateInput, (root, inter) => {
        const r = resolveRootParams(root);
        expect(r).toEqual({
          key: root.key ? resolveKeySpec(root.key) : DEFAULT_ROOT_PARAMS.key,
          validityDays: root.validityDays ?? DEFAULT_ROOT_PARAMS.validityDays,
          subject: root.subject ?? DEFAULT_ROOT_PARAMS.subject,
        });
        expect(resolveRootParams(r)).toEqual(r);
        const i = resolveIntermediateParams(inter);
        expect(i).toEqual({
          key: inter.key ? resolveKeySpec(inter.key) : DEFAULT_INTERMEDIATE_PARAMS.key,
          validityDays: inter.validityDays ?? DEFAULT_INTERMEDIATE_PARAMS.validityDays,
          subject: inter.subject ?? DEFAULT_INTERMEDIATE_PARAMS.subject,
          ...(inter.dnsNames ? { dnsNames: inter.dnsNames } : {}),
        });
        expect(resolveIntermediateParams(i)).toEqual(i);
      }),
    );
  });
});
