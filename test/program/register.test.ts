import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * scripts/program/register.js, the loader Pulumi.yaml gives the engine's node process: the program's
 * TypeScript transpiled with TypeScript's transpileModule and cached on disk, the compiler loaded only
 * on a cache miss; PULUMI_NODEJS_TRANSPILE_ONLY=false hands the program to a type-checking ts-node.
 */

const ROOT = path.resolve(__dirname, "../..");
const REGISTER = path.join(ROOT, "scripts/program/register.js");

let dir: string;
let cache: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "register-"));
  cache = path.join(dir, "cache");
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs node with the loader and requires `file`; prints the module's `out` and whether the compiler got loaded. */
function load(file: string, env: NodeJS.ProcessEnv = {}) {
  const script =
    `const m = require(${JSON.stringify(file)});` +
    // A stand-in the loader put in the cache (a Proxy) is not the compiler.
    `const ts = Object.entries(require.cache).some(([k, m]) => /node_modules[\\\\/]typescript[\\\\/]/.test(k) && !require("util").types.isProxy(m.exports));` +
    `console.log(JSON.stringify({ out: m.out, compilerLoaded: ts }));`;
  const r = spawnSync(process.execPath, ["--require", REGISTER, "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ISTIO_MESH_CA_TS_CACHE: cache, ...env },
  });
  return { code: r.status, stderr: r.stderr, result: r.status === 0 ? JSON.parse(r.stdout) : undefined };
}

const cached = () => fs.readdirSync(cache, { recursive: true }).filter((f) => String(f).endsWith(".js"));

it("transpiles a TypeScript module (types erased, enums kept) and caches the output", () => {
  const file = path.join(dir, "mod.ts");
  fs.writeFileSync(
    file,
    `enum Mode { A = "a", B = "b" }\nconst n: number = 2;\nexport const out = \`\${Mode.B}\${n}\`;\n`,
  );
  const first = load(file);
  expect(first).toMatchObject({ code: 0, result: { out: "b2", compilerLoaded: true } });
  expect(cached()).toHaveLength(1);
  // Unchanged source: read from the cache, the compiler never loaded.
  expect(load(file)).toMatchObject({ code: 0, result: { out: "b2", compilerLoaded: false } });
  // Changed source: transpiled again, never the stale output.
  fs.writeFileSync(file, `export const out: string = "changed";\n`);
  expect(load(file)).toMatchObject({ code: 0, result: { out: "changed", compilerLoaded: true } });
  expect(cached()).toHaveLength(2);
});

it("maps errors to the TypeScript source (inline source maps)", () => {
  const file = path.join(dir, "throws.ts");
  fs.writeFileSync(file, `type T = { a: number };\n\n\nconst t: T = { a: 1 };\nthrow new Error("boom " + t.a);\n`);
  const r = spawnSync(process.execPath, ["--require", REGISTER, "--enable-source-maps", file], {
    encoding: "utf8",
    env: { ...process.env, ISTIO_MESH_CA_TS_CACHE: cache },
  });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("boom 1");
  expect(r.stderr).toContain(`${file}:5:`);
});

it("does not type-check by default, and does with PULUMI_NODEJS_TRANSPILE_ONLY=false (ts-node)", () => {
  const file = path.join(dir, "typeError.ts");
  fs.writeFileSync(file, `const n: number = "not a number" as unknown as string;\nexport const out = n;\n`);
  expect(load(file)).toMatchObject({ code: 0, result: { out: "not a number" } });
  const checked = load(file, { PULUMI_NODEJS_TRANSPILE_ONLY: "false" });
  expect(checked.code).not.toBe(0);
  expect(checked.stderr).toMatch(/TS2322/);
});

it("keeps the SDK's mapped frames inside its package, where Node can print the SDK's uncaught errors in colour", () => {
  // What @pulumi/pulumi/cmd/run does with an error thrown in an apply: source-map-support registered,
  // then util.inspect(err, { colors: true }). Without the loader the frame reads
  // node_modules/@pulumi/output.ts and that inspect never returns (the timeout below ends it).
  const script = [
    `require("source-map-support/register");`,
    `const util = require("util");`,
    `process.on("unhandledRejection", (e) => {`,
    `  const frame = e.stack.split("\\n").find((l) => l.includes("applyHelperAsync"));`,
    `  const t0 = Date.now();`,
    `  util.inspect(e, { colors: true });`,
    `  console.log(JSON.stringify({ frame, ms: Date.now() - t0 }));`,
    `  process.exit(0);`,
    `});`,
    `require("@pulumi/pulumi").output(1).apply(() => { throw new Error("refused"); });`,
  ].join("\n");
  const run = (args: string[], timeout: number) =>
    spawnSync(process.execPath, [...args, "-e", script], { cwd: ROOT, encoding: "utf8", timeout });
  const r = run(["--require", REGISTER], 30000);
  expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  const { frame, ms } = JSON.parse(r.stdout);
  expect(frame).toMatch(/node_modules[\\/]@pulumi[\\/]pulumi[\\/]output\.ts:\d+:\d+/);
  expect(ms).toBeLessThan(5000);
  // The Node behaviour this works around, still there: without the loader the same inspect does not return.
  const without = run([], 8000);
  expect(without.signal).toBe("SIGTERM");
}, 60000);

