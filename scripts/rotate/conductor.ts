import * as fs from "fs";
import * as path from "path";
import { AuditLog } from "./audit";
import { ConfigChange, Engine, StackState, describeChange } from "./engine";
import {
  CertId,
  ExpectedMaterial,
  FORCE_RISK,
  GateName,
  GateResult,
  bundleIds,
  cacertsGate,
  injectedNamespaces,
  istiodName,
  lastWritten,
  rolloutGate,
  rootCertGate,
  workloadLeavesGate,
} from "./gates";
import { KubeReader } from "./kube";
import type { ConfigMap } from "./kubeTypes";
import { ClusterTarget, KubeTarget, StackLayout, classify, readProjectStackFiles, selectRotation } from "./layout";
import {
  Position,
  RotationKind,
  Stage,
  commandStages,
  describePosition,
  position,
  progress,
  samePosition,
  stageBetween,
} from "./model";
import { PreviewDigest, changingSteps, describeSteps, driftOf } from "./previewModel";
import { Expected, configPosition, followerExpectations, ownerConfigChanges, ownerExpectations } from "./steps";

/**
 * The conductor: runs a rotation's stages across the stacks (the owner of the root first, then its
 * cluster stacks, `parallel` at a time), refusing to start on a lock, pending operations, drift or
 * gates that do not hold, and waiting after every stage for the gates of every cluster. It stops at
 * the first failure with every stack in a known position; `status` and `resume` read that position
 * from the stacks again.
 */

/** What the conductor uses of the engine (engine.ts; a test may stand in for it). */
export type EngineApi = Pick<
  Engine,
  "projectDir" | "stackNames" | "config" | "state" | "resources" | "preview" | "setConfig" | "up" | "lock" | "recover"
>;

export interface ConductorOptions {
  readonly engine: EngineApi;
  readonly selection: { stack?: string; stacks?: string[] };
  readonly parallel: number;
  readonly gateTimeoutMs: number;
  readonly pollMs: number;
  /** The workload certificate TTL the finalize gate waits for (24h by default). */
  readonly workloadTtlMs: number;
  readonly force: boolean;
  /** `resume --recover`: release locks and clear pending operations a killed run left behind. */
  readonly recover: boolean;
  readonly signal: AbortSignal;
  readonly out: (line: string) => void;
  readonly audit: AuditLog;
  /** Where to keep the preview JSON of each step (`<stack>-<step>.json`), if anywhere. */
  readonly previewDir?: string;
  readonly kube: (t: KubeTarget) => KubeReader;
  readonly now?: () => Date;
}

/** A refusal or failure that leaves every stack in a known position; the CLI prints it and `status`. */
export class Stop extends Error {
  constructor(
    message: string,
    readonly code: "refused" | "gate-timeout" | "failed" | "interrupted" = "refused",
  ) {
    super(message);
  }
}

interface Rotation {
  readonly owner: StackLayout & { configKey: string };
  readonly followers: readonly StackLayout[];
  /** Every cluster the gates read: the followers' (root stack layout) or the owner's (single stack). */
  readonly clusters: readonly ClusterTarget[];
}

const lifecycleConfigKey = (l: StackLayout): string =>
  l.role.kind === "rootStack" || l.role.kind === "single" ? l.role.configKey : "";

/** Reads a nested config key (`istio-mesh-ca:rootCa` → that object). */
const configAt = (config: Record<string, unknown>, key: string): unknown => config[key];

/**
 * The plain outputs `expected` reads of the stack that owns the root (secret ones are absent): a root
 * CA stack's (stacks/rootCa.ts, RootCaOutputs: rootCerts, intermediates) or a single stack's
 * (stacks/mesh.ts, clusters: ClusterOutputs). Optional throughout: the state is whatever the last
 * deployment recorded.
 */
interface OwnerOutputs {
  readonly rootCerts?: string[];
  readonly intermediates?: Record<string, { readonly intermediateCert?: string } | undefined>;
  readonly clusters?: Record<
    string,
    { readonly rootCertBundle?: string; readonly intermediateCert?: string } | undefined
  >;
}

export class Conductor {
  private rotation?: Rotation;
  private readonly recovered = new Set<string>();

  constructor(private readonly o: ConductorOptions) {}

  private get now(): Date {
    return (this.o.now ?? (() => new Date()))();
  }

  private say(line: string): void {
    this.o.out(line);
  }

