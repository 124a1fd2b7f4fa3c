import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { E2eProject, E2eStack, EngineEvent, istioCharts, plaintextKeys, whenFinished, whenStarted } from "./project";
import { checkCacerts, secretFiles } from "./cacertsChecks";
import { ROOT, Ran, e2eEnv, kubectl, plain, run } from "./support";
import { exampleProgram, readmeProgram } from "../examples/readmeProgram";

/**
 * The package as another repository gets it: `npm run build`, `npm pack`, the tarball installed
 * OFFLINE (npm's cache, filled by `npm ci`) into a Pulumi project outside this repository, whose
 * program is the README's composition section verbatim and imports nothing but `istio-mesh-ca` (and
 * its subpaths) and @pulumi/*. That program is then type-checked against the package's `.d.ts`, and
 * run by the REAL engine (type-checking ts-node, as a user's `pulumi up` does) with the real
 * Kubernetes provider against the local control plane, the TLS provider TEST DOUBLE for @pulumi/tls,
 * Istio's charts from the pinned module: `pulumi up`, a clean second preview, `pulumi destroy`.
 *
 * Offline install: `npm ci` stores tarballs in the cache but not the registry's package documents,
 * so a plain `npm install --offline` cannot resolve a version range (ENOTCACHED). The consumer
 * project gets a lockfile instead, derived from this repository's: the same resolved versions the
 * package was built and tested with, plus the tarball itself (file: + its sha512).
 */

const PROJECT = "mesh-consumer";
const ENTRY_POINTS = [
  "istio-mesh-ca",
  "istio-mesh-ca/ca",
  "istio-mesh-ca/istio",
  "istio-mesh-ca/policy",
  "istio-mesh-ca/inventory",
  "istio-mesh-ca/config",
];

/**
 * The consumer's tsconfig: Pulumi's TypeScript template, no skipLibCheck (so our .d.ts are checked), plus
 * esModuleInterop (zod's declarations need it).
 */
const CONSUMER_TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: false,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
    esModuleInterop: true,
  },
  files: ["index.ts"],
};

const timings: [string, number][] = [];
function timed(
  label: string,
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs = 900000,
  env: NodeJS.ProcessEnv = {},
): Ran {
  const t0 = Date.now();
  const r = run(cmd, args, { cwd, timeoutMs, env });
  timings.push([label, (Date.now() - t0) / 1000]);
  return r;
}
function must(
  label: string,
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs?: number,
  env?: NodeJS.ProcessEnv,
): string {
  const r = timed(label, cmd, args, cwd, timeoutMs, env);
  if (r.code !== 0)
    throw new Error(
      `${label}: ${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.code}\n${plain(r.stdout).slice(-4000)}\n${plain(r.stderr).slice(-4000)}`,
    );
  return r.stdout;
}

/** A stack of the consumer project; runs like the user's `pulumi up`: type-checking ts-node. */
class ConsumerStack extends E2eStack {
  pulumi(args: string[], opts: Parameters<E2eStack["pulumi"]>[1] = {}): Ran {
    const t0 = Date.now();
    const r = super.pulumi(args, { ...opts, env: { PULUMI_NODEJS_TRANSPILE_ONLY: "false", ...(opts.env ?? {}) } });
    timings.push([`pulumi ${args.slice(0, 2).join(" ")}`, (Date.now() - t0) / 1000]);
    return r;
  }
}

/** package-lock.json for the consumer: this repository's resolved tree, plus the packed tarball. */
function consumerLock(
  pkg: { name: string; dependencies: Record<string, string>; devDependencies: Record<string, string> },
  tarball: string,
): object {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
  const ours = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const packages: Record<string, unknown> = {
    "": { name: pkg.name, dependencies: pkg.dependencies, devDependencies: pkg.devDependencies },
  };
  for (const [k, v] of Object.entries(lock.packages as Record<string, unknown>)) if (k !== "") packages[k] = v;
  packages["node_modules/istio-mesh-ca"] = {
    version: ours.version,
    resolved: pkg.dependencies["istio-mesh-ca"],
    integrity: `sha512-${crypto.createHash("sha512").update(fs.readFileSync(tarball)).digest("base64")}`,
    license: ours.license,
    dependencies: ours.dependencies,
    engines: ours.engines,
  };
  return { name: pkg.name, lockfileVersion: 3, requires: true, packages };
}

