import {
  E2eProject,
  E2eStack,
  EngineEvent,
  SELF_REFERENCE_STEP,
  istioCharts,
  plaintextKeys,
  refreshNoDrift,
  urnName,
  whenFinished,
  whenStarted,
} from "./project";
import { checkCacerts, secretFiles, verifyChain } from "./cacertsChecks";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { ROOT, e2eEnv, kubectl, mustRun, run } from "./support";
import { X509Certificate } from "crypto";
import {
  LocalIstiod,
  expectIstioctlAccepts,
  caRootCert,
  fingerprints,
  pemCerts,
  uriSans,
  verifyLeaf,
  waitFor,
} from "./istiod";
import { DataPlaneFound, expectDataPlane, withPlaintextPort } from "./dataPlane";

/**
 * `pulumi up -s local` for real: the REAL engine, the REAL Kubernetes provider (built from its Go
 * module) against the local control plane, Istio's charts from the pinned istio.io/istio module, and
 * the TLS provider TEST DOUBLE for @pulumi/tls (tools/tlsdouble: the real one can't be built here).
 * Then: a clean second preview, a refresh without drift, what the server holds equals what was
 * declared, the engine's own order (cacerts before istiod), no plaintext key in the state, an
 * intermediate rotation whose preview touches only CA material, and a destroy that leaves nothing.
 * And Istio itself on what we applied: istiod (pilot-discovery, test/e2e/istiod.ts) run from the
 * Deployment the chart rendered, with `cacerts` mounted as the kubelet would, signs workload CSRs
 * from our intermediate and sees the rotation without a restart; istioctl analyze/validate.
 */

const getJson = (...args: string[]) => JSON.parse(kubectl(["get", ...args, "-o", "json", "--show-managed-fields"]));
const OURS = "app.kubernetes.io/managed-by=istio-mesh-ca";

