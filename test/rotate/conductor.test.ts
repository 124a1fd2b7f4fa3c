import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { AuditLog, readAudit } from "../../scripts/rotate/audit";
import { Conductor, EngineApi, Stop } from "../../scripts/rotate/conductor";
import { ConfigChange, StackState } from "../../scripts/rotate/engine";
import { FORCE_RISK } from "../../scripts/rotate/gates";
import { KubeFound, KubeReader } from "../../scripts/rotate/kube";
import { KubeKinds, Pod } from "../../scripts/rotate/kubeTypes";
import { StackConfig } from "../../scripts/rotate/layout";
import { Position } from "../../scripts/rotate/model";
import { PreviewDigest, PreviewStep } from "../../scripts/rotate/previewModel";
import { configPosition } from "../../scripts/rotate/steps";
import { TestCas, makeCas } from "./certs";

/**
 * The conductor's order of work, refusals and recovery, against a stand-in for the engine (stacks
 * whose applied position follows their config on `up`, as the program's lifecycle does) and for the
 * clusters' API servers (cacerts follows the cluster stack's position; istio-ca-root-cert follows it
 * only while that cluster's "istiod" runs). The real engine and clusters: test/e2e/rotationConductor.test.ts.
 */

const KEY = "istio-mesh-ca:rootCa";
const b64 = (s: string) => Buffer.from(s).toString("base64");

class World {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "rotate-conductor-"));
  config: Record<string, StackConfig> = {};
  applied: Record<string, Position> = {};
  calls: string[] = [];
  locks: Record<string, string | undefined> = {};
  driftAtRest: Record<string, PreviewStep[]> = {};
  istiod: Record<string, boolean> = { a: true, b: true };
  cacertsTime: Record<string, string> = { a: "2026-01-01T00:00:00Z", b: "2026-01-01T00:00:00Z" };
  pods: Pod[] = [];

  constructor(readonly cas: TestCas) {
    fs.writeFileSync(path.join(this.dir, "Pulumi.yaml"), "name: p\nruntime: nodejs\n");
    const root = {
      [KEY]: {
        clusters: [{ name: "a" }, { name: "b" }],
        rotation: { rootPhase: "steady", rootGeneration: 1, intermediateGeneration: 1 },
      },
    };
    const follower = (c: string) => ({
      "istio-mesh-ca:clusters": [{ name: c }],
      "istio-mesh-ca:ca": {
        backend: "selfSigned",
        intermediateSource: { kind: "rootStack", stack: "organization/p/root" },
      },
    });
    this.config = { root, a: follower("a"), b: follower("b") };
    for (const [n, c] of Object.entries(this.config))
      fs.writeFileSync(path.join(this.dir, `Pulumi.${n}.yaml`), stringify({ config: c }));
    for (const n of ["root", "a", "b"])
      this.applied[n] = { rootPhase: "steady", rootGeneration: 1, intermediateGeneration: 1 };
  }

  /** The roots trusted at a position (generation 1 = root1, 2 = root2). */
  roots(p: Position): string[] {
    const pem = (g: number) => (g === 1 ? this.cas.root1 : this.cas.root2);
    const g = p.rootGeneration;
    return p.rootPhase === "steady" ? [pem(g)] : p.rootPhase === "finalize" ? [pem(g + 1)] : [pem(g), pem(g + 1)];
  }

  engine(): EngineApi {
    const state = async (name: string): Promise<StackState> => ({
      lifecycle: this.applied[name],
      outputs:
        name === "root"
          ? {
              rootCerts: this.roots(this.applied.root),
              intermediates: { a: { intermediateCert: this.cas.inter1 }, b: { intermediateCert: this.cas.inter1 } },
              caLifecycle: this.applied.root,
            }
          : {},
      pending: [],
      resources: [],
    });
    return {
      projectDir: this.dir,
      stackNames: async () => ["root", "a", "b"],
      config: async (name) => JSON.parse(JSON.stringify(this.config[name])),
      state,
      resources: async () => ({ pending: [], resources: [] }),
      preview: async (name, o = {}): Promise<PreviewDigest> => {
        this.calls.push(
          `preview ${name}${o.changes?.length ? ` ${o.changes.map((c) => (c.op === "set" ? `${c.key.split(".").pop()}=${c.value}` : `rm ${c.key}`)).join(",")}` : ""}`,
        );
        return {
          steps:
            o.changes?.length || (name !== "root" && !samePos(this.applied[name], this.applied.root))
              ? []
              : (this.driftAtRest[name] ?? []),
        };
      },
      setConfig: async (name, changes: readonly ConfigChange[]) => {
        for (const c of changes) {
          const parts = c.key.split(".");
          let at = this.config[name];
          for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
          if (c.op === "set") at[parts[parts.length - 1]] = c.value;
          else delete at[parts[parts.length - 1]];
        }
      },
      up: async (name, o = {}) => {
        this.calls.push(`up ${name}${o.env ? ` ${Object.keys(o.env).join(",")}` : ""}`);
        this.applied[name] = name === "root" ? configPosition(this.config.root[KEY]) : this.applied.root;
        if (name !== "root") this.cacertsTime[name] = "2026-01-02T00:00:00Z";
        return [];
      },
      lock: async (name) => this.locks[name],
      recover: async (name) => {
        this.calls.push(`recover ${name}`);
        this.locks[name] = undefined;
      },
    };
  }

  kube(cluster: string): KubeReader {
    const roots = () => this.roots(this.applied[cluster]).join("");
    // What `get` finds by name, per kind: cacerts, istio-ca-root-cert, and istiod's Deployment under any name.
    const byName = (name: string, ns?: string): { [K in keyof KubeKinds]?: KubeKinds[K] } => ({
      ...(name === "cacerts"
        ? {
            secret: {
              data: { "root-cert.pem": b64(roots()), "ca-cert.pem": b64(this.cas.inter1) },
              metadata: { managedFields: [{ time: this.cacertsTime[cluster] }] },
            },
          }
        : {}),
      // istiod publishes the roots it loaded; a stopped istiod leaves what it wrote last (generation 1's).
      ...(name === "istio-ca-root-cert"
        ? {
            configmap: {
              metadata: { namespace: ns },
              data: { "root-cert.pem": this.istiod[cluster] ? roots() : this.cas.root1 },
            },
          }
        : {}),
      deployment: {
        metadata: { generation: 2 },
        spec: { replicas: 1 },
        status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
      },
    });
    // What `list` finds, per kind (pods in cluster a only).
    const lists = (namespace?: string): { [K in keyof KubeKinds]?: KubeKinds[K][] } => ({
      namespaces: [
        { metadata: { name: "istio-system" } },
        { metadata: { name: "shop", labels: { "istio-injection": "enabled" } } },
      ],
      pods: cluster === "a" ? this.pods.filter((p) => p.metadata?.namespace === namespace) : [],
    });
    return {
      get: async (kind, name, ns) => byName(name, ns)[kind],
      getMany: async (ns, refs) => {
        this.calls.push(`kube ${cluster} getMany ${ns} ${refs.map((r) => `${r.kind}/${r.name}`).join(" ")}`);
        const found = refs.map((r) => ({ ...r, obj: byName(r.name, ns)[r.kind] }));
        return ((kind: string, name: string) =>
          found.find((f) => f.kind === kind && f.name === name)?.obj) as KubeFound;
      },
      list: async (kind, o = {}) => lists(o.namespace)[kind] ?? [],
      close: () => undefined,
    };
  }
}