/** Loads every entry point under Pulumi mocks in a plain node process: what each exports, and what got registered. */
const LOAD_CHECK = `
const pulumi = require("@pulumi/pulumi");
const registered = [];
pulumi.runtime.setMocks({ newResource(a) { registered.push(a.type + "::" + a.name); return { id: a.name, state: a.inputs }; }, call() { return {}; } }, "p", "s", false);
const entries = {};
for (const e of ${JSON.stringify(ENTRY_POINTS)}) entries[e] = { file: require.resolve(e), names: Object.keys(require(e)).sort() };
let deepImport;
try { require("istio-mesh-ca/dist/components/ca/selfSigned"); deepImport = "loaded"; } catch (err) { deepImport = err.code; }
if (process.env.SELF_TEST) new (require("@pulumi/kubernetes").core.v1.Namespace)("self-test");
setTimeout(() => console.log(JSON.stringify({ registered, entries, deepImport })), 1000);
`;

describe("the package: npm pack, installed offline outside the repository, the README's program run by the real engine", () => {
  let work: string;
  let consumer: string;
  let tarball: string;
  let packed: { filename: string; files: { path: string }[] };
  let stack: ConsumerStack;
  let firstUp: EngineEvent[];

  beforeAll(() => {
    const env = e2eEnv({ apiserver: true });
    work = path.join(env.dir, "package");
    consumer = path.join(work, PROJECT);
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(path.join(work, "pack"), { recursive: true });
    fs.mkdirSync(consumer);

    const repoLock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: object };
    must("npm run build", "npm", ["run", "build"], ROOT);
    packed = JSON.parse(
      must("npm pack", "npm", ["pack", "--json", "--pack-destination", path.join(work, "pack")], ROOT),
    )[0];
    tarball = path.join(work, "pack", packed.filename);

    // Exactly the versions this repository's lock resolved: --offline finds only those in the npm cache
    // of a fresh machine (`npm ci` fetched their tarballs, no metadata to resolve any other version).
    const locked = (name: string): string => {
      const v = (repoLock.packages as Record<string, { version?: string }>)[`node_modules/${name}`]?.version;
      if (!v) throw new Error(`package-lock.json resolves no ${name}`);
      return v;
    };
    const pkg = {
      name: PROJECT,
      private: true,
      dependencies: {
        "@pulumi/kubernetes": locked("@pulumi/kubernetes"),
        "@pulumi/pulumi": locked("@pulumi/pulumi"),
        "istio-mesh-ca": `file:../pack/${packed.filename}`,
      },
      devDependencies: {
        "@types/node": locked("@types/node"),
        "ts-node": locked("ts-node"),
        typescript: locked("typescript"),
      },
    };
    fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify(pkg, null, 2));
    fs.writeFileSync(path.join(consumer, "package-lock.json"), JSON.stringify(consumerLock(pkg, tarball), null, 2));
    // --ignore-scripts: @pulumi/kubernetes would download its plugin (README); --offline: the npm cache only.
    must(
      "npm install --offline",
      "npm",
      ["install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"],
      consumer,
    );

    fs.writeFileSync(
      path.join(consumer, "Pulumi.yaml"),
      `name: ${PROJECT}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`,
    );
    fs.writeFileSync(path.join(consumer, "tsconfig.json"), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    fs.writeFileSync(path.join(consumer, "index.ts"), readmeProgram(ROOT));
  });

  afterAll(() => {
    if (timings.length > 0)
      console.log(
        `package.test timings (s):\n${timings.map(([l, s]) => `  ${l.padEnd(34)} ${s.toFixed(1)}`).join("\n")}`,
      );
    if (!stack) return;
    stack.pulumi(["destroy", "--yes", "--skip-preview"]);
    stack.remove();
  });

  it("the consumer project lives outside the repository and its program is the README's composition section, verbatim", () => {
    expect(path.relative(ROOT, consumer).startsWith("..")).toBe(true);
    const program = fs.readFileSync(path.join(consumer, "index.ts"), "utf8");
    expect(program).toBe(readmeProgram(ROOT));
    expect(program).toBe(exampleProgram(ROOT));
    const imports = [...program.matchAll(/from "([^"]+)"/g)].map((m) => m[1]);
    expect(imports.filter((i) => !i.startsWith("@pulumi/"))).toEqual(expect.arrayContaining(["istio-mesh-ca"]));
    for (const i of imports.filter((i) => !i.startsWith("@pulumi/"))) expect(ENTRY_POINTS).toContain(i);
  });

  it("the tarball holds the built library, README, CHANGELOG, LICENSE and package.json: no sources, tests, scripts or the stack program", () => {
    const files = packed.files.map((f) => f.path).sort();
    const other = files.filter((f) => !f.startsWith("dist/"));
    expect(other).toEqual(["CHANGELOG.md", "LICENSE", "README.md", "package.json"]);
    const dist = files.filter((f) => f.startsWith("dist/"));
    expect(dist.filter((f) => !/^dist\/(components|config|stacks)\/.+\.(js|js\.map|d\.ts)$/.test(f))).toEqual([]);
    expect(
      dist.filter((f) =>
        /(^|\/)(test|tests|__tests__|harness|examples|scripts|bench|policy-pack)\/|\.test\.|\.spec\./.test(f),
      ),
    ).toEqual([]);
    for (const entry of [
      "components/index",
      "components/ca/index",
      "components/istio/index",
      "components/policy/index",
      "components/inventory/index",
      "config/index",
    ]) {
      expect(dist).toEqual(expect.arrayContaining([`dist/${entry}.js`, `dist/${entry}.d.ts`]));
    }
    // Nothing in the built code refers to test tooling.
    const installed = path.join(consumer, "node_modules/istio-mesh-ca");
    const jsFiles = dist.filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"));
    const TEST_CODE =
      /require\("(jest|ts-jest|fast-check|@jest\/[^"]+)"\)|from "(jest|ts-jest|fast-check|@jest\/[^"]+)"|\bjest\.(mock|fn|spyOn)\(|\.(toEqual|toBe|toMatchObject)\(|["'](\.\.\/)+test\//;
    const testish = jsFiles.filter((f) => TEST_CODE.test(fs.readFileSync(path.join(installed, f), "utf8")));
    expect(testish).toEqual([]);
  });

  it("was installed from the tarball, with one copy of @pulumi/pulumi", () => {
    const installed = JSON.parse(
      fs.readFileSync(path.join(consumer, "node_modules/istio-mesh-ca/package.json"), "utf8"),
    );
    expect(installed.version).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
    const lock = JSON.parse(fs.readFileSync(path.join(consumer, "package-lock.json"), "utf8"));
    expect(lock.packages["node_modules/istio-mesh-ca"].resolved).toBe(`file:../pack/${packed.filename}`);
    expect(Object.keys(lock.packages).filter((k) => k.endsWith("node_modules/@pulumi/pulumi"))).toEqual([
      "node_modules/@pulumi/pulumi",
    ]);
  });

  it("tsc type-checks the program against the package's .d.ts (no skipLibCheck), with node and node16 module resolution", () => {
    const tsc = path.join(consumer, "node_modules/.bin/tsc");
    for (const extra of [[], ["--module", "node16", "--moduleResolution", "node16"]]) {
      const r = timed(
        `tsc ${extra.length ? "node16" : "node"}`,
        tsc,
        ["--noEmit", "-p", ".", ...extra],
        consumer,
        300000,
      );
      expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({ code: 0, out: "" });
    }
  });

  it("require() of every entry point loads dist/ and registers no resource; deep imports are refused", () => {
    fs.writeFileSync(path.join(consumer, "load-check.js"), LOAD_CHECK);
    const out = JSON.parse(must("load check", "node", ["load-check.js"], consumer));
    expect(out.registered).toEqual([]);
    expect(out.deepImport).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    for (const e of ENTRY_POINTS)
      expect(out.entries[e].file.startsWith(path.join(consumer, "node_modules/istio-mesh-ca/dist/"))).toBe(true);
    expect(out.entries["istio-mesh-ca"].names).toEqual(
      expect.arrayContaining([
        "SelfSignedCa",
        "ProvidedCa",
        "VaultCa",
        "CertManagerCa",
        "AzureKeyVaultCa",
        "CaLifecycle",
        "createCaLifecycle",
        "readPreviousLifecycleState",
        "IstioInstall",
        "CacertsSecret",
        "MESH_PROVIDER_OPTIONS",
        "MeshMtls",
        "SidecarIngressTls",
      ]),
    );
    expect(out.entries["istio-mesh-ca/config"].names).toEqual(
      expect.arrayContaining(["selfSignedConfigSchema", "stackConfigSchema", "parseStackConfig"]),
    );
    // The check can fail: a resource created on load is seen.
    const selfTest = JSON.parse(
      must("load check (self-test)", "node", ["load-check.js"], consumer, 60000, { SELF_TEST: "1" }),
    );
    expect(selfTest.registered).toEqual(["kubernetes:core/v1:Namespace::self-test"]);
  });

  it("pulumi up: the engine runs the program from the installed package against the local control plane", () => {
    const charts = istioCharts();
    stack = new ConsumerStack({ dir: consumer } as E2eProject, "dev");
    stack.must(["stack", "init"]);
    stack.must(["config", "set", "istioChartPath", charts]);
    stack.must(["config", "set", "skipAwait", "true"]);
    firstUp = stack.mustUp();
    const state = stack.exportState();
    const types = new Set(state.resources.map((r) => r.type));
    for (const t of [
      "istio-mesh-ca:ca:RootCa",
      "istio-mesh-ca:ca:SelfSignedCa",
      "istio-mesh-ca:istio:IstioInstall",
      "istio-mesh-ca:istio:CacertsSecret",
      "istio-mesh-ca:policy:MeshMtls",
      "kubernetes:helm.sh/v3:Release",
      "kubernetes:helm.sh/v4:Chart",
      "kubernetes:apps/v1:Deployment",
      "kubernetes:security.istio.io/v1:PeerAuthentication",
    ]) {
      expect([...types]).toContain(t);
    }
    expect(state.resources.every((r) => r.urn.startsWith(`urn:pulumi:dev::${PROJECT}::`))).toBe(true);
    expect(plaintextKeys(state.text)).toEqual([]);
    // The program passes its previous caLifecycle output back in (readPreviousLifecycleState): the
    // rotation-order check is on, so the lifecycle does not warn that it is off.
    expect(stack.outputs().caLifecycle).toMatchObject({ rootPhase: "steady" });
    expect(state.resources.map((r) => r.urn)).toContain(
      `urn:pulumi:dev::${PROJECT}::pulumi:pulumi:StackReference::corp-previous`,
    );
    const warnings = firstUp.flatMap((e) =>
      e.diagnosticEvent?.severity === "warning" ? [e.diagnosticEvent.message] : [],
    );
    expect(warnings.filter((w) => /no previous deployment state was given/.test(w))).toEqual([]);
  });

  it("on the server: cacerts chains to the root, written before istiod started; mesh-wide STRICT mTLS", () => {
    checkCacerts(secretFiles("istio-system", "cacerts"));
    const cacerts = whenFinished(firstUp, (u) => u.includes("kubernetes:core/v1:Secret::") && u.includes("cacerts"));
    const istiod = whenStarted(firstUp, (u) => u.includes("kubernetes:apps/v1:Deployment::") && u.endsWith("istiod"));
    expect(Number.isFinite(cacerts) && Number.isFinite(istiod)).toBe(true);
    expect(cacerts).toBeLessThan(istiod);
    const pa = JSON.parse(
      kubectl(["get", "peerauthentication.security.istio.io", "default", "-n", "istio-system", "-o", "json"]),
    );
    expect(pa.spec).toEqual({ mtls: { mode: "STRICT" } });
  });

  it("a second preview plans no change (pulumi preview --expect-no-changes)", () => {
    const r = stack.pulumi(["preview", "--expect-no-changes", "--diff"]);
    expect({ code: r.code, out: r.code === 0 ? "" : plain(r.stdout).slice(-4000) + plain(r.stderr) }).toEqual({
      code: 0,
      out: "",
    });
  });

  it("pulumi destroy removes everything it created", () => {
    stack.destroy();
    expect(stack.exportState().resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    const r = run("kubectl", ["get", "secret", "cacerts", "-n", "istio-system", "-o", "name"]);
    expect(r.code === 0 ? r.stdout.trim() : "gone").toBe("gone");
  });
});
