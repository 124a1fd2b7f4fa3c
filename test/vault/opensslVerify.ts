import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** `openssl verify -x509_strict` of a certificate against a root; returns stdout, throws when it does not verify. */
export function opensslVerify(rootPem: string, certPem: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"));
  fs.writeFileSync(path.join(dir, "root.pem"), rootPem);
  fs.writeFileSync(path.join(dir, "cert.pem"), certPem);
  return execFileSync("openssl", ["verify", "-x509_strict", "-CAfile", "root.pem", "cert.pem"], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}
