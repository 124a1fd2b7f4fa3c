import * as k8s from "@pulumi/kubernetes";
import { ProxyConfig } from "@kubernetes-models/istio/networking.istio.io/v1beta1/ProxyConfig";
import * as pulumi from "@pulumi/pulumi";

export interface NamespaceProxyConfigsArgs {
  readonly provider: k8s.Provider;
  /** Namespace → proxy environment variables. The namespace of each ProxyConfig is the map key, by construction. */
  readonly env: Record<string, Record<string, pulumi.Input<string>>>;
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** One namespace-wide Istio ProxyConfig per namespace, setting proxy environment variables. */
export class NamespaceProxyConfigs extends pulumi.ComponentResource {
  constructor(name: string, args: NamespaceProxyConfigsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:policy:NamespaceProxyConfigs", name, {}, opts);
    for (const [namespace, env] of Object.entries(args.env)) {
      // Validate the shape with placeholder strings (values may be Outputs), then emit the real values.
      const shape = new ProxyConfig({
        metadata: { name: "istio-mesh-ca", namespace },
        spec: { environmentVariables: Object.fromEntries(Object.keys(env).map((k) => [k, "x"])) },
      });
      shape.validate();
      new k8s.apiextensions.CustomResource(`${name}-${namespace}`, {
        apiVersion: "networking.istio.io/v1beta1",
        kind: "ProxyConfig",
        metadata: { name: "istio-mesh-ca", namespace, labels: { "app.kubernetes.io/managed-by": "istio-mesh-ca" } },
        spec: { environmentVariables: env },
      }, { parent: this, provider: args.provider, dependsOn: args.dependsOn });
    }
    this.registerOutputs({});
  }
}
