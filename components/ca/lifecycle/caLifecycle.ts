import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_INTERMEDIATE_PARAMS, DEFAULT_ROOT_PARAMS, IntermediateParams, RootParams, certParamsProblems, intermediateOutlivesRoot } from "../certParams";
import { CaMaterial, IstiodSettings, joinPems } from "../contract";
import { mergeNamedMaps } from "../../shared/stringMaps";
import { IntermediateCa, IntermediateCaTransform, RootCa, SigningRoot } from "../tlsCa";
import { DeploymentRef, ExpirySettings, IntermediateSource, LifecycleSettings, RotationSettings, desiredState, resolveIntermediate, resolveRoot } from "./settings";
import { CheckedCert, Findings, expiryFindings, materialIssues } from "./guards";
import { LifecycleState, checkTransition, parseLifecycleState, phasePlan, signerGeneration } from "./phases";

/**
 * The CA lifecycle layer every backend with an offline root calls: once per stack `new CaLifecycle`
 * (roots for the current phase, or a root stack's material; the phase check against the previous
 * deployment), then per cluster `clusterCaMaterial` (signing root, trusted roots, intermediate).
 */

/** Stack output under which a stack records its lifecycle state (read back on the next deployment). */
export const LIFECYCLE_OUTPUT = "caLifecycle";
/** istiod pod annotation: changes (and so restarts istiod once) only when the trusted roots change. */
export const ROOT_BUNDLE_ANNOTATION = "istio-mesh-ca/root-bundle-sha256";

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

/** `root` for generation 1 (the historic name, so existing stacks keep their root), `root-g<n>` after. */
export function rootResourceName(name: string, generation: number): string {
  return generation === 1 ? `${name}-root` : `${name}-root-g${generation}`;
}

/** An intermediate's resource name: new signer or generation, new name, so a new key and certificate. */
export function intermediateResourceName(name: string, signerGen: number, intermediateGen: number): string {
  return signerGen === 1 && intermediateGen === 1 ? name : `${name}-r${signerGen}i${intermediateGen}`;
}

/** What the lifecycle adds to istiod: env and pod annotations (merged through their one channel). */
export interface IstiodAdditions {
  readonly env: Record<string, string>;
  readonly podAnnotations: Record<string, string>;
}

/** Pure: istiod's additions for a phase (see CaLifecycle.istiodAdditions). */
export function istiodAdditionsFor(state: LifecycleState, rootBundle: string): IstiodAdditions {
  if (state.rootPhase === "steady" && state.rootGeneration === 1) return { env: {}, podAnnotations: {} };
  return trustBundleAdditions(rootBundle, phasePlan(state.rootPhase).multiRoot);
}

/**
 * Pure: what istiod needs for a trust bundle — `ISTIO_MULTIROOT_MESH=true` while proxies must trust
 * more than one root, and the bundle's hash as a pod annotation, so istiod restarts once whenever the
 * trusted roots change. Also used by backends whose roots are supplied rather than phased (`provided`).
 */
export function trustBundleAdditions(rootBundle: string, multiRoot: boolean): IstiodAdditions {
  return { env: multiRoot ? { ISTIO_MULTIROOT_MESH: "true" } : {}, podAnnotations: { [ROOT_BUNDLE_ANNOTATION]: sha256(rootBundle) } };
}

/**
 * A backend's istiod settings plus the lifecycle's additions, through the env and annotation channels;
 * a conflict is reported against `backend` (the component whose settings these are) when given.
 */
export function withIstiodAdditions(settings: IstiodSettings, additions: pulumi.Output<IstiodAdditions>, backend?: pulumi.Resource): IstiodSettings {
  return {
    ...settings,
    env: mergeNamedMaps("istiod env", [{ source: "the CA backend", values: settings.env },
      { source: "the CA lifecycle", values: additions.apply((a) => a.env) }], backend),
    podAnnotations: mergeNamedMaps("istiod pod annotation", [{ source: "the CA backend", values: settings.podAnnotations },
      { source: "the CA lifecycle", values: additions.apply((a) => a.podAnnotations) }], backend),
  };
}

