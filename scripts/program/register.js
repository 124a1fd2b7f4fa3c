"use strict";
/**
 * How the engine loads the stack program's TypeScript (Pulumi.yaml: `typescript: false`,
 * `nodeargs: --require ./scripts/program/register.js`): each `.ts` file is transpiled with TypeScript's
 * own `transpileModule` (what ts-node does in transpile-only mode; the sources are isolatedModules-safe,
 * tsconfig.json) and the result kept in `node_modules/.cache/istio-mesh-ca/ts/`, keyed by the source,
 * its path, the compiler version and the tsconfig files. An unchanged program starts without loading
 * the compiler: ≈ 0.8 s less per preview than ts-node (4.6 vs 5.4 s, docs/e2e.md). Nothing is type-checked here;
 * `npm test` and CI type-check these sources.
 */
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "../..");
const CACHE = process.env.ISTIO_MESH_CA_TS_CACHE || path.join(ROOT, "node_modules/.cache/istio-mesh-ca/ts");

// Node's on-disk cache of compiled JavaScript (Node ≥ 22.8; older versions lack the call). Every run
// loads the same JavaScript of the SDKs; with V8's code cache a run spends ≈ 0.2 s less CPU
// loading it (docs/e2e.md "Timings"). Entries are checked against each file's content, so an upgraded
// package is recompiled. NODE_COMPILE_CACHE (a directory of your choice) and
// NODE_DISABLE_COMPILE_CACHE=1 are Node's own switches and win over this default.
const compileCache = require("module").enableCompileCache;
if (typeof compileCache === "function" && !process.env.NODE_COMPILE_CACHE)
  compileCache(path.join(ROOT, "node_modules/.cache/istio-mesh-ca/node-compile-cache"));
const TSCONFIG = path.join(ROOT, "tsconfig.pulumi.json");

const read = (file) => fs.readFileSync(file, "utf8");
// Everything the output depends on besides the source itself.
const salt = [
  read(require.resolve("typescript/package.json", { paths: [ROOT] })),
  read(path.join(ROOT, "tsconfig.json")),
  read(TSCONFIG),
].join("\0");

let compilerOptions; // loaded with the compiler, on the first cache miss
function transpile(source, filename) {
  const ts = require(require.resolve("typescript", { paths: [ROOT] }));
  if (!compilerOptions) {
    const parsed = ts.getParsedCommandLineOfConfigFile(
      TSCONFIG,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
        },
      },
    );
    compilerOptions = {
      ...parsed.options,
      noEmit: false,
      inlineSourceMap: true,
      inlineSources: true,
      sourceMap: false,
    };
  }
  return ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText;
}

// @pulumi/pulumi/cmd/run registers source-map-support, which maps the SDK's own frames through the
// SDK's source maps ("sources": ["../output.ts"]) to `node_modules/@pulumi/output.ts`, outside the
// package. Node's util.inspect with colors, which is how the SDK prints an uncaught error, never returns
// on a stack holding such a path (Node 20 and 22): a preview our CA lifecycle refused spent ≈ 60 s and
// 3.4 GB of heap there until the string overflowed and the SDK fell back to a plain inspect (docs/e2e.md
// "Timings"). Registered first, this handler gives those maps sources inside their package
// (`node_modules/@pulumi/pulumi/output.ts`), and maps our transpiled files through their inline maps.

/** The JavaScript each `.ts` file was compiled to, for its source map. */
const transpiled = new Map();
keepScopedSourcesInPackage();
skipSourceMapsForPromiseStacks();
deferClosureSerializerDependencies();

/**
 * The SDK keeps a stack trace with every promise it makes (`debuggablePromise` in runtime/debuggable.js),
 * printed only in its leak report with PULUMI_DEBUG_PROMISE_LEAKS set; formatting each one through the
 * source maps cost ≈ 0.3 s of CPU per preview or update (hundreds of promises, ≈ 20 frames each).
 * Without that variable those captures get V8's own format; with it, and for every other stack (errors,
 * the resource source positions the SDK reads from `Resource.callsites`), the source-mapped one.
 */
function skipSourceMapsForPromiseStacks() {
  const mapped = Error.prepareStackTrace;
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS || typeof mapped !== "function") return;
  const debuggable = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;
  Error.prepareStackTrace = function prepareStackTrace(error, frames) {
    const top = frames[0];
    if (top && top.getFunctionName() === "debuggablePromise" && debuggable.test(top.getFileName() ?? "")) {
      return `${error}${frames.map((f) => `\n    at ${f}`).join("")}`;
    }
    return mapped.call(this, error, frames);
  };
}

