import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as pulumi from "@pulumi/pulumi";
import { CaMaterial } from "../contract";
import { MeshComponent } from "../../shared/meshComponent";
import { describeProblems } from "../../shared/settingsProblem";
import { Transform, transformed } from "../../shared/transform";
import {
  KeyVaultAuthorization,
  KeyVaultObjectNames,
  KeyVaultSettings,
  ResolvedKeyVaultSettings,
  keyVaultProblems,
  parseKeyVaultId,
  resolveKeyVaultSettings,
} from "./settings";

/** Built-in role "Key Vault Secrets User": read secret contents (the CSI driver's `get`). */
export const KEY_VAULT_SECRETS_USER_ROLE = "4633458b-17de-408a-b874-0445c86b69e6";

export interface PluginCaKeyVaultArgs {
  /**
   * New Key Vault settings, or an existing Key Vault's resource ID: checked (`keyVaultProblems`) and resolved here
   * unless already resolved.
   */
  readonly keyVault: KeyVaultSettings | ResolvedKeyVaultSettings;
  /** Tenant of the Key Vault (new Key Vaults and access policies). */
  readonly tenantId: pulumi.Input<string>;
  /** Subscription a new Key Vault is created in (the deploying identity's). */
  readonly subscriptionId: pulumi.Input<string>;
  /** Names of the four objects the add-on reads. */
  readonly objectNames: KeyVaultObjectNames;
  /** The CA material; every value is stored as a Pulumi secret. */
  readonly material: Required<CaMaterial>;
  /** Per-child escape hatch (partial args or a function); a secret's value stays a Pulumi secret whatever it does. */
  readonly transform?: {
    readonly keyVault?: Transform<keyvault.VaultArgs>;
    /** Each of the four secrets (the function form gets the child's name). */
    readonly secret?: Transform<keyvault.SecretArgs>;
  };
}

/**
 * The Azure Key Vault the AKS add-on reads its plug-in CA from, and the four objects in it
 * (`az keyvault secret set` × 4). The service never returns secret values: no drift detection.
 * (Type token `PluginCaVault` and child names kept from before the rename: they are in URNs.)
 */
export class PluginCaKeyVault extends MeshComponent {
  public readonly keyVaultId: pulumi.Output<string>;
  public readonly keyVaultName: pulumi.Output<string>;
  public readonly resourceGroupName: pulumi.Output<string>;
  /** The Key Vault's subscription: where the role definition is referenced. */
  public readonly subscriptionId: pulumi.Output<string>;
  /** The new Key Vault; unset when `existingId` names one. */
  public readonly keyVault?: keyvault.Vault;
  /** The four secrets, in the order rootCert, caCert, caKey, certChain. */
  public readonly secrets: keyvault.Secret[];

