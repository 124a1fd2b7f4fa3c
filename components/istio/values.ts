import * as pulumi from "@pulumi/pulumi";
import { IstiodContribution } from "../ca/contract";
import { chartWrittenEnvIn } from "./deploymentEnv";

/** Plain JSON-ish object. */
export type Values = Record<string, unknown>;

function isPlainObject(v: unknown): v is Values {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** Deep merge: objects merge key by key, anything else in `override` replaces what `base` had. */
export function deepMerge(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(override)) {
    out[k] = isPlainObject(out[k]) && isPlainObject(v) ? deepMerge(out[k] as Values, v) : v;
  }
  return out;
}

/**
 * Pure: the namespace label that turns on sidecar injection by istiod's chart webhook: without a
 * revision `istio-injection=enabled`; with one, `istio.io/rev=<revision>` (the revisioned
 * `istio-sidecar-injector-<revision>` webhook selects that label and requires `istio-injection` to
 * be absent; no webhook of a revisioned install selects `istio-injection=enabled`).
 */
export function injectionLabels(revision?: string): Record<string, string> {
  return revision ? { "istio.io/rev": revision } : { "istio-injection": "enabled" };
}

/** A named set of istiod environment variables (a backend, a feature). */
export interface EnvSource {
  readonly source: string;
  readonly env: Record<string, pulumi.Input<string>>;
}

/**
 * Merges env maps from several sources. Two sources that set the same variable to different
 * plain values is a design error, not something to settle silently by order.
 */
export function mergeEnv(sources: EnvSource[]): Record<string, pulumi.Input<string>> {
  const out: Record<string, pulumi.Input<string>> = {};
  const owner: Record<string, string> = {};
  for (const { source, env } of sources) {
    for (const [k, v] of Object.entries(env)) {
      if (k in out && typeof out[k] === "string" && typeof v === "string" && out[k] !== v) {
        throw new Error(`istiod env ${k}: ${owner[k]} sets ${JSON.stringify(out[k])} but ${source} sets ${JSON.stringify(v)}`);
      }
      out[k] = v;
      owner[k] = source;
    }
  }
  return out;
}

export interface IstiodValuesArgs {
  readonly istioNamespace: string;
  readonly revision?: string;
  readonly trustDomain?: string;
  /** What the CA backend asks of istiod. */
  readonly contribution: IstiodContribution;
  /** Env required by enabled features, e.g. ENABLE_TLS_ON_SIDECAR_INGRESS. */
  readonly featureEnv: EnvSource[];
  /** Extra pod annotations (e.g. a restart trigger). */
  readonly extraPodAnnotations?: Record<string, pulumi.Input<string>>;
  /** The user's `istio.values.istiod`, merged last. */
  readonly overrides?: Values;
}

/** Values for the istiod chart: backend contribution, features, then user overrides. */
export function istiodValues(args: IstiodValuesArgs): pulumi.Output<Values> {
  const env = mergeEnv([{ source: "the CA backend", env: args.contribution.env }, ...args.featureEnv]);
  const overrideEnv = ((args.overrides?.pilot as Values | undefined)?.env ?? {}) as Values;
  const duplicated = chartWrittenEnvIn({ ...env, ...overrideEnv });
  if (duplicated.length > 0) {
    throw new Error(`istiod env ${duplicated.join(", ")}: the istiod chart's Deployment writes ${duplicated.length > 1 ? "these entries" : "this entry"} itself, `
      + "so setting it in pilot.env duplicates it and server-side apply rejects the Deployment; "
      + "set the chart value it comes from, or (backends) IstiodContribution.deploymentEnvOverrides");
  }
  return pulumi.all([
    pulumi.output(env),
    pulumi.output({ ...args.contribution.podAnnotations, ...(args.extraPodAnnotations ?? {}) }),
    pulumi.output(args.contribution.meshConfig),
    pulumi.output(args.contribution.chartValues ?? {}),
  ]).apply(([e, annotations, meshFragment, chartValues]) => {
    const base: Values = {
      global: { istioNamespace: args.istioNamespace },
      pilot: { env: e, podAnnotations: annotations },
      meshConfig: deepMerge(args.trustDomain ? { trustDomain: args.trustDomain } : {}, meshFragment as Values),
    };
    if (args.revision) base.revision = args.revision;
    return deepMerge(deepMerge(base, chartValues as Values), args.overrides ?? {});
  });
}
