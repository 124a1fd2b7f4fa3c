import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { E2eProject, E2eStack, istioCharts, plaintextKeys } from "./project";
import { e2eEnv, kubectl, mustRun, run } from "./support";
import {
  LocalIstiod,
  expectIstioctlAccepts,
  caRootCert,
  fingerprints,
  pause,
  pemCerts,
  uriSans,
  verifyLeaf,
  waitFor,
} from "./istiod";
import {
  CsrSeen,
  CsrWatch,
  LocalCertManager,
  LocalChartRepo,
  applyCertManagerCrds,
  applyRbac,
  certManagerModuleDir,
  csrEvents,
  deleteRbac,
  kubeletArgs,
} from "./certManager";
import { DataPlaneFound, expectDataPlane, withPlaintextPort } from "./dataPlane";

/**
 * `pulumi up -s certmanager` (cert-manager CSR signers) through the REAL engine and provider, with
 * cert-manager's REAL CRDs and REAL controllers (github.com/cert-manager/cert-manager v1.21.2:
 * tools/bin/cert-manager-controller, run by test/e2e/certManager.ts) and `certManager.install:
 * false`, as on a cluster where cert-manager already runs. The controller is started with the args
 * the module's own chart renders from the values our component computes (a `pulumi preview` of the
 * same program with `install: true`, the chart served from a loopback Helm repository), so the
 * feature gate and `--cluster-resource-namespace` are the ones we would install. istiod
 * (test/e2e/istiod.ts, from the Deployment the chart rendered, with exactly its env) runs as the
 * RA: the whole kubernetesCsr path is Istio's code and cert-manager's code.
 */

const CA = "istio-mesh-ca:ca";
const ISTIO = "istio-mesh-ca:istio";
const SIGNERS = ["istio-system", "foo", "bar"];
const CSR_CA_CONTROLLER = "cert-manager-certificatesigningrequests-issuer-ca";
const CSR_GATE = "--feature-gates=ExperimentalCertificateSigningRequestControllers=true";
const getJson = (...args: string[]) => JSON.parse(kubectl(["get", ...args, "-o", "json"]));
const readyOf = (o: any) => (o.status?.conditions ?? []).find((c: any) => c.type === "Ready");
const signerName = (s: string) => `clusterissuers.cert-manager.io/${s}`;
const lifetimeSeconds = (c: X509Certificate) => (Date.parse(c.validTo) - Date.parse(c.validFrom)) / 1000;

/** A Kubernetes CSR for a fresh P-256 key, created as the admin (label e2e=cert-manager). */
function createCsr(name: string, signer: string): void {
  const request = Buffer.from(
    mustRun("openssl", [
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "/dev/null",
      "-subj",
      `/CN=${name}`,
    ]),
  ).toString("base64");
  kubectl(
    ["create", "-f", "-"],
    JSON.stringify({
      apiVersion: "certificates.k8s.io/v1",
      kind: "CertificateSigningRequest",
      metadata: { name, labels: { e2e: "cert-manager" } },
      spec: { request, signerName: signer, usages: ["digital signature", "client auth"], expirationSeconds: 3600 },
    }),
  );
}
const approveAsAdmin = (name: string) => kubectl(["certificate", "approve", name]);

/**
 * Waits until a CA Certificate in cert-manager's namespace is issued past `afterRevision` and
 * settled: Ready, no issuance in progress, still so 3 s later. Returns its revision.
 */
function settledCertificate(name: string, afterRevision: number, describe: () => string): number {
  const settled = () => {
    const c = getJson("certificates.cert-manager.io", name, "-n", "cert-manager");
    const issuing = (c.status.conditions ?? []).some((x: any) => x.type === "Issuing" && x.status === "True");
    return c.status.revision > afterRevision && readyOf(c)?.status === "True" && !issuing
      ? (c.status.revision as number)
      : undefined;
  };
  for (;;) {
    const revision = waitFor(`${name} issued past revision ${afterRevision} and settled`, settled, 120000, describe);
    pause(3000);
    if (settled() === revision) return revision;
  }
}
const csrCertificate = (name: string): string | undefined => {
  const c = getJson("certificatesigningrequests", name).status?.certificate;
  return c ? Buffer.from(c, "base64").toString("utf8") : undefined;
};
const csrConditions = (name: string): string[] =>
  (getJson("certificatesigningrequests", name).status?.conditions ?? []).map((c: any) => c.type);

