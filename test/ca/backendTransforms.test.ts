import type * as Api from "../../components";
import type * as ConfigApi from "../../config";
import { byName, isSecretValue, runUnderMocks, stackConfig } from "../harness/program";
import { azureMocks } from "./azureKeyVault/fixtures";
import { caSecretReads } from "./certManager/fixtures";
import { fakeVault } from "../vault/fakeVault";

/**
 * The per-child escape hatch on the CA backends, as on the Istio install and the policies: partial
 * args deep-merged over ours, or a function editing args and options. A key's outputs stay secret
 * whatever a transform does to its options.
 */

type Ca<B extends string> = Extract<ConfigApi.StackConfig["ca"], { backend: B }>;
function caOf<B extends string>(config: typeof ConfigApi, stack: string, backend: B): Ca<B> {
  const ca = config.parseStackConfig(stackConfig(stack)).ca;
  if (ca.backend !== backend) throw new Error(`Pulumi.${stack}.yaml: backend ${ca.backend}, expected ${backend}`);
  return ca as Ca<B>;
}

describe("transform on the CA backends", () => {
  const secrets = caSecretReads();
  const vaultServer = fakeVault();
  const azure = azureMocks();
  const opts = {
    extraState: (type: string, inputs: Record<string, any>) =>
      secrets.extraState(type, inputs) ?? vaultServer.extraState(type, inputs) ?? azure.extraState!(type, inputs),
    call: azure.call,
  };

  const program = () => {
    const api = require("../../components") as typeof Api;
    const config = require("../../config") as typeof ConfigApi;
    const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
    const provider = new k8s.Provider("cluster1", {});
    const labels = { metadata: { labels: { team: "platform" } } };

    new api.SelfSignedCa("ss", {
      caLifecycle: new api.CaLifecycle("ss-root", {}),
      clusterName: "cluster1",
      transform: {
        intermediate: {
          cert: { validityPeriodHours: 24 * 365 },
          // Options too; dropping the secret outputs does not expose the key.
          key: (_args, opts) => {
            opts.additionalSecretOutputs = [];
          },
        },
      },
    });

    const settings = caOf(config, "staging", "vault");
    const vaultProvider = api.vaultProvider("vault", settings);
    const pki = new api.VaultPki("vault-pki", {
      settings,
      provider: vaultProvider,
      lifecycle: {},
      cluster: { clusterName: "cluster1", istioNamespace: "istio-system" },
      transform: {
        rootMount: (args) => ({ ...args, description: "root certificates only" }),
        policy: { name: "istioca-team" },
      },
    });
    new api.VaultCa("vault", {
      settings,
      provider,
      istioNamespace: "istio-system",
      shared: { provider: vaultProvider, pki },
      transform: { authBackend: { description: "team auth" }, injectorNamespace: labels },
    });

    new api.CertManagerCa("cm", {
      settings: caOf(config, "certmanager", "certManager"),
      provider,
      istioNamespace: "istio-system",
      transform: { certManagerNamespace: labels, signer: { issuer: labels } },
    });

    const akv = caOf(config, "prod", "azureKeyVault");
    new api.AzureKeyVaultCa("akv", {
      settings: akv,
      clusterName: "aks-mesh-prod-weu",
      caLifecycle: new api.CaLifecycle("akv-root", {}),
      transform: {
        keyVault: { tags: { team: "platform" } },
        // Replaces the properties wholesale, value in plain: it is made secret again.
        secret: (args) => ({ ...args, properties: { value: "replaced", contentType: "text/plain" } }),
        managedCluster: { tags: { team: "platform" } },
        grant: { roleAssignment: { description: "istio add-on reads the plug-in CA" } },
      },
    });
    return {};
  };

  it("reaches the children it names, and only those", async () => {
    const r = await runUnderMocks(program, {}, opts);
    expect(r.error).toBeUndefined();
    expect(byName(r, "ss-intermediate-cert").inputs.validityPeriodHours).toBe(24 * 365);
    expect(byName(r, "ss-root-root-cert").inputs.validityPeriodHours).toBe(3650 * 24);
    expect(byName(r, "vault-pki-root-mount").inputs.description).toBe("root certificates only");
    expect(byName(r, "vault-pki-intermediate-mount").inputs.description).toMatch(/^Istio intermediate CA/);
    expect(byName(r, "vault-pki-policy").inputs.name).toBe("istioca-team");
    expect(byName(r, "vault-k8s-auth").inputs).toMatchObject({ type: "kubernetes", description: "team auth" });
    expect(byName(r, "vault-injector-namespace").inputs.metadata).toEqual({
      name: "vault",
      labels: { team: "platform" },
    });
    expect(byName(r, "cm-cert-manager-namespace").inputs.metadata).toEqual({
      name: "cert-manager",
      labels: { team: "platform" },
    });
    expect(byName(r, "cm-signer-foo-issuer").inputs.metadata.labels).toMatchObject({
      team: "platform",
      "app.kubernetes.io/managed-by": "istio-mesh-ca",
    });
    expect(byName(r, "cm-signer-foo-ca").inputs.metadata.labels?.team).toBeUndefined();
    expect(byName(r, "akv-vault-kv").inputs.tags).toEqual({ team: "platform" });
    expect(byName(r, "akv-aks").inputs.tags).toEqual({ team: "platform" });
    expect(byName(r, "akv-secrets-user").inputs.description).toBe("istio add-on reads the plug-in CA");
    expect(byName(r, "akv-vault-ca-key").inputs.properties).toEqual({ value: "replaced", contentType: "text/plain" });
  });

  it("passes a transformed key on as a secret (and keeps its secret outputs, which mocks do not apply)", async () => {
    const r = await runUnderMocks(program, {}, opts);
    // The intermediate's certificate request is signed with the key: a secret input wherever it goes.
    expect(isSecretValue(byName(r, "ss-intermediate-csr").rawInputs.privateKeyPem)).toBe(true);
    // A Key Vault secret's value, replaced in plain by a transform, is still sent as a secret.
    // (The SDK sends an object holding a secret as one secret.)
    expect(isSecretValue(byName(r, "akv-vault-ca-key").rawInputs.properties)).toBe(true);
  });
});
