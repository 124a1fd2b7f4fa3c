import { OpensslDir } from "../harness/openssl";

/** Real CA certificates for the gate and summary tests (EC P-256: quick to make), by openssl. */
export interface TestCas {
  root1: string;
  root2: string;
  inter1: string;
  inter2: string;
}

export function makeCas(): TestCas {
  const d = new OpensslDir();
  const ca = (name: string, subj: string, issuer?: string) => {
    d.run(
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-subj",
      subj,
      "-out",
      `${name}.csr`,
    );
    d.write(`${name}.ext`, "[ext]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
    if (issuer)
      d.run(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        `${issuer}.pem`,
        "-CAkey",
        `${issuer}.key`,
        "-CAcreateserial",
        "-days",
        "30",
        "-extfile",
        `${name}.ext`,
        "-extensions",
        "ext",
        "-out",
        `${name}.pem`,
      );
    else
      d.run(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-signkey",
        `${name}.key`,
        "-days",
        "60",
        "-extfile",
        `${name}.ext`,
        "-extensions",
        "ext",
        "-out",
        `${name}.pem`,
      );
    return d.read(`${name}.pem`);
  };
  const root1 = ca("root1", "/O=Istio/CN=Root CA");
  const root2 = ca("root2", "/O=Istio/CN=Root CA 2");
  const inter1 = ca("inter1", "/O=Istio/L=cluster-a/CN=Intermediate CA", "root1");
  const inter2 = ca("inter2", "/O=Istio/L=cluster-a/CN=Intermediate CA", "root2");
  return { root1, root2, inter1, inter2 };
}