/**
 * `@pulumi/pulumi` loads TypeScript (9 MB of JavaScript) and npm's Arborist (with pacote, sigstore,
 * tar, …) as it is imported, for `pulumi.runtime.serializeFunction` (callbacks turned into code, e.g.
 * a Lambda from a closure), which this program never calls: ≈ 0.45 s of CPU and 0.4 s of wall time on
 * every preview and update (docs/e2e.md "Timings"). Each is entered in Node's module cache as a stand-in
 * that loads the real module at its first use, so a program that does serialize a function still gets
 * them, unchanged. `require.cache` is Node's documented, writable module cache.
 */
function deferClosureSerializerDependencies() {
  let sdk;
  try {
    sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [ROOT] }));
  } catch {
    return;
  }
  // Resolved from the SDK files that require them: the same files their require() finds.
  deferUntilUsed("typescript", sdk, { esModule: false });
  const closure = path.join(sdk, "runtime", "closure");
  // codePaths.js imports these through TypeScript's __importStar / __importDefault helpers: a module
  // that says __esModule is taken as it is, so the helpers do not enumerate (and load) it.
  deferUntilUsed("@npmcli/arborist", closure, { esModule: true });
  deferUntilUsed("normalize-package-data", closure, { esModule: true });
}

function deferUntilUsed(request, fromDir, { esModule }) {
  const Module = require("module");
  let file;
  try {
    file = require.resolve(request, { paths: [fromDir] });
  } catch {
    return; // not installed there: the SDK resolves it its own way
  }
  if (require.cache[file]) return;
  let real;
  const load = () => {
    if (real === undefined) {
      delete require.cache[file];
      real = require(file); // now cached as itself: later require() calls get the real module
    }
    return real;
  };
  const proxy = require("./standIn")(load, { esModule });
  const stand = new Module(file, module);
  stand.filename = file;
  stand.exports = proxy;
  stand.loaded = true;
  require.cache[file] = stand;
}

function keepScopedSourcesInPackage() {
  let sms;
  try {
    const run = path.dirname(require.resolve("@pulumi/pulumi/cmd/run", { paths: [ROOT] }));
    // The copy @pulumi/pulumi/cmd/run loads: one registry of handlers.
    sms = require(require.resolve("source-map-support", { paths: [run] }));
  } catch {
    return; // not installed: nothing maps these frames
  }
  const scoped = /^(.*[\\/]node_modules[\\/]@[^\\/]+[\\/])([^\\/]+[\\/])/;
  sms.install({
    environment: "node",
    handleUncaughtExceptions: false, // left to the SDK's own install, as before
    retrieveSourceMap(source) {
      const file = source.startsWith("file://") ? require("url").fileURLToPath(source) : source;
      // Our own transpiled sources: the inline map of the JavaScript we compiled (the file on disk is
      // the TypeScript, where source-map-support would find none).
      const ours = transpiled.get(file);
      if (ours !== undefined) {
        const inline = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(ours);
        return inline ? { url: file, map: Buffer.from(inline[1], "base64").toString("utf8") } : null;
      }
      const m = scoped.exec(file);
      if (!m) return null; // every other file: source-map-support's own lookup
      const scopeDir = m[1];
      const packageDir = m[1] + m[2];
      let map;
      try {
        const comment = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(read(file));
        if (!comment || comment[1].startsWith("data:")) return null;
        const mapFile = path.resolve(path.dirname(file), comment[1]);
        map = JSON.parse(read(mapFile));
        const base = path.resolve(path.dirname(mapFile), map.sourceRoot || "");
        map.sources = map.sources.map((src) => {
          const abs = path.resolve(base, src);
          return abs.startsWith(scopeDir) && !abs.startsWith(packageDir)
            ? packageDir + abs.slice(scopeDir.length)
            : abs;
        });
        map.sourceRoot = "";
      } catch {
        return null;
      }
      return { url: file, map };
    },
  });
}

// Pulumi's own switch for a type-checked run (PULUMI_NODEJS_TRANSPILE_ONLY=false) keeps its meaning:
// ts-node type-checks the program as it loads it (seconds slower; `npm test` runs the same check).
if (process.env.PULUMI_NODEJS_TRANSPILE_ONLY === "false") {
  require(require.resolve("ts-node", { paths: [ROOT] })).register({
    project: TSCONFIG,
    transpileOnly: false,
    compilerOptions: { noCheck: false },
  });
} else {
  require.extensions[".ts"] = loadTranspiled;
}

function loadTranspiled(module, filename) {
  const source = read(filename);
  const key = crypto
    .createHash("sha256")
    .update(salt)
    .update("\0")
    .update(filename)
    .update("\0")
    .update(source)
    .digest("hex");
  const cached = path.join(CACHE, key.slice(0, 2), `${key}.js`);
  let js;
  try {
    js = read(cached);
  } catch {
    js = transpile(source, filename);
    // Written whole and renamed into place: runs side by side (jest workers, stacks) never read half a file.
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, js);
    fs.renameSync(tmp, cached);
  }
  transpiled.set(filename, js);
  module._compile(js, filename);
}
