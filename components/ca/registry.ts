import { z } from "zod";
import { BackendDefinition } from "./backend";
import { azureKeyVaultBackend, azureKeyVaultConfigSchema } from "./azureKeyVault";
import { certManagerBackend, certManagerConfigSchema } from "./certManager";
import { providedBackend, providedConfigSchema } from "./provided";
import { selfSignedBackend, selfSignedConfigSchema } from "./selfSigned";
import { vaultBackend, vaultConfigSchema } from "./vault";

/**
 * Every CA backend, by its config name. Adding a backend: one file under components/ca/ and
 * one line in each of the two lists below.
 */
export const backends: Record<string, BackendDefinition<any, any>> = {
  selfSigned: selfSignedBackend,
  azureKeyVault: azureKeyVaultBackend,
  vault: vaultBackend,
  certManager: certManagerBackend,
  provided: providedBackend,
};

/** The `istio-mesh-ca:ca` config: one shape per backend, chosen by `backend`. */
export const caConfigSchema = z.discriminatedUnion("backend", [
  selfSignedConfigSchema,
  azureKeyVaultConfigSchema,
  vaultConfigSchema,
  certManagerConfigSchema,
  providedConfigSchema,
], {
  error: (iss) => iss.code === "invalid_union"
    ? `unknown backend ${JSON.stringify((iss.input as { backend?: unknown })?.backend)}; allowed: ${Object.keys(backends).join(", ")}`
    : undefined,
});
export type CaConfig = z.infer<typeof caConfigSchema>;
