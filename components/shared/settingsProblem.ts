/** How every component reports bad settings a library user passed: one line per problem, named by path. */

/** One problem with a component's settings: where (a path inside the settings), what, and the value seen. */
export interface SettingsProblem {
  path: (string | number)[];
  message: string;
  input?: unknown;
}

/**
 * Pure: `<settingsName>.<path>: <message>` for every problem, joined by "; " — the message a component
 * throws (as a ResourceError) when a library user's settings are refused. `settingsName` is how the
 * caller names the settings (a stack program passes its config key, e.g. `istio-mesh-ca:ca`); with
 * `withInput`, each problem also says the value it saw.
 */
export function describeProblems(
  settingsName: string,
  problems: readonly SettingsProblem[],
  opts: { withInput?: boolean } = {},
): string {
  return problems
    .map((p) => {
      const seen = opts.withInput && p.input !== undefined ? ` (got ${JSON.stringify(p.input)})` : "";
      return `${[settingsName, ...p.path].join(".")}: ${p.message}${seen}`;
    })
    .join("; ");
}
