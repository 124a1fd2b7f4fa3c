import { resolveVaultSettings, vaultSettingsProblems } from "../../../components/ca/vault/settings";
import { vaultConfigSchema } from "../../../config/backends/vault";

/**
 * components/ca/vault/settings.ts owns the Vault backend's defaults and checks: a library user
 * composing VaultPki/VaultCa gets the same defaults as the config, which resolves through them.
 */

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const lifecycle = {
  intermediateSource: { kind: "generate" as const },
  rotation: { restartDeployments: [] },
  expiry: { warnDays: 90, errorDays: 14, acknowledge: [] },
};
const minimal = {
  address: "https://vault.example:8200",
  kubernetesAuth: { host: "https://10.0.0.1:6443", caCertPem: PEM },
  ...lifecycle,
};

describe("resolveVaultSettings (pure)", () => {
  it("applies every documented default: an offline root, the mounts, KV v2, Kubernetes auth, no injector", () => {
    expect(resolveVaultSettings(minimal)).toEqual({
      resolved: true,
      ...minimal,
      skipChildToken: false,
      audit: { enabled: true, path: "file", filePath: "/vault/vault-audit.log" },
      root: {
        mode: "offline",
        key: { algorithm: "RSA", rsaBits: 4096 },
        validityDays: 3650,
        subject: {},
        mount: "pki",
        maxLeaseTtl: "8760h",
      },
      intermediate: {
        mount: "istioca",
        maxLeaseTtl: "43800h",
        ttl: "8760h",
        commonName: "Istio Intermediate Authority",
        subject: {},
        key: { algorithm: "RSA", rsaBits: 4096 },
      },
      kv: { mount: "kv", path: "istioca", version: 2, createMount: true },
      kubernetesAuth: {
        ...minimal.kubernetesAuth,
        path: "kubernetes",
        role: "istiod",
        policyName: "istioca",
        tokenPeriod: "600s",
        tokenReviewer: "clientJwt",
      },
      agentTls: { caCertKey: "ca.crt" },
      injector: {
        install: false,
        namespace: "vault",
        chartVersion: "0.30.1",
        chartRepository: "https://helm.releases.hashicorp.com",
      },
      secretVolumePath: "/vault/secrets",
    });
    expect(resolveVaultSettings({ ...minimal, root: { mode: "internal" } }).root).toEqual({
      mode: "internal",
      mount: "pki",
      maxLeaseTtl: "8760h",
      commonName: "Istio Root CA",
      ttl: "8760h",
      key: { algorithm: "RSA", rsaBits: 4096 },
    });
  });

  it("is what the config schema produces", () => {
    const ca = {
      address: minimal.address,
      kubernetesAuth: minimal.kubernetesAuth,
      kv: { version: 1 },
      root: { mode: "internal", ttl: "87600h", maxLeaseTtl: "87600h" },
    };
    const parsed = vaultConfigSchema.parse({ backend: "vault", ...ca });
    const { backend, intermediateSource, rotation, expiry } = parsed;
    expect(parsed).toEqual({
      backend,
      ...resolveVaultSettings({
        ...ca,
        root: { mode: "internal", ttl: "87600h", maxLeaseTtl: "87600h" },
        kv: { version: 1 },
        intermediateSource,
        rotation,
        expiry,
      }),
    });
  });
});

describe("vaultSettingsProblems (pure)", () => {
  it("finds lifetimes Vault would cut and a reviewer JWT that is missing, at their paths", () => {
    expect(vaultSettingsProblems(minimal)).toEqual([]);
    const problems = vaultSettingsProblems({
      ...minimal,
      intermediate: { ttl: "50000h" },
      kubernetesAuth: { ...minimal.kubernetesAuth, tokenReviewer: "reviewerJwt" },
    });
    expect(problems.map((p) => p.path.join("."))).toEqual(["intermediate.ttl", "kubernetesAuth.tokenReviewerJwt"]);
  });
});
