import { execFileSync } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { DeclaredResource, Manifest, PHASE_ORDER, Phases, toPhases } from "../../scripts/e2e/k8sManifests";
import { caSecretReads } from "../ca/certManager.fixtures";
import { ProgramRun, runProgram, stackConfig } from "../harness/program";
import { e2eEnv, istioModuleDir, kubectl, run } from "./support";

/**
 * Our Kubernetes objects against a REAL kube-apiserver v1.35.4 (built from k8s.io/kubernetes, with
 * etcd and the controller-manager; started by scripts/e2e/with-toolchain.sh) carrying Istio's REAL
 * CRDs (manifests/charts/base/files/crd-all.gen.yaml of the pinned istio.io/istio module).
 *
 * The program runs under Pulumi mocks (test/harness/program.ts; keys and certificates are real,
 * made by openssl) and every Kubernetes object it declares is applied with
 * `kubectl apply --server-side`, namespaces first — because the Pulumi Kubernetes provider, which
 * would normally send these exact inputs, can't be built here (docs/e2e.md). Helm charts are not
 * applied: rendering them is the provider's job.
 */

const FIELD_MANAGER = "istio-mesh-ca-e2e";

function declared(run: ProgramRun): DeclaredResource[] {
  return run.resources.map((r) => ({ type: r.type, name: r.name, inputs: r.inputs }));
}

