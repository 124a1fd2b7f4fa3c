/**
 * Layering rules of istio-mesh-ca: dependencies point one way,
 *   stacks/ → config/ → components/, and components/ stand alone as the library.
 * Checked by `npm run depcheck` (part of `npm test`).
 */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "an import cycle, including one through a lazy require()",
      from: { path: "^(components|config|stacks)/" },
      to: { circular: true },
    },
    {
      name: "components-stand-alone",
      severity: "error",
      comment: "components/ is the library: it never imports config/ or stacks/",
      from: { path: "^components/" },
      to: { path: "^(config|stacks)/" },
    },
    {
      name: "config-not-stacks",
      severity: "error",
      comment: "config adapters never import the compositions",
      from: { path: "^config/" },
      to: { path: "^stacks/" },
    },
    {
      name: "no-test-code-in-sources",
      severity: "error",
      comment: "scripts and sources never import test helpers",
      from: { path: "^(components|config|stacks|scripts|policy-pack)/" },
      to: { path: "^test/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|tools)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
