import { parseStackConfig, plaintextPrivateKeys } from "../../config/load";
import { runProgram, stackConfig } from "../harness/program";
import { configProblems } from "../harness/configProblems";

const minimal = { ca: { backend: "selfSigned" } };

describe("stack config validation", () => {
  it("accepts every committed self-signed stack file and fills Istio's common.mk defaults", () => {
    const cfg = parseStackConfig(stackConfig("dev"));
    expect(cfg.ca.backend).toBe("selfSigned");
    const ca = cfg.ca as Extract<typeof cfg.ca, { backend: "selfSigned" }>;
    expect(ca.root).toMatchObject({ key: { algorithm: "RSA", rsaBits: 4096 }, validityDays: 3650 });
    expect(ca.intermediate).toMatchObject({ key: { algorithm: "RSA", rsaBits: 4096 }, validityDays: 730 });
    expect(cfg.istio).toMatchObject({ version: "1.29.2", namespace: "istio-system", install: "helm" });
  });

  it("defaults a minimal config: one cluster, STRICT mesh-wide", () => {
    const cfg = parseStackConfig(minimal);
    expect(cfg.clusters).toEqual([{ name: "cluster1" }]);
    expect(cfg.mtls.mode).toBe("STRICT");
  });

  it.each([
    ["missing ca", {}, /istio-mesh-ca:ca: required, but not set/],
    [
      "unknown backend",
      { ca: { backend: "openssl" } },
      /istio-mesh-ca:ca(\.backend)?: unknown backend "openssl"; allowed: selfSigned/,
    ],
    [
      "wrong type",
      { ...minimal, ca: { backend: "selfSigned", root: { validityDays: "ten years" } } },
      /istio-mesh-ca:ca\.root\.validityDays: .*expected number.*got "ten years"/,
    ],
    [
      "unknown mTLS mode",
      { ...minimal, mtls: { mode: "STRICTEST" } },
      /istio-mesh-ca:mtls\.mode: .*"UNSET"\|"DISABLE"\|"PERMISSIVE"\|"STRICT".*got "STRICTEST"/,
    ],
    [
      "DISABLE mesh-wide",
      { ...minimal, mtls: { mode: "DISABLE" } },
      /istio-mesh-ca:mtls\.mode: DISABLE is refused.*PERMISSIVE/,
    ],
    [
      "DISABLE for a namespace",
      { ...minimal, namespaces: [{ name: "a", mtls: "DISABLE" }] },
      /istio-mesh-ca:namespaces\[0\]\.mtls: DISABLE is refused/,
    ],
    [
      "intermediate outlives root",
      { ca: { backend: "selfSigned", root: { validityDays: 365 }, intermediate: { validityDays: 730 } } },
      /istio-mesh-ca:ca\.intermediate\.validityDays: intermediate\.validityDays is 730, longer than root\.validityDays \(365\).*got 730/,
    ],
    [
      "weak RSA key",
      { ca: { backend: "selfSigned", root: { key: { algorithm: "RSA", rsaBits: 1024 } } } },
      /istio-mesh-ca:ca\.root\.key\.rsaBits: RSA keys must be 2048, 3072 or 4096 bits.*got 1024/,
    ],
    [
      "weak curve",
      { ca: { backend: "selfSigned", intermediate: { key: { algorithm: "ECDSA", ecdsaCurve: "P224" } } } },
      /istio-mesh-ca:ca\.intermediate\.key\.ecdsaCurve: ECDSA curves must be P256, P384 or P521.*got "P224"/,
    ],
    [
      "unknown key algorithm",
      { ca: { backend: "selfSigned", root: { key: { algorithm: "DSA" } } } },
      /istio-mesh-ca:ca\.root\.key(\.algorithm)?: algorithm must be RSA or ECDSA/,
    ],
    [
      "lifetime below workload TTL",
      { ca: { backend: "selfSigned", intermediate: { validityDays: 1 } } },
      /istio-mesh-ca:ca\.intermediate\.validityDays: must be at least 2 days/,
    ],
    [
      "typo in a key",
      { ...minimal, mtsl: { mode: "STRICT" } },
      /unknown config key\(s\) istio-mesh-ca:mtsl; known keys: clusters, ca, istio, namespaces, mtls, sidecarIngressTls/,
    ],
    [
      "typo inside an object",
      { ...minimal, istio: { verison: "1.29.2" } },
      /istio-mesh-ca:istio: unknown key\(s\) "verison"/,
    ],
    [
      "bad Istio version",
      { ...minimal, istio: { version: "latest" } },
      /istio-mesh-ca:istio\.version: must be an Istio release like 1\.29\.2.*got "latest"/,
    ],
    [
      "duplicate clusters",
      { ...minimal, clusters: [{ name: "a" }, { name: "a" }] },
      /istio-mesh-ca:clusters\[1\]\.name: duplicate cluster "a"/,
    ],
    [
      "bad cluster name",
      { ...minimal, clusters: [{ name: "Cluster_1" }] },
      /istio-mesh-ca:clusters\[0\]\.name: must be a DNS-1123 label.*got "Cluster_1"/,
    ],
    ["no clusters", { ...minimal, clusters: [] }, /istio-mesh-ca:clusters: list at least one cluster/],
    [
      "port exception without selector",
      {
        ...minimal,
        namespaces: [{ name: "a" }],
        mtls: { exceptions: [{ name: "x", namespace: "a", selector: {}, ports: { "9080": "DISABLE" } }] },
      },
      /istio-mesh-ca:mtls\.exceptions\[0\]\.selector: portLevelMtls needs a non-empty selector/,
    ],
    [
      "port exception in an undeclared namespace",
      {
        ...minimal,
        mtls: { exceptions: [{ name: "x", namespace: "ghost", selector: { app: "x" }, ports: { "9080": "DISABLE" } }] },
      },
      /istio-mesh-ca:mtls\.exceptions\[0\]\.namespace: namespace "ghost" is not declared; add it to istio-mesh-ca:namespaces/,
    ],
    [
      "sidecar TLS in an undeclared namespace",
      {
        ...minimal,
        sidecarIngressTls: [{ name: "web", namespace: "ghost", selector: { app: "web" }, port: 8443, appPort: 80 }],
      },
      /istio-mesh-ca:sidecarIngressTls\[0\]\.namespace: namespace "ghost" is not declared/,
    ],
    [
      "sidecar TLS with a bad mode",
      {
        ...minimal,
        namespaces: [{ name: "a" }],
        sidecarIngressTls: [
          { name: "web", namespace: "a", selector: { app: "web" }, port: 8443, appPort: 80, mode: "ISTIO_MUTUAL" },
        ],
      },
      /istio-mesh-ca:sidecarIngressTls\[0\]\.mode: .*"SIMPLE"\|"MUTUAL".*got "ISTIO_MUTUAL"/,
    ],
    [
      "MUTUAL with provided certs but no CA",
      {
        ...minimal,
        namespaces: [{ name: "a" }],
        sidecarIngressTls: [
          {
            name: "web",
            namespace: "a",
            selector: { app: "web" },
            port: 8443,
            appPort: 80,
            certificates: {
              source: "provided",
              serverCertPem: "-----BEGIN CERTIFICATE-----x",
              serverKeyPem: "-----BEGIN PRIVATE KEY-----x",
            },
          },
        ],
      },
      /istio-mesh-ca:sidecarIngressTls\[0\]\.certificates\.caCertPem: mode MUTUAL needs caCertPem/,
    ],
    [
      "port out of range",
      {
        ...minimal,
        namespaces: [{ name: "a" }],
        sidecarIngressTls: [{ name: "web", namespace: "a", selector: { app: "web" }, port: 70000, appPort: 80 }],
      },
      /istio-mesh-ca:sidecarIngressTls\[0\]\.port: .*(<=|65535).*got 70000/,
    ],
  ])("refuses %s, naming the key, the value and what is allowed", (_label, raw, expected) => {
    const ps = configProblems(raw as Record<string, unknown>);
    expect(ps.join("\n")).toMatch(expected);
  });

  it("reports every problem at once, not only the first", () => {
    const ps = configProblems({ ca: { backend: "selfSigned", root: { validityDays: "x" } }, mtls: { mode: "NOPE" } });
    expect(ps.length).toBeGreaterThanOrEqual(2);
  });

  it("never echoes a private key in an error", () => {
    const key = "-----BEGIN RSA PRIVATE KEY-----\nMIIsecret\n-----END RSA PRIVATE KEY-----";
    const ps = configProblems({
      ...minimal,
      namespaces: [{ name: "a" }],
      sidecarIngressTls: [
        {
          name: "web",
          namespace: "a",
          selector: { app: "web" },
          port: 70000,
          appPort: 80,
          certificates: { source: "provided", serverCertPem: 42, serverKeyPem: key },
        },
      ],
    });
    expect(ps.join("\n")).not.toContain("MIIsecret");
  });
});

