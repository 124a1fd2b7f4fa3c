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
  module._compile(js, filename);
}
