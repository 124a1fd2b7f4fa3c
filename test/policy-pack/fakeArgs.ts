import {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

/**
 * Fake validation args, shaped like the ones @pulumi/policy's server builds (server.js), so policies
 * can be called directly: constructing a PolicyPack would start a gRPC server.
 */

export const urnOf = (stack: string, type: string, name: string) =>
  `urn:pulumi:${stack}::istio-mesh-ca::${type}::${name}`;

/**
 * `args.isType(cls)`, which `validateResourceOfType` calls: the resource class's type token. No public
 * API gives a class's token; the policy SDK itself reads the class's `__pulumiType` (@pulumi/policy
 * policy.js `getPulumiType`, server.js `isTypeOf`), and so does this, in this one place. If a
 * provider SDK stops setting it, fakeArgs.test.ts fails.
 */
export const isTypeOf = (type: string) => (cls: { new (...a: any[]): any }) =>
  (cls as unknown as { __pulumiType?: string }).__pulumiType === type;

export interface FakeResource {
  type: string;
  props: Record<string, any>;
  name?: string;
  stack?: string;
  /** Resources each input property depends on (stack policies). */
  propertyDependencies?: Record<string, PolicyResource[]>;
}

/** What `args.notApplicable` throws; the SDK's server catches its own equivalent and skips the policy. */
class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

export function resourceArgs(r: FakeResource, config: object = {}): ResourceValidationArgs {
  const name = r.name ?? "res";
  return {
    type: r.type,
    props: r.props,
    urn: urnOf(r.stack ?? "dev", r.type, name),
    name,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    stackTags: new Map(),
    isType: isTypeOf(r.type),
    asType: ((cls: { new (...a: any[]): any }) =>
      isTypeOf(r.type)(cls) ? r.props : undefined) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

export function policyResource(r: FakeResource): PolicyResource {
  const { type, props, urn, name, opts } = resourceArgs(r);
  return {
    type,
    props,
    urn,
    name,
    opts,
    dependencies: [],
    propertyDependencies: r.propertyDependencies ?? {},
    isType: isTypeOf(r.type),
    asType: (() => undefined) as PolicyResource["asType"],
  };
}

/** Runs every validateResource function of a policy on one resource; returns the violation messages. */
export async function violations(
  policy: ResourceValidationPolicy,
  r: FakeResource,
  config: object = {},
): Promise<string[]> {
  const found: string[] = [];
  const fns = Array.isArray(policy.validateResource)
    ? policy.validateResource
    : policy.validateResource
      ? [policy.validateResource]
      : [];
  for (const fn of fns) {
    try {
      await fn(resourceArgs(r, config), (message) => {
        found.push(message);
      });
    } catch (e) {
      if (!(e instanceof NotApplicable)) throw e;
    }
  }
  return found;
}

/** Runs a stack policy; returns the violations with their URNs. */
export async function stackViolations(
  policy: StackValidationPolicy,
  resources: PolicyResource[],
  config: object = {},
): Promise<{ message: string; urn?: string }[]> {
  const found: { message: string; urn?: string }[] = [];
  const args: StackValidationArgs = {
    resources,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
  await policy.validateStack(args, (message, urn) => {
    found.push({ message, urn });
  });
  return found;
}