  private checkAbort(): void {
    if (this.o.signal.aborted)
      throw new Stop(
        "interrupted (Ctrl-C): nothing further was started; every stack is in the position its last completed `pulumi up` recorded",
        "interrupted",
      );
  }

  /** The stacks of this rotation, classified from their config. */
  async load(): Promise<Rotation> {
    if (this.rotation) return this.rotation;
    const { project, stacks } = readProjectStackFiles(this.o.engine.projectDir);
    const existing = new Set(await this.o.engine.stackNames());
    const layouts = Object.entries(stacks)
      .filter(([name]) => existing.has(name))
      .map(([name, cfg]) => classify(name, cfg));
    const chosen = selectRotation(project, layouts, this.o.selection);
    // Per selected stack, the config as the engine sees it (secrets decrypted: a kubeconfig may be one).
    const full = async (l: StackLayout) => classify(l.stack, await this.o.engine.config(l.stack));
    const owner = await full(chosen.owner);
    const followers = await Promise.all(chosen.followers.map(full));
    this.rotation = {
      owner: { ...owner, configKey: lifecycleConfigKey(owner) },
      followers,
      clusters: owner.role.kind === "single" ? owner.clusters : followers.flatMap((f) => f.clusters),
    };
    return this.rotation;
  }

  private allStacks(r: Rotation): string[] {
    return [r.owner.stack, ...r.followers.map((f) => f.stack)];
  }

  private async states(r: Rotation): Promise<Map<string, StackState>> {
    const names = this.allStacks(r);
    const states = await Promise.all(names.map((n) => this.o.engine.state(n)));
    return new Map(names.map((n, i) => [n, states[i]]));
  }

  private ownerAt(r: Rotation, states: Map<string, StackState>): Position {
    const s = states.get(r.owner.stack)!;
    if (!s.lifecycle)
      throw new Stop(
        `stack ${r.owner.stack} has no caLifecycle output: deploy it once (pulumi up -s ${r.owner.stack}) before rotating`,
      );
    return position(s.lifecycle);
  }

  private standing(r: Rotation, states: Map<string, StackState>) {
    return {
      owner: { stack: r.owner.stack, at: this.ownerAt(r, states) },
      followers: r.followers.map((f) => {
        const l = states.get(f.stack)!.lifecycle;
        return { stack: f.stack, ...(l ? { at: position(l) } : {}) };
      }),
    };
  }

  /** The material each cluster must hold once the owner's current outputs are applied. */
  private expected(r: Rotation, ownerState: StackState): Map<string, ExpectedMaterial> {
    const out = new Map<string, ExpectedMaterial>();
    const o = ownerState.outputs as OwnerOutputs;
    for (const t of r.clusters) {
      if (r.owner.role.kind === "rootStack") {
        const roots = (Array.isArray(o.rootCerts) ? o.rootCerts : []).flatMap((p: string) => bundleIds(p));
        const inter = o.intermediates?.[t.cluster]?.intermediateCert;
        out.set(t.cluster, { roots, ...(inter ? { intermediate: bundleIds(inter)[0] } : {}) });
      } else {
        const c = o.clusters?.[t.cluster] ?? {};
        out.set(t.cluster, {
          roots: bundleIds(c.rootCertBundle),
          ...(c.intermediateCert ? { intermediate: bundleIds(c.intermediateCert)[0] } : {}),
        });
      }
    }
    return out;
  }

