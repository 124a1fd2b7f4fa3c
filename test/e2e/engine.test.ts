import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { engineEnv, istioCharts } from "./project";
import { ROOT, e2eEnv, mustRun, plain, run } from "./support";
import { configProblems } from "../harness/configProblems";
import { OpensslDir } from "../harness/openssl";

/**
 * The REAL Pulumi engine (tools/bin/pulumi v3.259.0, built from Go modules) runs our program
 * (index.ts, through tools/bin/pulumi-language-nodejs and the npm-installed @pulumi/pulumi runtime)
 * on a throwaway stack of this project (local file backend, passphrase secrets, from the wrapper),
 * with the real Kubernetes provider and the TLS test double installed (scripts/e2e/install-plugins.sh).
 * This file is about config: what the engine hands the program, and that a bad config of ANY of our
 * stacks is refused before a single resource is registered. Deployments: localStack, multiCluster,
 * certManagerStack, providedStack, faults.
 */

interface Preview {
  code: number;
  /** Step types the engine planned (the stack itself is always first). */
  steps: { op: string; type: string; name: string }[];
  /** Error diagnostics and stderr, ANSI colours removed. */
  errors: string;
  /** The resource each error diagnostic is about (`type::name`). */
  errorsOn: string[];
  /** The whole `--json` document. */
  raw: unknown;
}