describe("pulumi up -s local (self-signed CA, TLS test double, real Kubernetes provider)", () => {
  let stack: E2eStack;
  let firstUp: EngineEvent[];
  let istiod: LocalIstiod | undefined;
  let plane: DataPlaneFound | undefined;
  const root = () => stack.outputs().clusters.cluster1.rootCertBundle as string;

  beforeAll(() => {
    e2eEnv({ apiserver: true });
    const charts = istioCharts();
    stack = new E2eProject("local").stack("local", "local", (c) => {
      c["istio-mesh-ca:istio"].chartPath = charts;
      withPlaintextPort(c, "istio-demo");
    });
    firstUp = stack.mustUp();
  });

  afterAll(() => {
    plane?.mesh.cleanup();
    istiod?.stop();
    stack?.pulumi(["destroy", "--yes", "--skip-preview"]);
    stack?.remove();
  });

  it("created our components, the Helm-rendered Istio objects and our Kubernetes objects", () => {
    const types = new Set(stack.exportState().resources.map((r) => r.type));
    for (const t of [
      "istio-mesh-ca:ca:RootCa",
      "istio-mesh-ca:ca:SelfSignedCa",
      "istio-mesh-ca:istio:IstioInstall",
      "istio-mesh-ca:istio:CacertsSecret",
      "tls:index/privateKey:PrivateKey",
      "tls:index/selfSignedCert:SelfSignedCert",
      "tls:index/locallySignedCert:LocallySignedCert",
      "kubernetes:helm.sh/v3:Release",
      "kubernetes:helm.sh/v4:Chart",
      "kubernetes:apps/v1:Deployment",
      "kubernetes:core/v1:Secret",
      "kubernetes:security.istio.io/v1:PeerAuthentication",
      "kubernetes:networking.istio.io/v1:Sidecar",
    ]) {
      expect([...types]).toContain(t);
    }
  });

  it("Istio's base chart is one Helm release that owns the CRDs; istiod's objects are the Chart's own resources", () => {
    // The engine checks and diffs one Release instead of 15 CRDs (≈ 0.9 MB) on every preview (docs/e2e.md).
    const resources = stack.exportState().resources;
    const base = resources.filter((r) => r.urn.endsWith("::cluster1-istio-base"));
    expect(base.map((r) => r.type)).toEqual(["kubernetes:helm.sh/v3:Release"]);
    expect(resources.filter((r) => r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")).toEqual(
      [],
    );
    const release = getJson("secrets", "-n", "istio-system", "-l", "owner=helm,name=istio-base");
    expect(release.items.map((s: any) => s.metadata.labels.status)).toEqual(["deployed"]);
    const crd = getJson("crd", "peerauthentications.security.istio.io");
    expect(crd.metadata.annotations).toMatchObject({
      "meta.helm.sh/release-name": "istio-base",
      "meta.helm.sh/release-namespace": "istio-system",
      "helm.sh/resource-policy": "keep",
    });
    expect(resources.map((r) => r.type)).toContain("kubernetes:apps/v1:Deployment");
  });

  it("a second preview plans no change (pulumi preview --expect-no-changes)", () => {
    const r = stack.pulumi(["preview", "--expect-no-changes", "--diff"]);
    expect({ code: r.code, out: r.code === 0 ? "" : r.stdout.slice(-4000) + r.stderr }).toEqual({ code: 0, out: "" });
  });

  it("a refresh finds no drift in any object; only the lifecycle's self-reference catches up with the last outputs", () => {
    const r = refreshNoDrift(stack);
    expect(r.firstUpdated.filter((l) => l !== "~ pulumi:pulumi:StackReference: (update)")).toEqual([]);
    expect(r.second).toEqual({ code: 0, out: "" });
  });

  it("the engine finished the cacerts Secret before it started istiod's Deployment", () => {
    const cacerts = whenFinished(firstUp, (u) => u.includes("kubernetes:core/v1:Secret::") && u.includes("cacerts"));
    const istiod = whenStarted(firstUp, (u) => u.includes("kubernetes:apps/v1:Deployment::") && u.endsWith("istiod"));
    expect(Number.isFinite(cacerts) && Number.isFinite(istiod)).toBe(true);
    expect(cacerts).toBeLessThan(istiod);
  });

  it("cacerts on the server: the four files, a chain to the root, and the same root the stack exports", () => {
    const files = secretFiles("istio-system", "cacerts");
    checkCacerts(files);
    const out = stack.outputs();
    expect(out.clusters.cluster1.rootCertBundle).toBe(files["root-cert.pem"]);
    expect(verifyChain(out.clusters.cluster1.rootCertBundle, out.clusters.cluster1.certChain).ok).toBe(true);
    const secret = getJson("secret", "cacerts", "-n", "istio-system");
    expect(secret.metadata.labels).toMatchObject({
      "app.kubernetes.io/managed-by": "istio-mesh-ca",
      "istio.io/ca-source": "plugged-in",
    });
    // Server-side apply by the provider (not kubectl), and no key copied into an annotation.
    expect(secret.metadata.managedFields.map((f: any) => f.manager)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^pulumi-kubernetes/)]),
    );
    expect(JSON.stringify(secret.metadata.annotations ?? {})).not.toMatch(/PRIVATE KEY/);
  });

  it("istiod's Deployment, as the chart rendered it through the provider, mounts cacerts and has no duplicate env", () => {
    const d = getJson("deployment", "istiod", "-n", "istio-system");
    const pod = d.spec.template.spec;
    const discovery = pod.containers.find((c: any) => c.name === "discovery");
    const names = discovery.env.map((e: any) => e.name);
    expect(names.length).toBe(new Set(names).size);
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "cacerts", secret: expect.objectContaining({ secretName: "cacerts" }) }),
      ]),
    );
    expect(discovery.volumeMounts).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "cacerts", mountPath: "/etc/cacerts" })]),
    );
  });

  it("istiod itself (pilot-discovery from the chart's Deployment, cacerts mounted as the kubelet would) uses the plugged-in CA, not a self-signed one", () => {
    istiod = new LocalIstiod({ label: "local" }).start();
    const log = istiod.logs();
    expect(log).toContain("Use local CA certificate");
    expect(log).toMatch(/Use root cert from \S*\/etc\/cacerts\/root-cert\.pem/);
    expect(log).not.toContain("Use self-signed certificate as the CA certificate");
    // istiod's self-signed CA would have stored its key in istio-ca-secret.
    expect(run("kubectl", ["get", "secret", "istio-ca-secret", "-n", "istio-system"]).stderr).toMatch(/NotFound/);
  });

  it("a workload CSR to istiod's CA service (15012, TokenRequest token, audience istio-ca) returns a SPIFFE leaf from our intermediate that verifies against the stack's root; another audience is refused", () => {
    const intermediate = new X509Certificate(secretFiles("istio-system", "cacerts")["ca-cert.pem"]);
    // The TLS handshake is verified against our root too: istiod serves 15012 with a certificate from our CA.
    const issued = istiod!.issue({ namespace: "test", serviceAccount: "httpbin", tlsRoots: root() });
    expect(uriSans(issued.leaf)).toEqual(["spiffe://cluster.local/ns/test/sa/httpbin"]);
    expect(issued.leaf.ca).toBe(false);
    expect(issued.leaf.verify(intermediate.publicKey)).toBe(true);
    expect(verifyLeaf(root(), issued)).toMatchObject({ ok: true });
    expect(fingerprints(issued.chain[issued.chain.length - 1])).toEqual(fingerprints(root()));
    const wrong = istiod!.tryIssue({
      namespace: "test",
      serviceAccount: "httpbin",
      tlsRoots: root(),
      audience: "https://kubernetes.default.svc.cluster.local",
    });
    expect(wrong).toMatchObject({ ok: false, error: expect.stringMatching(/Unauthenticated/) });
  });

  it("istiod writes istio-ca-root-cert into the mesh namespaces with exactly our root", () => {
    for (const ns of ["istio-demo", "test"])
      expect(fingerprints(caRootCert(ns, e2eEnv().kubeconfig))).toEqual(fingerprints(root()));
  });

  it("the data plane: two proxyless gRPC workloads (Istio's pilot-agent, grpc-go) in istio-demo get leaves from our intermediate and complete mTLS under the stack's STRICT policy; plaintext, certificate-less and foreign-CA clients are refused; the stack's port exception lets plaintext through on its port only", () => {
    plane = expectDataPlane({ istiod: istiod!, label: "local", namespace: "istio-demo", roots: root() });
    const intermediate = secretFiles("istio-system", "cacerts")["ca-cert.pem"];
    for (const w of [plane.server, plane.client])
      expect(fingerprints(pemCerts(w.certs().chain)[1])).toEqual(fingerprints(intermediate));
    plane.mesh.cleanup();
  });

  it("the workload our Sidecar selects, injected by istioctl kube-inject with the cluster's injector config and the stack's podAnnotations: the proxy mounts the TLS files where the Sidecar reads them", () => {
    // httpbin is the user's workload, not part of the stack: created here as a Pod object (never run)
    // so the Sidecar's selector selects something, as in a real mesh. The injector webhook can't be
    // reached from this API server (no pod network), so istioctl injects with the webhook's own config
    // (ConfigMaps istio-sidecar-injector and istio), and the Pod opts out of the unreachable webhook.
    const dir = fs.mkdtempSync(path.join(e2eEnv().dir, "inject-"));
    const cm = (name: string) => getJson("configmap", name, "-n", "istio-system").data;
    fs.writeFileSync(path.join(dir, "inject.yaml"), cm("istio-sidecar-injector").config);
    fs.writeFileSync(path.join(dir, "values.json"), cm("istio-sidecar-injector").values);
    fs.writeFileSync(path.join(dir, "mesh.yaml"), cm("istio").mesh);
    const annotations = stack.outputs().clusters.cluster1.sidecarIngressTls["test/httpbin"].podAnnotations;
    if (run("kubectl", ["get", "serviceaccount", "httpbin", "-n", "test"]).code !== 0)
      kubectl(["create", "serviceaccount", "httpbin", "-n", "test"]);
    fs.writeFileSync(
      path.join(dir, "pod.json"),
      JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "httpbin", namespace: "test", labels: { app: "httpbin", version: "v1" }, annotations },
        spec: {
          serviceAccountName: "httpbin",
          containers: [
            { name: "httpbin", image: "docker.io/mccutchen/go-httpbin:v2.15.0", ports: [{ containerPort: 80 }] },
          ],
        },
      }),
    );
    const injected = parseAllDocuments(
      mustRun(path.join(ROOT, "tools/bin/istioctl"), [
        "kube-inject",
        "-f",
        path.join(dir, "pod.json"),
        "--injectConfigFile",
        path.join(dir, "inject.yaml"),
        "--valuesFile",
        path.join(dir, "values.json"),
        "--meshConfigFile",
        path.join(dir, "mesh.yaml"),
      ]),
    )
      .map((d) => d.toJSON())
      .find((d) => d?.kind === "Pod");
    const proxy = injected.spec.containers.find((c: any) => c.name === "istio-proxy");
    const sidecar = getJson("sidecars.networking.istio.io", "httpbin-ingress", "-n", "test").spec;
    const tlsFiles = sidecar.ingress
      .filter((i: any) => i.tls)
      .flatMap((i: any) => [i.tls.serverCertificate, i.tls.privateKey, i.tls.caCertificates])
      .filter(Boolean);
    expect(tlsFiles.length).toBeGreaterThan(0);
    for (const f of tlsFiles) {
      expect({
        f,
        mounted: proxy.volumeMounts.some((m: any) => f.startsWith(`${m.mountPath.replace(/\/$/, "")}/`)),
      }).toEqual({ f, mounted: true });
    }
    injected.metadata.labels["sidecar.istio.io/inject"] = "false";
    kubectl(["create", "-f", "-"], JSON.stringify(injected));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("istioctl analyze --all-namespaces finds no error and no unexplained warning; istioctl validate accepts every Istio object we declare", () => {
    expectIstioctlAccepts(stack.exportState().resources, e2eEnv().kubeconfig, 4);
  });

  it("the PeerAuthentications and the Sidecar on the server equal what the stack declared", () => {
    const state = stack.exportState().resources;
    for (const type of [
      "kubernetes:security.istio.io/v1:PeerAuthentication",
      "kubernetes:networking.istio.io/v1:Sidecar",
    ]) {
      const declared = state.filter((r) => r.type === type);
      expect(declared.length).toBeGreaterThan(0);
      for (const r of declared) {
        const m = r.inputs as any;
        const kind = type.split(":").pop()!.toLowerCase() + "s." + type.split(":")[1].split("/")[0];
        const got = getJson(kind, m.metadata.name, "-n", m.metadata.namespace);
        expect(got.spec).toEqual(m.spec);
      }
    }
    expect(getJson("peerauthentication.security.istio.io", "default", "-n", "istio-system").spec).toEqual({
      mtls: { mode: "STRICT" },
    });
  });

  it("the exported state holds no PEM private key or token in plaintext; the keys are secrets", () => {
    const { text, resources } = stack.exportState();
    expect(plaintextKeys(text)).toEqual([]);
    const key = resources.find((r) => r.type === "tls:index/privateKey:PrivateKey")!;
    expect((key.outputs as any).privateKeyPem).toMatchObject({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    });
    const cacerts = resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.urn.includes("cacerts"))!;
    expect(JSON.stringify(cacerts.inputs)).not.toMatch(/BEGIN/);
  });

  it("an intermediate rotation previews as changes to CA material only, applies, and keeps the root", () => {
    const before = checkCacerts(secretFiles("istio-system", "cacerts"));
    stack.config("ca.rotation.intermediateGeneration", "2", { type: "int" });
    const p = stack.preview();
    expect(p.code).toBe(0);
    const changed = p.steps
      .filter((s) => s.op !== "same")
      .map((s) => `${s.op} ${urnName(s.urn)}`)
      .filter((c) => !SELF_REFERENCE_STEP.test(c))
      .sort();
    // Exactly: a new key, CSR and certificate for the intermediate (new URNs, generation 2), the old
    // ones deleted, and the cacerts Secret updated in place. No root, no Istio object, no restart.
    const step = ["cert", "csr", "key"];
    expect(changed).toEqual([
      "create cluster1-ca-intermediate-r1i2",
      ...step.map((x) => `create cluster1-ca-intermediate-r1i2-${x}`),
      "delete cluster1-ca-intermediate",
      ...step.map((x) => `delete cluster1-ca-intermediate-${x}`),
      "update cluster1-istio-cacerts-secret",
    ]);
    stack.mustUp();
    const after = checkCacerts(secretFiles("istio-system", "cacerts"));
    expect(after.roots).toEqual(before.roots);
    expect(after.intermediate).not.toBe(before.intermediate);
    expect(stack.pulumi(["preview", "--expect-no-changes"]).code).toBe(0);
  });

  it("istiod sees the intermediate rotation without a restart: cacerts rewritten in its volume, new leaves from the new intermediate", () => {
    // The pod template did not change (no rollout); the kubelet rewrites the mounted Secret.
    const synced = istiod!.sync();
    expect(synced.rollout).toBe(false);
    expect(synced.changedMounts).toContain("/etc/cacerts");
    const intermediate = new X509Certificate(secretFiles("istio-system", "cacerts")["ca-cert.pem"]);
    const issued = waitFor(
      "a leaf signed by the new intermediate",
      () => {
        const l = istiod!.issue({ namespace: "test", serviceAccount: "httpbin", tlsRoots: root() });
        return l.leaf.verify(intermediate.publicKey) ? l : undefined;
      },
      60000,
      () => istiod!.logTail(),
    );
    expect(verifyLeaf(root(), issued)).toMatchObject({ ok: true });
    istiod!.waitForLog("Istiod has detected the newly added intermediate CA and updated its key and certs accordingly");
    expect(istiod!.rollouts).toEqual([]);
  });

  it("a destroy removes everything of ours from the server (Istio's CRDs stay: helm.sh/resource-policy keep)", () => {
    istiod?.stop(); // its Deployment goes with the destroy
    stack.destroy();
    expect(stack.exportState().resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    expect(getJson("secrets", "-A", "-l", OURS).items).toEqual([]);
    for (const ns of ["istio-demo", "test", "istio-system"]) {
      const r = run("kubectl", ["get", "namespace", ns, "-o", "jsonpath={.status.phase}"]);
      expect(r.code === 0 ? r.stdout : "gone").toMatch(/gone|Terminating/);
    }
    expect(getJson("peerauthentications.security.istio.io", "-A").items).toEqual([]);
    expect(getJson("deployments", "-A").items.filter((d: any) => d.metadata.name.startsWith("istiod"))).toEqual([]);
  });
});
