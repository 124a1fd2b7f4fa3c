import { keyVaultRbac, keyVaultRecoverable, vaultAuditWithPki } from "../../policy-pack/policies/secretStores";
import { policyResource, stackViolations, violations } from "./fakeArgs";

const VAULT = "azure-native:keyvault:Vault";
const kv = (properties: Record<string, unknown>) => ({
  type: VAULT,
  props: {
    resourceGroupName: "rg",
    properties: { tenantId: "t", sku: { family: "A", name: "standard" }, ...properties },
  },
});

describe("keyvault-purge-protection", () => {
  it("accepts purge protection on with soft delete on or left to its default", async () => {
    expect(await violations(keyVaultRecoverable, kv({ enablePurgeProtection: true, enableSoftDelete: true }))).toEqual(
      [],
    );
    expect(await violations(keyVaultRecoverable, kv({ enablePurgeProtection: true }))).toEqual([]);
  });
  it("refuses missing purge protection and disabled soft delete", async () => {
    expect(await violations(keyVaultRecoverable, kv({}))).toEqual([expect.stringMatching(/enablePurgeProtection/)]);
    expect(await violations(keyVaultRecoverable, kv({ enablePurgeProtection: true, enableSoftDelete: false }))).toEqual(
      [expect.stringMatching(/enableSoftDelete/)],
    );
  });
  it("is advisory about RBAC authorization", async () => {
    expect(keyVaultRbac.enforcementLevel).toBe("advisory");
    expect(await violations(keyVaultRbac, kv({ enableRbacAuthorization: true }))).toEqual([]);
    expect(await violations(keyVaultRbac, kv({}))).toHaveLength(1);
  });
});

describe("vault-audit-device (stack)", () => {
  const pki = policyResource({ type: "vault:index/mount:Mount", name: "pki", props: { path: "pki_int", type: "pki" } });
  const kvMount = policyResource({
    type: "vault:index/mount:Mount",
    name: "kv",
    props: { path: "secret", type: "kv-v2" },
  });
  const audit = policyResource({ type: "vault:index/audit:Audit", name: "audit", props: { type: "file" } });

  it("refuses PKI mounts without an audit device, pointing at each mount", async () => {
    const v = await stackViolations(vaultAuditWithPki, [pki, kvMount]);
    expect(v).toEqual([{ message: expect.stringMatching(/pki_int without an audit device/), urn: pki.urn }]);
  });
  it("accepts PKI mounts with an audit device, and stacks without PKI", async () => {
    expect(await stackViolations(vaultAuditWithPki, [pki, audit])).toEqual([]);
    expect(await stackViolations(vaultAuditWithPki, [kvMount])).toEqual([]);
  });
});
