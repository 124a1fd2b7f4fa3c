import { SpawnSyncReturns, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";

/** Helpers for the e2e tier. Everything runs inside scripts/e2e/with-toolchain.sh (npm run test:e2e). */

export const ROOT = path.resolve(__dirname, "../..");

/** The wrapper's environment; fails with a clear message when a test file is run without it. */
export function e2eEnv(opts: { apiserver?: boolean } = {}): { dir: string; kubeconfig: string } {
  const missing = ["E2E_DIR", "PULUMI_BACKEND_URL", "PULUMI_HOME", ...(opts.apiserver ? ["KUBECONFIG"] : [])].filter(
    (k) => !process.env[k],
  );
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(", ")} not set: run the e2e tier with \`npm run test:e2e\` (scripts/e2e/with-toolchain.sh), not plain jest`,
    );
  }
  if (opts.apiserver && !fs.existsSync(process.env.KUBECONFIG!)) {
    throw new Error(
      `KUBECONFIG ${process.env.KUBECONFIG} does not exist: was the apiserver started (E2E_NO_APISERVER=1?)`,
    );
  }
  return { dir: process.env.E2E_DIR!, kubeconfig: process.env.KUBECONFIG ?? "" };
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (no shell), capturing output; never throws on a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Ran {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    input: opts.input,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, ...(opts.env ?? {}) },
    timeout: opts.timeoutMs ?? 300000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Like run, without blocking this process: for independent commands side by side (the `pulumi up`s of
 * two cluster stacks, each on its own control plane).
 */
export function runAsync(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...(opts.env ?? {}) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 300000);
    p.stdout.on("data", (c: Buffer) => out.push(c));
    p.stderr.on("data", (c: Buffer) => err.push(c));
    p.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
    p.stdin.end(opts.input ?? "");
  });
}

/** Like run, but throws with the command's output when it fails. */
export function mustRun(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): string {
  const r = run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * A second local control plane (tools/start-apiserver.sh, its ports and state directory in `env`), started
 * without blocking: the caller awaits it before the first use, and does other work (the root stack's up)
 * meanwhile.
 */
export function startControlPlane(kubeconfig: string, env: Record<string, string>): Promise<void> {
  const started = runAsync("bash", [path.join(ROOT, "tools/start-apiserver.sh"), kubeconfig], {
    env,
    timeoutMs: 180000,
  }).then((r) => {
    if (r.code !== 0)
      throw new Error(`tools/start-apiserver.sh ${kubeconfig} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  });
  // Awaited later; a failure before then is reported there, not as an unhandled rejection.
  started.catch(() => undefined);
  return started;
}

export const kubectl = (args: string[], input?: string): string => mustRun("kubectl", args, { input });

/** The pinned Istio source module (Go module cache), from scripts/e2e/istio-module.sh. */
export function istioModuleDir(): string {
  return mustRun("bash", [path.join(ROOT, "scripts/e2e/istio-module.sh")], { timeoutMs: 600000 }).trim();
}

/** Removes ANSI colour codes (the engine colours program stack traces). */
export const plain = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, "");

/**
 * Every process below `pid` (children, grandchildren, ...), from `ps`: the engine starts its plugins
 * in process groups of their own, so killing a run's group alone leaves them running.
 */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const line of run("ps", ["-e", "-o", "pid=,ppid="]).stdout.split("\n")) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (p && pp) children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      found.push(c);
      walk(c);
    }
  };
  walk(pid);
  return found;
}

/**
 * One kubeconfig (written to `file`, mode 0600) with a context per entry, named by its key; the first is current.
 * Returns `file`.
 */
export function mergeKubeconfigs(kubeconfigs: Record<string, string>, file: string): string {
  const names = Object.keys(kubeconfigs);
  const merged: any = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [],
    users: [],
    contexts: [],
    "current-context": names[0],
  };
  for (const [ctx, from] of Object.entries(kubeconfigs)) {
    const k = parse(fs.readFileSync(from, "utf8"));
    merged.clusters.push({ name: ctx, cluster: k.clusters[0].cluster });
    merged.users.push({ name: ctx, user: k.users[0].user });
    merged.contexts.push({ name: ctx, context: { cluster: ctx, user: ctx } });
  }
  fs.writeFileSync(file, stringify(merged), { mode: 0o600 });
  return file;
}
