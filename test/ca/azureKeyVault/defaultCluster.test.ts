import { runProgram, stackConfig } from "../../harness/program";
import { azureMocks } from "./fixtures";

/**
 * Pulumi.prod.yaml without `istio-mesh-ca:clusters`: the stack relies on the default cluster name
 * `cluster1`. Before the CA lifecycle, this backend made its root per cluster (`cluster1-ca-root` under
 * the `cluster1-ca` AzureKeyVaultCa); the lifecycle's root `mesh-root` must carry an alias to it, or
 * the root in service would be replaced. The alias must come from the validated config (where the
 * default applies), not from raw config (where `clusters` is absent).
 */
describe("azureKeyVault backend on a stack relying on the default cluster name", () => {
  it("aliases the lifecycle's root mesh-root to cluster1-ca-root under the cluster1-ca component", async () => {
    const { clusters: _omitted, ...config } = stackConfig("prod");
    expect(_omitted).toBeDefined();
    const run = await runProgram(config, { stack: "prod", ...azureMocks() });
    expect(run.error).toBeUndefined();
    // The default cluster name did apply: the per-cluster component is cluster1-ca.
    expect(run.urns).toContain("urn:pulumi:prod::istio-mesh-ca::istio-mesh-ca:ca:AzureKeyVaultCa::cluster1-ca");
    // The SDK sends the alias as a spec: the old name and the old parent's URN (type, stack, project inherited).
    const aliases = (run.aliases.get("mesh-root") ?? []).map((a) => JSON.parse(a) as Record<string, string>);
    expect(aliases).toEqual([
      expect.objectContaining({
        name: "cluster1-ca-root",
        parenturn: "urn:pulumi:prod::istio-mesh-ca::istio-mesh-ca:ca:AzureKeyVaultCa::cluster1-ca",
      }),
    ]);
  }, 120_000);
});
