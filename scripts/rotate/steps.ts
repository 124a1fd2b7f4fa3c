import { ROOT_PHASES, RootPhase } from "../../components/ca/lifecycle/phases";
import { ConfigChange } from "./engine";
import { Position, Stage } from "./model";

/**
 * What a stage changes in the config of the stack that owns the root, and what it is expected to
 * change in each stack's resources. Pure.
 */

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

const isRootPhase = (v: unknown): v is RootPhase => (ROOT_PHASES as readonly unknown[]).includes(v);
const isInteger = (v: unknown): v is number => Number.isInteger(v);

/** The position a stack's lifecycle config asks for (the program's defaults applied). */
export function configPosition(lifecycleConfig: unknown): Position {
  const r = obj(obj(lifecycleConfig).rotation);
  return {
    rootPhase: isRootPhase(r.rootPhase) ? r.rootPhase : "steady",
    rootGeneration: isInteger(r.rootGeneration) ? r.rootGeneration : 1,
    intermediateGeneration: isInteger(r.intermediateGeneration) ? r.intermediateGeneration : 1,
  };
}

/** `{a: {b: 1}}` → `[["a.b", 1]]` (config leaves, set one by one with --path). */
export function leaves(value: unknown, prefix: string): [string, string | number | boolean][] {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leaves(v, `${prefix}.${k}`));
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${prefix}[${i}]`));
  return [[prefix, value as string | number | boolean]];
}

/**
 * Config changes that make the owner's lifecycle config ask for `stage.to`: the rotation fields, and
 * when the rotation completes (finalize → steady) `rotation.newRoot` moved to `root`, as
 * docs/rotation.md step 4 says. Only what differs is changed.
 */
export function ownerConfigChanges(stage: Stage, configKey: string, lifecycleConfig: unknown): ConfigChange[] {
  const cfg = obj(lifecycleConfig);
  const at = configPosition(cfg);
  const changes: ConfigChange[] = [];
  const set = (k: string, v: string | number) =>
    changes.push({ op: "set", key: `${configKey}.rotation.${k}`, value: v });
  if (at.rootPhase !== stage.to.rootPhase) set("rootPhase", stage.to.rootPhase);
  if (at.rootGeneration !== stage.to.rootGeneration) set("rootGeneration", stage.to.rootGeneration);
  if (at.intermediateGeneration !== stage.to.intermediateGeneration)
    set("intermediateGeneration", stage.to.intermediateGeneration);
  const newRoot = obj(cfg.rotation).newRoot;
  if (stage.name === "steady" && newRoot !== undefined) {
    changes.push({ op: "remove", key: `${configKey}.root` });
    for (const [k, v] of leaves(newRoot, `${configKey}.root`)) changes.push({ op: "set", key: k, value: v });
    changes.push({ op: "remove", key: `${configKey}.rotation.newRoot` });
  }
  return changes;
}

/** A change a step is expected to make, for the plan. */
export interface Expected {
  readonly op: string;
  readonly what: string;
  readonly urn?: string;
}

/**
 * What a follower's (or a single stack's cluster side) resources do in a stage, from the stack's
 * state: exact URNs of the resources that exist (cacerts, istiod, its chart, restart patches).
 */
export function followerExpectations(
  stage: Stage,
  resources: readonly { urn: string; type: string; id?: string }[],
): Expected[] {
  const out: Expected[] = [];
  const pick = (pred: (r: { urn: string; type: string; id?: string }) => boolean) => resources.filter(pred);
  if (stage.cacertsChange) {
    for (const r of pick((x) => x.type === "kubernetes:core/v1:Secret" && (x.id ?? "").endsWith("/cacerts")))
      out.push({ op: "update", what: "cacerts", urn: r.urn });
    for (const r of pick((x) => x.type === "kubernetes:apps/v1:DeploymentPatch"))
      out.push({ op: "update", what: `restart ${r.id ?? ""}`.trim(), urn: r.urn });
  }
  if (stage.istiodRollout) {
    for (const r of pick(
      (x) => x.type === "kubernetes:apps/v1:Deployment" && /\/istiod(-[a-z0-9-]+)?$/.test(x.id ?? ""),
    ))
      out.push({ op: "update", what: "istiod Deployment (rollout)", urn: r.urn });
  }
  return out;
}

const nameOf = (urn: string) => urn.split("::").slice(-1)[0];

/**
 * What the owner's CA resources do in a stage, by name, from its state (for stages after the first,
 * whose real preview can only run once the stage before is applied).
 */
export function ownerExpectations(stage: Stage, resources: readonly { urn: string; type: string }[]): Expected[] {
  const roots = resources.filter((r) => r.type === "istio-mesh-ca:ca:RootCa").map((r) => nameOf(r.urn));
  const inters = resources.filter((r) => r.type === "istio-mesh-ca:ca:IntermediateCa").map((r) => nameOf(r.urn));
  const rootBase = (roots[0] ?? "mesh-root").replace(/-root(-g\d+)?$/, "");
  const rootName = (g: number) => (g === 1 ? `${rootBase}-root` : `${rootBase}-root-g${g}`);
  const interBases = [...new Set(inters.map((n) => n.replace(/-r\d+i\d+$/, "")))];
  const signer = (p: Position) =>
    p.rootPhase === "cutover" || p.rootPhase === "finalize" ? p.rootGeneration + 1 : p.rootGeneration;
  const interName = (base: string, p: Position) =>
    signer(p) === 1 && p.intermediateGeneration === 1 ? base : `${base}-r${signer(p)}i${p.intermediateGeneration}`;
  const out: Expected[] = [];
  if (stage.name === "intermediate" || stage.name === "cutover") {
    for (const b of interBases) {
      out.push({ op: "create", what: `${interName(b, stage.to)} (key, CSR, certificate)` });
      out.push({ op: "delete", what: `${interName(b, stage.from)} (key, CSR, certificate)` });
    }
  }
  if (stage.name === "dual")
    out.push({ op: "create", what: `${rootName(stage.from.rootGeneration + 1)} (key, self-signed certificate)` });
  if (stage.name === "steady")
    out.push({ op: "delete", what: `${rootName(stage.from.rootGeneration)} (the old root's key and certificate)` });
  return out;
}
