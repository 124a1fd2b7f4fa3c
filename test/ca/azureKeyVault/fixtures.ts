import { OpensslDir } from "../../harness/openssl";
import { RunOptions } from "../../harness/program";

/** What Azure would answer for the prod stack: ids, the add-on identity, a kubeconfig. */

export const SUBSCRIPTION = "3f2b9c4e-8d17-4a6b-9e25-71c0d4a8b6f3";
export const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const ADDON_OBJECT_ID = "5c1d7e0a-2b4f-4e9a-8c3d-9f6a1b2c3d4e";
export const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n";
export const SECRETS_USER_ROLE = "4633458b-17de-408a-b874-0445c86b69e6";

export interface AzureAnswers {
  /** getManagedCluster's answer for a team-owned cluster. */
  teamCluster?: Record<string, unknown>;
}

/** extraState/call answers standing in for the azure-native provider. */
export function azureMocks(answers: AzureAnswers = {}): Pick<RunOptions, "extraState" | "call"> {
  return {
    extraState: (type, inputs) => {
      if (type === "azure-native:keyvault:Vault") return { name: inputs.vaultName };
      if (type === "azure-native:keyvault:Secret") return { name: inputs.secretName };
      if (type === "azure-native:containerservice:ManagedCluster") {
        return {
          name: inputs.resourceName,
          addonProfiles: Object.fromEntries(
            Object.entries(inputs.addonProfiles ?? {}).map(([k, v]) => [
              k,
              {
                ...(v as object),
                identity: { objectId: ADDON_OBJECT_ID, clientId: "c0ffee00-0000-4000-8000-000000000001" },
              },
            ]),
          ),
        };
      }
      return undefined;
    },
    call: (token, inputs) => {
      if (token === "azure-native:authorization:getClientConfig") {
        return {
          tenantId: TENANT,
          subscriptionId: SUBSCRIPTION,
          objectId: "0d3e4f5a-0000-4000-8000-000000000002",
          clientId: "c0ffee00-0000-4000-8000-000000000003",
        };
      }
      if (
        token === "azure-native:containerservice:listManagedClusterUserCredentials" ||
        token === "azure-native:containerservice:listManagedClusterAdminCredentials"
      ) {
        if (!inputs.resourceName || !inputs.resourceGroupName)
          throw new Error(`credentials asked without a cluster: ${JSON.stringify(inputs)}`);
        return {
          kubeconfigs: [
            {
              name: token.includes("Admin") ? "clusterAdmin" : "clusterUser",
              value: Buffer.from(KUBECONFIG).toString("base64"),
            },
          ],
        };
      }
      if (token === "azure-native:containerservice:getManagedCluster") return answers.teamCluster ?? {};
      return undefined;
    },
  };
}

/** An offline root and intermediate made with the openssl CLI (EC P-256: fast), as a team would supply them. */
export interface TeamCaPems {
  rootCertPem: string;
  caCertPem: string;
  caKeyPem: string;
  otherRootCertPem: string;
  otherKeyPem: string;
}

export function makeTeamCaPems(): TeamCaPems {
  const ssl = new OpensslDir();
  try {
    const root = (name: string, cn: string) =>
      ssl.selfSigned(name, {
        subj: `/O=Istio/CN=${cn}`,
        days: 30,
        addext: ["basicConstraints=critical,CA:true", "keyUsage=critical,keyCertSign,digitalSignature"],
      });
    const rootA = root("root", "Root A");
    const other = root("other", "Root B");
    const ca = ssl.issue("ca", "/O=Istio/CN=Intermediate CA/L=aks-team-prod", {
      ca: "root",
      days: 20,
      ext: "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,digitalSignature\nsubjectAltName=DNS:istiod.aks-istio-system.svc\n",
    });
    return {
      rootCertPem: rootA.cert,
      caCertPem: ca.cert,
      caKeyPem: ca.key,
      otherRootCertPem: other.cert,
      otherKeyPem: other.key,
    };
  } finally {
    ssl.cleanup();
  }
}
