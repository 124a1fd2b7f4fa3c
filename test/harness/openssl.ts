import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Real CA material made with the openssl CLI, for the unit tests and the e2e helpers: self-signed roots,
 * certificates a CA signs, workload leaves, a root and intermediate chain, `openssl verify` of PEMs.
 * Every signature is SHA-256 (openssl's default for RSA and EC keys, spelt out); keys are unencrypted
 * PKCS#8, EC P-256 unless a test asks for another type.
 */

/** Runs a command in `cwd`; returns its stdout, throws when it fails. */
export type Exec = (cmd: string, args: string[], opts: { cwd: string }) => string;

const execQuiet: Exec = (cmd, args, { cwd }) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** The key `req -newkey` makes along with the request or certificate. */
export type KeyType = "ec" | "ed25519" | { rsaBits: number };

const newKey = (key: KeyType): string[] =>
  key === "ec"
    ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    : key === "ed25519"
      ? ["-newkey", "ed25519"]
      : ["-newkey", `rsa:${key.rsaBits}`];

/** A certificate's file and its key's file in the directory; a name `n` stands for `n.pem` and `n.key`. */
export interface CertFiles {
  cert: string;
  key: string;
}

/** A certificate and its key as PEM text. */
export interface PemPair {
  cert: string;
  key: string;
}

function opensslVerify(cwd: string, args: string[]): { ok: boolean; out: string; stdout: string } {
  const r = spawnSync("openssl", ["verify", ...args], { cwd, encoding: "utf8" });
  if (r.error) throw r.error;
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

const filesOf = (f: string | CertFiles): CertFiles =>
  typeof f === "string" ? { cert: `${f}.pem`, key: `${f}.key` } : f;
/** The request and extension files next to a certificate: `vault.crt` → `vault.csr`, `vault.ext`. */
const beside = (f: CertFiles, ext: string) => `${f.cert.replace(/\.[^./]+$/, "")}.${ext}`;

/** Extensions of a workload certificate as istiod issues them, for `spiffe`. */
export const workloadLeafExt = (spiffe: string, criticalSan = false): string =>
  "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
  `extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${criticalSan ? "critical," : ""}URI:${spiffe}\n`;

export interface OpensslDirOptions {
  /** An existing directory to work in (which `cleanup` would remove). Default: a new one. */
  dir?: string;
  /** Where the new directory goes (default the OS temp directory) and how its name starts. */
  parent?: string;
  prefix?: string;
  /** How openssl runs (the e2e tier passes its own `mustRun`). */
  exec?: Exec;
}

/** A scratch directory with helpers to run openssl on PEM files. */
export class OpensslDir {
  readonly dir: string;
  private readonly exec: Exec;

  constructor(opts: OpensslDirOptions = {}) {
    this.dir = opts.dir ?? fs.mkdtempSync(path.join(opts.parent ?? os.tmpdir(), opts.prefix ?? "istio-mesh-ca-test-"));
    this.exec = opts.exec ?? execQuiet;
  }

  write(name: string, content: string, mode?: number): string {
    const p = path.join(this.dir, name);
    fs.writeFileSync(p, content, mode === undefined ? undefined : { mode });
    return p;
  }

  read(name: string): string {
    return fs.readFileSync(path.join(this.dir, name), "utf8");
  }

  /** The certificate and key files' contents. */
  pair(f: string | CertFiles): PemPair {
    const files = filesOf(f);
    return { cert: this.read(files.cert), key: this.read(files.key) };
  }

  /** Runs openssl; throws with stderr on failure. */
  run(...args: string[]): string {
    return this.exec("openssl", args, { cwd: this.dir });
  }

  /** `openssl verify`, returning status and combined output instead of throwing. */
  verify(...args: string[]): { ok: boolean; out: string } {
    const { ok, out } = opensslVerify(this.dir, args);
    return { ok, out };
  }

  /**
   * A self-signed certificate and a new key (`req -x509`). `addext` adds extensions to those of openssl's
   * default configuration (v3_ca); `ext` gives exactly the certificate's extensions, in a configuration of
   * its own (as Istio's Makefile does), nothing added.
   */
  selfSigned(
    f: string | CertFiles,
    o: { subj: string; days: number; key?: KeyType; addext?: string[]; ext?: string },
  ): PemPair {
    const files = filesOf(f);
    const config = o.ext
      ? [
          "-config",
          this.write(beside(files, "cnf"), `[req]\ndistinguished_name=dn\nx509_extensions=ext\n[dn]\n[ext]\n${o.ext}`),
        ]
      : [];
    this.run(
      "req",
      "-x509",
      ...newKey(o.key ?? "ec"),
      "-nodes",
      "-keyout",
      files.key,
      "-subj",
      o.subj,
      "-days",
      String(o.days),
      "-sha256",
      ...config,
      ...(o.addext ?? []).flatMap((e) => ["-addext", e]),
      "-out",
      files.cert,
    );
    return this.pair(files);
  }

  /** A new key and a certificate request for it (`req -new`, no extensions); returns the request's file. */
  csr(f: string | CertFiles, subj: string, key: KeyType = "ec"): string {
    const files = filesOf(f);
    const csr = beside(files, "csr");
    this.run("req", "-new", ...newKey(key), "-nodes", "-keyout", files.key, "-subj", subj, "-out", csr);
    return csr;
  }

  /**
   * Signs the request beside `f` (`x509 -req`) with exactly the extensions `ext`: by the CA `ca` (a random
   * serial unless `serial` is given), or by its own key when there is no `ca`.
   */
  sign(f: string | CertFiles, o: { ca?: string | CertFiles; days: number; ext: string; serial?: string }): PemPair {
    const files = filesOf(f);
    const extFile = this.write(beside(files, "ext"), `[ext]\n${o.ext}`);
    const ca = o.ca === undefined ? undefined : filesOf(o.ca);
    const signer = ca
      ? ["-CA", ca.cert, "-CAkey", ca.key, ...(o.serial ? ["-set_serial", o.serial] : ["-CAcreateserial"])]
      : ["-signkey", files.key];
    this.run(
      "x509",
      "-req",
      "-in",
      beside(files, "csr"),
      ...signer,
      "-days",
      String(o.days),
      "-sha256",
      "-extfile",
      extFile,
      "-extensions",
      "ext",
      "-out",
      files.cert,
    );
    return this.pair(files);
  }

  /** A new key, a request for `subj` and its certificate: `csr`, then `sign`. */
  issue(
    f: string | CertFiles,
    subj: string,
    o: { ca?: string | CertFiles; days: number; ext: string; key?: KeyType; serial?: string },
  ): PemPair {
    this.csr(f, subj, o.key);
    return this.sign(f, o);
  }

  /**
   * Issues a workload-style leaf (SPIFFE URI SAN, 1 day) signed by the given CA cert and key files; returns
   * its file, `name.pem`. Istio's own leaves have an empty subject and a critical SAN (`subj: "/"`,
   * `criticalSan`).
   */
  leaf(
    name: string,
    caCert: string,
    caKey: string,
    o: { spiffe?: string; subj?: string; criticalSan?: boolean } = {},
  ): string {
    this.issue(name, o.subj ?? "/O=cluster.local", {
      ca: { cert: caCert, key: caKey },
      days: 1,
      ext: workloadLeafExt(o.spiffe ?? "spiffe://cluster.local/ns/test/sa/httpbin", o.criticalSan),
    });
    return `${name}.pem`;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A root (`/O=Istio/CN=Root CA`, basicConstraints CA:true on openssl's defaults) and an intermediate it
 * signs (pathlen:0), EC P-256, in `root.pem`/`root.key` and `int.pem`/`int.key`. The caller cleans up.
 */
export function opensslChain(o: { rootDays?: number; interDays?: number; interSubj?: string; serial?: string } = {}): {
  ssl: OpensslDir;
  rootPem: string;
  interPem: string;
} {
  const ssl = new OpensslDir();
  const root = ssl.selfSigned("root", {
    subj: "/O=Istio/CN=Root CA",
    days: o.rootDays ?? 3650,
    addext: ["basicConstraints=critical,CA:true"],
  });
  const inter = ssl.issue("int", o.interSubj ?? "/O=Istio/L=cluster1/CN=Intermediate CA", {
    ca: "root",
    days: o.interDays ?? 730,
    ext: "basicConstraints=critical,CA:true,pathlen:0\n",
    serial: o.serial,
  });
  return { ssl, rootPem: root.cert, interPem: inter.cert };
}

/**
 * `openssl verify` of `cert` (written as `certFile`, which starts openssl's answer: "cert.pem: OK") against
 * trusted `roots`, with `untrusted` intermediates when given (written as `untrustedFile`, which may be
 * `certFile` when they are the same PEMs), in a scratch directory removed afterwards.
 */
export function verifyPems(
  pems: { roots: string; cert: string; untrusted?: string },
  o: { certFile?: string; untrustedFile?: string; parent?: string; prefix?: string } = {},
): { ok: boolean; out: string; stdout: string } {
  const ssl = new OpensslDir({ parent: o.parent, prefix: o.prefix ?? "verify-" });
  try {
    const certFile = o.certFile ?? "cert.pem";
    const untrustedFile = o.untrustedFile ?? "untrusted.pem";
    ssl.write("roots.pem", pems.roots);
    if (pems.untrusted !== undefined) ssl.write(untrustedFile, pems.untrusted);
    ssl.write(certFile, pems.cert);
    return opensslVerify(ssl.dir, [
      "-CAfile",
      "roots.pem",
      ...(pems.untrusted !== undefined ? ["-untrusted", untrustedFile] : []),
      certFile,
    ]);
  } finally {
    ssl.cleanup();
  }
}
