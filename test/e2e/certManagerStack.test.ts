import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { E2eProject, E2eStack, istioCharts, plaintextKeys } from "./project";
import { ROOT, e2eEnv, kubectl, mustRun, run } from "./support";
import { LocalIstiod, expectIstioctlAccepts, caRootCert, fingerprints, uriSans, verifyLeaf } from "./istiod";

/**
 * `pulumi up -s certmanager` (cert-manager CSR signers) through the REAL engine and provider, with
 * cert-manager's REAL CRDs (deploy/crds of the github.com/cert-manager/cert-manager v1.21.2 module)
 * and `certManager.install: false`, as on a cluster where cert-manager already runs. cert-manager's
 * controller itself can't be built here: test/e2e/certManagerStandIn.sh stands in for it (issues
 * the CA Secrets the Certificates name and reports Ready), so `pulumi.com/waitFor` really waits.
 * It also signs approved Kubernetes CSRs for our signers, as cert-manager's CSR controllers would:
 * then istiod (test/e2e/istiod.ts, from the Deployment the chart rendered, with exactly its env) runs
 * as the RA and the whole kubernetesCsr path is exercised by Istio's own code.
 */

const CERT_MANAGER = "github.com/cert-manager/cert-manager@v1.21.2";
const getJson = (...args: string[]) => JSON.parse(kubectl(["get", ...args, "-o", "json"]));

