import * as k8s from "@pulumi/kubernetes";
import { PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication";
import * as pulumi from "@pulumi/pulumi";
import { ISTIO_SECURITY_V1, validatedCustomResource } from "../shared/customResource";

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
  readonly provider: k8s.Provider;
  /** Istio's root namespace: a selector-less policy there is mesh-wide. */
  readonly rootNamespace: string;
  /** Mesh-wide mode (STRICT by default in config). */
  readonly meshMode: MtlsMode;
  /** Namespace-wide modes. */
  readonly namespaces: { readonly name: string; readonly mode: MtlsMode }[];
  readonly exceptions: PortMtlsException[];
  /** Resources that must exist first (the namespaces, Istio's CRDs). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Builds a PeerAuthentication model; exported for reuse and tests. */
export function peerAuthentication(name: string, namespace: string, mode: MtlsMode | undefined,
  selector?: Record<string, string>, ports?: Record<string, MtlsMode>): PeerAuthentication {
  if (ports && Object.keys(ports).length > 0 && !selector) {
    throw new Error(`PeerAuthentication ${namespace}/${name}: portLevelMtls needs a workload selector`);
  }
  return new PeerAuthentication({
    metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "istio-mesh-ca" } },
    spec: {
      ...(selector ? { selector: { matchLabels: selector } } : {}),
      ...(mode ? { mtls: { mode } } : {}),
      ...(ports ? { portLevelMtls: Object.fromEntries(Object.entries(ports).map(([p, m]) => [p, { mode: m }])) } : {}),
    },
  });
}

/** Mesh-wide, per-namespace and per-port mTLS as PeerAuthentication resources. */
export class MeshMtls extends pulumi.ComponentResource {
  constructor(name: string, args: MeshMtlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:policy:MeshMtls", name, {}, opts);
    const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
    validatedCustomResource(`${name}-mesh`, peerAuthentication("default", args.rootNamespace, args.meshMode), o, ISTIO_SECURITY_V1);
    for (const ns of args.namespaces) {
      validatedCustomResource(`${name}-ns-${ns.name}`, peerAuthentication("default", ns.name, ns.mode), o, ISTIO_SECURITY_V1);
    }
    for (const ex of args.exceptions) {
      validatedCustomResource(`${name}-${ex.namespace}-${ex.name}`,
        peerAuthentication(ex.name, ex.namespace, ex.mode, ex.selector, ex.ports), o, ISTIO_SECURITY_V1);
    }
    this.registerOutputs({});
  }
}