  /** One read of the gates of every cluster. */
  async evaluate(
    targets: readonly ClusterTarget[],
    expected: Map<string, ExpectedMaterial>,
    gates: readonly GateName[],
  ): Promise<GateResult[]> {
    const per = await Promise.all(
      targets.map(async (t) => {
        const kube = this.o.kube(t.kube);
        try {
          const exp = expected.get(t.cluster) ?? { roots: [] };
          const out: GateResult[] = [];
          const wantSecret = gates.includes("cacerts") || gates.includes("workload-leaves");
          const wantDeployment = gates.includes("istiod-rollout") && !t.skipAwait;
          const wantRootCert = gates.includes("istio-ca-root-cert");
          // What the gates read in istiod's namespace, in one request (each kubectl run is ≈ 0.2 s of CPU),
          // beside the namespace list.
          const [found, nsList] = await Promise.all([
            kube.getMany(t.istioNamespace, [
              ...(wantSecret ? [{ kind: "secret", name: "cacerts" } as const] : []),
              ...(wantDeployment ? [{ kind: "deployment", name: istiodName(t.revision) } as const] : []),
              ...(wantRootCert ? [{ kind: "configmap", name: "istio-ca-root-cert" } as const] : []),
            ]),
            wantRootCert || gates.includes("workload-leaves") ? kube.list("namespaces") : Promise.resolve([]),
          ]);
          const secret = wantSecret ? found("secret", "cacerts") : undefined;
          const deployment = wantDeployment ? found("deployment", istiodName(t.revision)) : undefined;
          const injected = injectedNamespaces(t, nsList);
          if (gates.includes("cacerts")) out.push(cacertsGate(t, secret, exp));
          if (gates.includes("istiod-rollout")) out.push(rolloutGate(t, deployment));
          if (wantRootCert) {
            const nss = [...new Set([t.istioNamespace, ...injected])];
            const cms: Record<string, ConfigMap | undefined> = {
              [t.istioNamespace]: found("configmap", "istio-ca-root-cert"),
            };
            const others = nss.filter((ns) => ns !== t.istioNamespace);
            const elsewhere = await Promise.all(others.map((ns) => kube.get("configmap", "istio-ca-root-cert", ns)));
            others.forEach((ns, i) => (cms[ns] = elsewhere[i]));
            out.push(rootCertGate(t, nss, cms, exp.roots));
          }
          if (gates.includes("workload-leaves")) {
            const pods = (await Promise.all(injected.map((ns) => kube.list("pods", { namespace: ns })))).flat();
            out.push(
              workloadLeavesGate(t, {
                cutoverAt: lastWritten(secret),
                now: this.now,
                ttlMs: this.o.workloadTtlMs,
                pods,
                namespaces: injected,
              }),
            );
          }
          return out;
        } catch (e) {
          return gates.map((g): GateResult => ({
            gate: g,
            stack: t.stack,
            cluster: t.cluster,
            holds: false,
            detail: `cluster ${t.cluster}: cannot read its API server: ${(e as Error).message}`,
          }));
        } finally {
          kube.close();
        }
      }),
    );
    return per.flat();
  }

  /** Polls the gates until all hold or the timeout passes; prints each gate when its state changes. */
  async waitGates(
    step: string,
    targets: readonly ClusterTarget[],
    expected: Map<string, ExpectedMaterial>,
    gates: readonly GateName[],
  ): Promise<GateResult[]> {
    if (targets.length === 0) return [];
    const deadline = Date.now() + this.o.gateTimeoutMs;
    const seen = new Map<string, string>();
    for (;;) {
      this.checkAbort();
      const results = await this.evaluate(targets, expected, gates);
      for (const g of results) {
        const key = `${g.cluster}/${g.gate}`;
        const line = `${g.holds ? (g.notChecked ? "not checked" : "holds") : "waiting"}: ${g.detail}`;
        if (seen.get(key) !== line) {
          this.say(`  gate ${g.gate} [${g.stack}] ${line}`);
          seen.set(key, line);
        }
      }
      const failing = results.filter((g) => !g.holds);
      if (failing.length === 0) {
        this.o.audit.write({ event: "gates", step, gates: results });
        return results;
      }
      if (Date.now() >= deadline) {
        this.o.audit.write({ event: "gates", step, gates: results, message: "timeout" });
        throw new Stop(
          `the gates ${step} did not hold within ${Math.round(this.o.gateTimeoutMs / 1000)}s; nothing further was applied:\n${failing.map((g) => `  - ${g.gate} on cluster ${g.cluster} (stack ${g.stack}): ${g.detail}`).join("\n")}`,
          "gate-timeout",
        );
      }
      await sleep(this.o.pollMs, this.o.signal);
    }
  }

