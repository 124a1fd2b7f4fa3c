// Loaded by `npm run bench:engine` (bench/engine.ts) into every node process the engine starts, with
// NODE_OPTIONS="--require bench/probe.js"; it does something only in the Pulumi program's own process
// (@pulumi/pulumi/cmd/run) and only when BENCH_PROBE_DIR is set. Plain JavaScript, so that it runs
// before ts-node is registered. At exit it writes <BENCH_PROBE_DIR>/<pid>.json:
//   - when the process started, when this probe ran (node's own start-up), when the program's entry
//     module had loaded, when the process exited;
//   - module loading: exclusive time and module count per package (node_modules/<pkg>), the
//     program's own sources (ts-node transpiles them while they load), node built-ins;
//   - resource registrations (the ResourceMonitor RegisterResource RPC, from request to response),
//     per resource type: count, summed and longest duration; a remote component's registration is
//     its Construct in the provider (a Helm chart's render); a custom resource's, in `up`, includes its
//     create in the provider (e.g. key generation).
"use strict";
const dir = process.env.BENCH_PROBE_DIR;
const isProgram = process.argv.some((a) => /@pulumi[\\/]pulumi[\\/]cmd[\\/]run/.test(a));
if (dir && isProgram) {
  const fs = require("fs");
  const path = require("path");
  const Module = require("module");
  const { performance } = require("perf_hooks");
  const now = () => performance.timeOrigin + performance.now();
  const programDir = process.cwd();
  const report = {
    pid: process.pid,
    dryRun: process.argv.includes("--dry-run"),
    startedAt: performance.timeOrigin,
    probeAt: now(),
    programLoadedAt: undefined,
    exitAt: undefined,
    modules: {},
    registrations: {},
    firstRegistrationAt: undefined,
    lastResponseAt: undefined,
  };
  const keyOf = (filename) => {
    if (!filename || !path.isAbsolute(filename)) return "node built-ins";
    const i = filename.lastIndexOf(`${path.sep}node_modules${path.sep}`);
    if (i >= 0) {
      const parts = filename.slice(i + 14).split(path.sep);
      return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
    }
    return filename.startsWith(programDir) ? "program sources" : "other";
  };
  const seen = new Set();
  const stack = [];
  let programDepth = 0;
  const origLoad = Module._load;
  Module._load = function (request, parent, isMain) {
    let filename;
    try {
      filename = Module._resolveFilename(request, parent, isMain);
    } catch {
      /* let _load report it */
    }
    const key = keyOf(filename);
    const inProgram = key.startsWith("program");
    if (inProgram) programDepth++;
    const t0 = performance.now();
    stack.push(0);
    try {
      const exported = origLoad.apply(this, arguments);
      if (filename && /[\\/]@pulumi[\\/]pulumi[\\/]proto[\\/]resource_grpc_pb\.js$/.test(filename))
        wrapMonitor(exported);
      return exported;
    } finally {
      const total = performance.now() - t0;
      const children = stack.pop();
      if (stack.length > 0) stack[stack.length - 1] += total;
      const m = (report.modules[key] ??= { ms: 0, modules: 0 });
      m.ms += total - children;
      if (filename && !seen.has(filename)) {
        seen.add(filename);
        m.modules++;
      }
      // A program file preloaded with --require (scripts/program/register.js, the TypeScript loader) is
      // counted in its time but is not the program: loading ends when the entry module has loaded.
      const preloaded = parent && parent.id === "internal/preload";
      if (inProgram && --programDepth === 0 && !preloaded && report.programLoadedAt === undefined)
        report.programLoadedAt = now();
    }
  };
  const wrapped = new WeakSet();
  function wrapMonitor(exported) {
    const proto = exported && exported.ResourceMonitorClient && exported.ResourceMonitorClient.prototype;
    if (!proto || wrapped.has(proto)) return;
    wrapped.add(proto);
    const orig = proto.registerResource;
    proto.registerResource = function (req, ...args) {
      const cb = args[args.length - 1];
      if (typeof cb === "function" && req && typeof req.getType === "function") {
        const type = (req.getRemote && req.getRemote() ? "remote " : "") + req.getType();
        const t0 = now();
        report.firstRegistrationAt ??= t0;
        args[args.length - 1] = function (...cbArgs) {
          const t1 = now();
          report.lastResponseAt = t1;
          const r = (report.registrations[type] ??= { count: 0, sumMs: 0, maxMs: 0 });
          r.count++;
          r.sumMs += t1 - t0;
          r.maxMs = Math.max(r.maxMs, t1 - t0);
          return cb.apply(this, cbArgs);
        };
      }
      return orig.call(this, req, ...args);
    };
  }
  process.on("exit", () => {
    report.exitAt = now();
    try {
      fs.writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(report));
    } catch {
      /* never fail the program */
    }
  });
}
