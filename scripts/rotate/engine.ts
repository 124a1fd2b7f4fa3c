import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { LifecycleState, parseLifecycleState } from "../../components/ca/lifecycle/phases";
import { StackConfig, parseConfigValues } from "./layout";
import { PreviewDigest, PreviewStep } from "./previewModel";
import { ReadMemo } from "./readMemo";

/**
 * The Pulumi side of the conductor, on the Automation API: one LocalWorkspace over the project
 * directory and its stacks (the `pulumi` CLI on PATH, as the Automation API finds it). What a stack
 * has applied is read from its state (`caLifecycle` and the other outputs, secrets left encrypted);
 * nothing about the rotation is kept anywhere else.
 */

/** A config change of one stack, under its lifecycle key (e.g. `istio-mesh-ca:rootCa`). */
export type ConfigChange =
  | { readonly op: "set"; readonly key: string; readonly value: string | number | boolean }
  | { readonly op: "remove"; readonly key: string };

export const describeChange = (c: ConfigChange): string =>
  c.op === "set" ? `${c.key} = ${JSON.stringify(c.value)}` : `remove ${c.key}`;

/** What a stack's state says. */
export interface StackState {
  /** The `caLifecycle` output of the last deployment (undefined: none). */
  readonly lifecycle?: LifecycleState;
  /** Plain outputs (secret ones absent). */
  readonly outputs: Record<string, unknown>;
  /** Operations a killed update left in flight. */
  readonly pending: readonly { readonly type: string; readonly urn: string }[];
  /** URN and type of every resource (for predicting what a follower's step changes). */
  readonly resources: readonly { readonly urn: string; readonly type: string; readonly id?: string }[];
}

/** Steps an `up` performed (op other than same). */
export interface Applied {
  readonly op: string;
  readonly urn: string;
  readonly type: string;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecret = (v: unknown) =>
  !!v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG] !== undefined;

/**
 * The fields read of `pulumi stack export` JSON. The Automation API types it as `Deployment`
 * (`{ version, deployment: any }`); the engine's schema is apitype.DeploymentV3 (sdk/go/common/apitype/core.go):
 * `resources` are ResourceV3 (urn, type, id, outputs), `pending_operations` OperationV2 (resource, type).
 */
export interface ExportedResource {
  /** Absent in the outputs-only state `Engine.state` builds. */
  readonly urn?: string;
  readonly type: string;
  readonly id?: string;
  /** Plain values; secret ones as `{ [SECRET_SIG]: …, ciphertext }`. */
  readonly outputs?: Record<string, unknown>;
}
export interface ExportedOperation {
  readonly type: string;
  readonly resource?: { readonly urn?: string };
}
export interface ExportedDeployment {
  readonly resources?: readonly ExportedResource[];
  readonly pending_operations?: readonly ExportedOperation[];
}
export interface ExportedStack {
  readonly deployment?: ExportedDeployment;
}

/** Pure: a stack's state from `pulumi stack export` JSON (secrets stay encrypted and are dropped). */
export function stateFromExport(stack: string, exported: ExportedStack | undefined): StackState {
  const d: ExportedDeployment = exported?.deployment ?? {};
  const resources = d.resources ?? [];
  const root = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const outputs = Object.fromEntries(Object.entries<unknown>(root?.outputs ?? {}).filter(([, v]) => !isSecret(v)));
  const raw = outputs.caLifecycle;
  return {
    ...(raw !== undefined ? { lifecycle: parseLifecycleState(raw, `stack ${stack}: output caLifecycle`) } : {}),
    outputs,
    pending: (d.pending_operations ?? []).map((p) => ({ type: String(p.type), urn: String(p.resource?.urn) })),
    resources: resources.map((r) => ({
      urn: String(r.urn),
      type: String(r.type),
      ...(r.id ? { id: String(r.id) } : {}),
    })),
  };
}

/**
 * Pure: engine events (Automation API) in the shape of `pulumi preview --json`, plus the policy events it leaves out.
 */
