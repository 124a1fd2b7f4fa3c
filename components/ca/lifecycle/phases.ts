/**
 * The CA lifecycle as data: root rotation phases, what each phase trusts and signs with, and which
 * moves between two deployments are safe. Pure: no Pulumi, no I/O.
 */

/** Root rotation phases, in the order they are applied. */
export const ROOT_PHASES = ["steady", "dual", "cutover", "finalize"] as const;
export type RootPhase = (typeof ROOT_PHASES)[number];

/** What a stack records (as its `caLifecycle` output) and reads back on the next deployment. */
export interface LifecycleState {
  readonly rootPhase: RootPhase;
  /** The generation of the root in service before this rotation; the incoming root is `rootGeneration + 1`. */
  readonly rootGeneration: number;
  readonly intermediateGeneration: number;
  /** Digest of the current root's parameters (stacks that own the root only). */
  readonly rootParamsDigest?: string;
  /** Digest of the incoming root's parameters during dual/cutover/finalize (stacks that own the root only). */
  readonly nextRootParamsDigest?: string;
}

/** What a phase means for the material. */
export interface PhasePlan {
  /** Root generations in the trust bundle, oldest first. */
  readonly trusted: readonly ("current" | "next")[];
  /** The root that signs intermediates. */
  readonly signer: "current" | "next";
  /** Whether the incoming root exists (dual, cutover, finalize: kept until steady for rollback). */
  readonly nextRootExists: boolean;
  /** istiod's ISTIO_MULTIROOT_MESH: proxies must trust two roots at once. */
  readonly multiRoot: boolean;
}

export function phasePlan(phase: RootPhase): PhasePlan {
  switch (phase) {
    case "steady":
      return { trusted: ["current"], signer: "current", nextRootExists: false, multiRoot: false };
    case "dual":
      return { trusted: ["current", "next"], signer: "current", nextRootExists: true, multiRoot: true };
    case "cutover":
      return { trusted: ["current", "next"], signer: "next", nextRootExists: true, multiRoot: true };
    case "finalize":
      return { trusted: ["next"], signer: "next", nextRootExists: true, multiRoot: false };
  }
}

/** Generation of the root that signs intermediates in a state. */
export function signerGeneration(s: Pick<LifecycleState, "rootPhase" | "rootGeneration">): number {
  return phasePlan(s.rootPhase).signer === "next" ? s.rootGeneration + 1 : s.rootGeneration;
}

const fmt = (s: LifecycleState) => `${s.rootPhase} (rootGeneration ${s.rootGeneration})`;

/**
 * Whether moving from `prev` (what the last deployment recorded; undefined on the first one) to `next`
 * is safe. Allowed: staying put, one phase forward (steady → dual → cutover → finalize → steady with
 * rootGeneration + 1), one phase back before the old root is gone (dual → steady, cutover → dual,
 * finalize → cutover), raising intermediateGeneration. Returns why not, naming what to apply first.
 */
export function checkTransition(prev: LifecycleState | undefined, next: LifecycleState): string | undefined {
  if (prev === undefined) return undefined;
  if (next.intermediateGeneration < prev.intermediateGeneration) {
    return `intermediateGeneration ${next.intermediateGeneration} is lower than the deployed ${prev.intermediateGeneration}; generations only go up (set ${prev.intermediateGeneration} to keep the intermediate, ${prev.intermediateGeneration + 1} to rotate it)`;
  }
  const phaseError = checkRootMove(prev, next);
  if (phaseError) return phaseError;
  return checkRootParams(prev, next);
}

