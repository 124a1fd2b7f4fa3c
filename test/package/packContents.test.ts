import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../harness/program";

/**
 * What `npm publish` would ship, from `npm pack --dry-run --json` (offline, no build): the built
 * library (dist/: JavaScript, declarations, source maps), README, CHANGELOG, LICENSE and package.json;
 * never tests, tools, stack files (Pulumi.<stack>.yaml) or TypeScript sources. The tarball itself is
 * installed and deployed by the e2e tier (test/e2e/package.test.ts).
 */

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

function packedFiles(dir: string): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, npm_config_offline: "true" },
  });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path).sort();
}

const ALLOWED = /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/.+\.(js|js\.map|d\.ts))$/;

/** Every file an "exports" (or main/types) entry points at, without the leading `./`. */
function exportTargets(): string[] {
  const targets = new Set<string>([pkg.main, pkg.types]);
  for (const [k, v] of Object.entries(pkg.exports as Record<string, string | Record<string, string>>)) {
    if (k === "./package.json") continue;
    for (const t of typeof v === "string" ? [v] : Object.values(v)) targets.add(t);
  }
  return [...targets].map((t) => t.replace(/^\.\//, ""));
}

describe("the published package", () => {
  it("can be published: not private, a license file for its license", () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe("Apache-2.0");
    expect(fs.readFileSync(path.join(ROOT, "LICENSE"), "utf8")).toMatch(/Apache License\s+Version 2\.0/);
    // A publish builds first: dist/ is never stale or missing in the tarball.
    expect(pkg.scripts.prepublishOnly).toBe("npm run build");
  });

  it("ships exactly the built library and its documents, whatever else lies in the tree", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pack-"));
    try {
      for (const f of ["package.json", "README.md", "CHANGELOG.md", "LICENSE"])
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
      const write = (f: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), "x");
      };
      const built = [
        ...exportTargets(),
        "dist/components/ca/pem/index.js",
        "dist/components/ca/pem/index.js.map",
        "dist/components/ca/pem/index.d.ts",
      ];
      const decoys = [
        "index.ts",
        "components/index.ts",
        "test/package/a.test.ts",
        "tools/build.sh",
        "Pulumi.dev.yaml",
        "Pulumi.yaml",
        "examples/ownStack.ts",
        "dist/tsconfig.build.tsbuildinfo",
        "scripts/rotate/cli.ts",
        ".ci/run",
        "bench/run.ts",
        "policy-pack/index.ts",
      ];
      [...built, ...decoys].forEach(write);
      expect(packedFiles(dir)).toEqual(
        [...new Set([...built, "package.json", "README.md", "CHANGELOG.md", "LICENSE"])].sort(),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("from this tree: only allowed files, the documents always", () => {
    const files = packedFiles(ROOT);
    expect(files.filter((f) => !ALLOWED.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "CHANGELOG.md", "LICENSE"]));
  });
});
