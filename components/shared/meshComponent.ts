import * as pulumi from "@pulumi/pulumi";

/** The package's name: the first part of every type token, and the managed-by label's value. */
export const PACKAGE = "istio-mesh-ca";

/** Labels on every Kubernetes object we create, so that `kubectl get -l` finds what this tool owns. */
export const MANAGED_BY_LABELS: Readonly<Record<string, string>> = { "app.kubernetes.io/managed-by": PACKAGE };

/**
 * The shared preamble of our components: the type token `istio-mesh-ca:<module>:<Type>`, children
 * named `<name>-<suffix>` with this component as parent, and errors reported against this component.
 */
export abstract class MeshComponent extends pulumi.ComponentResource {
  /** The name this component was created with; children are named after it. */
  protected readonly baseName: string;

  protected constructor(module: string, type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
    super(`${PACKAGE}:${module}:${type}`, name, {}, opts);
    this.baseName = name;
  }

  /** `<name>-<suffix>`: the naming rule every child follows (its URN depends on it). */
  protected childName(suffix: string): string {
    return `${this.baseName}-${suffix}`;
  }

  /** Refuses input in the component's own terms; Pulumi reports it against this component. */
  protected fail(message: string): never {
    throw new pulumi.ResourceError(message, this);
  }

  /**
   * Runs a pure check or builder, which refuses with a plain `Error`, and reports its refusal against
   * this component (message unchanged): the pure functions stay testable on their own, the component
   * says where the bad input went.
   */
  protected refusing<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof pulumi.ResourceError) throw e;
      this.fail(e instanceof Error ? e.message : String(e));
    }
  }
}
