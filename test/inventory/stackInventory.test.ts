import { X509Certificate } from "crypto";
import { refreshDaysLeft } from "../../components/inventory/caInventory";
import { runProgram, stackConfig } from "../harness/program";

describe("inventoryOutput: the dev stack's `inventory` output (program under mocks)", () => {
  it("has the root and the intermediate of every cluster, matching the exported PEMs", async () => {
    const run = await runProgram(stackConfig("dev"), { stack: "dev" });
    expect(run.error).toBeUndefined();
    const inventory = run.outputs.inventory;
    expect(Object.keys(inventory)).toEqual(["cluster1"]);
    const [root, inter] = inventory.cluster1;
    expect([root.role, inter.role]).toEqual(["root", "intermediate"]);
    expect(root).toMatchObject({ cluster: "cluster1", backend: "selfSigned", subject: "O=Istio, CN=Root CA" });
    expect(inter.subject).toBe("O=Istio, L=cluster1, CN=Intermediate CA");
    expect(inter.issuer).toBe(root.subject);
    // The fingerprints are those of the PEMs the stack exports for the same cluster.
    const exported = run.outputs.clusters.cluster1;
    expect(root.fingerprintSha256).toBe(new X509Certificate(exported.rootCertBundle).fingerprint256);
    expect(inter.fingerprintSha256).toBe(new X509Certificate(exported.intermediateCert).fingerprint256);
    // No day count in the output (it would change every day); the CLI computes it from notAfter.
    expect(Object.keys(root)).not.toContain("daysLeft");
    const [r, i] = refreshDaysLeft(inventory, new Date());
    expect(i.daysLeft).toBeGreaterThanOrEqual(729);
    expect(r.daysLeft).toBeGreaterThanOrEqual(3649);
    expect(run.secretOutputPaths.filter((p) => p.startsWith("inventory"))).toEqual([]);
  });
});
