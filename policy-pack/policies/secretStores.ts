import { ResourceValidation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ADVISORY, MANDATORY, known } from "./common";

/** Where CA keys are stored outside the cluster: Azure Key Vault and HashiCorp Vault. */

/**
 * The `azure-native:keyvault:Vault` inputs these policies read (`VaultPropertiesArgs` of
 * @pulumi/azure-native 3.x). Matched by type token rather than `validateResourceOfType(keyvault.Vault)`:
 * importing the class makes the policy runtime type-check ~420k lines of azure-native declarations
 * on every preview, which tripled the pack's start-up time.
 */
interface VaultProps {
  properties?: { enablePurgeProtection?: boolean; enableSoftDelete?: boolean; enableRbacAuthorization?: boolean };
}
const KEY_VAULT = "azure-native:keyvault:Vault";

function validateVault(check: (vault: VaultProps, report: (message: string) => void) => void): ResourceValidation {
  return (args, reportViolation) => {
    if (args.type === KEY_VAULT) check(args.props as VaultProps, reportViolation);
  };
}

export const keyVaultRecoverable: ResourceValidationPolicy = {
  name: "keyvault-purge-protection",
  description:
    "A Key Vault holding CA keys has soft delete and purge protection on, so a deleted key can be recovered.",
  enforcementLevel: MANDATORY,
  severity: "high",
  validateResource: validateVault((vault, reportViolation) => {
    const props = vault.properties;
    if (props?.enablePurgeProtection !== true) {
      reportViolation(
        "properties.enablePurgeProtection must be true: without it a deleted vault or key can be purged before anyone notices.",
      );
    }
    // Unset means on (the service default since 2020); only an explicit false is refused.
    if (props?.enableSoftDelete === false) {
      reportViolation("properties.enableSoftDelete must not be false.");
    }
  }),
};

export const keyVaultRbac: ResourceValidationPolicy = {
  name: "keyvault-rbac-authorization",
  description:
    "Prefer Azure RBAC over access policies on Key Vaults (role assignments are auditable and scoped per secret).",
  enforcementLevel: ADVISORY,
  severity: "medium",
  validateResource: validateVault((vault, reportViolation) => {
    if (vault.properties?.enableRbacAuthorization !== true) {
      reportViolation(
        "properties.enableRbacAuthorization is not true; grant `Key Vault Secrets User` by role assignment instead of access policies.",
      );
    }
  }),
};

const MOUNT = "vault:index/mount:Mount";
const AUDIT = "vault:index/audit:Audit";

export const vaultAuditWithPki: StackValidationPolicy = {
  name: "vault-audit-device",
  description:
    "A stack that mounts a Vault PKI secrets engine also enables a Vault audit device, so every issuance is logged.",
  enforcementLevel: MANDATORY,
  severity: "high",
  validateStack: (args, reportViolation) => {
    const pkiMounts = args.resources.filter((r) => r.type === MOUNT && known(r.props, "type") === "pki");
    if (pkiMounts.length === 0 || args.resources.some((r) => r.type === AUDIT)) return;
    for (const m of pkiMounts) {
      reportViolation(
        `Vault PKI mount ${String(known(m.props, "path") ?? m.name)} without an audit device in this stack; add a vault.Audit (e.g. type "file").`,
        m.urn,
      );
    }
  },
};

export const secretStorePolicies = [keyVaultRecoverable, keyVaultRbac, vaultAuditWithPki];
