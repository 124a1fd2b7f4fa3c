import fc from "fast-check";
import { resolveAzureKeyVaultSettings } from "../../../components/ca/azureKeyVault/settings";
import { azureKeyVaultConfigSchema } from "../../../config/backends/azureKeyVault";
import { isSecretValue, runUnderMocks } from "../../harness/program";
import { azureMocks } from "./fixtures";

/**
 * The Azure Key Vault components apply their documented defaults themselves (a composing program
 * passes plain settings, no schema): they must be the config schema's, and the components refuse,
 * in their own terms and before registering children, what the schema would have refused.
 */

const VAULT_ID = "/subscriptions/9a4c1e2b-5f6d-4b8a-a1c2-3d4e5f6a7b8c/resourceGroups/rg-platform-kv/providers/Microsoft.KeyVault/vaults/kv-platform-mesh";

/** What the schema parsed, minus the backend literal and the lifecycle fields a generated material gains. */
function parsed(input: Record<string, unknown>): Record<string, unknown> {
  const { backend: _backend, material, ...rest } = azureKeyVaultConfigSchema.parse({ backend: "azureKeyVault", ...input });
  return { ...rest, material: material.source === "generate" ? { source: "generate" } : material };
}

const createCluster = { mode: "create", resourceGroupName: "rg-aks", location: "westeurope" };
const fragmentsCluster = { mode: "fragments", name: "aks-team", resourceGroupName: "rg-team", existingMesh: "none" };
const newKeyVault = { name: "kv-mesh-prod", resourceGroupName: "rg-kv", location: "westeurope" };

describe("AzureKeyVaultCa defaults (pure)", () => {
  it.each([
    ["a new Key Vault and a new cluster", { keyVault: newKeyVault, mesh: { revisions: ["asm-1-27"] }, cluster: createCluster }],
    ["an existing Key Vault and a team-owned cluster", { keyVault: { existingId: VAULT_ID }, mesh: { revisions: ["asm-1-27"] }, cluster: fragmentsCluster }],
  ])("left out, resolve to what the config schema parses them to: %s", (_label, input) => {
    expect(resolveAzureKeyVaultSettings(input as never)).toEqual(parsed(input));
  });

  it("agree with the schema whichever optional settings are given (property)", () => {
    const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    const input = fc.record({
      keyVault: fc.record({
        authorization: opt(fc.constantFrom("rbac", "accessPolicy")), sku: opt(fc.constantFrom("standard", "premium")),
        softDeleteRetentionDays: opt(fc.integer({ min: 7, max: 90 })), purgeProtection: opt(fc.boolean()),
      }).map((kv) => ({ ...newKeyVault, ...defined(kv) })),
      rotationPollInterval: opt(fc.constantFrom("30s", "2m", "1h30m")),
      gateways: fc.subarray(["External", "Internal"] as const).chain((modes) => fc.tuple(...modes.map((mode) => opt(fc.boolean()).map((enabled) => defined({ mode, enabled }))))),
      nodePool: opt(fc.record({ name: opt(fc.constantFrom("sys", "pool1")), vmSize: opt(fc.constantFrom("Standard_D2s_v5")), count: opt(fc.integer({ min: 1, max: 5 })) }).map(defined)),
      credentials: opt(fc.constantFrom("user", "admin")),
      fragments: fc.boolean(),
      lookup: opt(fc.boolean()),
    }).map((r) => defined({
      keyVault: r.keyVault,
      secretsProvider: r.rotationPollInterval ? { rotationPollInterval: r.rotationPollInterval } : undefined,
      mesh: { revisions: ["asm-1-27"], ...(r.gateways.length > 0 ? { ingressGateways: r.gateways } : {}) },
      cluster: r.fragments
        ? defined({ ...fragmentsCluster, lookup: r.lookup, addonIdentityObjectId: r.lookup === false ? "5c1d7e0a-2b4f-4e9a-8c3d-9f6a1b2c3d4e" : undefined })
        : defined({ ...createCluster, nodePool: r.nodePool, credentials: r.credentials }),
    }));
    fc.assert(fc.property(input, (i) => {
      expect(resolveAzureKeyVaultSettings(i as never)).toEqual(parsed(i));
    }));
  });
});

describe("the Azure Key Vault components refuse bad settings before registering children", () => {
  const settings = (over: Record<string, unknown>) => ({ keyVault: newKeyVault, mesh: { revisions: ["asm-1-27"] }, cluster: createCluster, ...over });
  const build = (create: (m: { AzureKeyVaultCa: any; PluginCaKeyVault: any }) => void) => runUnderMocks(() => {
    create(require("../../../components/ca/azureKeyVault"));
    return {};
  }, {}, azureMocks());

  it("AzureKeyVaultCa: generated material without the stack's CA lifecycle", async () => {
    const run = await build(({ AzureKeyVaultCa }) => new AzureKeyVaultCa("akv", { settings: settings({}), clusterName: "aks-prod" }));
    expect(run.error?.constructor.name).toBe("ResourceError");
    expect(run.error?.message).toBe("material source generate needs the stack's CA lifecycle: pass caLifecycle (or supply the PEMs with material source provided)");
    expect(run.resources.map((r) => r.type)).toEqual(["istio-mesh-ca:ca:AzureKeyVaultCa"]);
  });

  const material = { rootCertBundle: "root", intermediateCert: "ca", intermediateKey: "key", certChain: "chain" };
  const objectNames = { rootCert: "root-cert", caCert: "ca-cert", caKey: "ca-key", certChain: "cert-chain" };

  it.each([
    [{ existingId: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/kv" },
      'keyVault.existingId "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/kv" is not a Key Vault resource ID (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>)'],
    [{ name: "kv-mesh", resourceGroupName: "rg-kv" },
      "a new Key Vault needs keyVault.name, keyVault.resourceGroupName and keyVault.location (or set keyVault.existingId)"],
  ])("PluginCaKeyVault: %j", async (keyVault, message) => {
    const run = await build(({ PluginCaKeyVault }) => new PluginCaKeyVault("kv", { keyVault, tenantId: "t", subscriptionId: "s", objectNames, material }));
    expect(run.error?.constructor.name).toBe("ResourceError");
    expect(run.error?.message).toBe(message);
    expect(run.resources.map((r) => r.type)).toEqual(["istio-mesh-ca:ca:PluginCaVault"]);
  });

  it("PluginCaKeyVault: applies its documented defaults to a new Key Vault, and stores every object as a secret", async () => {
    const run = await build(({ PluginCaKeyVault }) => new PluginCaKeyVault("kv", { keyVault: newKeyVault, tenantId: "t", subscriptionId: "s", objectNames, material }));
    expect(run.error).toBeUndefined();
    const vault = run.resources.find((r) => r.type === "azure-native:keyvault:Vault")!;
    expect(vault.inputs.properties).toEqual(expect.objectContaining({
      sku: { family: "A", name: "standard" }, enableRbacAuthorization: true, softDeleteRetentionInDays: 90, enablePurgeProtection: true,
    }));
    const secrets = run.resources.filter((r) => r.type === "azure-native:keyvault:Secret");
    expect(secrets.map((s) => s.inputs.secretName)).toEqual(["root-cert", "ca-cert", "ca-key", "cert-chain"]);
    for (const s of secrets) expect([s.name, isSecretValue(s.rawInputs.properties?.value) || isSecretValue(s.rawInputs.properties)]).toEqual([s.name, true]);
  });
});
