import { ChildProcess, spawn } from "child_process";
import { X509Certificate, createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { readAudit } from "../../scripts/rotate/audit";
import { PreviewDigest } from "../../scripts/rotate/previewModel";
import { summarize } from "../../scripts/rotate/summary";
import { secretFiles } from "./cacertsChecks";
import { LocalIstiod, fingerprints, verifyLeaf, waitFor } from "./istiod";
import { E2eProject, E2eStack, engineEnv, istioCharts, mustUpAll } from "./project";
import { ROOT, descendants, e2eEnv, mergeKubeconfigs, mustRun, plain, run, startControlPlane } from "./support";

/**
 * The rotation conductor (`npm run rotate`, scripts/rotate/) driving the root stack and the two
 * cluster stacks of multiCluster through the REAL engine, each cluster stack on its own local control
 * plane, with istiod running for each cluster as a local process (test/e2e/istiod.ts). While the
 * conductor runs (a child process, as an operator runs it), this test plays the kubelet: every second
 * it rolls istiod when its Deployment's pod template changed and rewrites its mounted Secrets
 * otherwise — the evidence the conductor's gates wait for (istio-ca-root-cert is written by istiod).
 *
 * Shown: `plan` changes nothing (state files byte-identical); the intermediate rotation; `start root`
 * with cluster-b's istiod stopped (a gate that never holds: timeout naming cluster-b, nothing further
 * applied); the conductor killed mid-phase (its `pulumi up` of cluster-b holding the lock), `resume`
 * refusing the lock and `resume --recover` converging; `complete root` refusing while a workload
 * predates the cutover, then finalize and steady. The CA-aware summaries are made from the real
 * previews of each step and their facts asserted.
 */

const SECOND = {
  APISERVER_PORT: process.env.E2E_B_APISERVER_PORT ?? "26643",
  ETCD_PORT: process.env.E2E_B_ETCD_PORT ?? "23990",
  ETCD_PEER_PORT: process.env.E2E_B_ETCD_PEER_PORT ?? "24000",
};
type Cluster = "cluster-a" | "cluster-b";
const CLUSTERS: Cluster[] = ["cluster-a", "cluster-b"];
const NEW_ROOT = {
  key: { algorithm: "RSA", rsaBits: 2048 },
  validityDays: 3650,
  subject: { organization: "Istio", commonName: "Root CA 2" },
};

interface Rotated {
  code: number;
  stdout: string;
  stderr: string;
  killed: boolean;
}

// Each test drives several `pulumi up`s of three stacks plus gates: `complete root` (finalize and steady,
// six ups and their previews) took over 10 min on a 2-core machine running two other e2e files.
jest.setTimeout(20 * 60 * 1000);

describe("the rotation conductor across root + cluster-a + cluster-b, gated on what each cluster reports", () => {
  let project: E2eProject;
  let root: E2eStack;
  let stacks: Record<Cluster, E2eStack>;
  let kubeconfigs: Record<Cluster, string>;
  let secondState: string;
  let stateDir: string;
  let work: string;
  const istiods = new Map<Cluster, LocalIstiod>();
  let kubelet: NodeJS.Timeout | undefined;
  const started = Date.now();

  const cacerts = (c: Cluster) => secretFiles("istio-system", "cacerts", kubeconfigs[c]);
  const lifecycle = (s: E2eStack) => s.outputs().caLifecycle;
  const kc = (c: Cluster, ...args: string[]) => mustRun("kubectl", ["--kubeconfig", kubeconfigs[c], ...args]);

  /**
   * `npm run rotate -- …` as a child process in its own process group; optionally SIGKILLed (with its plugins) once
   * `killWhen` holds.
   */
  function rotate(args: string[], killWhen?: (stdout: string) => boolean): Promise<Rotated> {
    const child: ChildProcess = spawn(
      "npm",
      [
        "run",
        "--silent",
        "rotate",
        "--",
        ...args,
        "--cwd",
        project.dir,
        "--audit-log",
        path.join(work, "audit.jsonl"),
        "--preview-dir",
        path.join(work, "previews"),
        ...(args.includes("--poll") ? [] : ["--poll", "1s"]),
      ],
      { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...engineEnv() } },
    );
    let stdout = "";
    let stderr = "";
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      const all = descendants(child.pid!);
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
      for (const pid of all)
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
    };
    const poll = killWhen
      ? setInterval(() => {
          if (killWhen(stdout)) kill();
        }, 100)
      : undefined;
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    return new Promise((resolve) =>
      child.on("exit", (code) => {
        if (poll) clearInterval(poll);
        resolve({ code: code ?? -1, stdout, stderr, killed });
      }),
    );
  }
  const show = (r: Rotated) =>
    `exit ${r.code}\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${plain(r.stderr).slice(-6000)}`;

  /** SHA-256 of every file of the file backend's state and of the project's stack files. */
  function stateHashes(): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else out[p] = createHash("sha256").update(fs.readFileSync(p)).digest("hex");
      }
    };
    walk(stateDir);
    for (const f of fs.readdirSync(project.dir).filter((x) => /^Pulumi\..+\.yaml$/.test(x))) {
      out[f] = createHash("sha256")
        .update(fs.readFileSync(path.join(project.dir, f)))
        .digest("hex");
    }
    return out;
  }

  const rootCa = (c: Record<string, any>) => c["istio-mesh-ca:rootCa"];
  const conductorPreview = (stack: string, step: string) =>
    JSON.parse(fs.readFileSync(path.join(work, "previews", `${stack}-${step}.json`), "utf8")) as PreviewDigest;
  const fp = (pem: string) => new X509Certificate(pem).fingerprint256;

  /**
   * The kubelet's part, every second, for every running istiod: a rollout on a new pod template, else the volume sync.
   */
  function startKubelet(): void {
    let busy = false;
    kubelet = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        for (const [c, i] of [...istiods]) {
          // Read over HTTPS in this process: a kubectl per object every second kept a core busy.
          const sources = await i.fetchSources();
          // The test may have stopped this istiod (or the kubelet) while the read was under way.
          if (kubelet && istiods.get(c) === i) i.sync(sources);
        }
      } catch (e) {
        console.warn(`kubelet: ${String(e).slice(0, 500)}`);
      } finally {
        busy = false;
      }
    }, 1000);
  }

  beforeAll(async () => {
    const env = e2eEnv({ apiserver: true });
    work = path.join(env.dir, "rotation");
    fs.mkdirSync(work, { recursive: true });
    // A file backend of its own: its stacks are named root / cluster-a / cluster-b like multiCluster's,
    // which may run at the same time in another jest worker on the tier's shared backend.
    stateDir = path.join(env.dir, "state-rotation");
    fs.mkdirSync(stateDir, { recursive: true });
    process.env.PULUMI_BACKEND_URL = `file://${stateDir}?metadata=skip`;
    secondState = path.join(env.dir, "kube-b-rot");
    const kubeB = path.join(env.dir, "kubeconfig-rot-b");
    // Starts while the root stack (no cluster) is deployed.
    const kubeBReady = startControlPlane(kubeB, { ...SECOND, KUBE_STATE_DIR: secondState });
    kubeconfigs = { "cluster-a": env.kubeconfig, "cluster-b": kubeB };

    const charts = istioCharts();
    project = new E2eProject("rotation");
    // The CI summary step runs in the project directory, as the workflow runs it in the repository.
    // (The project already has scripts/program, the program's loader: the whole scripts/ replaces it.)
    for (const d of ["scripts", "policy-pack"]) {
      fs.rmSync(path.join(project.dir, d), { recursive: true, force: true });
      fs.symlinkSync(path.join(ROOT, d), path.join(project.dir, d));
    }
    // RSA 2048 keys (the program's minimum) keep the tier's time down; multiCluster rotates RSA 4096 ones.
    root = project.stack("root", "root", (cfg) => {
      rootCa(cfg).root.key.rsaBits = 2048;
      rootCa(cfg).intermediate.key.rsaBits = 2048;
    });
    const cluster = (c: Cluster) =>
      project.stack(c, c, (cfg) => {
        cfg["istio-mesh-ca:istio"].chartPath = charts;
        cfg["istio-mesh-ca:istio"].skipAwait = true;
      });
    stacks = { "cluster-a": cluster("cluster-a"), "cluster-b": cluster("cluster-b") };
    root.mustUp();
    await kubeBReady;
    process.env.KUBECONFIG = mergeKubeconfigs(kubeconfigs, path.join(env.dir, "kubeconfig-rot-multi"));
    await mustUpAll(Object.values(stacks));
    // A workload in an injection-enabled namespace of cluster-a (stored, never run: no kubelet). The
    // label keeps the API server from calling istiod's injector webhook, which it cannot reach here.
    kc("cluster-a", "create", "namespace", "shop");
    kc("cluster-a", "label", "namespace", "shop", "istio-injection=enabled");
    for (const c of CLUSTERS)
      istiods.set(c, new LocalIstiod({ label: `rot-${c}`, kubeconfig: kubeconfigs[c] }).start());
    startKubelet();
  });

  afterAll(async () => {
    if (kubelet) clearInterval(kubelet);
    kubelet = undefined;
    for (const i of istiods.values()) i.stop();
    const all = [...Object.values(stacks ?? {}), root].filter((s) => s);
    for (const s of all) s.pulumi(["cancel", "--yes"]);
    // Only cluster-a is destroyed: it is this worker's control plane, which the worker's next files use.
    // cluster-b's control plane is stopped below; the root stack's keys live in this file's own backend.
    stacks?.["cluster-a"]?.pulumi(["destroy", "--yes", "--skip-preview"]);
    for (const s of all) s.remove();
    if (secondState)
      mustRun("bash", [path.join(ROOT, "tools/stop-apiserver.sh")], { env: { KUBE_STATE_DIR: secondState } });
    console.log(`rotationConductor: ${Math.round((Date.now() - started) / 1000)}s`);
  });

  const createWeb = () =>
    mustRun("kubectl", ["--kubeconfig", kubeconfigs["cluster-a"], "create", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web", namespace: "shop", labels: { app: "web", "sidecar.istio.io/inject": "false" } },
        spec: { containers: [{ name: "web", image: "registry.invalid/web:1" }] },
      }),
    });

  it("plan intermediate and plan root: every step with its config change, URNs and gates; state files byte-identical", async () => {
    createWeb();
    const before = stateHashes();
    const inter = await rotate(["plan", "intermediate", "--stack", "root"]);
    expect({ code: inter.code, out: inter.code === 0 ? "" : show(inter) }).toEqual({ code: 0, out: "" });
    expect(inter.stdout).toContain(
      "1. intermediate: steady (rootGeneration 1, intermediateGeneration 1) → steady (rootGeneration 1, intermediateGeneration 2)",
    );
    expect(inter.stdout).toContain(
      "root: config istio-mesh-ca:rootCa.rotation.intermediateGeneration = 2; the real preview:",
    );
    for (const c of CLUSTERS) {
      expect(inter.stdout).toMatch(
        new RegExp(`create urn:pulumi:root::istio-mesh-ca::.*IntermediateCa::${c}-intermediate-r1i2\\n`),
      );
      expect(inter.stdout).toMatch(
        new RegExp(`delete urn:pulumi:root::istio-mesh-ca::.*LocallySignedCert::${c}-intermediate-cert\\n`),
      );
      expect(inter.stdout).toMatch(
        new RegExp(`update urn:pulumi:${c}::istio-mesh-ca::.*Secret::${c}-istio-cacerts-secret \\(cacerts\\)`),
      );
    }
    expect(inter.stdout).toContain(
      "gates after: cacerts, istio-ca-root-cert on cluster-a (stack cluster-a), cluster-b (stack cluster-b)",
    );
    const rootPlan = await rotate(["plan", "root", "--stack", "root", "--json"]);
    expect({ code: rootPlan.code, out: rootPlan.code === 0 ? "" : show(rootPlan) }).toEqual({ code: 0, out: "" });
    const steps = JSON.parse(rootPlan.stdout);
    expect(steps.map((s: any) => [s.stage, s.gatesBefore, s.gatesAfter])).toEqual([
      ["dual", [], ["cacerts", "istiod-rollout", "istio-ca-root-cert"]],
      ["cutover", [], ["cacerts", "istio-ca-root-cert"]],
      ["finalize", ["workload-leaves"], ["cacerts", "istiod-rollout", "istio-ca-root-cert"]],
      ["steady", [], ["cacerts", "istio-ca-root-cert"]],
    ]);
    expect(steps[0].owner.changes.map((c: any) => `${c.op} ${c.what}`)).toEqual(
      expect.arrayContaining(["create mesh-root-g2", "create mesh-root-g2-key", "create mesh-root-g2-cert"]),
    );
    expect(steps[0].followers[0].changes.map((c: any) => c.what)).toEqual(["cacerts", "istiod Deployment (rollout)"]);
    expect(steps[3].owner.changes).toEqual([{ op: "delete", what: "mesh-root (the old root's key and certificate)" }]);
    expect(stateHashes()).toEqual(before);
  });

  it("start intermediate: new intermediates in every cluster, the gates hold, istiod signs with the new one; the summary of the real previews says so", async () => {
    const old = Object.fromEntries(CLUSTERS.map((c) => [c, cacerts(c)])) as Record<Cluster, Record<string, string>>;
    const r = await rotate(["start", "intermediate", "--stack", "root", "--parallel", "2", "--gate-timeout", "180s"]);
    expect({ code: r.code, out: r.code === 0 ? "" : show(r) }).toEqual({ code: 0, out: "" });
    // The summary of the real preview the conductor ran of root before applying the step.
    const md = summarize([{ stack: "root", digest: conductorPreview("root", "intermediate") }]);
    for (const c of CLUSTERS) {
      expect(md).toContain(
        `| ➖ delete | intermediate of ${c} | L=${c}, O=Istio, CN=Intermediate CA | \`${fp(old[c]["ca-cert.pem"])}\` |`,
      );
      expect(md).toMatch(
        new RegExp(
          `\\| ➕ create \\| intermediate of ${c} \\| L=${c}, O=Istio, CN=Intermediate CA \\| issued at apply \\| ≈ \\d{4}-`,
        ),
      );
    }
    expect(md).toContain(
      `- Trust bundle (\`root-cert.pem\`): unchanged: O=Istio, CN=Root CA \`${fp(old["cluster-a"]["root-cert.pem"]).slice(0, 23)}…\``,
    );

    for (const c of CLUSTERS) {
      const now = cacerts(c);
      expect(fp(now["ca-cert.pem"])).not.toBe(fp(old[c]["ca-cert.pem"]));
      expect(fingerprints(now["root-cert.pem"])).toEqual(fingerprints(old[c]["root-cert.pem"]));
      expect(lifecycle(stacks[c])).toMatchObject({ rootPhase: "steady", intermediateGeneration: 2 });
    }
    const audit = readAudit(fs.readFileSync(path.join(work, "audit.jsonl"), "utf8")).filter((e) =>
      e.command.startsWith("start intermediate"),
    );
    expect(
      audit
        .filter((e) => e.event === "up")
        .map((e) => e.stack)
        .sort(),
    ).toEqual(["cluster-a", "cluster-b", "root"]);
    expect(audit.find((e) => e.event === "up" && e.stack === "cluster-b")!.changedUrns).toEqual(
      expect.arrayContaining([expect.stringMatching(/^update .*cluster-b-istio-cacerts-secret$/)]),
    );
    const gates = audit.filter((e) => e.event === "gates").flatMap((e) => e.gates ?? []);
    expect(gates.length).toBeGreaterThan(0);
    expect(gates.filter((g) => !g.holds)).toEqual([]);
    // istiod (the Secret rewritten in its volume, no rollout) signs with the new intermediate.
    const a = cacerts("cluster-a");
    const leaf = waitFor(
      "a leaf from cluster-a's new intermediate",
      () => {
        const l = istiods
          .get("cluster-a")!
          .issue({ namespace: "default", serviceAccount: "sleep", tlsRoots: a["root-cert.pem"] });
        return l.leaf.verify(new X509Certificate(a["ca-cert.pem"]).publicKey) ? l : undefined;
      },
      60000,
    );
    expect(verifyLeaf(a["root-cert.pem"], leaf)).toMatchObject({ ok: true });
    // The conductor's own preview of cluster-a (a real preview, its JSON built from the engine's events).
    const mdA = summarize([{ stack: "cluster-a", digest: conductorPreview("cluster-a", "intermediate") }]);
    expect(mdA).toContain("- `cacerts`: updated (ca-cert.pem, ca-key.pem, cert-chain.pem)");
    expect(mdA).toContain("- istiod: no restart (it reloads the rewritten cacerts by itself)");
  });

  it("start root with cluster-b's istiod stopped: dual is applied everywhere, the gate times out naming cluster-b, cutover is not applied", async () => {
    root.configObject("rootCa.rotation.newRoot", NEW_ROOT);
    const oldRoot = cacerts("cluster-a")["root-cert.pem"];
    istiods.get("cluster-b")!.stop();
    istiods.delete("cluster-b");
    // Polled every 3 s: cluster-b's gate cannot hold, and each read of it runs kubectl.
    const r = await rotate(["start", "root", "--stack", "root", "--gate-timeout", "45s", "--poll", "3s"]);
    expect({ code: r.code, killed: r.killed }).toEqual({ code: 3, killed: false });
    // The summary of the real preview the conductor ran of root before applying dual.
    const md = summarize([{ stack: "root", digest: conductorPreview("root", "dual") }]);
    expect(md).toContain(
      "- CA lifecycle: steady (rootGeneration 1, intermediateGeneration 2) → dual (rootGeneration 1, intermediateGeneration 2)",
    );
    expect(md).toMatch(/\| ➕ create \| root \| O=Istio, CN=Root CA 2 \| issued at apply \| ≈ \d{4}-/);
    expect(md).toContain(
      `- Trust bundle (\`root-cert.pem\`): O=Istio, CN=Root CA \`${fp(oldRoot).slice(0, 23)}…\` → O=Istio, CN=Root CA \`${fp(oldRoot).slice(0, 23)}…\` + O=Istio, CN=Root CA 2 (issued at apply)`,
    );
    const err = plain(r.stderr);
    expect(err).toContain("the gates after dual did not hold within 45s; nothing further was applied");
    expect(err).toMatch(
      /- istio-ca-root-cert on cluster cluster-b \(stack cluster-b\): cluster cluster-b: istio-ca-root-cert .*istio-system: lacks "O=Istio, CN=Root CA 2"/,
    );
    expect(err).not.toMatch(/on cluster cluster-a/);
    for (const s of [root, ...Object.values(stacks)])
      expect(lifecycle(s)).toMatchObject({ rootPhase: "dual", rootGeneration: 1 });
    expect(
      (parse(fs.readFileSync(path.join(project.dir, "Pulumi.root.yaml"), "utf8")) as any).config["istio-mesh-ca:rootCa"]
        .rotation.rootPhase,
    ).toBe("dual");
    // cluster-a's istiod, rolled once by the kubelet loop (dual's pod template: ISTIO_MULTIROOT_MESH),
    // publishes both roots.
    expect(istiods.get("cluster-a")!.rollouts.length).toBe(1);
    const status = await rotate(["status", "--stack", "root"]);
    expect({ code: status.code, out: status.code === 0 ? "" : show(status) }).toEqual({ code: 0, out: "" });
    expect(status.stdout).toMatch(/DOES NOT HOLD istio-ca-root-cert \[cluster-b\]: cluster cluster-b/);
    expect(status.stdout).toMatch(/holds istio-ca-root-cert \[cluster-a\]/);
    expect(status.stdout).toContain("next: then cutover (rotate resume)");
  });

  it("the conductor killed mid-phase (its pulumi up of cluster-b holding the lock): resume refuses, resume --recover converges", async () => {
    // cluster-b's istiod comes back (from the dual template: the rollout the kubelet would do).
    istiods.set(
      "cluster-b",
      new LocalIstiod({ label: "rot-cluster-b-2", kubeconfig: kubeconfigs["cluster-b"] }).start(),
    );
    const lockDir = path.join(stateDir, ".pulumi", "locks", "organization", "istio-mesh-ca", "cluster-b");
    const locked = () => fs.existsSync(lockDir) && fs.readdirSync(lockDir).some((f) => f.endsWith(".json"));
    const killedRun = await rotate(
      ["resume", "--stack", "root", "--gate-timeout", "120s"],
      (out) => out.includes("[cluster-b] pulumi up (cutover)") && locked(),
    );
    expect({ killed: killedRun.killed, out: killedRun.killed ? "" : show(killedRun) }).toEqual({
      killed: true,
      out: "",
    });
    // The summary of the real preview the conductor ran of root before applying cutover.
    const cutoverMd = summarize([{ stack: "root", digest: conductorPreview("root", "cutover") }]);
    expect(cutoverMd).toMatch(
      /\| ➕ create \| intermediate of cluster-a \| L=cluster-a, O=Istio, CN=Intermediate CA \| issued at apply/,
    );
    expect(cutoverMd).toMatch(
      /- Trust bundle \(`root-cert.pem`\): unchanged: O=Istio, CN=Root CA `.*` \+ O=Istio, CN=Root CA 2 `/,
    );
    expect(lifecycle(root)).toMatchObject({ rootPhase: "cutover" });
    expect(lifecycle(stacks["cluster-a"])).toMatchObject({ rootPhase: "cutover" });
    expect(lifecycle(stacks["cluster-b"])).toMatchObject({ rootPhase: "dual" });

    // The PR summary step, exactly as the workflow runs it, on the stack left behind.
    const wf = parse(fs.readFileSync(path.join(ROOT, ".github/workflows/pulumi.yml"), "utf8"));
    const step = wf.jobs.pulumi.steps.find((s: any) => s.name === "CA-aware preview summary");
    const summaryDir = path.join(work, "ca-summary");
    const ran = run("bash", ["-e", "-o", "pipefail", "-c", step.run], {
      cwd: project.dir,
      timeoutMs: 600000,
      env: {
        ...engineEnv(),
        STACK: "cluster-b",
        SUMMARY_DIR: summaryDir,
        GITHUB_STEP_SUMMARY: path.join(work, "step-summary.md"),
      },
    });
    expect({ code: ran.code, err: ran.code === 0 ? "" : plain(ran.stdout + ran.stderr).slice(-4000) }).toEqual({
      code: 0,
      err: "",
    });
    const md = fs.readFileSync(path.join(summaryDir, "summary.md"), "utf8");
    expect(fs.readFileSync(path.join(work, "step-summary.md"), "utf8")).toBe(md);
    const bundle = cacerts("cluster-a")["root-cert.pem"];
    expect(md).toContain("### Stack `cluster-b` (cluster stack following `organization/istio-mesh-ca/root`)");
    expect(md).toContain(
      "- CA lifecycle: dual (rootGeneration 1, intermediateGeneration 2) → cutover (rootGeneration 1, intermediateGeneration 2)",
    );
    expect(md).toContain("- `cacerts`: updated (ca-cert.pem, ca-key.pem, cert-chain.pem)");
    expect(md).toContain("- istiod: no restart (it reloads the rewritten cacerts by itself)");
    expect(md).toContain(
      `unchanged: O=Istio, CN=Root CA \`${fingerprints(bundle)[0].slice(0, 23)}…\` + O=Istio, CN=Root CA 2 \`${fingerprints(bundle)[1].slice(0, 23)}…\``,
    );
    // The policy pack ran (its events came through --event-log), and nothing in this stack violates it.
    expect(md).not.toContain("not in `pulumi preview --json`");
    expect(md).toContain("Policy violations: none");

    const refused = await rotate(["resume", "--stack", "root"]);
    expect(refused.code).toBe(1);
    expect(plain(refused.stderr)).toMatch(
      /refusing to start:\n {2}- stack cluster-b: locked by .*\(pid \d+, not running\)/,
    );
    expect(plain(refused.stderr)).toContain("run `rotate resume --recover`");
    const resumed = await rotate(["resume", "--stack", "root", "--recover", "--gate-timeout", "120s"]);
    expect({ code: resumed.code, out: resumed.code === 0 ? "" : show(resumed) }).toEqual({ code: 0, out: "" });
    expect(resumed.stdout).toMatch(/\[cluster-b\] recover: lock held by /);
    for (const s of [root, ...Object.values(stacks)]) expect(lifecycle(s)).toMatchObject({ rootPhase: "cutover" });
    for (const c of CLUSTERS) {
      const files = cacerts(c);
      const [, newRoot] = files["root-cert.pem"].match(
        /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g,
      )!;
      expect(new X509Certificate(files["ca-cert.pem"]).checkIssued(new X509Certificate(newRoot))).toBe(true);
    }
    const audit = readAudit(fs.readFileSync(path.join(work, "audit.jsonl"), "utf8"));
    expect(audit.filter((e) => e.event === "recover").map((e) => e.stack)).toEqual(["cluster-b"]);
  });

  it("complete root refuses while a workload predates the cutover; after its restart, finalize and steady everywhere", async () => {
    const early = await rotate(["complete", "root", "--stack", "root"]);
    expect(early.code).toBe(1);
    expect(plain(early.stderr)).toMatch(
      /not yet safe to finalize: .*\n {2}- cluster cluster-a: 1 pod\(s\) started before the cutover written to cacerts at .* may still hold a leaf under the old root: shop\/web; restart them or wait until .* \(TTL 24h\)/,
    );
    expect(lifecycle(root)).toMatchObject({ rootPhase: "cutover" });
    const [oldRoot, newRoot] = fingerprints(cacerts("cluster-a")["root-cert.pem"]);

    // The workload restarted (its pod re-created after the cutover: it asks istiod for a new leaf).
    kc("cluster-a", "delete", "pod", "web", "-n", "shop", "--wait=true");
    createWeb();
    const r = await rotate(["complete", "root", "--stack", "root", "--parallel", "2", "--gate-timeout", "180s"]);
    expect({ code: r.code, out: r.code === 0 ? "" : show(r) }).toEqual({ code: 0, out: "" });
    // The summary of the real preview the conductor ran of root before applying finalize.
    const finMd = summarize([{ stack: "root", digest: conductorPreview("root", "finalize") }]);
    expect(finMd).toContain(
      `O=Istio, CN=Root CA \`${oldRoot.slice(0, 23)}…\` + O=Istio, CN=Root CA 2 \`${newRoot.slice(0, 23)}…\` → O=Istio, CN=Root CA 2 \`${newRoot.slice(0, 23)}…\``,
    );
    for (const s of [root, ...Object.values(stacks)])
      expect(lifecycle(s)).toMatchObject({ rootPhase: "steady", rootGeneration: 2 });
    const cfg = (parse(fs.readFileSync(path.join(project.dir, "Pulumi.root.yaml"), "utf8")) as any).config[
      "istio-mesh-ca:rootCa"
    ];
    expect(cfg.root).toEqual(NEW_ROOT);
    expect(cfg.rotation.newRoot).toBeUndefined();
    for (const c of CLUSTERS) expect(fingerprints(cacerts(c)["root-cert.pem"])).toEqual([newRoot]);
    for (const c of CLUSTERS) {
      const cm = JSON.parse(kc(c, "get", "configmap", "istio-ca-root-cert", "-n", "istio-system", "-o", "json")).data[
        "root-cert.pem"
      ];
      expect(fingerprints(cm)).toEqual([newRoot]);
    }
    // Rolled at dual and at finalize only (the intermediate, cutover and steady keep its pod template).
    expect(istiods.get("cluster-a")!.rollouts.length).toBe(2);
    const mdFin = summarize([{ stack: "cluster-a", digest: conductorPreview("cluster-a", "finalize") }]);
    expect(mdFin).toMatch(
      /- istiod \*\*restarts\*\* \(its pod template changes\): env ISTIO_MULTIROOT_MESH removed; pod annotation istio-mesh-ca\/root-bundle-sha256 /,
    );
    const mdSteady = summarize([{ stack: "root", digest: conductorPreview("root", "steady") }]);
    expect(mdSteady).toContain(`| ➖ delete | root | O=Istio, CN=Root CA | \`${oldRoot}\` |`);
    // Converged: a clean preview everywhere (the three at once).
    const clean = await Promise.all(
      [root, ...Object.values(stacks)].map(
        (s) =>
          new Promise<[string, number]>((resolve) => {
            const p = spawn(
              "pulumi",
              ["preview", "--expect-no-changes", "--stack", s.name, "--cwd", project.dir, "--non-interactive"],
              { cwd: project.dir, stdio: "ignore", env: { ...process.env, ...engineEnv() } },
            );
            p.on("exit", (code) => resolve([s.name, code ?? -1]));
          }),
      ),
    );
    expect(clean).toEqual([
      ["root", 0],
      ["cluster-a", 0],
      ["cluster-b", 0],
    ]);
    const status = await rotate(["status", "--stack", "root"]);
    expect(status.stdout).toContain(
      "next: every stack at steady (rootGeneration 2, intermediateGeneration 2): no rotation in progress",
    );
  });
});
