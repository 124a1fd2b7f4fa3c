import {
  LifecycleState,
  ROOT_PHASES,
  RootPhase,
  checkTransition,
  phasePlan,
} from "../../components/ca/lifecycle/phases";

/**
 * The rotation as data: which lifecycle transitions (stages) a command applies, in which order, what
 * each changes, and where an interrupted rotation stands. Pure: no Pulumi, no I/O.
 */

export type RotationKind = "intermediate" | "root";

/** Phase and generations: what a stack's `caLifecycle` output records (digests left out). */
export interface Position {
  readonly rootPhase: RootPhase;
  readonly rootGeneration: number;
  readonly intermediateGeneration: number;
}

export type StageName = "intermediate" | "dual" | "cutover" | "finalize" | "steady";

/** One lifecycle transition, applied to the stack that owns the root first, then to every follower. */
export interface Stage {
  readonly name: StageName;
  readonly from: Position;
  readonly to: Position;
  /** The step changes istiod's pod template (env ISTIO_MULTIROOT_MESH, the root-bundle annotation): a rollout. */
  readonly istiodRollout: boolean;
  /** The step rewrites `cacerts` (new intermediate, or another trust bundle). */
  readonly cacertsChange: boolean;
  /** Workloads must hold a leaf under the new root before this step (it removes the old root from trust). */
  readonly needsNewLeaves: boolean;
  /** One line for people. */
  readonly summary: string;
}

export const position = (
  s: Pick<LifecycleState, "rootPhase" | "rootGeneration" | "intermediateGeneration">,
): Position => ({
  rootPhase: s.rootPhase,
  rootGeneration: s.rootGeneration,
  intermediateGeneration: s.intermediateGeneration,
});

export const samePosition = (a: Position, b: Position): boolean =>
  a.rootPhase === b.rootPhase &&
  a.rootGeneration === b.rootGeneration &&
  a.intermediateGeneration === b.intermediateGeneration;

export const describePosition = (p: Position): string =>
  `${p.rootPhase} (rootGeneration ${p.rootGeneration}, intermediateGeneration ${p.intermediateGeneration})`;

/** The trust bundle's multi-root flag and which roots it holds, per phase: what istiod's pod template follows. */
function istiodTemplateKey(p: Position): string {
  const plan = phasePlan(p.rootPhase);
  // Generation 1 in steady renders istiod without lifecycle values (components/ca/lifecycle: istiodAdditionsFor).
  if (p.rootPhase === "steady" && p.rootGeneration === 1) return "none";
  const trusted = plan.trusted.map((t) => (t === "current" ? p.rootGeneration : p.rootGeneration + 1)).join(",");
  return `${plan.multiRoot}:${trusted}`;
}

function trustedGenerations(p: Position): number[] {
  return phasePlan(p.rootPhase).trusted.map((t) => (t === "current" ? p.rootGeneration : p.rootGeneration + 1));
}

/** The stage that moves `from` to `to` (one lifecycle step), or why they are not one step apart. */
export function stageBetween(from: Position, to: Position): Stage | string {
  const why = checkTransition(from as LifecycleState, to as LifecycleState);
  if (why) return why;
  if (samePosition(from, to)) return "nothing to apply: the positions are equal";
  const phaseMoves = from.rootPhase !== to.rootPhase;
  if (phaseMoves && to.intermediateGeneration !== from.intermediateGeneration) {
    return "a root phase and an intermediate generation change in one step: apply them one at a time";
  }
  const forward = !phaseMoves
    ? true
    : (from.rootPhase === "finalize" && to.rootPhase === "steady") ||
      ROOT_PHASES.indexOf(to.rootPhase) === ROOT_PHASES.indexOf(from.rootPhase) + 1;
  if (!forward)
    return `going back from ${from.rootPhase} to ${to.rootPhase} is a rollback: do it by hand (docs/rotation.md, "Rolling back")`;
  const name: StageName = phaseMoves ? (to.rootPhase as StageName) : "intermediate";
  const sameTrust = trustedGenerations(from).join(",") === trustedGenerations(to).join(",");
  const signerFrom = phasePlan(from.rootPhase).signer === "next" ? from.rootGeneration + 1 : from.rootGeneration;
  const signerTo = phasePlan(to.rootPhase).signer === "next" ? to.rootGeneration + 1 : to.rootGeneration;
  const cacertsChange =
    !sameTrust || signerFrom !== signerTo || from.intermediateGeneration !== to.intermediateGeneration;
  return {
    name,
    from,
    to,
    istiodRollout: istiodTemplateKey(from) !== istiodTemplateKey(to),
    cacertsChange,
    needsNewLeaves: name === "finalize",
    summary: STAGE_SUMMARY[name],
  };
}

const STAGE_SUMMARY: Record<StageName, string> = {
  intermediate:
    "new intermediates (new keys) under the same root; cacerts rewritten, istiod reloads it without a restart",
  dual: "the new root joins the trust bundle (two roots); istiod restarts once with ISTIO_MULTIROOT_MESH=true",
  cutover: "intermediates re-issued under the new root; both roots still trusted; istiod reloads cacerts",
  finalize: "the old root leaves the trust bundle; istiod restarts once without ISTIO_MULTIROOT_MESH",
  steady: "the new root becomes the current one; the old root's key and certificate are deleted",
};

