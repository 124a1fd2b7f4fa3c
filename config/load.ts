import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { adapterFor } from "./backends";
import { RootStackConfig, StackConfig, rootStackConfigSchema, stackConfigSchema } from "./schema";

export const PROJECT = "istio-mesh-ca";

/** A config problem, reported before any resource is registered. */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid stack config:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** `ca.root.validityDays` → `istio-mesh-ca:ca.root.validityDays`; array indexes as `[i]`. */
export function configKeyPath(path: PropertyKey[]): string {
  const [top, ...rest] = path;
  return (
    `${PROJECT}:${String(top ?? "")}` + rest.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")
  );
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const s = JSON.stringify(value);
  if (typeof value === "string" && value.includes("PRIVATE KEY")) return "a private key (not shown)";
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** One readable line per zod issue: key, bad value, what is allowed. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys" && issue.path.length === 0) {
    return `unknown config key(s) ${issue.keys.map((k) => `${PROJECT}:${k}`).join(", ")}; known keys: ${Object.keys(stackConfigSchema.shape).join(", ")}`;
  }
  if (issue.code === "invalid_type" && "input" in issue && issue.input === undefined) {
    return `${configKeyPath(issue.path)}: required, but not set (${issue.message})`;
  }
  if (issue.code === "unrecognized_keys") {
    return `${configKeyPath(issue.path)}: unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")} (check the spelling against the README's config reference)`;
  }
  const got = "input" in issue ? `got ${describe(issue.input)}` : undefined;
  return `${configKeyPath(issue.path)}: ${issue.message}${got ? ` (${got})` : ""}`;
}

/** Pure: validates raw config values (already JSON-decoded) into the typed stack config. */
export function parseStackConfig(raw: Record<string, unknown>): StackConfig {
  const result = stackConfigSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(result.error.issues.map(formatIssue));
  return result.data;
}

/** What a stack is, by its config: a root CA stack (`istio-mesh-ca:rootCa` set) or a mesh stack. */
export type ProgramConfig =
  | { readonly kind: "rootCa"; readonly config: RootStackConfig }
  | { readonly kind: "mesh"; readonly config: StackConfig };

/** Pure: picks the stack's shape by the presence of `rootCa` and validates that shape alone. */
export function parseProgramConfig(raw: Record<string, unknown>): ProgramConfig {
  if (!("rootCa" in raw)) return { kind: "mesh", config: parseStackConfig(raw) };
  const others = Object.keys(raw).filter((k) => k !== "rootCa");
  const problems = others.map(
    (k) =>
      `${configKeyPath([k])}: not used in a root CA stack (istio-mesh-ca:rootCa is set); a root stack holds only the root and the intermediates it signs. Move this key to the cluster stacks, or remove istio-mesh-ca:rootCa`,
  );
  const result = rootStackConfigSchema.safeParse({ rootCa: raw.rootCa }, { reportInput: true });
  if (!result.success) problems.push(...result.error.issues.map(formatIssue));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return { kind: "rootCa", config: result.data };
}

/** Finds private keys in config values that were not set as secrets. Pure; returns problems. */
export function plaintextPrivateKeys(raw: Record<string, unknown>, isSecret: (key: string) => boolean): string[] {
  const problems: string[] = [];
  const walk = (v: unknown, path: PropertyKey[]) => {
    if (typeof v === "string" && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v) && !isSecret(String(path[0]))) {
      problems.push(
        `${configKeyPath(path)}: a private key in plain config; set it with \`pulumi config set --secret --path '${configKeyPath(path)}'\``,
      );
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === "object") Object.entries(v).forEach(([k, x]) => walk(x, [...path, k]));
  };
  Object.entries(raw).forEach(([k, v]) => walk(v, [k]));
  return problems;
}

/** The project's config keys from the Pulumi runtime, JSON-decoded, without the `istio-mesh-ca:` prefix. */
export function readRawConfig(): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith(`${PROJECT}:`)) continue;
    const name = key.slice(PROJECT.length + 1);
    try {
      raw[name] = JSON.parse(value);
    } catch {
      raw[name] = value;
    }
  }
  return raw;
}

/**
 * Whether a config key was set with `--secret`: the SDK's own bookkeeping (`runtime/config`
 * `isConfigSecret`, not re-exported by the package root in 3.x). Without it every plaintext-secret
 * guard would be off, so its absence is an error rather than "everything is secret".
 */
export function isConfigSecret(key: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cfg = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  if (typeof cfg.isConfigSecret !== "function") {
    throw new Error(
      "@pulumi/pulumi no longer provides runtime/config isConfigSecret: the plaintext-secret guards cannot run; pin @pulumi/pulumi to a version that has it",
    );
  }
  return cfg.isConfigSecret(`${PROJECT}:${key}`);
}

/** Like parseProgramConfig, from the Pulumi runtime's config, refusing secrets set in plain config. */
export function loadProgramConfig(): ProgramConfig {
  const raw = readRawConfig();
  const leaks = plaintextPrivateKeys(raw, isConfigSecret);
  if (leaks.length > 0) throw new ConfigError(leaks);
  const program = parseProgramConfig(raw);
  if (program.kind === "mesh") {
    const ca = program.config.ca;
    const tokens = adapterFor(ca).plaintextSecrets?.(ca, isConfigSecret) ?? [];
    if (tokens.length > 0) throw new ConfigError(tokens);
  }
  return program;
}