/** This stack, fully qualified: the StackReference that reads back the previous deployment's outputs. */
export function selfStackName(): string {
  return `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

/** Logs warnings and throws on errors; called inside applies, so a refusal fails `pulumi preview`. */
function report(findings: Findings, configKey: string): void {
  for (const w of findings.warnings) pulumi.log.warn(`${configKey}: ${w}`);
  if (findings.errors.length > 0) throw new Error(`${configKey}:\n  - ${findings.errors.join("\n  - ")}`);
}

/**
 * The previous deployment's lifecycle state; undefined on the first deployment (no such output yet).
 * Not secret even when other outputs of the stack are: the phase and generations are plain facts.
 */
function previousState(ref: pulumi.StackReference, configKey: string): pulumi.Output<LifecycleState | undefined> {
  // A reference without any outputs (nothing deployed, or a test double) has nothing to compare with.
  return pulumi.unsecret(ref.outputs.apply(async (outputs) => {
    if (!outputs) return undefined;
    const details = await ref.getOutputDetails(LIFECYCLE_OUTPUT);
    const raw = details.value ?? details.secretValue;
    return raw === undefined ? undefined : parseLifecycleState(raw, `${configKey}: the previous deployment's ${LIFECYCLE_OUTPUT} output`);
  }));
}

export interface CaLifecycleArgs {
  /** The root (unused with a root stack source). @default RSA 4096, 3650 days, O=Istio, CN=Root CA */
  readonly root?: Partial<RootParams>;
  /** Every cluster's intermediate (unused with a root stack source). @default RSA 4096, 730 days, O=Istio, CN=Intermediate CA, L=<cluster> */
  readonly intermediate?: Partial<IntermediateParams>;
  /**
   * Where intermediates come from: issued here, or read from a root CA stack.
   * @default { kind: "generate" }
   * @example { kind: "rootStack", stack: "acme/istio-mesh-ca/root" }
   */
  readonly intermediateSource?: IntermediateSource;
  /** Root rotation phase, generations, deployments to restart. @default steady, generation 1, no restarts */
  readonly rotation?: Partial<RotationSettings>;
  /** Expiry guards. @default { warnDays: 90, errorDays: 14, acknowledge: [] } */
  readonly expiry?: Partial<ExpirySettings>;
  /**
   * How messages name these settings (the stack program passes its config key, e.g. `istio-mesh-ca:ca`).
   * @default the component's name
   */
  readonly settingsName?: string;
}

/** Pure: what the plain settings get wrong (the config schema refuses the same before we get here). */
export function lifecycleSettingsProblems(s: LifecycleSettings): string[] {
  if (s.intermediateSource.kind === "rootStack") return [];
  const root = resolveRoot(s.root);
  const inter = resolveIntermediate(s.intermediate);
  const problems = [...certParamsProblems("root", root), ...certParamsProblems("intermediate", inter),
    ...(s.rotation.newRoot ? certParamsProblems("rotation.newRoot", s.rotation.newRoot) : [])];
  const outlives = intermediateOutlivesRoot(root, inter);
  if (outlives) problems.push(outlives);
  return problems;
}

/** Pure: the settings with every default applied (what the config schema would produce). */
export function lifecycleSettings(args: CaLifecycleArgs): LifecycleSettings {
  return {
    ...(args.root ? { root: { ...DEFAULT_ROOT_PARAMS, ...args.root } } : {}),
    ...(args.intermediate ? { intermediate: { ...DEFAULT_INTERMEDIATE_PARAMS, ...args.intermediate } } : {}),
    intermediateSource: args.intermediateSource ?? { kind: "generate" },
    rotation: { restartDeployments: [], ...args.rotation },
    expiry: { warnDays: 90, errorDays: 14, acknowledge: [], ...args.expiry },
  };
}

