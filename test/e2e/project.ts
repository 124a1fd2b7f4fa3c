import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { ROOT, Ran, e2eEnv, mustRun, plain, run, runAsync } from "./support";

/**
 * Our program as a user runs it, through the REAL Pulumi engine (tools/bin/pulumi), the real
 * Kubernetes provider and the TLS test double (installed into PULUMI_HOME by
 * scripts/e2e/install-plugins.sh), with the wrapper's file backend.
 *
 * Each project is a copy of the program's sources in $E2E_DIR (node_modules linked), so stack
 * files the engine writes (encryption salt, config set by tests) never touch the repository, and
 * stacks of one project share the backend: `organization/istio-mesh-ca/root` resolves for real.
 */

/**
 * The environment every engine run of this tier gets: TMPDIR inside $E2E_DIR. The Kubernetes
 * provider writes its kubeconfig (admin credentials) to a temp file on every Configure and never
 * removes it (pulumi-kubernetes pkg/provider/util.go writeKubeconfigToFile): the wrapper deletes
 * $E2E_DIR. The program runs as a user's `pulumi up` runs it: transpiled by scripts/program/register.js,
 * as Pulumi.yaml says; `npm test` type-checks the same sources.
 */
export function engineEnv(): NodeJS.ProcessEnv {
  const tmp = path.join(e2eEnv().dir, "tmp");
  fs.mkdirSync(tmp, { recursive: true });
  return { TMPDIR: tmp };
}

const PROGRAM_FILES = [
  "index.ts",
  "Pulumi.yaml",
  "tsconfig.json",
  "tsconfig.pulumi.json",
  "package.json",
  "components",
  "config",
  "stacks",
  "scripts/program",
];

export class E2eProject {
  readonly dir: string;

  constructor(label: string) {
    const env = e2eEnv();
    this.dir = path.join(env.dir, "projects", label);
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    for (const f of PROGRAM_FILES) fs.cpSync(path.join(ROOT, f), path.join(this.dir, f), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(this.dir, "node_modules"));
  }

  /**
   * A new stack of this project, its config taken from the repository's Pulumi.<configFrom>.yaml
   * (comments dropped), then adjusted by `edit`.
   */
  stack(name: string, configFrom: string = name, edit?: (config: Record<string, any>) => void): E2eStack {
    const stack = new E2eStack(this, name);
    stack.must(["stack", "init"]);
    const file = path.join(this.dir, `Pulumi.${name}.yaml`);
    const salt = (parse(fs.readFileSync(file, "utf8")) as { encryptionsalt: string }).encryptionsalt;
    const config = (
      parse(fs.readFileSync(path.join(ROOT, `Pulumi.${configFrom}.yaml`), "utf8")) as { config: Record<string, any> }
    ).config;
    edit?.(config);
    fs.writeFileSync(file, stringify({ encryptionsalt: salt, config }));
    return stack;
  }
}

/** One engine event from `--event-log` (only the fields the tests read). */
export interface EngineEvent {
  sequence: number;
  resourcePreEvent?: { metadata: { op: string; urn: string; type: string } };
  resOutputsEvent?: { metadata: { op: string; urn: string; type: string } };
  diagnosticEvent?: { severity: string; message: string; urn?: string };
}

export interface PreviewStep {
  op: string;
  urn: string;
  type: string;
  diffs?: string[];
  replaceReasons?: string[];
}

type PulumiOpts = { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number };
const UP = ["--yes", "--skip-preview", "--json"];

/** `pulumi up` of stacks on different clusters (their own control planes) side by side; all must succeed. */
export async function mustUpAll(stacks: E2eStack[]): Promise<void> {
  const results = await Promise.allSettled(stacks.map((s) => s.mustUpAsync()));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed.length) throw new Error(failed.map((f) => String(f.reason?.message ?? f.reason)).join("\n\n"));
}

export class E2eStack {
  constructor(
    readonly project: E2eProject,
    readonly name: string,
  ) {}

  private cli(args: string[], opts: PulumiOpts): [string[], Parameters<typeof run>[2]] {
    return [
      [...args, "--stack", this.name, "--cwd", this.project.dir, "--non-interactive"],
      { cwd: this.project.dir, timeoutMs: 900000, ...opts, env: { ...engineEnv(), ...(opts.env ?? {}) } },
    ];
  }