function checkRootMove(prev: LifecycleState, next: LifecycleState): string | undefined {
  const g = prev.rootGeneration;
  const from = ROOT_PHASES.indexOf(prev.rootPhase);
  const to = ROOT_PHASES.indexOf(next.rootPhase);
  const completesRotation = prev.rootPhase === "finalize" && next.rootPhase === "steady";
  if (completesRotation) {
    return next.rootGeneration === g + 1
      ? undefined
      : `after finalize, steady needs rootGeneration ${g + 1} (the new root becomes the current one), got ${next.rootGeneration}; or go back to cutover with rootGeneration ${g}`;
  }
  if (next.rootGeneration !== g) {
    return prev.rootPhase === "steady"
      ? `rootGeneration cannot change from ${g} to ${next.rootGeneration} in steady: a new root is introduced through the phases; apply rootPhase "dual" first (rootGeneration ${g})`
      : `rootGeneration must stay ${g} during a root rotation (deployed: ${fmt(prev)}); finish it through "finalize", then steady with rootGeneration ${g + 1}`;
  }
  if (to === from || to === from + 1 || to === from - 1) return undefined;
  if (to > from) {
    return `rootPhase cannot go from "${prev.rootPhase}" to "${next.rootPhase}": apply rootPhase "${ROOT_PHASES[from + 1]}" first (deployed: ${fmt(prev)})`;
  }
  // Backwards by more than one step: cutover → steady, finalize → dual/steady.
  return `rootPhase cannot go back from "${prev.rootPhase}" to "${next.rootPhase}": step back one phase at a time, apply rootPhase "${ROOT_PHASES[from - 1]}" first (deployed: ${fmt(prev)})`;
}

function checkRootParams(prev: LifecycleState, next: LifecycleState): string | undefined {
  const known = (a?: string, b?: string) => a !== undefined && b !== undefined;
  if (prev.rootPhase === "finalize" && next.rootPhase === "steady") {
    if (
      known(prev.nextRootParamsDigest, next.rootParamsDigest) &&
      prev.nextRootParamsDigest !== next.rootParamsDigest
    ) {
      return "after finalize, the root parameters (root) must be exactly those the new root was issued with (rotation.newRoot); copy rotation.newRoot to root and remove rotation.newRoot";
    }
    return undefined;
  }
  if (known(prev.rootParamsDigest, next.rootParamsDigest) && prev.rootParamsDigest !== next.rootParamsDigest) {
    return `changing the root parameters (root) would replace the root in service and break every workload's trust at once; rotate it instead: keep root as deployed, set rotation.newRoot and apply rootPhase "dual"`;
  }
  const rotating = (s: LifecycleState) => s.rootPhase !== "steady";
  if (
    rotating(prev) &&
    rotating(next) &&
    known(prev.nextRootParamsDigest, next.nextRootParamsDigest) &&
    prev.nextRootParamsDigest !== next.nextRootParamsDigest
  ) {
    return "rotation.newRoot cannot change during a root rotation (the new root would be replaced); restore it, or go back to steady from dual and start over";
  }
  return undefined;
}

/** Reads a recorded state back (a stack output: untyped JSON); throws naming `where` when malformed. */
export function parseLifecycleState(raw: unknown, where: string): LifecycleState {
  const r = raw as Record<string, unknown> | null;
  const gen = (k: string) => (r && Number.isInteger(r[k]) && (r[k] as number) >= 1 ? (r[k] as number) : undefined);
  const phase = r?.rootPhase;
  if (
    !r ||
    typeof r !== "object" ||
    !ROOT_PHASES.includes(phase as RootPhase) ||
    !gen("rootGeneration") ||
    !gen("intermediateGeneration")
  ) {
    throw new Error(
      `${where} is not a lifecycle state (rootPhase one of ${ROOT_PHASES.join(", ")}, rootGeneration and intermediateGeneration whole numbers >= 1): got ${JSON.stringify(raw)}`,
    );
  }
  const digest = (k: string) => (typeof r[k] === "string" ? { [k]: r[k] as string } : {});
  return {
    rootPhase: phase as RootPhase,
    rootGeneration: gen("rootGeneration")!,
    intermediateGeneration: gen("intermediateGeneration")!,
    ...digest("rootParamsDigest"),
    ...digest("nextRootParamsDigest"),
  };
}
