import * as crypto from "crypto";
import {
  ProgramRun,
  byName,
  isSecretValue,
  ofType,
  privateKeyOccurrences,
  runProgram,
  stackConfig,
} from "../../harness/program";
import { FakeVaultState, T, fakeVault } from "../../vault/fakeVault";
import { opensslVerify } from "../../vault/opensslVerify";
import { goBinary, renderTemplates } from "../../vault/renderTemplates";
import { vaultReads } from "../../vault/vaultReads";

const A = "vault.hashicorp.com";
const TOKEN = "hvs.test-token-not-real";

/** The staging stack switched to a root generated in Vault, KV v1 on an existing mount, no audit, no injector. */
function internalConfig(): Record<string, unknown> {
  const cfg = stackConfig("staging");
  const ca = cfg.ca as Record<string, any>;
  return {
    ...cfg,
    ca: {
      ...ca,
      token: TOKEN,
      namespace: "platform",
      audit: { enabled: false },
      root: {
        mode: "internal",
        mount: "root-pki",
        maxLeaseTtl: "87600h",
        ttl: "87600h",
        commonName: "Example Root",
        key: { algorithm: "ECDSA", ecdsaCurve: "P384" },
      },
      intermediate: { ...ca.intermediate, mount: "mesh-int", key: { algorithm: "RSA", rsaBits: 2048 } },
      kv: { mount: "secret", path: "istio/ca", version: 1, createMount: false },
      kubernetesAuth: {
        ...ca.kubernetesAuth,
        path: "k8s-staging",
        serviceAccount: "istiod-service-account",
        serviceAccountNamespace: "istio-cp",
      },
      injector: { install: false },
      secretVolumePath: "/etc/cacerts-vault",
    },
  };
}