  /** `pulumi <args> --stack <name> --cwd <project> --non-interactive`; never throws. */
  pulumi(args: string[], opts: PulumiOpts = {}): Ran {
    return run("pulumi", ...this.cli(args, opts));
  }

  /** pulumi(), without blocking: for stacks of different clusters side by side. */
  pulumiAsync(args: string[], opts: PulumiOpts = {}): Promise<Ran> {
    return runAsync("pulumi", ...this.cli(args, opts));
  }

  /** Like pulumi(), but throws with the engine's output when it fails. */
  must(args: string[], opts: Parameters<E2eStack["pulumi"]>[1] = {}): string {
    const r = this.pulumi(args, opts);
    if (r.code !== 0)
      throw new Error(
        `pulumi ${args.join(" ")} -s ${this.name} exited ${r.code}\n${plain(r.stdout)}\n${plain(r.stderr)}`,
      );
    return r.stdout;
  }

  /** `pulumi config set --path`, the value on stdin (how PEM files are set: `... < key.pem`). */
  config(key: string, value: string, opts: { secret?: boolean; type?: "int" | "bool" } = {}): void {
    this.must(
      [
        "config",
        "set",
        "--path",
        ...(opts.secret ? ["--secret"] : []),
        ...(opts.type ? ["--type", opts.type] : []),
        `istio-mesh-ca:${key}`,
      ],
      { input: value },
    );
  }

  /**
   * Sets an object's leaves in one `pulumi config set-all --path --plaintext k=v …` (it types values as
   * `config set --path` does: `5` a number, `true` a boolean; one CLI run instead of one per leaf).
   */
  configObject(key: string, value: Record<string, unknown>): void {
    const leaves = (at: string, v: unknown): string[] =>
      v && typeof v === "object"
        ? Object.entries(v).flatMap(([k, x]) => leaves(`${at}.${k}`, x))
        : [`istio-mesh-ca:${at}=${String(v)}`];
    this.must(["config", "set-all", "--path", ...leaves(key, value).flatMap((kv) => ["--plaintext", kv])]);
  }

  /** `pulumi up --json`: the engine's events, one JSON object per line, in order. */
  up(extra: string[] = [], env: NodeJS.ProcessEnv = {}): { run: Ran; events: EngineEvent[] } {
    const r = this.pulumi(["up", ...UP, ...extra], { env });
    return { run: r, events: parseEvents(r.stdout) };
  }

  /** `pulumi up` that must succeed. */
  mustUp(extra: string[] = [], env: NodeJS.ProcessEnv = {}): EngineEvent[] {
    return this.succeeded(this.pulumi(["up", ...UP, ...extra], { env }));
  }

