import {
  AzureKeyVaultCaSettings,
  azureKeyVaultSettingsProblems,
  keyVaultProblems,
  resolveAzureKeyVaultSettings,
} from "../../../components/ca/azureKeyVault/settings";
import { isSecretValue, runUnderMocks } from "../../harness/program";
import { azureMocks } from "./fixtures";

/**
 * components/ca/azureKeyVault/settings.ts owns the backend's defaults and checks: a composing program
 * passes plain settings and the components resolve and check them, refusing in their own terms before
 * registering children; the config schema resolves and checks through the same functions.
 */

const VAULT_ID =
  "/subscriptions/9a4c1e2b-5f6d-4b8a-a1c2-3d4e5f6a7b8c/resourceGroups/rg-platform-kv/providers/Microsoft.KeyVault/vaults/kv-platform-mesh";
const createCluster = { mode: "create" as const, resourceGroupName: "rg-aks", location: "westeurope" };
const fragmentsCluster = {
  mode: "fragments" as const,
  name: "aks-team",
  resourceGroupName: "rg-team",
  existingMesh: "none" as const,
};
const newKeyVault = { name: "kv-mesh-prod", resourceGroupName: "rg-kv", location: "westeurope" };

describe("resolveAzureKeyVaultSettings (pure)", () => {
  it("applies every documented default", () => {
    expect(
      resolveAzureKeyVaultSettings({
        keyVault: newKeyVault,
        mesh: { revisions: ["asm-1-27"] },
        cluster: createCluster,
      }),
    ).toEqual({
      resolved: true,
      keyVault: {
        ...newKeyVault,
        resolved: true,
        authorization: "rbac",
        sku: "standard",
        softDeleteRetentionDays: 90,
        purgeProtection: true,
      },
      objectNames: { rootCert: "root-cert", caCert: "ca-cert", caKey: "ca-key", certChain: "cert-chain" },
      material: { source: "generate" },
      secretsProvider: { rotationPollInterval: "2m" },
      mesh: { revisions: ["asm-1-27"], ingressGateways: [] },
      cluster: {
        ...createCluster,
        nodePool: { name: "system", vmSize: "Standard_D4s_v5", count: 3 },
        credentials: "user",
      },
    });
    expect(
      resolveAzureKeyVaultSettings({
        keyVault: { existingId: VAULT_ID },
        mesh: { revisions: ["asm-1-27"], ingressGateways: [{ mode: "External" }] },
        cluster: fragmentsCluster,
      }),
    ).toMatchObject({
      mesh: { ingressGateways: [{ mode: "External", enabled: true }] },
      cluster: { ...fragmentsCluster, lookup: true },
    });
  });

  it("keeps what is given, an object name or a node pool field at a time", () => {
    const r = resolveAzureKeyVaultSettings({
      keyVault: {
        ...newKeyVault,
        authorization: "accessPolicy",
        sku: "premium",
        softDeleteRetentionDays: 7,
        purgeProtection: false,
      },
      objectNames: { caKey: "intermediate-key" },
      secretsProvider: { rotationPollInterval: "30s" },
      mesh: { revisions: ["asm-1-27"] },
      cluster: { ...createCluster, nodePool: { count: 1 }, credentials: "admin" },
    });
    expect(r).toMatchObject({
      keyVault: { authorization: "accessPolicy", sku: "premium", softDeleteRetentionDays: 7, purgeProtection: false },
      objectNames: { rootCert: "root-cert", caCert: "ca-cert", caKey: "intermediate-key", certChain: "cert-chain" },
      secretsProvider: { rotationPollInterval: "30s" },
      cluster: { nodePool: { name: "system", vmSize: "Standard_D4s_v5", count: 1 }, credentials: "admin" },
    });
  });
});

describe("azureKeyVaultSettingsProblems (pure)", () => {
  const settings = (over: Record<string, unknown>) =>
    ({
      keyVault: newKeyVault,
      mesh: { revisions: ["asm-1-27"] },
      cluster: createCluster,
      ...over,
    }) as AzureKeyVaultCaSettings;

  it("finds nothing wrong with a new Key Vault and cluster, or an existing Key Vault and a team's cluster", () => {
    expect(azureKeyVaultSettingsProblems(settings({}))).toEqual([]);
    expect(
      azureKeyVaultSettingsProblems(settings({ keyVault: { existingId: VAULT_ID }, cluster: fragmentsCluster })),
    ).toEqual([]);
  });

  it("reports each problem at its path", () => {
    const problems = azureKeyVaultSettingsProblems(
      settings({
        keyVault: { existingId: VAULT_ID, name: "kv" },
        objectNames: { caKey: "ca-cert" },
        mesh: { revisions: ["asm-1-26", "asm-1-28"], ingressGateways: [{ mode: "External" }, { mode: "External" }] },
        cluster: { ...fragmentsCluster, existingMesh: "selfSigned", lookup: false },
      }),
    );
    expect(problems.map((p) => p.path.join("."))).toEqual([
      "keyVault.existingId",
      "objectNames.caKey",
      "mesh.revisions",
      "mesh.ingressGateways",
      "cluster.existingMesh",
      "cluster.addonIdentityObjectId",
    ]);
    expect(keyVaultProblems({ existingId: "/subscriptions/x" })[0].message).toMatch(/must be a Key Vault resource ID/);
    expect(keyVaultProblems({ name: "kv" }).map((p) => p.path[0])).toEqual(["resourceGroupName", "location"]);
  });
});

