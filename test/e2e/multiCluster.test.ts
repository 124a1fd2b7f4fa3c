import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { E2eProject, E2eStack, SELF_REFERENCE_STEP, istioCharts, mustUpAll, plaintextKeys, urnName } from "./project";
import { checkCacerts, secretFiles, verifyChain } from "./cacertsChecks";
import { ROOT, e2eEnv, mergeKubeconfigs, mustRun, plain, startControlPlane } from "./support";
import {
  EXPLAINED_WARNINGS,
  LocalIstiod,
  caRootCert,
  fingerprints,
  istioctlAnalyze,
  istioctlValidateDeclared,
  uriSans,
  verifyLeaf,
  waitFor,
} from "./istiod";
import {
  DataPlaneFound,
  EchoMesh,
  RootRotationPlane,
  expectAcrossIntermediateRotation,
  expectCrossCluster,
  expectDataPlane,
  withPlaintextPort,
} from "./dataPlane";

/**
 * The root CA stack and two cluster stacks (Pulumi.root.yaml, Pulumi.cluster-a.yaml,
 * Pulumi.cluster-b.yaml) through the REAL engine: real StackReferences on one file backend, each
 * cluster stack on its own local control plane (contexts `cluster-a`, `cluster-b` of one
 * kubeconfig, as the stack files name them). Then the whole runbook of docs/rotation.md: an
 * intermediate rotation, and root phases dual → cutover → finalize → steady applied on the root
 * stack and then on every cluster stack, a skipped phase refused by the real preview, and the
 * chain checked with openssl on both servers after every step. istiod (test/e2e/istiod.ts) runs for
 * cluster-a from its rendered Deployment and sees each step as a cluster would show it (Secret
 * rewritten in place, or a rollout when the pod template changed): its leaves and its
 * istio-ca-root-cert are the end-to-end proof of docs/rotation.md.
 */

// Overridable (E2E_B_APISERVER_PORT, ...) so two e2e runs can share a machine.
const SECOND = {
  APISERVER_PORT: process.env.E2E_B_APISERVER_PORT ?? "26643",
  ETCD_PORT: process.env.E2E_B_ETCD_PORT ?? "23990",
  ETCD_PEER_PORT: process.env.E2E_B_ETCD_PEER_PORT ?? "24000",
};

