import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import {
  ProgramRun,
  byName,
  isSecretValue,
  ofType,
  privateKeyOccurrences,
  runProgram,
  stackConfig,
} from "../harness/program";
import { FakeVaultState, T, fakeVault } from "../vault/fakeVault";
import { opensslVerify } from "../vault/opensslVerify";
import { goBinary, renderTemplates } from "../vault/renderTemplates";
import { vaultReads } from "../vault/vaultReads";

const A = "vault.hashicorp.com";
const CA_FILES = ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"];

/** `path "..." { capabilities = [...] }` blocks of a policy. */
function policyBlocks(hcl: string): { path: string; capabilities: string[] }[] {
  return [...hcl.matchAll(/path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}/g)].map((m) => ({
    path: m[1],
    capabilities: m[2]
      .split(",")
      .map((c) => c.trim().replace(/"/g, ""))
      .filter(Boolean),
  }));
}

describe("staging stack (Pulumi.staging.yaml, vault backend, offline root)", () => {
  let run: ProgramRun;
  let vaultState: FakeVaultState;
  let out: { rootCertBundle: string; intermediateCert: string; certChain: string; backend: string };
  let istiodValues: Record<string, any>;
  const vaultResources = () => run.resources.filter((r) => r.type.startsWith("vault:"));
  /** Whether a resource depends on Vault's audit device, directly or through others. */
  const waitsForAudit = (name: string, seen = new Set<string>()): boolean => {
    if (seen.has(name)) return false;
    seen.add(name);
    const deps = run.dependsOn.get(name) ?? [];
    return deps.includes("mesh-pki-audit") || deps.some((d) => waitsForAudit(d, seen));
  };

  beforeAll(async () => {
    const fv = fakeVault();
    vaultState = fv.state;
    run = await runProgram(stackConfig("staging"), { stack: "staging", extraState: fv.extraState });
    out = run.outputs.clusters?.staging;
    istiodValues = byName(run, "staging-istio-istiod").inputs.values;
  }, 180_000);

  it("runs and keeps the token out of the stack file", () => {
    expect(run.error).toBeUndefined();
    expect(fs.readFileSync(path.join(__dirname, "../../Pulumi.staging.yaml"), "utf8")).not.toMatch(/^\s*token:/m);
    expect(out.backend).toBe("vault");
  });

  it("configures one Vault provider from config and passes it to every Vault resource", () => {
    const providers = ofType(run, T.provider);
    expect(providers).toHaveLength(1);
    expect(providers[0].inputs.address).toBe("https://vault.example.internal:8200");
    expect(providers[0].inputs.token).toBeUndefined(); // read from $VAULT_TOKEN by the provider
    expect(String(providers[0].inputs.skipChildToken)).toBe("false");
    expect(vaultResources().length).toBeGreaterThanOrEqual(12);
    for (const r of vaultResources()) expect(r.provider).toContain("pulumi:providers:vault::mesh-vault::");
  });

  it("declares the audit device and the three mounts with their lease limits", () => {
    expect(byName(run, "mesh-pki-audit").inputs).toMatchObject({
      type: "file",
      path: "file",
      options: { file_path: "/vault/vault-audit.log" },
    });
    expect(byName(run, "mesh-pki-root-mount").inputs).toMatchObject({
      path: "pki",
      type: "pki",
      maxLeaseTtlSeconds: 8760 * 3600,
    });
    expect(byName(run, "mesh-pki-intermediate-mount").inputs).toMatchObject({
      path: "istioca",
      type: "pki",
      maxLeaseTtlSeconds: 43800 * 3600,
    });
    expect(byName(run, "mesh-pki-kv-mount").inputs).toMatchObject({
      path: "kv",
      type: "kv",
      options: { version: "2" },
    });
    for (const m of ["mesh-pki-root-mount", "mesh-pki-intermediate-mount", "mesh-pki-kv-mount"]) {
      expect(run.dependsOn.get(m)).toContain("mesh-pki-audit");
    }
  });

  it("writes nothing to Vault before the audit device exists: every other Vault resource depends on it, directly or through others", () => {
    // Vault fails a request whose response it cannot audit, even after the request took effect: an
    // auth method enabled while the device was being set up came back as a 500, and the provider's
    // retry then met "path is already in use" (seen against a real Vault, test/e2e/vaultStack).
    const others = vaultResources()
      .map((r) => r.name)
      .filter((n) => n !== "mesh-pki-audit");
    expect(others.length).toBeGreaterThan(5);
    expect(others.filter((n) => !waitsForAudit(n))).toEqual([]);
  });

  it("touches the cluster only after Vault accepted the first write: every Kubernetes object waits for the audit device", () => {
    // With a token Vault refuses, the audit device fails and the update stops with nothing created in
    // the cluster (test/e2e/vaultStack: the wrong-token case); without the wait, namespaces and
    // istiod's ClusterRole were created while Vault's refusal was on its way.
    // Custom resources and the Helm charts (components whose objects the provider renders).
    const cluster = run.resources
      .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:index:"))
      .map((r) => r.name);
    expect(cluster).toEqual(
      expect.arrayContaining(["staging-istio-namespace", "staging-istio-istiod-ca", "staging-ns-apps"]),
    );
    expect(cluster.length).toBeGreaterThan(5);
    expect(cluster.filter((n) => !waitsForAudit(n))).toEqual([]);
  });

  it("creates nothing before Vault accepted the first write: every resource the update creates waits for the audit device", () => {
    // With a token Vault refuses, the audit device's create fails and the engine starts nothing after it,
    // but a resource that does not wait for it may already be on its way: the offline root's key was
    // created beside Vault's refusal and stayed in the state (test/e2e/vaultStack: the wrong-token case,
    // seen in CI). Providers are configured, not created; a StackReference only reads.
    const created = run.resources
      .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:") && r.type !== "pulumi:pulumi:StackReference")
      .map((r) => r.name)
      .filter((n) => n !== "mesh-pki-audit");
    expect(created).toEqual(expect.arrayContaining(["mesh-pki-root-key", "mesh-pki-root-cert"]));
    expect(created.filter((n) => !waitsForAudit(n))).toEqual([]);
  });

  it("keeps the root offline: Vault gets its certificate only, the CSR is signed locally", () => {
    expect(ofType(run, T.rootCert)).toHaveLength(0);
    expect(ofType(run, T.sign)).toHaveLength(0);
    const imported = byName(run, "mesh-pki-root-import");
    expect(imported.inputs.backend).toBe("pki");
    expect(imported.inputs.pemBundle).toBe(out.rootCertBundle);
    expect(imported.inputs.pemBundle).not.toMatch(/PRIVATE KEY/);
    const csr = byName(run, "mesh-pki-intermediate-csr");
    expect(csr.inputs).toMatchObject({
      backend: "istioca",
      type: "exported",
      commonName: "Example Corp Intermediate Authority",
      organization: "Example Corp",
      keyType: "rsa",
      keyBits: 4096,
    });
    const signed = byName(run, "mesh-pki-intermediate-sign");
    expect(signed.type).toBe("tls:index/locallySignedCert:LocallySignedCert");
    expect(signed.inputs.certRequestPem).toBe(vaultState.csr);
    expect(isSecretValue(signed.rawInputs.caPrivateKeyPem)).toBe(true);
  });

  // Offline mode signs with tls.LocallySignedCert, whose maxPathLength 0 is not encoded (no
  // pathlen; terraform-provider-tls common_cert.go). Vault's own sign-intermediate (internal mode)
  // is asked for max_path_length 0 instead.
  it("signs a real intermediate for the Vault key, chaining to the root (no pathlen: @pulumi/tls cannot encode 0)", () => {
    const inter = new crypto.X509Certificate(out.intermediateCert);
    const root = new crypto.X509Certificate(out.rootCertBundle);
    expect(inter.ca).toBe(true);
    expect(inter.subject).toContain("CN=Example Corp Intermediate Authority");
    expect(root.subject).toContain("CN=Example Corp Istio Root CA");
    expect(inter.checkIssued(root)).toBe(true);
    expect(inter.publicKey.export({ type: "spki", format: "pem" })).toBe(
      crypto.createPublicKey(vaultState.intermediateKey!).export({ type: "spki", format: "pem" }),
    );
    expect(opensslVerify(out.rootCertBundle, out.intermediateCert)).toContain("OK");
    const text = execFileSync("openssl", ["x509", "-noout", "-text"], {
      input: out.intermediateCert,
      encoding: "utf8",
    });
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE\s*$/m);
    expect(text).not.toMatch(/pathlen/);
  });

  it("sets the signed intermediate back with the root appended (Vault stays the PKI for other consumers)", () => {
    const set = byName(run, "mesh-pki-intermediate-set-signed");
    expect(set.inputs.backend).toBe("istioca");
    expect(set.inputs.certificate).toBe(out.intermediateCert + out.rootCertBundle);
    expect(out.certChain).toBe(out.intermediateCert + out.rootCertBundle);
  });

  it("writes the four files together into the KV v2 secret (the key nowhere else, always secret)", () => {
    const kv = byName(run, "mesh-pki-intermediate-key");
    expect(kv.type).toBe(T.kvV2);
    // deleteAllVersions: a destroy leaves no earlier version (no earlier key) in Vault.
    expect(kv.inputs).toMatchObject({ mount: "kv", name: "istioca", deleteAllVersions: true });
    expect(isSecretValue(kv.rawInputs.dataJson)).toBe(true);
    // One write: the certificate and its key (never the PKI mount's default issuer), the chain, the trust bundle.
    const data = JSON.parse(kv.inputs.dataJson);
    expect(data).toEqual({
      "ca-cert.pem": out.intermediateCert,
      "ca-key.pem": `${vaultState.intermediateKey}\n`,
      "cert-chain.pem": out.intermediateCert + out.rootCertBundle,
      "root-cert.pem": out.rootCertBundle,
    });
    expect(
      new crypto.X509Certificate(data["ca-cert.pem"]).checkPrivateKey(crypto.createPrivateKey(data["ca-key.pem"])),
    ).toBe(true);
    expect(opensslVerify(data["root-cert.pem"], data["cert-chain.pem"])).toContain("OK");

    const occurrences = privateKeyOccurrences(run);
    expect(occurrences.every((o) => o.secret)).toBe(true);
    // Inside dataJson the PEM is JSON-escaped.
    const interKey = occurrences.filter((o) => o.pem.replace(/\\n/g, "\n") === vaultState.intermediateKey);
    expect(interKey.map((o) => `${o.resource.name}:${o.path}`)).toEqual(["mesh-pki-intermediate-key:dataJson"]);
    // The root key never reaches a Vault resource.
    const inVault = occurrences.filter((o) => o.resource.type.startsWith("vault:"));
    expect(inVault.map((o) => o.resource.name)).toEqual(["mesh-pki-intermediate-key"]);
    // Nor any stack output.
    expect(JSON.stringify(run.outputs)).not.toMatch(/PRIVATE KEY/);
  });

  it("writes a policy granting only read, on exactly the KV secret (every file comes from it; no PKI path)", () => {
    const policy = byName(run, "mesh-pki-policy");
    expect(policy.inputs.name).toBe("istioca");
    const blocks = policyBlocks(policy.inputs.policy);
    expect(blocks).toEqual([{ path: "kv/data/istioca", capabilities: ["read"] }]);
    for (const f of CA_FILES)
      expect(istiodValues.pilot.podAnnotations[`${A}/agent-inject-secret-${f}`]).toBe("kv/data/istioca");
    // Nothing outside the parsed blocks (no second syntax sneaking in a grant).
    expect(policy.inputs.policy.replace(/path\s+"[^"]+"\s*\{\s*capabilities\s*=\s*\[[^\]]*\]\s*\}/g, "").trim()).toBe(
      "",
    );
  });

  it("binds Kubernetes auth role istiod to the istiod service account with a short token period", () => {
    expect(byName(run, "staging-ca-k8s-auth").inputs).toMatchObject({ type: "kubernetes", path: "kubernetes" });
    const cfg = byName(run, "staging-ca-k8s-auth-config").inputs;
    expect(cfg).toMatchObject({ backend: "kubernetes", kubernetesHost: "https://staging-api.example.internal:6443" });
    expect(cfg.kubernetesCaCert).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(cfg.tokenReviewerJwt).toBeUndefined();
    // Explicit: a Vault running in a pod must not review istiod's login with its own pod's token.
    expect(cfg.disableLocalCaJwt).toBe(true);
    expect(byName(run, "staging-ca-k8s-auth-role").inputs).toEqual(
      expect.objectContaining({
        backend: "kubernetes",
        roleName: "istiod",
        boundServiceAccountNames: ["istiod"],
        boundServiceAccountNamespaces: ["istio-system"],
        tokenPolicies: ["istioca"],
        tokenPeriod: 600,
      }),
    );
  });

  it("installs only the injector from HashiCorp's pinned chart, pointed at the external Vault, failing closed for istiod only", () => {
    const chart = byName(run, "staging-ca-injector");
    expect(chart.type).toBe("kubernetes:helm.sh/v4:Chart");
    expect(chart.inputs).toMatchObject({
      chart: "vault",
      version: "0.30.1",
      namespace: "vault",
      repositoryOpts: { repo: "https://helm.releases.hashicorp.com" },
    });
    expect(chart.inputs.values).toEqual({
      server: { enabled: false },
      injector: {
        enabled: true,
        externalVaultAddr: "https://vault.example.internal:8200",
        // failurePolicy Ignore (the chart's default) would let istiod start without its CA files, self-signed.
        failurePolicy: "Fail",
        webhook: {
          failurePolicy: "Fail",
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } },
          objectSelector: { matchLabels: { app: "istiod" } },
        },
      },
      global: { externalVaultAddr: "https://vault.example.internal:8200" },
    });
  });

  it("configures istiod: ROOT_CA_DIR = secret-volume-path, injector annotations, no mesh-wide proxy setting, no cacerts", () => {
    const ann = istiodValues.pilot.podAnnotations;
    expect(istiodValues.pilot.env.ROOT_CA_DIR).toBe("/vault/secrets");
    expect(ann[`${A}/secret-volume-path`]).toBe(istiodValues.pilot.env.ROOT_CA_DIR);
    expect(ann).toMatchObject({
      [`${A}/agent-inject`]: "true",
      [`${A}/agent-init-first`]: "true",
      [`${A}/role`]: "istiod",
      [`${A}/auth-path`]: "auth/kubernetes",
      [`${A}/service`]: "https://vault.example.internal:8200",
    });
    expect(
      Object.keys(ann)
        .filter((k) => k.startsWith(`${A}/agent-inject-secret-`))
        .map((k) => k.split("secret-")[1])
        .sort(),
    ).toEqual(CA_FILES);
    expect(
      Object.keys(ann)
        .filter((k) => k.startsWith(`${A}/agent-inject-template-`))
        .map((k) => k.split("template-")[1])
        .sort(),
    ).toEqual(CA_FILES);
    // Nothing mesh-wide that the CA does not need (holdApplicationUntilProxyStarts used to be set here).
    expect(istiodValues.meshConfig.defaultConfig?.holdApplicationUntilProxyStarts).toBeUndefined();
    expect(ann[`${A}/tls-secret`]).toBeUndefined();
    expect(ann[`${A}/ca-cert`]).toBeUndefined();
    expect(JSON.stringify(istiodValues)).not.toMatch(/-----BEGIN/);
    expect(ofType(run, "kubernetes:core/v1:Secret")).toHaveLength(0);
  });

  it("lets istiod's service account create the TokenReviews Vault's login check makes with its JWT", () => {
    const role = ofType(run, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").find(
      (r) => r.name === "staging-istio-istiod-ca",
    );
    expect(role?.inputs.rules).toEqual([
      { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
    ]);
    const binding = ofType(run, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").find(
      (r) => r.name === "staging-istio-istiod-ca",
    );
    expect(binding?.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "istiod", namespace: "istio-system" }]);
  });

  it("starts istiod only after Vault holds everything its agent reads", () => {
    expect(run.dependsOn.get("staging-istio-istiod")).toEqual(
      expect.arrayContaining([
        "mesh-pki-root-import",
        "mesh-pki-intermediate-set-signed",
        "mesh-pki-intermediate-key",
        "mesh-pki-policy",
        "staging-ca-k8s-auth-role",
        "staging-ca-injector",
      ]),
    );
  });

  const go = goBinary();
  (go ? it : it.skip)(
    `renders exactly Istio's four PEMs when the agent templates are executed${go ? "" : " (SKIPPED: no Go toolchain found)"}`,
    () => {
      const ann = istiodValues.pilot.podAnnotations as Record<string, string>;
      const templates = Object.fromEntries(CA_FILES.map((f) => [f, ann[`${A}/agent-inject-template-${f}`]]));
      for (const f of CA_FILES)
        expect(ann[`${A}/agent-inject-template-${f}`]).toContain(`secret "${ann[`${A}/agent-inject-secret-${f}`]}"`);
      // Only the KV secret is served: a template reading a PKI path would fail the render.
      const reads = vaultReads(run);
      expect(Object.keys(reads)).toEqual(["kv/data/istioca"]);
      const files = renderTemplates(go!, templates, reads);
      expect(files["ca-cert.pem"]).toBe(out.intermediateCert);
      expect(files["ca-key.pem"]).toBe(`${vaultState.intermediateKey}\n`);
      expect(files["cert-chain.pem"]).toBe(out.intermediateCert + out.rootCertBundle);
      expect(files["root-cert.pem"]).toBe(out.rootCertBundle);
      // The rendered key really belongs to the rendered ca-cert.
      expect(
        new crypto.X509Certificate(files["ca-cert.pem"]).checkPrivateKey(crypto.createPrivateKey(files["ca-key.pem"])),
      ).toBe(true);
    },
    240_000,
  );
});