describe("private keys in plain config", () => {
  const key = "-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----";
  it("are refused with the command that stores them as secrets", () => {
    const raw = { sidecarIngressTls: [{ certificates: { serverKeyPem: key } }] };
    expect(plaintextPrivateKeys(raw, () => false)).toEqual([
      "istio-mesh-ca:sidecarIngressTls[0].certificates.serverKeyPem: a private key in plain config; set it with `pulumi config set --secret --path 'istio-mesh-ca:sidecarIngressTls[0].certificates.serverKeyPem'`",
    ]);
  });
  it("are accepted when the key is secret", () => {
    expect(plaintextPrivateKeys({ sidecarIngressTls: [{ k: key }] }, (k) => k === "sidecarIngressTls")).toEqual([]);
  });
});

describe("a bad config registers nothing", () => {
  it.each([
    ["unknown backend", { ca: { backend: "nope" } }],
    [
      "intermediate outlives root",
      { ca: { backend: "selfSigned", root: { validityDays: 100 }, intermediate: { validityDays: 200 } } },
    ],
    ["unknown mTLS mode", { ...minimal, mtls: { mode: "MAYBE" } }],
  ])("%s", async (_label, raw) => {
    const run = await runProgram(raw as Record<string, unknown>);
    expect(run.error).toBeInstanceOf(Error);
    expect(run.error!.message).toMatch(/invalid stack config/);
    expect(run.resources).toEqual([]);
  });

  it("a private key set without --secret", async () => {
    const key = "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----";
    const run = await runProgram({
      ...minimal,
      namespaces: [{ name: "a" }],
      sidecarIngressTls: [
        {
          name: "w",
          namespace: "a",
          selector: { app: "w" },
          port: 1,
          appPort: 2,
          certificates: {
            source: "provided",
            serverCertPem: "-----BEGIN CERTIFICATE-----",
            serverKeyPem: key,
            caCertPem: "-----BEGIN CERTIFICATE-----",
          },
        },
      ],
    });
    expect(run.error?.message).toMatch(/private key in plain config/);
    expect(run.resources).toEqual([]);
  });
});