describe("root + cluster-a + cluster-b through the real engine, with the root rotation runbook", () => {
  let root: E2eStack;
  let clusters: Record<"cluster-a" | "cluster-b", E2eStack>;
  let kubeconfigs: Record<"cluster-a" | "cluster-b", string>;
  let secondState: string;
  let istiod: LocalIstiod | undefined;
  /** The echo workloads of cluster-a (test/e2e/dataPlane.ts), and cluster-b's for the cross-cluster check. */
  let plane: DataPlaneFound | undefined;
  let istiodB: LocalIstiod | undefined;
  let meshB: EchoMesh | undefined;

  const cacerts = (c: "cluster-a" | "cluster-b") => secretFiles("istio-system", "cacerts", kubeconfigs[c]);
  const rootConfig = (key: string, value: string, type?: "int") =>
    root.config(`rootCa.${key}`, value, type ? { type } : {});

  beforeAll(async () => {
    const env = e2eEnv({ apiserver: true });
    // A second control plane for cluster-b (ports apart from the wrapper's and npm run local's).
    // Per jest worker (test/e2e/workerEnv.ts): another file may run a second cluster at the same time.
    const worker = process.env.JEST_WORKER_ID ?? "1";
    secondState = path.join(env.dir, `kube-b-w${worker}`);
    const kubeB = path.join(env.dir, `kubeconfig-b-w${worker}`);
    // Starts while the root stack (no cluster) is deployed.
    const kubeBReady = startControlPlane(kubeB, { ...SECOND, KUBE_STATE_DIR: secondState });
    kubeconfigs = { "cluster-a": env.kubeconfig, "cluster-b": kubeB };

    const charts = istioCharts();
    const project = new E2eProject("multi");
    root = project.stack("root");
    clusters = {
      "cluster-a": project.stack("cluster-a", "cluster-a", (c) => {
        c["istio-mesh-ca:istio"].chartPath = charts;
        c["istio-mesh-ca:istio"].skipAwait = true;
        // The data plane's namespace (under the mesh-wide STRICT policy) and its port exception.
        c["istio-mesh-ca:namespaces"] = [{ name: "echo" }];
        withPlaintextPort(c, "echo");
      }),
      "cluster-b": project.stack("cluster-b", "cluster-b", (c) => {
        c["istio-mesh-ca:istio"].chartPath = charts;
        c["istio-mesh-ca:istio"].skipAwait = true;
      }),
    };
    root.mustUp();
    await kubeBReady;
    // One kubeconfig with the two contexts the stack files name.
    process.env.KUBECONFIG = mergeKubeconfigs(kubeconfigs, path.join(env.dir, "kubeconfig-multi"));
    // The two cluster stacks, each on its own control plane, side by side.
    await mustUpAll(Object.values(clusters));
  });

  afterAll(async () => {
    meshB?.cleanup();
    istiodB?.stop();
    plane?.mesh.cleanup();
    istiod?.stop();
    // Only cluster-a is destroyed: it is this worker's control plane, which the worker's next files use.
    // cluster-b's control plane is stopped below, and the root stack's keys and certificates live in its
    // state only; `stack rm --force` drops both stacks. (Destroy itself is tested by the other files.)
    clusters?.["cluster-a"]?.pulumi(["destroy", "--yes", "--skip-preview"]);
    for (const s of [...Object.values(clusters ?? {}), root]) s?.remove();
    if (secondState)
      mustRun("bash", [path.join(ROOT, "tools/stop-apiserver.sh")], { env: { KUBE_STATE_DIR: secondState } });
  });

  /** Both clusters trust the same roots, and each cacerts chains to them. */
  const checkBoth = () => {
    const a = checkCacerts(cacerts("cluster-a"));
    const b = checkCacerts(cacerts("cluster-b"));
    expect(b.roots).toEqual(a.roots);
    expect(b.intermediate).not.toBe(a.intermediate);
    return { a, b };
  };
  const upAll = async () => {
    root.mustUp();
    await mustUpAll(Object.values(clusters));
  };
  /** A clean `pulumi preview --expect-no-changes` of every stack (the three side by side). */
  const noChangesAnywhere = async () => {
    const all = [root, ...Object.values(clusters)];
    const runs = await Promise.all(all.map((s) => s.pulumiAsync(["preview", "--expect-no-changes"])));
    expect(
      runs.map((r, i) => [all[i].name, r.code, r.code === 0 ? "" : plain(r.stdout + r.stderr).slice(-2000)]),
    ).toEqual(all.map((s) => [s.name, 0, ""]));
  };

  it("the root stack exports certificates and secret keys only; its state and the clusters' hold no plaintext key", () => {
    const out = root.outputs();
    expect(Object.keys(out.intermediates ?? {}).sort()).toEqual(["cluster-a", "cluster-b"]);
    expect(JSON.stringify(out)).not.toMatch(/PRIVATE KEY/);
    for (const s of [root, ...Object.values(clusters)]) expect(plaintextKeys(s.exportState().text)).toEqual([]);
  });

  it("each cluster's cacerts chains to the one shared root; second previews are clean everywhere", async () => {
    checkBoth();
    await noChangesAnywhere();
  });

  /** A workload leaf from cluster-a's istiod (namespace default, service account sleep). */
  const leafA = (roots: string) => istiod!.issue({ namespace: "default", serviceAccount: "sleep", tlsRoots: roots });
  /** Waits until cluster-a's istiod signs with its current cacerts intermediate; returns such a leaf. */
  const leafFromCurrentIntermediate = () => {
    const files = cacerts("cluster-a");
    const intermediate = new X509Certificate(files["ca-cert.pem"]);
    return waitFor(
      "a leaf from cluster-a's current intermediate",
      () => {
        const l = leafA(files["root-cert.pem"]);
        return l.leaf.verify(intermediate.publicKey) ? l : undefined;
      },
      60000,
      () => istiod!.logTail(),
    );
  };
  const rootCertA = (want?: (pem: string) => boolean) => caRootCert("default", kubeconfigs["cluster-a"], want);
  const only = (pem: string) => `${pem.trim()}\n`;

  it("istiod on cluster-a (its rendered Deployment, cacerts as mounted) signs SPIFFE leaves under the shared root and publishes that root", () => {
    istiod = new LocalIstiod({ label: "cluster-a", kubeconfig: kubeconfigs["cluster-a"] }).start();
    expect(istiod.logs()).toContain("Use local CA certificate");
    const files = cacerts("cluster-a");
    const l = leafFromCurrentIntermediate();
    expect(uriSans(l.leaf)).toEqual(["spiffe://cluster.local/ns/default/sa/sleep"]);
    expect(verifyLeaf(files["root-cert.pem"], l)).toMatchObject({ ok: true });
    // cluster-b's intermediate did not sign it, but cluster-b trusts the same root: cross-cluster mTLS.
    expect(l.leaf.verify(new X509Certificate(cacerts("cluster-b")["ca-cert.pem"]).publicKey)).toBe(false);
    expect(verifyLeaf(cacerts("cluster-b")["root-cert.pem"], l)).toMatchObject({ ok: true });
    expect(fingerprints(rootCertA())).toEqual(fingerprints(files["root-cert.pem"]));
  });

  it("the data plane on cluster-a: two proxyless gRPC workloads (Istio's pilot-agent, grpc-go) get leaves from cluster-a's intermediate and complete mTLS under the mesh's STRICT policy; plaintext, certificate-less and foreign-CA clients are refused; the stack's port exception lets plaintext through on its port only", () => {
    plane = expectDataPlane({
      istiod: istiod!,
      label: "cluster-a",
      namespace: "echo",
      roots: cacerts("cluster-a")["root-cert.pem"],
    });
  });

  it("across the clusters: a workload of cluster-b (its own istiod, leaves from cluster-b's intermediate) and the workloads of cluster-a complete mTLS both ways under the one root", () => {
    istiodB = new LocalIstiod({ label: "cluster-b", kubeconfig: kubeconfigs["cluster-b"] }).start();
    meshB = expectCrossCluster(plane!, istiodB, cacerts("cluster-b")["root-cert.pem"]);
    // cluster-b's istiod is not followed through the rotations below (cluster-a's is).
    meshB.cleanup();
    istiodB.stop();
  });

  it("istioctl analyze on both clusters: no error, no unexplained warning; istioctl validate accepts every Istio object the cluster stacks declare", () => {
    for (const c of ["cluster-a", "cluster-b"] as const) {
      const a = istioctlAnalyze(kubeconfigs[c]);
      expect({ c, errors: a.messages.filter((m) => m.level === "Error") }).toEqual({ c, errors: [] });
      expect({
        c,
        warnings: a.messages.filter((m) => m.level === "Warning" && !EXPLAINED_WARNINGS.includes(m.code)),
      }).toEqual({ c, warnings: [] });
      const v = istioctlValidateDeclared(clusters[c].exportState().resources, kubeconfigs[c]);
      expect(v.validated.length).toBeGreaterThan(0);
      expect(v.failures).toEqual([]);
    }
  });

  it("a cluster stack reads the root stack through a real StackReference", () => {
    const refs = clusters["cluster-a"].exportState().resources.filter((r) => r.type === "pulumi:pulumi:StackReference");
    expect(refs.map((r) => (r.outputs as any).name)).toContain("organization/istio-mesh-ca/root");
  });

  it("intermediate rotation: new intermediates under the same root; cluster previews change only cacerts", async () => {
    const before = checkBoth();
    rootConfig("rotation.intermediateGeneration", "2", "int");
    root.mustUp();
    for (const s of Object.values(clusters)) {
      const changed = s
        .preview()
        .steps.filter((x) => x.op !== "same")
        .map((x) => `${x.op} ${urnName(x.urn)}`)
        .filter((x) => !SELF_REFERENCE_STEP.test(x));
      for (const c of changed)
        expect(c).toMatch(/^(update|read|refresh) .*(cacerts|istio-mesh-ca-cluster-[ab]|root-stack|lifecycle)/);
      expect(changed.join("\n")).toMatch(/update .*cacerts/);
    }
    await mustUpAll(Object.values(clusters));
    const after = checkBoth();
    expect(after.a.roots).toEqual(before.a.roots);
    expect(after.a.intermediate).not.toBe(before.a.intermediate);
    // istiod: the Secret rewritten in its volume, no rollout; it signs with the new intermediate.
    expect(istiod!.sync()).toMatchObject({ rollout: false, changedMounts: expect.arrayContaining(["/etc/cacerts"]) });
    expect(verifyLeaf(cacerts("cluster-a")["root-cert.pem"], leafFromCurrentIntermediate())).toMatchObject({
      ok: true,
    });
    istiod!.waitForLog("Istiod has detected the newly added intermediate CA");
  });

  it("the data plane across the intermediate rotation: the workloads of before keep connecting; restarted workloads get leaves from the new intermediate and connect to those of before, both ways", () => {
    expectAcrossIntermediateRotation(
      plane!,
      cacerts("cluster-a")["root-cert.pem"],
      cacerts("cluster-a")["ca-cert.pem"],
    );
  });

  it("a skipped root phase is refused by the real preview, naming the phase to apply first", () => {
    rootConfig("rotation.rootPhase", "finalize");
    const p = root.preview();
    expect(p.code).not.toBe(0);
    expect(p.errors).toContain('rootPhase cannot go from "steady" to "finalize": apply rootPhase "dual" first');
  });

  it("root rotation dual → cutover → finalize → steady, root stack first, every cluster after, chains checked at each step; the data plane at each phase", async () => {
    const [oldRoot] = checkBoth().a.roots;
    const workloads = new RootRotationPlane(plane!);
    root.configObject("rootCa.rotation.newRoot", {
      key: { algorithm: "RSA", rsaBits: 4096 },
      validityDays: 3650,
      subject: { organization: "Istio", commonName: "Root CA 2" },
    });
    // dual: both roots trusted, intermediates still from the old root.
    rootConfig("rotation.rootPhase", "dual");
    await upAll();
    const dual = checkBoth();
    expect(dual.a.roots).toHaveLength(2);
    expect(dual.a.roots[0]).toBe(oldRoot);
    const newRoot = dual.a.roots[1];
    const istiodEnv = (c: "cluster-a" | "cluster-b") =>
      JSON.parse(
        mustRun("kubectl", [
          "--kubeconfig",
          kubeconfigs[c],
          "get",
          "deploy",
          "istiod",
          "-n",
          "istio-system",
          "-o",
          "json",
        ]),
      ).spec.template.spec.containers.find((x: any) => x.name === "discovery").env as {
        name: string;
        value?: string;
      }[];
    for (const c of ["cluster-a", "cluster-b"] as const)
      expect(istiodEnv(c)).toEqual(expect.arrayContaining([{ name: "ISTIO_MULTIROOT_MESH", value: "true" }]));
    // istiod (rolled: its env changed) publishes both roots; its leaves, still from the old root's
    // intermediate, verify under the old root alone and under the published bundle.
    expect(istiod!.sync().rollout).toBe(true);
    const bundleDual = rootCertA((pem) => fingerprints(pem).length === 2);
    expect(fingerprints(bundleDual)).toEqual([oldRoot, newRoot]);
    const leafDual = leafFromCurrentIntermediate();
    const [oldRootPem, newRootPem] = (
      bundleDual.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
    ).map(only);
    expect(verifyLeaf(oldRootPem, leafDual)).toMatchObject({ ok: true });
    expect(verifyLeaf(newRootPem, leafDual)).toMatchObject({ ok: false });
    // docs/rotation.md, dual, step 4: what istiod logs.
    const logShows = (re: RegExp) => istiod!.waitForLog(re);
    logShows(/spiffe\tAdded 2 certs to trust domain cluster\.local in peer cert verifier/);
    // Workloads restarted now trust both roots; old-root leaves everywhere still.
    workloads.afterDual(oldRootPem, newRootPem);
    // cutover: intermediates re-issued under the new root; both roots still trusted.
    rootConfig("rotation.rootPhase", "cutover");
    await upAll();
    const cut = checkBoth();
    expect(cut.a.roots).toEqual([oldRoot, newRoot]);
    for (const c of ["cluster-a", "cluster-b"] as const) {
      const files = cacerts(c);
      expect(verifyChain(files["root-cert.pem"], files["cert-chain.pem"]).ok).toBe(true);
      // The intermediate is now issued by the NEW root.
      const issuer = (
        files["root-cert.pem"].match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
      )
        .map((p) => new X509Certificate(p))
        .find((r) => new X509Certificate(files["ca-cert.pem"]).checkIssued(r));
      expect(issuer?.fingerprint256).toBe(newRoot);
    }
    // istiod: leaves now from the new root's intermediate; the published bundle still holds both
    // roots, so leaves from before and after the cutover both verify under it. No rollout: istiod
    // (ISTIO_MULTIROOT_MESH) reloads the rewritten cacerts itself.
    expect(istiod!.sync()).toMatchObject({ rollout: false, changedMounts: expect.arrayContaining(["/etc/cacerts"]) });
    const leafCut = leafFromCurrentIntermediate();
    expect(verifyLeaf(newRootPem, leafCut)).toMatchObject({ ok: true });
    expect(verifyLeaf(oldRootPem, leafCut)).toMatchObject({ ok: false });
    const bundleCut = rootCertA();
    expect(fingerprints(bundleCut)).toEqual([oldRoot, newRoot]);
    expect(verifyLeaf(bundleCut, leafDual)).toMatchObject({ ok: true });
    expect(verifyLeaf(bundleCut, leafCut)).toMatchObject({ ok: true });
    // docs/rotation.md, cutover, step 4.
    logShows(/x509 cert - Issuer: "CN=Root CA 2,O=Istio", Subject: "CN=Intermediate CA,O=Istio,L=cluster-a"/);
    logShows(/detected the newly added intermediate CA/);
    // New-root leaves and old-root leaves connect, both ways.
    workloads.afterCutover(oldRootPem, newRootPem);
    // finalize: only the new root.
    rootConfig("rotation.rootPhase", "finalize");
    await upAll();
    const fin = checkBoth();
    expect(fin.a.roots).toEqual([newRoot]);
    for (const c of ["cluster-a", "cluster-b"] as const)
      expect(istiodEnv(c).map((e) => e.name)).not.toContain("ISTIO_MULTIROOT_MESH");
    // istiod (rolled: ISTIO_MULTIROOT_MESH removed) publishes the new root only: a leaf from the old
    // root no longer verifies under it.
    expect(istiod!.sync().rollout).toBe(true);
    const bundleFin = rootCertA((pem) => fingerprints(pem).length === 1);
    expect(fingerprints(bundleFin)).toEqual([newRoot]);
    expect(verifyLeaf(bundleFin, leafFromCurrentIntermediate())).toMatchObject({ ok: true });
    expect(verifyLeaf(bundleFin, leafDual)).toMatchObject({ ok: false });
    // docs/rotation.md, finalize, step 4: only the new root in istiod's x509 cert lines.
    logShows(/x509 cert - Issuer: "CN=Root CA 2,O=Istio", Subject: "CN=Root CA 2,O=Istio"/);
    expect(
      istiod!
        .logs()
        .split("\n")
        .filter((l) => l.includes("x509 cert - ") && l.includes('"CN=Root CA,O=Istio"')),
    ).toEqual([]);
    // Workloads restarted now trust the new root only: an old-root leaf is refused, in either role.
    workloads.afterFinalize(newRootPem);
    plane!.mesh.cleanup();
    // steady at generation 2: the new root becomes `root`, the old root's key and certificate go.
    const rootCa = (parse(fs.readFileSync(path.join(root.project.dir, "Pulumi.root.yaml"), "utf8")) as any).config[
      "istio-mesh-ca:rootCa"
    ];
    root.must(["config", "rm", "--path", "istio-mesh-ca:rootCa.root"]);
    root.configObject("rootCa.root", rootCa.rotation.newRoot);
    root.must(["config", "rm", "--path", "istio-mesh-ca:rootCa.rotation.newRoot"]);
    rootConfig("rotation.rootPhase", "steady");
    rootConfig("rotation.rootGeneration", "2", "int");
    const steady = root
      .preview()
      .steps.filter((x) => x.op !== "same")
      .map((x) => `${x.op} ${urnName(x.urn)}`);
    expect(steady.filter((c) => c.startsWith("delete"))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^delete mesh-root/)]),
    );
    expect(steady.join("\n")).not.toMatch(/^create /m);
    await upAll();
    expect(checkBoth().a.roots).toEqual([newRoot]);
    istiod!.sync();
    expect(fingerprints(rootCertA())).toEqual([newRoot]);
    expect(verifyLeaf(newRootPem, leafFromCurrentIntermediate())).toMatchObject({ ok: true });
    await noChangesAnywhere();
  });
});
