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

it("maps errors to the TypeScript source (inline source maps; no --enable-source-maps, as Pulumi.yaml runs it)", () => {
  const file = path.join(dir, "throws.ts");
  fs.writeFileSync(file, `type T = { a: number };\n\n\nconst t: T = { a: 1 };\nthrow new Error("boom " + t.a);\n`);
  const r = spawnSync(process.execPath, ["--require", REGISTER, file], {
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
  expect(ms).toBeLessThan(1000); // ≈ 20 ms here
  // The Node behaviour this works around, still there: without the loader the same inspect does not
  // return (it spins; 3 s is 150 times what it takes with the loader).
  const without = run([], 3000);
  expect(without.signal).toBe("SIGTERM");
}, 60000);

/**
 * The top frame of three stacks the SDK captures: a promise's (`debuggablePromise`, kept for its leak
 * report), a resource's source position (`Resource.callsites`) and an error the SDK throws.
 */
const STACK_TOPS =
  `(() => { const top = (s) => s.split("\\n").find((l) => /^\\s+at /.test(l)).trim();` +
  ` const p = Promise.resolve(1); require("@pulumi/pulumi/runtime/debuggable").debuggablePromise(p, "t");` +
  ` return { promise: top(p._debugStackTrace), callsite: require("@pulumi/pulumi").Resource.callsites()[0].file,` +
  ` error: (() => { try { new (require("@pulumi/pulumi").Config)("p").require("k"); } catch (e) { return top(e.stack); } })() }; })()`;

describe("the SDK's function-serialization dependencies (TypeScript, npm's Arborist)", () => {
  /** Real (not stand-in) modules of those packages in the module cache. */
  const realLoaded =
    `const realLoaded = () => [...new Set(Object.entries(require.cache).filter(([k, m]) => ` +
    `/node_modules[\\\\/](typescript|@npmcli[\\\\/]arborist|normalize-package-data|pacote|sigstore)[\\\\/]/.test(k) && ` +
    `!require("util").types.isProxy(m.exports)).map(([k]) => k.replace(/.*node_modules[\\\\/]/, "").split(/[\\\\/]/)[0]))].sort();`;
  // One node process with the loader and one without answer every question below (each start of
  // the SDK costs a second or more of CPU): what is loaded after importing @pulumi/pulumi, what
  // serializeFunction and computeCodePaths (Arborist, normalize-package-data) give, what is loaded then.
  const script = [
    realLoaded,
    `const pulumi = require("@pulumi/pulumi");`,
    `const afterImport = realLoaded();`,
    `(async () => {`,
    `  const f = await pulumi.runtime.serializeFunction((x) => x + 1);`,
    `  const paths = await pulumi.runtime.computeCodePaths({ extraIncludePackages: ["yaml"] });`,
    `  const ts = require("typescript");`,
    `  console.log(JSON.stringify({ afterImport, text: f.text, paths: [...paths.keys()].sort(), loaded: realLoaded(),`,
    `    ts: { version: ts.version, js: ts.transpileModule("const a: number = 1", {}).outputText.trim() },`,
    `    stacks: ${STACK_TOPS} }));`,
    `})().catch((e) => { console.error(e); process.exit(1); });`,
  ].join("\n");
  let withLoader: any;
  let plain: any;
  const tsCache = fs.mkdtempSync(path.join(os.tmpdir(), "register-sdk-"));
  afterAll(() => fs.rmSync(tsCache, { recursive: true, force: true }));
  beforeAll(() => {
    const node = (args: string[]) => {
      const r = spawnSync(process.execPath, [...args, "-e", script], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, ISTIO_MESH_CA_TS_CACHE: tsCache },
      });
      expect({ code: r.status, stderr: r.status === 0 ? "" : r.stderr }).toEqual({ code: 0, stderr: "" });
      return JSON.parse(r.stdout.trim().split("\n").pop()!);
    };
    withLoader = node(["--require", REGISTER]);
    plain = node([]);
  }, 60000);

  it("are not loaded when the program imports @pulumi/pulumi (and without the loader they are: what it saves)", () => {
    expect(withLoader.afterImport).toEqual([]);
    expect(plain.afterImport).toEqual(expect.arrayContaining(["@npmcli", "normalize-package-data", "typescript"]));
  });

  it("load at first use: serializeFunction and computeCodePaths give what they give without the loader", () => {
    expect(withLoader.text).toContain("return (x) => x + 1;");
    expect(withLoader.paths).toContain("node_modules/yaml");
    expect(withLoader.loaded).toEqual(expect.arrayContaining(["@npmcli", "normalize-package-data", "typescript"]));
    expect({ text: withLoader.text, paths: withLoader.paths }).toEqual({ text: plain.text, paths: plain.paths });
  });

  it("TypeScript through the stand-in is TypeScript: the loader's own transpile and a type-checked run use it", () => {
    expect(withLoader.ts).toEqual({ version: require("typescript/package.json").version, js: "var a = 1;" });
  });

  it("formats the stacks the SDK keeps per promise without source maps, unless its leak debugging asks for them", () => {
    const sdk = (file: string) =>
      expect.stringMatching(new RegExp(`node_modules[\\\\/]@pulumi[\\\\/]pulumi[\\\\/]${file}`));
    // V8's own frames (the .js), only for debuggablePromise's capture; the rest is mapped as before.
    expect(withLoader.stacks).toEqual({
      promise: expect.stringMatching(/^at (Object\.)?debuggablePromise \(.*[\\/]runtime[\\/]debuggable\.js:\d+:\d+\)$/),
      callsite: sdk("resource\\.ts$"),
      error: sdk("config\\.ts:\\d+:\\d+\\)$"),
    });
    // What PULUMI_DEBUG_PROMISE_LEAKS prints: the mapped stack, as without the loader.
    const r = spawnSync(process.execPath, ["--require", REGISTER, "-e", `console.log(JSON.stringify(${STACK_TOPS}))`], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, ISTIO_MESH_CA_TS_CACHE: tsCache, PULUMI_DEBUG_PROMISE_LEAKS: "1" },
    });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).promise).toMatch(
      /^at (Object\.)?debuggablePromise \(.*[\\/]runtime[\\/]debuggable\.ts:\d+:\d+\)$/,
    );
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
