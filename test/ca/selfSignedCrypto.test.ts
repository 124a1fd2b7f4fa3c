import * as crypto from "crypto";
import { byName, runProgram, stackConfig, ProgramRun } from "../harness/program";
import { OpensslDir } from "../harness/openssl";

/**
 * The real certificates of the self-signed backend, produced from the exact tls inputs the program
 * declares (see test/harness/tlsEmulator.ts), checked with openssl and Node's X509Certificate.
 * Two clusters share one root, as in a multi-cluster mesh.
 */
describe("self-signed CA material (two clusters, one root)", () => {
  let run: ProgramRun;
  const ssl = new OpensslDir();
  const cacerts = (cluster: string) =>
    byName(run, `${cluster}-istio-cacerts-secret`).inputs.stringData as Record<string, string>;
  const days = (c: crypto.X509Certificate) => Math.round((Date.parse(c.validTo) - Date.parse(c.validFrom)) / 86400000);

  beforeAll(async () => {
    const config = { ...stackConfig("dev"), clusters: [{ name: "east" }, { name: "west" }] };
    run = await runProgram(config);
    expect(run.error).toBeUndefined();
    for (const c of ["east", "west"]) {
      for (const [file, pem] of Object.entries(cacerts(c))) ssl.write(`${c}-${file}`, pem);
    }
  });
  afterAll(() => ssl.cleanup());

  it("has one root for both clusters and one intermediate each", () => {
    expect(cacerts("east")["root-cert.pem"]).toBe(cacerts("west")["root-cert.pem"]);
    expect(cacerts("east")["ca-cert.pem"]).not.toBe(cacerts("west")["ca-cert.pem"]);
  });

  it("the root is a 10-year RSA-4096 CA without a path length limit, O=Istio CN=Root CA", () => {
    const root = new crypto.X509Certificate(cacerts("east")["root-cert.pem"]);
    expect(root.subject).toBe("O=Istio\nCN=Root CA");
    expect(root.issuer).toBe(root.subject);
    expect(root.ca).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
    expect(days(root)).toBe(3650);
    const bc = ssl.run("x509", "-in", "east-root-cert.pem", "-noout", "-ext", "basicConstraints");
    expect(bc).toMatch(/critical/);
    expect(bc).toMatch(/CA:TRUE\s*$/m);
  });

  // common.mk's intermediates carry `pathlen:0`; @pulumi/tls cannot encode it: maxPathLength 0 is
  // copied to Go's MaxPathLen without MaxPathLenZero, which Go writes as "no limit"
  // (terraform-provider-tls internal/provider/common_cert.go; test/harness/tlsEmulator.ts).
  it.each(["east", "west"])(
    "the %s intermediate follows common.mk (L=<cluster>, SAN istiod, keyCertSign, SKI, 2 years) except pathlen: none",
    (c) => {
      const ca = new crypto.X509Certificate(cacerts(c)["ca-cert.pem"]);
      expect(ca.subject).toBe(`O=Istio\nL=${c}\nCN=Intermediate CA`);
      expect(ca.issuer).toBe("O=Istio\nCN=Root CA");
      expect(ca.ca).toBe(true);
      expect(ca.subjectAltName).toBe("DNS:istiod.istio-system.svc");
      expect(ca.publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
      expect(days(ca)).toBe(730);
      const ext = ssl.run(
        "x509",
        "-in",
        `${c}-ca-cert.pem`,
        "-noout",
        "-ext",
        "basicConstraints,keyUsage,subjectKeyIdentifier,authorityKeyIdentifier",
      );
      expect(ext).toMatch(/Basic Constraints: critical\s+CA:TRUE\s*$/m);
      expect(ext).not.toMatch(/pathlen/);
      expect(ext).toMatch(
        /Key Usage: critical\s+Digital Signature, Non Repudiation, Key Encipherment, Certificate Sign/,
      );
      expect(ext).toMatch(/Subject Key Identifier/);
      const rootSki = ssl
        .run("x509", "-in", `${c}-root-cert.pem`, "-noout", "-ext", "subjectKeyIdentifier")
        .split("\n")[1]
        .trim();
      expect(ext).toContain(rootSki);
    },
  );

  it.each(["east", "west"])("the %s intermediate chains to the root, and the key matches the certificate", (c) => {
    expect(ssl.verify("-CAfile", `${c}-root-cert.pem`, `${c}-ca-cert.pem`)).toEqual({
      ok: true,
      out: `${c}-ca-cert.pem: OK\n`,
    });
    const cert = new crypto.X509Certificate(cacerts(c)["ca-cert.pem"]);
    expect(cert.checkPrivateKey(crypto.createPrivateKey(cacerts(c)["ca-key.pem"]))).toBe(true);
  });

  it("a workload leaf signed with cacerts verifies through cert-chain.pem in its own and in the other cluster", () => {
    const eastLeaf = ssl.leaf("east-leaf", "east-ca-cert.pem", "east-ca-key.pem");
    const westLeaf = ssl.leaf("west-leaf", "west-ca-cert.pem", "west-ca-key.pem");
    expect(ssl.verify("-CAfile", "east-root-cert.pem", "-untrusted", "east-cert-chain.pem", eastLeaf).ok).toBe(true);
    // Cross-cluster: west's proxies trust the shared root, the east leaf presents its chain.
    expect(ssl.verify("-CAfile", "west-root-cert.pem", "-untrusted", "east-cert-chain.pem", eastLeaf).ok).toBe(true);
    expect(ssl.verify("-CAfile", "east-root-cert.pem", "-untrusted", "west-cert-chain.pem", westLeaf).ok).toBe(true);
  });

  it("a leaf does not verify without the intermediate, nor against another root", () => {
    const leaf = ssl.leaf("lonely-leaf", "east-ca-cert.pem", "east-ca-key.pem");
    expect(ssl.verify("-CAfile", "east-root-cert.pem", leaf).ok).toBe(false);
    ssl.run(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "other.key",
      "-subj",
      "/O=Istio/CN=Root CA",
      "-days",
      "1",
      "-out",
      "other-root.pem",
    );
    const r = ssl.verify("-CAfile", "other-root.pem", "-untrusted", "east-cert-chain.pem", leaf);
    expect(r.ok).toBe(false);
  });

  // The consequence, kept visible: with no path length constraint a sub-CA the intermediate signs
  // issues leaves that verify. Backends that need pathlen:0 get it from Vault or bring their own.
  it("NO path length constraint: a sub-CA under the intermediate CAN issue a leaf that verifies", () => {
    ssl.run(
      "req",
      "-new",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "sub.key",
      "-subj",
      "/O=Rogue/CN=Sub CA",
      "-out",
      "sub.csr",
    );
    ssl.write("sub.ext", "[ext]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,digitalSignature\n");
    ssl.run(
      "x509",
      "-req",
      "-in",
      "sub.csr",
      "-CA",
      "east-ca-cert.pem",
      "-CAkey",
      "east-ca-key.pem",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      "sub.ext",
      "-extensions",
      "ext",
      "-out",
      "sub.pem",
    );
    const leaf = ssl.leaf("rogue-leaf", "sub.pem", "sub.key");
    ssl.write("rogue-chain.pem", ssl.read("sub.pem") + ssl.read("east-cert-chain.pem"));
    const r = ssl.verify("-CAfile", "east-root-cert.pem", "-untrusted", "rogue-chain.pem", leaf);
    expect(r.ok).toBe(true);
    expect(r.out).not.toMatch(/path length constraint exceeded/);
  });
});
