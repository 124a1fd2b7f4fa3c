import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

/**
 * Which stacks a rotation covers and what the conductor needs to know of each, from the stacks'
 * config: the stack that owns the root (a root CA stack, or a single stack holding its own root)
 * and the cluster stacks that follow a root stack. Pure functions over parsed config, plus the
 * reading of the project's `Pulumi.<stack>.yaml` files for discovery.
 */

const NS = "istio-mesh-ca";

/** Backends whose `cacerts` and istiod the conductor knows how to check. */
export const SUPPORTED_BACKENDS = ["selfSigned"] as const;

/** How the stack config names a cluster's API server (the Kubernetes provider reads the same). */
export interface KubeTarget {
  /** `clusters[].kubeContext`: undefined means the kubeconfig's current context. */
  readonly context?: string;
  /** `clusters[].kubeconfig`: a path or the content itself; undefined means KUBECONFIG / ~/.kube/config. */
  readonly kubeconfig?: string;
}

export interface DeploymentRef {
  readonly namespace: string;
  readonly name: string;
  readonly cluster?: string;
}

/** One cluster of a stack, as the gates read it. */
export interface ClusterTarget {
  readonly stack: string;
  readonly cluster: string;
  readonly kube: KubeTarget;
  readonly istioNamespace: string;
  /** `istio.revision`: istiod is `istiod-<rev>`, injection is `istio.io/rev=<rev>`. */
  readonly revision?: string;
  /** `istio.skipAwait`: the stack does not wait for Deployments (no rollout evidence expected). */
  readonly skipAwait: boolean;
  readonly restartDeployments: readonly DeploymentRef[];
}

export type StackRole =
  | { readonly kind: "rootStack"; readonly configKey: string }
  | { readonly kind: "single"; readonly configKey: string; readonly backend: string }
  | { readonly kind: "follower"; readonly rootStack: string }
  | { readonly kind: "unsupported"; readonly why: string };

export interface StackLayout {
  readonly stack: string;
  readonly role: StackRole;
  /** Clusters whose API servers the gates read (none for a root CA stack). */
  readonly clusters: readonly ClusterTarget[];
}

/** A config map as `pulumi config --json` gives it, values parsed (objects arrive as JSON text). */
export type StackConfig = Record<string, unknown>;

