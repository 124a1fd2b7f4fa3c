import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { ResolvedVaultCaSettings, VaultCaSettings, resolveVaultSettings } from "./settings";

/**
 * The Vault provider for the backend's settings. The token is passed as a secret or, when unset,
 * the provider reads $VAULT_TOKEN itself; it is never written in code.
 */
export function vaultProvider(
  name: string,
  given: VaultCaSettings | ResolvedVaultCaSettings,
  opts: pulumi.ResourceOptions = {},
): vault.Provider {
  const settings = "resolved" in given ? given : resolveVaultSettings(given);
  return new vault.Provider(
    `${name}-vault`,
    {
      address: settings.address,
      namespace: settings.namespace,
      token: settings.token === undefined ? undefined : pulumi.secret(settings.token),
      skipChildToken: settings.skipChildToken,
      caCertFile: settings.caCertFile,
    },
    opts,
  );
}