  /** Refuses when a stack is locked or has pending operations (unless recovering them). */
  private async checkLocks(r: Rotation): Promise<void> {
    const problems: string[] = [];
    for (const name of this.allStacks(r)) {
      const lock = await this.o.engine.lock(name);
      const { pending } = await this.o.engine.resources(name);
      if (!lock && pending.length === 0) continue;
      if (this.o.recover) {
        this.say(
          `[${name}] recover: ${lock ? `lock held by ${lock}; ` : ""}${pending.length} pending operation(s): pulumi cancel, then refresh --clear-pending-creates`,
        );
        await this.o.engine.recover(name);
        this.recovered.add(name);
        this.o.audit.write({
          event: "recover",
          stack: name,
          changedUrns: pending.map((p) => p.urn),
          message: lock ? `lock: ${lock}` : undefined,
        });
        continue;
      }
      problems.push(
        `stack ${name}: ${[lock ? `locked by ${lock}` : "", pending.length ? `${pending.length} pending operation(s) from an interrupted update: ${pending.map((p) => `${p.type} ${p.urn}`).join(", ")}` : ""].filter(Boolean).join("; ")}`,
      );
    }
    if (problems.length > 0) {
      throw new Stop(
        `refusing to start:\n${problems.map((p) => `  - ${p}`).join("\n")}\nIf no other pulumi run is using these stacks (a killed run left this), run \`rotate resume --recover\`: it cancels the lock and clears the pending operations (pulumi cancel; pulumi refresh --clear-pending-creates), then adopts what the killed run created (docs/e2e.md, "Recovering from an interrupted pulumi up").`,
      );
    }
  }

  private savePreview(stack: string, step: string, digest: PreviewDigest): void {
    if (!this.o.previewDir) return;
    fs.mkdirSync(this.o.previewDir, { recursive: true });
    fs.writeFileSync(path.join(this.o.previewDir, `${stack}-${step}.json`), JSON.stringify(digest, null, 2));
  }

  /** Preview (drift check), then up, of one stack for a stage; verifies the recorded position. */
  private async apply(
    stack: string,
    stage: Stage | undefined,
    changes: readonly ConfigChange[],
    step: string,
    expectAt: Position,
  ): Promise<void> {
    this.checkAbort();
    const digest = await this.o.engine.preview(stack, { changes, signal: this.o.signal });
    this.savePreview(stack, step, digest);
    const drift = driftOf(digest, stage);
    const planned = describeSteps(changingSteps(digest));
    this.o.audit.write({ event: "preview", stack, step, changedUrns: planned });
    if (drift.length > 0) {
      this.o.audit.write({
        event: "refused",
        stack,
        step,
        changedUrns: describeSteps(drift),
        message: "changes unrelated to the rotation",
      });
      throw new Stop(
        `stack ${stack}: the preview of ${step} shows changes unrelated to the rotation (drift); nothing was applied to ${stack}:\n${describeSteps(
          drift,
        )
          .map((d) => `  - ${d}`)
          .join(
            "\n",
          )}\nReview them with \`pulumi preview -s ${stack} --diff\` and apply or revert them, then run the rotation again.`,
      );
    }
    for (const p of planned) this.say(`  [${stack}] ${p}`);
    if (changes.length > 0) {
      await this.o.engine.setConfig(stack, changes);
      this.o.audit.write({ event: "config", stack, step, config: changes.map(describeChange) });
      this.say(`  [${stack}] config: ${changes.map(describeChange).join(", ")}`);
    }
    this.checkAbort();
    this.say(`  [${stack}] pulumi up (${step})`);
    let applied;
    try {
      if (this.recovered.has(stack)) {
        // Adopt what the killed run created but never recorded, then drop the force it recorded (docs/e2e.md).
        await this.o.engine.up(stack, { signal: this.o.signal, env: { PULUMI_K8S_ENABLE_PATCH_FORCE: "true" } });
        this.recovered.delete(stack);
      }
      applied = await this.o.engine.up(stack, { signal: this.o.signal });
    } catch (e) {
      if (this.o.signal.aborted)
        throw new Stop(
          `interrupted during pulumi up of ${stack} (${step}): the engine finished its operations in flight and saved the state; \`rotate status\` shows where each stack is`,
          "interrupted",
        );
      this.o.audit.write({ event: "failed", stack, step, message: (e as Error).message.slice(0, 4000) });
      throw new Stop(
        `pulumi up -s ${stack} (${step}) failed; later stacks were not touched:\n${(e as Error).message.slice(0, 4000)}`,
        "failed",
      );
    }
    this.o.audit.write({ event: "up", stack, step, changedUrns: applied.map((a) => `${a.op} ${a.urn}`) });
    const after = await this.o.engine.state(stack);
    if (!after.lifecycle || !samePosition(position(after.lifecycle), expectAt)) {
      throw new Stop(
        `stack ${stack}: after pulumi up its caLifecycle output is ${after.lifecycle ? describePosition(position(after.lifecycle)) : "missing"}, expected ${describePosition(expectAt)}`,
        "failed",
      );
    }
  }

