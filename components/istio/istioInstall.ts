import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { CaBackend } from "../ca/contract";
import { MeshComponent } from "../shared/meshComponent";
import { NamedMap } from "../shared/stringMaps";
import { Transform, transformed } from "../shared/transform";
import { CacertsSecret, CacertsSecretArgs } from "./cacerts";
import { deploymentEnvPostRenderer, istiodName } from "./deploymentEnv";
import { Values, deepMerge, injectionLabels, istiodValues } from "./values";
import { DEFAULT_ISTIO_NAMESPACE, ISTIO_CHART_REPOSITORY, ISTIO_VERSION } from "./versions";

/** Where charts come from: a Helm repository at a pinned version, or a local directory. */
export type ChartSource =
  | { readonly repository: string; readonly version: string }
  /** A directory holding `base/`, `istiod/` and `gateway/` (air-gapped installs, an unpacked release). */
  | { readonly path: string };

export interface IngressGatewayArgs {
  /**
   * Release name, also the gateway's Deployment and Service name.
   * @default "istio-ingressgateway"
   */
  readonly name?: string;
  /** @default "istio-ingress" */
  readonly namespace?: string;
  /** @default "LoadBalancer" */
  readonly serviceType?: "LoadBalancer" | "ClusterIP" | "NodePort";
}

export interface IstioInstallArgs {
  /** Provider of the target cluster; every child uses it. */
  readonly provider: k8s.Provider;
  /**
   * The namespace istiod runs in.
   * @default "istio-system"
   */
  readonly namespace?: string;
  /**
   * Create the namespace (false when another stack owns it).
   * @default true
   */
  readonly createNamespace?: boolean;
  /**
   * Where the `base`, `istiod` and `gateway` charts come from.
   * @default { repository: "https://istio-release.storage.googleapis.com/charts", version: "1.29.2" }
   * @example { path: "/opt/istio-1.29.2/manifests/charts" }
   */
  readonly chartSource?: ChartSource;
  /** Istio revision (canary upgrades): istiod, its service account and the injection label follow it. */
  readonly revision?: string;
  /**
   * `meshConfig.trustDomain` (SPIFFE IDs `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`); Istio's default is `cluster.local`.
   */
  readonly trustDomain?: string;
  /** The CA backend. Whatever backend it is, it is consumed the same way. */
  readonly ca: CaBackend;
  /**
   * istiod env that enabled features need, by feature (conflicts with the backend's env are refused).
   * @example [{ source: "sidecarIngressTls", values: { ENABLE_TLS_ON_SIDECAR_INGRESS: "true" } }]
   */
  readonly featureEnv?: NamedMap[];
  /** An ingress gateway, if wanted. */
  readonly gateway?: IngressGatewayArgs;
  /**
   * Don't wait for Deployments to become ready (API servers without nodes, fast previews).
   * @default false
   */
  readonly skipAwait?: boolean;
  /** Per-chart value overrides, merged last (they win over everything, including the backend's values). */
  readonly values?: { readonly base?: Values; readonly istiod?: Values; readonly gateway?: Values };
  /**
   * Per-child escape hatches: partial args merged over ours, or a function editing args and options.
   * @example { istiod: { skipAwait: false } }
   */
  readonly transform?: {
    readonly namespace?: Transform<k8s.core.v1.NamespaceArgs>;
    readonly cacerts?: Transform<CacertsSecretArgs>;
    /** The `base` chart's Helm release (a `helm.v3.Release`, not a Chart: see {@link IstioInstall}). */
    readonly base?: Transform<k8s.helm.v3.ReleaseArgs>;
    readonly istiodClusterRole?: Transform<k8s.rbac.v1.ClusterRoleArgs>;
    readonly istiodClusterRoleBinding?: Transform<k8s.rbac.v1.ClusterRoleBindingArgs>;
    readonly istiod?: Transform<k8s.helm.v4.ChartArgs>;
    readonly gatewayNamespace?: Transform<k8s.core.v1.NamespaceArgs>;
    readonly gateway?: Transform<k8s.helm.v4.ChartArgs>;
  };
}

