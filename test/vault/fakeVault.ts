import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { rsaPrivateKey } from "../harness/keyPool";

/**
 * Plays Vault's PKI engine under mocks: the computed outputs a real Vault returns for the CSR,
 * root and sign-intermediate resources, made with real keys (openssl), PEMs trimmed as Vault
 * trims them. `state` records what was generated so tests can compare.
 */

export const T = {
  csr: "vault:pkiSecret/secretBackendIntermediateCertRequest:SecretBackendIntermediateCertRequest",
  rootCert: "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert",
  sign: "vault:pkiSecret/secretBackendRootSignIntermediate:SecretBackendRootSignIntermediate",
  setSigned: "vault:pkiSecret/secretBackendIntermediateSetSigned:SecretBackendIntermediateSetSigned",
  configCa: "vault:pkiSecret/secretBackendConfigCa:SecretBackendConfigCa",
  mount: "vault:index/mount:Mount",
  audit: "vault:index/audit:Audit",
  policy: "vault:index/policy:Policy",
  authBackend: "vault:index/authBackend:AuthBackend",
  authConfig: "vault:kubernetes/authBackendConfig:AuthBackendConfig",
  authRole: "vault:kubernetes/authBackendRole:AuthBackendRole",
  kvV2: "vault:kv/secretV2:SecretV2",
  kvV1: "vault:kv/secret:Secret",
  provider: "pulumi:providers:vault",
} as const;

function keyPair(keyType: string, keyBits: number): string {
  if (keyType !== "ec") return rsaPrivateKey(keyBits);
  return crypto.generateKeyPairSync("ec", {
    namedCurve: `P-${keyBits}`,
    privateKeyEncoding: { type: "sec1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
}

function openssl(args: string[], dir: string): string {
  return execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

const CA_EXT = (pathlen?: number) =>
  [
    `basicConstraints = critical, CA:TRUE${pathlen === undefined ? "" : `, pathlen:${pathlen}`}`,
    "keyUsage = critical, keyCertSign, cRLSign",
    "subjectKeyIdentifier = hash",
  ].join("\n");

export interface FakeVaultState {
  intermediateKey?: string;
  csr?: string;
  rootKey?: string;
  rootCert?: string;
  signedCert?: string;
}

export function fakeVault(): {
  state: FakeVaultState;
  extraState: (type: string, inputs: Record<string, any>) => Record<string, any> | undefined;
} {
  const state: FakeVaultState = {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-vault-"));
  const extraState = (type: string, inputs: Record<string, any>): Record<string, any> | undefined => {
    if (type === T.csr) {
      const key = keyPair(inputs.keyType ?? "rsa", inputs.keyBits ?? 2048);
      fs.writeFileSync(path.join(dir, "inter.key"), key);
      openssl(
        [
          "req",
          "-new",
          "-key",
          "inter.key",
          "-subj",
          `${inputs.organization ? `/O=${inputs.organization}` : ""}/CN=${inputs.commonName}`,
          "-out",
          "inter.csr",
        ],
        dir,
      );
      state.intermediateKey = key.trim();
      state.csr = fs.readFileSync(path.join(dir, "inter.csr"), "utf8").trim();
      return { csr: state.csr, privateKey: state.intermediateKey, privateKeyType: inputs.keyType ?? "rsa" };
    }
    if (type === T.rootCert) {
      const key = keyPair(inputs.keyType ?? "rsa", inputs.keyBits ?? 2048);
      fs.writeFileSync(path.join(dir, "root.key"), key);
      fs.writeFileSync(
        path.join(dir, "root.cnf"),
        `[req]\ndistinguished_name = dn\nx509_extensions = v3\n[dn]\n[v3]\n${CA_EXT()}\n`,
      );
      openssl(
        [
          "req",
          "-x509",
          "-new",
          "-config",
          "root.cnf",
          "-key",
          "root.key",
          "-subj",
          `/CN=${inputs.commonName}`,
          "-days",
          "365",
          "-out",
          "root.crt",
        ],
        dir,
      );
      state.rootKey = key;
      state.rootCert = fs.readFileSync(path.join(dir, "root.crt"), "utf8").trim();
      return { certificate: state.rootCert, issuingCa: state.rootCert, serialNumber: "01", issuerId: "root-issuer-1" };
    }
    if (type === T.sign) {
      fs.writeFileSync(path.join(dir, "sign.csr"), `${inputs.csr}\n`);
      fs.writeFileSync(
        path.join(dir, "inter.ext"),
        `${CA_EXT(inputs.maxPathLength)}\nauthorityKeyIdentifier = keyid:always\n`,
      );
      openssl(
        [
          "x509",
          "-req",
          "-in",
          "sign.csr",
          "-CA",
          "root.crt",
          "-CAkey",
          "root.key",
          "-CAcreateserial",
          "-days",
          "300",
          "-extfile",
          "inter.ext",
          "-out",
          "signed.crt",
        ],
        dir,
      );
      state.signedCert = fs.readFileSync(path.join(dir, "signed.crt"), "utf8").trim();
      return { certificate: state.signedCert, issuingCa: state.rootCert, caChains: [state.rootCert] };
    }
    return undefined;
  };
  return { state, extraState };
}
