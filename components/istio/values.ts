import * as pulumi from "@pulumi/pulumi";
import { IstiodSettings } from "../ca/contract";
import { NamedMap, mergeNamedMaps } from "../shared/stringMaps";
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

export interface IstiodValuesArgs {
  readonly istioNamespace: string;
  readonly revision?: string;
  readonly trustDomain?: string;
  /** What the CA backend asks of istiod. */
  readonly settings: IstiodSettings;
  /** Env required by enabled features, e.g. ENABLE_TLS_ON_SIDECAR_INGRESS (`source` names the feature in conflicts). */
  readonly featureEnv: NamedMap[];
  /** The user's `istio.values.istiod`, merged last (the escape hatch wins, on purpose). */
  readonly overrides?: Values;
  /** Refusals are `ResourceError`s against it (the install). @default plain errors */
  readonly reportAgainst?: pulumi.Resource;
}

/** `chartValues` must not carry what has its own channel: env and pod annotations are merged with conflict checks. */
function ownChannelKeys(chartValues: Values): string[] {
  const pilot = (chartValues.pilot ?? {}) as Values;
  return (["env", "podAnnotations"] as const).filter((k) => k in pilot).map((k) => `pilot.${k}`);
}

/**
 * Env entries the chart's Deployment writes itself cannot come through pilot.env (server-side apply rejects
 * duplicates).
 */
function refuseChartWrittenEnv(env: Values, refuse: (message: string) => never): void {
  const duplicated = chartWrittenEnvIn(env);
  if (duplicated.length > 0) {
    refuse(
      `istiod env ${duplicated.join(", ")}: the istiod chart's Deployment writes ${duplicated.length > 1 ? "these entries" : "this entry"} itself, ` +
        "so setting it in pilot.env duplicates it and server-side apply rejects the Deployment; " +
        "set the chart value it comes from, or (backends) IstiodSettings.deploymentEnvOverrides",
    );
  }
}

/** Values for the istiod chart: backend settings, features, then user overrides. */
export function istiodValues(args: IstiodValuesArgs): pulumi.Output<Values> {
  const { settings } = args;
  const refuse = (message: string): never => {
    throw args.reportAgainst ? new pulumi.ResourceError(message, args.reportAgainst) : new Error(message);
  };
  const overrideEnvNow = ((args.overrides?.pilot as Values | undefined)?.env ?? {}) as Values;
  // What is known now is checked now, so that a bad override fails before anything is registered.
  const knownEnv = [settings.env, ...args.featureEnv.map((f) => f.values)].filter(
    (m) => !pulumi.Output.isInstance(m),
  ) as Values[];
  refuseChartWrittenEnv(Object.assign({}, ...knownEnv, overrideEnvNow), refuse);
  const env = mergeNamedMaps(
    "istiod env",
    [{ source: "the CA backend", values: settings.env }, ...args.featureEnv],
    args.reportAgainst,
  );
  const annotations = mergeNamedMaps(
    "istiod pod annotation",
    [{ source: "the CA backend", values: settings.podAnnotations }],
    args.reportAgainst,
  );
  const overrideEnv = ((args.overrides?.pilot as Values | undefined)?.env ?? {}) as Values;
  return pulumi
    .all([env, annotations, pulumi.output(settings.meshConfig), pulumi.output(settings.chartValues ?? {})])
    .apply(([e, podAnnotations, meshFragment, chartValues]) => {
      const misplaced = ownChannelKeys(chartValues as Values);
      if (misplaced.length > 0) {
        refuse(
          `istiod chart values ${misplaced.join(", ")} from the CA backend: use IstiodSettings.env / podAnnotations, which are merged with conflict checks`,
        );
      }
      refuseChartWrittenEnv({ ...e, ...overrideEnv }, refuse);
      const base: Values = {
        global: { istioNamespace: args.istioNamespace },
        pilot: { env: e, podAnnotations },
        meshConfig: deepMerge(args.trustDomain ? { trustDomain: args.trustDomain } : {}, meshFragment as Values),
      };
      if (args.revision) base.revision = args.revision;
      return deepMerge(deepMerge(base, chartValues as Values), args.overrides ?? {});
    });
}
