import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { KubeKinds } from "./kubeTypes";
import { KubeTarget } from "./layout";

/**
 * Reads a cluster's API server the way the stack's Kubernetes provider reaches it: the stack's
 * `clusters[].kubeconfig` (a path, or the content itself) and `kubeContext`, else KUBECONFIG /
 * ~/.kube/config and its current context. Through `kubectl get -o json`, so every kubeconfig auth
 * method (client certificates, tokens, exec plugins of managed clusters) works as it does for kubectl.
 */

export interface KubeReader {
  /** One object; undefined when it does not exist. */
  get<K extends keyof KubeKinds>(kind: K, name: string, namespace?: string): Promise<KubeKinds[K] | undefined>;
  /**
   * Several named objects of one namespace in one request (`kubectl get kind/name … -n ns`); the answer
   * looks each up (undefined: it does not exist).
   */
  getMany(namespace: string, refs: readonly KubeRef[]): Promise<KubeFound>;
  /** Objects of a kind (all namespaces unless one is given), optionally by label selector. */
  list<K extends keyof KubeKinds>(kind: K, opts?: { namespace?: string; selector?: string }): Promise<KubeKinds[K][]>;
  /** Removes the temp kubeconfig written for inline content. */
  close(): void;
}

/** A named object of one of the kinds the gates read. */
export interface KubeRef {
  readonly kind: "secret" | "configmap" | "deployment";
  readonly name: string;
}

/** Looks up an object `getMany` fetched. */
export type KubeFound = <K extends KubeRef["kind"]>(kind: K, name: string) => KubeKinds[K] | undefined;

/** The `kind` field of the objects the API server returns, per kind asked for. */
const KIND_OF: Record<KubeRef["kind"], string> = { secret: "Secret", configmap: "ConfigMap", deployment: "Deployment" };

/** Where the kubeconfig content of a stack's config is written (0600, removed by close()). */
function kubeconfigFile(target: KubeTarget): { file?: string; cleanup: () => void } {
  const k = target.kubeconfig;
  if (!k) return { cleanup: () => undefined };
  if (!k.includes("\n") && fs.existsSync(k)) return { file: k, cleanup: () => undefined };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rotate-kube-"));
  const file = path.join(dir, "kubeconfig");
  fs.writeFileSync(file, k, { mode: 0o600 });
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

type KubeObject = { readonly kind?: string; readonly metadata?: { readonly name?: string } };

export function kubectlReader(target: KubeTarget, opts: { kubectl?: string; timeoutMs?: number } = {}): KubeReader {
  const { file, cleanup } = kubeconfigFile(target);
  const base = [...(file ? ["--kubeconfig", file] : []), ...(target.context ? ["--context", target.context] : [])];
  const where = `${target.context ? `context ${target.context}` : "the current context"}${file && file === target.kubeconfig ? ` of ${file}` : ""}`;
  const kubectl = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        opts.kubectl ?? "kubectl",
        [...base, ...args],
        { timeout: opts.timeoutMs ?? 30000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          // ExecFileException.code: the exit code (number), or a spawn error's errno name (string, e.g. ENOENT).
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code !== 0 ? err.message : "") });
        },
      );
    });
  return {
    async get<K extends keyof KubeKinds>(kind: K, name: string, namespace?: string): Promise<KubeKinds[K] | undefined> {
      const r = await kubectl([
        "get",
        kind,
        name,
        ...(namespace ? ["-n", namespace] : []),
        "-o",
        "json",
        "--show-managed-fields",
      ]);
      if (r.code === 0) return JSON.parse(r.stdout) as KubeKinds[K];
      if (/NotFound|not found/.test(r.stderr)) return undefined;
      throw new Error(`kubectl get ${kind} ${namespace ? `${namespace}/` : ""}${name} (${where}): ${r.stderr.trim()}`);
    },
    async getMany(namespace: string, refs: readonly KubeRef[]): Promise<KubeFound> {
      const names = refs.map((r) => `${r.kind}/${r.name}`);
      if (names.length === 0) return () => undefined;
      const r = await kubectl([
        "get",
        ...names,
        "-n",
        namespace,
        "-o",
        "json",
        "--show-managed-fields",
        "--ignore-not-found",
      ]);
      if (r.code !== 0)
        throw new Error(`kubectl get ${names.join(" ")} -n ${namespace} (${where}): ${r.stderr.trim()}`);
      // Nothing found: no output; one name asked: the object itself; several: a List of those found.
      const out = r.stdout.trim() ? (JSON.parse(r.stdout) as KubeObject & { items?: KubeObject[] }) : undefined;
      const found: KubeObject[] = !out ? [] : out.kind === "List" ? (out.items ?? []) : [out];
      return <K extends KubeRef["kind"]>(kind: K, name: string) =>
        found.find((o) => o.kind === KIND_OF[kind] && o.metadata?.name === name) as KubeKinds[K] | undefined;
    },
    async list<K extends keyof KubeKinds>(
      kind: K,
      o: { namespace?: string; selector?: string } = {},
    ): Promise<KubeKinds[K][]> {
      const r = await kubectl([
        "get",
        kind,
        ...(o.namespace ? ["-n", o.namespace] : ["--all-namespaces"]),
        ...(o.selector ? ["-l", o.selector] : []),
        "-o",
        "json",
      ]);
      if (r.code !== 0) throw new Error(`kubectl get ${kind} (${where}): ${r.stderr.trim()}`);
      // A List object (`kind: List`, its objects in `items`).
      return (JSON.parse(r.stdout) as { items?: KubeKinds[K][] }).items ?? [];
    },
    close: cleanup,
  };
}