/**
 * Once per stack. With `intermediateSource.kind: generate` it owns the roots of the current phase
 * (created with the caller's `opts`, at top level, so the first root keeps its historic URN); with
 * `rootStack` it reads roots and intermediates from the root stack. Either way every value it hands
 * out passes the phase-transition check first, so a refused transition changes nothing.
 */
export class CaLifecycle {
  /** The state to export as the stack's `caLifecycle` output (only once the transition check passed). */
  public readonly state: pulumi.Output<LifecycleState>;
  /** Every root the mesh trusts in this phase, oldest first. */
  public readonly rootCerts: pulumi.Output<string[]>;
  public readonly rootCertBundle: pulumi.Output<string>;
  /** The root that signs intermediates in this phase; undefined when they come from a root stack. */
  public readonly signingRoot?: SigningRoot;
  /**
   * What istiod needs in this phase: `ISTIO_MULTIROOT_MESH=true` while two roots are trusted, and a
   * pod annotation with the root bundle's hash (a restart whenever the trusted roots change). Empty in
   * the first steady state, so a stack that never rotated renders istiod as before.
   */
  public readonly istiodAdditions: pulumi.Output<IstiodAdditions>;
  /** Deployments to restart when their cluster's material changes. */
  public readonly restartDeployments: readonly DeploymentRef[];
  /** The roots this stack holds, by generation (empty with a root stack source). */
  public readonly roots: Readonly<Record<number, RootCa>> = {};

  private readonly configKey: string;
  private readonly config: LifecycleSettings;
  private readonly rootStack?: pulumi.StackReference;
  private readonly generations?: { signer: number; intermediate: number };

  constructor(name: string, args: CaLifecycleArgs, opts: pulumi.CustomResourceOptions = {}) {
    const config = lifecycleSettings(args);
    const configKey = args.settingsName ?? name;
    const problems = lifecycleSettingsProblems(config);
    if (problems.length > 0) throw new Error(`${configKey}: invalid CA lifecycle settings:\n  - ${problems.join("\n  - ")}`);
    this.config = config;
    this.configKey = configKey;
    this.restartDeployments = config.rotation.restartDeployments;
    const self = new pulumi.StackReference(`${name}-lifecycle-previous`, { name: selfStackName() }, opts);
    const previous = previousState(self, configKey);

    if (config.intermediateSource.kind === "generate") {
      const root = resolveRoot(config.root);
      const state = desiredState(root, config.rotation);
      this.state = previous.apply((prev) => {
        const why = checkTransition(prev, state);
        if (why) throw new Error(`${configKey}.rotation: ${why}`);
        return state;
      });
      const plan = phasePlan(state.rootPhase);
      const g = state.rootGeneration;
      const roots: Record<number, RootCa> = { [g]: new RootCa(rootResourceName(name, g), { params: root }, opts) };
      if (plan.nextRootExists) {
        const next: RootParams = config.rotation.newRoot ?? root;
        roots[g + 1] = new RootCa(rootResourceName(name, g + 1), { params: next }, opts);
      }
      this.roots = roots;
      const signer = roots[signerGeneration(state)];
      this.signingRoot = { certPem: this.gate(signer.certPem), keyPem: pulumi.secret(this.gate(signer.keyPem)) };
      this.generations = { signer: signerGeneration(state), intermediate: state.intermediateGeneration };
      // During dual and cutover the current root is on its way out: its expiry only warns.
      const rotating = plan.trusted.length > 1;
      const trusted = plan.trusted.map((t) => t === "current"
        ? { role: `root (generation ${g})`, pem: roots[g].certPem, retiring: rotating }
        : { role: `new root (generation ${g + 1})`, pem: roots[g + 1].certPem, retiring: false });
      this.rootCerts = pulumi.all([this.state, pulumi.all(trusted.map((t) => t.pem))]).apply(([, pems]) => {
        const certs: CheckedCert[] = trusted.map((t, i) => ({ role: t.role, pem: pems[i], retiring: t.retiring }));
        report(expiryFindings(certs, config.expiry, new Date()), `${configKey}.expiry`);
        return pems;
      });
    } else {
      const source = config.intermediateSource;
      this.rootStack = new pulumi.StackReference(`${name}-root-stack`, { name: source.stack }, opts);
      const fromRoot = this.rootStack.requireOutput(LIFECYCLE_OUTPUT).apply((raw) => {
        // Digests describe the root stack's own config; this stack follows phases and generations only.
        const { rootPhase, rootGeneration, intermediateGeneration } = parseLifecycleState(raw, `root stack ${source.stack}: output ${LIFECYCLE_OUTPUT}`);
        return { rootPhase, rootGeneration, intermediateGeneration };
      });
      this.state = pulumi.all([previous, fromRoot]).apply(([prev, next]) => {
        const why = checkTransition(prev && { rootPhase: prev.rootPhase, rootGeneration: prev.rootGeneration, intermediateGeneration: prev.intermediateGeneration }, next);
        if (why) {
          throw new Error(`${configKey}.intermediateSource: root stack ${source.stack} is at ${next.rootPhase} (rootGeneration ${next.rootGeneration}) but this stack cannot follow: ${why}. Apply each phase to every cluster stack before moving the root stack on; roll the root stack back to the phase this stack can take next.`);
        }
        return next;
      });
      this.rootCerts = pulumi.all([this.state, this.rootStack.requireOutput("rootCerts")]).apply(([s, p]) => {
        if (!Array.isArray(p) || p.length === 0 || !p.every((x) => typeof x === "string")) {
          throw new Error(`${configKey}.intermediateSource: root stack ${source.stack} exports no rootCerts`);
        }
        const rotating = phasePlan(s.rootPhase).trusted.length > 1;
        const certs: CheckedCert[] = p.map((pem: string, i: number) => ({ role: i === 0 ? "root" : "new root", pem, retiring: rotating && i === 0 }));
        report(expiryFindings(certs, config.expiry, new Date()), `${configKey}.expiry`);
        return p as string[];
      });
    }
    this.rootCertBundle = this.rootCerts.apply(joinPems);
    this.istiodAdditions = pulumi.all([this.state, this.rootCertBundle]).apply(([s, bundle]) => istiodAdditionsFor(s, bundle));
  }

