import * as fs from "fs";
import * as path from "path";
import {
  E2eProject,
  E2eStack,
  SELF_REFERENCE_STEP,
  istioCharts,
  plaintextKeys,
  refreshNoDrift,
  urnName,
} from "./project";
import { checkCacerts, secretFiles } from "./cacertsChecks";
import { e2eEnv, istioModuleDir, kubectl, mustRun } from "./support";
import { LocalIstiod, expectIstioctlAccepts, caRootCert, fingerprints, pemCerts, uriSans, verifyLeaf } from "./istiod";
import { DataPlaneFound, expectDataPlane, withPlaintextPort } from "./dataPlane";

/**
 * `pulumi up -s provided` with EVERY part real: the engine, the Kubernetes provider, the local
 * control plane, and CA material made by Istio's own tools/certs/Makefile.selfsigned.mk from the
 * pinned istio.io/istio module (the plug-in CA procedure, run exactly as docs/provided.md says).
 * No TLS provider is involved: the backend registers no tls resource.
 */

const getJson = (...args: string[]) => JSON.parse(kubectl(["get", ...args, "-o", "json"]));

describe("pulumi up -s provided (Istio's Makefile.selfsigned.mk material, all real parts)", () => {
  let stack: E2eStack;
  let certs: string;
  let makefile: string;
  const make = (...targets: string[]) =>
    mustRun("make", ["-f", makefile, ...targets], { cwd: certs, timeoutMs: 600000 });
  const read = (f: string) => fs.readFileSync(path.join(certs, f), "utf8");
  const setMaterial = (cluster: string) => {
    stack.config("ca.rootCertPem", read("root-cert.pem"));
    stack.config(`ca.clusters.${cluster}.caCertPem`, read(`${cluster}/ca-cert.pem`));
    stack.config(`ca.clusters.${cluster}.caKeyPem`, read(`${cluster}/ca-key.pem`), { secret: true });
    stack.config(`ca.clusters.${cluster}.certChainPem`, read(`${cluster}/cert-chain.pem`));
  };

  beforeAll(() => {
    const env = e2eEnv({ apiserver: true });
    makefile = path.join(istioModuleDir(), "tools/certs/Makefile.selfsigned.mk");
    certs = fs.mkdtempSync(path.join(env.dir, "certs-"));
    make("root-ca");
    make("INTERMEDIATE_DAYS=730", "cluster1-cacerts");
    const charts = istioCharts();
    stack = new E2eProject("provided").stack("provided", "provided", (c) => {
      c["istio-mesh-ca:istio"].chartPath = charts;
      withPlaintextPort(c, "istio-demo");
    });
  });

  let istiod: LocalIstiod | undefined;
  let plane: DataPlaneFound | undefined;

  afterAll(() => {
    plane?.mesh.cleanup();
    istiod?.stop();
    stack?.pulumi(["destroy", "--yes", "--skip-preview"]);
    stack?.remove();
  });

  it("without the PEMs, the committed stack file is refused before any resource, naming what is missing", () => {
    const p = stack.preview();
    expect(p.code).not.toBe(0);
    expect(p.errors).toContain("istio-mesh-ca:ca.rootCertPem");
    expect(p.steps.map((s) => s.type)).toEqual(["pulumi:pulumi:Stack"]);
  });

  it("with the Makefile's files set as the docs say: up, no tls resource, cacerts holds exactly those files", () => {
    setMaterial("cluster1");
    const file = fs.readFileSync(path.join(stack.project.dir, "Pulumi.provided.yaml"), "utf8");
    expect(plaintextKeys(file)).toEqual([]);
    stack.mustUp();
    const types = stack.exportState().resources.map((r) => r.type);
    expect(types.filter((t) => t.startsWith("tls:"))).toEqual([]);
    const files = secretFiles("istio-system", "cacerts");
    checkCacerts(files);
    expect(files["ca-cert.pem"].trim()).toBe(read("cluster1/ca-cert.pem").trim());
    expect(files["ca-key.pem"].trim()).toBe(read("cluster1/ca-key.pem").trim());
    expect(files["cert-chain.pem"].trim()).toBe(read("cluster1/cert-chain.pem").trim());
    expect(files["root-cert.pem"].trim()).toBe(read("root-cert.pem").trim());
    // The Makefile's intermediates carry the path-length constraint @pulumi/tls can't express.
    expect(mustRun("openssl", ["x509", "-noout", "-text"], { input: files["ca-cert.pem"] })).toMatch(
      /CA:TRUE, pathlen:0/,
    );
  });

  it("a second preview is clean and refresh finds no drift", () => {
    expect(stack.pulumi(["preview", "--expect-no-changes"]).code).toBe(0);
    const r = refreshNoDrift(stack);
    expect(r.firstUpdated.filter((l) => l !== "~ pulumi:pulumi:StackReference: (update)")).toEqual([]);
    expect(r.second).toEqual({ code: 0, out: "" });
  });

  it("the state and the outputs hold the key only as a secret", () => {
    const { text } = stack.exportState();
    expect(plaintextKeys(text)).toEqual([]);
    expect(JSON.stringify(stack.outputs())).not.toMatch(/PRIVATE KEY/);
    expect(getJson("secret", "cacerts", "-n", "istio-system").metadata.annotations ?? {}).not.toHaveProperty(
      "kubectl.kubernetes.io/last-applied-configuration",
    );
  });

  it("istiod itself signs with the Makefile's intermediate: a SPIFFE leaf for a TokenRequest token verifies against the Makefile's root; istio-ca-root-cert is that root", () => {
    istiod = new LocalIstiod({ label: "provided" }).start();
    expect(istiod.logs()).toContain("Use local CA certificate");
    expect(istiod.logs()).not.toContain("Use self-signed certificate as the CA certificate");
    const issued = istiod.issue({ namespace: "default", serviceAccount: "sleep", tlsRoots: read("root-cert.pem") });
    expect(uriSans(issued.leaf)).toEqual(["spiffe://cluster.local/ns/default/sa/sleep"]);
    expect(verifyLeaf(read("root-cert.pem"), issued)).toMatchObject({ ok: true });
    expect(fingerprints(issued.intermediates.join(""))).toEqual(fingerprints(read("cluster1/ca-cert.pem")));
    expect(fingerprints(caRootCert("default", e2eEnv().kubeconfig))).toEqual(fingerprints(read("root-cert.pem")));
  });

  it("the data plane: two proxyless gRPC workloads (Istio's pilot-agent, grpc-go) in istio-demo get leaves from the Makefile's intermediate and complete mTLS under the stack's STRICT policy; plaintext, certificate-less and foreign-CA clients are refused; the stack's port exception lets plaintext through on its port only", () => {
    plane = expectDataPlane({
      istiod: istiod!,
      label: "provided",
      namespace: "istio-demo",
      roots: read("root-cert.pem"),
    });
    for (const w of [plane.server, plane.client])
      expect(fingerprints(pemCerts(w.certs().chain)[1])).toEqual(fingerprints(read("cluster1/ca-cert.pem")));
    plane.mesh.cleanup();
    istiod!.stop();
  });

  it("istioctl analyze --all-namespaces finds no error and no unexplained warning; istioctl validate accepts every Istio object we declare", () => {
    expectIstioctlAccepts(stack.exportState().resources, e2eEnv().kubeconfig, 1);
  });

  it("intermediate rotation = new PEMs from the Makefile: only cacerts changes, the root stays", () => {
    const before = checkCacerts(secretFiles("istio-system", "cacerts"));
    fs.rmSync(path.join(certs, "cluster1"), { recursive: true, force: true });
    make("INTERMEDIATE_DAYS=730", "cluster1-cacerts");
    setMaterial("cluster1");
    const changed = stack
      .preview()
      .steps.filter((s) => s.op !== "same")
      .map((s) => `${s.op} ${urnName(s.urn)}`);
    for (const c of changed.filter((x) => !SELF_REFERENCE_STEP.test(x)))
      expect(c).toMatch(/^update .*(cacerts|istio-mesh-ca-provided$)/);
    expect(changed.join("\n")).toMatch(/update .*cacerts/);
    stack.mustUp();
    const after = checkCacerts(secretFiles("istio-system", "cacerts"));
    expect(after.roots).toEqual(before.roots);
    expect(after.intermediate).not.toBe(before.intermediate);
  });

  it("destroy leaves nothing of ours", () => {
    stack.destroy();
    expect(getJson("secrets", "-A", "-l", "app.kubernetes.io/managed-by=istio-mesh-ca").items).toEqual([]);
  });
});
