import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CaBackend } from "../components/ca/contract";
import { CacertsSecret } from "../components/istio/cacerts";
import { IstioInstall, IstioInstallArgs } from "../components/istio/istioInstall";
import { injectionLabels } from "../components/istio/values";
import { NamedMap } from "../components/shared/stringMaps";
import { MeshMtls, MtlsMode, PortMtlsException } from "../components/policy/mtls";
import { NamespaceProxyConfigs } from "../components/policy/proxyConfig";
import {
  SIDECAR_INGRESS_TLS_ENV,
  SidecarIngressTls,
  SidecarIngressTlsArgs,
} from "../components/policy/sidecarIngressTls";

/** A namespace of the mesh. */
export interface MeshNamespace {
  readonly name: string;
  /** Create it, or only reference an existing one. */
  readonly create: boolean;
  /** Sidecar injection label (`istio-injection=enabled`, or `istio.io/rev=<revision>`). */
  readonly injection: boolean;
  /** Namespace-wide PeerAuthentication mode; unset means the mesh-wide mode applies. */
  readonly mtls?: Exclude<MtlsMode, "DISABLE">;
  readonly labels?: Record<string, string>;
}

/** How Istio gets into the cluster: installed here from its charts, or by someone else. */
export type MeshIstio =
  | ({ readonly install: "helm"; readonly namespace: string } & Omit<
      IstioInstallArgs,
      "provider" | "ca" | "featureEnv" | "namespace"
    >)
  | { readonly install: "external"; readonly namespace: string };

/** One workload terminating external TLS in its sidecar (SidecarIngressTls without provider and ordering). */
export type MeshSidecarIngressTls = Omit<SidecarIngressTlsArgs, "provider" | "dependsOn">;

export interface MeshClusterArgs {
  readonly provider: k8s.Provider;
  /** The cluster's CA backend (any kind). */
  readonly ca: CaBackend & pulumi.Resource;
  readonly istio: MeshIstio;
  readonly namespaces: readonly MeshNamespace[];
  /** Mesh-wide mode and per-port exceptions. */
  readonly mtls: { readonly mode: Exclude<MtlsMode, "DISABLE">; readonly exceptions: readonly PortMtlsException[] };
  readonly sidecarIngressTls: readonly MeshSidecarIngressTls[];
}

/**
 * One cluster of the mesh: namespaces, Istio wired to the CA backend, mTLS policies and sidecar
 * ingress TLS. The stack program maps its config to these args (stacks/meshClusterArgs.ts).
 */
export class MeshCluster extends pulumi.ComponentResource {
  /** Undefined when `istio.install` is `external`. */
  public readonly istio?: IstioInstall;
  public readonly sidecarIngressTls: Record<string, SidecarIngressTls> = {};
  /** The Namespaces this cluster's mesh created (Istio's and the declared ones). */
  public readonly namespaces: k8s.core.v1.Namespace[];

  constructor(name: string, args: MeshClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:stacks:MeshCluster", name, {}, opts);
    const { provider, istio } = args;
    const k8sOpts = { parent: this, provider };
    // What the CA server must have accepted before anything lands in the cluster (CaBackend.clusterWaitsFor).
    const gate = args.ca.clusterWaitsFor ?? [];
    const revision = istio.install === "helm" ? istio.revision : undefined;

    const namespaces = args.namespaces
      .filter((n) => n.create)
      .map(
        (n) =>
          new k8s.core.v1.Namespace(
            `${name}-ns-${n.name}`,
            {
              metadata: {
                name: n.name,
                // With istio.revision, injection means `istio.io/rev=<revision>`: no webhook of a revisioned
                // install selects `istio-injection=enabled`.
                labels: { ...(n.labels ?? {}), ...(n.injection ? injectionLabels(revision) : {}) },
              },
            },
            { ...k8sOpts, dependsOn: gate },
          ),
      );

    const featureEnv: NamedMap[] =
      args.sidecarIngressTls.length > 0 ? [{ source: "sidecarIngressTls", values: SIDECAR_INGRESS_TLS_ENV }] : [];
    if (istio.install === "external" && featureEnv.length > 0) {
      // We don't render istiod's values here: say what the external install must set.
      void pulumi.log.warn(
        `Istio is installed elsewhere: its istiod must run with ${featureEnv
          .flatMap((f) => Object.entries(f.values as Record<string, string>).map(([k, v]) => `${k}=${v}`))
          .join(", ")} for sidecar ingress TLS to work`,
        this,
      );
    }
    // What the mesh policies wait for: Istio (its CRDs) when we install it, the cacerts otherwise.
    const installed: pulumi.Resource[] = [];
    if (istio.install === "external") {
      if (args.ca.delivery.kind === "cacerts") {
        installed.push(
          new CacertsSecret(
            `${name}-cacerts`,
            { namespace: istio.namespace, material: args.ca.delivery.material, provider },
            { parent: this },
          ),
        );
      }
    } else {
      const { install: _install, ...installArgs } = istio;
      this.istio = new IstioInstall(
        `${name}-istio`,
        { ...installArgs, provider, ca: args.ca, featureEnv },
        { parent: this },
      );
      installed.push(this.istio);
    }

    // Policies need Istio's CRDs and their namespaces.
    const policyDeps = [...installed, ...namespaces];
    this.namespaces = [...(this.istio?.namespace ? [this.istio.namespace] : []), ...namespaces];
    new MeshMtls(
      `${name}-mtls`,
      {
        provider,
        rootNamespace: istio.namespace,
        meshMode: args.mtls.mode,
        namespaces: args.namespaces.flatMap((n) => (n.mtls ? [{ name: n.name, mode: n.mtls }] : [])),
        exceptions: args.mtls.exceptions,
        dependsOn: policyDeps,
      },
      { parent: this },
    );

    const proxyEnv = args.ca.istiodSettings.namespaceProxyEnv ?? {};
    if (Object.keys(proxyEnv).length > 0) {
      new NamespaceProxyConfigs(
        `${name}-proxyconfig`,
        { provider, env: proxyEnv, dependsOn: policyDeps },
        { parent: this },
      );
    }

    for (const s of args.sidecarIngressTls) {
      this.sidecarIngressTls[`${s.namespace}/${s.workloadName}`] = new SidecarIngressTls(
        `${name}-${s.namespace}-${s.workloadName}`,
        { ...s, provider, dependsOn: policyDeps },
        { parent: this },
      );
    }
    this.registerOutputs({});
  }
}
