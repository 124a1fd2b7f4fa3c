import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CaBackend } from "./contract";

/** The parts of the stack config a backend's cross-checks may look at. */
export interface StackConfigView {
  readonly clusters: readonly { readonly name: string }[];
  readonly namespaces: readonly { readonly name: string; readonly labels?: Record<string, string>; readonly injection?: boolean }[];
  readonly istio: {
    readonly namespace: string;
    readonly install: "helm" | "external";
    readonly revision?: string;
    readonly trustDomain?: string;
  };
  readonly sidecarIngressTls?: readonly unknown[];
}

/** What a backend gets to know about the cluster it serves. */
export interface BackendContext<Shared> {
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
   * namespaced children the backend puts into them must depend on this. Resolves once the
   * cluster's mesh is declared.
   */
  readonly namespacesReady: Promise<pulumi.Resource[]>;
  /** Whatever the backend's `shared` step created once for the whole stack. */
  readonly shared: Shared;
}

/**
 * One CA backend: its config schema (the `istio-mesh-ca:ca` object, discriminated by `backend`),
 * an optional once-per-stack step and a once-per-cluster component that yields the contract.
 */
export interface BackendDefinition<Config extends { backend: string }, Shared = undefined> {
  readonly schema: z.ZodType<Config, any>;
  /**
   * Pure cross-key checks against the rest of the stack config (e.g. a namespace mapping naming
   * namespaces declared in `istio-mesh-ca:namespaces`). Returns problems as `{ path, message }`,
   * paths relative to the whole config (e.g. `["ca", "namespaceSigners", "foo"]`). Runs during config
   * validation, before any resource exists.
   */
  readonly validate?: (config: Config, stack: StackConfigView) => { path: (string | number)[]; message: string; input?: unknown }[];
  /** Resources every cluster of the stack shares, such as an offline root. */
  readonly shared?: (name: string, config: Config, opts: pulumi.ComponentResourceOptions) => Shared;
  /** The per-cluster component. */
  readonly create: (
    name: string,
    config: Config,
    ctx: BackendContext<Shared>,
    opts: pulumi.ComponentResourceOptions,
  ) => CaBackend & pulumi.Resource;
}

/** Identity helper that keeps a definition's types checked where it is written. */
export function defineBackend<Config extends { backend: string }, Shared = undefined>(
  def: BackendDefinition<Config, Shared>,
): BackendDefinition<Config, Shared> {
  return def;
}
