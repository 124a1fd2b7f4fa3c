import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as pulumi from "@pulumi/pulumi";
import { CaMaterial } from "../contract";
import { KeyVaultConfig, ObjectNames, parseVaultId } from "./config";

/** Built-in role "Key Vault Secrets User": read secret contents (the CSI driver's `get`). */
export const KEY_VAULT_SECRETS_USER_ROLE = "4633458b-17de-408a-b874-0445c86b69e6";

export interface PluginCaVaultArgs {
  /** New vault settings, or an existing vault's resource ID. */
  readonly keyVault: KeyVaultConfig;
  /** Tenant of the vault (new vaults and access policies). */
  readonly tenantId: pulumi.Input<string>;
  /** Subscription a new vault is created in (the deploying identity's). */
  readonly subscriptionId: pulumi.Input<string>;
  /** Names of the four objects the add-on reads. */
  readonly objectNames: ObjectNames;
  /** The CA material; every value is stored as a Pulumi secret. */
  readonly material: Required<CaMaterial>;
}

/**
 * The Key Vault the add-on reads its plug-in CA from, and the four objects in it
 * (`az keyvault secret set` × 4). The service never returns secret values: no drift detection.
 */
export class PluginCaVault extends pulumi.ComponentResource {
  public readonly vaultId: pulumi.Output<string>;
  public readonly vaultName: pulumi.Output<string>;
  public readonly resourceGroupName: pulumi.Output<string>;
  /** The vault's subscription: where the role definition is referenced. */
  public readonly subscriptionId: pulumi.Output<string>;
  public readonly secrets: keyvault.Secret[];

  constructor(name: string, args: PluginCaVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("istio-mesh-ca:ca:PluginCaVault", name, {}, opts);
    const kv = args.keyVault;
    const existing = kv.existingId ? parseVaultId(kv.existingId) : undefined;
    if (kv.existingId && existing) {
      this.vaultId = pulumi.output(kv.existingId);
      this.vaultName = pulumi.output(existing.vaultName);
      this.resourceGroupName = pulumi.output(existing.resourceGroupName);
      this.subscriptionId = pulumi.output(existing.subscriptionId);
    } else {
      const vault = new keyvault.Vault(`${name}-kv`, {
        vaultName: kv.name!,
        resourceGroupName: kv.resourceGroupName!,
        location: kv.location!,
        properties: {
          tenantId: args.tenantId,
          sku: { family: "A", name: kv.sku },
          enableRbacAuthorization: kv.authorization === "rbac",
          enableSoftDelete: true,
          softDeleteRetentionInDays: kv.softDeleteRetentionDays,
          enablePurgeProtection: kv.purgeProtection,
        },
      }, { parent: this });
      this.vaultId = vault.id;
      this.vaultName = vault.name;
      this.resourceGroupName = pulumi.output(kv.resourceGroupName!);
      this.subscriptionId = pulumi.output(args.subscriptionId);
    }

    const m = args.material;
    const values: [keyof ObjectNames, pulumi.Input<string>][] = [
      ["rootCert", m.rootCertBundle], ["caCert", m.intermediateCert], ["caKey", m.intermediateKey], ["certChain", m.certChain],
    ];
    this.secrets = values.map(([key, value]) => new keyvault.Secret(`${name}-${args.objectNames[key]}`, {
      vaultName: this.vaultName,
      resourceGroupName: this.resourceGroupName,
      secretName: args.objectNames[key],
      properties: { value: pulumi.secret(value), contentType: "application/x-pem-file" },
    }, { parent: this }));
    this.registerOutputs({ vaultId: this.vaultId, vaultName: this.vaultName });
  }
}

/** `/subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<Key Vault Secrets User>`. Pure. */
export function secretsUserRoleDefinitionId(subscriptionId: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER_ROLE}`;
}

export interface SecretsReadGrantArgs {
  readonly vault: PluginCaVault;
  /** `rbac`: a role assignment at the vault; `accessPolicy`: get/list on secrets. */
  readonly authorization: KeyVaultConfig["authorization"];
  readonly tenantId: pulumi.Input<string>;
  /** objectId of the `azureKeyvaultSecretsProvider` add-on identity. */
  readonly principalId: pulumi.Input<string>;
}

/** Lets the add-on identity read the vault's secrets (`az keyvault set-policy` / role assignment). */
export function grantSecretsRead(name: string, args: SecretsReadGrantArgs, parent: pulumi.Resource): pulumi.CustomResource {
  if (args.authorization === "rbac") {
    return new authorization.RoleAssignment(`${name}-secrets-user`, {
      principalId: args.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: args.vault.subscriptionId.apply(secretsUserRoleDefinitionId),
      scope: args.vault.vaultId,
    }, { parent });
  }
  return new keyvault.AccessPolicy(`${name}-secrets-get-list`, {
    vaultName: args.vault.vaultName,
    resourceGroupName: args.vault.resourceGroupName,
    policy: { tenantId: args.tenantId, objectId: args.principalId, permissions: { secrets: ["get", "list"] } },
  }, { parent });
}
