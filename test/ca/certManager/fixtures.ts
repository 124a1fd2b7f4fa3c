import { OpensslDir } from "../../harness/openssl";
import { ProgramRun, Registered, RunOptions, runProgram } from "../../harness/program";

/** A real self-signed CA certificate and key (what cert-manager would put into a CA Secret). */
export function opensslCa(commonName: string): { certPem: string; keyPem: string } {
  const ssl = new OpensslDir();
  try {
    const ca = ssl.selfSigned("ca", {
      subj: `/CN=${commonName}`,
      days: 2,
      addext: ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"],
    });
    return { certPem: ca.cert, keyPem: ca.key };
  } finally {
    ssl.cleanup();
  }
}

/** The SDK's wire marker of a secret value. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** Whether a registration is a read of an existing Secret (`Secret.get`: no inputs of its own). */
export function isSecretRead(r: Registered): boolean {
  return r.type === "kubernetes:core/v1:Secret" && !r.inputs.metadata;
}

/**
 * Answers `Secret.get` reads with CA Secrets as cert-manager writes them (ca.crt, tls.crt, tls.key),
 * a fresh CA per read, in read order; `secretData` returns `data` as a secret. After the run, `pemFor(run,
 * resourceName)` tells which CA a read got.
 */
export function caSecretReads(opts: { secretData?: boolean } = {}): {
  extraState: NonNullable<RunOptions["extraState"]>;
  pemFor: (run: ProgramRun, name: string) => string;
  keys: string[];
} {
  const cas = [0, 1, 2, 3].map((i) => opensslCa(`test-ca-${i}`));
  let next = 0;
  return {
    keys: cas.map((c) => c.keyPem),
    extraState: (type, inputs) => {
      if (type !== "kubernetes:core/v1:Secret" || inputs.metadata) return undefined;
      const ca = cas[next++ % cas.length];
      const data = { "ca.crt": b64(ca.certPem), "tls.crt": b64(ca.certPem), "tls.key": b64(ca.keyPem) };
      // As a real provider returns it with additionalSecretOutputs (mocks don't apply that option).
      return {
        data: opts.secretData ? { [SECRET_SIG_KEY]: SECRET_SIG_VALUE, value: data } : data,
        type: "kubernetes.io/tls",
      };
    },
    pemFor: (run, name) => {
      const reads = run.resources.filter(isSecretRead);
      const i = reads.findIndex((r) => r.name === name);
      if (i < 0) throw new Error(`no Secret read named ${name}; reads: ${reads.map((r) => r.name).join(", ")}`);
      return cas[i % cas.length].certPem;
    },
  };
}

/**
 * The layout of Istio's "Custom CA Integration using Kubernetes CSR" task: signers istio-system, foo, bar; foo and bar
 * mapped to their own signer.
 */
export function kubernetesCsrTaskConfig(ca: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    clusters: [{ name: "cluster1" }],
    ca: {
      backend: "certManager",
      signers: [{ name: "istio-system" }, { name: "foo" }, { name: "bar" }],
      defaultSigner: "istio-system",
      namespaceSigners: { foo: "foo", bar: "bar" },
      ...ca,
    },
    namespaces: [{ name: "foo" }, { name: "bar" }],
  };
}

/**
 * runProgram for the second and later runs in one test file: the harness requires index.ts from
 * jest's main registry, which caches it, so a later run would register nothing without a reset.
 */
export function freshRun(config: Record<string, unknown>, opts?: RunOptions): Promise<ProgramRun> {
  jest.resetModules();
  return runProgram(config, opts);
}