/** The chart reference, in the shape both `helm.v4.Chart` and `helm.v3.Release` take. */
function chartRef(
  source: ChartSource,
  chart: string,
): { chart: string; version?: string; repositoryOpts?: { repo: string } } {
  return "path" in source
    ? { chart: path.resolve(source.path, chart) }
    : { chart, version: source.version, repositoryOpts: { repo: source.repository } };
}

/**
 * Istio from its Helm charts (`base`, `istiod`, optional `gateway`), with istiod configured from the
 * CA backend's settings. `istiod` and `gateway` are `helm.v4.Chart`s: every rendered object is its
 * own resource, so `pulumi preview` shows istiod's Deployment, webhooks and RBAC individually (what a
 * CA change touches). `base` is a Helm release (`helm.v3.Release`), as Istio's Helm guide installs it:
 * it is Istio's CRDs (≈ 0.9 MB of schemas) plus a service account and the default validating
 * webhook; as Chart children the engine checked and diffed each CRD on every run, ≈ 8 of a 13 s
 * no-change preview (docs/e2e.md). Helm upgrades the CRDs from the chart's templates
 * (`base.enableCRDTemplates`, on by default) when the chart's version or values change, and keeps
 * them on uninstall (`helm.sh/resource-policy: keep`), as before.
 */
export class IstioInstall extends MeshComponent {
  /** The Istio namespace, when this component created it. */
  public readonly namespace?: k8s.core.v1.Namespace;
  /** The `cacerts` Secret, for backends that deliver their CA that way. */
  public readonly cacerts?: CacertsSecret;
  /** The `base` chart's Helm release: Istio's CRDs, the reader service account, the default validator. */
  public readonly base: k8s.helm.v3.Release;
  /** The ClusterRole (and binding) with the rules the backend asks for istiod, if any. */
  public readonly istiodClusterRole?: k8s.rbac.v1.ClusterRole;
  public readonly istiodClusterRoleBinding?: k8s.rbac.v1.ClusterRoleBinding;
  public readonly istiod: k8s.helm.v4.Chart;
  public readonly gatewayNamespace?: k8s.core.v1.Namespace;
  public readonly gateway?: k8s.helm.v4.Chart;
  /** Final istiod values, for inspection and tests. */
  public readonly istiodValues: pulumi.Output<Values>;

