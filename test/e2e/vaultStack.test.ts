import { X509Certificate } from "crypto";
import * as fs from "fs";
import { parse } from "yaml";
import {
  E2eProject,
  E2eStack,
  SELF_REFERENCE_STEP,
  istioCharts,
  plaintextKeys,
  refreshNoDrift,
  urnName,
} from "./project";
import { checkCacerts, verifyChain } from "./cacertsChecks";
import { e2eEnv, kubectl, mustRun, plain, run } from "./support";
import {
  LocalIstiod,
  caRootCert,
  expectIstioctlAccepts,
  fingerprints,
  pemCerts,
  uriSans,
  verifyLeaf,
  waitFor,
} from "./istiod";
import { LocalVault } from "./vaultServer";
import { VaultAgentInjector } from "./vaultAgent";
import { DataPlaneFound, expectDataPlane, withPlaintextPort } from "./dataPlane";

/**
 * The `vault` backend against a REAL HashiCorp Vault (tools/bin/vault, built from its Go module) on
 * loopback with TLS from a private CA, through the REAL engine, the REAL Kubernetes provider and the
 * Vault provider TEST DOUBLE (tools/vaultdouble: every operation a real Vault API call; the real
 * provider can't be built here). Then istiod's side for real: HashiCorp's injector is emulated from
 * vault-k8s's source (test/vault/injector.ts), and the REAL `vault agent` it would inject runs with
 * that configuration, logs in with a projected service-account token (Vault's TokenReview hits our
 * API server), renders the four files, and istiod (Istio's own binary, test/e2e/istiod.ts) takes its
 * CA from them. Stack config: Pulumi.vault-local.yaml, pointed at this run's servers.
 */

const NS = "istio-system";
const CLUSTER = "local";

