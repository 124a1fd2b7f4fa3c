import * as k8s from "@pulumi/kubernetes";
import { ProxyConfig } from "@kubernetes-models/istio/networking.istio.io/v1beta1/ProxyConfig";
import * as pulumi from "@pulumi/pulumi";
import { MANAGED_BY_LABELS, MeshComponent } from "../shared/meshComponent";
import { Transform, transformed } from "../shared/transform";

export interface NamespaceProxyConfigsArgs {
  readonly provider: k8s.Provider;
  /** Namespace → proxy environment variables. The namespace of each ProxyConfig is the map key, by construction. */
  readonly env: Record<string, Record<string, pulumi.Input<string>>>;
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Per-child escape hatch (partial args or a function): each namespace's ProxyConfig (the function gets its name). */
  readonly transform?: { readonly proxyConfig?: Transform<k8s.apiextensions.CustomResourceArgs> };
}

/** One namespace-wide Istio ProxyConfig per namespace, setting proxy environment variables. */
export class NamespaceProxyConfigs extends MeshComponent {
  constructor(name: string, args: NamespaceProxyConfigsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("policy", "NamespaceProxyConfigs", name, opts);
    for (const [namespace, env] of Object.entries(args.env)) {
      // Validate the shape with placeholder strings (values may be Outputs), then emit the real values.
      const shape = new ProxyConfig({
        metadata: { name: "istio-mesh-ca", namespace },
        spec: { environmentVariables: Object.fromEntries(Object.keys(env).map((k) => [k, "x"])) },
      });
      try {
        shape.validate();
      } catch (e) {
        this.fail(
          `ProxyConfig ${namespace}/istio-mesh-ca: invalid against the upstream schema: ${(e as Error).message}`,
        );
      }
      const name = this.childName(namespace);
      new k8s.apiextensions.CustomResource(
        name,
        ...transformed(
          args.transform?.proxyConfig,
          name,
          {
            apiVersion: "networking.istio.io/v1beta1",
            kind: "ProxyConfig",
            metadata: { name: "istio-mesh-ca", namespace, labels: { ...MANAGED_BY_LABELS } },
            spec: { environmentVariables: env },
          },
          { parent: this, provider: args.provider, dependsOn: args.dependsOn },
        ),
      );
    }
    this.registerOutputs({});
  }
}
