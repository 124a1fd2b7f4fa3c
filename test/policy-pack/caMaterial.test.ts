import { X509Certificate } from "crypto";
import {
  encodedPathLength,
  intermediatePathLength,
  intermediateWithinRootPolicy,
  tlsKeyStrength,
} from "../../policy-pack/policies/caMaterial";
import { opensslChain } from "../harness/openssl";
import { policyResource, stackViolations, violations } from "./fakeArgs";

const KEY = "tls:index/privateKey:PrivateKey";
const LSC = "tls:index/locallySignedCert:LocallySignedCert";
const SSC = "tls:index/selfSignedCert:SelfSignedCert";

describe("tls-key-strength", () => {
  it.each([
    [{ algorithm: "RSA", rsaBits: 4096 }, 0],
    [{ algorithm: "RSA", rsaBits: 2048 }, 0],
    [{ algorithm: "RSA" }, 0], // provider default 2048
    [{ algorithm: "RSA", rsaBits: 1024 }, 1],
    [{ algorithm: "ECDSA", ecdsaCurve: "P256" }, 0],
    [{ algorithm: "ECDSA", ecdsaCurve: "P224" }, 1],
    [{ algorithm: "ECDSA" }, 1], // provider default P224
    [{ algorithm: "ED25519" }, 0],
  ])("%j -> %d violation(s)", async (props, count) => {
    expect(await violations(tlsKeyStrength, { type: KEY, props })).toHaveLength(count);
  });

  it("applies a stricter configured minimum", async () => {
    expect(
      await violations(tlsKeyStrength, { type: KEY, props: { algorithm: "RSA", rsaBits: 2048 } }, { minRsaBits: 3072 }),
    ).toHaveLength(1);
  });
});

