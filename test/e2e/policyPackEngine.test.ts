import * as fs from "fs";
import * as path from "path";
import { ROOT, e2eEnv, mustRun, plain, run } from "./support";

/**
 * Our policy pack (policy-pack/, with policy-pack/policy-config.json) loaded by the REAL engine:
 * `pulumi preview --policy-pack` on a throwaway program. The program registers only component
 * resources that stand in for what the mesh registers (same type token, same inputs): the real
 * Kubernetes resources need pulumi-resource-kubernetes, which can't be built here (docs/e2e.md).
 * Proves: the engine boots the pack through our language host with the repository's node_modules,
 * passes it the config file, sends it resource inputs, and a mandatory violation fails the preview.
 */

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
const cfg = new pulumi.Config();
class StandIn extends pulumi.ComponentResource {
  constructor(type: string, name: string, props: Record<string, unknown>) { super(type, name, props); this.registerOutputs({}); }
}
new StandIn("kubernetes:security.istio.io/v1:PeerAuthentication", "ns-payments", { apiVersion: "security.istio.io/v1",
  kind: "PeerAuthentication", metadata: { name: "default", namespace: "payments" }, spec: { mtls: { mode: cfg.get("mode") ?? "STRICT" } } });
const key = cfg.get("configMapKey");
if (key) new StandIn("kubernetes:core/v1:ConfigMap", "leaky", { apiVersion: "v1", kind: "ConfigMap",
  metadata: { name: "leaky", namespace: "payments" }, data: { "tls.key": key } });
`;

describe("policy pack loaded by the real engine (pulumi preview --policy-pack)", () => {
  let dir: string;
  const pulumi = (...args: string[]) => run("pulumi", [...args, "--cwd", dir, "--non-interactive"]);
  const preview = () => {
    const r = pulumi(
      "preview",
      "--policy-pack",
      path.join(ROOT, "policy-pack"),
      "--policy-pack-config",
      path.join(ROOT, "policy-pack/policy-config.json"),
    );
    return { code: r.code, out: plain(r.stdout + r.stderr) };
  };
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, "policy-pack/package.json"), "utf8")).version;

  beforeAll(() => {
    const env = e2eEnv();
    dir = fs.mkdtempSync(path.join(env.dir, "policy-program-"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(
      path.join(dir, "Pulumi.yaml"),
      "name: e2e-policy\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
    );
    fs.writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({ name: "e2e-policy", private: true, main: "index.ts" }),
    );
    fs.writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, target: "es2022", module: "commonjs", types: ["node"] } }),
    );
    fs.writeFileSync(path.join(dir, "index.ts"), PROGRAM);
    mustRun("pulumi", ["stack", "init", "dev", "--cwd", dir, "--non-interactive"]);
  });

  it("a STRICT namespace passes every policy", () => {
    const p = preview();
    expect(p.out).toContain(`✅ istio-mesh-ca-guardrails@v${version} (local: ${path.join(ROOT, "policy-pack")})`);
    expect(p.code).toBe(0);
  });

  it("a namespace-wide DISABLE fails the preview with the mandatory mtls-no-namespace-disable violation", () => {
    mustRun("pulumi", ["config", "set", "mode", "DISABLE", "--cwd", dir, "--non-interactive"]);
    const p = preview();
    expect(p.code).not.toBe(0);
    expect(p.out).toContain(`❌ istio-mesh-ca-guardrails@v${version}`);
    expect(p.out).toMatch(
      /\[mandatory\] \[severity: critical\]\s+mtls-no-namespace-disable\s+\(kubernetes:security\.istio\.io\/v1:PeerAuthentication: ns-payments\)/,
    );
    expect(p.out).toContain("PeerAuthentication in namespace payments disables mTLS for the whole namespace");
  });

  it("a PEM private key in a ConfigMap fails the preview (no-private-key-outside-secrets)", () => {
    mustRun("pulumi", ["config", "set", "mode", "STRICT", "--cwd", dir, "--non-interactive"]);
    const pem =
      "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIExample000000000000000000000000000000000\n-----END PRIVATE KEY-----\n";
    const set = run("pulumi", ["config", "set", "configMapKey", "--cwd", dir, "--non-interactive"], { input: pem });
    expect(set.code).toBe(0);
    const p = preview();
    expect(p.code).not.toBe(0);
    expect(p.out).toMatch(
      /\[mandatory\] \[severity: critical\]\s+no-private-key-outside-secrets\s+\(kubernetes:core\/v1:ConfigMap: leaky\)/,
    );
    expect(p.out).toContain("a PEM private key in data.tls.key");
  });
});