describe("pulumi up -s certmanager (kubernetesCsr signers, cert-manager CRDs, controller stand-in)", () => {
  let stack: E2eStack;
  let standIn: ChildProcess;
  let stopFile: string;
  let istiod: LocalIstiod | undefined;
  /** The CA certificate of a signer (its ClusterIssuer's Secret, written by the stand-in). */
  const signerCa = (s: string) => Buffer.from(getJson("secret", `${s}-ca`, "-n", "cert-manager").data["ca.crt"], "base64").toString("utf8");

  beforeAll(() => {
    const env = e2eEnv({ apiserver: true });
    const dir = JSON.parse(mustRun("go", ["mod", "download", "-json", CERT_MANAGER], { cwd: "/", env: { GOFLAGS: "" }, timeoutMs: 600000 })).Dir as string;
    kubectl(["apply", "--server-side", "--field-manager=e2e-cert-manager", "-f", path.join(dir, "deploy/crds")]);
    kubectl(["wait", "--for", "condition=Established", "--timeout=120s", "crd", "certificates.cert-manager.io", "clusterissuers.cert-manager.io", "issuers.cert-manager.io"]);
    kubectl(["create", "namespace", "cert-manager"]);
    stopFile = path.join(env.dir, "cert-manager-stand-in.stop");
    standIn = spawn("bash", [path.join(ROOT, "test/e2e/certManagerStandIn.sh"), stopFile], { stdio: "ignore", env: process.env });
    const charts = istioCharts();
    stack = new E2eProject("certmanager").stack("certmanager", "certmanager", (c) => {
      c["istio-mesh-ca:ca"].certManager.install = false;
      c["istio-mesh-ca:istio"].chartPath = charts;
      c["istio-mesh-ca:istio"].skipAwait = true;
    });
    stack.mustUp();
  });

  afterAll(() => {
    istiod?.stop();
    kubectl(["delete", "certificatesigningrequests", "-l", "e2e=istiod-approve", "--ignore-not-found"]);
    stack?.pulumi(["destroy", "--yes", "--skip-preview"]);
    stack?.remove();
    if (stopFile) fs.writeFileSync(stopFile, "");
    standIn?.kill();
    kubectl(["delete", "namespace", "cert-manager", "--ignore-not-found", "--wait=false"]);
  });

  it("declares one self-signed bootstrap issuer, CA Certificate and CA ClusterIssuer per signer, accepted by cert-manager's CRDs", () => {
    const issuers = getJson("clusterissuers.cert-manager.io").items.map((i: any) => i.metadata.name).sort();
    expect(issuers).toEqual(["bar", "bar-selfsigned", "foo", "foo-selfsigned", "istio-system", "istio-system-selfsigned"]);
    const certs = getJson("certificates.cert-manager.io", "-n", "cert-manager").items;
    expect(certs.map((c: any) => c.metadata.name).sort()).toEqual(["bar-ca", "foo-ca", "istio-system-ca"]);
    expect(certs.find((c: any) => c.metadata.name === "bar-ca").spec.privateKey).toMatchObject({ algorithm: "ECDSA", size: 256 });
  });

  it("a second preview plans no change", () => {
    const r = stack.pulumi(["preview", "--expect-no-changes", "--diff"]);
    expect({ code: r.code, out: r.code === 0 ? "" : r.stdout.slice(-4000) + r.stderr }).toEqual({ code: 0, out: "" });
  });

  it("istiod is an RA for exactly our signers: env, caCertificates with each signer's CA, approve only on those signers", () => {
    const d = getJson("deployment", "istiod", "-n", "istio-system");
    const env = d.spec.template.spec.containers.find((c: any) => c.name === "discovery").env as { name: string; value?: string }[];
    const names = env.map((e) => e.name);
    expect(names.length).toBe(new Set(names).size);
    expect(env).toEqual(expect.arrayContaining([{ name: "EXTERNAL_CA", value: "ISTIOD_RA_KUBERNETES_API" }]));
    const mesh = getJson("configmap", "istio", "-n", "istio-system").data.mesh as string;
    for (const s of ["istio-system", "foo", "bar"]) {
      expect(mesh).toContain(`clusterissuers.cert-manager.io/${s}`);
      const ca = Buffer.from(getJson("secret", `${s}-ca`, "-n", "cert-manager").data["ca.crt"], "base64").toString("utf8").trim();
      expect(mesh.replace(/\n\s*/g, "\n")).toContain(ca.split("\n")[1]);
    }
    // Asked of the real API server's authorizer (SubjectAccessReview as istiod's service account):
    // approve for our signers, and for no other.
    const canApprove = (signer: string) => {
      const sar = { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec: {
        user: "system:serviceaccount:istio-system:istiod", groups: ["system:serviceaccounts", "system:serviceaccounts:istio-system"],
        resourceAttributes: { group: "certificates.k8s.io", resource: "signers", verb: "approve", name: signer } } };
      return JSON.parse(kubectl(["create", "-o", "json", "-f", "-"], JSON.stringify(sar))).status.allowed === true;
    };
    for (const s of ["istio-system", "foo", "bar"]) expect(canApprove(`clusterissuers.cert-manager.io/${s}`)).toBe(true);
    for (const other of ["clusterissuers.cert-manager.io/other", "kubernetes.io/kube-apiserver-client", "kubernetes.io/legacy-unknown", "example.com/any"]) {
      expect({ other, allowed: canApprove(other) }).toEqual({ other, allowed: false });
    }
  });

  it("one ProxyConfig per mapped namespace selects that namespace's signer", () => {
    for (const ns of ["foo", "bar"]) {
      const pcs = getJson("proxyconfigs.networking.istio.io", "-n", ns).items;
      expect(pcs).toHaveLength(1);
      expect(pcs[0].spec.environmentVariables).toEqual({ ISTIO_META_CERT_SIGNER: ns });
    }
  });

  it("istiod as RA (exactly the env the stack rendered) gets its own serving certificate from the default signer through a Kubernetes CSR", () => {
    istiod = new LocalIstiod({ label: "certmanager" }).start(); // /ready only once the CSR was signed
    const log = istiod.logs();
    expect(log).toMatch(/Generating K8S-signed cert for .* using signer clusterissuers\.cert-manager\.io\/istio-system/);
    expect(log).not.toContain("Use self-signed certificate as the CA certificate");
    expect(log).not.toContain("Use local CA certificate");
  });

  it("workload CSRs to istiod: signed through Kubernetes CSRs by the signer the namespace's proxies name; the chain verifies with that signer's CA only", () => {
    const mesh = parse(getJson("configmap", "istio", "-n", "istio-system").data.mesh as string);
    const signerOf: Record<string, string> = { default: mesh.defaultConfig.proxyMetadata.ISTIO_META_CERT_SIGNER };
    for (const ns of ["foo", "bar"]) signerOf[ns] = getJson("proxyconfigs.networking.istio.io", "-n", ns).items[0].spec.environmentVariables.ISTIO_META_CERT_SIGNER;
    expect(signerOf).toEqual({ default: "istio-system", foo: "foo", bar: "bar" });
    for (const [ns, signer] of Object.entries(signerOf)) {
      // TLS to 15012 verified with the default signer's CA: istiod's serving certificate came from it.
      const issued = istiod!.issue({ namespace: ns, serviceAccount: "workload", tlsRoots: signerCa("istio-system"), certSigner: signer });
      expect(uriSans(issued.leaf)).toEqual([`spiffe://cluster.local/ns/${ns}/sa/workload`]);
      for (const other of ["istio-system", "foo", "bar"]) {
        expect({ ns, other, ok: verifyLeaf(signerCa(other), issued).ok }).toEqual({ ns, other, ok: other === signer });
      }
      // The root istiod appends is that signer's CA from meshConfig.caCertificates.
      expect(fingerprints(issued.chain[issued.chain.length - 1])).toEqual(fingerprints(signerCa(signer)));
    }
  });

  it("istiod writes istio-ca-root-cert with the default signer's CA", () => {
    for (const ns of ["foo", "bar"]) expect(fingerprints(caRootCert(ns, e2eEnv().kubeconfig))).toEqual(fingerprints(signerCa("istio-system")));
  });

  it("istiod's service account really cannot approve a CSR for any other signer (kubectl certificate approve as it: Forbidden), and can for ours", () => {
    const sa = `system:serviceaccount:istio-system:${istiod!.serviceAccount}`;
    const as = ["--as", sa, "--as-group", "system:serviceaccounts", "--as-group", "system:serviceaccounts:istio-system", "--as-group", "system:authenticated"];
    const request = Buffer.from(mustRun("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "/dev/null", "-subj", "/CN=e2e"])).toString("base64");
    const approved = (name: string) => (getJson("certificatesigningrequests", name).status?.conditions ?? []).some((c: any) => c.type === "Approved");
    const attempt = (name: string, signerName: string) => {
      kubectl(["create", "-f", "-"], JSON.stringify({ apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest",
        metadata: { name, labels: { e2e: "istiod-approve" } }, spec: { request, signerName, usages: ["digital signature", "client auth"] } }));
      return run("kubectl", ["certificate", "approve", name, ...as]);
    };
    const others = ["clusterissuers.cert-manager.io/other", "issuers.cert-manager.io/istio-system.foo", "kubernetes.io/kube-apiserver-client", "example.com/any"];
    others.forEach((signer, i) => {
      const r = attempt(`e2e-istiod-approve-other-${i}`, signer);
      expect({ signer, code: r.code === 0 ? 0 : 1, forbidden: /forbidden/i.test(r.stderr) && r.stderr.includes(signer) }).toEqual({ signer, code: 1, forbidden: true });
      expect(approved(`e2e-istiod-approve-other-${i}`)).toBe(false);
    });
    const ours = attempt("e2e-istiod-approve-ours", "clusterissuers.cert-manager.io/bar");
    expect({ code: ours.code, err: ours.stderr }).toEqual({ code: 0, err: "" });
    expect(approved("e2e-istiod-approve-ours")).toBe(true);
    kubectl(["delete", "certificatesigningrequests", "-l", "e2e=istiod-approve"]);
  });

  it("istioctl analyze --all-namespaces finds no error and no unexplained warning; istioctl validate accepts every Istio object we declare", () => {
    expectIstioctlAccepts(stack.exportState().resources, e2eEnv().kubeconfig, 1);
  });

  it("the state holds no plaintext key; destroy removes our cert-manager objects and leaves the CA Secrets to cert-manager", () => {
    expect(plaintextKeys(stack.exportState().text)).toEqual([]);
    istiod?.stop(); // its Deployment goes with the destroy
    stack.destroy();
    expect(getJson("clusterissuers.cert-manager.io").items).toEqual([]);
    expect(getJson("certificates.cert-manager.io", "-A").items).toEqual([]);
    expect(getJson("proxyconfigs.networking.istio.io", "-A").items).toEqual([]);
  });
});