/** `openssl verify` of a PEM leaf (the first certificate of `pem`) against `ca` only. */
function verifiesWith(ca: string, pem: string): boolean {
  const dir = fs.mkdtempSync(path.join(e2eEnv().dir, "verify-cm-"));
  try {
    fs.writeFileSync(path.join(dir, "ca.pem"), ca);
    fs.writeFileSync(path.join(dir, "leaf.pem"), pemCerts(pem)[0]);
    const r = run("openssl", ["verify", "-CAfile", "ca.pem", "leaf.pem"], { cwd: dir });
    return r.code === 0 && r.stdout.trim() === "leaf.pem: OK";
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("pulumi up -s certmanager (kubernetesCsr signers, cert-manager's real controllers)", () => {
  let stack: E2eStack;
  /** The chart-rendered cert-manager controller container (as the provider's Helm engine rendered it). */
  let chartContainer: { name: string; args: string[]; env: any[] };
  /** Its args as the kubelet would pass them. */
  let chartArgs: string[];
  /** The service account the chart's Deployment runs the controller as. */
  let serviceAccount: { namespace: string; name: string };
  let rbac: string[] = [];
  let certManager: LocalCertManager | undefined;
  let csrs: CsrWatch | undefined;
  let istiod: LocalIstiod | undefined;
  let plane: DataPlaneFound | undefined;
  /** The CA certificate of a signer (its ClusterIssuer's Secret, written by cert-manager). */
  const signerCa = (s: string) =>
    Buffer.from(getJson("secret", `${s}-ca`, "-n", "cert-manager").data["ca.crt"], "base64").toString("utf8");
  /** CSRs the watch saw signed whose certificate is `leaf` (waits for the watch to catch up). */
  const csrOf = (leaf: X509Certificate): CsrSeen =>
    waitFor(
      `the CSR that yielded ${leaf.subject || leaf.subjectAltName}`,
      () =>
        csrs!
          .signed()
          .find((s) => new X509Certificate(pemCerts(s.certificate!)[0]).fingerprint256 === leaf.fingerprint256),
      20000,
      () =>
        JSON.stringify(
          csrs!.signed().map((s) => [s.name, s.signerName]),
          null,
          1,
        ),
    );
  /** What cert-manager's CSR controller left on a CSR istiod (RA) sent for `signer`. */
  const expectSignedByCertManager = (csr: CsrSeen, signer: string) => {
    expect({
      signer: csr.signerName,
      requester: csr.username,
      approvedBy: csr.approvalManagers,
      signedBy: csr.certificateManagers,
    }).toEqual({
      signer: signerName(signer),
      requester: `system:serviceaccount:istio-system:${istiod!.serviceAccount}`,
      approvedBy: ["pilot-discovery"],
      signedBy: [CSR_CA_CONTROLLER],
    });
    const issued = waitFor(
      `CertificateIssued event on ${csr.name}`,
      () => csrEvents(csr.name).find((e) => e.reason === "CertificateIssued"),
      20000,
    );
    expect(issued).toEqual({
      reason: "CertificateIssued",
      message: "Certificate fetched from issuer successfully",
      component: CSR_CA_CONTROLLER,
      type: "Normal",
    });
    expect(verifiesWith(signerCa(signer), csr.certificate!)).toBe(true);
  };

  beforeAll(() => {
    const env = e2eEnv({ apiserver: true });
    const moduleDir = certManagerModuleDir();
    applyCertManagerCrds(moduleDir);
    kubectl(["create", "namespace", "cert-manager"]);
    const charts = istioCharts();
    const project = new E2eProject("certmanager");

    // The controller's args as our component would install cert-manager: the same program with
    // install: true, previewed (the chart's objects are rendered by the provider's Helm engine).
    const repo = new LocalChartRepo(moduleDir).start();
    try {
      const chartStack = project.stack("certmanager-chart", "certmanager", (c) => {
        c[CA].certManager.install = true;
        c[CA].certManager.chartRepository = repo.url;
        c[ISTIO].chartPath = charts;
        c[ISTIO].skipAwait = true;
      });
      try {
        const helm = path.join(env.dir, "helm");
        const r = chartStack.pulumi(["preview", "--json"], {
          env: { HELM_CACHE_HOME: `${helm}/cache`, HELM_CONFIG_HOME: `${helm}/config`, HELM_DATA_HOME: `${helm}/data` },
        });
        let steps: any[] = [];
        try {
          steps = JSON.parse(r.stdout).steps ?? [];
        } catch {
          /* reported below */
        }
        // The cert-manager chart's objects (release `cert-manager`), as the provider's Helm engine rendered them.
        const rendered = steps
          .map((s) => s.newState?.inputs)
          .filter((o) => o?.metadata?.labels?.["app.kubernetes.io/instance"] === "cert-manager");
        const deployment = rendered.find(
          (o) =>
            o.kind === "Deployment" && o.metadata?.name === "cert-manager" && o.metadata?.namespace === "cert-manager",
        );
        if (!deployment)
          throw new Error(
            `the preview rendered no cert-manager Deployment (exit ${r.code})\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`,
          );
        chartContainer = deployment.spec.template.spec.containers.find(
          (c: any) => c.name === "cert-manager-controller",
        );
        chartArgs = kubeletArgs(chartContainer, deployment.metadata.namespace);
        serviceAccount = {
          namespace: deployment.metadata.namespace,
          name: deployment.spec.template.spec.serviceAccountName,
        };
        rbac = applyRbac(rendered);
      } finally {
        chartStack.remove();
      }
    } finally {
      repo.stop();
    }

    certManager = new LocalCertManager({ label: "chart-args", args: chartArgs, serviceAccount }).start();
    csrs = new CsrWatch().start("certmanager");
    stack = project.stack("certmanager", "certmanager", (c) => {
      c[CA].certManager.install = false;
      c[ISTIO].chartPath = charts;
      c[ISTIO].skipAwait = true;
      withPlaintextPort(c, "foo");
    });
    stack.mustUp();
  });

  afterAll(() => {
    plane?.mesh.cleanup();
    istiod?.stop();
    run("kubectl", [
      "delete",
      "certificatesigningrequests",
      "-l",
      "e2e in (istiod-approve,cert-manager)",
      "--ignore-not-found",
    ]);
    stack?.pulumi(["destroy", "--yes", "--skip-preview"]);
    stack?.remove();
    certManager?.stop();
    csrs?.stop();
    deleteRbac(rbac);
    run("kubectl", ["delete", "namespace", "cert-manager", "--ignore-not-found", "--wait=false"]);
  });

  it("cert-manager runs with the controller args the chart renders from our values: the CSR gate, ClusterIssuer Secrets in certManager.namespace", () => {
    expect(chartContainer.args).toEqual(
      expect.arrayContaining([CSR_GATE, "--cluster-resource-namespace=$(POD_NAMESPACE)"]),
    );
    expect(chartContainer.env).toEqual(
      expect.arrayContaining([{ name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }]),
    );
    expect(chartArgs).toEqual(expect.arrayContaining([CSR_GATE, "--cluster-resource-namespace=cert-manager", "--v=2"]));
    expect(certManager!.controllers()).toEqual(
      expect.arrayContaining([
        "issuers",
        "clusterissuers",
        "certificates-issuing",
        "certificaterequests-approver",
        "certificaterequests-issuer-selfsigned",
        "certificatesigningrequests-issuer-ca",
      ]),
    );
  });

  it("declares one self-signed bootstrap issuer, CA Certificate and CA ClusterIssuer per signer, accepted by cert-manager's CRDs", () => {
    const issuers = getJson("clusterissuers.cert-manager.io")
      .items.map((i: any) => i.metadata.name)
      .sort();
    expect(issuers).toEqual([
      "bar",
      "bar-selfsigned",
      "foo",
      "foo-selfsigned",
      "istio-system",
      "istio-system-selfsigned",
    ]);
    const certs = getJson("certificates.cert-manager.io", "-n", "cert-manager").items;
    expect(certs.map((c: any) => c.metadata.name).sort()).toEqual(["bar-ca", "foo-ca", "istio-system-ca"]);
    expect(certs.find((c: any) => c.metadata.name === "bar-ca").spec.privateKey).toMatchObject({
      algorithm: "ECDSA",
      size: 256,
    });
  });

  it("cert-manager made them Ready: its own conditions, and CA Secrets it wrote (annotations, key type, field manager)", () => {
    const byName = Object.fromEntries(
      getJson("clusterissuers.cert-manager.io").items.map((i: any) => [i.metadata.name, readyOf(i)]),
    );
    for (const s of SIGNERS) {
      expect({ s, ready: byName[`${s}-selfsigned`] }).toMatchObject({
        s,
        ready: { status: "True", reason: "IsReady" },
      });
      expect({ s, ready: byName[s] }).toMatchObject({
        s,
        ready: { status: "True", reason: "KeyPairVerified", message: "Signing CA verified" },
      });
      const cert = getJson("certificates.cert-manager.io", `${s}-ca`, "-n", "cert-manager");
      const events = JSON.parse(
        kubectl([
          "get",
          "events",
          "-n",
          "cert-manager",
          "--field-selector",
          `involvedObject.kind=Certificate,involvedObject.name=${s}-ca`,
          "-o",
          "json",
        ]),
      ).items.map((e: any) => `${e.source?.component}: ${e.reason}: ${e.message} (x${e.count ?? 1})`);
      // Revision 1, or 2 when cert-manager's trigger controller saw the Certificate before the Secret
      // it had just written (seen in this tier on a loaded machine); the mesh config matching the final Secret is
      // checked below.
      expect({ s, ready: readyOf(cert), issued: cert.status.revision >= 1, events }).toMatchObject({
        s,
        ready: { status: "True", reason: "Ready", message: "Certificate is up to date and has not expired" },
        issued: true,
      });
      const secret = JSON.parse(
        kubectl(["get", "secret", `${s}-ca`, "-n", "cert-manager", "-o", "json", "--show-managed-fields"]),
      );
      expect({
        s,
        type: secret.type,
        annotations: secret.metadata.annotations,
        labels: secret.metadata.labels,
      }).toMatchObject({
        s,
        type: "kubernetes.io/tls",
        annotations: {
          "cert-manager.io/certificate-name": `${s}-ca`,
          "cert-manager.io/issuer-name": `${s}-selfsigned`,
          "cert-manager.io/issuer-kind": "ClusterIssuer",
          "cert-manager.io/issuer-group": "cert-manager.io",
          "cert-manager.io/common-name": s,
        },
        labels: { "controller.cert-manager.io/fao": "true" },
      });
      expect(secret.metadata.managedFields.map((f: any) => f.manager)).toContain("cert-manager-certificates-issuing");
      // The selfSigned issuer signs the CA with its own key: ca.crt is tls.crt, a CA for the signer's name.
      const ca = new X509Certificate(Buffer.from(secret.data["ca.crt"], "base64"));
      expect(Buffer.from(secret.data["tls.crt"], "base64").toString("utf8").trim()).toBe(ca.toString().trim());
      expect({
        s,
        subject: ca.subject,
        ca: ca.ca,
        key: ca.publicKey.asymmetricKeyType,
        selfSigned: ca.checkIssued(ca),
      }).toEqual({ s, subject: `CN=${s}`, ca: true, key: s === "bar" ? "ec" : "rsa", selfSigned: true });
    }
  });

  it("pulumi.com/waitFor waited on cert-manager's conditions: the state holds each CA Certificate and CA ClusterIssuer as Ready", () => {
    const resources = stack.exportState().resources;
    const outputsOf = (type: string, name: string) =>
      resources.find((r) => r.type === type && (r.outputs as any)?.metadata?.name === name)?.outputs as any;
    for (const s of SIGNERS) {
      const cert = outputsOf("kubernetes:cert-manager.io/v1:Certificate", `${s}-ca`);
      expect({ s, annotations: cert.metadata.annotations, ready: readyOf(cert) }).toMatchObject({
        s,
        annotations: { "pulumi.com/waitFor": "condition=Ready" },
        ready: { status: "True", reason: "Ready" },
      });
      const issuer = outputsOf("kubernetes:cert-manager.io/v1:ClusterIssuer", s);
      expect({ s, ready: readyOf(issuer) }).toMatchObject({ s, ready: { status: "True", reason: "KeyPairVerified" } });
      // The bootstrap issuer carries no waitFor: the provider recorded it as created, before any status.
      const bootstrap = outputsOf("kubernetes:cert-manager.io/v1:ClusterIssuer", `${s}-selfsigned`);
      expect({
        s,
        annotations: bootstrap.metadata.annotations?.["pulumi.com/waitFor"],
        ready: readyOf(bootstrap),
      }).toEqual({ s, annotations: undefined, ready: undefined });
    }
  });

  it("a second preview plans no change", () => {
    const r = stack.pulumi(["preview", "--expect-no-changes", "--diff"]);
    expect({ code: r.code, out: r.code === 0 ? "" : r.stdout.slice(-4000) + r.stderr }).toEqual({ code: 0, out: "" });
  });

  it("istiod is an RA for exactly our signers: env, caCertificates with each signer's CA, approve only on those signers", () => {
    const d = getJson("deployment", "istiod", "-n", "istio-system");
    const env = d.spec.template.spec.containers.find((c: any) => c.name === "discovery").env as {
      name: string;
      value?: string;
    }[];
    const names = env.map((e) => e.name);
    expect(names.length).toBe(new Set(names).size);
    expect(env).toEqual(expect.arrayContaining([{ name: "EXTERNAL_CA", value: "ISTIOD_RA_KUBERNETES_API" }]));
    const mesh = getJson("configmap", "istio", "-n", "istio-system").data.mesh as string;
    for (const s of SIGNERS) {
      expect(mesh).toContain(signerName(s));
      expect(mesh.replace(/\n\s*/g, "\n")).toContain(signerCa(s).trim().split("\n")[1]);
    }
    // Asked of the real API server's authorizer (SubjectAccessReview as istiod's service account):
    // approve for our signers, and for no other.
    const canApprove = (signer: string) => {
      const sar = {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: "system:serviceaccount:istio-system:istiod",
          groups: ["system:serviceaccounts", "system:serviceaccounts:istio-system"],
          resourceAttributes: { group: "certificates.k8s.io", resource: "signers", verb: "approve", name: signer },
        },
      };
      return JSON.parse(kubectl(["create", "-o", "json", "-f", "-"], JSON.stringify(sar))).status.allowed === true;
    };
    for (const s of SIGNERS) expect(canApprove(signerName(s))).toBe(true);
    for (const other of [
      "clusterissuers.cert-manager.io/other",
      "kubernetes.io/kube-apiserver-client",
      "kubernetes.io/legacy-unknown",
      "example.com/any",
    ]) {
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

  it("istiod as RA (exactly the env the stack rendered) gets its own serving certificate from the default signer through a Kubernetes CSR cert-manager signed", () => {
    istiod = new LocalIstiod({ label: "certmanager" }).start(); // /ready only once the CSR was signed
    const log = istiod.logs();
    expect(log).toMatch(
      /Generating K8S-signed cert for .* using signer clusterissuers\.cert-manager\.io\/istio-system/,
    );
    expect(log).not.toContain("Use self-signed certificate as the CA certificate");
    expect(log).not.toContain("Use local CA certificate");
    // The certificate istiod serves on 15012 is the one cert-manager put on istiod's CSR.
    const served = run(
      "openssl",
      ["s_client", "-connect", `127.0.0.1:${istiod.ports!.secureGrpc}`, "-servername", istiod.serverName()],
      { input: "", timeoutMs: 30000 },
    );
    expect(pemCerts(served.stdout)).toHaveLength(1);
    const leaf = new X509Certificate(pemCerts(served.stdout)[0]);
    expect(leaf.subjectAltName).toContain(`DNS:${istiod.serverName()}`);
    const csr = csrOf(leaf);
    expectSignedByCertManager(csr, "istio-system");
    // istiod asks for CITADEL_SELF_SIGNED_CA_CERT_TTL (Istio's default: 3650 days) and cert-manager
    // signs exactly that, not capped at the CA's own expiry (docs/cert-manager.md).
    expect({ asked: csr.expirationSeconds, lifetime: lifetimeSeconds(leaf) }).toEqual({
      asked: 3650 * 86400,
      lifetime: 3650 * 86400,
    });
    expect(Date.parse(leaf.validTo)).toBeGreaterThan(Date.parse(new X509Certificate(signerCa("istio-system")).validTo));
  });

  it("workload CSRs to istiod: signed by cert-manager through Kubernetes CSRs for the signer the namespace's proxies name; the chain verifies with that signer's CA only", () => {
    const mesh = parse(getJson("configmap", "istio", "-n", "istio-system").data.mesh as string);
    const signerOf: Record<string, string> = { default: mesh.defaultConfig.proxyMetadata.ISTIO_META_CERT_SIGNER };
    for (const ns of ["foo", "bar"])
      signerOf[ns] = getJson(
        "proxyconfigs.networking.istio.io",
        "-n",
        ns,
      ).items[0].spec.environmentVariables.ISTIO_META_CERT_SIGNER;
    expect(signerOf).toEqual({ default: "istio-system", foo: "foo", bar: "bar" });
    for (const [ns, signer] of Object.entries(signerOf)) {
      // TLS to 15012 verified with the default signer's CA: istiod's serving certificate came from it.
      const issued = istiod!.issue({
        namespace: ns,
        serviceAccount: "workload",
        tlsRoots: signerCa("istio-system"),
        certSigner: signer,
      });
      expect(uriSans(issued.leaf)).toEqual([`spiffe://cluster.local/ns/${ns}/sa/workload`]);
      for (const other of SIGNERS) {
        expect({ ns, other, ok: verifyLeaf(signerCa(other), issued).ok }).toEqual({ ns, other, ok: other === signer });
      }
      // The root istiod appends is that signer's CA from meshConfig.caCertificates.
      expect(fingerprints(issued.chain[issued.chain.length - 1])).toEqual(fingerprints(signerCa(signer)));
      const csr = csrOf(issued.leaf);
      expectSignedByCertManager(csr, signer);
      // istiod passes the TTL the workload asked for (istio-ca-client: 1 h) as spec.expirationSeconds; cert-manager
      // honours it.
      expect({ asked: csr.expirationSeconds, lifetime: lifetimeSeconds(issued.leaf) }).toEqual({
        asked: 3600,
        lifetime: 3600,
      });
    }
  });

  it("istiod writes istio-ca-root-cert with the default signer's CA", () => {
    for (const ns of ["foo", "bar"])
      expect(fingerprints(caRootCert(ns, e2eEnv().kubeconfig))).toEqual(fingerprints(signerCa("istio-system")));
  });

  it("istiod's service account really cannot approve a CSR for any other signer (kubectl certificate approve as it: Forbidden), and can for ours", () => {
    const sa = `system:serviceaccount:istio-system:${istiod!.serviceAccount}`;
    const as = [
      "--as",
      sa,
      "--as-group",
      "system:serviceaccounts",
      "--as-group",
      "system:serviceaccounts:istio-system",
      "--as-group",
      "system:authenticated",
    ];
    const request = Buffer.from(
      mustRun("openssl", [
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "/dev/null",
        "-subj",
        "/CN=e2e",
      ]),
    ).toString("base64");
    const approved = (name: string) => csrConditions(name).includes("Approved");
    const attempt = (name: string, signer: string) => {
      kubectl(
        ["create", "-f", "-"],
        JSON.stringify({
          apiVersion: "certificates.k8s.io/v1",
          kind: "CertificateSigningRequest",
          metadata: { name, labels: { e2e: "istiod-approve" } },
          spec: { request, signerName: signer, usages: ["digital signature", "client auth"] },
        }),
      );
      return run("kubectl", ["certificate", "approve", name, ...as]);
    };
    const others = [
      "clusterissuers.cert-manager.io/other",
      "issuers.cert-manager.io/istio-system.foo",
      "kubernetes.io/kube-apiserver-client",
      "example.com/any",
    ];
    others.forEach((signer, i) => {
      const r = attempt(`e2e-istiod-approve-other-${i}`, signer);
      expect({
        signer,
        code: r.code === 0 ? 0 : 1,
        forbidden: /forbidden/i.test(r.stderr) && r.stderr.includes(signer),
      }).toEqual({ signer, code: 1, forbidden: true });
      expect(approved(`e2e-istiod-approve-other-${i}`)).toBe(false);
    });
    const ours = attempt("e2e-istiod-approve-ours", signerName("bar"));
    expect({ code: ours.code, err: ours.stderr }).toEqual({ code: 0, err: "" });
    expect(approved("e2e-istiod-approve-ours")).toBe(true);
    kubectl(["delete", "certificatesigningrequests", "-l", "e2e=istiod-approve"]);
  });

  it("cert-manager reads a CA ClusterIssuer's Secret only from --cluster-resource-namespace: elsewhere the issuer is not Ready", () => {
    const ca = getJson("secret", "istio-system-ca", "-n", "cert-manager").data;
    const secret = (namespace: string) =>
      JSON.stringify({
        apiVersion: "v1",
        kind: "Secret",
        type: "kubernetes.io/tls",
        metadata: { name: "e2e-placed-ca", namespace, labels: { e2e: "cert-manager" } },
        data: { "tls.crt": ca["tls.crt"], "tls.key": ca["tls.key"], "ca.crt": ca["ca.crt"] },
      });
    try {
      kubectl(["create", "-f", "-"], secret("default"));
      kubectl(
        ["create", "-f", "-"],
        JSON.stringify({
          apiVersion: "cert-manager.io/v1",
          kind: "ClusterIssuer",
          metadata: { name: "e2e-placed", labels: { e2e: "cert-manager" } },
          spec: { ca: { secretName: "e2e-placed-ca" } },
        }),
      );
      const notReady = waitFor(
        "ClusterIssuer e2e-placed to report its Secret",
        () => {
          const r = readyOf(getJson("clusterissuers.cert-manager.io", "e2e-placed"));
          return r?.status === "False" ? r : undefined;
        },
        60000,
        () => certManager!.logTail(),
      );
      expect(notReady).toMatchObject({
        reason: "ErrGetKeyPair",
        message: expect.stringContaining('"e2e-placed-ca" not found'),
      });
      kubectl(["create", "-f", "-"], secret("cert-manager"));
      const ready = waitFor(
        "ClusterIssuer e2e-placed Ready once its Secret is in cert-manager",
        () => {
          const r = readyOf(getJson("clusterissuers.cert-manager.io", "e2e-placed"));
          return r?.status === "True" ? r : undefined;
        },
        120000,
        () => certManager!.logTail(),
      );
      expect(ready).toMatchObject({ reason: "KeyPairVerified" });
    } finally {
      run("kubectl", ["delete", "clusterissuers.cert-manager.io", "e2e-placed", "--ignore-not-found"]);
      for (const ns of ["default", "cert-manager"])
        run("kubectl", ["delete", "secret", "e2e-placed-ca", "-n", ns, "--ignore-not-found"]);
    }
  });

  it("an approved CSR for a signer we did not configure is never signed: cert-manager finds no such ClusterIssuer", () => {
    createCsr("e2e-other-signer", signerName("other"));
    createCsr("e2e-control-bar", signerName("bar"));
    approveAsAdmin("e2e-other-signer");
    approveAsAdmin("e2e-control-bar");
    // cert-manager handles CSRs in this window: the control CSR for one of our signers gets signed.
    const control = waitFor(
      "cert-manager to sign e2e-control-bar",
      () => csrCertificate("e2e-control-bar"),
      60000,
      () => certManager!.logTail(),
    );
    expect(verifiesWith(signerCa("bar"), control)).toBe(true);
    const notFound = waitFor(
      "IssuerNotFound on e2e-other-signer",
      () => csrEvents("e2e-other-signer").find((e) => e.reason === "IssuerNotFound"),
      60000,
    );
    expect(notFound).toMatchObject({
      type: "Warning",
      message: "Referenced ClusterIssuer /other not found",
      component: expect.stringMatching(/^cert-manager-certificatesigningrequests-issuer-/),
    });
    pause(5000);
    expect({ certificate: csrCertificate("e2e-other-signer"), conditions: csrConditions("e2e-other-signer") }).toEqual({
      certificate: undefined,
      conditions: ["Approved"],
    });
  });

  it("without ExperimentalCertificateSigningRequestControllers (the chart's args without our featureGates value) an approved CSR stays unsigned (cert-manager#5827) until cert-manager runs with the gate", () => {
    certManager!.stop();
    const noGate = new LocalCertManager({
      label: "no-gate",
      args: chartArgs.filter((a) => a !== CSR_GATE),
      serviceAccount,
    }).start();
    try {
      expect(noGate.controllers()).toContain("clusterissuers");
      expect(noGate.controllers().filter((c) => c.startsWith("certificatesigningrequests-"))).toEqual([]);
      createCsr("e2e-no-gate", signerName("bar"));
      approveAsAdmin("e2e-no-gate");
      pause(15000); // the gated controller signed the control CSR of the previous test within seconds
      expect({
        certificate: csrCertificate("e2e-no-gate"),
        conditions: csrConditions("e2e-no-gate"),
        events: csrEvents("e2e-no-gate"),
      }).toEqual({ certificate: undefined, conditions: ["Approved"], events: [] });
    } finally {
      noGate.stop();
    }
    certManager!.start();
    const signed = waitFor(
      "e2e-no-gate signed once the gate is on",
      () => csrCertificate("e2e-no-gate"),
      60000,
      () => certManager!.logTail(),
    );
    expect(verifiesWith(signerCa("bar"), signed)).toBe(true);
  });

  it("a CA renewal (bar, as `cmctl renew` triggers it): cert-manager re-issues the CA with the same key (rotationPolicy Never); istiod keeps issuing for bar before any pulumi up, and leaves verify with the old and the new CA certificate", () => {
    const oldCa = signerCa("bar");
    const cert = getJson("certificates.cert-manager.io", "bar-ca", "-n", "cert-manager");
    // cmctl renew: an Issuing=True condition on the Certificate's status.
    const issuing = {
      type: "Issuing",
      status: "True",
      reason: "ManuallyTriggered",
      message: "Certificate re-issuance manually triggered",
      lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      observedGeneration: cert.metadata.generation,
    };
    const conditions = [...cert.status.conditions.filter((c: any) => c.type !== "Issuing"), issuing];
    kubectl([
      "patch",
      "certificates.cert-manager.io",
      "bar-ca",
      "-n",
      "cert-manager",
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: { conditions } }),
    ]);
    settledCertificate("bar-ca", cert.status.revision, () => certManager!.logTail());
    const newCa = signerCa("bar");
    const [before, after] = [new X509Certificate(oldCa), new X509Certificate(newCa)];
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(
      after.publicKey
        .export({ type: "spki", format: "der" })
        .equals(before.publicKey.export({ type: "spki", format: "der" })),
    ).toBe(true);
    const issued = istiod!.issue({
      namespace: "bar",
      serviceAccount: "workload",
      tlsRoots: signerCa("istio-system"),
      certSigner: "bar",
    });
    expect({ newCa: verifyLeaf(newCa, issued).ok, oldCa: verifyLeaf(oldCa, issued).ok }).toEqual({
      newCa: true,
      oldCa: true,
    });
    expectSignedByCertManager(csrOf(issued.leaf), "bar");
  });

  it("a CA re-key (foo's CA Secret deleted): cert-manager re-issues the CA with a new key and signs with it at once; istiod refuses foo's workloads until pulumi up puts the new CA in caCertificates", () => {
    const oldCa = signerCa("foo");
    const revision = getJson("certificates.cert-manager.io", "foo-ca", "-n", "cert-manager").status.revision;
    kubectl(["delete", "secret", "foo-ca", "-n", "cert-manager"]);
    settledCertificate("foo-ca", revision, () => certManager!.logTail());
    const newCa = signerCa("foo");
    const [before, after] = [new X509Certificate(oldCa), new X509Certificate(newCa)];
    expect(after.fingerprint256).not.toBe(before.fingerprint256);
    expect(
      after.publicKey
        .export({ type: "spki", format: "der" })
        .equals(before.publicKey.export({ type: "spki", format: "der" })),
    ).toBe(false);
    waitFor(
      "ClusterIssuer foo Ready",
      () => (readyOf(getJson("clusterissuers.cert-manager.io", "foo"))?.status === "True" ? true : undefined),
      60000,
    );

    // cert-manager signs with the new CA at once.
    createCsr("e2e-rotated-foo", signerName("foo"));
    approveAsAdmin("e2e-rotated-foo");
    const leaf = waitFor(
      "e2e-rotated-foo signed",
      () => csrCertificate("e2e-rotated-foo"),
      60000,
      () => certManager!.logTail(),
    );
    expect({ newCa: verifiesWith(newCa, leaf), oldCa: verifiesWith(oldCa, leaf) }).toEqual({
      newCa: true,
      oldCa: false,
    });

    // istiod verifies what cert-manager returns against meshConfig.caCertificates: until pulumi up
    // writes the new CA there, it refuses every certificate for foo (security/pkg/pki/ra/k8s_ra.go).
    const logFrom = istiod!.logs().length;
    const refused = istiod!.tryIssue({
      namespace: "foo",
      serviceAccount: "workload",
      tlsRoots: signerCa("istio-system"),
      certSigner: "foo",
    });
    expect({
      ok: refused.ok,
      istiod: /root cert from signed cert-chain is invalid/.test(istiod!.logs().slice(logFrom)),
    }).toEqual({ ok: false, istiod: true });
    // Our program reads the CA at pulumi up: until then the mesh still names the old one.
    const pending = stack.preview();
    expect({ code: pending.code, errors: pending.code === 0 ? "" : pending.errors }).toEqual({ code: 0, errors: "" });
    // The mesh config's ConfigMaps change (bar's renewed and foo's re-keyed CA); the provider
    // replaces a ConfigMap whose data changes.
    expect(
      pending.steps
        .filter((st) => !["same", "read"].includes(st.op))
        .map((st) => `${st.op} ${st.type} ${st.urn.split("::").pop()}`)
        .sort(),
    ).toEqual([
      "replace kubernetes:core/v1:ConfigMap cluster1-istio-istiod:istio-system/istio",
      "replace kubernetes:core/v1:ConfigMap cluster1-istio-istiod:istio-system/values",
    ]);
    stack.mustUp();
    const mesh = getJson("configmap", "istio", "-n", "istio-system").data.mesh as string;
    const body = (pem: string) => pem.trim().split("\n")[1];
    expect({
      hasNew: mesh.replace(/\n\s*/g, "\n").includes(body(newCa)),
      hasOld: mesh.replace(/\n\s*/g, "\n").includes(body(oldCa)),
    }).toEqual({ hasNew: true, hasOld: false });
    istiod!.sync();
    const issued = waitFor(
      "a foo workload certificate chaining to the new CA",
      () => {
        const r = istiod!.tryIssue({
          namespace: "foo",
          serviceAccount: "workload",
          tlsRoots: signerCa("istio-system"),
          certSigner: "foo",
        });
        return r.ok && fingerprints(r.leaf!.chain[r.leaf!.chain.length - 1])[0] === after.fingerprint256
          ? r.leaf
          : undefined;
      },
      120000,
      () => istiod!.logTail(30),
    );
    expect({ newCa: verifyLeaf(newCa, issued).ok, oldCa: verifyLeaf(oldCa, issued).ok }).toEqual({
      newCa: true,
      oldCa: false,
    });
    expectSignedByCertManager(csrOf(issued.leaf), "foo");
  });

  it("istioctl analyze --all-namespaces finds no error and no unexplained warning; istioctl validate accepts every Istio object we declare", () => {
    expectIstioctlAccepts(stack.exportState().resources, e2eEnv().kubeconfig, 1);
  });

  it("the data plane: two proxyless gRPC workloads (Istio's pilot-agent, grpc-go) in foo get leaves from foo's signer through cert-manager and complete mTLS under the mesh's STRICT policy; plaintext, certificate-less, foreign-CA clients and a client of bar (another signer) are refused; the stack's port exception lets plaintext through on its port only", () => {
    plane = expectDataPlane({
      istiod: istiod!,
      label: "certmanager",
      namespace: "foo",
      roots: signerCa("foo"),
      otherSigner: { namespace: "bar", roots: signerCa("bar") },
    });
    // The agents' CSRs went through cert-manager like istio-ca-client's: foo's workloads to foo's signer.
    for (const w of [plane.server, plane.client])
      expectSignedByCertManager(csrOf(new X509Certificate(pemCerts(w.certs().chain)[0])), "foo");
    plane.mesh.cleanup();
  });

  it("the state holds no plaintext key; destroy removes our cert-manager objects and leaves the CA Secrets to cert-manager", () => {
    expect(plaintextKeys(stack.exportState().text)).toEqual([]);
    istiod?.stop(); // its Deployment goes with the destroy
    stack.destroy();
    expect(getJson("clusterissuers.cert-manager.io").items).toEqual([]);
    expect(getJson("certificates.cert-manager.io", "-A").items).toEqual([]);
    expect(getJson("proxyconfigs.networking.istio.io", "-A").items).toEqual([]);
    for (const s of SIGNERS)
      expect(
        getJson("secret", `${s}-ca`, "-n", "cert-manager").metadata.annotations["cert-manager.io/certificate-name"],
      ).toBe(`${s}-ca`);
  });
});