export function digestFromEvents(events: readonly EngineEvent[]): PreviewDigest {
  const steps = events
    .filter((e) => e.resourcePreEvent)
    .map((e) => {
      const m = e.resourcePreEvent!.metadata;
      return {
        op: m.op,
        urn: m.urn,
        provider: m.provider,
        ...(m.old ? { oldState: m.old } : {}),
        ...(m.new ? { newState: m.new } : {}),
        ...(m.diffs ? { diffReasons: m.diffs } : {}),
        ...(m.keys && /replace/.test(m.op) ? { replaceReasons: m.keys } : {}),
        detailedDiff: m.detailedDiff ?? null,
      } as PreviewStep;
    });
  const diagnostics = events
    .filter((e) => e.diagnosticEvent && !e.diagnosticEvent.ephemeral)
    .map((e) => ({
      ...(e.diagnosticEvent!.urn ? { urn: e.diagnosticEvent!.urn } : {}),
      message: e.diagnosticEvent!.message,
      severity: e.diagnosticEvent!.severity,
    }));
  const prelude = events.find((e) => e.preludeEvent)?.preludeEvent;
  const summary = events.find((e) => e.summaryEvent)?.summaryEvent;
  const policyEvents = events.filter((e) => e.policyEvent).map((e) => e.policyEvent!);
  return {
    ...(prelude ? { config: prelude.config } : {}),
    steps,
    diagnostics,
    ...(summary ? { changeSummary: summary.resourceChanges as Record<string, number> } : {}),
    ...(policyEvents.length ? { policyEvents } : {}),
  };
}

