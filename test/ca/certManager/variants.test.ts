import { Issuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1";
import { caSecretReads, freshRun, isSecretRead, opensslCa, kubernetesCsrTaskConfig } from "./fixtures";
import { ProgramRun, byName, isSecretValue, ofType, privateKeyOccurrences } from "../../harness/program";

const certManagerObjects = (run: ProgramRun) =>
  run.resources.filter((r) => r.type.startsWith("kubernetes:cert-manager.io/"));

describe("cert-manager backend, istio-csr mode", () => {
  let run: ProgramRun;
  const reads = caSecretReads();
  beforeAll(async () => {
    run = await freshRun(kubernetesCsrTaskConfig({ mode: "istioCsr", namespaceSigners: {} }), {
      extraState: reads.extraState,
    });
  });
  const istioCsr = () => byName(run, "cluster1-ca-istio-csr");
  const istiodValues = () => byName(run, "cluster1-istio-istiod").inputs.values;

  it("runs without error", () => expect(run.error).toBeUndefined());

  it("installs istio-csr, pinned, signing with the default signer's ClusterIssuer", () => {
    expect(istioCsr().inputs).toMatchObject({
      chart: "cert-manager-istio-csr",
      version: "v0.17.0",
      namespace: "cert-manager",
      repositoryOpts: { repo: "https://charts.jetstack.io" },
    });
    expect(istioCsr().inputs.values.app).toMatchObject({
      certmanager: {
        namespace: "istio-system",
        issuer: { name: "istio-system", kind: "ClusterIssuer", group: "cert-manager.io" },
      },
      tls: {
        rootCAFile: "/var/run/secrets/istio-csr/ca.pem",
        trustDomain: "cluster.local",
        istiodCertificateEnable: true,
      },
      istio: { namespace: "istio-system", revisions: ["default"] },
      server: { clusterID: "Kubernetes" },
    });
  });

  it("mounts a root CA pinned from the issuer's CA certificate (protection against signer hijacking)", () => {
    const { values } = istioCsr().inputs;
    expect(values.volumes).toEqual([{ name: "root-ca", secret: { secretName: "istio-csr-root-ca" } }]);
    expect(values.volumeMounts).toEqual([{ name: "root-ca", mountPath: "/var/run/secrets/istio-csr", readOnly: true }]);
    const root = byName(run, "cluster1-ca-istio-csr-root-ca").inputs;
    expect(root.metadata).toMatchObject({ name: "istio-csr-root-ca", namespace: "cert-manager" });
    expect(root.stringData).toEqual({ "ca.pem": reads.pemFor(run, "cluster1-ca-signer-istio-system-ca-secret") });
  });

  it("turns istiod's CA server off and sends proxies to istio-csr", () => {
    expect(istiodValues().pilot.env.ENABLE_CA_SERVER).toBe("false");
    expect(istiodValues().pilot.env.EXTERNAL_CA).toBeUndefined();
    expect(istiodValues().global.caAddress).toBe("cert-manager-istio-csr.cert-manager.svc:443");
    expect(run.resources.find((r) => r.name === "cluster1-istio-istiod-ca")).toBeUndefined();
    expect(ofType(run, "networking.istio.io/v1beta1:ProxyConfig")).toEqual([]);
  });

  it("does not enable the CSR feature gate it does not need", () => {
    expect(byName(run, "cluster1-ca-cert-manager").inputs.values.featureGates).toBeUndefined();
  });

  it("orders issuer and pinned root -> istio-csr -> istiod", () => {
    expect(run.dependsOn.get("cluster1-ca-istio-csr")).toEqual(
      expect.arrayContaining([
        "cluster1-ca-cert-manager",
        "cluster1-ca-signer-istio-system-issuer",
        "cluster1-ca-istio-csr-root-ca",
      ]),
    );
    expect(run.dependsOn.get("cluster1-istio-istiod")).toContain("cluster1-ca-istio-csr");
    // istio-csr issues istiod's serving certificate in istio-system: that namespace first.
    expect(run.dependsOn.get("cluster1-ca-istio-csr")).toContain("cluster1-istio-namespace");
  });

  it("exports the issuer's CA as the only root and leaks no key", () => {
    expect(run.outputs.clusters.cluster1.rootCertBundle).toBe(
      reads.pemFor(run, "cluster1-ca-signer-istio-system-ca-secret"),
    );
    expect(privateKeyOccurrences(run)).toEqual([]);
  });
});

describe("cert-manager backend, existing install and existing ClusterIssuers", () => {
  let run: ProgramRun;
  const corp = opensslCa("corp-ca");
  const team = opensslCa("team-ca");
  beforeAll(async () => {
    run = await freshRun(
      kubernetesCsrTaskConfig({
        certManager: { install: false },
        signers: [
          { name: "corp", kind: "existingClusterIssuer", caPem: corp.certPem },
          { name: "team", kind: "existingClusterIssuer", caPem: team.certPem },
        ],
        defaultSigner: "corp",
        namespaceSigners: { foo: "team" },
      }),
    );
  });

  it("creates neither cert-manager nor issuers nor reads", () => {
    expect(run.error).toBeUndefined();
    expect(run.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart").map((r) => r.name)).not.toContain(
      "cluster1-ca-cert-manager",
    );
    expect(certManagerObjects(run)).toEqual([]);
    expect(run.resources.filter(isSecretRead)).toEqual([]);
  });

  it("trusts the CA certificates from config, per signer", () => {
    const values = byName(run, "cluster1-istio-istiod").inputs.values;
    expect(values.meshConfig.caCertificates).toEqual([
      { pem: corp.certPem, certSigners: ["clusterissuers.cert-manager.io/corp"] },
      { pem: team.certPem, certSigners: ["clusterissuers.cert-manager.io/team"] },
    ]);
    expect(values.pilot.env.PILOT_CERT_PROVIDER).toBeUndefined();
    expect(JSON.parse(byName(run, "cluster1-istio-istiod").inputs.postRenderer.args.at(-1)).env).toEqual({
      PILOT_CERT_PROVIDER: "k8s.io/clusterissuers.cert-manager.io/corp",
    });
    expect(values.global.certSigners).toEqual([
      "clusterissuers.cert-manager.io/corp",
      "clusterissuers.cert-manager.io/team",
    ]);
    const pcs = ofType(run, "networking.istio.io/v1beta1:ProxyConfig");
    expect(pcs.map((p) => [p.inputs.metadata.namespace, p.inputs.spec.environmentVariables])).toEqual([
      ["foo", { ISTIO_META_CERT_SIGNER: "team" }],
    ]);
  });
});

describe("cert-manager backend, namespaced Issuers", () => {
  let run: ProgramRun;
  const reads = caSecretReads();
  const shared = opensslCa("bar-shared");
  beforeAll(async () => {
    run = await freshRun(
      kubernetesCsrTaskConfig({
        signers: [
          {
            name: "mesh",
            kind: "issuer",
            namespace: "foo",
            key: { algorithm: "ECDSA", ecdsaCurve: "P384" },
            validityDays: 30,
          },
          { name: "bar-ca", kind: "existingIssuer", namespace: "bar", caPem: shared.certPem },
        ],
        defaultSigner: "mesh",
        namespaceSigners: { bar: "bar-ca" },
      }),
      { extraState: reads.extraState },
    );
  });

  it("creates the Issuer chain in the signer's namespace, with its secret there", () => {
    expect(run.error).toBeUndefined();
    const bootstrap = byName(run, "cluster1-ca-signer-mesh-selfsigned").inputs;
    const cert = byName(run, "cluster1-ca-signer-mesh-ca").inputs;
    const issuer = byName(run, "cluster1-ca-signer-mesh-issuer").inputs;
    expect(bootstrap).toMatchObject({ kind: "Issuer", metadata: { name: "mesh-selfsigned", namespace: "foo" } });
    expect(cert).toMatchObject({
      metadata: { namespace: "foo" },
      spec: {
        duration: "720h",
        privateKey: { algorithm: "ECDSA", size: 384 },
        issuerRef: { kind: "Issuer", name: "mesh-selfsigned" },
      },
    });
    expect(issuer).toMatchObject({
      kind: "Issuer",
      metadata: { name: "mesh", namespace: "foo" },
      spec: { ca: { secretName: "mesh-ca" } },
    });
    expect(() => new Issuer(issuer as never).validate()).not.toThrow();
    expect(certManagerObjects(run)).toHaveLength(3);
    // The backend is declared before the namespaces; its Issuer chain still waits for them.
    expect(run.dependsOn.get("cluster1-ca-signer-mesh-selfsigned")).toEqual(
      expect.arrayContaining(["cluster1-ns-foo"]),
    );
  });

  it("uses the issuers.cert-manager.io domain and <namespace>.<name> signers", () => {
    const values = byName(run, "cluster1-istio-istiod").inputs.values;
    expect(values.pilot.env).toMatchObject({ CERT_SIGNER_DOMAIN: "issuers.cert-manager.io" });
    expect(JSON.parse(byName(run, "cluster1-istio-istiod").inputs.postRenderer.args.at(-1)).env).toEqual({
      PILOT_CERT_PROVIDER: "k8s.io/issuers.cert-manager.io/foo.mesh",
    });
    expect(values.global.certSigners).toEqual([
      "issuers.cert-manager.io/foo.mesh",
      "issuers.cert-manager.io/bar.bar-ca",
    ]);
    expect(values.meshConfig.defaultConfig.proxyMetadata.ISTIO_META_CERT_SIGNER).toBe("foo.mesh");
    expect(values.meshConfig.caCertificates.map((c: { certSigners: string[] }) => c.certSigners)).toEqual([
      ["issuers.cert-manager.io/foo.mesh"],
      ["issuers.cert-manager.io/bar.bar-ca"],
    ]);
    expect(values.meshConfig.caCertificates[0].pem).toBe(reads.pemFor(run, "cluster1-ca-signer-mesh-ca-secret"));
    const pc = ofType(run, "networking.istio.io/v1beta1:ProxyConfig");
    expect(
      pc.map((p) => [p.inputs.metadata.namespace, p.inputs.spec.environmentVariables.ISTIO_META_CERT_SIGNER]),
    ).toEqual([["bar", "bar.bar-ca"]]);
  });

  it("grants approve on those signers and cert-manager's reference on the Issuers", () => {
    expect(byName(run, "cluster1-istio-istiod-ca").inputs.rules).toEqual([
      {
        apiGroups: ["certificates.k8s.io"],
        resources: ["signers"],
        verbs: ["approve"],
        resourceNames: ["issuers.cert-manager.io/foo.mesh", "issuers.cert-manager.io/bar.bar-ca"],
      },
      {
        apiGroups: ["cert-manager.io"],
        resources: ["signers"],
        verbs: ["reference"],
        resourceNames: ["mesh", "bar-ca"],
      },
    ]);
  });
});

describe("cert-manager backend config errors register nothing", () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown> | undefined, RegExp][] = [
    [
      "unknown signer in the namespace mapping",
      { namespaceSigners: { foo: "foo", bar: "baz" } },
      undefined,
      /istio-mesh-ca:ca\.namespaceSigners\.bar: signer "baz" is not declared in signers \(declared: istio-system, foo, bar\) \(got "baz"\)/,
    ],
    [
      "a mapped namespace not declared in istio-mesh-ca:namespaces",
      { namespaceSigners: { foo: "foo", qux: "bar" } },
      undefined,
      /istio-mesh-ca:ca\.namespaceSigners\.qux: namespace "qux" is not declared; add it to istio-mesh-ca:namespaces \(declared: foo, bar\)/,
    ],
    [
      "duplicate signers",
      { signers: [{ name: "foo" }, { name: "bar" }, { name: "foo" }], defaultSigner: "foo" },
      undefined,
      /istio-mesh-ca:ca\.signers\[2\]\.name: duplicate signer "foo"/,
    ],
    [
      "a default signer that is not declared",
      { defaultSigner: "root" },
      undefined,
      /istio-mesh-ca:ca\.defaultSigner: signer "root" is not declared in signers \(declared: istio-system, foo, bar\)/,
    ],
    [
      "ClusterIssuers mixed with namespaced Issuers",
      { signers: [{ name: "foo" }, { name: "bar", kind: "issuer", namespace: "bar" }], defaultSigner: "foo" },
      undefined,
      /istio-mesh-ca:ca\.signers\[1\]\.kind: kind issuer mixes namespaced Issuers with ClusterIssuers; istiod has one CERT_SIGNER_DOMAIN/,
    ],
    [
      "per-namespace signers with istio-csr",
      { mode: "istioCsr" },
      undefined,
      /istio-mesh-ca:ca\.namespaceSigners: istio-csr signs every workload with one issuer/,
    ],
    [
      "istio-csr with a namespaced Issuer outside the Istio namespace (its istiod Certificate could never be issued)",
      {
        mode: "istioCsr",
        namespaceSigners: {},
        signers: [{ name: "mesh", kind: "issuer", namespace: "foo" }],
        defaultSigner: "mesh",
      },
      undefined,
      /istio-mesh-ca:ca\.signers\[0\]\.namespace: istio-csr issues istiod's certificate in the Istio namespace "istio-system", where it cannot use an Issuer in "foo": put the Issuer in "istio-system" \(kind issuer\) or use a ClusterIssuer \(kind selfSignedCa or existingClusterIssuer\) \(got "foo"\)/,
    ],
    [
      "a mapping for the Istio root namespace",
      { namespaceSigners: { "istio-system": "foo" } },
      undefined,
      /istio-mesh-ca:ca\.namespaceSigners\.istio-system: istio-system is the Istio root namespace/,
    ],
    [
      "an existing ClusterIssuer without its CA certificate",
      { signers: [{ name: "corp", kind: "existingClusterIssuer" }], defaultSigner: "corp", namespaceSigners: {} },
      undefined,
      /istio-mesh-ca:ca\.signers\[0\]\.caPem: required, but not set \(the issuer's CA certificate as PEM/,
    ],
    [
      "an unknown signer kind",
      { signers: [{ name: "corp", kind: "vault" }], defaultSigner: "corp", namespaceSigners: {} },
      undefined,
      /istio-mesh-ca:ca\.signers\[0\]\.kind: kind must be selfSignedCa \(default\), existingClusterIssuer, issuer or existingIssuer/,
    ],
    [
      "an unknown mode",
      { mode: "spiffe" },
      undefined,
      /istio-mesh-ca:ca\.mode: mode must be kubernetesCsr or istioCsr \(got "spiffe"\)/,
    ],
    [
      "no signers",
      { signers: [], defaultSigner: undefined, namespaceSigners: {} },
      undefined,
      /istio-mesh-ca:ca\.signers: list at least one signer/,
    ],
    [
      "an undeclared namespace when none are declared",
      { namespaceSigners: { foo: "foo" } },
      { namespaces: [] },
      /namespace "foo" is not declared; add it to istio-mesh-ca:namespaces \(declared: none\)/,
    ],
  ];

  it.each(cases)("%s", async (_what, ca, extra, message) => {
    const run = await freshRun({ ...kubernetesCsrTaskConfig(ca), ...(extra ?? {}) });
    expect(run.error?.message).toMatch(message);
    expect(run.resources).toEqual([]);
  });
});

describe("cert-manager backend with the CA Secret read as a secret", () => {
  it("passes on only ca.crt, unsecreted, so istiod's values stay readable and tls.key stays behind", async () => {
    const reads = caSecretReads({ secretData: true });
    const run = await freshRun(kubernetesCsrTaskConfig({ signers: [{ name: "istio-system" }], namespaceSigners: {} }), {
      extraState: reads.extraState,
    });
    expect(run.error).toBeUndefined();
    const istiod = byName(run, "cluster1-istio-istiod");
    expect(isSecretValue(istiod.rawInputs.values)).toBe(false);
    expect(istiod.inputs.values.meshConfig.caCertificates[0].pem).toBe(
      reads.pemFor(run, "cluster1-ca-signer-istio-system-ca-secret"),
    );
    expect(run.secretOutputPaths).toEqual([]);
    const everything = JSON.stringify([run.resources.map((r) => r.inputs), run.outputs]);
    expect(everything).not.toContain(Buffer.from(reads.keys[0]).toString("base64").slice(0, 40));
    expect(everything).not.toContain("PRIVATE KEY");
  });
});