  /**
   * For backends that issue their intermediate elsewhere (e.g. Vault signs its own CSR with
   * `signingRoot`): the name to give it, so that a new signer or generation means a new key.
   */
  public intermediateResourceName(base: string): string {
    if (!this.generations) throw new Error(`${this.configKey}: intermediates come from the root stack; use clusterCaMaterial(...).material`);
    return intermediateResourceName(base, this.generations.signer, this.generations.intermediate);
  }

  /** Holds a value back until the transition check passed (it fails instead when the check fails). */
  private gate<T>(v: pulumi.Input<T>): pulumi.Output<T> {
    return pulumi.all([this.state, v]).apply(([, x]) => x as T);
  }

  /**
   * A cluster's intermediate: issued here by the signing root (generation and signer in the resource
   * name: a rotation is a new key and certificate), or read from the root stack and checked.
   */
  public intermediate(name: string, cluster: ClusterCa, opts: pulumi.ComponentResourceOptions): Required<CaMaterial> {
    const context = `intermediate of cluster ${cluster.clusterName}`;
    if (this.signingRoot && this.generations) {
      const params: IntermediateParams = cluster.params ?? resolveIntermediate(this.config.intermediate);
      const ca = new IntermediateCa(intermediateResourceName(name, this.generations.signer, this.generations.intermediate), {
        root: this.signingRoot,
        params,
        clusterName: cluster.clusterName,
        istioNamespace: cluster.istioNamespace,
        trustedRoots: this.rootCerts,
        transform: cluster.transform,
      }, opts);
      const cert = ca.material.intermediateCert.apply((pem) => {
        report(expiryFindings([{ role: context, pem }], this.config.expiry, new Date()), `${this.configKey}.expiry`);
        return pem;
      });
      return { ...ca.material, intermediateCert: cert };
    }
    const ref = this.rootStack!;
    const stack = (this.config.intermediateSource as { stack: string }).stack;
    const missing = () => new Error(`${this.configKey}.intermediateSource: root stack ${stack} has no intermediate for cluster ${JSON.stringify(cluster.clusterName)}; add {name: ${cluster.clusterName}} to istio-mesh-ca:rootCa.clusters in that stack and update it first`);
    const published = pulumi.all([this.state, ref.requireOutput("intermediates"), this.rootCerts]).apply(([, all, roots]) => {
      const entry = (all as Record<string, { intermediateCert?: string; certChain?: string }> | undefined)?.[cluster.clusterName];
      if (!entry?.intermediateCert || !entry.certChain) throw missing();
      const problems = materialIssues(entry.intermediateCert, roots, `${this.configKey}.intermediateSource (${context})`);
      if (problems.length > 0) throw new Error(problems.join("\n  - "));
      report(expiryFindings([{ role: context, pem: entry.intermediateCert }], this.config.expiry, new Date()), `${this.configKey}.expiry`);
      return { intermediateCert: entry.intermediateCert, certChain: entry.certChain };
    });
    const key = pulumi.secret(pulumi.all([this.state, ref.requireOutput("intermediateKeys")]).apply(([, keys]) => {
      const k = (keys as Record<string, string> | undefined)?.[cluster.clusterName];
      if (!k) throw missing();
      return k;
    }));
    return {
      rootCerts: this.rootCerts,
      rootCertBundle: this.rootCertBundle,
      intermediateCert: published.apply((p) => p.intermediateCert),
      intermediateKey: key,
      certChain: published.apply((p) => p.certChain),
    };
  }
}

