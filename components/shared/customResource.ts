import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Transform, transformed } from "./transform";

/**
 * Istio's typed models with CommonJS builds (`@kubernetes-models/istio` 2.x) carry the v1beta1
 * schemas; v1 (served since Istio 1.22) has the identical schema, so we validate with v1beta1
 * and emit v1.
 */
export const ISTIO_SECURITY_V1 = "security.istio.io/v1";
export const ISTIO_NETWORKING_V1 = "networking.istio.io/v1";

/** A typed model from the `@kubernetes-models/*` packages: validates against the upstream CRD schema. */
export interface ValidatingModel {
  validate(): void;
  toJSON(): unknown;
}

/**
 * Registers a custom resource built from a typed model, after validating it against the CRD's
 * OpenAPI schema — a spec the API server would reject fails here, before anything is registered.
 */
export function validatedCustomResource(
  name: string,
  model: ValidatingModel,
  opts: pulumi.CustomResourceOptions,
  /** Emit under this apiVersion (a newer version with the same schema as the model's). */
  apiVersion?: string,
  /** The owning component's escape hatch for this child. */
  transform?: Transform<k8s.apiextensions.CustomResourceArgs>,
): k8s.apiextensions.CustomResource {
  try {
    model.validate();
  } catch (e) {
    const json = model.toJSON() as { kind?: string; metadata?: { name?: string } };
    // Reported against the owning component (the child's parent).
    throw new pulumi.ResourceError(
      `${json.kind} ${json.metadata?.name}: invalid against the upstream schema: ${(e as Error).message}`,
      opts.parent,
    );
  }
  const json = model.toJSON() as k8s.apiextensions.CustomResourceArgs;
  const [args, o] = transformed(transform, name, apiVersion ? { ...json, apiVersion } : json, opts);
  return new k8s.apiextensions.CustomResource(name, args, o);
}
