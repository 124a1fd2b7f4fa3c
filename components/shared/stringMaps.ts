import * as pulumi from "@pulumi/pulumi";
import { StringMap } from "../ca/contract";

/** A map of strings (istiod env, pod annotations) and who asked for it, for conflict messages. */
export interface NamedMap {
  /** Who sets these, e.g. `the CA backend`, `sidecarIngressTls`. */
  readonly source: string;
  readonly values: StringMap;
}

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !pulumi.Output.isInstance(v) && !Array.isArray(v);
}

/** Pure: the first key two sources set to different values, as a message naming both; undefined if none. */
export function conflictOf(
  what: string,
  sources: { source: string; values: Record<string, unknown> }[],
): string | undefined {
  const seen: Record<string, { source: string; value: unknown }> = {};
  for (const { source, values } of sources) {
    for (const [k, v] of Object.entries(values)) {
      const prev = seen[k];
      if (prev && typeof prev.value === "string" && typeof v === "string" && prev.value !== v) {
        return `${what} ${k}: ${prev.source} sets ${JSON.stringify(prev.value)} but ${source} sets ${JSON.stringify(v)}`;
      }
      seen[k] = { source, value: v };
    }
  }
  return undefined;
}

/**
 * Merges maps from several sources into one. Two sources setting the same key to different values is
 * a design error, not something to settle silently by order: it is refused at once when both values
 * are known, or when the outputs resolve otherwise; as a `ResourceError` against `reportAgainst`
 * (the component whose settings these are) when given.
 */
export function mergeNamedMaps(
  what: string,
  sources: NamedMap[],
  reportAgainst?: pulumi.Resource,
): pulumi.Output<Record<string, string>> {
  const refuse = (message: string): never => {
    throw reportAgainst ? new pulumi.ResourceError(message, reportAgainst) : new Error(message);
  };
  const known = sources.filter((s) => isPlainMap(s.values)) as { source: string; values: Record<string, unknown> }[];
  const early = conflictOf(what, known);
  if (early) refuse(early);
  return pulumi.all(sources.map((s) => pulumi.output(s.values))).apply((resolved) => {
    const named = resolved.map((values, i) => ({
      source: sources[i].source,
      values: values as Record<string, string>,
    }));
    const late = conflictOf(what, named);
    if (late) refuse(late);
    return Object.assign({}, ...named.map((n) => n.values)) as Record<string, string>;
  });
}