  constructor(name: string, args: PluginCaKeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ca", "PluginCaVault", name, opts);
    const settings = "resolved" in args.keyVault ? args.keyVault : this.resolve(args.keyVault);
    if (settings.existingId !== undefined) {
      const existing = parseKeyVaultId(settings.existingId)!; // keyVaultProblems: a Key Vault resource ID
      this.keyVaultId = pulumi.output(settings.existingId);
      this.keyVaultName = pulumi.output(existing.keyVaultName);
      this.resourceGroupName = pulumi.output(existing.resourceGroupName);
      this.subscriptionId = pulumi.output(existing.subscriptionId);
    } else {
      // keyVaultProblems: all three set for a new Key Vault.
      const { name: keyVaultName, resourceGroupName, location } = settings as Required<KeyVaultSettings>;
      this.keyVault = new keyvault.Vault(
        this.childName("kv"),
        ...transformed(
          args.transform?.keyVault,
          this.childName("kv"),
          {
            vaultName: keyVaultName,
            resourceGroupName,
            location,
            properties: {
              tenantId: args.tenantId,
              sku: { family: "A", name: settings.sku },
              enableRbacAuthorization: settings.authorization === "rbac",
              enableSoftDelete: true,
              softDeleteRetentionInDays: settings.softDeleteRetentionDays,
              enablePurgeProtection: settings.purgeProtection,
            },
          },
          { parent: this },
        ),
      );
      this.keyVaultId = this.keyVault.id;
      this.keyVaultName = this.keyVault.name;
      this.resourceGroupName = pulumi.output(resourceGroupName);
      this.subscriptionId = pulumi.output(args.subscriptionId);
    }

    const material = args.material;
    const values: [keyof KeyVaultObjectNames, pulumi.Input<string>][] = [
      ["rootCert", material.rootCertBundle],
      ["caCert", material.intermediateCert],
      ["caKey", material.intermediateKey],
      ["certChain", material.certChain],
    ];
    this.secrets = values.map(([key, value]) => {
      const [a, o] = transformed(
        args.transform?.secret,
        this.childName(args.objectNames[key]),
        {
          vaultName: this.keyVaultName,
          resourceGroupName: this.resourceGroupName,
          secretName: args.objectNames[key],
          properties: { value: pulumi.secret(value), contentType: "application/x-pem-file" },
        },
        { parent: this },
      );
      // The value stays a secret, whatever the transform did (properties as a plain object, as we pass them).
      const p = a.properties as { value?: pulumi.Input<string> } | undefined;
      const properties =
        p && !pulumi.Output.isInstance(p) && p.value !== undefined
          ? { ...p, value: pulumi.secret(p.value) }
          : a.properties;
      return new keyvault.Secret(this.childName(args.objectNames[key]), { ...a, properties }, o);
    });
    this.registerOutputs({ keyVaultId: this.keyVaultId, keyVaultName: this.keyVaultName });
  }

  /** A library user's Key Vault settings: refused with every problem, or resolved. */
  private resolve(given: KeyVaultSettings): ResolvedKeyVaultSettings {
    const problems = keyVaultProblems(given);
    if (problems.length > 0) this.fail(describeProblems("keyVault", problems, { withInput: true }));
    return resolveKeyVaultSettings(given);
  }
}

/** `/subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<Key Vault Secrets User>`. Pure. */
export function secretsUserRoleDefinitionId(subscriptionId: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER_ROLE}`;
}

/** Per-child transforms of the grant: a role assignment (`rbac`) or an access policy. */
export interface SecretsReadGrantTransform {
  readonly roleAssignment?: Transform<authorization.RoleAssignmentArgs>;
  readonly accessPolicy?: Transform<keyvault.AccessPolicyArgs>;
}

export interface SecretsReadGrantArgs {
  readonly keyVault: PluginCaKeyVault;
  /** `rbac`: a role assignment at the Key Vault; `accessPolicy`: get/list on secrets. */
  readonly authorization: KeyVaultAuthorization;
  readonly tenantId: pulumi.Input<string>;
  /** objectId of the `azureKeyvaultSecretsProvider` add-on identity. */
  readonly principalId: pulumi.Input<string>;
  readonly transform?: SecretsReadGrantTransform;
}

/** Lets the add-on identity read the Key Vault's secrets (`az keyvault set-policy` / role assignment). */
export function grantSecretsRead(
  name: string,
  args: SecretsReadGrantArgs,
  parent: pulumi.Resource,
): pulumi.CustomResource {
  if (args.authorization === "rbac") {
    return new authorization.RoleAssignment(
      `${name}-secrets-user`,
      ...transformed(
        args.transform?.roleAssignment,
        `${name}-secrets-user`,
        {
          principalId: args.principalId,
          principalType: "ServicePrincipal",
          roleDefinitionId: args.keyVault.subscriptionId.apply(secretsUserRoleDefinitionId),
          scope: args.keyVault.keyVaultId,
        },
        { parent },
      ),
    );
  }
  return new keyvault.AccessPolicy(
    `${name}-secrets-get-list`,
    ...transformed(
      args.transform?.accessPolicy,
      `${name}-secrets-get-list`,
      {
        vaultName: args.keyVault.keyVaultName,
        resourceGroupName: args.keyVault.resourceGroupName,
        policy: { tenantId: args.tenantId, objectId: args.principalId, permissions: { secrets: ["get", "list"] } },
      },
      { parent },
    ),
  );
}