  constructor(name: string, args: IstioInstallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio", "IstioInstall", name, opts);
    const istioNamespace = args.namespace ?? DEFAULT_ISTIO_NAMESPACE;
    const source = args.chartSource ?? { repository: ISTIO_CHART_REPOSITORY, version: ISTIO_VERSION };
    const skipAwait = args.skipAwait ?? false;
    const t = args.transform ?? {};
    const k8sOpts = { parent: this, provider: args.provider };
    const settings = args.ca.istiodSettings;
    // Nothing lands in the cluster before the CA server accepted the backend's first writes
    // (CaBackend.clusterWaitsFor): refused credentials stop the update with the cluster untouched.
    const gate = args.ca.clusterWaitsFor ?? [];
    const gatedOpts = { ...k8sOpts, dependsOn: gate };

    // First, so that settings refused now (conflicting env, chart-written env) register no child.
    this.istiodValues = this.refusing(() =>
      istiodValues({
        istioNamespace,
        revision: args.revision,
        trustDomain: args.trustDomain,
        settings,
        featureEnv: args.featureEnv ?? [],
        overrides: args.values?.istiod,
        reportAgainst: this,
      }),
    );

    if (args.createNamespace ?? true) {
      const [nArgs, nOpts] = transformed(
        t.namespace,
        this.childName("namespace"),
        { metadata: { name: istioNamespace } },
        gatedOpts,
      );
      this.namespace = new k8s.core.v1.Namespace(this.childName("namespace"), nArgs, nOpts);
    }
    const nsDeps = this.namespace ? [this.namespace] : gate;
    // Children don't inherit a component's dependsOn: take the name from the Namespace so every
    // namespaced child waits for it.
    const namespace = this.namespace ? this.namespace.metadata.name : pulumi.output(istioNamespace);

    // istiod must find cacerts at start: a cacerts created after a self-signed start is not picked up.
    if (args.ca.delivery.kind === "cacerts") {
      const [cArgs, cOpts] = transformed(
        t.cacerts,
        this.childName("cacerts"),
        { namespace, material: args.ca.delivery.material, provider: args.provider },
        { parent: this, dependsOn: nsDeps },
      );
      this.cacerts = new CacertsSecret(this.childName("cacerts"), cArgs, cOpts);
    }

    const [baseArgs, baseOpts] = transformed<k8s.helm.v3.ReleaseArgs>(
      t.base,
      this.childName("base"),
      {
        ...chartRef(source, "base"),
        name: "istio-base",
        namespace: istioNamespace,
        values: deepMerge({ global: { istioNamespace } }, args.values?.base ?? {}),
        skipAwait,
      },
      { ...k8sOpts, dependsOn: nsDeps },
    );
    this.base = new k8s.helm.v3.Release(this.childName("base"), baseArgs, baseOpts);

    // Extra RBAC the backend asks for, bound to istiod's service account (named after the revision by the chart).
    if (settings.clusterRoleRules.length > 0) {
      const [rArgs, rOpts] = transformed(
        t.istiodClusterRole,
        this.childName("istiod-ca"),
        {
          metadata: { name: `istiod-ca-${istioNamespace}` },
          rules: settings.clusterRoleRules,
        },
        gatedOpts,
      );
      this.istiodClusterRole = new k8s.rbac.v1.ClusterRole(this.childName("istiod-ca"), rArgs, rOpts);
      const [bArgs, bOpts] = transformed(
        t.istiodClusterRoleBinding,
        this.childName("istiod-ca"),
        {
          metadata: { name: `istiod-ca-${istioNamespace}` },
          roleRef: {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: this.istiodClusterRole.metadata.name,
          },
          subjects: [{ kind: "ServiceAccount", name: istiodName(args.revision), namespace: istioNamespace }],
        },
        gatedOpts,
      );
      this.istiodClusterRoleBinding = new k8s.rbac.v1.ClusterRoleBinding(this.childName("istiod-ca"), bArgs, bOpts);
    }

    const overrides = settings.deploymentEnvOverrides ?? {};
    this.istiod = this.chart(
      "istiod",
      t.istiod,
      {
        ...chartRef(source, "istiod"),
        name: "istiod",
        namespace: istioNamespace,
        values: this.istiodValues,
        skipAwait,
        ...(Object.keys(overrides).length > 0
          ? { postRenderer: deploymentEnvPostRenderer(istiodName(args.revision), overrides) }
          : {}),
      },
      {
        ...k8sOpts,
        dependsOn: [
          this.base,
          ...(this.cacerts ? [this.cacerts] : []),
          ...(this.istiodClusterRole ? [this.istiodClusterRole, this.istiodClusterRoleBinding!] : []),
          ...settings.dependsOn,
        ],
      },
    );

    if (args.gateway) {
      const gw = {
        name: "istio-ingressgateway",
        namespace: "istio-ingress",
        serviceType: "LoadBalancer" as const,
        ...args.gateway,
      };
      const [nArgs, nOpts] = transformed(
        t.gatewayNamespace,
        this.childName("gateway-namespace"),
        { metadata: { name: gw.namespace, labels: injectionLabels(args.revision) } },
        gatedOpts,
      );
      this.gatewayNamespace = new k8s.core.v1.Namespace(this.childName("gateway-namespace"), nArgs, nOpts);
      this.gateway = this.chart(
        "gateway",
        t.gateway,
        {
          ...chartRef(source, "gateway"),
          name: gw.name,
          namespace: gw.namespace,
          // The gateway's pods carry `istio.io/rev: <revision>` from this value, so that revision injects them.
          values: deepMerge(
            { service: { type: gw.serviceType }, ...(args.revision ? { revision: args.revision } : {}) },
            args.values?.gateway ?? {},
          ),
          skipAwait,
        },
        { ...k8sOpts, dependsOn: [this.gatewayNamespace, this.istiod] },
      );
    }
    this.registerOutputs({ istiodValues: this.istiodValues });
  }

  private chart(
    suffix: string,
    transform: Transform<k8s.helm.v4.ChartArgs> | undefined,
    args: k8s.helm.v4.ChartArgs,
    opts: pulumi.CustomResourceOptions,
  ): k8s.helm.v4.Chart {
    const [a, o] = transformed(transform, this.childName(suffix), args, opts);
    return new k8s.helm.v4.Chart(this.childName(suffix), a, o);
  }
}