describe("the Azure Key Vault components refuse bad settings before registering children", () => {
  const settings = (over: Record<string, unknown>) => ({
    keyVault: newKeyVault,
    mesh: { revisions: ["asm-1-27"] },
    cluster: createCluster,
    ...over,
  });
  const build = (create: (m: { AzureKeyVaultCa: any; PluginCaKeyVault: any }) => void) =>
    runUnderMocks(
      () => {
        create(require("../../../components/ca/azureKeyVault"));
        return {};
      },
      {},
      azureMocks(),
    );

  it("AzureKeyVaultCa: every problem of a library user's settings, named", async () => {
    const run = await build(
      ({ AzureKeyVaultCa }) =>
        new AzureKeyVaultCa("akv", {
          settings: settings({ keyVault: { name: "kv-mesh" }, mesh: { revisions: ["1.27"] } }),
          clusterName: "aks-prod",
          caLifecycle: {},
        }),
    );
    expect(run.error?.constructor.name).toBe("ResourceError");
    expect(run.error?.message).toBe(
      "akv.keyVault.resourceGroupName: required for a new vault (or set existingId to use an existing one); " +
        "akv.keyVault.location: required for a new vault (or set existingId to use an existing one); " +
        'akv.mesh.revisions: revision "1.27" is not an add-on revision; allowed: asm-1-<minor> such as asm-1-27',
    );
    expect(run.resources.map((r) => r.type)).toEqual(["istio-mesh-ca:ca:AzureKeyVaultCa"]);
  });

  it("AzureKeyVaultCa: settingsName names the refusals (as a stack program names its config key)", async () => {
    const run = await build(
      ({ AzureKeyVaultCa }) =>
        new AzureKeyVaultCa("akv", {
          settings: settings({ mesh: { revisions: ["1.27"] } }),
          settingsName: "istio-mesh-ca:ca",
          clusterName: "aks-prod",
          caLifecycle: {},
        }),
    );
    expect(run.error?.message).toBe(
      'istio-mesh-ca:ca.mesh.revisions: revision "1.27" is not an add-on revision; allowed: asm-1-<minor> such as asm-1-27',
    );
  });

  it("AzureKeyVaultCa: generated material without the stack's CA lifecycle", async () => {
    const run = await build(
      ({ AzureKeyVaultCa }) => new AzureKeyVaultCa("akv", { settings: settings({}), clusterName: "aks-prod" }),
    );
    expect(run.error?.constructor.name).toBe("ResourceError");
    expect(run.error?.message).toBe(
      "akv.material.source is generate, which needs the stack's CA lifecycle: pass caLifecycle (or supply the PEMs with material source provided)",
    );
    expect(run.resources.map((r) => r.type)).toEqual(["istio-mesh-ca:ca:AzureKeyVaultCa"]);
  });

  const material = { rootCertBundle: "root", intermediateCert: "ca", intermediateKey: "key", certChain: "chain" };
  const objectNames = { rootCert: "root-cert", caCert: "ca-cert", caKey: "ca-key", certChain: "cert-chain" };

  it.each([
    [
      { existingId: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/kv" },
      'keyVault.existingId: must be a Key Vault resource ID: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name> (got "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/kv")',
    ],
    [
      { name: "kv-mesh", resourceGroupName: "rg-kv" },
      "keyVault.location: required for a new vault (or set existingId to use an existing one)",
    ],
  ])("PluginCaKeyVault: %j", async (keyVault, message) => {
    const run = await build(
      ({ PluginCaKeyVault }) =>
        new PluginCaKeyVault("kv", { keyVault, tenantId: "t", subscriptionId: "s", objectNames, material }),
    );
    expect(run.error?.constructor.name).toBe("ResourceError");
    expect(run.error?.message).toBe(message);
    expect(run.resources.map((r) => r.type)).toEqual(["istio-mesh-ca:ca:PluginCaVault"]);
  });

  it("PluginCaKeyVault: applies its documented defaults to a new Key Vault, and stores every object as a secret", async () => {
    const run = await build(
      ({ PluginCaKeyVault }) =>
        new PluginCaKeyVault("kv", {
          keyVault: newKeyVault,
          tenantId: "t",
          subscriptionId: "s",
          objectNames,
          material,
        }),
    );
    expect(run.error).toBeUndefined();
    const vault = run.resources.find((r) => r.type === "azure-native:keyvault:Vault")!;
    expect(vault.inputs.properties).toEqual(
      expect.objectContaining({
        sku: { family: "A", name: "standard" },
        enableRbacAuthorization: true,
        softDeleteRetentionInDays: 90,
        enablePurgeProtection: true,
      }),
    );
    const secrets = run.resources.filter((r) => r.type === "azure-native:keyvault:Secret");
    expect(secrets.map((s) => s.inputs.secretName)).toEqual(["root-cert", "ca-cert", "ca-key", "cert-chain"]);
    for (const s of secrets)
      expect([s.name, isSecretValue(s.rawInputs.properties?.value) || isSecretValue(s.rawInputs.properties)]).toEqual([
        s.name,
        true,
      ]);
  });
});
