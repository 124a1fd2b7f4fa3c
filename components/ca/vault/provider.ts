import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { VaultConfig } from "./config";

/**
 * The Vault provider from stack config. The token comes from secret config or, when unset, from
 * $VAULT_TOKEN, which the provider reads itself; it is never written in code.
 */
export function vaultProvider(name: string, cfg: VaultConfig, opts: pulumi.ResourceOptions): vault.Provider {
  return new vault.Provider(`${name}-vault`, {
    address: cfg.address,
    namespace: cfg.namespace,
    token: cfg.token === undefined ? undefined : pulumi.secret(cfg.token),
    skipChildToken: cfg.skipChildToken,
    caCertFile: cfg.caCertFile,
  }, opts);
}
