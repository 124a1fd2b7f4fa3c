import { StackConfig } from "../config/schema";
import { meshStack } from "./mesh";

/** Picks the composition for this stack's config. */
export function selectStack(config: StackConfig): Record<string, unknown> {
  return meshStack(config);
}