describe("the real Pulumi engine runs our program (pulumi preview, local backend)", () => {
  const STACK = `e2e-${randomBytes(4).toString("hex")}`;
  const stackFile = path.join(ROOT, `Pulumi.${STACK}.yaml`);
  let salt: string;

  /**
   * The first test also runs the program type-checked by ts-node (PULUMI_NODEJS_TRANSPILE_ONLY=false,
   * for a user who wants the check at deploy time too: scripts/program/register.js hands the program to
   * ts-node with type-checking on); the rest as Pulumi.yaml runs it, transpiled (register.js): `npm test`
   * type-checks the same sources, and each type-checked run costs seconds more.
   */
  let typeCheck = true;
  const pulumi = (args: string[], input?: string) =>
    run("pulumi", [...args, "--stack", STACK, "--cwd", ROOT, "--non-interactive"], {
      input,
      env: { ...engineEnv(), ...(typeCheck ? { PULUMI_NODEJS_TRANSPILE_ONLY: "false" } : {}) },
    });
  /** `pulumi config set` with the value on stdin (keeps PEMs out of argv; a value can't be mistaken for a flag). */
  const configSetStdin = (args: string[], value: string) => {
    const r = pulumi(["config", "set", ...args], value);
    if (r.code !== 0) throw new Error(`pulumi config set ${args.join(" ")} (value on stdin): ${r.stderr}`);
  };

  /** Replaces the stack's config with Pulumi.<base>.yaml's (keeping the stack's encryption salt). */
  const useConfig = (base: string) => {
    const config = (
      parse(fs.readFileSync(path.join(ROOT, `Pulumi.${base}.yaml`), "utf8")) as { config: Record<string, unknown> }
    ).config;
    fs.writeFileSync(stackFile, stringify({ encryptionsalt: salt, config }));
  };
  const configSet = (...args: string[]) => {
    const r = pulumi(["config", "set", ...args]);
    if (r.code !== 0) throw new Error(`pulumi config set ${args.join(" ")}: ${r.stderr}`);
  };
  /** Raw config as the program sees it (values JSON-decoded), from `pulumi config --json`. */
  const programConfig = (): Record<string, unknown> => {
    const r = pulumi(["config", "--json", "--show-secrets"]);
    const all = JSON.parse(r.stdout) as Record<string, { value: string }>;
    return Object.fromEntries(
      Object.entries(all)
        .filter(([k]) => k.startsWith("istio-mesh-ca:"))
        .map(([k, v]) => [
          k.slice("istio-mesh-ca:".length),
          (() => {
            try {
              return JSON.parse(v.value);
            } catch {
              return v.value;
            }
          })(),
        ]),
    );
  };
  const preview = (): Preview => {
    const r = pulumi(["preview", "--json"]);
    let json: any = {};
    try {
      json = JSON.parse(r.stdout);
    } catch {
      /* not JSON: the errors below say why */
    }
    return {
      code: r.code,
      steps: (json.steps ?? []).map((s: any) => ({
        op: s.op,
        type: s.newState?.type ?? s.oldState?.type,
        name: String(s.urn).split("::").pop(),
      })),
      raw: json,
      errors: plain(
        [
          ...(json.diagnostics ?? []).filter((d: any) => d.severity === "error").map((d: any) => d.message),
          r.stderr,
        ].join("\n"),
      ),
      errorsOn: (json.diagnostics ?? [])
        .filter((d: any) => d.severity === "error" && d.urn)
        .map((d: any) => String(d.urn).split("::").slice(-2).join("::")),
    };
  };
  const expectRejectedBeforeAnyResource = (p: Preview, ...problems: string[]) => {
    expect(p.code).not.toBe(0);
    expect(p.errors).toContain("ConfigError: invalid stack config:");
    for (const problem of problems) expect(p.errors).toContain(`  - ${problem}`);
    // Nothing but the stack itself was registered: the program threw before declaring any resource.
    expect(p.steps).toEqual([{ op: "create", type: "pulumi:pulumi:Stack", name: `istio-mesh-ca-${STACK}` }]);
    expect(p.errors).not.toContain("no resource plugin");
  };

  beforeAll(() => {
    e2eEnv();
    expect(mustRun("pulumi", ["version"]).trim()).toBe("v3.259.0");
    mustRun("pulumi", ["stack", "init", STACK, "--cwd", ROOT, "--non-interactive"]);
    salt = (parse(fs.readFileSync(stackFile, "utf8")) as { encryptionsalt: string }).encryptionsalt;
    expect(salt).toMatch(/^v1:/);
  });

  afterAll(() => {
    run("pulumi", ["stack", "rm", "--yes", "--force", "--stack", STACK, "--cwd", ROOT, "--non-interactive"]);
    fs.rmSync(stackFile, { force: true });
  });

  it("rejects an unknown CA backend, naming the key, and registers nothing", () => {
    useConfig("dev");
    configSet("--path", "ca.backend", "bogus");
    const p = preview();
    expectRejectedBeforeAnyResource(p, ...configProblems(programConfig()));
    expect(p.errors).toMatch(
      /istio-mesh-ca:ca\.backend: unknown backend "bogus"; allowed: selfSigned, azureKeyVault, vault, certManager\b/,
    );
    typeCheck = false;
  });

  it("rejects an intermediate that outlives the root (numbers set with --type int reach the program as numbers)", () => {
    useConfig("dev");
    configSet("--path", "--type", "int", "ca.intermediate.validityDays", "5000");
    const raw = programConfig();
    expect((raw.ca as any).intermediate.validityDays).toBe(5000);
    const problems = configProblems(raw);
    expect(problems.join("\n")).toMatch(/istio-mesh-ca:ca\.intermediate\.validityDays/);
    expectRejectedBeforeAnyResource(preview(), ...problems);
  });

  describe("a private key in config", () => {
    let pem: { cert: string; key: string };
    beforeAll(() => {
      const ssl = new OpensslDir({ prefix: "e2e-pem-" });
      pem = ssl.selfSigned({ cert: "c.pem", key: "k.pem" }, { subj: "/CN=httpbin.test.svc.cluster.local", days: 1 });
      ssl.cleanup();
      expect(pem.key).toMatch(/-----BEGIN PRIVATE KEY-----/);
    });
    const provided = (keySecret: boolean) => {
      useConfig("local");
      configSet("--path", "istio.chartPath", istioCharts());
      const at = "sidecarIngressTls[0].certificates";
      configSet("--path", `${at}.source`, "provided");
      // Values on stdin: how a PEM file is usually set (`pulumi config set --secret --path k < key.pem`).
      configSetStdin(["--path", `${at}.serverCertPem`], pem.cert);
      configSetStdin(["--path", `${at}.caCertPem`], pem.cert);
      configSetStdin(["--path", ...(keySecret ? ["--secret"] : []), `${at}.serverKeyPem`], pem.key);
    };

    it("set WITHOUT --secret: refused before any resource, naming the key and not printing it", () => {
      provided(false);
      const p = preview();
      expectRejectedBeforeAnyResource(
        p,
        "istio-mesh-ca:sidecarIngressTls[0].certificates.serverKeyPem: a private key in plain config; " +
          "set it with `pulumi config set --secret --path 'istio-mesh-ca:sidecarIngressTls[0].certificates.serverKeyPem'`",
      );
      expect(p.errors).not.toContain(pem.key.split("\n")[1]);
    });

    it("set WITH --secret: stored encrypted, seen as secret by the program through the real engine; the whole stack previews", () => {
      provided(true);
      const file = fs.readFileSync(stackFile, "utf8");
      expect(file).not.toContain("PRIVATE KEY");
      expect((parse(file) as any).config["istio-mesh-ca:sidecarIngressTls"][0].certificates.serverKeyPem).toEqual({
        secure: expect.stringMatching(/^v1:/),
      });
      const p = preview();
      expect({ code: p.code, errors: p.errors.trim() }).toEqual({ code: 0, errors: "" });
      // The provided server certificate and key reach the Secret the sidecar mounts, as a secret.
      const tlsSecret = p.steps.find(
        (x) => x.type === "kubernetes:core/v1:Secret" && x.name.includes("httpbin") && !x.name.includes("cacert"),
      );
      expect(tlsSecret?.op).toBe("create");
      expect(JSON.stringify(p.raw)).not.toContain(pem.key.split("\n")[1]);
    });
  });

  // Every stack file we ship, made invalid in one key: the engine shows the stack and nothing else.
  it.each([
    ["dev", "ca.backend"],
    ["local", "ca.backend"],
    ["certmanager", "ca.signers[0].name"],
    ["cluster-a", "ca.intermediateSource.stack"],
    ["cluster-b", "clusters[0].name"],
    ["staging", "ca.backend"],
    ["prod", "ca.backend"],
    ["root", "rootCa.clusters[0].name"],
  ])("a config error in Pulumi.%s.yaml (%s) registers nothing", (base, key) => {
    useConfig(base);
    configSet("--path", key, "Not_A-Valid Value");
    const problems = configProblems(programConfig());
    expect(problems.join("\n")).toContain(`istio-mesh-ca:${key.replace(/\[(\d+)\]/g, "[$1]")}`);
    expectRejectedBeforeAnyResource(preview(), ...problems);
  });

  it("`pulumi up` with an invalid config fails and leaves no resource in the stack's state", () => {
    useConfig("dev");
    configSet("--path", "ca.backend", "bogus");
    const up = pulumi(["up", "--yes", "--skip-preview"]);
    expect(up.code).not.toBe(0);
    expect(plain(up.stdout + up.stderr)).toContain('istio-mesh-ca:ca.backend: unknown backend "bogus"');
    const state = JSON.parse(pulumi(["stack", "export"]).stdout);
    const types = (state.deployment.resources ?? []).map((r: any) => r.type);
    expect(types.filter((t: string) => t !== "pulumi:pulumi:Stack")).toEqual([]);
  });
});
