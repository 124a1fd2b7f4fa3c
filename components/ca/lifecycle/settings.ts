import * as crypto from "crypto";
import {
  DEFAULT_INTERMEDIATE_PARAMS,
  DEFAULT_ROOT_PARAMS,
  IntermediateParams,
  RootParams,
  RootParamsInput,
  resolveRootParams,
} from "../certParams";
import type { SettingsProblem } from "../../shared/settingsProblem";
import { LifecycleState, RootPhase } from "./phases";

/**
 * The settings of the CA lifecycle, shared by every backend that holds an offline root and by the
 * root CA stack. Plain types and pure functions, and the one place of their defaults
 * (`resolveIntermediateSource`, `resolveRotation`, `resolveExpiry`; certificate parameters in
 * ../certParams.ts) and checks (`expiryProblems`); the config schemas in config/lifecycle.ts check the
 * shape and resolve through these.
 */

/** Where a cluster's intermediate comes from. */
export type IntermediateSource =
  /** Issued in this stack by the root this stack holds. */
  | { readonly kind: "generate" }
  /**
   * Issued by a root CA stack (stacks/rootCa.ts) and read through a StackReference
   * (`<organization>/<project>/<stack>`).
   */
  | { readonly kind: "rootStack"; readonly stack: string };

/** A Deployment whose pods get a fresh workload certificate when the CA material changes. */
export interface DeploymentRef {
  readonly namespace: string;
  readonly name: string;
  /** Only in this cluster of the stack (default: every cluster). */
  readonly cluster?: string;
}

/** Root and intermediate rotation. Unset phases and generations mean steady, generation 1. */
export interface RotationSettings {
  /** Root rotation phase: steady → dual → cutover → finalize → steady (rootGeneration + 1). @default "steady" */
  readonly rootPhase?: RootPhase;
  /** Generation of the root in service; raised by one when a rotation completes. @default 1 */
  readonly rootGeneration?: number;
  /** Raise by one to issue new intermediates (new keys) signed by the same root. @default 1 */
  readonly intermediateGeneration?: number;
  /** Parameters of the incoming root during dual/cutover/finalize. @default the current root's */
  readonly newRoot?: RootParams;
  /** Deployments restarted (pod-template annotation) whenever their cluster's CA material changes. @default [] */
  readonly restartDeployments: readonly DeploymentRef[];
}

/** Expiry guards on every CA certificate in use. */
export interface ExpirySettings {
  /** Within this many days: a warning. @default 90 */
  readonly warnDays: number;
  /** Within this many days: an error unless acknowledged. @default 14 */
  readonly errorDays: number;
  /** Accepted despite expiring soon: subjects as the warning prints them, or SHA-256 fingerprints. @default [] */
  readonly acknowledge: readonly string[];
}

/** The lifecycle part of a backend's settings. */
export interface LifecycleSettings {
  /** The root every cluster of this stack shares (unused with a root stack source). @default DEFAULT_ROOT_PARAMS */
  readonly root?: RootParams;
  /** The per-cluster intermediate (unused with a root stack source). @default DEFAULT_INTERMEDIATE_PARAMS */
  readonly intermediate?: IntermediateParams;
  readonly intermediateSource: IntermediateSource;
  readonly rotation: RotationSettings;
  readonly expiry: ExpirySettings;
}

/** Where intermediates come from when not said: issued in this stack. */
export const DEFAULT_INTERMEDIATE_SOURCE: IntermediateSource = { kind: "generate" };

/** The expiry guards when not set: warn within 90 days, refuse within 14, nothing acknowledged. */
export const DEFAULT_EXPIRY: ExpirySettings = { warnDays: 90, errorDays: 14, acknowledge: [] };

/** Rotation as given: every field optional, `newRoot` completed by `resolveRotation`. */
export interface RotationInput extends Omit<Partial<RotationSettings>, "newRoot"> {
  readonly newRoot?: RootParamsInput;
}

/** Pure: the intermediate source, `DEFAULT_INTERMEDIATE_SOURCE` when not given. */
export const resolveIntermediateSource = (s?: IntermediateSource): IntermediateSource =>
  s ?? DEFAULT_INTERMEDIATE_SOURCE;

/**
 * Pure: rotation with its defaults: no deployments to restart, `newRoot` (when given) completed with
 * the root defaults. Phases and generations stay as given (unset: steady, generation 1, see
 * `desiredState`), so a stack following a root stack can be told it must not set them.
 */
export function resolveRotation(r: RotationInput = {}): RotationSettings {
  const { newRoot, restartDeployments, ...phases } = r;
  return {
    ...phases,
    ...(newRoot ? { newRoot: resolveRootParams(newRoot) } : {}),
    restartDeployments: restartDeployments ?? [],
  };
}

/** Pure: the expiry guards, each unset one from `DEFAULT_EXPIRY`. */
export function resolveExpiry(e: Partial<ExpirySettings> = {}): ExpirySettings {
  return {
    warnDays: e.warnDays ?? DEFAULT_EXPIRY.warnDays,
    errorDays: e.errorDays ?? DEFAULT_EXPIRY.errorDays,
    acknowledge: e.acknowledge ?? DEFAULT_EXPIRY.acknowledge,
  };
}

/**
 * Pure: what is wrong with resolved expiry guards: the error limit beyond the warning's. `path` is
 * relative to `expiry`; `input` is the guards (the two days are wrong together).
 */
export function expiryProblems(e: ExpirySettings): SettingsProblem[] {
  return e.errorDays > e.warnDays
    ? [{ path: ["errorDays"], message: "errorDays must not exceed warnDays", input: e }]
    : [];
}

export const resolveRoot = (p?: RootParams): RootParams => p ?? DEFAULT_ROOT_PARAMS;
export const resolveIntermediate = (p?: IntermediateParams): IntermediateParams => p ?? DEFAULT_INTERMEDIATE_PARAMS;

/** Stable digest of certificate parameters (defaults applied), to notice a root being changed in place. */
export function paramsDigest(p: RootParams): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return crypto
    .createHash("sha256")
    .update(JSON.stringify(canonical(p)))
    .digest("hex")
    .slice(0, 16);
}

/** The state a stack that holds the root asks for, from its settings. */
export function desiredState(root: RootParams, rotation: RotationSettings): LifecycleState {
  const rootPhase = rotation.rootPhase ?? "steady";
  return {
    rootPhase,
    rootGeneration: rotation.rootGeneration ?? 1,
    intermediateGeneration: rotation.intermediateGeneration ?? 1,
    rootParamsDigest: paramsDigest(root),
    ...(rootPhase !== "steady" ? { nextRootParamsDigest: paramsDigest(rotation.newRoot ?? root) } : {}),
  };
}

/** A root CA stack's settings (`istio-mesh-ca:rootCa`): the root, and one intermediate per cluster. */
export interface RootCaSettings {
  readonly root: RootParams;
  /** Defaults for every cluster's intermediate. */
  readonly intermediate: IntermediateParams;
  readonly clusters: readonly {
    /** The cluster's name: the intermediate's `L=` and its key in the stack outputs. */
    readonly name: string;
    /** The namespace istiod runs in there (default SAN `istiod.<namespace>.svc`). @default "istio-system" */
    readonly istioNamespace: string;
    /** Overrides of the intermediate defaults for this cluster. */
    readonly intermediate?: IntermediateParams;
  }[];
  readonly rotation: RotationSettings;
  readonly expiry: ExpirySettings;
}
