import { addonIdentityObjectId, teamClusterIdentityFrom } from "../../../components/ca/azureKeyVault/cluster";
import { FragmentsClusterSettings } from "../../../components/ca/azureKeyVault/settings";
import { ofType, runProgram } from "../../harness/program";
import { ADDON_OBJECT_ID, TeamCaPems, SECRETS_USER_ROLE, TENANT, azureMocks, makeTeamCaPems } from "./fixtures";

/**
 * cluster.mode fragments with a lookup of the team's cluster (getManagedCluster): the add-on identity
 * comes from the cluster, and a mesh on the add-on's self-signed CA is refused at preview.
 * (One program run per file: the mock harness registers nothing on a second successful run.)
 */

const VAULT_ID =
  "/subscriptions/9a4c1e2b-5f6d-4b8a-a1c2-3d4e5f6a7b8c/resourceGroups/rg-platform-kv/providers/Microsoft.KeyVault/vaults/kv-platform-mesh";
const TEAM_OBJECT_ID = "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b";

const meshedWith = (plugin: boolean) => ({
  serviceMeshProfile: {
    mode: "Istio",
    istio: {
      revisions: ["asm-1-26"],
      ...(plugin ? { certificateAuthority: { plugin: { keyVaultId: VAULT_ID } } } : {}),
    },
  },
  addonProfiles: { azureKeyvaultSecretsProvider: { enabled: true, identity: { objectId: ADDON_OBJECT_ID } } },
});

describe("fragments mode with a lookup of the team's cluster", () => {
  let offline: TeamCaPems;
  beforeAll(() => {
    offline = makeTeamCaPems();
  });

  it("grants Key Vault Secrets User at the vault to the identity the lookup found", async () => {
    const run = await runProgram(
      {
        clusters: [{ name: "aks-team-prod" }],
        istio: { install: "external", namespace: "aks-istio-system" },
        ca: {
          backend: "azureKeyVault",
          keyVault: { existingId: VAULT_ID, tenantId: TENANT },
          material: {
            source: "provided",
            rootCertPem: offline.rootCertPem,
            caCertPem: offline.caCertPem,
            caKeyPem: offline.caKeyPem,
          },
          mesh: { revisions: ["asm-1-26"] },
          cluster: {
            mode: "fragments",
            name: "aks-team-prod",
            resourceGroupName: "rg-team-aks",
            existingMesh: "plugin",
          },
        },
      },
      { secretKeys: ["ca"], ...azureMocks({ teamCluster: meshedWith(true) }) },
    );
    expect(run.error).toBeUndefined();
    // The grant waits for the lookup, which the harness does not wait for: poll for its registration.
    const grant = await eventually(() => ofType(run, "azure-native:authorization:RoleAssignment")[0]);
    expect(grant.inputs).toEqual({
      principalId: ADDON_OBJECT_ID,
      principalType: "ServicePrincipal",
      roleDefinitionId: `/subscriptions/9a4c1e2b-5f6d-4b8a-a1c2-3d4e5f6a7b8c/providers/Microsoft.Authorization/roleDefinitions/${SECRETS_USER_ROLE}`,
      scope: VAULT_ID,
    });
  });

  it("refuses, at preview, a looked-up mesh on the self-signed CA, though config said none", () => {
    expect(() => teamClusterIdentityFrom(fragmentsCluster("none"), meshedWith(false))).toThrow(
      'cluster.existingMesh is "none", but the mesh of cluster aks-team-prod uses the add-on\'s self-signed CA',
    );
    expect(() => teamClusterIdentityFrom(fragmentsCluster("none"), meshedWith(false))).toThrow("az aks mesh disable");
  });

  it("accepts a looked-up mesh already on a plug-in CA, or no mesh, and prefers the configured identity", () => {
    expect(teamClusterIdentityFrom(fragmentsCluster("plugin"), meshedWith(true))).toBe(ADDON_OBJECT_ID);
    expect(
      teamClusterIdentityFrom(fragmentsCluster("none"), {
        ...meshedWith(true),
        serviceMeshProfile: { mode: "Disabled" },
      }),
    ).toBe(ADDON_OBJECT_ID);
    expect(teamClusterIdentityFrom({ ...fragmentsCluster("none"), addonIdentityObjectId: TEAM_OBJECT_ID }, {})).toBe(
      TEAM_OBJECT_ID,
    );
  });

  it("finds the add-on identity whatever casing ARM gives the add-on key", () => {
    for (const key of [
      "AzureKeyvaultSecretsProvider",
      "azurekeyvaultsecretsprovider",
      "AZUREKEYVAULTSECRETSPROVIDER",
    ]) {
      const state = {
        ...meshedWith(true),
        addonProfiles: { [key]: { enabled: true, identity: { objectId: ADDON_OBJECT_ID } } },
      };
      expect(teamClusterIdentityFrom(fragmentsCluster("plugin"), state)).toBe(ADDON_OBJECT_ID);
      expect(addonIdentityObjectId(state.addonProfiles)).toBe(ADDON_OBJECT_ID);
    }
    // The exact spelling wins; a same-named key without identity does not hide one that has it.
    expect(
      addonIdentityObjectId({
        azurekeyvaultsecretsprovider: { enabled: true, identity: { objectId: TEAM_OBJECT_ID } },
        azureKeyvaultSecretsProvider: { enabled: true, identity: { objectId: ADDON_OBJECT_ID } },
      } as never),
    ).toBe(ADDON_OBJECT_ID);
    expect(
      addonIdentityObjectId({
        azureKeyvaultSecretsProvider: { enabled: false },
        AzureKeyvaultSecretsProvider: { enabled: true, identity: { objectId: ADDON_OBJECT_ID } },
      } as never),
    ).toBe(ADDON_OBJECT_ID);
    expect(
      addonIdentityObjectId({ azurepolicy: { enabled: true, identity: { objectId: TEAM_OBJECT_ID } } } as never),
    ).toBeUndefined();
  });

  it("asks for the add-on first when the looked-up cluster has no secrets-provider identity", () => {
    expect(() =>
      teamClusterIdentityFrom(fragmentsCluster("none"), { serviceMeshProfile: { mode: "Disabled" } }),
    ).toThrow("has no azureKeyvaultSecretsProvider identity yet");
  });
});

function fragmentsCluster(existingMesh: "none" | "plugin"): FragmentsClusterSettings {
  return { mode: "fragments", name: "aks-team-prod", resourceGroupName: "rg-team-aks", existingMesh, lookup: true };
}

/** Polls until `get` returns something (registrations that wait on invokes land after the program returns). */
async function eventually<T>(get: () => T | undefined, timeoutMs = 10000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error("timed out waiting for a registration");
    await new Promise((r) => setTimeout(r, 50));
  }
}