  /** Brings followers that are one step behind the owner to its position, `parallel` at a time. */
  private async followersTo(r: Rotation, stage: Stage, states: Map<string, StackState>): Promise<void> {
    const todo = r.followers.filter((f) => {
      const l = states.get(f.stack)!.lifecycle;
      return !l || !samePosition(position(l), stage.to);
    });
    const queue = [...todo];
    const errors: Error[] = [];
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        if (errors.length > 0) return;
        const l = states.get(f.stack)!.lifecycle;
        const own = l ? stageBetween(position(l), stage.to) : "never deployed";
        if (typeof own === "string") {
          errors.push(
            new Stop(
              `stack ${f.stack} cannot follow ${r.owner.stack} to ${describePosition(stage.to)}: ${own}`,
              "failed",
            ),
          );
          return;
        }
        try {
          await this.apply(f.stack, own, [], own.name, stage.to);
        } catch (e) {
          errors.push(e as Error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.o.parallel, todo.length)) }, worker));
    if (errors.length > 0) throw errors[0];
  }

  private postGates(stage: Stage | undefined): GateName[] {
    return stage?.istiodRollout === false
      ? ["cacerts", "istio-ca-root-cert"]
      : ["cacerts", "istiod-rollout", "istio-ca-root-cert"];
  }

  /**
   * Before a step that drops the old root from trust: the workload gate (or --force, with the risk printed and
   * recorded).
   */
  private async workloadGate(r: Rotation, stage: Stage): Promise<void> {
    const leaves = await this.evaluate(r.clusters, new Map(), ["workload-leaves"]);
    for (const g of leaves)
      this.say(`  gate ${g.gate} [${g.stack}] ${g.holds ? "holds" : "does not hold"}: ${g.detail}`);
    this.o.audit.write({ event: "gates", step: `before ${stage.name}`, gates: leaves });
    const failing = leaves.filter((g) => !g.holds);
    if (failing.length === 0) return;
    if (!this.o.force) {
      throw new Stop(
        `not yet safe to ${stage.name}: workloads may still hold leaves under the old root:\n${failing.map((g) => `  - ${g.detail}`).join("\n")}\nRun \`rotate complete root\` again later, or with --force to accept the risk.`,
      );
    }
    this.say(`WARNING ${FORCE_RISK}`);
    this.o.audit.write({ event: "force", step: stage.name, gates: failing, message: FORCE_RISK });
  }

  /** One stage: owner (config, preview, up), followers, then the gates of every cluster. */
  private async runStage(r: Rotation, stage: Stage, leavesChecked = false): Promise<void> {
    this.say(`== ${stage.name}: ${describePosition(stage.from)} → ${describePosition(stage.to)}: ${stage.summary}`);
    let states = await this.states(r);
    const ownerAt = this.ownerAt(r, states);
    if (stage.needsNewLeaves && !leavesChecked && samePosition(ownerAt, stage.from)) await this.workloadGate(r, stage);
    if (samePosition(ownerAt, stage.from)) {
      const cfg = configAt(await this.o.engine.config(r.owner.stack), r.owner.configKey);
      const changes = ownerConfigChanges(stage, r.owner.configKey, cfg);
      await this.apply(r.owner.stack, stage, changes, stage.name, stage.to);
    } else if (!samePosition(ownerAt, stage.to)) {
      throw new Stop(
        `stack ${r.owner.stack} is at ${describePosition(ownerAt)}, neither before nor after ${stage.name}`,
        "failed",
      );
    } else {
      this.say(`  [${r.owner.stack}] already at ${describePosition(stage.to)}`);
    }
    states = await this.states(r);
    await this.followersTo(r, stage, states);
    const ownerState = await this.o.engine.state(r.owner.stack);
    await this.waitGates(`after ${stage.name}`, r.clusters, this.expected(r, ownerState), this.postGates(stage));
  }

  /** Drift at rest: the followers' previews must show nothing (the owner's is checked with its first step). */
  private async preflight(r: Rotation, states: Map<string, StackState>, stage: Stage): Promise<void> {
    await this.checkLocks(r);
    const ownerAt = this.ownerAt(r, states);
    const p = progress(this.standing(r, states));
    if (p.stuck.length > 0 || p.behind.length > 0) throw new Stop(`a rotation is in progress: ${p.next}`);
    const queue = [...r.followers];
    const drift: string[] = [];
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        this.checkAbort();
        const d = await this.o.engine.preview(f.stack, { signal: this.o.signal });
        for (const s of driftOf(d, undefined)) drift.push(`${f.stack}: ${s.op} ${s.urn}`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.o.parallel, r.followers.length)) }, worker));
    if (drift.length > 0) {
      this.o.audit.write({ event: "refused", step: "preflight", changedUrns: drift, message: "drift" });
      throw new Stop(
        `refusing to start ${stage.name}: a preview shows changes unrelated to the rotation (drift):\n${drift.map((d) => `  - ${d}`).join("\n")}\nApply or revert them first.`,
      );
    }
    // The gates of where the rotation stands must hold before it moves on.
    const ownerState = states.get(r.owner.stack)!;
    const current = stageBetween(ownerAt, stage.from);
    await this.waitGates(
      `at ${describePosition(ownerAt)}, before ${stage.name}`,
      r.clusters,
      this.expected(r, ownerState),
      this.postGates(typeof current === "string" ? undefined : current),
    );
  }

  async start(command: "start" | "complete", kind: RotationKind): Promise<void> {
    const r = await this.load();
    let states = await this.states(r);
    const stages = (() => {
      try {
        return commandStages(command, kind, this.ownerAt(r, states));
      } catch (e) {
        throw new Stop((e as Error).message);
      }
    })();
    this.o.audit.write({
      event: "start",
      stack: r.owner.stack,
      message: `${command} ${kind}: ${stages.map((s) => s.name).join(" → ")} on ${this.allStacks(r).join(", ")}`,
    });
    this.say(`${command} ${kind}: ${stages.map((s) => s.name).join(" → ")}; stacks ${this.allStacks(r).join(", ")}`);
    // The workload gate first: it reads the API servers only, and refuses before any preview runs.
    if (stages[0].needsNewLeaves) await this.workloadGate(r, stages[0]);
    await this.preflight(r, states, stages[0]);
    for (const stage of stages) {
      await this.runStage(r, stage, stage === stages[0]);
      states = await this.states(r);
    }
    this.o.audit.write({ event: "done", stack: r.owner.stack, message: progress(this.standing(r, states)).next });
    this.say(`done: ${progress(this.standing(r, states)).next}`);
  }

  /** Continues where the stacks say the rotation stands. */
  async resume(): Promise<void> {
    const r = await this.load();
    // Every stack's state is read (and its caLifecycle parsed) before locks are checked or recovered;
    // read again after, as recovery may change it.
    await this.states(r);
    await this.checkLocks(r);
    let states = await this.states(r);
    const p = progress(this.standing(r, states));
    this.o.audit.write({ event: "start", stack: r.owner.stack, message: `resume: ${p.next}` });
    this.say(`resume: ${p.next}`);
    if (p.stuck.length > 0) throw new Stop(p.next, "failed");
    const ownerAt = this.ownerAt(r, states);
    if (p.behind.length > 0) {
      const stage = p.behind[0].stage;
      this.say(
        `== ${stage.name} (finishing): ${p.behind.map((b) => b.stack).join(", ")} to ${describePosition(ownerAt)}`,
      );
      await this.followersTo(r, stage, states);
      await this.waitGates(
        `after ${stage.name}`,
        r.clusters,
        this.expected(r, await this.o.engine.state(r.owner.stack)),
        this.postGates(stage),
      );
    }
    let remaining = [...p.remaining];
    if (p.behind.length === 0 && remaining.length === 0) {
      // An owner `up` interrupted before it recorded anything: its config asks for the next step.
      const cfgAt = configPosition(configAt(await this.o.engine.config(r.owner.stack), r.owner.configKey));
      const next = samePosition(cfgAt, ownerAt) ? undefined : stageBetween(ownerAt, cfgAt);
      if (next && typeof next !== "string") remaining = [next];
    }
    if (remaining.length > 0) {
      await this.waitGates(
        `at ${describePosition(ownerAt)}, before ${remaining[0].name}`,
        r.clusters,
        this.expected(r, states.get(r.owner.stack)!),
        ["cacerts", "istio-ca-root-cert"],
      );
      for (const stage of remaining) await this.runStage(r, stage);
    }
    states = await this.states(r);
    const done = progress(this.standing(r, states)).next;
    this.o.audit.write({ event: "done", stack: r.owner.stack, message: done });
    this.say(`done: ${done}`);
  }

  /** Where every stack stands, what its config asks for, the gates of the current position, what to do next. */
  async status(): Promise<{ next: string; gates: GateResult[] }> {
    const r = await this.load();
    const states = await this.states(r);
    const standing = this.standing(r, states);
    const p = progress(standing);
    const ownerCfg = configPosition(configAt(await this.o.engine.config(r.owner.stack), r.owner.configKey));
    this.say(`stacks (${r.owner.role.kind === "rootStack" ? "root stack + cluster stacks" : "single stack"}):`);
    for (const name of this.allStacks(r)) {
      const s = { ...states.get(name)!, ...(await this.o.engine.resources(name)) };
      const lock = await this.o.engine.lock(name);
      const bits = [s.lifecycle ? `applied ${describePosition(position(s.lifecycle))}` : "no caLifecycle output"];
      if (name === r.owner.stack && s.lifecycle && !samePosition(ownerCfg, position(s.lifecycle)))
        bits.push(`config in this working copy asks for ${describePosition(ownerCfg)}`);
      if (lock) bits.push(`LOCKED by ${lock}`);
      if (s.pending.length > 0) bits.push(`${s.pending.length} PENDING operation(s)`);
      this.say(`  ${name}${name === r.owner.stack ? " (owns the root)" : ""}: ${bits.join("; ")}`);
    }
    const settled = r.followers.filter((f) => {
      const l = states.get(f.stack)!.lifecycle;
      return l && samePosition(position(l), standing.owner.at);
    });
    const targets =
      r.owner.role.kind === "single" ? r.clusters : r.clusters.filter((c) => settled.some((f) => f.stack === c.stack));
    const gateNames: GateName[] = [
      "cacerts",
      "istiod-rollout",
      "istio-ca-root-cert",
      ...(standing.owner.at.rootPhase === "cutover" ? ["workload-leaves" as GateName] : []),
    ];
    const gates = await this.evaluate(targets, this.expected(r, states.get(r.owner.stack)!), gateNames);
    this.say(`gates at ${describePosition(standing.owner.at)}:`);
    for (const g of gates)
      this.say(
        `  ${g.holds ? (g.notChecked ? "not checked" : "holds") : "DOES NOT HOLD"} ${g.gate} [${g.stack}]: ${g.detail}`,
      );
    const locked =
      (await Promise.all(this.allStacks(r).map((n) => this.o.engine.lock(n)))).some(Boolean) ||
      (await Promise.all(this.allStacks(r).map((n) => this.o.engine.resources(n)))).some((x) => x.pending.length > 0);
    const next = locked
      ? `a stack is locked or has pending operations: \`rotate resume --recover\` once no other pulumi run uses it; then ${p.next}`
      : p.next;
    this.say(`next: ${next}`);
    return { next, gates };
  }

  /**
   * `plan`: every step in order with the config change, the URNs it changes and the gates after it.
   * The first step's owner preview is real (run on a copy of the stack file with the change); later
   * steps and the followers' changes are predicted from the stacks' state, and the conductor checks
   * each against its real preview before applying it. Writes nothing.
   */
  async plan(kind: RotationKind): Promise<PlanStep[]> {
    const r = await this.load();
    const states = await this.states(r);
    const ownerAt = this.ownerAt(r, states);
    const p = progress(this.standing(r, states));
    if (p.behind.length > 0 || p.stuck.length > 0) throw new Stop(`a rotation is in progress: ${p.next}`);
    const stages = (() => {
      try {
        const first = commandStages("start", kind, ownerAt);
        return kind === "root" ? [...first, ...commandStages("complete", "root", first[first.length - 1].to)] : first;
      } catch (e) {
        throw new Stop((e as Error).message);
      }
    })();
    let cfg: unknown = configAt(await this.o.engine.config(r.owner.stack), r.owner.configKey);
    const names = this.allStacks(r);
    const resources = new Map(
      (await Promise.all(names.map((n) => this.o.engine.resources(n)))).map((x, i) => [names[i], x.resources]),
    );
    const out: PlanStep[] = [];
    for (const [i, stage] of stages.entries()) {
      const changes = ownerConfigChanges(stage, r.owner.configKey, cfg);
      let ownerChanges: Expected[];
      let real = false;
      if (i === 0) {
        const digest = await this.o.engine.preview(r.owner.stack, { changes, signal: this.o.signal });
        this.savePreview(r.owner.stack, `plan-${stage.name}`, digest);
        const drift = driftOf(digest, stage);
        if (drift.length > 0)
          throw new Stop(
            `stack ${r.owner.stack}: the preview of ${stage.name} shows changes unrelated to the rotation (drift):\n${describeSteps(
              drift,
            )
              .map((d) => `  - ${d}`)
              .join("\n")}`,
          );
        ownerChanges = changingSteps(digest).map((s) => ({
          op: s.op,
          what: s.urn.split("::").slice(-1)[0],
          urn: s.urn,
        }));
        real = true;
      } else {
        ownerChanges = ownerExpectations(stage, resources.get(r.owner.stack)!);
        if (r.owner.role.kind === "single")
          ownerChanges.push(...followerExpectations(stage, resources.get(r.owner.stack)!));
      }
      cfg = applyToConfig(cfg, changes, r.owner.configKey);
      out.push({
        stage: stage.name,
        summary: stage.summary,
        from: stage.from,
        to: stage.to,
        owner: {
          stack: r.owner.stack,
          config: changes.map(describeChange),
          changes: ownerChanges,
          fromRealPreview: real,
        },
        followers: r.followers.map((f) => ({
          stack: f.stack,
          changes: followerExpectations(stage, resources.get(f.stack)!),
        })),
        gatesBefore: stage.needsNewLeaves ? ["workload-leaves"] : [],
        gatesAfter: this.postGates(stage),
        clusters: r.clusters.map((c) => `${c.cluster} (stack ${c.stack})`),
      });
    }
    return out;
  }
}

