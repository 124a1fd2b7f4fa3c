import { ResourceValidationPolicy } from "@pulumi/policy";
import { MANDATORY, PEER_AUTHENTICATION_TYPES, configWithDefaults, stackOfUrn, stringList } from "./common";

/**
 * mTLS guard rails on Istio PeerAuthentication. Only selector-less policies are judged here: they set
 * the mode of a whole namespace (or, in the Istio root namespace, of the mesh). Workload-selected
 * policies with port-level exceptions are the sanctioned way to open one port (e.g. sidecar ingress TLS).
 */

export interface MtlsConfig {
  /** Namespaces allowed a namespace-wide PERMISSIVE mode while they migrate to STRICT. */
  permissiveNamespaces: string[];
  /** Stacks that must be STRICT everywhere (matched against the stack in the resource URN). */
  productionStacks: string[];
  /** Treat whatever stack the pack runs on as production (set per stack in its policy config). */
  production: boolean;
}

const DEFAULTS: MtlsConfig = { permissiveNamespaces: [], productionStacks: ["prod", "production"], production: false };

interface WideMode {
  namespace: string;
  mode: string | undefined;
}

/**
 * The namespace and mode of a selector-less PeerAuthentication; undefined for workload-selected ones.
 * Reads through the props proxy on purpose: a mode or namespace unknown during preview makes the SDK
 * report that the policy could not run, rather than this code guessing.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the policy SDK's resource props, untyped by design
function namespaceWideMode(props: Record<string, any>): WideMode | undefined {
  const spec = props.spec;
  if (spec?.selector !== undefined) return undefined;
  const mode = spec?.mtls?.mode;
  return {
    namespace: String(props.metadata?.namespace ?? "default"),
    mode: typeof mode === "string" ? mode : undefined,
  };
}

export const mtlsNoDisable: ResourceValidationPolicy = {
  name: "mtls-no-namespace-disable",
  description:
    "No mesh-wide or namespace-wide PeerAuthentication may DISABLE mTLS; open single ports with a workload-selected port-level exception instead.",
  enforcementLevel: MANDATORY,
  severity: "critical",
  validateResource: (args, reportViolation) => {
    if (!PEER_AUTHENTICATION_TYPES.includes(args.type)) return;
    const wide = namespaceWideMode(args.props);
    if (wide?.mode === "DISABLE") {
      reportViolation(
        `PeerAuthentication in namespace ${wide.namespace} disables mTLS for the whole namespace; use PERMISSIVE while migrating, or a port-level exception with a workload selector.`,
      );
    }
  },
};

export const mtlsPermissiveAllowList: ResourceValidationPolicy = {
  name: "mtls-permissive-allow-list",
  description:
    "Namespace-wide PERMISSIVE mTLS only in namespaces on the migration allow-list, and never in production stacks.",
  enforcementLevel: MANDATORY,
  severity: "high",
  configSchema: {
    properties: {
      permissiveNamespaces: stringList(
        "Namespaces allowed namespace-wide PERMISSIVE mTLS while migrating.",
        DEFAULTS.permissiveNamespaces,
      ),
      productionStacks: stringList("Stacks where only STRICT is accepted.", DEFAULTS.productionStacks),
      production: { type: "boolean", default: DEFAULTS.production, description: "Treat this stack as production." },
    },
  },
  validateResource: (args, reportViolation) => {
    if (!PEER_AUTHENTICATION_TYPES.includes(args.type)) return;
    const cfg = configWithDefaults<MtlsConfig>(args.getConfig, DEFAULTS);
    const wide = namespaceWideMode(args.props);
    if (wide?.mode !== "PERMISSIVE") return;
    const stack = stackOfUrn(args.urn);
    if (cfg.production || (stack !== undefined && cfg.productionStacks.includes(stack))) {
      reportViolation(
        `PeerAuthentication in namespace ${wide.namespace} is PERMISSIVE, but stack ${stack ?? "(this stack)"} is production: only STRICT is accepted.`,
      );
    } else if (!cfg.permissiveNamespaces.includes(wide.namespace)) {
      reportViolation(
        `PeerAuthentication in namespace ${wide.namespace} is PERMISSIVE; add the namespace to permissiveNamespaces in the policy config for the duration of its migration, or make it STRICT.`,
      );
    }
  },
};

export const mtlsStrictInProduction: ResourceValidationPolicy = {
  name: "mtls-strict-in-production",
  description:
    "In production stacks, every mesh-wide and namespace-wide PeerAuthentication sets mode STRICT explicitly.",
  enforcementLevel: MANDATORY,
  severity: "high",
  configSchema: {
    properties: {
      productionStacks: stringList("Stacks where only STRICT is accepted.", DEFAULTS.productionStacks),
      production: { type: "boolean", default: DEFAULTS.production, description: "Treat this stack as production." },
    },
  },
  validateResource: (args, reportViolation) => {
    if (!PEER_AUTHENTICATION_TYPES.includes(args.type)) return;
    const cfg = configWithDefaults<MtlsConfig>(args.getConfig, DEFAULTS);
    const stack = stackOfUrn(args.urn);
    if (!cfg.production && (stack === undefined || !cfg.productionStacks.includes(stack))) return;
    const wide = namespaceWideMode(args.props);
    // UNSET or no mode inherits; at the mesh level that means Istio's default, PERMISSIVE.
    if (wide && wide.mode !== "STRICT") {
      reportViolation(
        `stack ${stack} is production: PeerAuthentication in namespace ${wide.namespace} must set mtls.mode STRICT (has ${wide.mode ?? "no mode"}).`,
      );
    }
  },
};

export const mtlsPolicies = [mtlsNoDisable, mtlsPermissiveAllowList, mtlsStrictInProduction];
