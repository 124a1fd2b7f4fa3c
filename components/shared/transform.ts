import * as pulumi from "@pulumi/pulumi";

/**
 * A per-child escape hatch (as in sst): a caller may adjust a child's args or options
 * before it is registered, without forking the component.
 */
export type Transform<Args> = (args: Args, opts: pulumi.CustomResourceOptions) => void;

/** Runs a transform, if any, on copies of args and opts, and returns them. */
export function transformed<Args extends object>(
  transform: Transform<Args> | undefined,
  args: Args,
  opts: pulumi.CustomResourceOptions,
): [Args, pulumi.CustomResourceOptions] {
  const a = { ...args };
  const o = { ...opts };
  transform?.(a, o);
  return [a, o];
}
