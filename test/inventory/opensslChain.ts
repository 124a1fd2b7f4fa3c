import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A root (3650 days) and an intermediate it signs (730 days), with known subjects, made by openssl. */
export function opensslChain(): {
  dir: string;
  rootPem: string;
  interPem: string;
  openssl: (...a: string[]) => string;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inv-"));
  const openssl = (...args: string[]) =>
    execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "root.key",
    "-subj",
    "/O=Istio/CN=Root CA",
    "-days",
    "3650",
    "-addext",
    "basicConstraints=critical,CA:true",
    "-out",
    "root.pem",
  );
  openssl(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "int.key",
    "-subj",
    "/O=Istio/L=cluster1/CN=Intermediate CA",
    "-out",
    "int.csr",
  );
  fs.writeFileSync(path.join(dir, "ext.cnf"), "basicConstraints=critical,CA:true,pathlen:0\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "int.csr",
    "-CA",
    "root.pem",
    "-CAkey",
    "root.key",
    "-set_serial",
    "0x1A2B3C4D5E6F",
    "-days",
    "730",
    "-extfile",
    "ext.cnf",
    "-out",
    "int.pem",
  );
  return {
    dir,
    rootPem: fs.readFileSync(path.join(dir, "root.pem"), "utf8"),
    interPem: fs.readFileSync(path.join(dir, "int.pem"), "utf8"),
    openssl,
  };
}
