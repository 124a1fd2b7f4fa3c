import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as os from "os";
import { PreviewDigest, PreviewStep } from "../../scripts/rotate/previewModel";
import { policyEventsOf, summarize } from "../../scripts/rotate/summary";
import { followed, parseArgs, readDigest } from "../../scripts/rotate/previewSummary";
import { TestCas, makeCas } from "./certs";

/**
 * The summary's logic on previews shaped as Pulumi v3.259.0's `preview --json` (fields as
 * pkg/display/json.go writes them), with real certificates. The facts of summaries of REAL previews
 * of every rotation step are asserted in the e2e tier (test/e2e/rotationConductor.test.ts).
 */

const A = "urn:pulumi:cluster-a::istio-mesh-ca::";
const provider = `${A}pulumi:providers:kubernetes::cluster-a-k8s::1234`;
const fp = (pem: string) => new X509Certificate(pem).fingerprint256;

describe("CA-aware preview summary", () => {
  let c: TestCas;
  beforeAll(() => {
    c = makeCas();
  });

  const stackStep = (outputs: Record<string, unknown>): PreviewStep => ({
    op: "same",
    urn: `${A}pulumi:pulumi:Stack::x`,
    oldState: { urn: "", type: "pulumi:pulumi:Stack", outputs },
  });
  const istiodStep = (oldEnv: object[], newEnv: object[], oldAnn: object, newAnn: object): PreviewStep => ({
    op: "update",
    provider,
    urn: `${A}kubernetes:apps/v1:Deployment::cluster-a-istio-istiod:istio-system/istiod`,
    oldState: {
      urn: "",
      type: "kubernetes:apps/v1:Deployment",
      inputs: {
        metadata: { name: "istiod" },
        spec: {
          template: { metadata: { annotations: oldAnn }, spec: { containers: [{ name: "discovery", env: oldEnv }] } },
        },
      },
    },
    newState: {
      urn: "",
      type: "kubernetes:apps/v1:Deployment",
      inputs: {
        metadata: { name: "istiod" },
        spec: {
          template: { metadata: { annotations: newAnn }, spec: { containers: [{ name: "discovery", env: newEnv }] } },
        },
      },
    },
  });

  it("a single stack entering dual: new root issued at apply, bundle before → after from the phase, istiod restart and why, restarts, expiry", () => {
    const digest: PreviewDigest = {
      config: {
        "istio-mesh-ca:ca": JSON.stringify({ backend: "selfSigned", rotation: { rootPhase: "dual" } }),
        "istio-mesh-ca:clusters": JSON.stringify([{ name: "cluster-a" }]),
      },
      steps: [
        stackStep({
          caLifecycle: { rootPhase: "steady", rootGeneration: 1, intermediateGeneration: 1 },
          clusters: { "cluster-a": { rootCertBundle: c.root1 } },
        }),
        {
          op: "create",
          urn: `${A}istio-mesh-ca:ca:RootCa$tls:index/selfSignedCert:SelfSignedCert::mesh-root-g2-cert`,
          newState: {
            urn: "",
            type: "tls:index/selfSignedCert:SelfSignedCert",
            inputs: { subject: { organization: "Istio", commonName: "Root CA 2" }, validityPeriodHours: 48 },
          },
        },
        {
          op: "update",
          provider,
          urn: `${A}kubernetes:core/v1:Secret::cluster-a-istio-cacerts-secret`,
          diffReasons: ["data"],
          detailedDiff: { 'data["root-cert.pem"]': { kind: "update", inputDiff: false } },
          newState: { urn: "", type: "kubernetes:core/v1:Secret", inputs: { metadata: { name: "cacerts" } } },
        },
        istiodStep(
          [{ name: "A", value: "1" }],
          [
            { name: "A", value: "1" },
            { name: "ISTIO_MULTIROOT_MESH", value: "true" },
          ],
          {},
          { "istio-mesh-ca/root-bundle-sha256": "f".repeat(64) },
        ),
        {
          op: "update",
          provider,
          urn: `${A}kubernetes:apps/v1:DeploymentPatch::cluster-a-restarts-shop-web`,
          newState: {
            urn: "",
            type: "kubernetes:apps/v1:DeploymentPatch",
            inputs: { metadata: { namespace: "shop", name: "web" } },
          },
        },
        {
          op: "update",
          provider,
          urn: `${A}kubernetes:security.istio.io/v1:PeerAuthentication::cluster-a-mtls-mesh`,
          newState: { urn: "", type: "kubernetes:security.istio.io/v1:PeerAuthentication" },
        },
      ],
      diagnostics: [
        {
          severity: "warning",
          message:
            'warning: istio-mesh-ca:ca.expiry: intermediate of cluster cluster-a "O=Istio" (sha256 ab) expires on 2027-01-22 (in 59 days)\n',
        },
      ],
    };
    const md = summarize([{ stack: "dev", digest }], {}, new Date("2026-01-01T00:00:00Z"));
    expect(md).toContain("### Stack `dev` (single stack (selfSigned))");
    expect(md).toContain(
      "- CA lifecycle: steady (rootGeneration 1, intermediateGeneration 1) → dual (rootGeneration 1, intermediateGeneration 1)",
    );
    expect(md).toContain("| ➕ create | root | O=Istio, CN=Root CA 2 | issued at apply | ≈ 2026-01-03 |");
    expect(md).toContain(
      `- Trust bundle (\`root-cert.pem\`): O=Istio, CN=Root CA \`${fp(c.root1).slice(0, 23)}…\` → O=Istio, CN=Root CA \`${fp(c.root1).slice(0, 23)}…\` + O=Istio, CN=Root CA 2 (issued at apply)`,
    );
    expect(md).toContain("- `cacerts`: updated (root-cert.pem)");
    expect(md).toContain(
      "- istiod **restarts** (its pod template changes): env ISTIO_MULTIROOT_MESH=true added; pod annotation istio-mesh-ca/root-bundle-sha256 added (ffffffffffff…)",
    );
    expect(md).toContain("- Workloads restarted: shop/web");
    expect(md).toContain("- ⚠️ istio-mesh-ca:ca.expiry: intermediate of cluster cluster-a");
    expect(md).toContain(
      "Other changes (not CA material): 1\n- update `cluster-a-mtls-mesh` (kubernetes:security.istio.io/v1:PeerAuthentication)",
    );
  });

  it("a cluster stack: the bundle it receives is the root stack's current one; a deleted intermediate by its real fingerprint", () => {
    const digest: PreviewDigest = {
      config: {
        "istio-mesh-ca:ca": JSON.stringify({
          backend: "selfSigned",
          intermediateSource: { kind: "rootStack", stack: "org/p/root" },
        }),
      },
      steps: [
        stackStep({
          caLifecycle: { rootPhase: "dual", rootGeneration: 1, intermediateGeneration: 1 },
          clusters: { "cluster-a": { rootCertBundle: c.root1 + c.root2 } },
        }),
        {
          op: "update",
          provider,
          urn: `${A}kubernetes:core/v1:Secret::cluster-a-istio-cacerts-secret`,
          diffReasons: ['data["ca-cert.pem"]'],
          newState: { urn: "", type: "kubernetes:core/v1:Secret", inputs: { metadata: { name: "cacerts" } } },
        },
      ],
    };
    const refs = {
      "org/p/root": {
        caLifecycle: { rootPhase: "finalize", rootGeneration: 1, intermediateGeneration: 1 },
        rootCerts: [c.root2],
      },
    };
    expect(followed([digest])).toEqual(["org/p/root"]);
    const md = summarize([{ stack: "cluster-a", digest }], refs);
    expect(md).toContain("cluster stack following `org/p/root`");
    expect(md).toContain(
      "- CA lifecycle: dual (rootGeneration 1, intermediateGeneration 1) → finalize (rootGeneration 1, intermediateGeneration 1)",
    );
    expect(md).toContain(`→ O=Istio, CN=Root CA 2 \`${fp(c.root2).slice(0, 23)}…\``);
    expect(md).toContain("- `cacerts`: updated (ca-cert.pem)");
    expect(md).toContain("- istiod: no restart (it reloads the rewritten cacerts by itself)");
    const root: PreviewDigest = {
      config: {
        "istio-mesh-ca:rootCa": JSON.stringify({
          clusters: [{ name: "cluster-a" }],
          rotation: { rootPhase: "cutover" },
        }),
      },
      steps: [
        stackStep({
          caLifecycle: { rootPhase: "dual", rootGeneration: 1, intermediateGeneration: 1 },
          rootCerts: [c.root1, c.root2],
          intermediates: { "cluster-a": {} },
        }),
        {
          op: "delete",
          urn: "urn:pulumi:root::p::x$tls:index/locallySignedCert:LocallySignedCert::cluster-a-intermediate-cert",
          oldState: { urn: "", type: "tls:index/locallySignedCert:LocallySignedCert", outputs: { certPem: c.inter1 } },
        },
      ],
    };
    const mdRoot = summarize([{ stack: "root", digest: root }]);
    expect(mdRoot).toContain(
      `| ➖ delete | intermediate of cluster-a | O=Istio, L=cluster-a, CN=Intermediate CA | \`${fp(c.inter1)}\` | ${new Date(new X509Certificate(c.inter1).validTo).toISOString()} |`,
    );
    expect(mdRoot).toContain("- Trust bundle (`root-cert.pem`): unchanged:");
    expect(mdRoot).toContain("`cacerts` and istiod are in the cluster stack of `cluster-a`");
  });

  it("policy violations come from the preview's event log; a failed preview is reported, not hidden", () => {
    const log = [
      JSON.stringify({ sequence: 1, stdoutEvent: { message: "x" } }),
      JSON.stringify({
        sequence: 2,
        policyEvent: {
          resourceUrn: `${A}kubernetes:core/v1:Secret::cacerts`,
          message: "cacerts outside istio-system\nmore",
          policyName: "cacerts-only-in-istio-namespace",
          policyPackName: "istio-mesh-ca",
          enforcementLevel: "mandatory",
        },
      }),
    ].join("\n");
    const events = policyEventsOf(log);
    const md = summarize([
      {
        stack: "x",
        digest: { steps: [], policyEvents: events, diagnostics: [{ severity: "error", message: "error: boom\n" }] },
      },
    ]);
    expect(md).toContain(
      "- ❌ `istio-mesh-ca/cacerts-only-in-istio-namespace` (mandatory) on `cacerts`: cacerts outside istio-system",
    );
    expect(md).toContain("- **The preview failed**: error: boom");
    expect(summarize([{ stack: "x", digest: { steps: [] } }])).toContain(
      "Policy violations: not in `pulumi preview --json`",
    );
  });

  it("the CLI's arguments and an unreadable preview file", () => {
    expect(parseArgs(["--preview", "a=/p.json", "--events", "a=/e.jsonl", "--no-references"])).toMatchObject({
      previews: [["a", "/p.json"]],
      events: { a: "/e.jsonl" },
      references: false,
    });
    expect(() => parseArgs([])).toThrow(/at least one --preview/);
    expect(() => parseArgs(["--preview", "nofile"])).toThrow(/--preview needs <stack>=<file>, got "nofile"/);
    const f = `${os.tmpdir()}/summary-test-${process.pid}.json`;
    fs.writeFileSync(f, "error: no stack named 'x' found\n");
    expect(readDigest(f).diagnostics![0].message).toContain("no stack named 'x' found");
    fs.rmSync(f);
  });
});