describe("the SDK's function-serialization dependencies (TypeScript, npm's Arborist)", () => {
  /** Real (not stand-in) modules of those packages in the module cache. */
  const realLoaded =
    `const realLoaded = () => Object.entries(require.cache).filter(([k, m]) => ` +
    `/node_modules[\\\\/](typescript|@npmcli[\\\\/]arborist|normalize-package-data|pacote|sigstore)[\\\\/]/.test(k) && ` +
    `!require("util").types.isProxy(m.exports)).map(([k]) => k.replace(/.*node_modules[\\\\/]/, "").split(/[\\\\/]/)[0]);`;
  const node = (script: string) => {
    const r = spawnSync(process.execPath, ["--require", REGISTER, "-e", `${realLoaded}\n${script}`], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, ISTIO_MESH_CA_TS_CACHE: cache },
    });
    expect({ code: r.status, stderr: r.status === 0 ? "" : r.stderr }).toEqual({ code: 0, stderr: "" });
    return JSON.parse(r.stdout.trim().split("\n").pop()!);
  };

  it("are not loaded when the program imports @pulumi/pulumi (and without the loader they are: what it saves)", () => {
    expect(node(`require("@pulumi/pulumi"); console.log(JSON.stringify([...new Set(realLoaded())]));`)).toEqual([]);
    const without = spawnSync(
      process.execPath,
      [
        "-e",
        `${realLoaded}\nrequire("@pulumi/pulumi"); console.log(JSON.stringify([...new Set(realLoaded())].sort()));`,
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(JSON.parse(without.stdout)).toEqual(
      expect.arrayContaining(["@npmcli", "normalize-package-data", "typescript"]),
    );
  });

  it("load at first use: serializeFunction and computeCodePaths give what they give without the loader", () => {
    const script = [
      `const pulumi = require("@pulumi/pulumi");`,
      `(async () => {`,
      `  const f = await pulumi.runtime.serializeFunction((x) => x + 1);`,
      // computeCodePaths reads the package tree with Arborist and normalize-package-data.
      `  const paths = await pulumi.runtime.computeCodePaths({ extraIncludePackages: ["yaml"] });`,
      `  console.log(JSON.stringify({ text: f.text, paths: [...paths.keys()].sort(), loaded: [...new Set(realLoaded())].sort() }));`,
      `})().catch((e) => { console.error(e); process.exit(1); });`,
    ].join("\n");
    const out = node(script);
    expect(out.text).toContain("return (x) => x + 1;");
    expect(out.paths).toContain("node_modules/yaml");
    expect(out.loaded).toEqual(expect.arrayContaining(["@npmcli", "normalize-package-data", "typescript"]));
    const without = spawnSync(process.execPath, ["-e", `${realLoaded}\n${script}`], { cwd: ROOT, encoding: "utf8" });
    const plainRun = JSON.parse(without.stdout.trim().split("\n").pop()!);
    expect({ text: out.text, paths: out.paths }).toEqual({ text: plainRun.text, paths: plainRun.paths });
  });

  it("TypeScript through the stand-in is TypeScript: the loader's own transpile and a type-checked run use it", () => {
    const out = node(
      `const ts = require("typescript"); console.log(JSON.stringify({ version: ts.version, js: ts.transpileModule("const a: number = 1", {}).outputText.trim() }));`,
    );
    expect(out).toEqual({ version: require("typescript/package.json").version, js: "var a = 1;" });
  });
});

it("keeps Node's compiled-code cache in node_modules/.cache; Node's own switches win", () => {
  const dirOf = (env: NodeJS.ProcessEnv) => {
    const r = spawnSync(
      process.execPath,
      ["--require", REGISTER, "-e", `console.log(JSON.stringify(require("module").getCompileCacheDir() ?? null))`],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, NODE_COMPILE_CACHE: "", ...env } },
    );
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout);
  };
  const ours = path.join(ROOT, "node_modules/.cache/istio-mesh-ca/node-compile-cache");
  // Node keeps one subdirectory per Node version and V8 flags.
  const used = dirOf({});
  expect(path.dirname(used)).toBe(ours);
  expect(fs.readdirSync(used).length).toBeGreaterThan(0); // written by that run (and earlier ones)
  const own = path.join(dir, "ncc");
  expect(path.dirname(dirOf({ NODE_COMPILE_CACHE: own }))).toBe(own);
  expect(dirOf({ NODE_DISABLE_COMPILE_CACHE: "1" })).toBeNull();
});
