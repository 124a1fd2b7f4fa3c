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
  const ext = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";
  // Roots sign their own request (60 days); intermediates are signed by their root (30 days).
  const ca = (name: string, subj: string, issuer?: string) =>
    d.issue(name, subj, { ca: issuer, days: issuer ? 30 : 60, ext }).cert;
  const root1 = ca("root1", "/O=Istio/CN=Root CA");
  const root2 = ca("root2", "/O=Istio/CN=Root CA 2");
  const inter1 = ca("inter1", "/O=Istio/L=cluster-a/CN=Intermediate CA", "root1");
  const inter2 = ca("inter2", "/O=Istio/L=cluster-a/CN=Intermediate CA", "root2");
  return { root1, root2, inter1, inter2 };
}
