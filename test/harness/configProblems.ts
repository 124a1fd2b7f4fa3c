import { ConfigError, parseProgramConfig } from "../../config/load";

/** The messages our config validation gives for raw config values, or [] when they are valid. */
export function configProblems(raw: Record<string, unknown>): string[] {
  try {
    parseProgramConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}
