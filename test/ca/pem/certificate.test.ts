import * as crypto from "crypto";
import { OpensslDir } from "../../harness/openssl";
import { caExtensions, describeCert, issuerOf, subjectOf } from "../../../components/ca/pem";

/**
 * components/ca/pem/certificate.ts on certificates openssl makes: the CA extensions read with
 * @peculiar/asn1-x509 where Node's X509Certificate has nothing (pathLenConstraint, keyUsage),
 * including certificates without those extensions. Bundles: bundle.test.ts; supplied material:
 * supplied.test.ts and ../provided/pem.test.ts.
 */
describe("certificates", () => {
  const o = new OpensslDir();
  const ec = (name: string) =>
    o.run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
  ec("root");
  o.write("root.ext", "basicConstraints=critical,CA:true,pathlen:3\nkeyUsage=critical,keyCertSign,cRLSign\n");
  o.run(
    "req",
    "-new",
    "-x509",
    "-key",
    "root.key",
    "-subj",
    "/O=Example/CN=Root",
    "-days",
    "30",
    "-out",
    "root.pem",
    "-extensions",
    "v3",
    "-config",
    o.write(
      "root.cnf",
      "[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=critical,CA:true,pathlen:3\nkeyUsage=critical,keyCertSign,cRLSign\n",
    ),
  );
  ec("leaf");
  o.run("req", "-new", "-key", "leaf.key", "-subj", "/CN=leaf", "-out", "leaf.csr");
  // No extension file: no basicConstraints, no keyUsage.
  o.run("x509", "-req", "-in", "leaf.csr", "-CA", "root.pem", "-CAkey", "root.key", "-days", "2", "-out", "leaf.pem");
  const root = new crypto.X509Certificate(o.read("root.pem"));
  const leaf = new crypto.X509Certificate(o.read("leaf.pem"));

  it("reads basicConstraints and keyUsage, and their absence", () => {
    expect(caExtensions(root)).toEqual({ ca: true, pathLenConstraint: 3, hasKeyUsage: true, keyCertSign: true });
    // No keyUsage means any use (RFC 5280 4.2.1.3); no basicConstraints means not a CA.
    expect(caExtensions(leaf)).toEqual({ ca: false, hasKeyUsage: false, keyCertSign: true });
  });

  it("names certificates and issuers on one line", () => {
    expect(subjectOf(root)).toBe("O=Example, CN=Root");
    expect(issuerOf(leaf)).toBe("O=Example, CN=Root");
    expect(describeCert(root)).toMatch(/^"O=Example, CN=Root" \(sha256 [0-9a-f]{16}…\)$/);
  });
});
