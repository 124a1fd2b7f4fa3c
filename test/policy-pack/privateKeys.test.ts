import { execFileSync } from "child_process";
import { cacertsOnlyInIstioNamespace, noPrivateKeyOutsideSecrets } from "../../policy-pack/policies/privateKeys";
import { violations } from "./fakeArgs";

// A real key, so the detector is tested on what openssl/tls actually emit.
const KEY = execFileSync("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], {
  encoding: "utf8",
});
const CERT_ONLY = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("no-private-key-outside-secrets", () => {
  it("finds a key in ConfigMap data, and base64-encoded in binaryData", async () => {
    const v = await violations(noPrivateKeyOutsideSecrets, {
      type: "kubernetes:core/v1:ConfigMap",
      props: {
        metadata: { name: "ca" },
        data: { "root-cert.pem": CERT_ONLY, "ca-key.pem": KEY },
        binaryData: { k: Buffer.from(KEY).toString("base64") },
      },
    });
    expect(v).toHaveLength(2);
    expect(v.join("\n")).toMatch(/data\.ca-key\.pem/);
    expect(v.join("\n")).toMatch(/binaryData\.k/);
  });

  it("finds a key in an annotation of any Kubernetes resource", async () => {
    const v = await violations(noPrivateKeyOutsideSecrets, {
      type: "kubernetes:apps/v1:Deployment",
      props: { metadata: { annotations: { "example.com/key": KEY } }, spec: { replicas: 1 } },
    });
    expect(v).toEqual([expect.stringMatching(/metadata\.annotations\.example\.com\/key/)]);
  });

  it.each(["kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release"])(
    "finds a key deep in %s values",
    async (type) => {
      const v = await violations(noPrivateKeyOutsideSecrets, {
        type,
        props: { chart: "istiod", values: { pilot: { env: [{ name: "X", value: KEY }] } } },
      });
      expect(v).toEqual([expect.stringMatching(/values\.pilot\.env\[0\]\.value/)]);
    },
  );

  it("finds a key in a custom resource spec", async () => {
    const v = await violations(noPrivateKeyOutsideSecrets, {
      type: "kubernetes:cert-manager.io/v1:Issuer",
      props: { metadata: { name: "i" }, spec: { ca: { inline: KEY } } },
    });
    expect(v).toHaveLength(1);
  });

  it("accepts keys in Secrets, certificates anywhere, and built-in specs", async () => {
    expect(
      await violations(noPrivateKeyOutsideSecrets, {
        type: "kubernetes:core/v1:Secret",
        props: { metadata: { name: "cacerts" }, stringData: { "ca-key.pem": KEY } },
      }),
    ).toEqual([]);
    expect(
      await violations(noPrivateKeyOutsideSecrets, {
        type: "kubernetes:core/v1:ConfigMap",
        props: { data: { "root-cert.pem": CERT_ONLY } },
      }),
    ).toEqual([]);
    expect(
      await violations(noPrivateKeyOutsideSecrets, {
        type: "tls:index/selfSignedCert:SelfSignedCert",
        props: { privateKeyPem: KEY },
      }),
    ).toEqual([]);
  });

  it("skips values that are unknown during preview instead of failing", async () => {
    const unknownAware = new Proxy(
      { ok: "x", later: "?" },
      {
        get: (o, k) => {
          if (k === "later") throw new Error("unknown during preview");
          return (o as any)[k];
        },
      },
    );
    expect(
      await violations(noPrivateKeyOutsideSecrets, {
        type: "kubernetes:core/v1:ConfigMap",
        props: { data: unknownAware },
      }),
    ).toEqual([]);
  });
});

describe("cacerts-only-in-istio-namespace", () => {
  const secret = (namespace?: string, name = "cacerts") => ({
    type: "kubernetes:core/v1:Secret",
    props: { metadata: { name, ...(namespace ? { namespace } : {}) } },
  });

  it("accepts cacerts in istio-system by default", async () => {
    expect(await violations(cacertsOnlyInIstioNamespace, secret("istio-system"))).toEqual([]);
  });

  it("refuses cacerts elsewhere, including the default namespace", async () => {
    expect(await violations(cacertsOnlyInIstioNamespace, secret("apps"))).toEqual([
      expect.stringMatching(/namespace apps/),
    ]);
    expect(await violations(cacertsOnlyInIstioNamespace, secret(undefined))).toEqual([
      expect.stringMatching(/namespace default/),
    ]);
  });

  it("follows the configured namespaces and secret name (AKS add-on)", async () => {
    const aks = { istioNamespaces: ["aks-istio-system"] };
    expect(await violations(cacertsOnlyInIstioNamespace, secret("aks-istio-system"), aks)).toEqual([]);
    expect(await violations(cacertsOnlyInIstioNamespace, secret("istio-system"), aks)).toHaveLength(1);
    expect(
      await violations(cacertsOnlyInIstioNamespace, secret("apps", "mesh-ca"), { secretName: "mesh-ca" }),
    ).toHaveLength(1);
  });

  it("ignores other Secrets", async () => {
    expect(await violations(cacertsOnlyInIstioNamespace, secret("apps", "httpbin-tls"))).toEqual([]);
  });
});