export interface PlanStep {
  readonly stage: string;
  readonly summary: string;
  readonly from: Position;
  readonly to: Position;
  readonly owner: {
    readonly stack: string;
    readonly config: readonly string[];
    readonly changes: readonly Expected[];
    readonly fromRealPreview: boolean;
  };
  readonly followers: readonly { readonly stack: string; readonly changes: readonly Expected[] }[];
  readonly gatesBefore: readonly GateName[];
  readonly gatesAfter: readonly GateName[];
  readonly clusters: readonly string[];
}

/** Pure: a lifecycle config object with the changes under `configKey` applied (for planning later steps). */
function applyToConfig(cfg: unknown, changes: readonly ConfigChange[], configKey: string): Record<string, unknown> {
  const out = JSON.parse(JSON.stringify(cfg ?? {})) as Record<string, unknown>;
  for (const c of changes) {
    const parts = c.key.slice(configKey.length + 1).split(".");
    let at = out;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    if (c.op === "set") at[parts[parts.length - 1]] = c.value;
    else delete at[parts[parts.length - 1]];
  }
  return out;
}

/** Renders a plan for people. */
export function renderPlan(steps: readonly PlanStep[]): string {
  const lines: string[] = [];
  steps.forEach((s, i) => {
    lines.push(`${i + 1}. ${s.stage}: ${describePosition(s.from)} → ${describePosition(s.to)}`);
    lines.push(`   ${s.summary}`);
    if (s.gatesBefore.length)
      lines.push(
        `   gate before: ${s.gatesBefore.join(", ")} on ${s.clusters.join(", ")} (--force skips it and prints the risk)`,
      );
    lines.push(
      `   ${s.owner.stack}: config ${s.owner.config.length ? s.owner.config.join(", ") : "(unchanged)"}; ${s.owner.fromRealPreview ? "the real preview" : "predicted"}:`,
    );
    for (const c of s.owner.changes) lines.push(`     ${c.op} ${c.urn ?? c.what}`);
    if (s.owner.changes.length === 0) lines.push("     (no resource changes)");
    for (const f of s.followers) {
      lines.push(
        `   then ${f.stack} (predicted from its state; its real preview runs after ${s.owner.stack} is updated):`,
      );
      for (const c of f.changes) lines.push(`     ${c.op} ${c.urn ?? c.what} (${c.what})`);
      if (f.changes.length === 0) lines.push("     (no resource changes)");
    }
    lines.push(`   gates after: ${s.gatesAfter.join(", ")} on ${s.clusters.join(", ") || "(no cluster)"}`);
  });
  return lines.join("\n");
}

/** Waits `ms`, or less when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export type { CertId };
