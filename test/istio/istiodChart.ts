import { createHash } from "crypto";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { PostRenderer } from "../../components/istio/deploymentEnv";
import { goBinary } from "../vault/renderTemplates";

/**
 * Istio's real charts, from the pinned Istio source module (scripts/e2e/istio-module.sh: downloaded
 * once through the Go module proxy), rendered by Helm's own library (test/istio/helmrender).
 */

const ROOT = path.resolve(__dirname, "../..");
let moduleDir: string | undefined;

/** The Istio module directory (downloads it on first use). */
export function istioModuleDir(): string {
  moduleDir ??= execFileSync("bash", [path.join(ROOT, "scripts/e2e/istio-module.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
  return moduleDir;
}

export const istiodChartDir = (): string =>
  path.join(istioModuleDir(), "manifests/charts/istio-control/istio-discovery");
export const gatewayChartDir = (): string => path.join(istioModuleDir(), "manifests/charts/gateway");

let renderer: string | undefined;

/**
 * Builds test/istio/helmrender once (cached by source hash across runs) and returns the binary. Its
 * dependency versions are the Kubernetes provider's (tools/k8sprovider/go.mod, as -modfile): the Helm
 * that renders helm.v4.Chart in the e2e tier, and packages the toolchain build has already compiled.
 */
function helmRenderer(): string {
  if (renderer) return renderer;
  const go = goBinary();
  if (!go) throw new Error("Go is required to render Istio's charts with Helm's library (test/istio/helmrender)");
  const src = path.join(__dirname, "helmrender");
  const modfile = path.join(ROOT, "tools/k8sprovider/go.mod");
  const hash = createHash("sha256");
  for (const f of [path.join(src, "main.go"), modfile, modfile.replace(/\.mod$/, ".sum")])
    hash.update(fs.readFileSync(f));
  const out = path.join(os.tmpdir(), `istio-mesh-ca-helmrender-${hash.digest("hex").slice(0, 16)}`, "helmrender");
  if (!fs.existsSync(out)) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // One build at a time: jest workers that need it together (a fresh machine) wait on a lock (flock(1))
    // and all but the first find the binary; two concurrent builds with an empty Go cache took ≈ 128 s
    // each on 2 cores. Without flock (macOS) each worker builds. Renamed into place: no reader sees half
    // a file.
    const tmp = `${out}.${process.pid}`;
    const build = ["sh", "-c", 'test -x "$1" || { "$2" build -modfile "$4" -trimpath -o "$3" . && mv "$3" "$1"; }'];
    const args = [...build, "sh", out, go, tmp, modfile];
    const hasFlock = spawnSync("flock", ["--version"], { stdio: "ignore" }).error === undefined;
    execFileSync(hasFlock ? "flock" : args[0], hasFlock ? [`${out}.lock`, ...args] : args.slice(1), {
      cwd: src,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, GOFLAGS: "-mod=readonly", GOWORK: "off" },
    });
  }
  renderer = out;
  return out;
}

/**
 * `helm template <release> <chartDir> -n <namespace> [--post-renderer ...]` with these values: the
 * manifests as text. A post-renderer is run by Helm's own code, as helm.v4.Chart runs it.
 */
export function renderChart(
  chartDir: string,
  release: string,
  namespace: string,
  values: Record<string, unknown>,
  pr?: PostRenderer,
): string {
  return execFileSync(helmRenderer(), [chartDir, release, namespace, ...(pr ? [pr.command, ...pr.args] : [])], {
    input: JSON.stringify(values),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** Runs a helm.v4.Chart `postRenderer` exactly as Helm does: manifests on stdin, result on stdout. */
export function postRender(manifests: string, pr: PostRenderer): string {
  return execFileSync(pr.command, pr.args, {
    input: manifests,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

export type K8sObject = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: any;
};

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject)
    .filter((o) => o && typeof o === "object" && o.kind);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1)
    throw new Error(
      `expected one ${kind} ${name}, found ${found.length} (${objects
        .filter((o) => o.kind === kind)
        .map((o) => o.metadata.name)
        .join(", ")})`,
    );
  return found[0];
}

export type Selector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
};

/** Kubernetes label selector semantics (what admission webhooks' namespace/object selectors use). */
export function selects(sel: Selector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === "In" && !(has && e.values!.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && e.values!.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

/** Env names that occur more than once in any container of a Deployment (what server-side apply rejects). */
export function duplicateEnvNames(deployment: K8sObject): string[] {
  const dups: string[] = [];
  for (const c of deployment.spec.template.spec.containers as { env?: { name: string }[] }[]) {
    const seen = new Set<string>();
    for (const e of c.env ?? []) {
      if (seen.has(e.name)) dups.push(e.name);
      seen.add(e.name);
    }
  }
  return dups;
}

export function containerEnv(deployment: K8sObject, container: string): { name: string; value?: string }[] {
  return deployment.spec.template.spec.containers.find((c: { name: string }) => c.name === container).env;
}
