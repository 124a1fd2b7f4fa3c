import { resolveRootParams } from "../../../components/ca/certParams";
import { resolveExpiry, resolveIntermediateSource, resolveRotation } from "../../../components/ca/lifecycle/settings";
import { VaultCaSettings, resolveVaultSettings, vaultSettingsProblems } from "../../../components/ca/vault/settings";
import { vaultConfigSchema } from "../../../config/backends/vault";
import { byName, runUnderMocks } from "../../harness/program";
import { fakeVault } from "../../vault/fakeVault";

/**
 * components/ca/vault/settings.ts owns the Vault backend's defaults and checks: a library user
 * composing VaultPki/VaultCa gets the same defaults as the config, which resolves through them. The CA
 * lifecycle's (source, rotation, expiry) and the offline root's are the shared resolvers'.
 */

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
/** What a library user must give: nothing of the CA lifecycle. */
const minimal: VaultCaSettings = {
  address: "https://vault.example:8200",
  kubernetesAuth: { host: "https://10.0.0.1:6443", caCertPem: PEM },
};

describe("resolveVaultSettings (pure)", () => {
  it("applies every documented default: an offline root, the mounts, KV v2, Kubernetes auth, no injector", () => {
    expect(resolveVaultSettings(minimal)).toEqual({
      resolved: true,
      ...minimal,
      intermediateSource: { kind: "generate" },
      rotation: { restartDeployments: [] },
      expiry: { warnDays: 90, errorDays: 14, acknowledge: [] },
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

  it("resolves the CA lifecycle's settings and the offline root's parameters through the shared resolvers", () => {
    const given = {
      ...minimal,
      root: { mode: "offline" as const, key: { algorithm: "ECDSA" as const }, validityDays: 4000 },
      intermediate: { key: { algorithm: "RSA" as const } },
      rotation: { rootPhase: "dual" as const, newRoot: { validityDays: 5000 } },
      expiry: { errorDays: 7 },
    };
    const resolved = resolveVaultSettings(given);
    expect(resolved.root).toEqual({
      mode: "offline",
      ...resolveRootParams({ key: given.root.key, validityDays: 4000 }),
      mount: "pki",
      maxLeaseTtl: "8760h",
    });
    expect(resolved.root.key).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(resolved.intermediate.key).toEqual({ algorithm: "RSA", rsaBits: 4096 });
    expect(resolved.intermediateSource).toEqual(resolveIntermediateSource());
    expect(resolved.rotation).toEqual(resolveRotation(given.rotation));
    expect(resolved.expiry).toEqual(resolveExpiry(given.expiry));
    // Resolving resolved settings changes nothing (the config resolves once more inside VaultPki's checks).
    const { resolved: _r, ...plain } = resolved;
    expect(resolveVaultSettings(plain)).toEqual(resolved);
  });

  it("is what the config schema produces", () => {
    const ca = {
      address: minimal.address,
      kubernetesAuth: minimal.kubernetesAuth,
      kv: { version: 1 },
      root: { mode: "internal", ttl: "87600h", maxLeaseTtl: "87600h" },
    };
    const parsed = vaultConfigSchema.parse({ backend: "vault", ...ca });
    expect(parsed).toEqual({
      backend: "vault",
      ...resolveVaultSettings({
        ...ca,
        root: { mode: "internal", ttl: "87600h", maxLeaseTtl: "87600h" },
        kv: { version: 1 },
      }),
    });
    const offline = { ...minimal, root: { mode: "offline" as const }, expiry: { warnDays: 30 } };
    expect(vaultConfigSchema.parse({ backend: "vault", ...offline })).toEqual({
      backend: "vault",
      ...resolveVaultSettings(offline),
    });
  });
});

describe("VaultPki for a library user", () => {
  it("runs an offline root with plain settings that leave the CA lifecycle's settings out", async () => {
    const vault = fakeVault();
    const run = await runUnderMocks(
      () => {
        const api = require("../../../components/ca/vault") as typeof import("../../../components/ca/vault");
        const provider = api.vaultProvider("vault", minimal);
        const pki = new api.VaultPki("pki", {
          settings: minimal,
          provider,
          lifecycle: { previous: undefined },
          cluster: { clusterName: "cluster1", istioNamespace: "istio-system" },
        });
        return { state: pki.caLifecycle!.state };
      },
      {},
      { extraState: vault.extraState },
    );
    expect(run.error).toBeUndefined();
    expect(run.outputs.state).toMatchObject({ rootPhase: "steady", rootGeneration: 1, intermediateGeneration: 1 });
    expect(byName(run, "pki-root-cert").inputs.validityPeriodHours).toBe(resolveRootParams().validityDays * 24);
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
