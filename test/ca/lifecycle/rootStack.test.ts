import { parseProgramConfig } from "../../../config/load";
import { ProgramRun, byName, isSecretValue, ofType, privateKeyOccurrences, stackConfig } from "../../harness/program";
import { OpensslDir } from "../../harness/openssl";
import { ROOT_STACK, asReference, cacerts, changes, deploy, rootConfig, subjects } from "./support";
import { configProblems } from "../../harness/configProblems";

/**
 * A root CA stack signing intermediates for two clusters, and cluster stacks taking their material
 * from it through a StackReference, as in Pulumi.root.yaml / Pulumi.cluster-a.yaml / Pulumi.cluster-b.yaml.
 */

describe("example stack configs", () => {
  it("validate as a root stack and two cluster stacks reading from it", () => {
    const root = parseProgramConfig(stackConfig("root"));
    expect(root.kind).toBe("rootCa");
    for (const c of ["cluster-a", "cluster-b"]) {
      const cluster = parseProgramConfig(stackConfig(c));
      expect(cluster.kind).toBe("mesh");
      if (cluster.kind !== "mesh" || cluster.config.ca.backend !== "selfSigned")
        throw new Error("expected a selfSigned mesh stack");
      expect(cluster.config.ca.intermediateSource).toEqual({ kind: "rootStack", stack: ROOT_STACK });
      expect(cluster.config.clusters.map((x) => x.name)).toEqual([c]);
    }
  });
});

describe("root stack config errors name the key", () => {
  it("refuses mesh keys next to rootCa", () => {
    expect(configProblems({ ...stackConfig("root"), clusters: [{ name: "x" }] })).toEqual([
      expect.stringMatching(/^istio-mesh-ca:clusters: not used in a root CA stack \(istio-mesh-ca:rootCa is set\)/),
    ]);
  });

  it("refuses an unknown phase", () => {
    const base = stackConfig("root") as { rootCa: Record<string, any> };
    expect(configProblems({ rootCa: { ...base.rootCa, rotation: { rootPhase: "half" } } })).toEqual([
      expect.stringMatching(
        /^istio-mesh-ca:rootCa.rotation.rootPhase: must be one of steady, dual, cutover, finalize \(got "half"\)/,
      ),
    ]);
  });

  it("refuses an intermediate outliving the root, duplicate clusters and restarts", () => {
    const base = stackConfig("root") as { rootCa: Record<string, any> };
    const p = configProblems({
      rootCa: {
        ...base.rootCa,
        rotation: { restartDeployments: [{ namespace: "a", name: "b" }] },
        root: { validityDays: 100 },
        clusters: [{ name: "cluster-a" }, { name: "cluster-a" }],
      },
    });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^istio-mesh-ca:rootCa.intermediate.validityDays: intermediate.validityDays is 730, longer than root.validityDays \(100\)/,
        ),
        expect.stringMatching(/^istio-mesh-ca:rootCa.clusters\[1\].name: duplicate cluster "cluster-a"/),
        expect.stringMatching(/^istio-mesh-ca:rootCa.rotation.restartDeployments: a root CA stack has no workloads/),
      ]),
    );
  });

  it("refuses root and rotation settings in a cluster stack that reads from a root stack", () => {
    const cluster = stackConfig("cluster-a") as { ca: Record<string, any> };
    expect(
      configProblems({
        ...cluster,
        ca: { ...cluster.ca, root: { validityDays: 3650 }, rotation: { rootPhase: "dual" } },
      }),
    ).toEqual([
      expect.stringMatching(
        /^istio-mesh-ca:ca.root: not used with intermediateSource rootStack: the root is decided by the root stack/,
      ),
      expect.stringMatching(/^istio-mesh-ca:ca.rotation.rootPhase: not used with intermediateSource rootStack/),
    ]);
  });

  it("refuses a stack name that is not fully qualified", () => {
    const cluster = stackConfig("cluster-a") as { ca: Record<string, any> };
    expect(
      configProblems({ ...cluster, ca: { ...cluster.ca, intermediateSource: { kind: "rootStack", stack: "root" } } }),
    ).toEqual([
      expect.stringMatching(
        /^istio-mesh-ca:ca.intermediateSource.stack: must be a fully qualified stack name <organization>\/<project>\/<stack> \(got "root"\)/,
      ),
    ]);
  });
});

