import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A scratch directory with helpers to run openssl on PEM files. */
export class OpensslDir {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-ca-test-"));

  write(name: string, content: string): string {
    const p = path.join(this.dir, name);
    fs.writeFileSync(p, content);
    return p;
  }

  read(name: string): string {
    return fs.readFileSync(path.join(this.dir, name), "utf8");
  }

  /** Runs openssl; throws with stderr on failure. */
  run(...args: string[]): string {
    return execFileSync("openssl", args, { cwd: this.dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }

  /** `openssl verify`, returning status and combined output instead of throwing. */
  verify(...args: string[]): { ok: boolean; out: string } {
    const r = spawnSync("openssl", ["verify", ...args], { cwd: this.dir, encoding: "utf8" });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
  }

  /** Issues a workload-style leaf (SPIFFE URI SAN, 1 day) signed by the given CA cert and key files. */
  leaf(name: string, caCert: string, caKey: string, spiffe = "spiffe://cluster.local/ns/test/sa/httpbin"): string {
    this.run(
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
      "/O=cluster.local",
      "-out",
      `${name}.csr`,
    );
    this.write(
      `${name}.ext`,
      `[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=URI:${spiffe}\n`,
    );
    this.run(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      caCert,
      "-CAkey",
      caKey,
      "-CAcreateserial",
      "-days",
      "1",
      "-sha256",
      "-extfile",
      `${name}.ext`,
      "-extensions",
      "ext",
      "-out",
      `${name}.pem`,
    );
    return `${name}.pem`;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
