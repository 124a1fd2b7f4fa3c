import { z } from "zod";

/**
 * Compile-time link between a config schema and the plain type a component takes: the schema's
 * output must be assignable to `T`, so a field renamed on either side fails `tsc`, not a deployment.
 * Returns the schema unchanged (its own type kept, for `.shape`, `.unwrap()`, ...).
 */
export function conforms<T>() {
  return <S extends z.ZodType<T, unknown>>(schema: S): S => schema;
}
