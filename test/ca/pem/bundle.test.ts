import * as crypto from "crypto";
import fc from "fast-check";
import { joinPems, parseCertBundle, splitPemCerts } from "../../../components/ca/pem";
import { OpensslDir } from "../../harness/openssl";

/**
 * components/ca/pem/bundle.ts: `root-cert.pem` and `cert-chain.pem` are bundles istiod and the
 * sidecars read as concatenated PEMs; a missing newline between two certificates makes the second
 * unreadable to some parsers, and text around them (openssl's `subject=` lines) must not reach them.
 */
describe("PEM bundles", () => {
  const o = new OpensslDir();
  const selfSigned = (cn: string) => o.selfSigned(cn, { subj: `/CN=${cn}`, days: 2 }).cert;
  const [a, b] = [selfSigned("a"), selfSigned("b")];
  afterAll(() => o.cleanup());

  it("joinPems ends each PEM with exactly the newline it lacks, and joins nothing to nothing", () => {
    expect(joinPems([a.trim(), b])).toBe(a + b);
    expect(joinPems([a, b])).toBe(a + b);
    expect(joinPems([])).toBe("");
  });

  it("splitPemCerts keeps the certificates only, in order, each ending in a newline", () => {
    expect(splitPemCerts(`subject=CN=a\n${a}\nissuer=CN=a\n${b.trim()}`)).toEqual([a, b]);
    expect(splitPemCerts("")).toEqual([]);
    // A private key is not a certificate.
    expect(splitPemCerts(o.read("a.key"))).toEqual([]);
  });

  it("parseCertBundle parses every certificate, or gives undefined for none or one that does not parse", () => {
    expect(parseCertBundle(a + b)?.map((c) => c.subject)).toEqual(["CN=a", "CN=b"]);
    expect(parseCertBundle("no certificate")).toBeUndefined();
    const broken = b.replace(/\n[A-Za-z0-9+/]{20}/, "\nAAAAAAAAAAAAAAAAAAAA");
    expect(parseCertBundle(a + broken)).toBeUndefined();
    expect(parseCertBundle(a)?.[0]).toBeInstanceOf(crypto.X509Certificate);
  });

  const block = fc
    .base64String({ minLength: 4, maxLength: 200 })
    .map((body) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`);
  const blocks = fc.array(
    fc.tuple(block, fc.boolean()).map(([p, nl]) => (nl ? `${p}\n` : p)),
    { maxLength: 5 },
  );

  it("property: splitting a joined bundle gives back its PEMs, each with one final newline", () => {
    fc.assert(
      fc.property(blocks, (pems) => {
        expect(splitPemCerts(joinPems(pems))).toEqual(pems.map((p) => (p.endsWith("\n") ? p : `${p}\n`)));
      }),
    );
  });

  it("property: joining is idempotent on a split bundle", () => {
    fc.assert(
      fc.property(blocks, (pems) => {
        const bundle = joinPems(pems);
        expect(joinPems(splitPemCerts(bundle))).toBe(bundle);
      }),
    );
  });
});
