import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import { isTypeOf, resourceArgs } from "./fakeArgs";

/**
 * The fake validation args recognise a resource class by its type token, as the policy SDK's server
 * does: `validateResourceOfType(tls.PrivateKey, …)` must apply to a `tls:index/privateKey:PrivateKey`.
 * If a provider SDK changes how a class carries its token, every policy written with
 * validateResourceOfType would silently stop applying in these tests; this fails instead.
 */
describe("fakeArgs", () => {
  it("isType matches a provider class to its type token, and nothing else", () => {
    expect(isTypeOf("tls:index/privateKey:PrivateKey")(tls.PrivateKey)).toBe(true);
    expect(isTypeOf("kubernetes:core/v1:Secret")(k8s.core.v1.Secret)).toBe(true);
    expect(isTypeOf("tls:index/privateKey:PrivateKey")(tls.SelfSignedCert)).toBe(false);
  });

  it("asType gives the props for the matching class only", () => {
    const args = resourceArgs({ type: "tls:index/privateKey:PrivateKey", props: { algorithm: "ECDSA" } });
    expect(args.asType(tls.PrivateKey)).toEqual({ algorithm: "ECDSA" });
    expect(args.asType(tls.SelfSignedCert)).toBeUndefined();
  });
});
