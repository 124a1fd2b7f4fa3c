import { KeyType, OpensslDir } from "../../harness/openssl";

/**
 * Real CA material made with the openssl CLI, the way teams bring it to the `provided` backend:
 * a Makefile.selfsigned.mk-like root → intermediate (pathlen:0), a corporate root → policy CA →
 * issuing intermediate, and broken variants for every refusal. EC P-256 keys where the shape does
 * not matter (fast), RSA 2048 for the Makefile-like chain.
 */

const CA_EXT =
  "basicConstraints=critical,CA:true\nkeyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign\nsubjectKeyIdentifier=hash\n";
const intermediateExt = (pathlen: number | undefined, cluster = "cluster1") =>
  `basicConstraints=critical,CA:true${pathlen === undefined ? "" : `,pathlen:${pathlen}`}\n` +
  "keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign\nsubjectKeyIdentifier=hash\n" +
  `subjectAltName=DNS:istiod.istio-system.svc\n# ${cluster}\n`;

export interface Pair {
  cert: string;
  key: string;
}

export interface ProvidedFixtures {
  /** Makefile-like: RSA 2048 root (3650 days) and cluster1 intermediate (730 days, pathlen:0). */
  rootA: Pair;
  interA: Pair;
  /** A second intermediate of root A (cluster2). */
  interA2: Pair;
  /** The incoming root of a rotation, and an intermediate it signed. */
  rootB: Pair;
  interB: Pair;
  /** Corporate PKI: root → policy CA (pathlen:1) → issuing intermediate (pathlen:0). */
  corpRoot: Pair;
  corpPolicy: Pair;
  corpInter: Pair;
  /** A policy CA with pathlen:0 that still issued an intermediate: a path the constraint forbids. */
  tightPolicy: Pair;
  tightInter: Pair;
  /** Refusals. */
  notCa: Pair;
  noCertSign: Pair;
  expired: Pair;
  soon: Pair;
  weakRsa: Pair;
  ed25519: Pair;
  /** Root C lives 30 days; its intermediate 60. */
  shortRoot: Pair;
  outliving: Pair;
  /** A CA restricted to clientAuth by extendedKeyUsage (istiod's Go verification needs serverAuth). */
  ekuClient: Pair;
  /** An encrypted key (istiod needs it plain). */
  encryptedKeyA: string;
}