/** The local API server as Vault reaches it: its URL and CA (from the admin kubeconfig). */
function apiServer(kubeconfig: string): { host: string; caPem: string } {
  const kc = parse(fs.readFileSync(kubeconfig, "utf8"));
  const ctx = kc.contexts.find((c: any) => c.name === kc["current-context"]).context;
  const cluster = kc.clusters.find((c: any) => c.name === ctx.cluster).cluster;
  return { host: cluster.server, caPem: Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8") };
}

describe("pulumi up -s vault-local (offline root, then internal root) against a real Vault; istiod's vault-agent for real", () => {
  let vault: LocalVault;
  let stack: E2eStack;
  let istiod: LocalIstiod | undefined;
  let plane: DataPlaneFound | undefined;
  let injector: VaultAgentInjector;
  let kube: { host: string; caPem: string };
  let charts: string;
  const savedToken = process.env.VAULT_TOKEN;

  /** The Vault KV secret istiod's agent renders from (root token: the test looks, it does not act). */
  const kvFiles = (): Record<string, string> =>
    JSON.parse(vault.mustCli(["kv", "get", "-mount=kv", "istioca"])).data.data;
  const kvVersion = (): number =>
    JSON.parse(vault.mustCli(["kv", "metadata", "get", "-mount=kv", "istioca"])).data.current_version;
  const rootBundle = () => stack.outputs().clusters[CLUSTER].rootCertBundle as string;
  /**
   * Fingerprints of every issuer a PKI mount holds (imported roots have no key: the mount has no default issuer,
   * pki/cert/ca answers 400).
   */
  const issuers = (mount: string): string[] =>
    (JSON.parse(vault.mustCli(["list", `${mount}/issuers`])) as string[]).flatMap((id) =>
      fingerprints(JSON.parse(vault.mustCli(["read", `${mount}/issuer/${id}`])).data.certificate),
    );
  /** A leaf from istiod (namespace apps, service account web), TLS to istiod verified with `roots`. */
  const leaf = (roots: string) => istiod!.issue({ namespace: "apps", serviceAccount: "web", tlsRoots: roots });
  /** Waits until istiod signs with the intermediate now in the KV secret. */
  const leafFromCurrentIntermediate = () => {
    const files = kvFiles();
    const intermediate = new X509Certificate(files["ca-cert.pem"]);
    return waitFor(
      "a leaf from the KV secret's intermediate",
      () => {
        const l = leaf(files["root-cert.pem"]);
        return l.leaf.verify(intermediate.publicKey) ? l : undefined;
      },
      120000,
      () => `${istiod!.logTail()}\n--- agent\n${injector.tail()}`,
    );
  };
  /** Waits until the agent's files equal the KV secret byte for byte. */
  const agentCaughtUp = () =>
    waitFor(
      "vault-agent to render the KV secret's files",
      () => {
        const want = kvFiles();
        const got = injector.rendered("vault/secrets");
        return JSON.stringify(Object.keys(got).sort()) === JSON.stringify(Object.keys(want).sort()) &&
          Object.keys(want).every((f) => got[f] === want[f])
          ? got
          : undefined;
      },
      90000,
      () => injector.tail(),
    );

  const setupStack = (name: string, edit: (ca: Record<string, any>) => void = () => {}): E2eStack =>
    new E2eProject(name).stack(name, "vault-local", (c) => {
      const ca = c["istio-mesh-ca:ca"];
      ca.address = vault.addr;
      ca.caCertFile = vault.caFile;
      ca.audit.filePath = vault.auditFile;
      ca.kubernetesAuth.host = kube.host;
      ca.kubernetesAuth.caCertPem = kube.caPem;
      c["istio-mesh-ca:istio"].chartPath = charts;
      withPlaintextPort(c, "apps");
      edit(ca);
    });

  beforeAll(() => {
    const env = e2eEnv({ apiserver: true });
    kube = apiServer(env.kubeconfig);
    vault = new LocalVault("vault").start();
    // The provider's token: an admin token with the documented policy, never the root token.
    process.env.VAULT_TOKEN = vault.adminToken();
    charts = istioCharts();
    stack = setupStack("vault-offline");
    stack.mustUp();
  });

  afterAll(() => {
    plane?.mesh.cleanup();
    istiod?.stop();
    stack?.pulumi(["destroy", "--yes", "--skip-preview"]);
    stack?.remove();
    vault?.stop();
    if (savedToken === undefined) delete process.env.VAULT_TOKEN;
    else process.env.VAULT_TOKEN = savedToken;
  });

  it("configured Vault as the stack says: audit first, PKI mounts, KV v2 secret with the four files, read-only policy, Kubernetes auth", () => {
    const audit = JSON.parse(vault.mustCli(["audit", "list", "-detailed"]));
    expect(audit["file/"]).toMatchObject({ type: "file", options: { file_path: vault.auditFile } });
    const mounts = JSON.parse(vault.mustCli(["secrets", "list"]));
    expect(mounts["pki/"]).toMatchObject({ type: "pki", config: { max_lease_ttl: 8760 * 3600 } });
    expect(mounts["istioca/"]).toMatchObject({ type: "pki", config: { max_lease_ttl: 43800 * 3600 } });
    expect(mounts["kv/"]).toMatchObject({ type: "kv", options: { version: "2" } });
    expect(JSON.parse(vault.mustCli(["policy", "read", "istioca"])).policy.trim()).toBe(
      'path "kv/data/istioca" {\n  capabilities = ["read"]\n}',
    );
    const authCfg = JSON.parse(vault.mustCli(["read", "auth/kubernetes/config"])).data;
    expect(authCfg).toMatchObject({ kubernetes_host: kube.host, disable_local_ca_jwt: true });
    expect(authCfg.kubernetes_ca_cert.trim()).toBe(kube.caPem.trim());
    const role = JSON.parse(vault.mustCli(["read", "auth/kubernetes/role/istiod"])).data;
    expect(role).toMatchObject({
      bound_service_account_names: ["istiod"],
      bound_service_account_namespaces: [NS],
      token_policies: ["istioca"],
      token_period: 600,
    });
    // The four files: a certificate and its key, a chain to the stack's (offline) root.
    const files = kvFiles();
    checkCacerts(files);
    expect(fingerprints(files["root-cert.pem"])).toEqual(fingerprints(rootBundle()));
    // Vault knows the root's certificate only (offline mode: an issuer without a key) and the set-signed intermediate.
    expect(issuers("pki")).toEqual(fingerprints(rootBundle()));
    expect(vault.cli(["list", "pki/keys"]).stdout.trim()).toMatch(/^(\[\]|\{\})?$/);
    expect(issuers("istioca")).toContain(fingerprints(files["ca-cert.pem"])[0]);
  });

  it("a second preview plans no change, a refresh finds no drift in Vault or the cluster", () => {
    const r = stack.pulumi(["preview", "--expect-no-changes", "--diff"]);
    expect({ code: r.code, out: r.code === 0 ? "" : plain(r.stdout).slice(-4000) + r.stderr }).toEqual({
      code: 0,
      out: "",
    });
    const refresh = refreshNoDrift(stack);
    // Only the lifecycle's read of this stack's own last outputs catches up (as in every stack with a CA lifecycle).
    expect(refresh.firstUpdated.filter((l) => l !== "~ pulumi:pulumi:StackReference: (update)")).toEqual([]);
    expect(refresh.second).toEqual({ code: 0, out: "" });
  });

  it("the state holds no plaintext key, the key outputs are secrets", () => {
    const state = stack.exportState();
    expect(plaintextKeys(state.text)).toEqual([]);
    const csr = state.resources.find(
      (r) => r.type === "vault:pkiSecret/secretBackendIntermediateCertRequest:SecretBackendIntermediateCertRequest",
    )!;
    expect((csr.outputs as any).privateKey).toMatchObject({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    });
    const kv = state.resources.find((r) => r.type === "vault:kv/secretV2:SecretV2")!;
    expect((kv.inputs as any).dataJson).toMatchObject({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    });
  });

  it("istiod's pod as HashiCorp's injector mutates it: the real vault-agent logs in through TokenReview and renders the four files; istiod takes its CA from them", () => {
    // agentTls.caCertSecret: the Secret the docs tell a user to create in the Istio namespace.
    kubectl(["create", "secret", "generic", "vault-ca", "-n", NS, `--from-file=ca.crt=${vault.caFile}`]);
    injector = new VaultAgentInjector({ address: "https://injector-default.invalid:8200" });
    istiod = new LocalIstiod({ label: "vault", admission: injector }).start();
    const cfg = injector.configOf("vault-agent");
    expect(cfg.vault).toEqual({ address: vault.addr, ca_cert: "/vault/tls/ca.crt" });
    expect(cfg.auto_auth.method).toEqual({
      type: "kubernetes",
      mount_path: "auth/kubernetes",
      config: { role: "istiod", token_path: "/var/run/secrets/kubernetes.io/serviceaccount/token" },
    });
    expect(cfg.template_config).toEqual({ exit_on_retry_failure: true, static_secret_render_interval: "15s" });
    expect(injector.configOf("vault-agent-init").exit_after_auth).toBe(true);
    // The init agent rendered exactly the KV secret's fields before istiod started.
    expect(agentCaughtUp()).toEqual(kvFiles());
    // istiod: the plugged-in CA from ROOT_CA_DIR=/vault/secrets, never a self-signed one.
    const log = istiod.logs();
    expect(log).toContain("Use local CA certificate");
    expect(log).not.toContain("Use self-signed certificate as the CA certificate");
    expect(run("kubectl", ["get", "secret", "istio-ca-secret", "-n", NS]).code).not.toBe(0);
    const l = leafFromCurrentIntermediate();
    expect(uriSans(l.leaf)).toEqual(["spiffe://cluster.local/ns/apps/sa/web"]);
    expect(verifyLeaf(rootBundle(), l)).toMatchObject({ ok: true });
    expect(fingerprints(caRootCert("apps", e2eEnv().kubeconfig))).toEqual(fingerprints(rootBundle()));
    // Vault's login really ran a TokenReview against our API server: the audit log has the agent's login as istiod.
    const logins = vault
      .auditEntries()
      .filter((e) => e.type === "response" && e.request?.path === "auth/kubernetes/login" && !e.error);
    expect(
      logins.some(
        (e) =>
          e.auth?.metadata?.service_account_name === "istiod" && e.auth?.metadata?.service_account_namespace === NS,
      ),
    ).toBe(true);
  });

  it("istioctl analyze finds no error and no unexplained warning; istioctl validate accepts every Istio object we declare", () => {
    expectIstioctlAccepts(stack.exportState().resources, e2eEnv().kubeconfig, 1);
  });

  it("least privilege, proven against Vault: the agent's token reads exactly the KV secret; other service accounts and namespaces cannot log in", () => {
    const token = injector.token();
    expect(vault.cli(["kv", "get", "-mount=kv", "istioca"], token).code).toBe(0);
    const denied = (args: string[]) => {
      const r = vault.cli(args, token);
      return { args: args.join(" "), code: r.code === 0 ? 0 : 1, denied: /permission denied|403/.test(r.stderr) };
    };
    for (const args of [
      ["kv", "get", "-mount=kv", "other"],
      ["kv", "put", "-mount=kv", "istioca", "ca-key.pem=x"],
      ["write", "istioca/issue/any", "common_name=x"],
      ["list", "istioca/certs"],
      ["read", "sys/mounts"],
      ["policy", "list"],
      ["read", "auth/kubernetes/config"],
    ]) {
      expect(denied(args)).toEqual({ args: args.join(" "), code: 1, denied: true });
    }
    const login = (namespace: string, sa: string) => {
      if (run("kubectl", ["get", "serviceaccount", sa, "-n", namespace]).code !== 0)
        kubectl(["create", "serviceaccount", sa, "-n", namespace]);
      const jwt = kubectl(["create", "token", sa, "-n", namespace]).trim();
      return vault.cli(["write", "auth/kubernetes/login", "role=istiod", `jwt=${jwt}`], "");
    };
    expect(login(NS, "istiod").code).toBe(0);
    const otherSa = login(NS, "default");
    expect({
      code: otherSa.code === 0 ? 0 : 1,
      err: /service account name not authorized|permission denied/.test(otherSa.stderr),
    }).toEqual({ code: 1, err: true });
    const otherNs = login("apps", "istiod");
    expect({
      code: otherNs.code === 0 ? 0 : 1,
      err: /namespace not authorized|permission denied/.test(otherNs.stderr),
    }).toEqual({ code: 1, err: true });
  });

  it("the audit log records the agent's reads of the KV secret and holds no plaintext key (Vault HMACs it)", () => {
    const text = fs.readFileSync(vault.auditFile, "utf8");
    expect(plaintextKeys(text)).toEqual([]);
    const reads = vault
      .auditEntries()
      .filter(
        (e) =>
          e.type === "response" &&
          e.request?.path === "kv/data/istioca" &&
          e.request?.operation === "read" &&
          (e.auth?.policies ?? []).includes("istioca"),
      );
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) {
      for (const f of ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"])
        expect(r.response.data.data[f]).toMatch(/^hmac-sha256:/);
    }
  });

  it("intermediate rotation: pulumi up rewrites the KV secret in one version; the agent re-renders, istiod reloads without a rollout, new leaves chain to the new intermediate", () => {
    const before = kvFiles();
    const version = kvVersion();
    stack.config("ca.rotation.intermediateGeneration", "2", { type: "int" });
    const changed = stack
      .preview()
      .steps.filter((s) => s.op !== "same")
      .map((s) => `${s.op} ${urnName(s.urn)}`)
      .filter((s) => !SELF_REFERENCE_STEP.test(s));
    expect(changed.join("\n")).toMatch(/create .*intermediate-r1i2-csr/);
    expect(changed.join("\n")).not.toMatch(/Deployment|helm|istiod/i);
    stack.mustUp();
    const after = kvFiles();
    expect(kvVersion()).toBe(version + 1);
    expect(after["ca-cert.pem"]).not.toBe(before["ca-cert.pem"]);
    expect(after["root-cert.pem"]).toBe(before["root-cert.pem"]);
    checkCacerts(after);
    expect(istiod!.sync()).toMatchObject({ rollout: false });
    agentCaughtUp();
    expect(verifyLeaf(rootBundle(), leafFromCurrentIntermediate())).toMatchObject({ ok: true });
    istiod!.waitForLog("detected the newly added intermediate CA", 60000);
  });

  it("Vault sealed during pulumi up: a clear error naming Vault, the KV secret untouched; unsealed, the same up goes through", () => {
    const before = kvFiles();
    const version = kvVersion();
    stack.config("ca.rotation.intermediateGeneration", "3", { type: "int" });
    vault.seal();
    const sealed = stack.up();
    vault.unseal();
    expect(sealed.run.code).not.toBe(0);
    const errors = sealed.events
      .filter((e) => e.diagnosticEvent?.severity === "error")
      .map((e) => plain(e.diagnosticEvent!.message))
      .join("\n");
    expect(errors).toMatch(/Vault|vault/);
    expect(errors).toMatch(/sealed|503/i);
    expect(kvVersion()).toBe(version);
    expect(kvFiles()).toEqual(before);
    stack.mustUp();
    expect(kvVersion()).toBe(version + 1);
    checkCacerts(kvFiles());
  });

  it("Vault's address unreachable during pulumi up: a clear error naming the address; nothing changes in Vault or in the state", () => {
    const version = kvVersion();
    stack.config("ca.rotation.intermediateGeneration", "4", { type: "int" });
    stack.config("ca.address", "https://127.0.0.1:1");
    const down = stack.up();
    expect(down.run.code).not.toBe(0);
    const errors = down.events
      .filter((e) => e.diagnosticEvent?.severity === "error")
      .map((e) => plain(e.diagnosticEvent!.message))
      .join("\n");
    expect(errors).toMatch(/127\.0\.0\.1:1/);
    expect(errors).toMatch(/connection refused/i);
    stack.config("ca.address", vault.addr);
    stack.config("ca.rotation.intermediateGeneration", "3", { type: "int" });
    expect(kvVersion()).toBe(version);
    // The engine had recorded the provider's new address before the first call failed: back at the
    // right address, that provider update is the only change planned.
    const planned = stack
      .preview()
      .steps.filter((x) => x.op !== "same")
      .map((x) => `${x.op} ${urnName(x.urn)}`)
      .filter((x) => !SELF_REFERENCE_STEP.test(x));
    expect(planned).toEqual(["update mesh-vault"]);
  });

  it("root rotation dual → cutover → finalize: the KV secret's roots and intermediate follow, the agent re-renders, istiod trusts both roots then only the new one", () => {
    const [oldRoot] = fingerprints(rootBundle());
    stack.configObject("ca.rotation.newRoot", {
      key: { algorithm: "RSA", rsaBits: 4096 },
      validityDays: 3650,
      subject: { organization: "Example Corp", commonName: "Example Corp Istio Root CA 2" },
    });
    // dual: both roots in the KV secret; istiod rolls once (ISTIO_MULTIROOT_MESH).
    stack.config("ca.rotation.rootPhase", "dual");
    stack.mustUp();
    const dual = kvFiles();
    expect(fingerprints(dual["root-cert.pem"])).toHaveLength(2);
    expect(fingerprints(dual["root-cert.pem"])[0]).toBe(oldRoot);
    const newRoot = fingerprints(dual["root-cert.pem"])[1];
    expect(istiod!.sync().rollout).toBe(true);
    agentCaughtUp();
    expect(fingerprints(caRootCert("apps", e2eEnv().kubeconfig, (p) => fingerprints(p).length === 2))).toEqual([
      oldRoot,
      newRoot,
    ]);
    const leafDual = leafFromCurrentIntermediate();
    const [oldRootPem, newRootPem] = pemCerts(dual["root-cert.pem"]).map((p) => `${p.trim()}\n`);
    expect(verifyLeaf(oldRootPem, leafDual)).toMatchObject({ ok: true });
    // cutover: the new root signs a new intermediate, in one KV write; no rollout.
    stack.config("ca.rotation.rootPhase", "cutover");
    stack.mustUp();
    const cut = kvFiles();
    checkCacerts(cut);
    expect(new X509Certificate(cut["ca-cert.pem"]).checkIssued(new X509Certificate(newRootPem))).toBe(true);
    expect(verifyChain(newRootPem, cut["cert-chain.pem"]).ok).toBe(true);
    expect(istiod!.sync()).toMatchObject({ rollout: false });
    agentCaughtUp();
    const leafCut = leafFromCurrentIntermediate();
    expect(verifyLeaf(newRootPem, leafCut)).toMatchObject({ ok: true });
    expect(verifyLeaf(oldRootPem, leafCut)).toMatchObject({ ok: false });
    expect(verifyLeaf(dual["root-cert.pem"], leafDual)).toMatchObject({ ok: true });
    // finalize: only the new root; istiod rolls back without ISTIO_MULTIROOT_MESH.
    stack.config("ca.rotation.rootPhase", "finalize");
    stack.mustUp();
    expect(fingerprints(kvFiles()["root-cert.pem"])).toEqual([newRoot]);
    expect(istiod!.sync().rollout).toBe(true);
    agentCaughtUp();
    const bundleFin = caRootCert("apps", e2eEnv().kubeconfig, (p) => fingerprints(p).length === 1);
    expect(fingerprints(bundleFin)).toEqual([newRoot]);
    expect(verifyLeaf(bundleFin, leafFromCurrentIntermediate())).toMatchObject({ ok: true });
    expect(verifyLeaf(bundleFin, leafDual)).toMatchObject({ ok: false });
    // The root mount got the new root; the old root's certificate stays an issuer there (imports only add).
    expect(issuers("pki")).toEqual(expect.arrayContaining([oldRoot, newRoot]));
    const r = stack.pulumi(["preview", "--expect-no-changes"]);
    expect({ code: r.code, out: r.code === 0 ? "" : plain(r.stdout).slice(-3000) }).toEqual({ code: 0, out: "" });
  });

  it("the data plane: two proxyless gRPC workloads (Istio's pilot-agent, grpc-go) in apps get leaves from the intermediate istiod took from Vault and complete mTLS under the stack's STRICT policy; plaintext, certificate-less and foreign-CA clients are refused; the stack's port exception lets plaintext through on its port only", () => {
    plane = expectDataPlane({ istiod: istiod!, label: "vault", namespace: "apps", roots: rootBundle() });
    const intermediate = kvFiles()["ca-cert.pem"];
    for (const w of [plane.server, plane.client])
      expect(fingerprints(pemCerts(w.certs().chain)[1])).toEqual(fingerprints(intermediate));
    plane.mesh.cleanup();
  });

  it("destroy removes everything the stack made in Vault", () => {
    istiod?.stop();
    istiod = undefined;
    stack.destroy();
    const mounts = Object.keys(JSON.parse(vault.mustCli(["secrets", "list"])));
    for (const m of ["pki/", "istioca/", "kv/"]) expect(mounts).not.toContain(m);
    expect(Object.keys(JSON.parse(vault.mustCli(["auth", "list"])))).not.toContain("kubernetes/");
    expect(JSON.parse(vault.mustCli(["policy", "list"]))).not.toContain("istioca");
    expect(Object.keys(JSON.parse(vault.mustCli(["audit", "list"])))).not.toContain("file/");
    kubectl(["delete", "secret", "vault-ca", "-n", NS, "--ignore-not-found"]);
  });

  it("a wrong admin token: pulumi up (with its preview, as a user runs it) stops with Vault's refusal; nothing is created anywhere", () => {
    const s = setupStack("vault-badtoken");
    const r = s.pulumi(["up", "--yes"], { env: { VAULT_TOKEN: "hvs.not-a-token" } });
    expect(r.code).not.toBe(0);
    const out = plain(r.stdout + r.stderr);
    expect(out).toMatch(/permission denied|invalid token|403/i);
    expect(out).not.toContain("hvs.not-a-token");
    // Nothing created: the state may hold what the update only read before Vault refused it (the
    // lifecycle's StackReference to this stack's previous outputs: `external`, a read), never more.
    const state = s.exportState().resources.filter((x: any) => x.custom && !x.type.startsWith("pulumi:providers:"));
    expect(state.filter((x: any) => !x.external).map((x: any) => x.urn)).toEqual([]);
    expect(state.map((x: any) => x.type).filter((t: string) => t !== "pulumi:pulumi:StackReference")).toEqual([]);
    expect(Object.keys(JSON.parse(vault.mustCli(["secrets", "list"])))).not.toContain("istioca/");
    expect(run("kubectl", ["get", "namespace", "apps"]).code).not.toBe(0);
    s.remove();
  });

  it("root.mode internal with tokenReviewer reviewerJwt: Vault's own root signs the intermediate (pathlen 0); up, clean preview, refresh without drift, the agent and istiod, destroy", () => {
    // A reviewer service account allowed to create TokenReviews (system:auth-delegator), its token as secret config.
    kubectl(["create", "namespace", "vault-reviewer"]);
    kubectl(["create", "serviceaccount", "reviewer", "-n", "vault-reviewer"]);
    kubectl([
      "create",
      "clusterrolebinding",
      "vault-reviewer",
      "--clusterrole=system:auth-delegator",
      "--serviceaccount=vault-reviewer:reviewer",
    ]);
    const reviewerJwt = kubectl(["create", "token", "reviewer", "-n", "vault-reviewer", "--duration=2h"]).trim();
    stack = setupStack("vault-internal", (ca) => {
      ca.root = {
        mode: "internal",
        mount: "pki",
        maxLeaseTtl: "87600h",
        commonName: "Vault Internal Root",
        ttl: "87600h",
      };
      ca.kubernetesAuth.tokenReviewer = "reviewerJwt";
    });
    stack.config("ca.kubernetesAuth.tokenReviewerJwt", reviewerJwt, { secret: true });
    stack.mustUp();
    const files = kvFiles();
    checkCacerts(files);
    const vaultRoot = JSON.parse(vault.mustCli(["read", "pki/cert/ca"])).data.certificate as string;
    expect(fingerprints(files["root-cert.pem"])).toEqual(fingerprints(vaultRoot));
    expect(mustRun("openssl", ["x509", "-noout", "-ext", "basicConstraints"], { input: files["ca-cert.pem"] })).toMatch(
      /CA:TRUE, pathlen:0/,
    );
    const authCfg = JSON.parse(vault.mustCli(["read", "auth/kubernetes/config"])).data;
    expect(authCfg.disable_local_ca_jwt).toBe(true);
    expect(JSON.stringify(authCfg)).not.toContain(reviewerJwt); // Vault never returns the reviewer JWT
    expect(plaintextKeys(stack.exportState().text)).toEqual([]);
    expect(stack.exportState().text).not.toContain(reviewerJwt);
    const p = stack.pulumi(["preview", "--expect-no-changes", "--diff"]);
    expect({ code: p.code, out: p.code === 0 ? "" : plain(p.stdout).slice(-4000) }).toEqual({ code: 0, out: "" });
    expect(refreshNoDrift(stack).second).toEqual({ code: 0, out: "" });
    kubectl(["create", "secret", "generic", "vault-ca", "-n", NS, `--from-file=ca.crt=${vault.caFile}`]);
    injector = new VaultAgentInjector({ address: "https://injector-default.invalid:8200" });
    istiod = new LocalIstiod({ label: "vault-internal", admission: injector }).start();
    expect(istiod.logs()).toContain("Use local CA certificate");
    expect(verifyLeaf(vaultRoot, leafFromCurrentIntermediate())).toMatchObject({ ok: true });
    // A new root (its subject changed: the root certificate is replaced) signs the intermediate again, in the same up.
    stack.config("ca.root.commonName", "Vault Internal Root 2");
    stack.mustUp();
    const reissued = kvFiles();
    checkCacerts(reissued);
    const root2 = JSON.parse(vault.mustCli(["read", "pki/cert/ca"])).data.certificate as string;
    expect(new X509Certificate(root2).subject).toContain("CN=Vault Internal Root 2");
    expect(new X509Certificate(reissued["ca-cert.pem"]).checkIssued(new X509Certificate(root2))).toBe(true);
    expect(fingerprints(reissued["root-cert.pem"])).toEqual(fingerprints(root2));
    istiod.stop();
    istiod = undefined;
    stack.destroy();
    expect(Object.keys(JSON.parse(vault.mustCli(["secrets", "list"])))).not.toContain("pki/");
    kubectl(["delete", "namespace", "vault-reviewer", "--wait=false"]);
    kubectl(["delete", "clusterrolebinding", "vault-reviewer"]);
  });
});
