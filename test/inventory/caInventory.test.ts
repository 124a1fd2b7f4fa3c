import { caInventory, daysLeft, refreshDaysLeft } from "../../components/inventory/caInventory";
import { splitPemCerts } from "../../components/ca/pem";
import { opensslChain } from "../harness/openssl";

describe("caInventory of real certificates", () => {
  const chain = opensslChain({ serial: "0x1A2B3C4D5E6F" });
  afterAll(() => chain.ssl.cleanup());
  const now = new Date();
  const entries = caInventory(
    "cluster1",
    { rootCertBundle: chain.rootPem, intermediateCert: chain.interPem },
    "selfSigned",
    now,
  );
  const [root, inter] = entries;

  it("lists the root then the intermediate, with cluster and backend", () => {
    expect(entries.map((e) => [e.cluster, e.role, e.backend])).toEqual([
      ["cluster1", "root", "selfSigned"],
      ["cluster1", "intermediate", "selfSigned"],
    ]);
  });

  it("has the subjects and issuers openssl wrote", () => {
    expect(root.subject).toBe("O=Istio, CN=Root CA");
    expect(root.issuer).toBe("O=Istio, CN=Root CA");
    expect(inter.subject).toBe("O=Istio, L=cluster1, CN=Intermediate CA");
    expect(inter.issuer).toBe("O=Istio, CN=Root CA");
  });

  it("has the SHA-256 fingerprints and serials openssl reports", () => {
    const fp = (f: string) => chain.ssl.run("x509", "-in", f, "-noout", "-fingerprint", "-sha256").trim().split("=")[1];
    const serial = (f: string) => chain.ssl.run("x509", "-in", f, "-noout", "-serial").trim().split("=")[1];
    expect(root.fingerprintSha256).toBe(fp("root.pem"));
    expect(inter.fingerprintSha256).toBe(fp("int.pem"));
    expect(root.serial).toBe(serial("root.pem"));
    expect(inter.serial).toBe("1A2B3C4D5E6F");
  });

  it("counts days left from the given now", () => {
    // openssl starts validity at issuance: 3650 and 730 days from (about) now, minus the partial day.
    expect(root.daysLeft).toBeGreaterThanOrEqual(3649);
    expect(root.daysLeft).toBeLessThanOrEqual(3650);
    expect(inter.daysLeft).toBeGreaterThanOrEqual(729);
    expect(inter.daysLeft).toBeLessThanOrEqual(730);
    const later = caInventory(
      "cluster1",
      { rootCertBundle: chain.rootPem, intermediateCert: chain.interPem },
      "selfSigned",
      new Date(now.getTime() + 700 * 86_400_000),
    );
    expect(later[1].daysLeft).toBe(inter.daysLeft - 700);
    expect(Date.parse(inter.notAfter) - Date.parse(inter.notBefore)).toBe(730 * 86_400_000);
  });

  it("lists both roots of a rotation bundle, and no intermediate for backends without one", () => {
    const both = caInventory("c", { rootCertBundle: chain.rootPem + chain.interPem }, "certManager", now);
    expect(both.map((e) => e.role)).toEqual(["root", "root"]);
    expect(splitPemCerts(`${chain.rootPem}\n${chain.interPem}`)).toHaveLength(2);
  });

  it("recomputes days left of exported entries", () => {
    const [r] = refreshDaysLeft({ cluster1: [root] }, new Date(Date.parse(root.notAfter) + 86_400_000));
    expect(r.daysLeft).toBe(-1);
    expect(daysLeft(new Date("2026-01-02T00:00:00Z"), new Date("2026-01-01T00:00:01Z"))).toBe(0);
  });
});