/** Builds every fixture in a scratch directory (a few seconds: RSA 2048 twice, the rest EC). */
export function makeProvidedFixtures(): ProvidedFixtures {
  const d = new OpensslDir();
  const root = (name: string, subj: string, days: number, key: KeyType = "ec") =>
    d.selfSigned(name, { subj, days, key, ext: CA_EXT });
  const issue = (name: string, subj: string, issuer: string, days: number, ext: string, key: KeyType = "ec") =>
    d.issue(name, subj, { ca: issuer, days, ext, key });
  try {
    const rsa2048 = { rsaBits: 2048 };
    const rootA = root("rootA", "/O=Istio/CN=Root CA", 3650, rsa2048);
    const interA = issue("interA", "/O=Istio/CN=Intermediate CA/L=cluster1", "rootA", 730, intermediateExt(0), rsa2048);
    const interA2 = issue(
      "interA2",
      "/O=Istio/CN=Intermediate CA/L=cluster2",
      "rootA",
      730,
      intermediateExt(0, "cluster2"),
    );
    const rootB = root("rootB", "/O=Istio/CN=Root CA G2", 3650);
    const interB = issue("interB", "/O=Istio/CN=Intermediate CA G2/L=cluster1", "rootB", 730, intermediateExt(0));
    const corpRoot = root("corpRoot", "/O=Example Corp/CN=Example Corp Root CA", 7300);
    const corpPolicy = issue(
      "corpPolicy",
      "/O=Example Corp/CN=Example Corp Policy CA",
      "corpRoot",
      3650,
      intermediateExt(1),
    );
    const corpInter = issue(
      "corpInter",
      "/O=Example Corp/OU=Mesh/CN=Istio cluster1 CA",
      "corpPolicy",
      365,
      intermediateExt(0),
    );
    const tightPolicy = issue(
      "tightPolicy",
      "/O=Example Corp/CN=Tight Policy CA",
      "corpRoot",
      3650,
      intermediateExt(0),
    );
    const tightInter = issue(
      "tightInter",
      "/O=Example Corp/CN=Tight Issuing CA",
      "tightPolicy",
      365,
      intermediateExt(0),
    );
    const notCa = issue(
      "notCa",
      "/O=Istio/CN=Not A CA",
      "rootA",
      365,
      "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n",
    );
    const noCertSign = issue(
      "noCertSign",
      "/O=Istio/CN=No CertSign",
      "rootA",
      365,
      "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,digitalSignature\n",
    );
    const soon = issue("soon", "/O=Istio/CN=Expiring Soon/L=cluster1", "rootA", 5, intermediateExt(0));
    const weakRsa = issue("weakRsa", "/O=Istio/CN=Weak RSA/L=cluster1", "rootA", 365, intermediateExt(0), {
      rsaBits: 1024,
    });
    const ed25519 = issue("ed25519", "/O=Istio/CN=Ed25519 CA/L=cluster1", "rootA", 365, intermediateExt(0), "ed25519");
    const shortRoot = root("shortRoot", "/O=Istio/CN=Short Root", 30);
    const outliving = issue("outliving", "/O=Istio/CN=Outliving CA/L=cluster1", "shortRoot", 60, intermediateExt(0));
    // Expired: `openssl ca` accepts explicit dates (openssl x509 in 3.0 does not).
    d.csr("expired", "/O=Istio/CN=Expired CA/L=cluster1");
    d.write("index.txt", "");
    d.write("serial", "1000\n");
    d.write("expired.ext", intermediateExt(0));
    d.write(
      "ca.cnf",
      "[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=any\nunique_subject=no\n[any]\ncommonName=supplied\norganizationName=optional\nlocalityName=optional\n",
    );
    d.run(
      "ca",
      "-batch",
      "-config",
      "ca.cnf",
      "-cert",
      "rootA.pem",
      "-keyfile",
      "rootA.key",
      "-in",
      "expired.csr",
      "-out",
      "expired.pem",
      "-startdate",
      "20200101000000Z",
      "-enddate",
      "20200301000000Z",
      "-extfile",
      "expired.ext",
      "-notext",
    );
    const expired = d.pair("expired");
    const ekuClient = issue(
      "ekuClient",
      "/O=Istio/CN=Client Only CA/L=cluster1",
      "rootA",
      365,
      `${intermediateExt(0)}extendedKeyUsage=clientAuth\n`,
    );
    d.run("pkey", "-in", "interA.key", "-aes256", "-passout", "pass:secret", "-out", "interA-enc.key");
    return {
      rootA,
      interA,
      interA2,
      rootB,
      interB,
      corpRoot,
      corpPolicy,
      corpInter,
      tightPolicy,
      tightInter,
      notCa,
      noCertSign,
      expired,
      soon,
      weakRsa,
      ed25519,
      shortRoot,
      outliving,
      ekuClient,
      encryptedKeyA: d.read("interA-enc.key"),
    };
  } finally {
    d.cleanup();
  }
}

/** A `provided` stack config (keys without the project prefix) for the given clusters' material. */
export function providedConfig(
  rootCertPem: string | undefined,
  clusters: Record<string, { caCertPem?: string; caKeyPem?: string; certChainPem?: string }>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    clusters: Object.keys(clusters).map((name) => ({ name })),
    ca: { backend: "provided", ...(rootCertPem !== undefined ? { rootCertPem } : {}), clusters, ...extra },
    istio: { namespace: "istio-system", skipAwait: true },
    namespaces: [{ name: "test", mtls: "STRICT" }],
  };
}
