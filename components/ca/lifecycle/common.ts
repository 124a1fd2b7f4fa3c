import * as pulumi from "@pulumi/pulumi";
import {
  IntermediateParams,
  IntermediateParamsInput,
  RootParamsInput,
  certParamsProblems,
  intermediateOutlivesRoot,
  resolveIntermediateParams,
  resolveRootParams,
} from "../certParams";
import { IntermediateCaTransform } from "../tlsCa";
import { Findings } from "./guards";
import { LifecycleState } from "./phases";
import {
  ExpirySettings,
  IntermediateSource,
  LifecycleSettings,
  RotationInput,
  expiryProblems,
  resolveExpiry,
  resolveIntermediate,
  resolveIntermediateSource,
  resolveRoot,
  resolveRotation,
} from "./settings";

/** What both modes of the CA lifecycle (generated.ts, rootStack.ts) share: args, names, reporting. */

/** Stack output under which a stack records its lifecycle state (read back on the next deployment). */
export const LIFECYCLE_OUTPUT = "caLifecycle";

/**
 * What the last deployment of this stack recorded as its `caLifecycle` output: the state the next
 * phase is checked against. `undefined` means there was no previous deployment (or it recorded no
 * state): every phase is accepted, as on a stack's first deployment.
 */
export type PreviousLifecycleState = pulumi.Input<LifecycleState | undefined>;

/** The args both modes take. */
export interface LifecycleCommonArgs {
  /**
   * Root rotation phase, generations, deployments to restart (`newRoot` completed with the root defaults).
   * @default steady, generation 1, no restarts
   */
  readonly rotation?: RotationInput;
  /** Expiry guards. @default DEFAULT_EXPIRY: { warnDays: 90, errorDays: 14, acknowledge: [] } */
  readonly expiry?: Partial<ExpirySettings>;
  /**
   * How messages name these settings (the stack program passes its config key, e.g. `istio-mesh-ca:ca`).
   * @default the lifecycle's name
   */
  readonly settingsName?: string;
  /**
   * The state the previous deployment of this stack recorded (its `caLifecycle` output), which the
   * rotation-order check (the interlock) compares the requested phase with. The lifecycle never reads
   * its own stack: the stack program does (stacks/previousDeployment.ts) and passes it here.
   * - a state (or an Output of one): a phase that does not follow from it is refused;
   * - `undefined` (given explicitly): a first deployment; every phase is accepted;
   * - not given at all: the same as `undefined`, and a warning says that the check is off.
   */
  readonly previous?: PreviousLifecycleState;
}

export interface CaLifecycleArgs extends LifecycleCommonArgs {
  /**
   * The root (unused with a root stack source); unset parameters (a key's size or curve too) as
   * `resolveRootParams` completes them. @default RSA 4096, 3650 days, O=Istio, CN=Root CA
   */
  readonly root?: RootParamsInput;
  /**
   * Every cluster's intermediate (unused with a root stack source), completed by `resolveIntermediateParams`.
   * @default RSA 4096, 730 days, O=Istio, CN=Intermediate CA, L=<cluster>
   */
  readonly intermediate?: IntermediateParamsInput;
  /**
   * Where intermediates come from: issued here (`GeneratedLifecycle`), or read from a root CA stack
   * (`RootStackLifecycle`).
   * @default DEFAULT_INTERMEDIATE_SOURCE: { kind: "generate" }
   * @example { kind: "rootStack", stack: "acme/istio-mesh-ca/root" }
   */
  readonly intermediateSource?: IntermediateSource;
  /**
   * What the roots' keys wait for before they are generated (unused with a root stack source): a
   * backend's first write with the stack's credentials (Vault's audit device), so that credentials
   * the backend refuses stop the update before any key exists. @default nothing
   */
  readonly rootKeysWaitFor?: pulumi.Input<pulumi.Resource>[];
}