describe("ca-intermediate-path-length", () => {
  const cert = (props: Record<string, unknown>) => ({ type: LSC, props: { validityPeriodHours: 24, ...props } });
  const strict = { allowUnconstrained: false };

  it("knows what @pulumi/tls encodes: only maxPathLength >= 1 (0, -1 and unset give no pathlen)", () => {
    expect([undefined, -1, 0, 1, 2].map(encodedPathLength)).toEqual([undefined, undefined, undefined, 1, 2]);
  });
  it("ignores leaf certificates", async () => {
    expect(await violations(intermediatePathLength, cert({ isCaCertificate: false, maxPathLength: 5 }))).toEqual([]);
    expect(await violations(intermediatePathLength, cert({}))).toEqual([]);
  });
  it("by default tolerates unconstrained intermediates (tls cannot do pathlen:0) and accepts pathlen:1, the tightest it can", async () => {
    for (const maxPathLength of [undefined, -1, 0, 1]) {
      expect(await violations(intermediatePathLength, cert({ isCaCertificate: true, maxPathLength }))).toEqual([]);
    }
  });
  it("refuses an encoded constraint looser than allowed", async () => {
    expect(await violations(intermediatePathLength, cert({ isCaCertificate: true, maxPathLength: 2 }))).toEqual([
      expect.stringMatching(/path length 2; at most 1/),
    ]);
    expect(
      await violations(intermediatePathLength, cert({ isCaCertificate: true, maxPathLength: 2 }), { maxPathLength: 2 }),
    ).toEqual([]);
  });
  it("with allowUnconstrained false, refuses maxPathLength 0 / -1 / unset as unconstrained, saying 0 is not encoded", async () => {
    expect(await violations(intermediatePathLength, cert({ isCaCertificate: true, maxPathLength: 0 }), strict)).toEqual(
      [
        expect.stringMatching(
          /without a path length constraint \(maxPathLength 0 is not encoded; @pulumi\/tls cannot encode pathlen:0/,
        ),
      ],
    );
    expect(
      await violations(intermediatePathLength, cert({ isCaCertificate: true, maxPathLength: -1 }), strict),
    ).toHaveLength(1);
    expect(await violations(intermediatePathLength, cert({ isCaCertificate: true }), strict)).toEqual([
      expect.stringMatching(/maxPathLength unset/),
    ]);
    expect(await violations(intermediatePathLength, cert({ isCaCertificate: true, maxPathLength: 1 }), strict)).toEqual(
      [],
    );
  });
  it("with maxPathLength 0 and allowUnconstrained false, no tls-made intermediate passes", async () => {
    const none = { maxPathLength: 0, allowUnconstrained: false };
    expect(await violations(intermediatePathLength, cert({ isCaCertificate: true, maxPathLength: 0 }), none)).toEqual([
      expect.stringMatching(/Issue the intermediate where pathlen:0 can be set/),
    ]);
    expect(await violations(intermediatePathLength, cert({ isCaCertificate: true, maxPathLength: 1 }), none)).toEqual([
      expect.stringMatching(/path length 1; at most 0 allowed \(and @pulumi\/tls cannot encode pathlen:0/),
    ]);
  });
});

/** A root valid for `rootDays`, and an intermediate it signs valid for `interDays`, with openssl. */
function realChain(rootDays: number, interDays: number): { rootPem: string; interPem: string; interEnd: string } {
  const { ssl, rootPem, interPem } = opensslChain({ rootDays, interDays, interSubj: "/O=Istio/CN=Intermediate CA" });
  ssl.cleanup();
  return { rootPem, interPem, interEnd: new Date(new X509Certificate(interPem).validTo).toISOString() };
}

describe("ca-intermediate-within-root (stack)", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const policy = intermediateWithinRootPolicy(() => now);

  it("refuses an existing intermediate that outlives the root PEM that signed it", async () => {
    const c = realChain(10, 20);
    const root = policyResource({ type: SSC, name: "root", props: { certPem: c.rootPem, validityPeriodHours: 240 } });
    const inter = policyResource({
      type: LSC,
      name: "inter",
      props: {
        isCaCertificate: true,
        caCertPem: c.rootPem,
        certPem: c.interPem,
        validityEndTime: c.interEnd,
        validityPeriodHours: 480,
      },
    });
    const v = await stackViolations(policy, [root, inter]);
    expect(v).toHaveLength(1);
    expect(v[0].urn).toBe(inter.urn);
    expect(v[0].message).toMatch(/after its issuer root expires/);
  });

  it("accepts an intermediate that ends before its root", async () => {
    const c = realChain(20, 10);
    const inter = policyResource({
      type: LSC,
      name: "inter",
      props: { isCaCertificate: true, caCertPem: c.rootPem, validityEndTime: c.interEnd },
    });
    expect(await stackViolations(policy, [inter])).toEqual([]);
  });

  it("on a first preview (PEMs unknown) compares planned lifetimes through the property dependency", async () => {
    const root = policyResource({ type: SSC, name: "root", props: { validityPeriodHours: 24 * 365 } });
    const tooLong = policyResource({
      type: LSC,
      name: "inter",
      props: { isCaCertificate: true, validityPeriodHours: 24 * 730 },
      propertyDependencies: { caCertPem: [root] },
    });
    const fine = policyResource({
      type: LSC,
      name: "inter2",
      props: { isCaCertificate: true, validityPeriodHours: 24 * 30 },
      propertyDependencies: { caCertPem: [root] },
    });
    const v = await stackViolations(policy, [root, tooLong, fine]);
    expect(v.map((x) => x.urn)).toEqual([tooLong.urn]);
  });

  it("catches a re-issued intermediate late in the root's life (root end known, intermediate planned from now)", async () => {
    const root = policyResource({
      type: SSC,
      name: "root",
      props: { validityEndTime: "2026-06-01T00:00:00Z", validityPeriodHours: 87600 },
    });
    const reissued = policyResource({
      type: LSC,
      name: "inter",
      props: { isCaCertificate: true, validityPeriodHours: 24 * 365 },
      propertyDependencies: { caCertPem: [root] },
    });
    expect(await stackViolations(policy, [root, reissued])).toHaveLength(1);
  });

  it("ignores leaf certificates", async () => {
    const root = policyResource({ type: SSC, name: "root", props: { validityPeriodHours: 1 } });
    const leaf = policyResource({
      type: LSC,
      name: "leaf",
      props: { validityPeriodHours: 1000 },
      propertyDependencies: { caCertPem: [root] },
    });
    expect(await stackViolations(policy, [root, leaf])).toEqual([]);
  });
});
