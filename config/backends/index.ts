import { z } from "zod";
import { BackendAdapter } from "./adapter";
import { azureKeyVaultAdapter } from "./azureKeyVault";
import { certManagerAdapter } from "./certManager";
import { providedAdapter } from "./provided";
import { selfSignedAdapter } from "./selfSigned";
import { vaultAdapter } from "./vault";

/** Keeps every key of the registry equal to its adapter's `backend` (a mismatch fails `tsc`). */
// Any adapter: its config and shared types appear in parameter positions, where unknown would not match.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function registry<R extends { readonly [K in keyof R]: BackendAdapter<K & string, any, any> }>(r: R): R {
  return r;
}

/**
 * The one registration of every CA backend: its `backend` value → its config adapter. The config
 * union (`caConfigSchema`, `CaConfig`), `BackendName`, `BACKEND_NAMES` and `adapterFor` all follow
 * from this record. Adding a backend is one entry here; test/config/backends/index.test.ts then fails
 * until the backend has a shipped `Pulumi.<stack>.yaml` selecting it, a URN record for that stack
 * (test/stacks/urnStability.test.ts) and a row in the README's backend table.
 */
export const adapters = registry({
  selfSigned: selfSignedAdapter,
  azureKeyVault: azureKeyVaultAdapter,
  vault: vaultAdapter,
  certManager: certManagerAdapter,
  provided: providedAdapter,
} as const);

type Registry = typeof adapters;
export type BackendName = keyof Registry;
export const BACKEND_NAMES = Object.keys(adapters) as BackendName[];

/** The `istio-mesh-ca:ca` object of one backend. */
// Any adapter: its config and shared types appear in parameter positions, where unknown would not match.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ConfigOf<K extends BackendName> = Registry[K] extends BackendAdapter<K, infer C, any> ? C : never;
/** The `istio-mesh-ca:ca` object: one shape per registered backend, chosen by `backend`. */
export type CaConfig = { [K in BackendName]: ConfigOf<K> }[BackendName];

type Discriminable = Parameters<typeof z.discriminatedUnion>[1][number];

/** The `istio-mesh-ca:ca` config: one shape per backend, chosen by `backend`. */
export const caConfigSchema: z.ZodType<CaConfig, unknown> = z.discriminatedUnion(
  "backend",
  Object.values(adapters).map((a) => a.schema) as unknown as [Discriminable, ...Discriminable[]],
  {
    error: (iss) =>
      iss.code === "invalid_union"
        ? `unknown backend ${JSON.stringify((iss.input as { backend?: unknown })?.backend)}; allowed: ${BACKEND_NAMES.join(", ")}`
        : undefined,
  },
) as unknown as z.ZodType<CaConfig, unknown>;

/** The adapter of a config's backend, typed by that backend's config (the one place the union is narrowed). */
export function adapterFor<C extends CaConfig>(config: C): BackendAdapter<C["backend"], C, unknown> {
  return adapters[config.backend as BackendName] as unknown as BackendAdapter<C["backend"], C, unknown>;
}