/** The cluster an intermediate is for. */
export interface ClusterCa {
  readonly clusterName: string;
  /** The namespace istiod runs in (default SAN `istiod.<namespace>.svc`). */
  readonly istioNamespace: string;
  /** Intermediate parameters (default: the lifecycle's `intermediate`). */
  readonly params?: IntermediateParams;
  /** Per-child transforms of an intermediate issued here (none applies to one from a root stack). */
  readonly transform?: IntermediateCaTransform;
}

/** This stack, fully qualified: the name a StackReference needs to read back the previous deployment's outputs. */
export function selfStackName(): string {
  return `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

/** `root` for generation 1 (the historic name, so existing stacks keep their root), `root-g<n>` after. */
export function rootResourceName(name: string, generation: number): string {
  return generation === 1 ? `${name}-root` : `${name}-root-g${generation}`;
}

/**
 * Pure: an intermediate's resource name for a signer and generation: new signer or generation, new name, so a new key.
 */
export function intermediateNameFor(base: string, signerGen: number, intermediateGen: number): string {
  return signerGen === 1 && intermediateGen === 1 ? base : `${base}-r${signerGen}i${intermediateGen}`;
}

/** Pure: what the plain settings get wrong (the config schema refuses the same before we get here). */
export function lifecycleSettingsProblems(s: LifecycleSettings): string[] {
  const expiry = expiryProblems(s.expiry).map(
    (p) => `expiry.${p.path.join(".")}: ${s.expiry.errorDays}; ${p.message} (${s.expiry.warnDays})`,
  );
  if (s.intermediateSource.kind === "rootStack") return expiry;
  const root = resolveRoot(s.root);
  const inter = resolveIntermediate(s.intermediate);
  const problems = [
    ...expiry,
    ...certParamsProblems("root", root),
    ...certParamsProblems("intermediate", inter),
    ...(s.rotation.newRoot ? certParamsProblems("rotation.newRoot", s.rotation.newRoot) : []),
  ];
  const outlives = intermediateOutlivesRoot(root, inter);
  if (outlives) problems.push(outlives);
  return problems;
}

/**
 * Pure: the settings with every default applied, through the resolvers the config schema
 * (config/lifecycle.ts) applies too: what it would produce. An absent `root` or `intermediate` stays
 * absent (`resolveRoot` / `resolveIntermediate` give the defaults where they are used).
 */
export function lifecycleSettings(args: CaLifecycleArgs): LifecycleSettings {
  return {
    ...(args.root ? { root: resolveRootParams(args.root) } : {}),
    ...(args.intermediate ? { intermediate: resolveIntermediateParams(args.intermediate) } : {}),
    intermediateSource: resolveIntermediateSource(args.intermediateSource),
    rotation: resolveRotation(args.rotation),
    expiry: resolveExpiry(args.expiry),
  };
}

/** Logs warnings and throws on errors; called inside applies, so a refusal fails `pulumi preview`. */
export function reportFindings(findings: Findings, settingsName: string): void {
  for (const w of findings.warnings) void pulumi.log.warn(`${settingsName}: ${w}`);
  if (findings.errors.length > 0) throw new Error(`${settingsName}:\n  - ${findings.errors.join("\n  - ")}`);
}

/**
 * The previous deployment's state as an Output (not secret: the phase and generations are plain
 * facts). Warns once when `previous` was not given at all: the rotation-order check then has nothing
 * to compare with.
 */
export function previousStateOf(
  args: LifecycleCommonArgs,
  settingsName: string,
): pulumi.Output<LifecycleState | undefined> {
  if (!("previous" in args)) {
    void pulumi.log.warn(
      `${settingsName}: no previous deployment state was given (previous), so the rotation-order check ` +
        `accepts any phase. Pass the stack's last ${LIFECYCLE_OUTPUT} output as previous (undefined on a first deployment); see docs/rotation.md`,
    );
  }
  return pulumi.unsecret(pulumi.output(args.previous));
}