describe("root stack and cluster stacks", () => {
  let root: ProgramRun;
  let clusterA: ProgramRun;
  let clusterB: ProgramRun;
  beforeAll(async () => {
    root = await deploy(rootConfig(), undefined);
    if (root.error) throw root.error;
    clusterA = await deploy(stackConfig("cluster-a"), undefined, { [ROOT_STACK]: asReference(root) });
    clusterB = await deploy(stackConfig("cluster-b"), undefined, { [ROOT_STACK]: asReference(root) });
    if (clusterA.error ?? clusterB.error) throw clusterA.error ?? clusterB.error;
  }, 120_000);

  it("the root stack signs one intermediate per cluster (L=<cluster>) and registers nothing in Kubernetes", () => {
    expect(ofType(root, "tls:index/selfSignedCert:SelfSignedCert").map((r) => r.name)).toEqual(["mesh-root-cert"]);
    expect(
      ofType(root, "tls:index/locallySignedCert:LocallySignedCert")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["cluster-a-intermediate-cert", "cluster-b-intermediate-cert"]);
    expect(root.resources.filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
    expect(subjects(root.outputs.intermediates["cluster-b"].intermediateCert)).toEqual([
      "O=Istio, L=cluster-b, CN=Intermediate CA",
    ]);
  });

  it("exports intermediate keys as one secret output, certificates and the root bundle in plain, and never the root key", () => {
    expect(root.secretOutputPaths).toEqual(["intermediateKeys"]);
    expect(Object.keys(root.outputs.intermediateKeys).sort()).toEqual(["cluster-a", "cluster-b"]);
    expect(root.outputs.rootCertBundle).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const rootKey = byName(root, "mesh-root-cert").inputs.privateKeyPem as string;
    expect(JSON.stringify(root.outputs)).not.toContain(rootKey.trim().split("\n")[1]);
    // Where the root key appears among the root stack's resources: its certificate and the signings, all secret.
    const at = privateKeyOccurrences(root).filter((x) => x.pem.trim() === rootKey.trim());
    expect(at.map((x) => `${x.resource.name} ${x.path} ${x.secret}`).sort()).toEqual([
      "cluster-a-intermediate-cert caPrivateKeyPem true",
      "cluster-b-intermediate-cert caPrivateKeyPem true",
      "mesh-root-cert privateKeyPem true",
    ]);
  });

  it("cluster stacks hold no key material of their own: no tls resources, the root stack's intermediate in cacerts", () => {
    for (const [run, name] of [
      [clusterA, "cluster-a"],
      [clusterB, "cluster-b"],
    ] as const) {
      expect(run.resources.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
      const data = cacerts(run, name);
      expect(data["ca-cert.pem"]).toEqual(root.outputs.intermediates[name].intermediateCert);
      expect(data["cert-chain.pem"]).toEqual(root.outputs.intermediates[name].certChain);
      expect(data["ca-key.pem"]).toEqual(root.outputs.intermediateKeys[name]);
      expect(data["root-cert.pem"]).toEqual(root.outputs.rootCertBundle);
      expect(isSecretValue(byName(run, `${name}-istio-cacerts-secret`).rawInputs.stringData)).toBe(true);
      expect(run.secretOutputPaths.some((p) => p.includes("Key"))).toBe(false);
      expect(JSON.stringify(run.outputs)).not.toMatch(/PRIVATE KEY/);
      expect(byName(run, `${name}-istio-istiod`).inputs.values.global).toMatchObject({
        meshID: "mesh1",
        multiCluster: { clusterName: name },
      });
    }
    // Both clusters trust the same root: one mesh.
    expect(cacerts(clusterA, "cluster-a")["root-cert.pem"]).toEqual(cacerts(clusterB, "cluster-b")["root-cert.pem"]);
  });

  it("a workload leaf from cluster-a's intermediate verifies with cluster-b's bundle", () => {
    const o = new OpensslDir();
    o.write("a-ca.pem", cacerts(clusterA, "cluster-a")["ca-cert.pem"]);
    o.write("a-ca.key", cacerts(clusterA, "cluster-a")["ca-key.pem"]);
    o.write("b-root.pem", cacerts(clusterB, "cluster-b")["root-cert.pem"]);
    const leaf = o.leaf("a-leaf", "a-ca.pem", "a-ca.key");
    expect(o.verify("-CAfile", "b-root.pem", "-untrusted", "a-ca.pem", leaf).ok).toBe(true);
  });

  it("cluster stacks record the root stack's phase for their next deployment", () => {
    expect(clusterA.outputs.caLifecycle).toEqual({ rootPhase: "steady", rootGeneration: 1, intermediateGeneration: 1 });
  });

  describe("rotations driven from the root stack", () => {
    let rootDual: ProgramRun;
    let clusterADual: ProgramRun;
    let rootBump: ProgramRun;
    beforeAll(async () => {
      rootBump = await deploy(rootConfig({ intermediateGeneration: 2 }), root.outputs);
      rootDual = await deploy(rootConfig({ intermediateGeneration: 2, rootPhase: "dual" }), rootBump.outputs);
      clusterADual = await deploy(stackConfig("cluster-a"), clusterA.outputs, { [ROOT_STACK]: asReference(rootDual) });
      for (const r of [rootBump, rootDual, clusterADual]) if (r.error) throw r.error;
    }, 120_000);

    it("an intermediate generation bump re-issues every cluster's intermediate and leaves the root alone", () => {
      const d = changes(root, rootBump);
      expect(d.removed.filter((n) => n.includes("root"))).toEqual([]);
      expect(d.changed).toEqual([]);
      expect(d.added.sort()).toEqual([
        "cluster-a-intermediate-r1i2",
        "cluster-a-intermediate-r1i2-cert",
        "cluster-a-intermediate-r1i2-csr",
        "cluster-a-intermediate-r1i2-key",
        "cluster-b-intermediate-r1i2",
        "cluster-b-intermediate-r1i2-cert",
        "cluster-b-intermediate-r1i2-csr",
        "cluster-b-intermediate-r1i2-key",
      ]);
      expect(rootBump.outputs.rootCertBundle).toEqual(root.outputs.rootCertBundle);
    });

    it("a cluster stack follows dual: both roots in cacerts, istiod restarted with ISTIO_MULTIROOT_MESH", () => {
      expect(subjects(cacerts(clusterADual, "cluster-a")["root-cert.pem"])).toHaveLength(2);
      const pilot = byName(clusterADual, "cluster-a-istio-istiod").inputs.values.pilot;
      expect(pilot.env).toMatchObject({ ISTIO_MULTIROOT_MESH: "true" });
      expect(pilot.podAnnotations["istio-mesh-ca/root-bundle-sha256"]).toMatch(/^[0-9a-f]{64}$/);
      expect(clusterADual.outputs.caLifecycle).toEqual({
        rootPhase: "dual",
        rootGeneration: 1,
        intermediateGeneration: 2,
      });
    });
  });
});
