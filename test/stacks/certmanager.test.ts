import { Certificate, ClusterIssuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1";
import { ProxyConfig } from "@kubernetes-models/istio/networking.istio.io/v1beta1/ProxyConfig";
import { X509Certificate } from "crypto";
import { caSecretReads } from "../ca/certManager/fixtures";
import { ProgramRun, byName, ofType, privateKeyOccurrences, runProgram, stackConfig } from "../harness/program";

/**
 * The stack of Istio's "Custom CA Integration using Kubernetes CSR" task: Kubernetes CSR API, signers istio-system,
 * foo, bar; foo and bar mapped to their own.
 */
describe("certmanager stack (Pulumi.certmanager.yaml)", () => {
  let run: ProgramRun;
  const reads = caSecretReads();
  const SIGNERS = ["istio-system", "foo", "bar"];
  beforeAll(async () => {
    run = await runProgram(stackConfig("certmanager"), { stack: "certmanager", extraState: reads.extraState });
  });
  const istiodValues = () => byName(run, "cluster1-istio-istiod").inputs.values;

  it("runs without error", () => {
    expect(run.error).toBeUndefined();
  });

  it("installs cert-manager with CRDs and the CSR signing controllers enabled", () => {
    const chart = byName(run, "cluster1-ca-cert-manager");
    expect(chart.type).toBe("kubernetes:helm.sh/v4:Chart");
    expect(chart.inputs).toMatchObject({
      chart: "cert-manager",
      version: "v1.21.2",
      repositoryOpts: { repo: "https://charts.jetstack.io" },
    });
    expect(chart.inputs.values.crds).toEqual({ enabled: true, keep: true });
    expect(chart.inputs.values.featureGates).toBe("ExperimentalCertificateSigningRequestControllers=true");
    expect(chart.inputs.values.webhook.validatingWebhookConfigurationAnnotations["pulumi.com/waitFor"]).toMatch(
      /caBundle/,
    );
    expect(byName(run, "cluster1-ca-cert-manager-namespace").inputs.metadata.name).toBe("cert-manager");
  });

  it("creates, per signer, a self-signed ClusterIssuer, a CA Certificate in cert-manager's namespace and the CA ClusterIssuer", () => {
    for (const s of SIGNERS) {
      const bootstrap = byName(run, `cluster1-ca-signer-${s}-selfsigned`).inputs;
      const cert = byName(run, `cluster1-ca-signer-${s}-ca`).inputs;
      const issuer = byName(run, `cluster1-ca-signer-${s}-issuer`).inputs;
      expect(bootstrap).toMatchObject({
        apiVersion: "cert-manager.io/v1",
        kind: "ClusterIssuer",
        metadata: { name: `${s}-selfsigned` },
        spec: { selfSigned: {} },
      });
      expect(cert).toMatchObject({
        kind: "Certificate",
        metadata: {
          name: `${s}-ca`,
          namespace: "cert-manager",
          annotations: { "pulumi.com/waitFor": "condition=Ready" },
        },
        spec: {
          isCA: true,
          commonName: s,
          secretName: `${s}-ca`,
          duration: "87600h",
          issuerRef: { name: `${s}-selfsigned`, kind: "ClusterIssuer", group: "cert-manager.io" },
        },
      });
      expect(issuer).toMatchObject({
        kind: "ClusterIssuer",
        metadata: { name: s },
        spec: { ca: { secretName: `${s}-ca` } },
      });
      expect(issuer.metadata.namespace).toBeUndefined();
      // What was registered still validates against cert-manager's schemas.
      expect(() => new ClusterIssuer(bootstrap as never).validate()).not.toThrow();
      expect(() => new Certificate(cert as never).validate()).not.toThrow();
      expect(() => new ClusterIssuer(issuer as never).validate()).not.toThrow();
    }
    expect(byName(run, "cluster1-ca-signer-istio-system-ca").inputs.spec.privateKey).toEqual({
      algorithm: "RSA",
      size: 4096,
      rotationPolicy: "Never",
    });
    expect(byName(run, "cluster1-ca-signer-bar-ca").inputs.spec.privateKey).toEqual({
      algorithm: "ECDSA",
      size: 256,
      rotationPolicy: "Never",
    });
  });

  it("orders bootstrap issuer -> Certificate -> CA issuer, all after the cert-manager chart", () => {
    expect(run.dependsOn.get("cluster1-ca-signer-foo-selfsigned")).toContain("cluster1-ca-cert-manager");
    expect(run.dependsOn.get("cluster1-ca-signer-foo-ca")).toContain("cluster1-ca-signer-foo-selfsigned");
    expect(run.dependsOn.get("cluster1-ca-signer-foo-issuer")).toContain("cluster1-ca-signer-foo-ca");
  });

  it("reads each CA certificate back from its issued Secret", () => {
    const readNames = run.resources
      .filter((r) => r.type === "kubernetes:core/v1:Secret" && !r.inputs.metadata)
      .map((r) => r.name)
      .sort();
    expect(readNames).toEqual(SIGNERS.map((s) => `cluster1-ca-signer-${s}-ca-secret`).sort());
  });

  it("configures istiod as a registration authority for the Kubernetes CSR API", () => {
    expect(istiodValues().pilot.env).toMatchObject({
      CERT_SIGNER_DOMAIN: "clusterissuers.cert-manager.io",
      EXTERNAL_CA: "ISTIOD_RA_KUBERNETES_API",
    });
    expect(istiodValues().meshConfig.defaultConfig.proxyMetadata.ISTIO_META_CERT_SIGNER).toBe("istio-system");
  });

  it("sets PILOT_CERT_PROVIDER on istiod's Deployment only, never in pilot.env or global.pilotCertProvider (Istio's external_ca test)", () => {
    // pilot.env would duplicate the entry the chart writes from global.pilotCertProvider (SSA rejects it);
    // global.pilotCertProvider would change what the injection template mounts into every proxy.
    expect(istiodValues().pilot.env.PILOT_CERT_PROVIDER).toBeUndefined();
    expect(istiodValues().global.pilotCertProvider).toBeUndefined();
    const postRenderer = byName(run, "cluster1-istio-istiod").inputs.postRenderer;
    expect(postRenderer.command).toBe("node");
    expect(JSON.parse(postRenderer.args[postRenderer.args.length - 1])).toEqual({
      kind: "Deployment",
      name: "istiod",
      env: { PILOT_CERT_PROVIDER: "k8s.io/clusterissuers.cert-manager.io/istio-system" },
    });
  });

  it("limits the chart's own approve rule to exactly the declared signers (global.certSigners)", () => {
    // With EXTERNAL_CA the istiod chart's ClusterRole grants approve on signers with resourceNames
    // from global.certSigners; empty, it would allow approving for any signer.
    expect(istiodValues().global.certSigners).toEqual(SIGNERS.map((s) => `clusterissuers.cert-manager.io/${s}`));
  });

  it("trusts each signer's CA only for that signer, with the PEM read from its Secret", () => {
    const entries = istiodValues().meshConfig.caCertificates as { pem: string; certSigners: string[] }[];
    expect(entries.map((e) => e.certSigners)).toEqual(SIGNERS.map((s) => [`clusterissuers.cert-manager.io/${s}`]));
    for (const [i, s] of SIGNERS.entries()) {
      expect(entries[i].pem).toBe(reads.pemFor(run, `cluster1-ca-signer-${s}-ca-secret`));
      expect(new X509Certificate(entries[i].pem).ca).toBe(true);
    }
    expect(new Set(entries.map((e) => e.pem)).size).toBe(3);
  });

  it("lets istiod approve CSRs for exactly the declared signers", () => {
    const role = byName(run, "cluster1-istio-istiod-ca");
    expect(role.inputs.rules).toEqual([
      {
        apiGroups: ["certificates.k8s.io"],
        resources: ["signers"],
        verbs: ["approve"],
        resourceNames: SIGNERS.map((s) => `clusterissuers.cert-manager.io/${s}`),
      },
    ]);
    expect(ofType(run, "kubernetes:core/v1:Secret").filter((r) => r.inputs.metadata?.name === "cacerts")).toEqual([]);
  });

  it("starts istiod only after cert-manager and every CA issuer", () => {
    const deps = run.dependsOn.get("cluster1-istio-istiod") ?? [];
    expect(deps).toEqual(
      expect.arrayContaining(["cluster1-ca-cert-manager", ...SIGNERS.map((s) => `cluster1-ca-signer-${s}-issuer`)]),
    );
  });

  it("puts each namespace's ProxyConfig into that namespace, naming its signer", () => {
    const pcs = ofType(run, "networking.istio.io/v1beta1:ProxyConfig");
    expect(
      pcs.map((p) => [p.inputs.metadata.namespace, p.inputs.spec.environmentVariables.ISTIO_META_CERT_SIGNER]).sort(),
    ).toEqual([
      ["bar", "bar"],
      ["foo", "foo"],
    ]);
    for (const p of pcs) expect(() => new ProxyConfig(p.inputs as never).validate()).not.toThrow();
  });

  it("exports the signers' roots as the bundle and no intermediate", () => {
    const out = run.outputs.clusters.cluster1;
    expect(out.backend).toBe("certManager");
    expect(out.rootCertBundle).toBe(
      SIGNERS.map((s) => reads.pemFor(run, `cluster1-ca-signer-${s}-ca-secret`)).join(""),
    );
    expect(out.intermediateCert).toBeUndefined();
  });

  it("lets no private key into any input or output", () => {
    expect(privateKeyOccurrences(run)).toEqual([]);
    const everything = JSON.stringify([run.resources.map((r) => r.inputs), run.outputs]);
    for (const key of reads.keys) expect(everything).not.toContain(key.split("\n")[1]);
  });
});
