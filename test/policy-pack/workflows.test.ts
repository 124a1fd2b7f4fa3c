import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { policies } from "../../policy-pack/policies";

const ROOT = path.resolve(__dirname, "../..");
const workflow = (name: string) => parse(fs.readFileSync(path.join(ROOT, ".github/workflows", name), "utf8"));
const STACKS = ["dev", "staging", "prod", "certmanager"];
/** The Node major `.ci/run` installs (scripts/ci/use-node.sh's default NODE_VERSION). */
const testedNodeMajor = () =>
  Number(
    /NODE_VERSION="\$\{NODE_VERSION:-(\d+)\./.exec(
      fs.readFileSync(path.join(ROOT, "scripts/ci/use-node.sh"), "utf8"),
    )![1],
  );

describe("GitHub workflows", () => {
  const runner = workflow("pulumi.yml");
  const step = runner.jobs.pulumi.steps.find((s: { uses?: string }) => s.uses?.startsWith("pulumi/actions@"));

  it("runs pulumi/actions v6 with diff, PR comments and our policy pack", () => {
    expect(step.uses).toBe("pulumi/actions@v6");
    expect(step.with).toMatchObject({
      diff: true,
      policyPacks: "policy-pack",
      policyPackConfigs: "policy-pack/policy-config.json",
    });
    expect(step.with["comment-on-pr"]).toContain("preview");
    expect(fs.existsSync(path.join(ROOT, step.with.policyPacks, "PulumiPolicy.yaml"))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, step.with.policyPackConfigs))).toBe(true);
  });

  it("keeps secrets out of the repository: every credential is a secrets./vars. reference", () => {
    const env = { ...runner.jobs.pulumi.env, ...step.env };
    for (const key of ["PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "VAULT_TOKEN"])
      expect(env[key]).toBe(`\${{ secrets.${key} }}`);
    expect(env.PULUMI_BACKEND_URL).toMatch(/^\$\{\{ vars\./);
    expect(runner.permissions["id-token"]).toBe("write");
  });

  it("previews every stack on pull requests, after the tests, on the Node release .ci/run tests (scripts/ci/use-node.sh)", () => {
    const preview = workflow("preview.yml");
    expect(Object.keys(preview.on)).toEqual(["pull_request"]);
    expect(preview.jobs.preview.strategy.matrix.stack).toEqual(STACKS);
    expect(preview.jobs.preview.needs).toBe("test");
    expect(preview.jobs.preview.with).toMatchObject({ command: "preview" });
    const testSteps = preview.jobs.test.steps.map(
      (s: { run?: string; with?: Record<string, unknown> }) => s.run ?? s.with?.["node-version"],
    );
    expect(testSteps).toEqual(expect.arrayContaining([testedNodeMajor(), "npm ci", "npm test"]));
  });

  it("every workflow sets up the Node major .ci/run tests, which package.json engines allows", () => {
    const major = testedNodeMajor();
    const engines = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node as string;
    expect(engines).toBe(`>=${major}`);
    const versions = fs
      .readdirSync(path.join(ROOT, ".github/workflows"))
      .flatMap((f) =>
        [...fs.readFileSync(path.join(ROOT, ".github/workflows", f), "utf8").matchAll(/node-version:\s*(\S+)/g)].map(
          (m) => [f, m[1]],
        ),
      );
    expect(versions.length).toBeGreaterThanOrEqual(3);
    expect(versions.filter(([, v]) => v !== String(major))).toEqual([]);
  });

  it("deploys every stack on pushes to main, each in its own GitHub environment, prod last", () => {
    const deploy = workflow("deploy.yml");
    expect(deploy.on.push.branches).toEqual(["main"]);
    for (const stack of STACKS) {
      expect(deploy.jobs[stack].with).toEqual({ stack, command: "up", environment: stack });
      expect(deploy.jobs[stack].uses).toBe("./.github/workflows/pulumi.yml");
    }
    expect(deploy.jobs.prod.needs).toEqual(["staging", "certmanager"]);
  });
});

describe("policy-config.json", () => {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, "policy-pack/policy-config.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const byName = new Map(policies.map((p) => [p.name, p]));

  it("configures only policies that exist, with properties their schema declares", () => {
    for (const [name, value] of Object.entries(config)) {
      const policy = byName.get(name);
      expect(policy).toBeDefined();
      if (typeof value === "string") continue;
      const allowed = ["enforcementLevel", ...Object.keys(policy!.configSchema?.properties ?? {})];
      for (const key of Object.keys(value as object)) expect(allowed).toContain(key);
    }
  });

  it("pins the pack's dependency versions to the repository's", () => {
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, "policy-pack/package.json"), "utf8"));
    for (const [dep, version] of Object.entries(pack.dependencies)) {
      expect([dep, root.dependencies[dep] ?? root.devDependencies[dep]]).toEqual([dep, version]);
    }
  });
});
