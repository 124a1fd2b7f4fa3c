import type { ObjectMeta } from "./kubeTypes";
import { Stage } from "./model";

/**
 * `pulumi preview --json` as data (pkg/display/json.go PreviewDigest in Pulumi v3.259.0: steps with
 * old/new state, diffs; diagnostics; no policy events), and the rule that tells a rotation's own
 * changes from unrelated ones (drift). Pure.
 */

export interface PreviewState {
  readonly urn: string;
  readonly type: string;
  readonly id?: string;
  readonly parent?: string;
  readonly provider?: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

export interface PreviewStep {
  readonly op: string;
  readonly urn: string;
  readonly provider?: string;
  readonly oldState?: PreviewState;
  readonly newState?: PreviewState;
  readonly diffReasons?: string[];
  readonly replaceReasons?: string[];
  readonly detailedDiff?: Record<string, { kind: string; inputDiff: boolean }> | null;
}

export interface PreviewDiagnostic {
  readonly urn?: string;
  readonly prefix?: string;
  readonly message: string;
  readonly severity: string;
}

export interface PreviewDigest {
  readonly config?: Record<string, string>;
  readonly steps?: readonly PreviewStep[];
  readonly diagnostics?: readonly PreviewDiagnostic[];
  readonly changeSummary?: Record<string, number>;
  readonly duration?: number;
  /**
   * Not in `pulumi preview --json`: policy violations, from the engine's events (an event log, or the Automation API).
   */
  readonly policyEvents?: readonly PolicyViolation[];
}

/** A policy pack's finding (engine event `policyEvent`). */
export interface PolicyViolation {
  readonly resourceUrn?: string;
  readonly message: string;
  readonly policyName: string;
  readonly policyPackName: string;
  readonly enforcementLevel: string;
}

/**
 * A replacement, as `preview --json` (replace) and the engine's events (create-replacement, replace, delete-replaced)
 * name it.
 */
const REPLACE_OPS = new Set(["replace", "create-replacement", "delete-replaced"]);

/** Steps that change nothing: the stack itself, reads of StackReferences. */
const QUIET_OPS = new Set(["same", "read", "refresh", "discard"]);

/** `type::name` of a URN, and its name alone. */
export const urnName = (urn: string): string => urn.split("::").slice(-1)[0];
export const urnType = (urn: string): string => urn.split("::").slice(-2)[0].split("$").slice(-1)[0];

/** The steps of a preview that change something. */
export function changingSteps(d: PreviewDigest): PreviewStep[] {
  return (d.steps ?? []).filter((s) => !QUIET_OPS.has(s.op));
}

/** A step's resource type (from its state, else its URN). */
export const stepType = (s: PreviewStep): string => s.newState?.type ?? s.oldState?.type ?? urnType(s.urn);

/** A Kubernetes resource's inputs and outputs are the object itself (its `metadata`, `spec`, …). */
type KubeProps = { readonly metadata?: ObjectMeta } | undefined;

/** `metadata.name` of a step of a Kubernetes resource (callers check the type first). */
const k8sName = (s: PreviewStep): string | undefined =>
  (s.newState?.inputs as KubeProps)?.metadata?.name ??
  (s.oldState?.inputs as KubeProps)?.metadata?.name ??
  (s.oldState?.outputs as KubeProps)?.metadata?.name;

const ROOT_RESOURCE = /-root(-g\d+)?(-key|-cert)?$/;
const INTERMEDIATE_RESOURCE = /-intermediate(-r\d+i\d+)?(-key|-csr|-cert)?$/;
const CA_TYPES = new Set([
  "tls:index/privateKey:PrivateKey",
  "tls:index/selfSignedCert:SelfSignedCert",
  "tls:index/certRequest:CertRequest",
  "tls:index/locallySignedCert:LocallySignedCert",
  "istio-mesh-ca:ca:RootCa",
  "istio-mesh-ca:ca:IntermediateCa",
]);

export const isCacerts = (s: PreviewStep): boolean =>
  stepType(s) === "kubernetes:core/v1:Secret" && k8sName(s) === "cacerts";
export const isIstiodDeployment = (s: PreviewStep): boolean =>
  stepType(s) === "kubernetes:apps/v1:Deployment" && /^istiod(-[a-z0-9-]+)?$/.test(k8sName(s) ?? "");
/**
 * The istiod chart's ConfigMaps that carry its values (`values`, `istio-sidecar-injector`): they change
 * with istiod's env and pod annotations (helm.v4 children are named `<chart>:<namespace>/<name>`).
 */
export const isIstiodChartConfig = (s: PreviewStep): boolean =>
  stepType(s) === "kubernetes:core/v1:ConfigMap" &&
  /-istiod:[^/]+\/(values|istio-sidecar-injector)$/.test(urnName(s.urn));
export const isWorkloadRestart = (s: PreviewStep): boolean =>
  stepType(s) === "kubernetes:apps/v1:DeploymentPatch" || stepType(s) === "istio-mesh-ca:ca:WorkloadRestarts";

/**
 * Whether a changing step belongs to the rotation stage (for the stack that owns the root, or a
 * follower). Undefined stage: nothing may change (a stack at rest). Anything else is drift.
 */
export function belongsToStage(s: PreviewStep, stage: Stage | undefined): boolean {
  if (!stage) return false;
  const op = s.op;
  const name = urnName(s.urn);
  const type = stepType(s);
  if (CA_TYPES.has(type)) {
    switch (stage.name) {
      case "intermediate":
      case "cutover":
        return (op === "create" || op === "delete") && INTERMEDIATE_RESOURCE.test(name);
      case "dual":
        return op === "create" && ROOT_RESOURCE.test(name);
      case "steady":
        return op === "delete" && ROOT_RESOURCE.test(name);
      case "finalize":
        return false;
    }
  }
  if (isCacerts(s)) return op === "update" && stage.cacertsChange;
  if (isIstiodDeployment(s)) return op === "update" && stage.istiodRollout;
  if (isIstiodChartConfig(s)) return (op === "update" || REPLACE_OPS.has(op)) && stage.istiodRollout;
  if (isWorkloadRestart(s)) return (op === "create" || op === "update") && stage.cacertsChange;
  return false;
}

/** The changing steps of a preview that do not belong to the stage (drift), by URN. */
export function driftOf(d: PreviewDigest, stage: Stage | undefined): PreviewStep[] {
  return changingSteps(d).filter((s) => !belongsToStage(s, stage));
}

export const describeSteps = (steps: readonly PreviewStep[]): string[] => steps.map((s) => `${s.op} ${s.urn}`);
