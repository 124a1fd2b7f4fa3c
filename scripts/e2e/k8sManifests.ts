/**
 * Turns the resources our program registers (as recorded under Pulumi mocks) into plain Kubernetes
 * manifests that `kubectl apply --server-side` can send to a real API server, in dependency order.
 *
 * Why this exists: the Pulumi Kubernetes provider (pulumi-resource-kubernetes) cannot be built in
 * this environment (the Go module proxy refuses it), so the e2e tier applies the objects the program
 * declares with kubectl instead of `pulumi up`. The inputs are exactly what the provider would send.
 *
 * Used by test/e2e/k8sObjects.test.ts (jest) and scripts/e2e/render-k8s.ts (npm run local).
 */

export interface DeclaredResource {
  type: string;
  name: string;
  /** Inputs with secret markers removed. */
  inputs: Record<string, any>;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface Rendered {
  /** The Pulumi resource name (logical name) and its manifest. */
  name: string;
  type: string;
  manifest: Manifest;
}

/** Apply phases, in order. CRDs of our own (none today) would have to be Established before custom resources. */
export interface Phases {
  /** Namespaces, first: everything else may live in one. */
  namespaces: Rendered[];
  /** Cluster-scoped objects (ClusterRole, ClusterRoleBinding, CRDs, ...). */
  cluster: Rendered[];
  /** Namespaced built-in objects (Secrets, ConfigMaps, ServiceAccounts, Roles, ...). */
  namespaced: Rendered[];
  /** Custom resources (Istio's PeerAuthentication, Sidecar, ProxyConfig, cert-manager's ...). */
  custom: Rendered[];
  /** Declared Kubernetes types not applied, with the reason (Helm charts, providers). */
  skipped: { name: string; type: string; reason: string }[];
}

/** Pulumi type tokens that are not one Kubernetes object. */
const NOT_AN_OBJECT: Record<string, string> = {
  "pulumi:providers:kubernetes": "a Pulumi provider, not an object",
  "kubernetes:helm.sh/v4:Chart": "a Helm chart (rendered by the provider's Helm engine, which needs the plugin)",
  "kubernetes:helm.sh/v3:Release": "a Helm release (needs the provider plugin)",
  "kubernetes:helm.sh/v3:Chart": "a Helm chart (needs the provider plugin)",
  "kubernetes:yaml/v2:ConfigGroup": "a YAML group (needs the provider plugin)",
  "kubernetes:yaml/v2:ConfigFile": "a YAML file (needs the provider plugin)",
};

/** Kinds of the core/built-in API groups; anything else is a custom resource. */
const BUILTIN_GROUPS = new Set(["core", "apps", "batch", "rbac.authorization.k8s.io", "policy", "networking.k8s.io",
  "admissionregistration.k8s.io", "apiextensions.k8s.io", "certificates.k8s.io", "coordination.k8s.io", "storage.k8s.io",
  "autoscaling", "scheduling.k8s.io", "discovery.k8s.io"]);

const CLUSTER_SCOPED_BUILTIN = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
  "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "StorageClass", "PriorityClass", "PersistentVolume"]);
/** Custom kinds known to be cluster-scoped (cert-manager's issuers), for ordering only. */
const CLUSTER_SCOPED_CUSTOM = new Set(["ClusterIssuer"]);

/** `kubernetes:rbac.authorization.k8s.io/v1:ClusterRole` → `{ group, apiVersion, kind }`. */
export function parseType(type: string): { group: string; apiVersion: string; kind: string } | undefined {
  const m = /^kubernetes:([^:]+):(.+)$/.exec(type);
  if (!m) return undefined;
  const [groupVersion, kind] = [m[1], m[2]];
  const slash = groupVersion.lastIndexOf("/");
  const group = slash < 0 ? "core" : groupVersion.slice(0, slash);
  const version = groupVersion.slice(slash + 1);
  return { group, apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

/** Drops `undefined`/`null` fields the SDK leaves in inputs (kubectl would send nulls). */
function clean(v: any): any {
  if (Array.isArray(v)) return v.map(clean);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== null).map(([k, x]) => [k, clean(x)]));
  }
  return v;
}

/** Every Kubernetes object the program declares, grouped into apply phases. */
export function toPhases(resources: DeclaredResource[]): Phases {
  const phases: Phases = { namespaces: [], cluster: [], namespaced: [], custom: [], skipped: [] };
  for (const r of resources) {
    if (NOT_AN_OBJECT[r.type]) { phases.skipped.push({ name: r.name, type: r.type, reason: NOT_AN_OBJECT[r.type] }); continue; }
    const t = parseType(r.type);
    if (!t) continue; // tls, vault, azure, components...
    const body = clean(r.inputs);
    // `Secret.get(...)` and friends register a read with no inputs of their own: nothing to apply.
    if (!body.metadata) { phases.skipped.push({ name: r.name, type: r.type, reason: "a read of an existing object (.get)" }); continue; }
    const manifest: Manifest = { ...body, apiVersion: body.apiVersion ?? t.apiVersion, kind: body.kind ?? t.kind, metadata: body.metadata ?? {} };
    if (!manifest.metadata.name) {
      throw new Error(`${r.type} ${r.name}: no metadata.name (Pulumi would auto-name it); give it a fixed name to apply it with kubectl`);
    }
    const rendered: Rendered = { name: r.name, type: r.type, manifest };
    if (manifest.kind === "Namespace") phases.namespaces.push(rendered);
    else if (!BUILTIN_GROUPS.has(t.group)) (CLUSTER_SCOPED_CUSTOM.has(manifest.kind) ? phases.cluster : phases.custom).push(rendered);
    else if (CLUSTER_SCOPED_BUILTIN.has(manifest.kind)) phases.cluster.push(rendered);
    else phases.namespaced.push(rendered);
  }
  return phases;
}

export const PHASE_ORDER = ["namespaces", "cluster", "namespaced", "custom"] as const;

/** `kind/namespace/name`, for listings. */
export function describeManifest(m: Manifest): string {
  return `${m.apiVersion} ${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ""}${m.metadata.name}`;
}
