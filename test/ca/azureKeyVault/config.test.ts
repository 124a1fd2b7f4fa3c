import { inPlaceSwitchProblem } from "../../../components/ca/azureKeyVault/cluster";
import { meshClusterFragments } from "../../../components/ca/azureKeyVault/fragments";
import { providedMaterialProblems } from "../../../components/ca/pem";
import { secretsUserRoleDefinitionId } from "../../../components/ca/azureKeyVault/keyVault";
import { parseKeyVaultId, revisionProblems } from "../../../components/ca/azureKeyVault/settings";
import { ConfigError, parseStackConfig } from "../../../config/load";
import { runProgram, stackConfig } from "../../harness/program";
import { TeamCaPems, makeTeamCaPems } from "./fixtures";

/** Config errors of the azureKeyVault backend: named key, bad value, what is allowed; nothing registered. */

const prod = () => structuredClone(stackConfig("prod")) as Record<string, any>;

/** The ConfigError lines for a config, or [] when it is valid. */
function problems(config: Record<string, unknown>): string[] {
  try {
    parseStackConfig(config);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

const fragments = (extra: Record<string, unknown>) => ({
  mode: "fragments",
  name: "aks-team-prod",
  resourceGroupName: "rg-team-aks",
  ...extra,
});

describe("azureKeyVault config errors through the program", () => {
  it("refuses istio.install helm with this backend, before registering anything", async () => {
    const cfg = prod();
    cfg.istio = { install: "helm", namespace: "aks-istio-system" };
    const run = await runProgram(cfg);
    expect(run.error?.message).toContain(
      'istio-mesh-ca:istio.install: must be external with the azureKeyVault backend: the AKS add-on installs and runs Istio itself (got "helm")',
    );
    expect(run.resources).toHaveLength(0);
  });

  it("refuses a CA key in plain (non-secret) config", async () => {
    const offline = makeTeamCaPems();
    const cfg = prod();
    cfg.ca.material = {
      source: "provided",
      rootCertPem: offline.rootCertPem,
      caCertPem: offline.caCertPem,
      caKeyPem: offline.caKeyPem,
    };
    const run = await runProgram(cfg);
    expect(run.error?.message).toContain("istio-mesh-ca:ca.material.caKeyPem: a private key in plain config");
    expect(run.error?.message).not.toContain(offline.caKeyPem.split("\n")[1]);
  });
});

describe("azureKeyVault config validation", () => {
  it("accepts Pulumi.prod.yaml and fills the defaults", () => {
    const cfg = parseStackConfig(prod());
    expect(cfg.ca).toMatchObject({
      backend: "azureKeyVault",
      objectNames: { rootCert: "root-cert", caCert: "ca-cert", caKey: "ca-key", certChain: "cert-chain" },
      secretsProvider: { rotationPollInterval: "2m" },
      cluster: { mode: "create", credentials: "user" },
    });
  });

  it.each([
    [["asm-1-26", "asm-1-28"], "revisions asm-1-26 and asm-1-28 are not consecutive minor versions"],
    [["asm-1-25", "asm-1-26", "asm-1-27"], "list one revision, or two during a canary upgrade (got 3)"],
    [[], "list one revision, or two during a canary upgrade (got 0)"],
    [["1.27"], 'revision "1.27" is not an add-on revision; allowed: asm-1-<minor> such as asm-1-27'],
  ])("refuses revisions %j", (revisions, message) => {
    const cfg = prod();
    cfg.ca.mesh.revisions = revisions;
    expect(problems(cfg)).toEqual([expect.stringContaining(`istio-mesh-ca:ca.mesh.revisions: ${message}`)]);
  });

  it("refuses a switch from the add-on's self-signed CA in place, telling how to do it", () => {
    const cfg = prod();
    cfg.ca.cluster = fragments({ existingMesh: "selfSigned" });
    const [line, ...rest] = problems(cfg);
    expect(rest).toEqual([]);
    expect(line).toContain(
      "istio-mesh-ca:ca.cluster.existingMesh: the mesh of cluster aks-team-prod uses the add-on's self-signed CA and cannot switch to a plug-in CA in place",
    );
    expect(line).toContain("az aks mesh disable");
    expect(line).toContain('(got "selfSigned")');
  });

  it("requires the cluster's current mesh CA in fragments mode", () => {
    const cfg = prod();
    cfg.ca.cluster = fragments({});
    expect(problems(cfg)).toEqual([expect.stringContaining("istio-mesh-ca:ca.cluster.existingMesh")]);
    expect(problems(cfg)[0]).toContain("none, selfSigned or plugin");
  });

  it("requires the add-on identity when the lookup is off", () => {
    const cfg = prod();
    cfg.ca.cluster = fragments({ existingMesh: "none", lookup: false });
    expect(problems(cfg)).toEqual([
      expect.stringContaining("istio-mesh-ca:ca.cluster.addonIdentityObjectId: with lookup: false, set the objectId"),
    ]);
  });

  it.each([
    [
      "ca.keyVault.name",
      (c: any) => {
        c.ca.keyVault.name = "kv_istio";
      },
      "must be 3-24 letters, digits and '-'",
    ],
    [
      "ca.keyVault.existingId",
      (c: any) => {
        c.ca.keyVault.existingId =
          "/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/kv-istio-ca-prod-weu";
      },
      "set either existingId or name/resourceGroupName/location, not both",
    ],
    [
      "ca.keyVault.authorization",
      (c: any) => {
        c.ca.keyVault.authorization = "rbacAndPolicies";
      },
      "must be rbac or accessPolicy",
    ],
    [
      "ca.keyVault.location",
      (c: any) => {
        delete c.ca.keyVault.location;
      },
      "required for a new vault",
    ],
    [
      "ca.secretsProvider.rotationPollInterval",
      (c: any) => {
        c.ca.secretsProvider.rotationPollInterval = "2 minutes";
      },
      "must be a duration like 2m, 30s or 1h30m",
    ],
    [
      "ca.objectNames.caKey",
      (c: any) => {
        c.ca.objectNames.caKey = "ca-cert";
      },
      "same secret name as caCert",
    ],
    [
      "ca.mesh.ingressGateways[0].mode",
      (c: any) => {
        c.ca.mesh.ingressGateways = [{ mode: "Public" }];
      },
      "must be External or Internal",
    ],
    [
      "ca.cluster.mode",
      (c: any) => {
        c.ca.cluster.mode = "import";
      },
      'cluster.mode must be "create" or "fragments"',
    ],
    [
      "istio.namespace",
      (c: any) => {
        c.istio.namespace = "istio-system";
      },
      "must be aks-istio-system with the azureKeyVault backend",
    ],
    [
      "clusters",
      (c: any) => {
        c.clusters.push({ name: "aks-mesh-prod-neu" });
      },
      "the azureKeyVault backend serves one AKS cluster per stack (got 2)",
    ],
  ])("names %s in the error", (key, mutate, message) => {
    const cfg = prod();
    mutate(cfg);
    const lines = problems(cfg);
    expect(lines).toEqual([expect.stringContaining(`istio-mesh-ca:${key}: ${message}`)]);
  });
});

describe("supplied material checks (pure)", () => {
  let offline: TeamCaPems;
  beforeAll(() => {
    offline = makeTeamCaPems();
  });

  it("accepts a matching root, intermediate and key", () => {
    expect(providedMaterialProblems(offline)).toEqual([]);
    expect(
      providedMaterialProblems({ ...offline, rootCertPem: offline.otherRootCertPem + offline.rootCertPem }),
    ).toEqual([]);
  });

  it("refuses an intermediate from another root, a foreign key and a chain that does not start with the intermediate", () => {
    expect(providedMaterialProblems({ ...offline, rootCertPem: offline.otherRootCertPem }).map((p) => p.key)).toEqual([
      "caCertPem",
    ]);
    const wrongKey = providedMaterialProblems({ ...offline, caKeyPem: offline.otherKeyPem });
    expect(wrongKey).toEqual([{ key: "caKeyPem", message: "does not match the public key of caCertPem" }]);
    expect(providedMaterialProblems({ ...offline, certChainPem: offline.rootCertPem }).map((p) => p.key)).toEqual([
      "certChainPem",
    ]);
    expect(providedMaterialProblems({ ...offline, caCertPem: offline.rootCertPem }).map((p) => p.key)).toEqual([
      "caKeyPem",
    ]);
  });

  it("reports a mismatched key through config without printing it", () => {
    const cfg = prod();
    cfg.ca.material = {
      source: "provided",
      rootCertPem: offline.rootCertPem,
      caCertPem: offline.caCertPem,
      caKeyPem: offline.otherKeyPem,
    };
    const lines = problems(cfg);
    expect(lines).toEqual([
      "istio-mesh-ca:ca.material.caKeyPem: does not match the public key of caCertPem (got nothing)",
    ]);
  });
});

describe("pure helpers", () => {
  it("revisions: one, or two consecutive", () => {
    expect(revisionProblems(["asm-1-27"])).toEqual([]);
    expect(revisionProblems(["asm-1-27", "asm-1-26"])).toEqual([]);
    expect(revisionProblems(["asm-1-27", "asm-1-27"])).toHaveLength(1);
  });

  it("parses Key Vault IDs and derives the role definition in the Key Vault's subscription", () => {
    expect(parseKeyVaultId("/subscriptions/s1/resourceGroups/rg-a/providers/Microsoft.KeyVault/vaults/kv-a")).toEqual({
      subscriptionId: "s1",
      resourceGroupName: "rg-a",
      keyVaultName: "kv-a",
    });
    expect(
      parseKeyVaultId("/subscriptions/s1/resourceGroups/rg-a/providers/Microsoft.Storage/storageAccounts/sa"),
    ).toBeUndefined();
    expect(secretsUserRoleDefinitionId("s1")).toBe(
      "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
    );
  });

  it("sees a self-signed add-on mesh, not a plug-in one or none", () => {
    expect(inPlaceSwitchProblem("c", { mode: "Istio", istio: {} })).toContain("cannot switch to a plug-in CA in place");
    expect(
      inPlaceSwitchProblem("c", { mode: "Istio", istio: { certificateAuthority: { plugin: { keyVaultId: "x" } } } }),
    ).toBeUndefined();
    expect(inPlaceSwitchProblem("c", { mode: "Disabled" })).toBeUndefined();
    expect(inPlaceSwitchProblem("c", undefined)).toBeUndefined();
  });

  it("builds fragments without a components block when no gateway is asked for", () => {
    const f = meshClusterFragments({
      keyVaultId: "/kv",
      rotationPollInterval: "20s",
      mesh: { revisions: ["asm-1-27"], ingressGateways: [] },
      objectNames: { rootCert: "r", caCert: "c", caKey: "k", certChain: "ch" },
    });
    expect(f.serviceMeshProfile).toEqual({
      mode: "Istio",
      istio: {
        revisions: ["asm-1-27"],
        certificateAuthority: {
          plugin: {
            keyVaultId: "/kv",
            certObjectName: "c",
            keyObjectName: "k",
            rootCertObjectName: "r",
            certChainObjectName: "ch",
          },
        },
      },
    });
    expect(f.addonProfiles.azureKeyvaultSecretsProvider.config).toEqual({
      enableSecretRotation: "true",
      rotationPollInterval: "20s",
    });
  });
});
