import * as pulumi from "@pulumi/pulumi";
import { CaMaterial } from "../contract";
import { SigningRoot } from "../tlsCa";
import { CaLifecycleArgs, ClusterCa } from "./common";
import { GeneratedLifecycle } from "./generated";
import { IstiodAdditions } from "./istiod";
import { LifecycleState } from "./phases";
import { RootStackLifecycle } from "./rootStack";
import { DeploymentRef, resolveIntermediateSource } from "./settings";

/**
 * The CA lifecycle layer every backend with an offline root uses: once per stack a lifecycle in one
 * of two modes — `GeneratedLifecycle` (this stack holds the roots and issues the intermediates) or
 * `RootStackLifecycle` (a root CA stack does; this stack follows it) — made by `createCaLifecycle`
 * from the settings; then per cluster `clusterCaMaterial` (signing root, trusted roots, intermediate).
 * The previous deployment's state (`previous`) is an input: the stack program reads it, not the lifecycle.
 */

/** What either mode gives a backend. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the deprecated class below
export interface CaLifecycle {
  /** `generate`: `GeneratedLifecycle`; `rootStack`: `RootStackLifecycle`. */
  readonly mode: "generate" | "rootStack";
  /** The state to export as the stack's `caLifecycle` output (only once the transition check passed). */
  readonly state: pulumi.Output<LifecycleState>;
  /** Every root the mesh trusts in this phase, oldest first. */
  readonly rootCerts: pulumi.Output<string[]>;
  readonly rootCertBundle: pulumi.Output<string>;
  /** The root that signs intermediates in this phase; undefined when they come from a root stack. */
  readonly signingRoot?: SigningRoot;
  /**
   * What istiod needs in this phase: `ISTIO_MULTIROOT_MESH=true` while two roots are trusted, and a
   * pod annotation with the root bundle's hash (a restart whenever the trusted roots change). Empty in
   * the first steady state, so a stack that never rotated renders istiod as before.
   */
  readonly istiodAdditions: pulumi.Output<IstiodAdditions>;
  /** Deployments to restart when their cluster's material changes. */
  readonly restartDeployments: readonly DeploymentRef[];
  /** How messages name the lifecycle's settings. */
  readonly settingsName: string;
  /**
   * For backends that issue their intermediate elsewhere (e.g. Vault signs its own CSR with
   * `signingRoot`): the name to give it, so that a new signer or generation means a new key.
   * `GeneratedLifecycle` only; `RootStackLifecycle` refuses.
   */
  intermediateResourceName(base: string): string;
  /** A cluster's intermediate: issued here (a child with `opts`), or read from the root stack and checked. */
  intermediate(name: string, cluster: ClusterCa, opts: pulumi.ComponentResourceOptions): Required<CaMaterial>;
}

/**
 * The lifecycle for the settings' mode: `GeneratedLifecycle` (created with the caller's `opts`, so the
 * first root keeps its historic URN) or `RootStackLifecycle`. Pass `previous` (see `LifecycleCommonArgs`).
 */
export function createCaLifecycle(
  name: string,
  args: CaLifecycleArgs,
  opts: pulumi.CustomResourceOptions = {},
): CaLifecycle {
  const source = resolveIntermediateSource(args.intermediateSource);
  if (source.kind === "generate") return new GeneratedLifecycle(name, args, opts);
  const { rotation, expiry, settingsName } = args;
  return new RootStackLifecycle(
    name,
    { rotation, expiry, settingsName, stack: source.stack, ...("previous" in args ? { previous: args.previous } : {}) },
    opts,
  );
}

/**
 * @deprecated `new CaLifecycle(name, args, opts)` returns `createCaLifecycle(name, args, opts)`: a
 * `GeneratedLifecycle` or a `RootStackLifecycle` (not an instance of this class). Use those instead.
 */
// The 0.1.0 constructor, kept so that existing programs compile.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class CaLifecycle {
  constructor(name: string, args: CaLifecycleArgs, opts: pulumi.CustomResourceOptions = {}) {
    return createCaLifecycle(name, args, opts);
  }
}

export interface ClusterMaterialRequest extends ClusterCa {
  /** What the backend's `shared` step created: the stack's CA lifecycle. */
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
