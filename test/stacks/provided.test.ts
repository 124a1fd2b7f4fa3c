import { configProblems } from "../harness/configProblems";
import { ProgramRun, byName, ofType, runProgram, stackConfig } from "../harness/program";
import { ProvidedFixtures, makeProvidedFixtures } from "../ca/provided/fixtures";

/** Pulumi.provided.yaml: committed without PEMs; they are set at deploy time with `pulumi config set --path`. */
describe("provided stack (Pulumi.provided.yaml)", () => {
  it("as committed (no PEMs yet) fails before any resource, saying which values to set and how", async () => {
    const problems = configProblems(stackConfig("provided"));
    expect(problems).toEqual([
      "istio-mesh-ca:ca.rootCertPem: required: the trusted root certificate(s) as PEM (root-cert.pem; old and new concatenated during a root rotation). Set it with: pulumi config set --path 'istio-mesh-ca:ca.rootCertPem' < root-cert.pem (docs/provided.md) (got nothing)",
      "istio-mesh-ca:ca.clusters.cluster1: no CA material for cluster \"cluster1\" (listed in istio-mesh-ca:clusters); set it with: pulumi config set --path 'istio-mesh-ca:ca.clusters.cluster1.caCertPem' < cluster1/ca-cert.pem && pulumi config set --secret --path 'istio-mesh-ca:ca.clusters.cluster1.caKeyPem' < cluster1/ca-key.pem (docs/provided.md) (got nothing)",
    ]);
    const run = await runProgram(stackConfig("provided"), { stack: "provided" });
    expect(run.resources).toEqual([]);
    expect(run.error?.message).toContain("istio-mesh-ca:ca.rootCertPem: required");
  });

  describe("with the PEMs set as the file's comments say", () => {
    let f: ProvidedFixtures;
    let run: ProgramRun;
    beforeAll(async () => {
      f = makeProvidedFixtures();
      const config = stackConfig("provided");
      // What `pulumi config set [--secret] --path ...` adds to the `ca` object.
      config.ca = {
        ...(config.ca as object),
        rootCertPem: f.rootA.cert,
        clusters: {
          cluster1: { caCertPem: f.interA.cert, caKeyPem: f.interA.key, certChainPem: f.interA.cert + f.rootA.cert },
        },
      };
      run = await runProgram(config, { stack: "provided", secretKeys: ["ca"] });
    });

    it("deploys the local-like mesh with the supplied CA and no tls resource", () => {
      expect(run.error).toBeUndefined();
      expect(run.resources.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
      const chart = byName(run, "cluster1-istio-istiod");
      expect(chart.inputs.chart).toBe("/tmp/istio-mesh-ca-local/istio-charts/istiod");
      expect(ofType(run, "PeerAuthentication").length).toBeGreaterThanOrEqual(3);
      const data = byName(run, "cluster1-istio-cacerts-secret").inputs.stringData;
      expect(data["cert-chain.pem"]).toBe(f.interA.cert + f.rootA.cert);
    });

    it("istiod waits for cacerts", () => {
      const deps = run.dependsOn.get("cluster1-istio-istiod") ?? [];
      expect(deps).toContain("cluster1-istio-cacerts-secret");
    });
  });
});