/** The cluster an intermediate is for. */
export interface ClusterCa {
  readonly clusterName: string;
  /** The namespace istiod runs in (default SAN `istiod.<namespace>.svc`). */
  readonly istioNamespace: string;
  /** Intermediate parameters (default: the config's `intermediate`). */
  readonly params?: IntermediateParams;
  /** Per-child transforms of an intermediate issued here (none applies to one from a root stack). */
  readonly transform?: IntermediateCaTransform;
}

export interface ClusterMaterialRequest extends ClusterCa {
  /** What the backend's `shared` step created: the stack's CaLifecycle. */
  readonly shared: CaLifecycle;
  /** The backend component; the intermediate becomes its child. */
  readonly parent: pulumi.Resource;
  /** False for backends whose intermediate lives elsewhere (e.g. Vault signs its own CSR with `signingRoot`). */
  readonly withIntermediate?: boolean;
}

/** What a backend gets for one cluster. */
export interface ClusterCaMaterial {
  /** The root that signs intermediates in the current phase (undefined with a root stack source). */
  readonly signingRoot?: SigningRoot;
  /** The trusted roots of the current phase, oldest first, and their concatenation. */
  readonly rootCerts: pulumi.Output<string[]>;
  readonly rootCertBundle: pulumi.Output<string>;
  /** The cluster's complete material (unless `withIntermediate: false`). */
  readonly material?: Required<CaMaterial>;
  /** istiod's additions for the phase; merge into the backend's settings with `withIstiodAdditions`. */
  readonly istiodAdditions: pulumi.Output<IstiodAdditions>;
}

/**
 * The one call a backend with an offline root makes per cluster: signing root, trusted roots for the
 * phase, the cluster's intermediate (issued here or from the root stack) and istiod's additions.
 */
export function clusterCaMaterial(name: string, ctx: ClusterMaterialRequest): ClusterCaMaterial {
  const ca = ctx.shared;
  return {
    signingRoot: ca.signingRoot,
    rootCerts: ca.rootCerts,
    rootCertBundle: ca.rootCertBundle,
    material: ctx.withIntermediate === false ? undefined : ca.intermediate(name, ctx, { parent: ctx.parent }),
    istiodAdditions: ca.istiodAdditions,
  };
}