describe("vault backend, root generated in Vault (internal), KV v1, token from secret config", () => {
  let run: ProgramRun;
  let vs: FakeVaultState;
  let out: { rootCertBundle: string; intermediateCert: string; certChain: string };

  beforeAll(async () => {
    const fv = fakeVault();
    vs = fv.state;
    run = await runProgram(internalConfig(), { stack: "staging", secretKeys: ["ca"], extraState: fv.extraState });
    out = run.outputs.clusters?.staging;
  }, 180_000);

  it("runs", () => expect(run.error).toBeUndefined());

  it("passes the token to the provider only as a secret, with the Vault namespace", () => {
    const provider = ofType(run, T.provider)[0];
    expect(isSecretValue(provider.rawInputs.token)).toBe(true);
    expect(provider.inputs.token).toBe(TOKEN);
    expect(provider.inputs.namespace).toBe("platform");
    const plain = run.resources
      .filter((r) => r !== provider)
      .map((r) => JSON.stringify(r.inputs))
      .join("\n");
    expect(plain).not.toContain(TOKEN);
    expect(JSON.stringify(run.outputs)).not.toContain(TOKEN);
  });

  it("generates the root in Vault and signs the exported CSR there, without audit or KV mount", () => {
    expect(ofType(run, T.audit)).toHaveLength(0);
    expect(
      ofType(run, T.mount)
        .map((m) => m.inputs.path)
        .sort(),
    ).toEqual(["mesh-int", "root-pki"]);
    expect(byName(run, "mesh-pki-root-mount").inputs.maxLeaseTtlSeconds).toBe(87600 * 3600);
    expect(ofType(run, T.configCa)).toHaveLength(0);
    expect(ofType(run, "tls:index/privateKey:PrivateKey")).toHaveLength(0);
    expect(byName(run, "mesh-pki-root-cert").inputs).toMatchObject({
      backend: "root-pki",
      type: "internal",
      commonName: "Example Root",
      ttl: "87600h",
      keyType: "ec",
      keyBits: 384,
    });
    expect(byName(run, "mesh-pki-intermediate-csr").inputs).toMatchObject({
      backend: "mesh-int",
      type: "exported",
      keyType: "rsa",
      keyBits: 2048,
    });
    const sign = byName(run, "mesh-pki-intermediate-sign");
    expect(sign.type).toBe(T.sign);
    // Signed by that root by its issuer id (re-signed when the root is replaced: replaceOnChanges, checked in the e2e
    // tier).
    expect(sign.inputs).toMatchObject({
      backend: "root-pki",
      issuerRef: "root-issuer-1",
      csr: vs.csr,
      ttl: "8760h",
      maxPathLength: 0,
      commonName: "Example Corp Intermediate Authority",
    });
    expect(run.dependsOn.get("mesh-pki-intermediate-sign")).toContain("mesh-pki-root-cert");
  });

  it("exposes the Vault-made chain as material, verified by openssl", () => {
    expect(out.rootCertBundle).toBe(`${vs.rootCert}\n`);
    expect(out.intermediateCert).toBe(`${vs.signedCert}\n`);
    expect(out.certChain).toBe(`${vs.signedCert}\n${vs.rootCert}\n`);
    expect(byName(run, "mesh-pki-intermediate-set-signed").inputs).toMatchObject({
      backend: "mesh-int",
      certificate: out.certChain,
    });
    const root = new crypto.X509Certificate(out.rootCertBundle);
    expect(new crypto.X509Certificate(out.intermediateCert).verify(root.publicKey)).toBe(true);
    expect(opensslVerify(out.rootCertBundle, out.intermediateCert)).toContain("cert.pem: OK");
  });

  it("writes the four files together into the KV v1 secret (the Vault-signed certificate with its key), the key only there, the policy on that path only", () => {
    const kv = byName(run, "mesh-pki-intermediate-key");
    expect(kv.type).toBe(T.kvV1);
    expect(kv.inputs.path).toBe("secret/istio/ca");
    expect(isSecretValue(kv.rawInputs.dataJson)).toBe(true);
    const data = JSON.parse(kv.inputs.dataJson);
    expect(data).toEqual({
      "ca-cert.pem": `${vs.signedCert}\n`,
      "ca-key.pem": `${vs.intermediateKey}\n`,
      "cert-chain.pem": `${vs.signedCert}\n${vs.rootCert}\n`,
      "root-cert.pem": `${vs.rootCert}\n`,
    });
    expect(
      new crypto.X509Certificate(data["ca-cert.pem"]).checkPrivateKey(crypto.createPrivateKey(data["ca-key.pem"])),
    ).toBe(true);
    expect(opensslVerify(data["root-cert.pem"], data["cert-chain.pem"])).toContain("cert.pem: OK");
    const found = privateKeyOccurrences(run).map((o) => `${o.resource.name}:${o.path}:${o.secret}`);
    expect(found).toEqual(["mesh-pki-intermediate-key:dataJson:true"]);
    const policy = byName(run, "mesh-pki-policy").inputs.policy as string;
    expect(policy).toBe('path "secret/istio/ca" {\n  capabilities = ["read"]\n}\n');
    expect(run.dependsOn.get("staging-istio-istiod")).toEqual(
      expect.arrayContaining(["mesh-pki-intermediate-key", "mesh-pki-policy"]),
    );
  });

  it("binds the configured service account, auth path, volume path and no injector chart", () => {
    expect(byName(run, "staging-ca-k8s-auth").inputs.path).toBe("k8s-staging");
    expect(byName(run, "staging-ca-k8s-auth-role").inputs).toMatchObject({
      backend: "k8s-staging",
      boundServiceAccountNames: ["istiod-service-account"],
      boundServiceAccountNamespaces: ["istio-cp"],
    });
    expect(ofType(run, "kubernetes:helm.sh/v4:Chart").map((c) => c.name)).not.toContain("staging-ca-injector");
    const values = byName(run, "staging-istio-istiod").inputs.values;
    expect(values.pilot.env.ROOT_CA_DIR).toBe("/etc/cacerts-vault");
    expect(values.pilot.podAnnotations).toMatchObject({
      [`${A}/secret-volume-path`]: "/etc/cacerts-vault",
      [`${A}/auth-path`]: "auth/k8s-staging",
      [`${A}/namespace`]: "platform",
      [`${A}/agent-inject-secret-ca-cert.pem`]: "secret/istio/ca",
      [`${A}/agent-inject-secret-ca-key.pem`]: "secret/istio/ca",
      [`${A}/agent-inject-secret-cert-chain.pem`]: "secret/istio/ca",
      [`${A}/agent-inject-secret-root-cert.pem`]: "secret/istio/ca",
    });
  });

  const go = goBinary();
  (go ? it : it.skip)(
    `renders the four PEMs from the KV v1 secret alone (no PKI read)${go ? "" : " (SKIPPED: no Go toolchain found)"}`,
    () => {
      const ann = byName(run, "staging-istio-istiod").inputs.values.pilot.podAnnotations as Record<string, string>;
      const files = ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"];
      const reads = vaultReads(run);
      expect(Object.keys(reads)).toEqual(["secret/istio/ca"]);
      const rendered = renderTemplates(
        go!,
        Object.fromEntries(files.map((f) => [f, ann[`${A}/agent-inject-template-${f}`]])),
        reads,
      );
      expect(rendered).toEqual({
        "ca-cert.pem": out.intermediateCert,
        "ca-key.pem": `${vs.intermediateKey}\n`,
        "cert-chain.pem": out.intermediateCert + out.rootCertBundle,
        "root-cert.pem": out.rootCertBundle,
      });
      expect(rendered["ca-cert.pem"]).toBe(`${vs.signedCert}\n`);
      expect(
        new crypto.X509Certificate(rendered["ca-cert.pem"]).checkPrivateKey(
          crypto.createPrivateKey(rendered["ca-key.pem"]),
        ),
      ).toBe(true);
    },
    240_000,
  );
});
