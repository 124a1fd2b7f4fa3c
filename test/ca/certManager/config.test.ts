import * as fc from "fast-check";
import { GeneratedSigner, SignerSettings, defaultSignerOf, resolveCertManagerSettings, signerName, signerProblems } from "../../../components/ca/certManager/settings";
import { certManagerConfigSchema, certManagerStackIssues } from "../../../config/backends/certManager";
import {
  caCertificates,
  certManagerChartValues,
  istioCsrChartValues,
  kubernetesCsrChartValues,
  kubernetesCsrDeploymentEnv,
  kubernetesCsrEnv,
  kubernetesCsrRules,
  namespaceProxyEnv,
} from "../../../components/ca/certManager/istiod";
import { caCertFromSecretData, certManagerPrivateKey, generatedCaObjects } from "../../../components/ca/certManager/signers";

const parse = (ca: Record<string, unknown>) => certManagerConfigSchema.parse({ backend: "certManager", ...ca });
const stack = (namespaces: string[]) => ({ clusters: [{ name: "c1" }], namespaces: namespaces.map((name) => ({ name })), istio: { namespace: "istio-system", install: "helm" as const } });
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("cert-manager config schema", () => {
  it("defaults to the layout of Istio's Kubernetes CSR task: Kubernetes CSR mode, cert-manager installed, self-signed CA ClusterIssuers", () => {
    const cfg = parse({ signers: [{ name: "istio-system" }, { name: "foo" }] });
    expect(cfg.mode).toBe("kubernetesCsr");
    expect(cfg.certManager).toMatchObject({ install: true, namespace: "cert-manager", version: "v1.21.2", chartRepository: "https://charts.jetstack.io" });
    expect(cfg.signers[1]).toEqual({ name: "foo", kind: "selfSignedCa", key: { algorithm: "RSA", rsaBits: 4096 }, validityDays: 3650 });
    expect(defaultSignerOf(cfg).name).toBe("istio-system");
    expect(defaultSignerOf({ ...cfg, defaultSigner: "foo" }).name).toBe("foo");
  });

  it("names signers as the Kubernetes CSR API expects", () => {
    const cfg = parse({ signers: [{ name: "a" }, { name: "b", kind: "existingIssuer", namespace: "ns1", caPem: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----" }], mode: "istioCsr" });
    expect(cfg.signers.map(signerName)).toEqual(["clusterissuers.cert-manager.io/a", "issuers.cert-manager.io/ns1.b"]);
  });

  it("refuses a private key where a CA certificate belongs", () => {
    const r = certManagerConfigSchema.safeParse({ backend: "certManager", signers: [{ name: "a", kind: "existingClusterIssuer", caPem: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----" }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ["signers", 0, "caPem"], message: expect.stringMatching(/a private key is never needed/) });
  });

  it("refuses weak CA keys, as the other backends do", () => {
    const r = certManagerConfigSchema.safeParse({ backend: "certManager", signers: [{ name: "a", key: { algorithm: "RSA", rsaBits: 1024 } }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toMatch(/2048, 3072 or 4096/);
  });
});

describe("component defaults (pure)", () => {
  it("are the schema's: settings a composing program leaves out resolve to what the config would have parsed to", () => {
    const signers = [{ kind: "selfSignedCa" as const, name: "a" }];
    const { backend: _backend, defaultSigner: _default, ...parsed } = parse({ signers: [{ name: "a" }] });
    const { defaultSigner, ...resolved } = resolveCertManagerSettings({ signers });
    expect(defaultSigner.name).toBe("a");
    expect({ ...resolved, signers: parsed.signers }).toEqual(parsed);
    // A generated CA's key and lifetime default inside the component as in the schema.
    expect(generatedCaObjects(signers[0], "cm").certificate).toEqual(generatedCaObjects(parsed.signers[0] as GeneratedSigner, "cm").certificate);
  });
});

describe("signerProblems (pure)", () => {
  const signers = (names: string[]): SignerSettings[] => names.map((name) => parse({ signers: [{ name }] }).signers[0]);

  it("finds nothing wrong with the layout of Istio's Kubernetes CSR task", () => {
    expect(signerProblems({ mode: "kubernetesCsr", signers: signers(["istio-system", "foo", "bar"]), defaultSigner: "istio-system", namespaceSigners: { foo: "foo", bar: "bar" } })).toEqual([]);
  });

  it("reports every problem with its path and the bad value", () => {
    const problems = signerProblems({ mode: "kubernetesCsr", signers: signers(["a", "b", "a"]), defaultSigner: "z", namespaceSigners: { foo: "y" } });
    expect(problems.map((p) => [p.path.join("."), p.input])).toEqual([["signers.2.name", "a"], ["defaultSigner", "z"], ["namespaceSigners.foo", "y"]]);
  });

  it("refuses a signer named like another signer's bootstrap issuer", () => {
    const problems = signerProblems({ mode: "kubernetesCsr", signers: signers(["foo", "foo-selfsigned"]), defaultSigner: undefined, namespaceSigners: {} });
    expect(problems).toEqual([expect.objectContaining({ path: ["signers", 0, "name"], message: expect.stringMatching(/bootstrap issuer named "foo-selfsigned"/) })]);
  });

  it("accepts exactly the mappings whose signers are declared (property)", () => {
    const name = fc.constantFrom("a", "b", "c", "d");
    fc.assert(fc.property(fc.uniqueArray(name, { minLength: 1 }), fc.dictionary(fc.constantFrom("n1", "n2", "n3"), name), (declared, mapping) => {
      const problems = signerProblems({ mode: "kubernetesCsr", signers: signers(declared), defaultSigner: undefined, namespaceSigners: mapping });
      const unknown = Object.entries(mapping).filter(([, s]) => !declared.includes(s)).map(([ns]) => ns);
      expect(problems.map((p) => p.path[1])).toEqual(unknown);
    }));
  });
});

describe("certManagerStackIssues (pure, cross-key)", () => {
  it("wants every mapped namespace declared, and never the Istio root namespace", () => {
    expect(certManagerStackIssues({ namespaceSigners: { foo: "a" } }, stack(["foo"]))).toEqual([]);
    expect(certManagerStackIssues({ namespaceSigners: { bar: "a", "istio-system": "a" } }, stack(["foo"])).map((p) => p.path)).toEqual([
      ["ca", "namespaceSigners", "bar"], ["ca", "namespaceSigners", "istio-system"],
    ]);
  });

  it("refuses istio-csr with a namespaced Issuer outside the Istio namespace, and accepts one inside it", () => {
    const csr = (ns: string) => parse({ mode: "istioCsr", signers: [{ name: "corp" }, { name: "mesh", kind: "existingIssuer", namespace: ns, caPem: PEM }], defaultSigner: "mesh" });
    expect(certManagerStackIssues(csr("foo"), stack(["foo"]))).toEqual([expect.objectContaining({ path: ["ca", "signers", 1, "namespace"], input: "foo" })]);
    expect(certManagerStackIssues(csr("istio-system"), stack(["foo"]))).toEqual([]);
    // ClusterIssuers and kubernetesCsr mode are not affected.
    expect(certManagerStackIssues(parse({ mode: "istioCsr", signers: [{ name: "corp" }] }), stack([]))).toEqual([]);
  });
});

describe("istiod, cert-manager and istio-csr values (pure)", () => {
  const cfg = parse({ signers: [{ name: "istio-system" }, { name: "foo" }, { name: "bar" }], namespaceSigners: { foo: "foo", bar: "bar" } });

  it("builds the istiod env of Istio's Kubernetes CSR task and one caCertificates entry per signer", () => {
    expect(kubernetesCsrEnv(cfg.signers[0])).toEqual({ CERT_SIGNER_DOMAIN: "clusterissuers.cert-manager.io", EXTERNAL_CA: "ISTIOD_RA_KUBERNETES_API" });
    // The chart writes PILOT_CERT_PROVIDER itself: overridden on the Deployment, never in pilot.env.
    expect(kubernetesCsrDeploymentEnv(cfg.signers[0])).toEqual({ PILOT_CERT_PROVIDER: "k8s.io/clusterissuers.cert-manager.io/istio-system" });
    expect(kubernetesCsrChartValues(cfg.signers)).toEqual({ global: { certSigners: [
      "clusterissuers.cert-manager.io/istio-system", "clusterissuers.cert-manager.io/foo", "clusterissuers.cert-manager.io/bar"] } });
    expect(caCertificates(cfg.signers, ["P1", "P2", "P3"])).toEqual([
      { pem: "P1", certSigners: ["clusterissuers.cert-manager.io/istio-system"] },
      { pem: "P2", certSigners: ["clusterissuers.cert-manager.io/foo"] },
      { pem: "P3", certSigners: ["clusterissuers.cert-manager.io/bar"] },
    ]);
    expect(() => caCertificates(cfg.signers, ["P1"])).toThrow(/3 signers but 1/);
  });

  it("maps each namespace to its own signer; the ProxyConfig namespace is the mapping key", () => {
    expect(namespaceProxyEnv(cfg.signers, cfg.namespaceSigners)).toEqual({ foo: { ISTIO_META_CERT_SIGNER: "foo" }, bar: { ISTIO_META_CERT_SIGNER: "bar" } });
  });

  it("lets istiod approve for exactly the declared signers", () => {
    expect(kubernetesCsrRules(cfg.signers)).toEqual([{ apiGroups: ["certificates.k8s.io"], resources: ["signers"], verbs: ["approve"],
      resourceNames: ["clusterissuers.cert-manager.io/istio-system", "clusterissuers.cert-manager.io/foo", "clusterissuers.cert-manager.io/bar"] }]);
  });

  it("enables the CSR feature gate only where it is needed", () => {
    expect(certManagerChartValues("kubernetesCsr")).toMatchObject({ crds: { enabled: true }, featureGates: "ExperimentalCertificateSigningRequestControllers=true" });
    expect(certManagerChartValues("istioCsr")).not.toHaveProperty("featureGates");
  });

  it("points istio-csr at a namespaced Issuer's namespace for its CertificateRequests", () => {
    const issuer = parse({ signers: [{ name: "mesh", kind: "issuer", namespace: "pki" }] }).signers[0];
    const values = istioCsrChartValues({ issuer, certManagerNamespace: "cm", istioNamespace: "istio-system", trustDomain: "td", revisions: ["1-29"], clusterId: "c1" });
    expect(values).toMatchObject({ app: { certmanager: { namespace: "pki", issuer: { name: "mesh", kind: "Issuer" } }, istio: { revisions: ["1-29"] },
      tls: { certificateDNSNames: ["cert-manager-istio-csr.cm.svc"], trustDomain: "td" }, server: { clusterID: "c1" } } });
  });
});

describe("generated CA objects (pure)", () => {
  it("validate against cert-manager's schemas and keep the CA key on renewal", () => {
    const [s] = parse({ signers: [{ name: "foo", commonName: "Foo CA", organizations: ["Example"], key: { algorithm: "ECDSA", ecdsaCurve: "P521" }, validityDays: 10 }] }).signers;
    const o = generatedCaObjects(s as GeneratedSigner, "cm");
    for (const m of [o.bootstrap, o.certificate, o.issuer]) expect(() => m.validate()).not.toThrow();
    expect(o.certificate.spec).toMatchObject({ commonName: "Foo CA", subject: { organizations: ["Example"] }, duration: "240h", privateKey: { algorithm: "ECDSA", size: 521, rotationPolicy: "Never" } });
    expect(o.secretNamespace).toBe("cm");
    expect(certManagerPrivateKey({ algorithm: "RSA", rsaBits: 3072 })).toEqual({ algorithm: "RSA", size: 3072, rotationPolicy: "Never" });
  });
});

describe("caCertFromSecretData (pure)", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  it("decodes ca.crt only, and says which Secret lacks it", () => {
    expect(caCertFromSecretData({ "ca.crt": Buffer.from(pem).toString("base64"), "tls.key": "c2VjcmV0" }, "cm/foo-ca")).toBe(pem);
    expect(() => caCertFromSecretData({ "tls.crt": "eA==" }, "cm/foo-ca")).toThrow(/secret cm\/foo-ca has no ca.crt/);
    expect(() => caCertFromSecretData({ "ca.crt": Buffer.from("junk").toString("base64") }, "cm/foo-ca")).toThrow(/not a PEM certificate/);
  });
});