/** Pure: a stack file with config changes applied (for a preview of a step before it is set). */
export function stackFileWith(text: string, changes: readonly ConfigChange[]): string {
  const doc = (parse(text) ?? {}) as { config?: Record<string, unknown> };
  const config = doc.config ?? {};
  for (const c of changes) {
    const [ns, ...rest] = c.key.split(".");
    if (rest.length === 0) {
      if (c.op === "set") config[ns] = c.value;
      else delete config[ns];
      continue;
    }
    let at = (config[ns] ??= {}) as Record<string, unknown>;
    for (const p of rest.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    if (c.op === "set") at[rest[rest.length - 1]] = c.value;
    else delete at[rest[rest.length - 1]];
  }
  return stringify({ ...doc, config });
}

export class Engine {
  private constructor(
    readonly workspace: LocalWorkspace,
    readonly projectDir: string,
    readonly project: string,
  ) {}

  static async open(projectDir: string): Promise<Engine> {
    const workspace = await LocalWorkspace.create({ workDir: projectDir });
    const settings = await workspace.projectSettings();
    return new Engine(workspace, projectDir, settings.name);
  }

  /** Stacks of this project that exist in the backend. */
  async stackNames(): Promise<string[]> {
    return (await this.workspace.listStacks()).map((s) => s.name.split("/").pop()!);
  }

  private stacks = new Map<string, Promise<Stack>>();
  stack(name: string): Promise<Stack> {
    if (!this.stacks.has(name)) this.stacks.set(name, Stack.select(name, this.workspace));
    return this.stacks.get(name)!;
  }

  /**
   * A `pulumi` command in this workspace, run as the Automation API runs its own (same directory,
   * PULUMI_HOME and environment).
   */
  private cli(args: string[]): Promise<string> {
    const ws = this.workspace;
    const env = {
      ...process.env,
      ...(ws.pulumiHome ? { PULUMI_HOME: ws.pulumiHome } : {}),
      ...ws.envVars,
      PULUMI_AUTOMATION_API: "true",
      // As the Automation API does: an absolute CLI's own directory first, for the plugins bundled with it.
      ...(path.isAbsolute(ws.pulumiCommand.command)
        ? { PATH: `${path.dirname(ws.pulumiCommand.command)}${path.delimiter}${ws.envVars.PATH ?? process.env.PATH}` }
        : {}),
    };
    return new Promise((resolve, reject) =>
      execFile(
        ws.pulumiCommand.command,
        [...args, "--non-interactive"],
        { cwd: ws.workDir, env, maxBuffer: 1 << 30 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`pulumi ${args.join(" ")}: ${stderr.trim() || err.message}`)) : resolve(stdout),
      ),
    );
  }

  private readonly memo = new ReadMemo();

  /** A file backend's directory (`file://` URL), else undefined. */
  private async fileBackendDir(): Promise<string | undefined> {
    const url = await this.backendUrl();
    if (!url.startsWith("file://")) return undefined;
    const dir = decodeURIComponent(url.slice("file://".length).split("?")[0]);
    return dir.startsWith("~") ? path.join(os.homedir(), dir.slice(1)) : dir;
  }

  /** Where a file backend keeps the stack's checkpoint (pkg/backend/diy: project layout, then the legacy one). */
  private async checkpointFiles(name: string): Promise<string[] | undefined> {
    const dir = await this.fileBackendDir();
    if (!dir) return undefined;
    const short = name.split("/").pop()!;
    return [path.join(dir, ".pulumi", "stacks", this.project), path.join(dir, ".pulumi", "stacks")].flatMap((d) => [
      path.join(d, `${short}.json`),
      path.join(d, `${short}.json.gz`),
    ]);
  }

  /** The files a stack's config comes from; undefined when it also imports an ESC environment. */
  private configFiles(name: string): string[] | undefined {
    const short = name.split("/").pop()!;
    const stackFiles = ["yaml", "yml", "json"].map((e) => path.join(this.projectDir, `Pulumi.${short}.${e}`));
    for (const f of stackFiles) {
      if (fs.existsSync(f) && /^environment\s*:/m.test(fs.readFileSync(f, "utf8"))) return undefined;
    }
    return [...["yaml", "yml"].map((e) => path.join(this.projectDir, `Pulumi.${e}`)), ...stackFiles];
  }

  /** The stack's config, values parsed (secrets decrypted in memory only: e.g. a kubeconfig). */
  async config(name: string): Promise<StackConfig> {
    return this.memo.get(`config:${name}`, this.configFiles(name), async () =>
      parseConfigValues(await this.workspace.getAllConfig(name)),
    );
  }

  /**
   * What the stack has applied: `caLifecycle` and the other plain outputs. One `pulumi stack output
   * --json`, which prints secret outputs as "[secret]" (dropped here) and never decrypts: the Automation
   * API's `outputs()` runs a second one with --show-secrets, and each decryption derives the passphrase
   * key again (PBKDF2, ≈ 0.3 s of CPU) — the conductor reads every stack's outputs several times a step
   * (remembered while the checkpoint holds the same bytes: ReadMemo).
   */
  async state(name: string): Promise<StackState> {
    return this.memo.get(`state:${name}`, await this.checkpointFiles(name), async () => {
      const masked = JSON.parse((await this.cli(["stack", "output", "--json", "--stack", name])) || "{}") as Record<
        string,
        unknown
      >;
      const plain = Object.fromEntries(Object.entries(masked).filter(([, v]) => v !== "[secret]"));
      return stateFromExport(name, { deployment: { resources: [{ type: "pulumi:pulumi:Stack", outputs: plain }] } });
    });
  }

  /**
   * Pending operations and resource URNs (`pulumi stack export`, secrets left encrypted: only those
   * fields are kept). Heavier than `state`: a cluster stack's state holds every object of Istio's charts.
   */
  async resources(name: string): Promise<Pick<StackState, "pending" | "resources">> {
    return this.memo.get(`resources:${name}`, await this.checkpointFiles(name), async () => {
      const exported = JSON.parse(await this.cli(["stack", "export", "--stack", name])) as ExportedStack;
      const d: ExportedDeployment = exported.deployment ?? {};
      const s = stateFromExport(name, {
        deployment: {
          resources: (d.resources ?? []).filter((r) => r.type !== "pulumi:pulumi:Stack"),
          pending_operations: d.pending_operations ?? [],
        },
      });
      return { pending: s.pending, resources: s.resources };
    });
  }

  /**
   * A real preview (`stack.preview`), optionally with the stack's config as it will be after
   * `changes` (a copy of its stack file passed as --config-file: nothing is written to the project or
   * the backend). Returns it in the shape of `pulumi preview --json` (previewModel.ts), built from the
   * engine's events, with policy events added. Throws with the engine's errors when the preview fails
   * (e.g. the phase interlock).
   */
  async preview(
    name: string,
    opts: { changes?: readonly ConfigChange[]; signal?: AbortSignal } = {},
  ): Promise<PreviewDigest> {
    const stack = await this.stack(name);
    let tmp: string | undefined;
    let configFile: string | undefined;
    if (opts.changes && opts.changes.length > 0) {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rotate-plan-"));
      configFile = path.join(tmp, `Pulumi.${name}.yaml`);
      fs.writeFileSync(
        configFile,
        stackFileWith(fs.readFileSync(path.join(this.projectDir, `Pulumi.${name}.yaml`), "utf8"), opts.changes),
        { mode: 0o600 },
      );
    }
    const events: EngineEvent[] = [];
    try {
      await stack.preview({
        signal: opts.signal,
        onEvent: (e) => events.push(e),
        ...(configFile ? { configFile } : {}),
      });
    } catch (e) {
      const errors = events
        .filter((x) => x.diagnosticEvent?.severity === "error")
        .map((x) => x.diagnosticEvent!.message.trim());
      throw new Error(
        `pulumi preview --stack ${name} failed:\n${errors.length ? errors.join("\n") : (e as Error).message}`,
      );
    } finally {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
    return digestFromEvents(events);
  }

  async setConfig(name: string, changes: readonly ConfigChange[]): Promise<void> {
    const stack = await this.stack(name);
    for (const c of changes) {
      if (c.op === "set") await stack.setConfig(c.key, { value: String(c.value) }, true);
      else await stack.removeConfig(c.key, true);
    }
  }

  /**
   * `pulumi up`; the signal sends the engine SIGINT (it finishes the operations in flight and saves
   * state). `env` goes to this run only (its own workspace over the same directory).
   */
  async up(
    name: string,
    opts: { signal?: AbortSignal; env?: Record<string, string>; onOutput?: (s: string) => void } = {},
  ): Promise<Applied[]> {
    const stack = opts.env
      ? await Stack.select(
          name,
          await LocalWorkspace.create({
            workDir: this.projectDir,
            envVars: { ...this.workspace.envVars, ...opts.env },
            // The CLI this workspace already found and checked (else `pulumi version` runs again).
            pulumiCommand: this.workspace.pulumiCommand,
          }),
        )
      : await this.stack(name);
    const applied: Applied[] = [];
    // Stack.up() ends with reads whose results the conductor never uses: every output decrypted (`stack
    // output`, then `stack output --show-secrets`) and the last history entry with its secrets, two
    // passphrase derivations, ≈ 1.5 s of CPU per up. The conductor reads the outputs itself (masked,
    // state()) right after. `lean` is the same Stack with those two methods answering nothing.
    const lean: Stack = Object.create(stack, {
      outputs: { value: async () => ({}) },
      info: { value: async () => undefined },
    });
    await lean.up({
      signal: opts.signal,
      onOutput: opts.onOutput,
      onEvent: (e: EngineEvent) => {
        const m = e.resourcePreEvent?.metadata;
        if (m && m.op !== "same" && m.op !== "read") applied.push({ op: m.op, urn: m.urn, type: m.type });
      },
    });
    return applied;
  }

  private url?: Promise<string>;
  /** The backend URL (`pulumi whoami`, asked once: it does not change during a run). */
  backendUrl(): Promise<string> {
    this.url ??= this.workspace.whoAmI().then((w) => w.url ?? "");
    return this.url;
  }

  /**
   * Who holds the stack's update lock, if anyone: lock files of a file backend
   * (`.pulumi/locks/<org>/<project>/<stack>/`), or Pulumi Cloud's update in progress. Other backends
   * say nothing here; their first `pulumi up` then fails on the lock and the conductor stops there.
   */
  async lock(name: string): Promise<string | undefined> {
    const dir = await this.fileBackendDir();
    if (dir) {
      const locks = path.join(dir, ".pulumi", "locks");
      if (!fs.existsSync(locks)) return undefined;
      const holders: string[] = [];
      for (const org of fs.readdirSync(locks)) {
        const d = path.join(locks, org, this.project, name);
        if (!fs.existsSync(d)) continue;
        for (const f of fs.readdirSync(d).filter((x) => x.endsWith(".json"))) {
          try {
            const l = JSON.parse(fs.readFileSync(path.join(d, f), "utf8")) as LockFile;
            holders.push(
              `${l.username}@${l.hostname} (pid ${l.pid}, ${alive(l.hostname, l.pid)}) since ${l.timestamp}`,
            );
          } catch {
            holders.push(path.join(d, f));
          }
        }
      }
      return holders.length > 0 ? holders.join("; ") : undefined;
    }
    const s = (await this.workspace.listStacks()).find((x) => x.name.split("/").pop() === name);
    return s?.updateInProgress ? "an update in progress (Pulumi Cloud)" : undefined;
  }

  /** After a killed update: release the lock and drop the pending operations (docs/e2e.md, recovery). */
  async recover(name: string): Promise<void> {
    const stack = await this.stack(name);
    await stack.cancel();
    await stack.refresh({ clearPendingCreates: true });
  }
}

/** A file backend's lock file (pkg/backend/diy/lock.go, lockContent). */
interface LockFile {
  readonly pid: number;
  readonly username: string;
  readonly hostname: string;
  readonly timestamp: string;
}

/** Whether a lock's process still runs (only knowable on this host). */
function alive(hostname: string, pid: number): string {
  if (hostname !== os.hostname()) return "on another host";
  try {
    process.kill(pid, 0);
    return "running";
  } catch {
    return "not running";
  }
}
