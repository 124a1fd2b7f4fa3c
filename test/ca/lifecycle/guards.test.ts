import * as crypto from "crypto";
import { expirySchema } from "../../../config/lifecycle";
import {
  expiryFindings,
  fingerprintOf,
  materialIssues,
  splitPemCerts,
  subjectOf,
} from "../../../components/ca/lifecycle/guards";
import { OpensslDir } from "../../harness/openssl";

/** Real certificates, made with openssl: a root, intermediates good and bad. */
const o = new OpensslDir();
const EXT =
  "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,digitalSignature\nsubjectKeyIdentifier=hash\n";
o.write("ca.ext", EXT);
function root(
  name: string,
  days: number,
  keyArgs = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
): string {
  o.run(
    "req",
    "-x509",
    ...keyArgs,
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-subj",
    `/O=Istio/CN=${name}`,
    "-days",
    String(days),
    "-config",
    "ca.ext",
    "-extensions",
    "ca",
    "-out",
    `${name}.pem`,
  );
  return o.read(`${name}.pem`);
}
function intermediate(
  name: string,
  signer: string,
  days: number,
  keyArgs = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
): string {
  o.run(
    "req",
    "-new",
    ...keyArgs,
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-subj",
    `/O=Istio/CN=${name}/L=cluster-a`,
    "-out",
    `${name}.csr`,
  );
  o.run(
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${signer}.pem`,
    "-CAkey",
    `${signer}.key`,
    "-set_serial",
    "7",
    "-days",
    String(days),
    "-extfile",
    "ca.ext",
    "-extensions",
    "ca",
    "-out",
    `${name}.pem`,
  );
  return o.read(`${name}.pem`);
}

const rootA = root("Root A", 365);
const rootB = root("Root B", 365);
const good = intermediate("Intermediate A1", "Root A", 100);
const cfg = expirySchema.parse(undefined);
const DAY = 86_400_000;
const inDays = (d: number) => new Date(Date.now() + d * DAY);

describe("expiryFindings", () => {
  it("is quiet for certificates far from expiry", () => {
    expect(
      expiryFindings(
        [
          { role: "root", pem: rootA },
          { role: "intermediate", pem: good },
        ],
        cfg,
        new Date(),
      ),
    ).toEqual({ warnings: [], errors: [] });
  });

  it("warns within 90 days, naming the subject and the expiry date", () => {
    const { warnings, errors } = expiryFindings([{ role: "intermediate of cluster-a", pem: good }], cfg, new Date());
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    const later = expiryFindings([{ role: "intermediate of cluster-a", pem: good }], cfg, inDays(30));
    expect(later.errors).toEqual([]);
    expect(later.warnings).toHaveLength(1);
    const notAfter = new Date(new crypto.X509Certificate(good).validTo).toISOString();
    expect(later.warnings[0]).toContain('intermediate of cluster-a "O=Istio, CN=Intermediate A1, L=cluster-a"');
    expect(later.warnings[0]).toContain(`expires on ${notAfter}`);
  });

  it("is an error within 14 days, and after expiry, unless acknowledged by subject or fingerprint", () => {
    for (const now of [inDays(95), inDays(120)]) {
      const { errors } = expiryFindings([{ role: "intermediate", pem: good }], cfg, now);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/within the 14-day limit: rotate it .*expiry.acknowledge/);
    }
    const cert = new crypto.X509Certificate(good);
    for (const ack of [subjectOf(cert), fingerprintOf(cert), cert.fingerprint256]) {
      const r = expiryFindings([{ role: "intermediate", pem: good }], { ...cfg, acknowledge: [ack] }, inDays(95));
      expect(r.errors).toEqual([]);
      expect(r.warnings).toHaveLength(1);
    }
    expect(
      expiryFindings([{ role: "intermediate", pem: good }], { ...cfg, acknowledge: ["CN=someone else"] }, inDays(95))
        .errors,
    ).toHaveLength(1);
  });

  it("only warns about a root that is being rotated out", () => {
    const r = expiryFindings([{ role: "root", pem: rootA, retiring: true }], cfg, inDays(360));
    expect(r.errors).toEqual([]);
    expect(r.warnings[0]).toMatch(/being rotated out/);
  });

  it("honours configured windows", () => {
    const tight = { warnDays: 10, errorDays: 5, acknowledge: [] };
    expect(expiryFindings([{ role: "i", pem: good }], tight, inDays(80))).toEqual({ warnings: [], errors: [] });
    expect(expiryFindings([{ role: "i", pem: good }], tight, inDays(92)).warnings).toHaveLength(1);
    expect(expiryFindings([{ role: "i", pem: good }], tight, inDays(96)).errors).toHaveLength(1);
  });
});

describe("materialIssues (material from a root stack)", () => {
  it("accepts an intermediate that chains to a trusted root within its lifetime", () => {
    expect(materialIssues(good, [rootA], "ctx")).toEqual([]);
    expect(materialIssues(good, [rootB, rootA], "ctx")).toEqual([]);
  });

  it("refuses an intermediate that outlives its root, naming both dates", () => {
    const long = intermediate("Intermediate Long", "Root A", 400);
    const issues = materialIssues(long, [rootA], "istio-mesh-ca:ca.intermediateSource");
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(
      /^istio-mesh-ca:ca.intermediateSource: "O=Istio, CN=Intermediate Long, L=cluster-a" expires on .* after its root "O=Istio, CN=Root A"/,
    );
  });

  it("refuses an intermediate not signed by any trusted root", () => {
    expect(materialIssues(good, [rootB], "ctx")).toEqual([
      expect.stringMatching(/is not signed by any trusted root \("O=Istio, CN=Root B"\)/),
    ]);
  });

  it("refuses a lifetime not longer than the 24h workload TTL", () => {
    const short = intermediate("Intermediate Short", "Root A", 1);
    expect(materialIssues(short, [rootA], "ctx")).toEqual([
      expect.stringMatching(/valid for 24 hours, not longer than the 24h workload certificate TTL/),
    ]);
  });

  it("refuses keys below RSA 2048 and curves below P-256", () => {
    const weakRsa = intermediate("Intermediate RSA1024", "Root A", 30, ["-newkey", "rsa:1024"]);
    expect(materialIssues(weakRsa, [rootA], "ctx")).toEqual([
      expect.stringMatching(/has an RSA key of 1024 bits \(at least 2048 required\)/),
    ]);
    const p224Root = root("Root P224", 365, ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp224r1"]);
    const under = intermediate("Intermediate Under P224", "Root P224", 30);
    expect(materialIssues(under, [p224Root], "ctx")).toEqual([
      expect.stringMatching(/"O=Istio, CN=Root P224" has an EC key on curve secp224r1/),
    ]);
    const strong = intermediate("Intermediate RSA2048", "Root A", 30, ["-newkey", "rsa:2048"]);
    expect(materialIssues(strong, [rootA], "ctx")).toEqual([]);
  });
});

describe("splitPemCerts", () => {
  it("splits a bundle into certificates, each ending in a newline", () => {
    expect(splitPemCerts(`${rootA}${rootB.trim()}`)).toEqual([rootA, rootB]);
    expect(splitPemCerts("")).toEqual([]);
  });
});