  /** mustUp(), without blocking: for stacks of different clusters side by side. */
  async mustUpAsync(extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<EngineEvent[]> {
    return this.succeeded(await this.pulumiAsync(["up", ...UP, ...extra], { env }));
  }

  private succeeded(r: Ran): EngineEvent[] {
    const events = parseEvents(r.stdout);
    if (r.code !== 0) {
      const diagnostics = events
        .filter((e) => e.diagnosticEvent && e.diagnosticEvent.severity === "error")
        .map((e) => `${e.diagnosticEvent!.urn ?? ""}: ${plain(e.diagnosticEvent!.message)}`);
      throw new Error(`pulumi up -s ${this.name} exited ${r.code}\n${diagnostics.join("\n")}\n${plain(r.stderr)}`);
    }
    return events;
  }

  /** `pulumi preview --json`: the planned steps (same ops are omitted) and error diagnostics. */
  preview(extra: string[] = []): { code: number; steps: PreviewStep[]; errors: string; raw: Ran } {
    const r = this.pulumi(["preview", "--json", ...extra]);
    let json: any = {};
    try {
      json = JSON.parse(r.stdout);
    } catch {
      /* not JSON: errors say why */
    }
    return {
      code: r.code,
      steps: (json.steps ?? []).map((s: any) => ({
        op: s.op,
        urn: s.urn,
        type: s.newState?.type ?? s.oldState?.type,
        diffs: s.diffs,
        replaceReasons: s.replaceReasons,
      })),
      errors: plain(
        [
          ...(json.diagnostics ?? []).filter((d: any) => d.severity === "error").map((d: any) => d.message),
          r.stderr,
        ].join("\n"),
      ),
      raw: r,
    };
  }

  /** Stack outputs (secrets stay `[secret]`). */
  outputs(showSecrets = false): Record<string, any> {
    return JSON.parse(this.must(["stack", "output", "--json", ...(showSecrets ? ["--show-secrets"] : [])]));
  }

  /** The state as `pulumi stack export` writes it (secrets encrypted). */
  exportState(): {
    text: string;
    resources: { urn: string; type: string; outputs?: Record<string, unknown>; inputs?: Record<string, unknown> }[];
  } {
    const text = this.must(["stack", "export"]);
    return { text, resources: JSON.parse(text).deployment.resources ?? [] };
  }

  /** URNs of the managed resources of one type in the state. */
  urnsOf(type: string): string[] {
    return this.exportState()
      .resources.filter((r) => r.type === type)
      .map((r) => r.urn);
  }

  destroy(): void {
    this.must(["destroy", "--yes", "--skip-preview"]);
  }

  remove(): void {
    this.pulumi(["stack", "rm", "--yes", "--force"]);
  }
}

/**
 * The lifecycle's read of this stack's own previous outputs (`mesh-lifecycle-previous`, `mesh-pki-lifecycle-previous`,
 * `mesh-provided-previous`): a StackReference the engine reads on every run ("read" step).
 */
export const SELF_REFERENCE_STEP = /^read mesh-[a-z-]+-previous$/;

/**
 * `pulumi refresh` twice: the first may update only the self-references (they hold the outputs of
 * the deployment before the last, by design), the second must find no change at all. Returns the
 * resources the first refresh updated.
 */
export function refreshNoDrift(stack: E2eStack): { firstUpdated: string[]; second: { code: number; out: string } } {
  const first = stack.pulumi(["refresh", "--yes", "--skip-preview", "--diff"]);
  if (first.code !== 0)
    throw new Error(
      `pulumi refresh -s ${stack.name} exited ${first.code}\n${plain(first.stdout).slice(-3000)}\n${first.stderr}`,
    );
  const firstUpdated = plain(first.stdout)
    .split("\n")
    .filter((l) => /^\s*~ \S+: \(update\)/.test(l))
    .map((l) => l.trim());
  const again = stack.pulumi(["refresh", "--yes", "--skip-preview", "--expect-no-changes", "--diff"]);
  return { firstUpdated, second: { code: again.code, out: again.code === 0 ? "" : plain(again.stdout).slice(-3000) } };
}

/** Engine events from `pulumi up --json` output (lines that are not JSON are ignored). */
export function parseEvents(stdout: string): EngineEvent[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as EngineEvent];
      } catch {
        return [];
      }
    });
}

/** `type::name` of a URN. */
export const urnName = (urn: string): string => urn.split("::").slice(-1)[0];

/** The order in which the engine finished (resOutputs) and started (resourcePre) each resource. */
export function eventOrder(events: EngineEvent[]): { started: string[]; finished: string[] } {
  const sorted = [...events].sort((a, b) => a.sequence - b.sequence);
  return {
    started: sorted
      .filter((e) => e.resourcePreEvent && e.resourcePreEvent.metadata.op !== "same")
      .map((e) => e.resourcePreEvent!.metadata.urn),
    finished: sorted.filter((e) => e.resOutputsEvent).map((e) => e.resOutputsEvent!.metadata.urn),
  };
}

/** Index in the event sequence at which a URN matching `pred` first started / finished. */
export function whenStarted(events: EngineEvent[], pred: (urn: string) => boolean): number {
  return Math.min(
    ...events.filter((e) => e.resourcePreEvent && pred(e.resourcePreEvent.metadata.urn)).map((e) => e.sequence),
  );
}
export function whenFinished(events: EngineEvent[], pred: (urn: string) => boolean): number {
  return Math.min(
    ...events.filter((e) => e.resOutputsEvent && pred(e.resOutputsEvent.metadata.urn)).map((e) => e.sequence),
  );
}

/** Every place a PEM private key appears in plaintext in a text (an exported state, a log). */
export function plaintextKeys(text: string): string[] {
  return text.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----/g) ?? [];
}

/** The Istio source module's charts, linked in the layout `istio.chartPath` expects. */
export function istioCharts(): string {
  // One directory per jest worker: two workers linking the same one at once could race.
  const dir = path.join(e2eEnv().dir, `istio-charts-w${process.env.JEST_WORKER_ID ?? "1"}`);
  mustRun("bash", [path.join(ROOT, "scripts/e2e/istio-module.sh"), "--charts", dir], { timeoutMs: 600000 });
  return dir;
}
