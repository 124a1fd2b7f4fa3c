import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CaBackend } from "../../components/ca/contract";
import { DeploymentRef, LifecycleState } from "../../components/ca/lifecycle";
import { DeployedMaterial } from "../../components/ca/provided";
import { ConfigIssue } from "../atoms";

/**
 * A config adapter: how one backend's `istio-mesh-ca:ca` object becomes components. The stack
 * programs (stacks/) and config validation use adapters; the components under components/ca/
 * know nothing of config.
 *
 * Defaults and checks have one source, the component's settings module
 * (components/ca/<backend>/settings.ts): `resolve…Settings` applies every default, `…Problems` are
 * the pure checks. An adapter's schema checks the shape only (types, enums, formats, strict objects,
 * no `.default()` for what the resolver defaults), reports the problems at their config paths (before
 * any resource is registered) and transforms through the resolver. Resolved settings carry
 * `resolved: true`: a component given them neither checks nor resolves them again; given plain
 * settings (a library user composing it directly), it checks them, refusing before registering a
 * child, and resolves them itself. A new default is one edit, in the resolver. The same holds for what
 * backends share: the certificate parameters (components/ca/certParams.ts, schemas in ../certParams.ts)
 * and the CA lifecycle's settings (components/ca/lifecycle/settings.ts, schemas in ../lifecycle.ts).
 */

/** The config key of the CA backend's settings, as messages name it. */
export const CA_CONFIG_KEY = "istio-mesh-ca:ca";

/** The parts of the stack config a backend's cross-checks and shared step may look at. */
export interface StackView {
  readonly clusters: readonly { readonly name: string }[];
  readonly namespaces: readonly {
    readonly name: string;
    readonly labels?: Record<string, string>;
    readonly injection?: boolean;
  }[];
  readonly istio: {
    readonly namespace: string;
    readonly install: "helm" | "external";
    readonly revision?: string;
    readonly trustDomain?: string;
  };
  readonly sidecarIngressTls?: readonly unknown[];
  /**
   * Given by the stack program (stacks/previousDeployment.ts) to a backend's shared step: opens the
   * StackReference `name` (with `opts`, so its URN stays what it was) to this stack and reads back what
   * its last deployment exported. Without it, a lifecycle warns that its rotation-order check is off.
   */
  readonly previousDeployment?: PreviousDeploymentReader;
}

/** What the last deployment of this stack exported, as far as the CA backends check against it. */
export interface PreviousDeployment {
  /** Its `caLifecycle` output; undefined on a first deployment. */
  readonly caLifecycle: pulumi.Output<LifecycleState | undefined>;
  /** Its `clusters.<name>` certificates; undefined on a first deployment. */
  readonly clusters: pulumi.Output<Record<string, DeployedMaterial> | undefined>;
}

/** Opens a StackReference named `name` to this stack (see `StackView.previousDeployment`). */
export type PreviousDeploymentReader = (name: string, opts: pulumi.CustomResourceOptions) => PreviousDeployment;

/**
 * For a lifecycle's args: `previous`, the state the last deployment recorded, read through the
 * StackReference `name` with `opts`; nothing (the lifecycle then warns) when the stack program gives no reader.
 */
export function previousLifecycle(
  stack: StackView,
  name: string,
  opts: pulumi.CustomResourceOptions,
): { previous?: pulumi.Output<LifecycleState | undefined> } {
  return stack.previousDeployment ? { previous: stack.previousDeployment(name, opts).caLifecycle } : {};
}

/** What a backend's per-cluster step gets to know about the cluster it serves. */
export interface ClusterContext<Shared> {
  /** The cluster's name from config (`clusters[].name`). */
  readonly clusterName: string;
  /** The Kubernetes provider of that cluster; pass it to every Kubernetes child. */
  readonly provider: k8s.Provider;
  /** The namespace istiod runs in. */
  readonly istioNamespace: string;
  /** `istio.revision`: istiod's Deployment and service account are then `istiod-<revision>`. */
  readonly istioRevision?: string;
  /**
   * The Namespaces of this cluster (Istio's and the declared ones), created after the backend:
   * namespaced children the backend puts into them must depend on this.
   */
  readonly namespacesReady: Promise<pulumi.Resource[]>;
  /** Whatever the adapter's `shared` step created once for the whole stack. */
  readonly shared: Shared;
}

/** What a composition needs of a backend's CA lifecycle: the state to export, workloads to restart. */
export interface LifecycleHolder {
  /** The state to export as the stack's `caLifecycle` output. */
  readonly state: pulumi.Output<LifecycleState>;
  readonly restartDeployments: readonly DeploymentRef[];
}

/** Reads whether a config key was set with `--secret` (config/load.ts `isConfigSecret`). */
export type IsSecretKey = (key: string) => boolean;

export interface BackendAdapter<Name extends string, Config extends { backend: Name }, Shared> {
  /** The `backend` value that selects this adapter. */
  readonly backend: Name;
  /** The `istio-mesh-ca:ca` object for this backend. */
  readonly schema: z.ZodType<Config, unknown>;
  /**
   * Pure cross-key checks against the rest of the stack config (e.g. a namespace mapping naming
   * namespaces declared in `istio-mesh-ca:namespaces`), paths relative to the whole config. Also
   * called when `ca` has problems of its own: then `config` is as given, not parsed or resolved.
   */
  readonly validate?: (config: Config, stack: StackView) => ConfigIssue[];
  /** Values that must be secret but were set in plain config (a token, a key): one message each. */
  readonly plaintextSecrets?: (config: Config, isSecret: IsSecretKey) => string[];
  /** Resources every cluster of the stack shares, such as an offline root. */
  readonly shared: (name: string, config: Config, stack: StackView, opts: pulumi.ComponentResourceOptions) => Shared;
  /** The backend's CA lifecycle, when its shared step holds one (phase to export, restarts). */
  readonly lifecycle: (shared: Shared) => LifecycleHolder | undefined;
  /** The per-cluster component. */
  readonly create: (
    name: string,
    config: Config,
    ctx: ClusterContext<Shared>,
    opts: pulumi.ComponentResourceOptions,
  ) => CaBackend & pulumi.Resource;
}

/** Identity helper that keeps an adapter's types checked where it is written. */
export function defineAdapter<Name extends string, Config extends { backend: Name }, Shared = undefined>(
  adapter: BackendAdapter<Name, Config, Shared>,
): BackendAdapter<Name, Config, Shared> {
  return adapter;
}

/** For adapters without a shared step. */
export const nothingShared = (): undefined => undefined;
/** For adapters without a CA lifecycle. */
export const noLifecycle = (): undefined => undefined;
