import * as k8s from "@pulumi/kubernetes";
import { PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_ISTIO_NAMESPACE } from "../istio/versions";
import { ISTIO_SECURITY_V1, validatedCustomResource } from "../shared/customResource";
import { MANAGED_BY_LABELS, MeshComponent } from "../shared/meshComponent";
import { Transform } from "../shared/transform";

export type MtlsMode = "UNSET" | "DISABLE" | "PERMISSIVE" | "STRICT";

/** A workload-selected PeerAuthentication with per-port modes. */
export interface PortMtlsException {
  /** PeerAuthentication name. */
  readonly name: string;
  readonly namespace: string;
  /** Pod labels; `portLevelMtls` is ignored without a selector. */
  readonly selector: Record<string, string>;
  /** Workload-wide mode; omitted means inherit the namespace/mesh mode. */
  readonly mode?: MtlsMode;
  /** Keyed by the workload's container port (not the Service port). */
  readonly ports: Record<string, MtlsMode>;
}

export interface MeshMtlsArgs {
  /** Provider of the cluster; every PeerAuthentication uses it. */
  readonly provider: k8s.Provider;
  /**
   * Istio's root namespace: a selector-less policy there is mesh-wide.
   * @default "istio-system"
   */
  readonly rootNamespace?: string;
  /**
   * Mesh-wide mode. DISABLE is refused mesh-wide: use PERMISSIVE while migrating, or a port exception.
   * @default "STRICT"
   */
  readonly meshMode?: Exclude<MtlsMode, "DISABLE">;
  /** Namespace-wide modes. @default [] */
  readonly namespaces?: readonly { readonly name: string; readonly mode: Exclude<MtlsMode, "DISABLE"> }[];
  /**
   * Workload-selected policies with per-port modes. @default []
   * @example [{ name: "legacy", namespace: "shop", selector: { app: "legacy" }, ports: { "8080": "PERMISSIVE" } }]
   */
  readonly exceptions?: readonly PortMtlsException[];
  /** Resources that must exist first (the namespaces, Istio's CRDs). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Per-child escape hatch for every PeerAuthentication (partial args or a function). */
  readonly transform?: { readonly peerAuthentication?: Transform<k8s.apiextensions.CustomResourceArgs> };
}

/** Builds a PeerAuthentication model; exported for reuse and tests. */
export function peerAuthentication(
  name: string,
  namespace: string,
  mode: MtlsMode | undefined,
  selector?: Record<string, string>,
  ports?: Record<string, MtlsMode>,
): PeerAuthentication {
  if (ports && Object.keys(ports).length > 0 && !selector) {
    throw new Error(`PeerAuthentication ${namespace}/${name}: portLevelMtls needs a workload selector`);
  }
  return new PeerAuthentication({
    metadata: { name, namespace, labels: { ...MANAGED_BY_LABELS } },
    spec: {
      ...(selector ? { selector: { matchLabels: selector } } : {}),
      ...(mode ? { mtls: { mode } } : {}),
      ...(ports ? { portLevelMtls: Object.fromEntries(Object.entries(ports).map(([p, m]) => [p, { mode: m }])) } : {}),
    },
  });
}

/** Mesh-wide, per-namespace and per-port mTLS as PeerAuthentication resources. */
export class MeshMtls extends MeshComponent {
  /** Every PeerAuthentication, by child name suffix (`mesh`, `ns-<namespace>`, `<namespace>-<name>`). */
  public readonly peerAuthentications: Readonly<Record<string, k8s.apiextensions.CustomResource>>;

  constructor(name: string, args: MeshMtlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("policy", "MeshMtls", name, opts);
    const meshMode = args.meshMode ?? "STRICT";
    if ((meshMode as MtlsMode) === "DISABLE")
      this.fail(
        "meshMode DISABLE is refused for a whole mesh; use PERMISSIVE while migrating, or a port-level exception",
      );
    // Every model is built (and so validated) before the first one is registered.
    const models: [string, PeerAuthentication][] = this.refusing(() => [
      ["mesh", peerAuthentication("default", args.rootNamespace ?? DEFAULT_ISTIO_NAMESPACE, meshMode)],
      ...(args.namespaces ?? []).map((ns): [string, PeerAuthentication] => [
        `ns-${ns.name}`,
        peerAuthentication("default", ns.name, ns.mode),
      ]),
      ...(args.exceptions ?? []).map((ex): [string, PeerAuthentication] => [
        `${ex.namespace}-${ex.name}`,
        peerAuthentication(ex.name, ex.namespace, ex.mode, ex.selector, ex.ports),
      ]),
    ]);
    const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
    this.peerAuthentications = Object.fromEntries(
      models.map(([suffix, model]) => [
        suffix,
        validatedCustomResource(
          this.childName(suffix),
          model,
          o,
          ISTIO_SECURITY_V1,
          args.transform?.peerAuthentication,
        ),
      ]),
    );
    this.registerOutputs({});
  }
}
