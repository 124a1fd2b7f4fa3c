import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { E2eProject, E2eStack, istioCharts, plaintextKeys } from "./project";
import { ROOT, e2eEnv, kubectl, mustRun } from "./support";

/**
 * `pulumi up -s certmanager` (cert-manager CSR signers) through the REAL engine and provider, with
 * cert-manager's REAL CRDs (deploy/crds of the github.com/cert-manager/cert-manager v1.21.2 module)
 * and `certManager.install: false`, as on a cluster where cert-manager already runs. cert-manager's
 * controller itself can't be built here: test/e2e/certManagerStandIn.sh stands in for it (issues
 * the CA Secrets the Certificates name and reports Ready), so `pulumi.com/waitFor` really waits.
 */

const CERT_MANAGER = "github.com/cert-manager/cert-manager@v1.21.2";
const getJson = (...args: string[]) => JSON.parse(kubectl(["get", ...args, "-o", "json"]));

describe("pulumi up -s certmanager (kubernetesCsr signers, cert-manager CRDs, controller stand-in)", () => {
  let stack: E2eStack;
  let standIn: ChildProcess;
  let stopFile: string;

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

  it("the state holds no plaintext key; destroy removes our cert-manager objects and leaves the CA Secrets to cert-manager", () => {
    expect(plaintextKeys(stack.exportState().text)).toEqual([]);
    stack.destroy();
    expect(getJson("clusterissuers.cert-manager.io").items).toEqual([]);
    expect(getJson("certificates.cert-manager.io", "-A").items).toEqual([]);
    expect(getJson("proxyconfigs.networking.istio.io", "-A").items).toEqual([]);
  });
});
