import { resolveCertManagerSettings, signerName } from "../../../components/ca/certManager/settings";
import { certManagerConfigSchema, certManagerStackIssues } from "../../../config/backends/certManager";

/**
 * The `backend: certManager` schema checks the shape of the component's settings, reports the
 * component's `signerProblems` at their config paths, and resolves through the component's
 * `resolveCertManagerSettings`: the defaults live there only (test/ca/certManager/settings.test.ts).
 */

const parse = (ca: Record<string, unknown>) => certManagerConfigSchema.parse({ backend: "certManager", ...ca });
const issues = (ca: Record<string, unknown>) =>
  certManagerConfigSchema.safeParse({ backend: "certManager", ...ca }).error?.issues ?? [];
const stack = (namespaces: string[]) => ({
  clusters: [{ name: "c1" }],
  namespaces: namespaces.map((name) => ({ name })),
  istio: { namespace: "istio-system", install: "helm" as const },
});
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("cert-manager config schema", () => {
  it("produces the component's resolved settings; a signer's kind defaults to selfSignedCa", () => {
    const ca = {
      signers: [{ name: "istio-system" }, { name: "foo" }],
      namespaceSigners: { foo: "foo" },
      certManager: { install: false },
    };
    const signers = [
      { name: "istio-system", kind: "selfSignedCa" as const },
      { name: "foo", kind: "selfSignedCa" as const },
    ];
    expect(parse(ca)).toEqual({ backend: "certManager", ...resolveCertManagerSettings({ ...ca, signers }) });
  });

  it("names signers as the Kubernetes CSR API expects", () => {
    const cfg = parse({
      signers: [{ name: "a" }, { name: "b", kind: "existingIssuer", namespace: "ns1", caPem: PEM }],
      mode: "istioCsr",
    });
    expect(cfg.signers.map(signerName)).toEqual(["clusterissuers.cert-manager.io/a", "issuers.cert-manager.io/ns1.b"]);
  });

  it("refuses a private key where a CA certificate belongs", () => {
    expect(
      issues({
        signers: [
          {
            name: "a",
            kind: "existingClusterIssuer",
            caPem: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----",
          },
        ],
      })[0],
    ).toMatchObject({ path: ["signers", 0, "caPem"], message: expect.stringMatching(/a private key is never needed/) });
  });

  it("refuses weak CA keys, as the other backends do", () => {
    expect(issues({ signers: [{ name: "a", key: { algorithm: "RSA", rsaBits: 1024 } }] })[0].message).toMatch(
      /2048, 3072 or 4096/,
    );
  });

  it("reports the component's signerProblems at their config paths", () => {
    expect(
      issues({
        signers: [{ name: "a" }, { name: "b" }, { name: "a" }],
        defaultSigner: "z",
        namespaceSigners: { foo: "y" },
      }).map((i) => [i.path.join("."), i.message]),
    ).toEqual([
      ["signers.2.name", 'duplicate signer "a"; signer names must be unique'],
      ["defaultSigner", 'signer "z" is not declared in signers (declared: a, b)'],
      ["namespaceSigners.foo", 'signer "y" is not declared in signers (declared: a, b)'],
    ]);
  });

  it("refuses a malformed chart version and an unknown key, which the component's types rule out", () => {
    expect(issues({ signers: [{ name: "a" }], certManager: { version: "1.21" } })[0]).toMatchObject({
      path: ["certManager", "version"],
      message: expect.stringMatching(/v1 release like v1\.21\.2/),
    });
    expect(issues({ signers: [{ name: "a" }], istioCsr: { clusterID: "c1" } })[0]).toMatchObject({
      path: ["istioCsr"],
      code: "unrecognized_keys",
    });
  });
});

describe("certManagerStackIssues (pure, cross-key)", () => {
  it("wants every mapped namespace declared, and never the Istio root namespace", () => {
    expect(
      certManagerStackIssues(parse({ signers: [{ name: "a" }], namespaceSigners: { foo: "a" } }), stack(["foo"])),
    ).toEqual([]);
    expect(
      certManagerStackIssues(
        parse({ signers: [{ name: "a" }], namespaceSigners: { bar: "a", "istio-system": "a" } }),
        stack(["foo"]),
      ).map((p) => p.path),
    ).toEqual([
      ["ca", "namespaceSigners", "bar"],
      ["ca", "namespaceSigners", "istio-system"],
    ]);
  });

  it("refuses istio-csr with a namespaced Issuer outside the Istio namespace, and accepts one inside it", () => {
    const csr = (ns: string) =>
      parse({
        mode: "istioCsr",
        signers: [{ name: "corp" }, { name: "mesh", kind: "existingIssuer", namespace: ns, caPem: PEM }],
        defaultSigner: "mesh",
      });
    expect(certManagerStackIssues(csr("foo"), stack(["foo"]))).toEqual([
      expect.objectContaining({ path: ["ca", "signers", 1, "namespace"], input: "foo" }),
    ]);
    expect(certManagerStackIssues(csr("istio-system"), stack(["foo"]))).toEqual([]);
    // ClusterIssuers and kubernetesCsr mode are not affected.
    expect(certManagerStackIssues(parse({ mode: "istioCsr", signers: [{ name: "corp" }] }), stack([]))).toEqual([]);
  });

  it("wants istio-csr's revisions to include istiod's", () => {
    const cfg = parse({ mode: "istioCsr", signers: [{ name: "corp" }], istioCsr: { revisions: ["1-28"] } });
    expect(
      certManagerStackIssues(cfg, {
        ...stack([]),
        istio: { namespace: "istio-system", install: "helm", revision: "1-29" },
      }),
    ).toEqual([
      expect.objectContaining({
        path: ["ca", "istioCsr", "revisions"],
        message: expect.stringMatching(/revision "1-29"/),
      }),
    ]);
  });
});
