import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { CaBackend } from "../ca/contract";
import { Transform, transformed } from "../shared/transform";
import { CacertsSecret } from "./cacerts";
import { deploymentEnvPostRenderer, istiodName } from "./deploymentEnv";
import { EnvSource, Values, deepMerge, injectionLabels, istiodValues } from "./values";

/** Where charts come from: the official repository at a pinned version, or a local directory. */
export type ChartSource =
  | { readonly repository: string; readonly version: string }
  /** A directory holding `base/`, `istiod/` and `gateway/` (air-gapped installs, an unpacked release). */
  | { readonly path: string };

export interface IngressGatewayArgs {
  /** Release name, also the gateway's Deployment and Service name. */
  readonly name: string;
  readonly namespace: string;
  /** Service type of the gateway. */
  readonly serviceType: "LoadBalancer" | "ClusterIP" | "NodePort";
}

export interface IstioInstallArgs {
  /** Provider of the target cluster. */
  readonly provider: k8s.Provider;
  /** The namespace istiod runs in. */
  readonly namespace: string;
  /** Create the namespace (false when another stack owns it). */
  readonly createNamespace: boolean;
  readonly chartSource: ChartSource;
  /** Optional revision (canary upgrades). */
  readonly revision?: string;
  readonly trustDomain?: string;
  /** The CA backend's contract. Whatever backend it is, it is consumed the same way. */
  readonly ca: CaBackend;
  /** Env that enabled features need in istiod. */
  readonly featureEnv?: EnvSource[];
  /** Extra istiod pod annotations, e.g. a restart trigger when the root bundle changes. */
  readonly extraPodAnnotations?: Record<string, pulumi.Input<string>>;
  /** An ingress gateway, if wanted. */
  readonly gateway?: IngressGatewayArgs;
  /** Don't wait for Deployments to become ready (clusters without nodes, fast previews). */
  readonly skipAwait?: boolean;
  /** Per-chart value overrides, merged last. */
  readonly values?: { readonly base?: Values; readonly istiod?: Values; readonly gateway?: Values };
  /** Per-child escape hatches. */
  readonly transform?: {
    readonly base?: Transform<k8s.helm.v4.ChartArgs>;
    readonly istiod?: Transform<k8s.helm.v4.ChartArgs>;
    readonly gateway?: Transform<k8s.helm.v4.ChartArgs>;
  };
}

function chartRef(source: ChartSource, chart: string): Pick<k8s.helm.v4.ChartArgs, "chart" | "version" | "repositoryOpts"> {
  return "path" in source
    ? { chart: path.resolve(source.path, chart) }
    : { chart, version: source.version, repositoryOpts: { repo: source.repository } };
}

/**
 * Istio from its Helm charts (`base`, `istiod`, optional `gateway`), with istiod configured from the
 * CA backend's contribution. `helm.v4.Chart` registers every rendered object as its own resource,
 * so `pulumi preview` shows Istio objects individually rather than one release blob.
 */
export class IstioInstall extends pulumi.ComponentResource {
  public readonly istiod: k8s.helm.v4.Chart;
  public readonly cacerts?: CacertsSecret;
  /** The Istio namespace, when this component created it. */
  public readonly namespace?: k8s.core.v1.Namespace;
  /** Final istiod values, for inspection and tests. */
  public readonly istiodValues: pulumi.Output<Values>;

  constructor(name: string, args: IstioInstallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:istio:IstioInstall", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    const contribution = args.ca.istiod;

    const ns = this.namespace = args.createNamespace
      ? new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: args.namespace } }, k8sOpts)
      : undefined;
    const nsDeps = ns ? [ns] : [];
    // Children don't inherit a component's dependsOn: take the name from the Namespace so every
    // namespaced child waits for it.
    const namespace = ns ? ns.metadata.name : pulumi.output(args.namespace);

    // istiod must find cacerts at start: a cacerts created after a self-signed start is not picked up.
    this.cacerts = contribution.usesCacertsSecret
      ? new CacertsSecret(`${name}-cacerts`, { namespace, material: args.ca.material, provider: args.provider },
        { parent: this, dependsOn: nsDeps })
      : undefined;

    const [baseArgs, baseOpts] = transformed(args.transform?.base, {
      ...chartRef(args.chartSource, "base"),
      name: "istio-base",
      namespace: args.namespace,
      values: deepMerge({ global: { istioNamespace: args.namespace } }, args.values?.base ?? {}),
      skipAwait: args.skipAwait,
    }, { ...k8sOpts, dependsOn: nsDeps });
    const base = new k8s.helm.v4.Chart(`${name}-base`, baseArgs, baseOpts);

    // Extra RBAC the backend asks for, bound to istiod's service account.
    const rbac: pulumi.Resource[] = [];
    if (contribution.clusterRoleRules.length > 0) {
      // The chart names istiod's service account (and Deployment) after the revision.
      const sa = istiodName(args.revision);
      const role = new k8s.rbac.v1.ClusterRole(`${name}-istiod-ca`, {
        metadata: { name: `istiod-ca-${args.namespace}` },
        rules: contribution.clusterRoleRules,
      }, k8sOpts);
      rbac.push(role, new k8s.rbac.v1.ClusterRoleBinding(`${name}-istiod-ca`, {
        metadata: { name: `istiod-ca-${args.namespace}` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: sa, namespace: args.namespace }],
      }, k8sOpts));
    }

    this.istiodValues = istiodValues({
      istioNamespace: args.namespace,
      revision: args.revision,
      trustDomain: args.trustDomain,
      contribution,
      featureEnv: args.featureEnv ?? [],
      extraPodAnnotations: args.extraPodAnnotations,
      overrides: args.values?.istiod,
    });
    const [istiodArgs, istiodOpts] = transformed(args.transform?.istiod, {
      ...chartRef(args.chartSource, "istiod"),
      name: "istiod",
      namespace: args.namespace,
      values: this.istiodValues,
      skipAwait: args.skipAwait,
      ...(Object.keys(contribution.deploymentEnvOverrides ?? {}).length > 0
        ? { postRenderer: deploymentEnvPostRenderer(istiodName(args.revision), contribution.deploymentEnvOverrides!) } : {}),
    }, { ...k8sOpts, dependsOn: [base, ...(this.cacerts ? [this.cacerts] : []), ...rbac, ...contribution.dependsOn] });
    this.istiod = new k8s.helm.v4.Chart(`${name}-istiod`, istiodArgs, istiodOpts);

    if (args.gateway) {
      const gwNs = new k8s.core.v1.Namespace(`${name}-gateway-namespace`, {
        metadata: { name: args.gateway.namespace, labels: injectionLabels(args.revision) },
      }, k8sOpts);
      const [gwArgs, gwOpts] = transformed(args.transform?.gateway, {
        ...chartRef(args.chartSource, "gateway"),
        name: args.gateway.name,
        namespace: args.gateway.namespace,
        // The gateway's pods carry `istio.io/rev: <revision>` from this value, so that revision injects them.
        values: deepMerge({ service: { type: args.gateway.serviceType }, ...(args.revision ? { revision: args.revision } : {}) },
          args.values?.gateway ?? {}),
        skipAwait: args.skipAwait,
      }, { ...k8sOpts, dependsOn: [gwNs, this.istiod] });
      new k8s.helm.v4.Chart(`${name}-gateway`, gwArgs, gwOpts);
    }
    this.registerOutputs({ istiodValues: this.istiodValues });
  }
}
