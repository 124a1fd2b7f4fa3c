import type * as k8s from "@pulumi/kubernetes";

/**
 * The Kubernetes objects the conductor reads, in the output types of the @pulumi/kubernetes SDK
 * (types/output.d.ts: plain fields, no Output<>). Types only: `import type` is erased, so neither
 * this module nor the SDK is loaded at run time (`npm run rotate` and `npm run preview-summary` run
 * under ts-node --transpile-only).
 *
 * The SDK declares every field present, as the provider fills them; `kubectl get -o json` and the
 * engine's resource inputs leave out empty ones (a Namespace without labels has no `labels`), which
 * the gates and the summary handle. `FromApi` says so: the SDK's type with every field optional, at
 * every depth.
 */
export type FromApi<T> = T extends readonly (infer U)[]
  ? FromApi<U>[]
  : T extends object
    ? { [K in keyof T]?: FromApi<T[K]> }
    : T;

export type Secret = FromApi<k8s.types.output.core.v1.Secret>;
export type ConfigMap = FromApi<k8s.types.output.core.v1.ConfigMap>;
export type Namespace = FromApi<k8s.types.output.core.v1.Namespace>;
export type Pod = FromApi<k8s.types.output.core.v1.Pod>;
export type PodTemplateSpec = FromApi<k8s.types.output.core.v1.PodTemplateSpec>;
export type Deployment = FromApi<k8s.types.output.apps.v1.Deployment>;
export type DeploymentStatus = FromApi<k8s.types.output.apps.v1.DeploymentStatus>;
export type ObjectMeta = FromApi<k8s.types.output.meta.v1.ObjectMeta>;

/**
 * What `kubectl get <kind> -o json` returns, by the kind names the conductor passes (kubectl takes singular and
 * plural).
 */
export interface KubeKinds {
  readonly secret: Secret;
  readonly configmap: ConfigMap;
  readonly deployment: Deployment;
  readonly namespaces: Namespace;
  readonly pods: Pod;
}
