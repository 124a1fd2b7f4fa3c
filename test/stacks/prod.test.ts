import * as crypto from "crypto";
import {
  ADDON_OBJECT_ID,
  KUBECONFIG,
  SECRETS_USER_ROLE,
  SUBSCRIPTION,
  TENANT,
  azureMocks,
} from "../ca/azureKeyVault/fixtures";
import { verifyPems } from "../harness/openssl";
import {
  ProgramRun,
  Registered,
  byName,
  isSecretValue,
  ofType,
  privateKeyOccurrences,
  runProgram,
  stackConfig,
} from "../harness/program";

/** Whether the value at `path` sits under a secret marker (the SDK may mark an enclosing object). */
function underSecret(raw: any, path: string[]): boolean {
  let v = raw;
  for (const key of path) {
    if (isSecretValue(v)) return true;
    v = v?.[key];
  }
  return isSecretValue(v);
}

/** Pulumi.prod.yaml: the AKS add-on with a plug-in CA from Key Vault, cluster created by this stack. */
describe("prod stack (Pulumi.prod.yaml, azureKeyVault backend, cluster.mode create)", () => {
  let run: ProgramRun;
  let keyVault: Registered;
  let cluster: Registered;
  const secret = (objectName: string) => byName(run, `aks-mesh-prod-weu-ca-vault-${objectName}`);
  const secretValue = (objectName: string): string => secret(objectName).inputs.properties.value;

  beforeAll(async () => {
    run = await runProgram(stackConfig("prod"), { stack: "prod", ...azureMocks() });
    keyVault = ofType(run, "azure-native:keyvault:Vault")[0];
    cluster = ofType(run, "azure-native:containerservice:ManagedCluster")[0];
  });

  it("runs without error", () => {
    expect(run.error).toBeUndefined();
  });

  it("creates a Key Vault with RBAC authorization, soft delete and purge protection", () => {
    expect(ofType(run, "azure-native:keyvault:Vault")).toHaveLength(1);
    expect(keyVault.inputs).toMatchObject({
      vaultName: "kv-istio-ca-prod-weu",
      resourceGroupName: "rg-istio-ca-prod",
      location: "westeurope",
      properties: {
        tenantId: TENANT,
        sku: { family: "A", name: "standard" },
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: 90,
        enablePurgeProtection: true,
      },
    });
    expect(keyVault.inputs.properties.accessPolicies).toBeUndefined();
  });

  it("stores the four objects in that Key Vault, every value a Pulumi secret", () => {
    const secrets = ofType(run, "azure-native:keyvault:Secret");
    expect(secrets.map((s) => s.inputs.secretName).sort()).toEqual(["ca-cert", "ca-key", "cert-chain", "root-cert"]);
    for (const s of secrets) {
      expect(s.inputs).toMatchObject({ vaultName: "kv-istio-ca-prod-weu", resourceGroupName: "rg-istio-ca-prod" });
      expect(underSecret(s.rawInputs, ["properties", "value"])).toBe(true);
      expect(s.inputs.properties.value).toContain("-----BEGIN");
    }
    expect(secretValue("ca-key")).toMatch(/-----BEGIN (RSA )?PRIVATE KEY-----/);
  });

  it("cert-chain is the intermediate then the root, and verifies with openssl", () => {
    const root = secretValue("root-cert");
    const chain = secretValue("cert-chain");
    const caCert = secretValue("ca-cert");
    const certs = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g)!;
    expect(certs).toHaveLength(2);
    expect(new crypto.X509Certificate(certs[0]).fingerprint256).toBe(new crypto.X509Certificate(caCert).fingerprint256);
    expect(new crypto.X509Certificate(certs[1]).fingerprint256).toBe(new crypto.X509Certificate(root).fingerprint256);
    const verified = verifyPems({ roots: root, cert: certs[0] });
    expect(verified.out).toContain("OK");
    expect(verified.ok).toBe(true);
    // The key in ca-key belongs to ca-cert: istiod can sign with it.
    expect(new crypto.X509Certificate(caCert).checkPrivateKey(crypto.createPrivateKey(secretValue("ca-key")))).toBe(
      true,
    );
  });

  it("issues the intermediate for this cluster and the add-on's istiod", () => {
    const intermediate = new crypto.X509Certificate(secretValue("ca-cert"));
    expect(intermediate.subject).toContain("L=aks-mesh-prod-weu");
    expect(intermediate.subject).toContain("CN=Intermediate CA");
    expect(intermediate.subjectAltName).toBe("DNS:istiod.aks-istio-system.svc");
    expect(intermediate.ca).toBe(true);
  });

  it("grants the add-on identity Key Vault Secrets User on the Key Vault", () => {
    const [grant] = ofType(run, "azure-native:authorization:RoleAssignment");
    expect(grant.inputs).toEqual({
      principalId: ADDON_OBJECT_ID,
      principalType: "ServicePrincipal",
      roleDefinitionId: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${SECRETS_USER_ROLE}`,
      scope: `${keyVault.name}-id`,
    });
    expect(ofType(run, "azure-native:authorization:RoleAssignment")).toHaveLength(1);
    expect(ofType(run, "azure-native:keyvault:AccessPolicy")).toHaveLength(0);
  });

  it("creates the AKS cluster with the Istio add-on reading the plug-in CA from the Key Vault", () => {
    expect(cluster.inputs).toMatchObject({
      resourceName: "aks-mesh-prod-weu",
      resourceGroupName: "rg-aks-mesh-prod",
      location: "westeurope",
      kubernetesVersion: "1.33",
      dnsPrefix: "aks-mesh-prod-weu",
      identity: { type: "SystemAssigned" },
      agentPoolProfiles: [{ name: "system", mode: "System", vmSize: "Standard_D4s_v5", count: 3 }],
    });
    expect(cluster.inputs.serviceMeshProfile).toEqual({
      mode: "Istio",
      istio: {
        revisions: ["asm-1-27"],
        components: { ingressGateways: [{ enabled: true, mode: "External" }] },
        certificateAuthority: {
          plugin: {
            keyVaultId: `${keyVault.name}-id`,
            certObjectName: "ca-cert",
            keyObjectName: "ca-key",
            rootCertObjectName: "root-cert",
            certChainObjectName: "cert-chain",
          },
        },
      },
    });
  });

  it("enables the secrets-provider add-on with rotation, its config values as strings", () => {
    const addon = cluster.inputs.addonProfiles.azureKeyvaultSecretsProvider;
    expect(addon).toEqual({ enabled: true, config: { enableSecretRotation: "true", rotationPollInterval: "2m" } });
    for (const v of Object.values(addon.config)) expect(typeof v).toBe("string");
  });

  it("creates the cluster only after the four secrets exist", () => {
    const deps = run.dependsOn.get(cluster.name) ?? [];
    for (const s of ["root-cert", "ca-cert", "ca-key", "cert-chain"]) expect(deps).toContain(secret(s).name);
  });

  it("uses the new cluster's kubeconfig (a secret) for Kubernetes resources", () => {
    const provider = byName(run, "aks-mesh-prod-weu-ca-aks-k8s");
    expect(isSecretValue(provider.rawInputs.kubeconfig)).toBe(true);
    expect(provider.inputs.kubeconfig).toBe(KUBECONFIG);
    const k8sResources = run.resources.filter(
      (r) => r.type.startsWith("kubernetes:") && r.custom && r.type !== "pulumi:providers:kubernetes",
    );
    expect(k8sResources.length).toBeGreaterThan(0);
    for (const r of k8sResources) expect(r.provider).toContain("aks-mesh-prod-weu-ca-aks-k8s");
  });

  it("leaves Istio and cacerts to the add-on, and still applies mesh policies in aks-istio-system", () => {
    expect(run.resources.filter((r) => r.type.includes("helm"))).toHaveLength(0);
    expect(ofType(run, "kubernetes:core/v1:Secret").filter((s) => s.inputs.metadata?.name === "cacerts")).toHaveLength(
      0,
    );
    const pas = ofType(run, "kubernetes:security.istio.io/v1:PeerAuthentication");
    expect(pas.find((p) => p.inputs.metadata.namespace === "aks-istio-system")?.inputs.spec).toEqual({
      mtls: { mode: "STRICT" },
    });
    const ns = ofType(run, "kubernetes:core/v1:Namespace").find((n) => n.inputs.metadata.name === "payments");
    expect(ns?.inputs.metadata.labels).toEqual({ "istio.io/rev": "asm-1-27" });
  });

  it("keeps every private key secret, and outside the tls resources only in the ca-key secret", () => {
    const occurrences = privateKeyOccurrences(run);
    expect(occurrences.length).toBeGreaterThan(0);
    for (const o of occurrences) expect(o.secret).toBe(true);
    const outsideTls = occurrences.filter((o) => !o.resource.type.startsWith("tls:"));
    expect(outsideTls.map((o) => `${o.resource.name} ${o.path}`)).toEqual([
      `${secret("ca-key").name} properties.value`,
    ]);
  });

  it("exports certificates but no key", () => {
    const out = run.outputs.clusters["aks-mesh-prod-weu"];
    expect(out.backend).toBe("azureKeyVault");
    expect(out.certChain).toBe(secretValue("cert-chain"));
    expect(JSON.stringify(run.outputs)).not.toContain("PRIVATE KEY");
    // The add-on fragments, for teams whose cluster lives in another stack.
    expect(out.backendOutputs.serviceMeshProfile).toMatchObject({ mode: "Istio" });
    expect(out.backendOutputs.addonProfiles.azureKeyvaultSecretsProvider.config).toEqual(
      expect.objectContaining({ enableSecretRotation: "true" }),
    );
    expect(run.secretOutputPaths.filter((p) => p.includes("backendOutputs"))).toEqual([]);
  });
});
