import type * as Api from "../../components";
import type * as ConfigApi from "../../config";
import { RunOptions, byName, runUnderMocks, stackConfig } from "../harness/program";
import { azureMocks } from "../ca/azureKeyVault/fixtures";
import { caSecretReads } from "../ca/certManager/fixtures";
import { makeProvidedFixtures } from "../ca/provided/fixtures";
import { fakeVault } from "../vault/fakeVault";

/**
 * A composing team builds every CA backend with the package's entry points alone: `istio-mesh-ca`
 * (the components) and `istio-mesh-ca/config` (settings read from the committed stack files here).
 * Nothing below reaches into a module of the package directly; a component whose args need something
 * the barrels do not export fails to compile or to run here. The packed tarball itself is installed
 * and deployed by the e2e tier (test/e2e/package.test.ts).
 */

type Ca<B extends string> = Extract<ConfigApi.StackConfig["ca"], { backend: B }>;

function caOf<B extends string>(config: typeof ConfigApi, stack: string, backend: B): Ca<B> {
  const ca = config.parseStackConfig(stackConfig(stack)).ca;
  if (ca.backend !== backend) throw new Error(`Pulumi.${stack}.yaml: backend ${ca.backend}, expected ${backend}`);
  return ca as Ca<B>;
}

describe("every CA backend, built from the package's entry points only", () => {
  const pems = makeProvidedFixtures();
  const secrets = caSecretReads();
  const azure = azureMocks();
  const vaultServer = fakeVault();
  const opts: RunOptions = {
    extraState: (type, inputs) =>
      secrets.extraState(type, inputs) ?? vaultServer.extraState(type, inputs) ?? azure.extraState!(type, inputs),
    call: azure.call,
  };

  const program = () => {
    const api = require("../../components") as typeof Api;
    const config = require("../../config") as typeof ConfigApi;
    const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const provider = new k8s.Provider("cluster1", { ...api.MESH_PROVIDER_OPTIONS });

    // Self-signed: a root per stack, an intermediate per cluster.
    const selfSigned = new api.SelfSignedCa("ss", {
      caLifecycle: api.createCaLifecycle("ss-root", { previous: undefined }),
      clusterName: "cluster1",
    });

    // Supplied PEMs: checked first (what ProvidedCa's refusal tells a caller to do), then handed over.
    const material = { caCertPem: pems.interA.cert, caKeyPem: pems.interA.key };
    const check = api.checkSuppliedMaterial({ rootCertPem: pems.rootA.cert, ...material });
    if (check.problems.length > 0) throw new Error(check.problems.map((p) => p.message).join("; "));
    const provided = new api.ProvidedCa("pr", {
      roots: {
        rootCerts: [pems.rootA.cert],
        rootCertBundle: api.joinPems([pems.rootA.cert]),
        checks: { cluster1: check },
        deployed: pulumi.output(undefined),
      },
      clusterName: "cluster1",
      material,
    });

    // Vault, offline root: the stack's provider and PKI (with its CA lifecycle) once, then the cluster's backend.
    const vaultSettings = caOf(config, "staging", "vault");
    const vaultProvider = api.vaultProvider("vault", vaultSettings);
    const vaultRoot =
      vaultSettings.root.mode === "offline"
        ? { key: vaultSettings.root.key, validityDays: vaultSettings.root.validityDays }
        : undefined;
    const pki = new api.VaultPki("vault-pki", {
      settings: vaultSettings,
      provider: vaultProvider,
      lifecycle: { root: vaultRoot, previous: undefined },
      cluster: { clusterName: "cluster1", istioNamespace: "istio-system" },
    });
    const vault = new api.VaultCa("vault", {
      settings: vaultSettings,
      shared: { provider: vaultProvider, pki },
      provider,
      istioNamespace: "istio-system",
    });

    // cert-manager: Kubernetes CSR signers.
    const certManager = new api.CertManagerCa("cm", {
      settings: caOf(config, "certmanager", "certManager"),
      provider,
      istioNamespace: "istio-system",
    });

    // Azure Key Vault and the AKS add-on, material generated from the stack's lifecycle.
    const akvSettings = caOf(config, "prod", "azureKeyVault");
    const akvMaterial = akvSettings.material;
    const akvLifecycle =
      akvMaterial.source === "generate"
        ? api.createCaLifecycle("akv-root", {
            root: akvMaterial.root,
            intermediate: akvMaterial.intermediate,
            previous: undefined,
          })
        : undefined;
    const akv = new api.AzureKeyVaultCa("akv", {
      settings: akvSettings,
      clusterName: "aks-mesh-prod-weu",
      caLifecycle: akvLifecycle,
    });

    const backends: Api.CaBackend[] = [selfSigned, provided, vault, certManager, akv];
    // Any backend goes into the install the same way.
    new api.IstioInstall("istio", { provider, ca: selfSigned, skipAwait: true });
    return Object.fromEntries(
      backends.map((b) => [b.backendName, { kind: b.delivery.kind, roots: b.delivery.material.rootCertBundle }]),
    );
  };

  it("registers each backend, each with its delivery and its roots", async () => {
    const r = await runUnderMocks(program, {}, opts);
    expect(r.error).toBeUndefined();
    // Every lifecycle was given `previous` (a first deployment): none warns that its check is off.
    expect(r.warnings.filter((w) => /no previous deployment state/.test(w))).toEqual([]);
    expect(r.outputs).toEqual({
      selfSigned: { kind: "cacerts", roots: expect.stringContaining("BEGIN CERTIFICATE") },
      provided: { kind: "cacerts", roots: api().joinPems([pems.rootA.cert]) },
      vault: { kind: "external", roots: expect.stringContaining("BEGIN CERTIFICATE") },
      certManager: { kind: "external", roots: expect.stringContaining("BEGIN CERTIFICATE") },
      azureKeyVault: { kind: "external", roots: expect.stringContaining("BEGIN CERTIFICATE") },
    });
    for (const [name, type] of [
      ["ss", "SelfSignedCa"],
      ["pr", "ProvidedCa"],
      ["vault-pki", "VaultPki"],
      ["vault", "VaultCa"],
      ["cm", "CertManagerCa"],
      ["akv", "AzureKeyVaultCa"],
    ]) {
      expect(byName(r, name).type).toBe(`istio-mesh-ca:ca:${type}`);
    }
    expect(byName(r, "istio-cacerts-secret").inputs.metadata.name).toBe("cacerts");
  });
});

/** The barrel, outside the mocked run (pure helpers only). */
function api(): typeof Api {
  return jest.requireActual("../../components") as typeof Api;
}
