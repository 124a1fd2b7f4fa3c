import { GeneratedSigner } from "../../../components/ca/certManager/settings";
import {
  caCertFromSecretData,
  certManagerPrivateKey,
  generatedCaObjects,
} from "../../../components/ca/certManager/signers";

describe("generated CA objects (pure)", () => {
  it("validate against cert-manager's schemas and keep the CA key on renewal", () => {
    const s: GeneratedSigner = {
      kind: "selfSignedCa",
      name: "foo",
      commonName: "Foo CA",
      organizations: ["Example"],
      key: { algorithm: "ECDSA", ecdsaCurve: "P521" },
      validityDays: 10,
    };
    const o = generatedCaObjects(s, "cm");
    for (const m of [o.bootstrap, o.certificate, o.issuer]) expect(() => m.validate()).not.toThrow();
    expect(o.certificate.spec).toMatchObject({
      commonName: "Foo CA",
      subject: { organizations: ["Example"] },
      duration: "240h",
      privateKey: { algorithm: "ECDSA", size: 521, rotationPolicy: "Never" },
    });
    expect(o.secretNamespace).toBe("cm");
    // Left out, the key and lifetime take the signer defaults (settings.ts).
    expect(generatedCaObjects({ kind: "selfSignedCa", name: "bar" }, "cm").certificate.spec).toMatchObject({
      commonName: "bar",
      duration: "87600h",
      privateKey: { algorithm: "RSA", size: 4096 },
    });
    expect(certManagerPrivateKey({ algorithm: "RSA", rsaBits: 3072 })).toEqual({
      algorithm: "RSA",
      size: 3072,
      rotationPolicy: "Never",
    });
  });
});

describe("caCertFromSecretData (pure)", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  it("decodes ca.crt only, and says which Secret lacks it", () => {
    expect(
      caCertFromSecretData({ "ca.crt": Buffer.from(pem).toString("base64"), "tls.key": "c2VjcmV0" }, "cm/foo-ca"),
    ).toBe(pem);
    expect(() => caCertFromSecretData({ "tls.crt": "eA==" }, "cm/foo-ca")).toThrow(/secret cm\/foo-ca has no ca.crt/);
    expect(() => caCertFromSecretData({ "ca.crt": Buffer.from("junk").toString("base64") }, "cm/foo-ca")).toThrow(
      /not a PEM certificate/,
    );
  });
});
