import { ProgramRun, byName, ofType, privateKeyOccurrences, runProgram } from "../../harness/program";
import { TeamCaPems, TENANT, azureMocks, makeTeamCaPems } from "./fixtures";

/** cluster.mode fragments: the AKS cluster belongs to another stack; this one owns vault, secrets and access. */

const VAULT_ID =
  "/subscriptions/9a4c1e2b-5f6d-4b8a-a1c2-3d4e5f6a7b8c/resourceGroups/rg-platform-kv/providers/Microsoft.KeyVault/vaults/kv-platform-mesh";
const TEAM_OBJECT_ID = "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b";

function teamConfig(ca: Record<string, unknown>): Record<string, unknown> {
  return {
    clusters: [{ name: "aks-team-prod", kubeContext: "aks-team-prod" }],
    istio: { install: "external", namespace: "aks-istio-system" },
    ca: {
      backend: "azureKeyVault",
      keyVault: { existingId: VAULT_ID, authorization: "accessPolicy", tenantId: TENANT },
      mesh: { revisions: ["asm-1-26", "asm-1-27"] },
      cluster: {
        mode: "fragments",
        name: "aks-team-prod",
        resourceGroupName: "rg-team-aks",
        existingMesh: "none",
        lookup: false,
        addonIdentityObjectId: TEAM_OBJECT_ID,
      },
      ...ca,
    },
  };
}

describe("fragments mode, existing vault with access policies, supplied PEMs", () => {
  let offline: TeamCaPems;
  let run: ProgramRun;
  beforeAll(async () => {
    offline = makeTeamCaPems();
    run = await runProgram(
      teamConfig({
        material: {
          source: "provided",
          rootCertPem: offline.rootCertPem,
          caCertPem: offline.caCertPem,
          caKeyPem: offline.caKeyPem,
        },
      }),
      { secretKeys: ["ca"], ...azureMocks() },
    );
  });

  it("runs without error and creates neither a vault nor a cluster", () => {
    expect(run.error).toBeUndefined();
    expect(ofType(run, "azure-native:keyvault:Vault")).toHaveLength(0);
    expect(ofType(run, "azure-native:containerservice:ManagedCluster")).toHaveLength(0);
    expect(run.resources.filter((r) => r.type.startsWith("tls:"))).toHaveLength(0);
  });

  it("writes the supplied PEMs into the existing vault", () => {
    const secrets = Object.fromEntries(
      ofType(run, "azure-native:keyvault:Secret").map((s) => [s.inputs.secretName, s.inputs]),
    );
    expect(Object.keys(secrets).sort()).toEqual(["ca-cert", "ca-key", "cert-chain", "root-cert"]);
    for (const s of Object.values(secrets))
      expect(s).toMatchObject({ vaultName: "kv-platform-mesh", resourceGroupName: "rg-platform-kv" });
    expect(secrets["ca-key"].properties.value).toBe(offline.caKeyPem);
    expect(secrets["ca-cert"].properties.value).toBe(offline.caCertPem);
    expect(secrets["root-cert"].properties.value).toBe(offline.rootCertPem);
    expect(secrets["cert-chain"].properties.value).toBe(`${offline.caCertPem}${offline.rootCertPem}`);
  });

  it("gives the add-on identity get/list on secrets through an access policy, not a role", () => {
    const policies = ofType(run, "azure-native:keyvault:AccessPolicy");
    expect(policies).toHaveLength(1);
    expect(policies[0].inputs).toEqual({
      vaultName: "kv-platform-mesh",
      resourceGroupName: "rg-platform-kv",
      policy: { tenantId: TENANT, objectId: TEAM_OBJECT_ID, permissions: { secrets: ["get", "list"] } },
    });
    expect(ofType(run, "azure-native:authorization:RoleAssignment")).toHaveLength(0);
  });

  it("keeps the supplied key secret and only in the ca-key secret", () => {
    const occurrences = privateKeyOccurrences(run);
    expect(occurrences.map((o) => [o.resource.inputs.secretName, o.path, o.secret])).toEqual([
      ["ca-key", "properties.value", true],
    ]);
  });

  it("applies Kubernetes resources through the team cluster's kubeconfig context", () => {
    const provider = byName(run, "aks-team-prod-k8s");
    expect(provider.inputs.context).toBe("aks-team-prod");
    const pa = ofType(run, "PeerAuthentication")[0];
    expect(pa.provider).toContain("aks-team-prod-k8s");
  });
});
