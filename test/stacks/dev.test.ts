import {
  byName,
  isSecretValue,
  ofType,
  privateKeyOccurrences,
  runProgram,
  stackConfig,
  ProgramRun,
} from "../harness/program";

/** The dev stack as a platform engineer would apply it by hand: Istio's plug-in CA task and sidecar ingress TLS. */
describe("dev stack (Pulumi.dev.yaml)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(stackConfig("dev"), { stack: "dev" });
  });

  it("evaluates without error", () => {
    expect(run.error).toBeUndefined();
  });

  it("declares one root, one intermediate for cluster1, and a Kubernetes provider for it", () => {
    expect(ofType(run, "istio-mesh-ca:ca:RootCa").map((r) => r.name)).toEqual(["mesh-root"]);
    expect(ofType(run, "istio-mesh-ca:ca:SelfSignedCa").map((r) => r.name)).toEqual(["cluster1-ca"]);
    expect(ofType(run, "istio-mesh-ca:ca:IntermediateCa").map((r) => r.name)).toEqual(["cluster1-ca-intermediate"]);
    expect(ofType(run, "pulumi:providers:kubernetes").map((r) => r.name)).toEqual(["cluster1-k8s"]);
  });

  it("issues the root and intermediate with common.mk's parameters", () => {
    expect(byName(run, "mesh-root-key").inputs).toEqual({ algorithm: "RSA", rsaBits: 4096 });
    expect(byName(run, "mesh-root-cert").inputs).toMatchObject({
      subject: { organization: "Istio", commonName: "Root CA" },
      validityPeriodHours: 3650 * 24,
      isCaCertificate: true,
      maxPathLength: -1,
      setSubjectKeyId: true,
      allowedUses: expect.arrayContaining([
        "cert_signing",
        "digital_signature",
        "content_commitment",
        "key_encipherment",
      ]),
    });
    expect(byName(run, "cluster1-ca-intermediate-csr").inputs).toMatchObject({
      subject: { organization: "Istio", commonName: "Intermediate CA", locality: "cluster1" },
      dnsNames: ["istiod.istio-system.svc"],
    });
    // maxPathLength 0 is the declared input (kept: changing it would churn existing stacks), but
    // @pulumi/tls does not encode 0: the certificate has no pathlen (test/ca/selfSignedCrypto.test.ts).
    expect(byName(run, "cluster1-ca-intermediate-cert").inputs).toMatchObject({
      validityPeriodHours: 730 * 24,
      isCaCertificate: true,
      maxPathLength: 0,
      setSubjectKeyId: true,
    });
  });

  it("creates the cacerts Secret in istio-system with the four keys", () => {
    const cacerts = byName(run, "cluster1-istio-cacerts-secret");
    expect(cacerts.type).toBe("kubernetes:core/v1:Secret");
    expect(cacerts.inputs.metadata).toMatchObject({ name: "cacerts", namespace: "istio-system" });
    expect(Object.keys(cacerts.inputs.stringData).sort()).toEqual([
      "ca-cert.pem",
      "ca-key.pem",
      "cert-chain.pem",
      "root-cert.pem",
    ]);
    const d = cacerts.inputs.stringData;
    expect(d["cert-chain.pem"]).toBe(d["ca-cert.pem"] + d["root-cert.pem"]);
    expect(cacerts.provider).toContain("cluster1-k8s");
    // The whole data map is a secret, not only the key.
    expect(isSecretValue(cacerts.rawInputs.stringData)).toBe(true);
  });

  it("installs Istio's base chart as a Helm release and istiod's as a Chart, at the pinned version, istiod after base and cacerts", () => {
    const base = byName(run, "cluster1-istio-base");
    const istiod = byName(run, "cluster1-istio-istiod");
    // base (Istio's CRDs) is one Helm release; istiod's objects are rendered one by one for the preview.
    expect(base.type).toBe("kubernetes:helm.sh/v3:Release");
    expect(base.inputs).toMatchObject({ name: "istio-base", values: { global: { istioNamespace: "istio-system" } } });
    expect(istiod.type).toBe("kubernetes:helm.sh/v4:Chart");
    for (const [chart, r] of [
      ["base", base],
      ["istiod", istiod],
    ] as const) {
      expect(r.inputs).toMatchObject({
        chart,
        version: "1.29.2",
        namespace: "istio-system",
        repositoryOpts: { repo: "https://istio-release.storage.googleapis.com/charts" },
      });
    }
    expect(run.dependsOn.get("cluster1-istio-istiod")).toEqual(
      expect.arrayContaining(["cluster1-istio-base", "cluster1-istio-cacerts-secret"]),
    );
    expect(run.dependsOn.get("cluster1-istio-cacerts-secret")).toContain("cluster1-istio-namespace");
    expect(ofType(run, "helm.sh/v4:Chart").map((r) => r.name)).not.toContain("cluster1-istio-gateway");
  });

  it("passes the backend's contribution and enabled features to istiod's values", () => {
    const values = byName(run, "cluster1-istio-istiod").inputs.values;
    expect(values.global).toEqual({ istioNamespace: "istio-system" });
    // Self-signed: the plugged-in CA comes through cacerts only; sidecar ingress TLS needs its flag.
    expect(values.pilot.env).toEqual({ ENABLE_TLS_ON_SIDECAR_INGRESS: "true" });
    expect(values.pilot.podAnnotations).toEqual({});
    expect(JSON.stringify(values)).not.toMatch(/PRIVATE KEY/);
  });

  it("creates the demo namespaces with sidecar injection", () => {
    for (const ns of ["istio-demo", "test"]) {
      expect(byName(run, `cluster1-ns-${ns}`).inputs.metadata).toEqual({
        name: ns,
        labels: { "istio-injection": "enabled" },
      });
    }
  });

  it("enforces STRICT mTLS mesh-wide and in each demo namespace", () => {
    const pa = (name: string) => byName(run, name).inputs;
    expect(pa("cluster1-mtls-mesh")).toMatchObject({
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "istio-system" },
      spec: { mtls: { mode: "STRICT" } },
    });
    expect(pa("cluster1-mtls-mesh").spec.selector).toBeUndefined();
    for (const ns of ["istio-demo", "test"]) {
      expect(pa(`cluster1-mtls-ns-${ns}`)).toMatchObject({
        metadata: { name: "default", namespace: ns },
        spec: { mtls: { mode: "STRICT" } },
      });
    }
    expect(run.dependsOn.get("cluster1-mtls-mesh")).toEqual(
      expect.arrayContaining(["cluster1-istio-istiod", "cluster1-ns-test"]),
    );
  });

  it("terminates external TLS in httpbin's sidecar on 9080 (TLS termination in the sidecar)", () => {
    const exception = byName(run, "cluster1-test-httpbin-external-port").inputs;
    expect(exception).toMatchObject({
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "httpbin-external-port", namespace: "test" },
      spec: {
        selector: { matchLabels: { app: "httpbin", version: "v1" } },
        mtls: { mode: "STRICT" },
        portLevelMtls: { "9080": { mode: "DISABLE" } },
      },
    });
    expect(byName(run, "cluster1-test-httpbin-sidecar").inputs).toEqual({
      apiVersion: "networking.istio.io/v1",
      kind: "Sidecar",
      metadata: { name: "httpbin-ingress", namespace: "test" },
      spec: {
        workloadSelector: { labels: { app: "httpbin", version: "v1" } },
        ingress: [
          {
            port: { number: 9080, protocol: "HTTPS", name: "external" },
            defaultEndpoint: "0.0.0.0:80",
            tls: {
              mode: "MUTUAL",
              serverCertificate: "/etc/istio/tls-certs/tls.crt",
              privateKey: "/etc/istio/tls-certs/tls.key",
              caCertificates: "/etc/istio/tls-ca-certs/ca.crt",
            },
          },
          { port: { number: 9081, protocol: "HTTP", name: "internal" }, defaultEndpoint: "0.0.0.0:80" },
        ],
      },
    });
    const tlsSecret = byName(run, "cluster1-test-httpbin-tls");
    expect(tlsSecret.inputs).toMatchObject({
      type: "kubernetes.io/tls",
      metadata: { name: "httpbin-mtls-termination", namespace: "test" },
    });
    expect(Object.keys(tlsSecret.inputs.stringData).sort()).toEqual(["tls.crt", "tls.key"]);
    expect(byName(run, "cluster1-test-httpbin-ca").inputs).toMatchObject({
      metadata: { name: "httpbin-mtls-termination-cacert", namespace: "test" },
      stringData: { "ca.crt": expect.stringContaining("BEGIN CERTIFICATE") },
    });
  });

  it("exports the pod annotations the httpbin Deployment needs", () => {
    const out = run.outputs.clusters.cluster1.sidecarIngressTls["test/httpbin"];
    expect(JSON.parse(out.podAnnotations["sidecar.istio.io/userVolume"])).toEqual({
      "tls-secret": { secret: { secretName: "httpbin-mtls-termination" } },
      "tls-ca-secret": { secret: { secretName: "httpbin-mtls-termination-cacert" } },
    });
    expect(JSON.parse(out.podAnnotations["sidecar.istio.io/userVolumeMount"])).toEqual({
      "tls-secret": { mountPath: "/etc/istio/tls-certs/", readOnly: true },
      "tls-ca-secret": { mountPath: "/etc/istio/tls-ca-certs/", readOnly: true },
    });
  });

  describe("secrets", () => {
    it("every private key in any resource input is a Pulumi secret", () => {
      const occurrences = privateKeyOccurrences(run);
      expect(occurrences.length).toBeGreaterThan(0);
      expect(occurrences.filter((o) => !o.secret).map((o) => `${o.resource.name}.${o.path}`)).toEqual([]);
    });

    it("the intermediate key reaches only its CSR and the cacerts Secret", () => {
      const key = byName(run, "cluster1-ca-intermediate-csr").inputs.privateKeyPem as string;
      const where = privateKeyOccurrences(run)
        .filter((o) => o.pem.trim() === key.trim())
        .map((o) => `${o.resource.name}.${o.path}`);
      expect(where.sort()).toEqual([
        "cluster1-ca-intermediate-csr.privateKeyPem",
        "cluster1-istio-cacerts-secret.stringData.ca-key.pem",
      ]);
    });

    it("the root key reaches only the root certificate and the intermediate's signing", () => {
      const key = byName(run, "mesh-root-cert").inputs.privateKeyPem as string;
      const where = privateKeyOccurrences(run)
        .filter((o) => o.pem.trim() === key.trim())
        .map((o) => o.resource.name);
      expect(where.sort()).toEqual(["cluster1-ca-intermediate-cert", "mesh-root-cert"]);
    });

    it("no private key in Helm values, custom resources or namespaces", () => {
      const bad = privateKeyOccurrences(run).filter((o) => !/^tls:|core\/v1:Secret$/.test(o.resource.type));
      expect(bad.map((o) => o.resource.name)).toEqual([]);
    });

    it("stack outputs carry no private key except as secret outputs", () => {
      expect(run.secretOutputPaths).toEqual(["clusters.cluster1.sidecarIngressTls.test/httpbin.clientKeyPem"]);
      const { clientKeyPem, ...rest } = run.outputs.clusters.cluster1.sidecarIngressTls["test/httpbin"];
      expect(clientKeyPem).toMatch(/PRIVATE KEY/);
      expect(JSON.stringify(rest)).not.toMatch(/PRIVATE KEY/);
      const { sidecarIngressTls: _s, ...cluster } = run.outputs.clusters.cluster1;
      expect(JSON.stringify(cluster)).not.toMatch(/PRIVATE KEY/);
    });
  });
});