describe("our Kubernetes objects on a real API server with Istio's CRDs", () => {
  let env: { dir: string };
  let work: string;
  let dev: Phases;

  const applyList = (file: string, items: Manifest[], extra: string[] = []) => {
    fs.writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items }), { mode: 0o600 });
    return kubectl(["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, ...extra, "-f", file]);
  };
  const applyPhases = (label: string, phases: Phases) => {
    for (const phase of PHASE_ORDER) {
      if (phases[phase].length > 0) applyList(path.join(work, `${label}-${phase}.json`), phases[phase].map((r) => r.manifest));
    }
  };
  const getJson = (...args: string[]) => JSON.parse(kubectl(["get", ...args, "-o", "json"]));

  beforeAll(async () => {
    env = e2eEnv({ apiserver: true });
    work = fs.mkdtempSync(path.join(env.dir, "k8s-objects-"));
    expect(JSON.parse(kubectl(["version", "-o", "json"])).serverVersion.gitVersion).toBe("v1.35.4");

    // Istio's CRDs from the source module, server-side (they exceed client-side apply's annotation limit).
    const crds = path.join(istioModuleDir(), "manifests/charts/base/files/crd-all.gen.yaml");
    kubectl(["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "-f", crds]);
    kubectl(["wait", "--for", "condition=Established", "--timeout=120s", "crd",
      "peerauthentications.security.istio.io", "sidecars.networking.istio.io", "proxyconfigs.networking.istio.io"]);

    const r = await runProgram(stackConfig("dev"), { stack: "dev" });
    expect(r.error).toBeUndefined();
    dev = toPhases(declared(r));
    applyPhases("dev", dev);
  });

  it("the dev stack declares exactly these Kubernetes objects; only the provider and Helm charts are not applied", () => {
    const names = (phase: keyof Omit<Phases, "skipped">) => dev[phase].map((x) => `${x.manifest.kind} ${x.manifest.metadata.namespace ?? ""}/${x.manifest.metadata.name}`).sort();
    expect(names("namespaces")).toEqual(["Namespace /istio-demo", "Namespace /istio-system", "Namespace /test"]);
    expect(names("cluster")).toEqual([]);
    expect(names("namespaced")).toEqual(["Secret istio-system/cacerts", "Secret test/httpbin-mtls-termination", "Secret test/httpbin-mtls-termination-cacert"]);
    expect(names("custom")).toEqual([
      "PeerAuthentication istio-demo/default", "PeerAuthentication istio-system/default", "PeerAuthentication test/default",
      "PeerAuthentication test/httpbin-external-port", "Sidecar test/httpbin-ingress"]);
    expect(dev.skipped.map((s) => s.type).sort()).toEqual(["kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v4:Chart", "pulumi:providers:kubernetes"]);
  });

  describe("the cacerts Secret istiod reads", () => {
    let files: Record<string, string>;
    let dir: string;
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    beforeAll(() => {
      const secret = getJson("secret", "cacerts", "-n", "istio-system");
      expect(secret.type).toBe("Opaque");
      expect(secret.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "istio-mesh-ca", "istio.io/ca-source": "plugged-in" });
      files = Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
      dir = fs.mkdtempSync(path.join(work, "cacerts-"));
      for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, k), v, { mode: 0o600 });
    });

    it("holds exactly the four files istiod expects", () => {
      expect(Object.keys(files).sort()).toEqual(["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
    });

    it("cert-chain.pem starts with ca-cert.pem and verifies against root-cert.pem; ca-key.pem is ca-cert.pem's key", () => {
      expect(new X509Certificate(files["cert-chain.pem"]).raw).toEqual(new X509Certificate(files["ca-cert.pem"]).raw);
      expect(openssl("verify", "-CAfile", "root-cert.pem", "cert-chain.pem").trim()).toBe("cert-chain.pem: OK");
      expect(openssl("verify", "-CAfile", "root-cert.pem", "-untrusted", "cert-chain.pem", "ca-cert.pem").trim()).toBe("ca-cert.pem: OK");
      const ca = new X509Certificate(files["ca-cert.pem"]);
      expect(ca.ca).toBe(true);
      expect(ca.checkPrivateKey(require("crypto").createPrivateKey(files["ca-key.pem"]))).toBe(true);
    });

    it("a workload leaf issued with ca-cert.pem/ca-key.pem (as istiod would) verifies through the chain to the root", () => {
      openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/", "-keyout", "leaf.key", "-out", "leaf.csr");
      fs.writeFileSync(path.join(dir, "leaf.ext"), [
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature, keyEncipherment",
        "extendedKeyUsage = serverAuth, clientAuth",
        "subjectAltName = critical, URI:spiffe://cluster.local/ns/test/sa/httpbin",
      ].join("\n"));
      openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca-cert.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-days", "1",
        "-extfile", "leaf.ext", "-out", "leaf.pem");
      expect(openssl("verify", "-CAfile", "root-cert.pem", "-untrusted", "cert-chain.pem", "leaf.pem").trim()).toBe("leaf.pem: OK");
      // And not against an unrelated root.
      openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=other", "-keyout", "other.key", "-out", "other.pem");
      const bad = run("openssl", ["verify", "-CAfile", "other.pem", "-untrusted", "cert-chain.pem", "leaf.pem"], { cwd: dir });
      expect(bad.code).not.toBe(0);
    });
  });

  it("the PeerAuthentications read back from the server equal what the program declared (accepted by the CRD schema)", () => {
    const onServer = getJson("peerauthentications.security.istio.io", "-A").items as any[];
    const declaredPa = dev.custom.filter((r) => r.manifest.kind === "PeerAuthentication").map((r) => r.manifest);
    expect(onServer.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort())
      .toEqual(declaredPa.map((m) => `${m.metadata.namespace}/${m.metadata.name}`).sort());
    for (const m of declaredPa) {
      const got = onServer.find((p) => p.metadata.namespace === m.metadata.namespace && p.metadata.name === m.metadata.name);
      expect(got.apiVersion).toBe("security.istio.io/v1");
      expect(got.spec).toEqual(m.spec);
    }
    const modeOf = (ns: string, name: string) => onServer.find((p) => p.metadata.namespace === ns && p.metadata.name === name).spec;
    expect(modeOf("istio-system", "default")).toEqual({ mtls: { mode: "STRICT" } });
    expect(modeOf("test", "default")).toEqual({ mtls: { mode: "STRICT" } });
    // The workload-selected PeerAuthentication for the sidecar-ingress-TLS port.
    expect(modeOf("test", "httpbin-external-port")).toMatchObject({ selector: { matchLabels: { app: "httpbin", version: "v1" } } });
  });

  it("the Sidecar read back from the server equals the declared one (ingress TLS on 9080 from the mounted Secrets)", () => {
    const sc = getJson("sidecars.networking.istio.io", "httpbin-ingress", "-n", "test");
    const m = dev.custom.find((r) => r.manifest.kind === "Sidecar")!.manifest;
    expect(sc.apiVersion).toBe("networking.istio.io/v1");
    expect(sc.spec).toEqual(m.spec);
    expect(sc.spec.ingress.map((i: any) => i.port.number).sort()).toEqual([9080, 9081]);
    expect(sc.spec.ingress.find((i: any) => i.port.number === 9080).tls).toMatchObject({ mode: "MUTUAL" });
  });

  it("the CRDs really validate: a PeerAuthentication with an invalid mode is rejected by the server", () => {
    const bad = { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "bad", namespace: "test" }, spec: { mtls: { mode: "BOGUS" } } };
    const file = path.join(work, "bad.json");
    fs.writeFileSync(file, JSON.stringify(bad));
    const r = run("kubectl", ["apply", "--server-side", "--dry-run=server", "-f", file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/spec\.mtls\.mode: Unsupported value: "BOGUS"/);
  });

  it("re-applying the same objects changes nothing on the server (kubectl diff --server-side is empty)", () => {
    for (const phase of PHASE_ORDER) {
      if (dev[phase].length === 0) continue;
      const file = path.join(work, `dev-${phase}.json`);
      const r = run("kubectl", ["diff", "--server-side", `--field-manager=${FIELD_MANAGER}`, "-f", file]);
      expect({ phase, code: r.code, out: r.stdout + r.stderr }).toEqual({ phase, code: 0, out: "" });
    }
  });

  describe("the certmanager stack's ProxyConfigs (Istio CRD; cert-manager's own kinds need its CRDs and are not applied)", () => {
    let cm: Phases;
    beforeAll(async () => {
      const r = await runProgram(stackConfig("certmanager"), { stack: "certmanager", extraState: caSecretReads().extraState });
      expect(r.error).toBeUndefined();
      cm = toPhases(declared(r));
      const proxyConfigs = cm.custom.filter((x) => x.manifest.kind === "ProxyConfig");
      const namespaces = new Set(proxyConfigs.map((x) => x.manifest.metadata.namespace));
      applyPhases("certmanager", { namespaces: cm.namespaces.filter((n) => namespaces.has(n.manifest.metadata.name)),
        cluster: [], namespaced: [], custom: proxyConfigs, skipped: [] });
    });

    it("one ProxyConfig per mapped namespace, stored as declared (networking.istio.io/v1beta1)", () => {
      const onServer = getJson("proxyconfigs.networking.istio.io", "-A").items as any[];
      const declaredPc = cm.custom.filter((x) => x.manifest.kind === "ProxyConfig").map((x) => x.manifest);
      expect(declaredPc.map((m) => m.metadata.namespace).sort()).toEqual(["bar", "foo"]);
      expect(onServer.map((p) => p.metadata.namespace).sort()).toEqual(["bar", "foo"]);
      for (const m of declaredPc) {
        const got = onServer.find((p) => p.metadata.namespace === m.metadata.namespace);
        expect(got.apiVersion).toBe("networking.istio.io/v1beta1");
        expect(got.spec).toEqual(m.spec);
        expect(Object.keys(got.spec.environmentVariables)).toEqual(["ISTIO_META_CERT_SIGNER"]);
        expect(got.spec.environmentVariables.ISTIO_META_CERT_SIGNER).toBe(m.metadata.namespace);
      }
    });

    it("the cert-manager kinds it declares (not applied here) are listed, so none is silently lost", () => {
      const kinds = [...new Set([...cm.cluster, ...cm.custom].map((x) => x.manifest.kind))].sort();
      expect(kinds).toEqual(expect.arrayContaining(["Certificate", "ClusterIssuer", "ProxyConfig"]));
    });
  });

  it("deleting the namespaces removes everything namespaced we created (namespace controller of the real control plane)", () => {
    const ours = ["istio-demo", "test", "istio-system", "foo", "bar"];
    kubectl(["delete", "namespace", ...ours, "--wait=true", "--timeout=180s"]);
    const left = getJson("namespaces").items.map((n: any) => n.metadata.name);
    for (const ns of ours) expect(left).not.toContain(ns);
    expect(getJson("peerauthentications.security.istio.io", "-A").items).toEqual([]);
    expect(getJson("sidecars.networking.istio.io", "-A").items).toEqual([]);
    expect(getJson("proxyconfigs.networking.istio.io", "-A").items).toEqual([]);
    const gone = run("kubectl", ["get", "secret", "cacerts", "-n", "istio-system"]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/NotFound|not found/);
  });
});
