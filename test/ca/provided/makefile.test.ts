import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkSuppliedMaterial } from "../../../components/ca/pem";
import { configProblems } from "../../harness/configProblems";
import { OpensslDir } from "../../harness/openssl";
import { ROOT, byName, runProgram } from "../../harness/program";
import { providedConfig } from "./fixtures";

/**
 * The real tools/certs/Makefile.selfsigned.mk of the pinned Istio module (scripts/e2e/istio-module.sh),
 * run with make + openssl, its output fed to the `provided` backend. Skipped when the module is not in
 * the Go module cache (the lookup runs with GOPROXY=off: this test never downloads).
 */
function makefileDir(): string | undefined {
  const r = spawnSync("bash", [path.join(ROOT, "scripts/e2e/istio-module.sh")], {
    encoding: "utf8",
    env: { ...process.env, GOPROXY: "off" },
  });
  const dir = r.status === 0 ? r.stdout.trim().split("\n").pop() : undefined;
  const mk = dir && path.join(dir, "tools/certs/Makefile.selfsigned.mk");
  const haveMake = spawnSync("make", ["--version"]).status === 0;
  return mk && fs.existsSync(mk) && haveMake ? path.dirname(mk) : undefined;
}

const certsDir = makefileDir();
const describeIfModule = certsDir ? describe : describe.skip;
if (!certsDir)
  console.warn(
    "Istio module (scripts/e2e/istio-module.sh) not in the Go module cache or no make: Makefile.selfsigned.mk test skipped",
  );

describeIfModule("Istio's Makefile.selfsigned.mk output as provided material", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "istio-makefile-"));
  const make = (...args: string[]) =>
    execFileSync("make", ["-f", path.join(certsDir!, "Makefile.selfsigned.mk"), ...args], {
      cwd: work,
      stdio: ["ignore", "pipe", "pipe"],
    });
  const read = (f: string) => fs.readFileSync(path.join(work, f), "utf8");
  beforeAll(() => {
    make("root-ca");
    make("INTERMEDIATE_DAYS=730", "cluster1-cacerts");
    make("cluster2-cacerts"); // the module's default INTERMEDIATE_DAYS
  }, 180_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it("`root-ca` + `cluster1-cacerts` pass every check; cert-chain.pem is the default chain; pathlen:0", () => {
    const m = {
      rootCertPem: read("root-cert.pem"),
      caCertPem: read("cluster1/ca-cert.pem"),
      caKeyPem: read("cluster1/ca-key.pem"),
    };
    const check = checkSuppliedMaterial(m);
    expect(check.problems).toEqual([]);
    expect(check.certChainPem).toBe(read("cluster1/cert-chain.pem"));
    expect(check.path!.map((p) => [p.position, p.pathLenConstraint])).toEqual([
      ["intermediate", 0],
      ["root", undefined],
    ]);
    expect(read("cluster1/root-cert.pem")).toBe(read("root-cert.pem"));
  });

  it("fills cacerts with the Makefile's four files, and a workload leaf from it verifies against root-cert.pem", async () => {
    const run = await runProgram(
      providedConfig(read("root-cert.pem"), {
        cluster1: {
          caCertPem: read("cluster1/ca-cert.pem"),
          caKeyPem: read("cluster1/ca-key.pem"),
          certChainPem: read("cluster1/cert-chain.pem"),
        },
      }),
      { secretKeys: ["ca"] },
    );
    expect(run.error).toBeUndefined();
    expect(run.resources.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
    const data = byName(run, "cluster1-istio-cacerts-secret").inputs.stringData;
    for (const f of ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"])
      expect(data[f]).toBe(read(`cluster1/${f}`));
    const d = new OpensslDir();
    try {
      d.write("ca-cert.pem", data["ca-cert.pem"]);
      d.write("ca-key.pem", data["ca-key.pem"]);
      d.write("root-cert.pem", data["root-cert.pem"]);
      d.write("cert-chain.pem", data["cert-chain.pem"]);
      const leaf = d.leaf("workload", "ca-cert.pem", "ca-key.pem");
      const v = d.verify("-CAfile", "root-cert.pem", "-untrusted", "cert-chain.pem", leaf);
      expect(v.out).toContain("OK");
      expect(v.ok).toBe(true);
    } finally {
      d.cleanup();
    }
  });

  it("with the module's default INTERMEDIATE_DAYS (= ROOTCA_DAYS) the intermediate may outlive its root by seconds: refused with the fix", () => {
    const root = new crypto.X509Certificate(read("root-cert.pem"));
    const inter = new crypto.X509Certificate(read("cluster2/ca-cert.pem"));
    const problems = configProblems(
      providedConfig(read("root-cert.pem"), {
        cluster2: { caCertPem: read("cluster2/ca-cert.pem"), caKeyPem: read("cluster2/ca-key.pem") },
      }),
    );
    if (Date.parse(inter.validTo) > Date.parse(root.validTo)) {
      expect(problems).toEqual([
        expect.stringMatching(
          /^istio-mesh-ca:ca.clusters.cluster2.caCertPem: "O=Istio, CN=Intermediate CA, L=cluster2" .* a CA certificate cannot outlive its issuer: issue it with a shorter lifetime \(Makefile.selfsigned.mk: INTERMEDIATE_DAYS below ROOTCA_DAYS\)/,
        ),
      ]);
    } else {
      expect(problems).toEqual([]); // made within the root's second: same notAfter
    }
  });
});