const must = (s: Stage | string): Stage => {
  if (typeof s === "string") throw new Error(s);
  return s;
};

/**
 * The stages a command applies from the owner's applied position. Throws, saying what to run instead,
 * when the command does not fit where the rotation stands.
 */
export function commandStages(command: "start" | "complete", kind: RotationKind, at: Position): Stage[] {
  const { rootPhase: phase, rootGeneration: g, intermediateGeneration: i } = at;
  if (kind === "intermediate") {
    if (command !== "start")
      throw new Error(
        "an intermediate rotation is one step: `rotate start intermediate` (there is nothing to complete)",
      );
    if (phase !== "steady") {
      throw new Error(
        `a root rotation is in progress (${describePosition(at)}): finish it first (rotate ${phase === "dual" ? "resume" : phase === "cutover" ? "complete root" : "resume"}), then rotate intermediates`,
      );
    }
    return [must(stageBetween(at, { ...at, intermediateGeneration: i + 1 }))];
  }
  if (command === "start") {
    if (phase === "steady") {
      const dual = must(stageBetween(at, { ...at, rootPhase: "dual" }));
      return [dual, must(stageBetween(dual.to, { ...at, rootPhase: "cutover" }))];
    }
    if (phase === "dual") return [must(stageBetween(at, { ...at, rootPhase: "cutover" }))];
    if (phase === "cutover")
      throw new Error(
        `the root rotation is already at cutover (rootGeneration ${g}): once every workload holds a leaf under the new root, run \`rotate complete root\``,
      );
    throw new Error(
      `the root rotation is at finalize: run \`rotate resume\` (or \`rotate complete root\`) to bring it to steady`,
    );
  }
  if (phase === "cutover") {
    const fin = must(stageBetween(at, { ...at, rootPhase: "finalize" }));
    return [fin, must(stageBetween(fin.to, { rootPhase: "steady", rootGeneration: g + 1, intermediateGeneration: i }))];
  }
  if (phase === "finalize")
    return [must(stageBetween(at, { rootPhase: "steady", rootGeneration: g + 1, intermediateGeneration: i }))];
  if (phase === "dual")
    throw new Error(
      `the root rotation is at dual: cutover has not been applied yet; run \`rotate resume\` or \`rotate start root\` first`,
    );
  throw new Error(`no root rotation in progress (${describePosition(at)}): run \`rotate start root\` first`);
}

/** Where every stack of the rotation stands, from their `caLifecycle` outputs. */
export interface Standing {
  readonly owner: { readonly stack: string; readonly at: Position };
  readonly followers: readonly { readonly stack: string; readonly at?: Position }[];
}

export interface Progress {
  /** Followers that have not applied the owner's position yet, and the stage that brings them there. */
  readonly behind: readonly { readonly stack: string; readonly stage: Stage }[];
  /** Followers that cannot follow in one step (never deployed, or more than one step away): why. */
  readonly stuck: readonly { readonly stack: string; readonly why: string }[];
  /** The stages `resume` applies after the followers caught up. */
  readonly remaining: readonly Stage[];
  /** Plain words: where the rotation is and what comes next. */
  readonly next: string;
}

/**
 * Where an interrupted rotation stands and what `resume` does: bring every follower to the owner's
 * position, then finish the command that was running (dual → cutover; finalize → steady).
 */
export function progress(s: Standing): Progress {
  const behind: { stack: string; stage: Stage }[] = [];
  const stuck: { stack: string; why: string }[] = [];
  for (const f of s.followers) {
    if (!f.at) {
      stuck.push({ stack: f.stack, why: "has no caLifecycle output (never deployed?)" });
      continue;
    }
    if (samePosition(f.at, s.owner.at)) continue;
    const st = stageBetween(f.at, s.owner.at);
    if (typeof st === "string")
      stuck.push({
        stack: f.stack,
        why: `is at ${describePosition(f.at)}, the owner ${s.owner.stack} at ${describePosition(s.owner.at)}: ${st}`,
      });
    else behind.push({ stack: f.stack, stage: st });
  }
  const at = s.owner.at;
  const remaining =
    at.rootPhase === "dual"
      ? [must(stageBetween(at, { ...at, rootPhase: "cutover" }))]
      : at.rootPhase === "finalize"
        ? [
            must(
              stageBetween(at, {
                rootPhase: "steady",
                rootGeneration: at.rootGeneration + 1,
                intermediateGeneration: at.intermediateGeneration,
              }),
            ),
          ]
        : [];
  const parts: string[] = [];
  if (stuck.length > 0) parts.push(`cannot continue: ${stuck.map((x) => `${x.stack} ${x.why}`).join("; ")}`);
  if (behind.length > 0)
    parts.push(`${behind.map((b) => b.stack).join(", ")} still to apply ${behind[0].stage.name} (rotate resume)`);
  if (remaining.length > 0) parts.push(`then ${remaining.map((r) => r.name).join(" → ")} (rotate resume)`);
  if (parts.length === 0) {
    parts.push(
      at.rootPhase === "cutover"
        ? "root rotation at cutover everywhere: once every workload holds a leaf under the new root, run `rotate complete root`"
        : `every stack at ${describePosition(at)}: no rotation in progress`,
    );
  }
  return { behind, stuck, remaining, next: parts.join("; ") };
}
