/**
 * jest moduleNameMapper targets (jest.config.js): TypeScript, npm's Arborist and normalize-package-data,
 * which `@pulumi/pulumi` loads on import for `serializeFunction` only, as stand-ins that load the real
 * module at first use — what scripts/program/register.js does for the stack program. Under jest every
 * test file has its own module registry, so each file that imports the SDK compiled TypeScript's 9 MB
 * again: ≈ 1.2 → 0.5 s of CPU per file. A test that uses them (errorMessages.test.ts uses TypeScript)
 * gets the real module.
 */
const fs = require("fs");
const path = require("path");
const standIn = require("../../../scripts/program/standIn");

const SDK = path.dirname(require.resolve("@pulumi/pulumi/package.json"));

/**
 * The file Node's require(request) finds from `dir`: the nearest node_modules/<request>, its package.json
 * "main". By hand because jest's require.resolve and createRequire map the request back to the stand-in.
 */
function nodeResolve(request, dir) {
  for (let d = dir; ; d = path.dirname(d)) {
    const pkg = path.join(d, "node_modules", request);
    if (fs.existsSync(path.join(pkg, "package.json"))) {
      const main = path.join(
        pkg,
        JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")).main ?? "index.js",
      );
      for (const f of [main, `${main}.js`, path.join(main, "index.js")])
        if (fs.statSync(f, { throwIfNoEntry: false })?.isFile()) return f;
    }
    if (d === path.dirname(d)) throw new Error(`${request} not found from ${dir}`);
  }
}

module.exports = function deferred(request, fromDir, { esModule }) {
  // Required by absolute path, through jest's require, in the test's context: the module the SDK's
  // require would load.
  const file = nodeResolve(request, fromDir === "sdk" ? SDK : path.join(SDK, fromDir));
  let real;
  const load = () => (real ??= require(file));
  return standIn(load, { esModule });
};
