import { z } from "zod";
import { BackendAdapter } from "./adapter";
import { azureKeyVaultAdapter, azureKeyVaultConfigSchema } from "./azureKeyVault";
import { certManagerAdapter, certManagerConfigSchema } from "./certManager";
import { providedAdapter, providedConfigSchema } from "./provided";
import { selfSignedAdapter, selfSignedConfigSchema } from "./selfSigned";
import { vaultAdapter, vaultConfigSchema } from "./vault";

/**
 * Every CA backend's config adapter, by its `backend` value. Adding a backend: its component under
 * components/ca/, its adapter here (one file, one line below).
 */
export const adapters = {
  selfSigned: selfSignedAdapter,
  azureKeyVault: azureKeyVaultAdapter,
  vault: vaultAdapter,
  certManager: certManagerAdapter,
  provided: providedAdapter,
} as const;

export type BackendName = keyof typeof adapters;
export const BACKEND_NAMES = Object.keys(adapters) as BackendName[];

/** The `istio-mesh-ca:ca` config: one shape per backend, chosen by `backend`. */
export const caConfigSchema = z.discriminatedUnion("backend", [
  selfSignedConfigSchema,
  azureKeyVaultConfigSchema,
  vaultConfigSchema,
  certManagerConfigSchema,
  providedConfigSchema,
], {
  error: (iss) => iss.code === "invalid_union"
    ? `unknown backend ${JSON.stringify((iss.input as { backend?: unknown })?.backend)}; allowed: ${BACKEND_NAMES.join(", ")}`
    : undefined,
});
export type CaConfig = z.infer<typeof caConfigSchema>;

/** The adapter of a config's backend, typed by that backend's config (the one place the union is narrowed). */
export function adapterFor<C extends CaConfig>(config: C): BackendAdapter<C["backend"], C, unknown> {
  return adapters[config.backend as BackendName] as unknown as BackendAdapter<C["backend"], C, unknown>;
}
