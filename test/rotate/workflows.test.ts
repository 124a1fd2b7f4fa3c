import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

/**
 * The GitHub workflows, checked by actionlint (github.com/rhysd/actionlint v1.7.12, built from the Go
 * module pinned in tools/actionlint/go.mod into tools/bin; with shellcheck on PATH it also checks every
 * `run:` script), and the CA summary step wired as the preview needs it. The summary step's script
 * itself runs, exactly as the workflow calls it, in the e2e tier (test/e2e/rotationConductor.test.ts).
 */

const ROOT = path.resolve(__dirname, "../..");
const BIN = path.join(ROOT, "tools/bin/actionlint");

/** tools/bin/actionlint, built under the shared build lock when missing or older than its go.sum. */
function actionlint(): string {
  const sum = path.join(ROOT, "tools/actionlint/go.sum");
  if (!fs.existsSync(BIN) || fs.statSync(BIN).mtimeMs < fs.statSync(sum).mtimeMs) {
    const go = ["/usr/local/go/bin/go", "go"].find((g) => spawnSync(g, ["version"]).status === 0);
    if (!go)
      throw new Error("Go is needed to build actionlint (tools/actionlint/go.mod): install Go (tools/README.md)");
    fs.mkdirSync(path.join(ROOT, "tools/.cache"), { recursive: true });
    execFileSync(
      "flock",
      [
        path.join(ROOT, "tools/.cache/build.lock"),
        go,
        "build",
        "-mod=readonly",
        "-trimpath",
        "-buildvcs=false",
        "-o",
        BIN,
        "github.com/rhysd/actionlint/cmd/actionlint",
      ],
      { cwd: path.join(ROOT, "tools/actionlint"), stdio: ["ignore", "pipe", "pipe"], timeout: 900000 },
    );
  }
  return BIN;
}

const lint = (args: string[], input?: string) =>
  spawnSync(actionlint(), ["-no-color", "-oneline", ...args], { cwd: ROOT, input, encoding: "utf8" });
// .ci/run installs shellcheck and sets ISTIO_MESH_CA_CI: there the test runs (and fails without it); elsewhere
// it is skipped when shellcheck is missing.
const hasShellcheck = process.env.ISTIO_MESH_CA_CI === "1" || spawnSync("shellcheck", ["--version"]).status === 0;

/** A step of a workflow job, as the workflow file spells it (the fields checked here). */
interface WorkflowStep {
  readonly name?: string;
  readonly uses?: string;
  readonly if?: string;
  readonly run?: string;
  readonly env?: Record<string, string>;
  readonly with?: Record<string, string>;
}

describe("workflows", () => {
  it("actionlint v1.7.12 finds nothing in .github/workflows", () => {
    expect(spawnSync(actionlint(), ["-version"], { encoding: "utf8" }).stdout.split("\n")[0]).toBe("v1.7.12");
    const files = fs
      .readdirSync(path.join(ROOT, ".github/workflows"))
      .filter((f) => f.endsWith(".yml"))
      .map((f) => `.github/workflows/${f}`);
    expect(files.length).toBeGreaterThanOrEqual(3);
    const r = lint(files);
    expect({ code: r.status, out: `${r.stdout}${r.stderr}`.trim() }).toEqual({ code: 0, out: "" });
  });

  it("actionlint does fail a broken workflow (an unknown expression context, a typo'd job key)", () => {
    const bad = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    step:\n      - run: echo ${{ secret.X }}\n";
    const r = lint(["-"], bad);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/unexpected key "step"/);
  });

  (hasShellcheck ? it : it.skip)("shellcheck finds nothing in the summary step's script", () => {
    const r = spawnSync("shellcheck", [path.join(ROOT, "scripts/rotate/ci-preview-summary.sh")], { encoding: "utf8" });
    expect({ code: r.status, out: r.stdout }).toEqual({ code: 0, out: "" });
  });

  it("previews end with the CA summary (also after a failed preview) and its PR comment, one per stack", () => {
    const runner = parse(fs.readFileSync(path.join(ROOT, ".github/workflows/pulumi.yml"), "utf8"));
    const steps: WorkflowStep[] = runner.jobs.pulumi.steps;
    const pulumi = steps.findIndex((s) => s.uses === "pulumi/actions@v6");
    const summary = steps.findIndex((s) => s.name === "CA-aware preview summary");
    const comment = steps.findIndex((s) => s.name === "Comment the CA summary on the pull request");
    expect(pulumi).toBeGreaterThan(-1);
    expect([summary > pulumi, comment > summary]).toEqual([true, true]);
    expect(steps[summary].if).toBe("${{ !cancelled() && inputs.command == 'preview' }}");
    expect(steps[summary].run).toBe("bash scripts/rotate/ci-preview-summary.sh");
    expect(steps[summary].env).toMatchObject({
      STACK: "${{ inputs.stack }}",
      SUMMARY_DIR: "${{ runner.temp }}/ca-summary",
    });
    // The preview runs the program: the same credentials as the pulumi step, from secrets/vars only.
    for (const [k, v] of Object.entries(steps[pulumi].env as Record<string, string>))
      expect([k, steps[summary].env?.[k]]).toEqual([k, v]);
    expect(steps[comment].uses).toBe("actions/github-script@v7");
    expect(steps[comment].with?.script).toContain("<!-- istio-mesh-ca ca-summary ${process.env.STACK} -->");
    expect(runner.permissions["pull-requests"]).toBe("write");
    const script = fs.readFileSync(path.join(ROOT, "scripts/rotate/ci-preview-summary.sh"), "utf8");
    expect(script).toMatch(/--policy-pack policy-pack --policy-pack-config policy-pack\/policy-config.json/);
  });
});
