import * as pulumi from "@pulumi/pulumi";

/**
 * A per-child escape hatch, as sst's `transform`: adjust a child's args or options before it is
 * registered, without forking the component. Either partial args (deep-merged over ours) or a
 * function that edits the args and options in place (or returns new args).
 */
export type Transform<Args> =
  Partial<Args> | ((args: Args, opts: pulumi.CustomResourceOptions, name: string) => Args | void);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function mergeArgs<T>(base: T, patch: Partial<T>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) {
    out[k] = isPlainObject(out[k]) && isPlainObject(v) ? mergeArgs(out[k], v) : v;
  }
  return out as T;
}

/** Runs a transform, if any, on copies of a child's args and opts, and returns them. */
export function transformed<Args extends object>(
  transform: Transform<Args> | undefined,
  name: string,
  args: Args,
  opts: pulumi.CustomResourceOptions,
): [Args, pulumi.CustomResourceOptions] {
  const o = { ...opts };
  if (transform === undefined) return [args, o];
  if (typeof transform === "function") {
    const a = { ...args };
    return [transform(a, o, name) ?? a, o];
  }
  return [mergeArgs(args, transform), o];
}