const samePos = (a: Position, b: Position) => JSON.stringify(a) === JSON.stringify(b);

describe("the conductor's order of work, refusals and recovery", () => {
  let cas: TestCas;
  beforeAll(() => {
    cas = makeCas();
  });

  const conductor = (w: World, o: { force?: boolean; recover?: boolean; out?: string[]; now?: string } = {}) => {
    const audit = new AuditLog(path.join(w.dir, "audit.jsonl"), "test");
    return new Conductor({
      engine: w.engine(),
      selection: { stack: "root" },
      parallel: 2,
      gateTimeoutMs: 60,
      pollMs: 5,
      workloadTtlMs: 24 * 3600e3,
      force: !!o.force,
      recover: !!o.recover,
      signal: new AbortController().signal,
      out: (l) => o.out?.push(l),
      audit,
      kube: (t) => w.kube(t.context!),
      now: () => new Date(o.now ?? "2026-01-02T01:00:00Z"),
    });
  };
  // The fake clusters are named by context: give the followers' clusters contexts a and b.
  const world = () => {
    const w = new World(cas);
    for (const c of ["a", "b"]) w.config[c]["istio-mesh-ca:clusters"] = [{ name: c, kubeContext: c }];
    return w;
  };
  const audit = (w: World) => readAudit(fs.readFileSync(path.join(w.dir, "audit.jsonl"), "utf8"));

  it("start root: dual then cutover, the root stack before its cluster stacks, every gate held in between", async () => {
    const w = world();
    await conductor(w).start("start", "root");
    const ups = w.calls.filter((c) => c.startsWith("up"));
    expect([ups[0], ups[3]]).toEqual(["up root", "up root"]);
    expect(ups.slice(1, 3).sort()).toEqual(["up a", "up b"]);
    expect(w.calls).toContain("preview root rootPhase=dual");
    expect(w.calls).toContain("preview root rootPhase=cutover");
    expect(Object.values(w.applied).every((p) => p.rootPhase === "cutover")).toBe(true);
    const gates = audit(w).filter((e) => e.event === "gates");
    expect(gates.map((e) => e.step)).toEqual([
      "at steady (rootGeneration 1, intermediateGeneration 1), before dual",
      "after dual",
      "after cutover",
    ]);
    expect(gates.flatMap((e) => e.gates!).every((g) => g.holds)).toBe(true);
    // Each evaluation reads istiod's namespace in one request per cluster: before dual and after it
    // (dual rolls istiod), then after cutover (no rollout: no Deployment read).
    expect(w.calls.filter((c) => c.startsWith("kube a"))).toEqual([
      "kube a getMany istio-system secret/cacerts deployment/istiod configmap/istio-ca-root-cert",
      "kube a getMany istio-system secret/cacerts deployment/istiod configmap/istio-ca-root-cert",
      "kube a getMany istio-system secret/cacerts configmap/istio-ca-root-cert",
    ]);
  });

  it("refuses to start on drift in a cluster stack at rest, naming the URN; no config is changed, nothing applied", async () => {
    const w = world();
    w.driftAtRest.b = [
      { op: "update", urn: "urn:pulumi:b::p::kubernetes:security.istio.io/v1:PeerAuthentication::b-mtls" },
    ];
    const before = JSON.stringify(w.config);
    await expect(conductor(w).start("start", "intermediate")).rejects.toThrow(
      "  - b: update urn:pulumi:b::p::kubernetes:security.istio.io/v1:PeerAuthentication::b-mtls",
    );
    expect(JSON.stringify(w.config)).toBe(before);
    expect(w.calls.filter((c) => c.startsWith("up"))).toEqual([]);
  });

  it("a gate that never holds (cluster b's istiod stopped): stops after dual naming cluster b; cutover is not started", async () => {
    const w = world();
    w.istiod.b = false;
    const e = await conductor(w)
      .start("start", "root")
      .catch((x) => x);
    expect(e).toBeInstanceOf(Stop);
    expect(e.code).toBe("gate-timeout");
    expect(e.message).toMatch(
      /the gates after dual did not hold within 0s; nothing further was applied:\n {2}- istio-ca-root-cert on cluster b \(stack b\): cluster b: .*lacks "O=Istio, CN=Root CA 2"/,
    );
    expect(e.message).not.toMatch(/on cluster a/);
    expect(w.calls).not.toContain("preview root rootPhase=cutover");
    expect(configPosition(w.config.root[KEY]).rootPhase).toBe("dual");
  });

  it("a lock refuses, naming the stack and --recover; resume --recover releases it, adopts with PULUMI_K8S_ENABLE_PATCH_FORCE, converges", async () => {
    const w = world();
    await conductor(w).start("start", "root");
    // As a run killed during cluster b's cutover leaves it: b still at dual, its lock held.
    w.applied.b = { ...w.applied.b, rootPhase: "dual" };
    w.locks.b = "ci@runner (pid 42, not running) since 2026-01-01";
    await expect(conductor(w).resume()).rejects.toThrow(
      /stack b: locked by ci@runner \(pid 42, not running\)[\s\S]*rotate resume --recover/,
    );
    w.calls = [];
    await conductor(w, { recover: true }).resume();
    expect(w.calls.filter((c) => /^(up|recover)/.test(c))).toEqual([
      "recover b",
      "up b PULUMI_K8S_ENABLE_PATCH_FORCE",
      "up b",
    ]);
    expect(w.applied.b.rootPhase).toBe("cutover");
    expect(
      audit(w)
        .filter((e) => e.event === "recover")
        .map((e) => e.stack),
    ).toEqual(["b"]);
  });

  it("complete root: a pod older than the cutover refuses finalize; --force prints the risk, records it, and completes to steady", async () => {
    const w = world();
    await conductor(w).start("start", "root");
    w.pods = [{ metadata: { namespace: "shop", name: "web-1", creationTimestamp: "2026-01-01T12:00:00Z" } }];
    await expect(conductor(w).start("complete", "root")).rejects.toThrow(
      /not yet safe to finalize[\s\S]*cluster a: 1 pod\(s\) started before the cutover .* shop\/web-1; restart them or wait until 2026-01-03T00:00:00.000Z/,
    );
    expect(w.applied.root.rootPhase).toBe("cutover");
    const out: string[] = [];
    await conductor(w, { force: true, out }).start("complete", "root");
    expect(out).toContain(`WARNING ${FORCE_RISK}`);
    expect(audit(w).filter((e) => e.event === "force")).toHaveLength(1);
    expect(Object.values(w.applied)).toEqual(
      [1, 2, 3].map(() => ({ rootPhase: "steady", rootGeneration: 2, intermediateGeneration: 1 })),
    );
  });
});