/** `getAllConfig()` values (strings, JSON text for objects and numbers) to plain values. */
export function parseConfigValues(raw: Record<string, { value: string }>): StackConfig {
  const out: StackConfig = {};
  for (const [k, v] of Object.entries(raw)) {
    try {
      out[k] = JSON.parse(v.value);
    } catch {
      out[k] = v.value;
    }
  }
  return out;
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Pure: what a stack is for the conductor, from its config. */
export function classify(stack: string, config: StackConfig): StackLayout {
  if (config[`${NS}:rootCa`] !== undefined)
    return { stack, role: { kind: "rootStack", configKey: `${NS}:rootCa` }, clusters: [] };
  const ca = obj(config[`${NS}:ca`]);
  const backend = typeof ca.backend === "string" ? ca.backend : undefined;
  const clusters = clusterTargets(stack, config);
  if (!backend) return { stack, role: { kind: "unsupported", why: `${NS}:ca.backend is not set` }, clusters };
  if (!(SUPPORTED_BACKENDS as readonly string[]).includes(backend)) {
    return {
      stack,
      role: {
        kind: "unsupported",
        why: `backend ${backend}: the conductor checks cacerts and istiod of the ${SUPPORTED_BACKENDS.join(", ")} backend only; rotate it with the runbook (docs/rotation.md, appendix)`,
      },
      clusters,
    };
  }
  const source = obj(ca.intermediateSource);
  if (source.kind === "rootStack" && typeof source.stack === "string")
    return { stack, role: { kind: "follower", rootStack: source.stack }, clusters };
  return { stack, role: { kind: "single", configKey: `${NS}:ca`, backend }, clusters };
}

/** Pure: the clusters of a mesh stack, with the defaults the program applies (config/schema.ts). */
export function clusterTargets(stack: string, config: StackConfig): ClusterTarget[] {
  const list = Array.isArray(config[`${NS}:clusters`])
    ? (config[`${NS}:clusters`] as Record<string, unknown>[])
    : [{ name: "cluster1" }];
  const istio = obj(config[`${NS}:istio`]);
  const rotation = obj(obj(config[`${NS}:ca`]).rotation);
  const restarts: DeploymentRef[] = Array.isArray(rotation.restartDeployments) ? rotation.restartDeployments : [];
  return list.map((c) => ({
    stack,
    cluster: String(c.name),
    kube: {
      ...(typeof c.kubeContext === "string" ? { context: c.kubeContext } : {}),
      ...(typeof c.kubeconfig === "string" ? { kubeconfig: c.kubeconfig } : {}),
    },
    istioNamespace: typeof istio.namespace === "string" ? istio.namespace : "istio-system",
    ...(typeof istio.revision === "string" ? { revision: istio.revision } : {}),
    skipAwait: istio.skipAwait === true,
    restartDeployments: restarts.filter((d) => !d.cluster || d.cluster === c.name),
  }));
}

/** `<organization>/<project>/<stack>` names `stack` of `project`? (the organization is the backend's business) */
export function referencesStack(fullyQualified: string, project: string, stack: string): boolean {
  const parts = fullyQualified.split("/");
  return parts.length === 3 && parts[1] === project && parts[2] === stack;
}

/** The project's name (Pulumi.yaml) and the stacks whose `Pulumi.<stack>.yaml` sits beside it, with their config. */
export function readProjectStackFiles(projectDir: string): { project: string; stacks: Record<string, StackConfig> } {
  const projectFile = path.join(projectDir, "Pulumi.yaml");
  if (!fs.existsSync(projectFile))
    throw new Error(`${projectDir} has no Pulumi.yaml: give the project directory with --cwd`);
  const project = String((parse(fs.readFileSync(projectFile, "utf8")) as { name: string }).name);
  const stacks: Record<string, StackConfig> = {};
  for (const f of fs.readdirSync(projectDir)) {
    const m = /^Pulumi\.(.+)\.yaml$/.exec(f);
    if (!m) continue;
    const doc = parse(fs.readFileSync(path.join(projectDir, f), "utf8")) as { config?: StackConfig } | null;
    stacks[m[1]] = doc?.config ?? {};
  }
  return { project, stacks };
}

export interface RotationStacks {
  readonly owner: StackLayout;
  readonly followers: readonly StackLayout[];
}

/**
 * Pure: the owner and its followers among `layouts`, from `--stack <owner>` or `--stacks a,b,c`.
 * Refuses a selection that leaves out a follower (it could not follow later phases) or that has no
 * owner, naming the stacks.
 */
export function selectRotation(
  project: string,
  layouts: readonly StackLayout[],
  sel: { stack?: string; stacks?: readonly string[] },
): RotationStacks {
  const byName = new Map(layouts.map((l) => [l.stack, l]));
  const owners = layouts.filter((l) => l.role.kind === "rootStack" || l.role.kind === "single");
  const followersOf = (owner: string) =>
    layouts.filter((l) => l.role.kind === "follower" && referencesStack(l.role.rootStack, project, owner));
  const ownerNamed = (name: string): StackLayout => {
    const l = byName.get(name);
    if (!l)
      throw new Error(
        `stack ${name}: not found (stacks of project ${project} here: ${[...byName.keys()].sort().join(", ") || "none"})`,
      );
    if (l.role.kind === "follower")
      throw new Error(
        `stack ${name} follows the root stack ${l.role.rootStack}: rotate that stack (--stack ${l.role.rootStack.split("/")[2]}), its cluster stacks follow`,
      );
    if (l.role.kind === "unsupported") throw new Error(`stack ${name}: ${l.role.why}`);
    return l;
  };
  if (sel.stacks && sel.stacks.length > 0) {
    const chosen = sel.stacks.map((n) => {
      const l = byName.get(n);
      if (!l)
        throw new Error(
          `--stacks: stack ${n} not found (stacks of project ${project} here: ${[...byName.keys()].sort().join(", ")})`,
        );
      return l;
    });
    const chosenOwners = chosen.filter((l) => l.role.kind === "rootStack" || l.role.kind === "single");
    if (chosenOwners.length !== 1) {
      throw new Error(
        `--stacks ${sel.stacks.join(",")}: name exactly one stack that owns a root (a root CA stack or a single stack), got ${chosenOwners.map((l) => l.stack).join(", ") || "none"}`,
      );
    }
    const owner = ownerNamed(chosenOwners[0].stack);
    for (const l of chosen) {
      if (l === owner) continue;
      if (l.role.kind !== "follower" || !referencesStack(l.role.rootStack, project, owner.stack)) {
        throw new Error(
          `--stacks: ${l.stack} does not follow ${owner.stack} (${l.role.kind === "follower" ? `it follows ${l.role.rootStack}` : l.role.kind === "unsupported" ? l.role.why : "it holds its own root"})`,
        );
      }
    }
    const missing = followersOf(owner.stack)
      .filter((f) => !chosen.includes(f))
      .map((f) => f.stack);
    if (missing.length > 0) {
      throw new Error(
        `--stacks leaves out ${missing.join(", ")}, which follow${missing.length === 1 ? "s" : ""} ${owner.stack}: a cluster stack left behind cannot follow the next phase; list every cluster stack of ${owner.stack}`,
      );
    }
    return { owner, followers: chosen.filter((l) => l !== owner) };
  }
  if (sel.stack) {
    const owner = ownerNamed(sel.stack);
    return { owner, followers: owner.role.kind === "rootStack" ? followersOf(owner.stack) : [] };
  }
  throw new Error(
    `name the stack that owns the root: --stack <name> (candidates: ${
      owners
        .map((o) => o.stack)
        .sort()
        .join(", ") || "none"
    }) or --stacks <owner>,<cluster stacks...>`,
  );
}
