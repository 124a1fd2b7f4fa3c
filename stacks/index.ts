import { ProgramConfig } from "../config/load";
import { meshStack } from "./mesh";
import { rootCaStack } from "./rootCa";

/** Picks the composition for this stack's config. */
export function selectStack(config: ProgramConfig): Record<string, unknown> {
  return config.kind === "rootCa" ? rootCaStack(config.config.rootCa) : meshStack(config.config);
}
