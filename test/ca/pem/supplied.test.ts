import { checkSuppliedMaterial, defaultCertChain, providedMaterialProblems } from "../../../components/ca/pem";
import { OpensslDir } from "../../harness/openssl";

/**
 * components/ca/pem/supplied.ts on a small EC hierarchy openssl makes here: what the checks return
 * besides problems (path, anchor, cert-chain.pem), `defaultCertChain`, and the checks of the bundle's
 * roots and of lifetimes. The refusals of a supplied CA certificate, key and chain, one by one, are
 * in ../provided/pem.test.ts.
 */
describe("supplied CA material", () => {
  const o = new OpensslDir();
  const CA = "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n";
  const key = (n: string) =>
    o.run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${n}.key`);
  const root = (n: string, subj: string, ext = CA) => {
    key(n);
    o.run(
      "req",
      "-x509",
      "-new",
      "-key",
      `${n}.key`,
      "-subj",
      subj,
      "-days",
      "365",
      "-out",
      `${n}.pem`,
      "-config",
      o.write(`${n}.cnf`, `[req]\ndistinguished_name=dn\nx509_extensions=ext\n[dn]\n[ext]\n${ext}`),
    );
    return { cert: o.read(`${n}.pem`), key: o.read(`${n}.key`) };
  };
  const issue = (n: string, subj: string, by: string, days: number) => {
    key(n);
    o.run("req", "-new", "-key", `${n}.key`, "-subj", subj, "-out", `${n}.csr`);
    o.write(`${n}.ext`, "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
    o.run(
      "x509",
      "-req",
      "-in",
      `${n}.csr`,
      "-CA",
      `${by}.pem`,
      "-CAkey",
      `${by}.key`,
      "-CAcreateserial",
      "-days",
      String(days),
      "-extfile",
      `${n}.ext`,
      "-out",
      `${n}.pem`,
    );
    return { cert: o.read(`${n}.pem`), key: o.read(`${n}.key`) };
  };
  const r = root("root", "/O=Example/CN=Root");
  const other = root("other", "/O=Example/CN=Other Root");
  const notCa = root("notca", "/O=Example/CN=Not A CA", "basicConstraints=critical,CA:false\n");
  const inter = issue("inter", "/O=Example/CN=Intermediate", "root", 30);
  const daily = issue("daily", "/O=Example/CN=Daily", "root", 1);
  afterAll(() => o.cleanup());
  const ok = { rootCertPem: r.cert, caCertPem: inter.cert, caKeyPem: inter.key };
  const text = (m: typeof ok & { certChainPem?: string }, now?: Date) =>
    providedMaterialProblems(m, now).map((p) => `${p.key}: ${p.message}`);

  it("returns the verified path, its anchor and cert-chain.pem (the CA then its root when none is given)", () => {
    const check = checkSuppliedMaterial({ ...ok, rootCertPem: other.cert + r.cert });
    expect(check.problems).toEqual([]);
    expect(check.path?.map((p) => p.position)).toEqual(["intermediate", "root"]);
    expect(check.anchor?.subject).toBe("O=Example\nCN=Root");
    expect(check.certChainPem).toBe(inter.cert + r.cert);
  });

  it("defaultCertChain: the CA and the root of the bundle that signed it; the CA alone when none did", () => {
    expect(defaultCertChain(inter.cert, other.cert + r.cert)).toBe(inter.cert + r.cert);
    expect(defaultCertChain(inter.cert.trim(), other.cert)).toBe(inter.cert);
  });

  it("checks every root of the bundle: a CA, valid now", () => {
    expect(text({ ...ok, rootCertPem: r.cert + notCa.cert })).toEqual([
      expect.stringMatching(/^rootCertPem: "O=Example, CN=Not A CA" \(sha256 [0-9a-f]{16}…\) is not a CA certificate/),
    ]);
    const nextYear = new Date(Date.now() + 400 * 86_400_000);
    expect(text(ok, nextYear)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rootCertPem: root "O=Example, CN=Root" .* expired on .*; remove it from the bundle$/),
      ]),
    );
  });

  it("refuses a chain that goes on after the root, and a chain that is not PEM", () => {
    expect(text({ ...ok, certChainPem: inter.cert + r.cert + other.cert })).toEqual([
      expect.stringMatching(/^certChainPem: continues after the root "O=Example, CN=Root"/),
    ]);
    expect(text({ ...ok, certChainPem: "cert-chain.pem" })).toEqual([
      "certChainPem: must hold PEM certificates: caCertPem first, then the certificates up to the root",
    ]);
  });

  it("refuses a CA that lives no longer than a workload certificate (24h)", () => {
    expect(text({ ...ok, caCertPem: daily.cert, caKeyPem: daily.key })).toEqual([
      expect.stringMatching(
        /^caCertPem: "O=Example, CN=Daily" .* is valid for 24 hours, not longer than the 24h workload certificate TTL$/,
      ),
    ]);
  });

  it("never puts key material in a message", () => {
    const all = text({ ...ok, caKeyPem: other.key, rootCertPem: r.cert + notCa.cert }).join("\n");
    expect(all).toContain("caKeyPem: does not match the public key of caCertPem");
    expect(all).not.toMatch(/PRIVATE KEY|MII|MHc/);
  });
});
