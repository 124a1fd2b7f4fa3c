import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
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

/** `openssl verify` of `leaf` against trusted `roots` and optional `untrusted` intermediates. */
export function opensslVerify(roots: string, leaf: string, untrusted?: string): { ok: boolean; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "akv-verify-"));
  fs.writeFileSync(path.join(dir, "roots.pem"), roots);
  fs.writeFileSync(path.join(dir, "leaf.pem"), leaf);
  const args = ["verify", "-CAfile", "roots.pem"];
  if (untrusted) {
    fs.writeFileSync(path.join(dir, "untrusted.pem"), untrusted);
    args.push("-untrusted", "untrusted.pem");
  }
  const r = spawnSync("openssl", [...args, "leaf.pem"], { cwd: dir, encoding: "utf8" });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "akv-offline-ca-"));
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
  const root = (name: string, cn: string) =>
    ssl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-days",
      "30",
      "-subj",
      `/O=Istio/CN=${cn}`,
      "-addext",
      "basicConstraints=critical,CA:true",
      "-addext",
      "keyUsage=critical,keyCertSign,digitalSignature",
    );
  root("root", "Root A");
  root("other", "Root B");
  ssl(
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.csr",
    "-subj",
    "/O=Istio/CN=Intermediate CA/L=aks-team-prod",
  );
  fs.writeFileSync(
    path.join(dir, "ca.ext"),
    "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,digitalSignature\nsubjectAltName=DNS:istiod.aks-istio-system.svc\n",
  );
  ssl(
    "x509",
    "-req",
    "-in",
    "ca.csr",
    "-CA",
    "root.pem",
    "-CAkey",
    "root.key",
    "-CAcreateserial",
    "-days",
    "20",
    "-sha256",
    "-extfile",
    "ca.ext",
    "-out",
    "ca.pem",
  );
  return {
    rootCertPem: read("root.pem"),
    caCertPem: read("ca.pem"),
    caKeyPem: read("ca.key"),
    otherRootCertPem: read("other.pem"),
    otherKeyPem: read("other.key"),
  };
}
