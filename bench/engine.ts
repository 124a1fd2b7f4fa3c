import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { parse, stringify } from "yaml";

/**
 * `npm run bench:engine [-- --reps 3]` (= scripts/e2e/with-toolchain.sh npx ts-node --transpile-only bench/engine.ts):
 * wall time of the REAL engine (tools/bin/pulumi) and the REAL Kubernetes provider (plus the TLS
 * provider TEST DOUBLE) applying our `local` stack, against the same engine and provider applying a
 * bare program with as many plain ConfigMaps as the local stack has custom Kubernetes + tls resources.
 *
 * 1. `pulumi up` of a `local` stack once (warm-up), count the resources in its state, destroy it.
 * 2. Generate the bare program (own Pulumi.yaml, loaded like ours, explicit k8s.Provider, its own
 *    namespace, N ConfigMaps); one warm-up up/destroy of it too.
 * 3. R reps, interleaved phase by phase (which program goes first alternates per rep): `pulumi preview`
 *    on a fresh stack, `pulumi up --skip-preview`, `pulumi preview` again (expects no changes),
 *    `pulumi destroy --skip-preview`. Prints medians and the local/bare ratio per phase.
 *
 * 4. Where the time goes, phase by phase, from the same runs: bench/probe.js, loaded into the program's
 *    node process (NODE_OPTIONS), records node's start-up, module loading per package (which SDKs a
 *    stack loads), the program's own sources (incl. transpiling), evaluation until exit, and every resource
 *    registration by type (a Helm chart's is its render in the provider; a key's, in `up`, its
 *    generation); the rest of the wall time is the engine and its plugins outside the program.
 * 5. The TypeScript modes of the same no-change preview: as Pulumi.yaml ships it (scripts/program/register.js),
 *    ts-node transpile-only, ts-node type-checked, and precompiled JavaScript (`typescript: false`).
 *
 * Figures only: nothing is asserted about times. Between destroys and the next phase, the bench waits
 * (untimed) until the API server has finished terminating namespaces, so every rep starts from the
 * same cluster: one where Istio's CRDs exist (the warm-up installed them; the base chart keeps them,
 * helm.sh/resource-policy: keep; each rep's release adopts them), as on any cluster a mesh ran on.
 * `--fresh-crds` deletes them between reps instead: each rep then installs them anew, and its destroy
 * waits for the API server's garbage collector to start watching the new types before it can finish
 * the foreground deletion of our Istio objects (the Kubernetes provider's default propagation).
 *
 * Self-contained on purpose (no import from test/): the few lines of test/e2e/project.ts it needs
 * (copy the program, `stack init`, write the stack config) are repeated here.
 */

const ROOT = path.resolve(__dirname, "..");
/** What a user's checkout needs to run the program (as test/e2e/project.ts copies it). */
const PROGRAM_FILES = [
  "index.ts",
  "Pulumi.yaml",
  "tsconfig.json",
  "tsconfig.pulumi.json",
  "package.json",
  "components",
  "config",
  "stacks",
  "scripts/program",
];
const PHASES = ["preview (fresh stack)", "up (create all)", "preview (no changes)", "destroy"] as const;
type Phase = (typeof PHASES)[number];

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Ran {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    input: opts.input,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 1800000,
    env: { ...process.env, ...(opts.env ?? {}) },
  });
  const ms = performance.now() - t0;
  if (r.error) {
    const cwd = opts.cwd ?? ROOT;
    throw new Error(
      `${cmd} ${args.join(" ")}: ${r.error.message} (cwd ${cwd}${fs.existsSync(cwd) ? "" : " does not exist"})`,
    );
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms };
}

const plain = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, "");
const tail = (r: Ran, n = 6000): string => plain(`${r.stdout}\n${r.stderr}`).slice(-n);

function must(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Ran {
  const r = run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}\n${tail(r)}`);
  return r;
}

interface StateResource {
  urn: string;
  type: string;
  custom?: boolean;
}

/** One Pulumi project directory (a copy of ours, or the generated bare program) and its stacks. */
class Program {
  constructor(
    readonly label: string,
    readonly dir: string,
    readonly config: () => Record<string, unknown> | undefined,
  ) {}

  pulumi(stack: string, args: string[], env: NodeJS.ProcessEnv = {}): Ran {
    return run("pulumi", [...args, "--stack", stack, "--cwd", this.dir, "--non-interactive"], { cwd: this.dir, env });
  }

  /** A pulumi run with bench/probe.js in the program's process: the run and what the probe recorded. */
  probed(stack: string, args: string[], env: NodeJS.ProcessEnv = {}): { ran: Ran; probes: Probe[] } {
    const dir = fs.mkdtempSync(path.join(this.dir, ".probe-"));
    const ran = this.pulumi(stack, args, {
      ...env,
      BENCH_PROBE_DIR: dir,
      NODE_OPTIONS: `--require ${path.join(ROOT, "bench/probe.js")}`,
    });
    const probes = fs.readdirSync(dir).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Probe);
    fs.rmSync(dir, { recursive: true, force: true });
    return { ran, probes };
  }

  must(stack: string, args: string[]): Ran {
    const r = this.pulumi(stack, args);
    if (r.code !== 0)
      throw new Error(`[${this.label}] pulumi ${args.join(" ")} -s ${stack} exited ${r.code}\n${tail(r)}`);
    return r;
  }

  /** `pulumi stack init`, then the stack's config (the encryption salt the engine wrote is kept). */
  init(stack: string): void {
    const r = run("pulumi", ["stack", "init", stack, "--cwd", this.dir, "--non-interactive"], { cwd: this.dir });
    if (r.code !== 0) throw new Error(`[${this.label}] pulumi stack init ${stack} exited ${r.code}\n${tail(r)}`);
    const config = this.config();
    if (!config) return;
    const file = path.join(this.dir, `Pulumi.${stack}.yaml`);
    const salt = (parse(fs.readFileSync(file, "utf8")) as { encryptionsalt?: string }).encryptionsalt;
    fs.writeFileSync(file, stringify({ ...(salt ? { encryptionsalt: salt } : {}), config }));
  }

  resources(stack: string): StateResource[] {
    return (JSON.parse(this.must(stack, ["stack", "export"]).stdout).deployment.resources ?? []) as StateResource[];
  }

  remove(stack: string): void {
    this.pulumi(stack, ["stack", "rm", "--yes", "--force"]);
    fs.rmSync(path.join(this.dir, `Pulumi.${stack}.yaml`), { force: true });
  }
}

/** What bench/probe.js writes for one run of the program (times in ms since the epoch, durations in ms). */
export interface Probe {
  dryRun: boolean;
  startedAt: number;
  probeAt: number;
  programLoadedAt?: number;
  exitAt: number;
  modules: Record<string, { ms: number; modules: number }>;
  registrations: Record<string, { count: number; sumMs: number; maxMs: number }>;
}

/** One phase's figures, from the wall time and the probe of the program's run (if the phase runs it). */
export interface Breakdown {
  wall: number;
  nodeStart: number;
  moduleLoading: number;
  programSources: number;
  evaluation: number;
  outsideProgram: number;
  modules: Record<string, number>;
  charts: { count: number; maxMs: number; sumMs: number };
  keys: { count: number; maxMs: number };
}

export const CHART_TYPE = "remote kubernetes:helm.sh/v4:Chart";
export const KEY_TYPE = "tls:index/privateKey:PrivateKey";
const PROGRAM_SOURCES = "program sources";

/** Pure: the breakdown of one run (wall ms) from its probes (none for a destroy: the program does not run). */
export function breakdown(wall: number, probes: Probe[]): Breakdown {
  const b: Breakdown = {
    wall,
    nodeStart: 0,
    moduleLoading: 0,
    programSources: 0,
    evaluation: 0,
    outsideProgram: wall,
    modules: {},
    charts: { count: 0, maxMs: 0, sumMs: 0 },
    keys: { count: 0, maxMs: 0 },
  };
  for (const p of probes) {
    b.nodeStart += p.probeAt - p.startedAt;
    for (const [k, m] of Object.entries(p.modules)) {
      if (k === PROGRAM_SOURCES) b.programSources += m.ms;
      else {
        b.moduleLoading += m.ms;
        b.modules[k] = (b.modules[k] ?? 0) + m.ms;
      }
    }
    b.evaluation += p.exitAt - (p.programLoadedAt ?? p.exitAt);
    b.outsideProgram -= p.exitAt - p.startedAt;
    const chart = p.registrations[CHART_TYPE];
    if (chart) {
      b.charts.count += chart.count;
      b.charts.sumMs += chart.sumMs;
      b.charts.maxMs = Math.max(b.charts.maxMs, chart.maxMs);
    }
    const key = p.registrations[KEY_TYPE];
    if (key && !p.dryRun) {
      b.keys.count += key.count;
      b.keys.maxMs = Math.max(b.keys.maxMs, key.maxMs);
    }
  }
  return b;
}

interface Counts {
  custom: number;
  byPackage: Record<string, number>;
  components: number;
  providers: number;
  stack: number;
}

/** Custom resources (providers excluded), component resources (the Stack excluded), providers. */
function count(resources: StateResource[]): Counts {
  const c: Counts = { custom: 0, byPackage: {}, components: 0, providers: 0, stack: 0 };
  for (const r of resources) {
    if (r.type === "pulumi:pulumi:Stack") c.stack++;
    else if (r.type.startsWith("pulumi:providers:")) c.providers++;
    else if (r.custom) {
      c.custom++;
      const pkg = r.type.split(":")[0];
      c.byPackage[pkg] = (c.byPackage[pkg] ?? 0) + 1;
    } else c.components++;
  }
  return c;
}

const describeCounts = (c: Counts) =>
  `${c.custom} custom (${Object.entries(c.byPackage)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}), ${c.components} components, ` + `${c.providers} provider(s), ${c.stack} stack`;

function env(): { dir: string } {
  const missing = ["E2E_DIR", "PULUMI_BACKEND_URL", "PULUMI_HOME", "KUBECONFIG"].filter((k) => !process.env[k]);
  if (missing.length > 0)
    throw new Error(
      `${missing.join(", ")} not set: run it as \`npm run bench:engine\` (scripts/e2e/with-toolchain.sh)`,
    );
  if (!fs.existsSync(process.env.KUBECONFIG!))
    throw new Error(`KUBECONFIG ${process.env.KUBECONFIG} does not exist (E2E_NO_APISERVER=1?)`);
  return { dir: process.env.E2E_DIR! };
}

/** A copy of our program (node_modules linked) whose stacks take Pulumi.local.yaml with the charts linked here. */
function localProgram(base: string): Program {
  const dir = path.join(base, "local");
  fs.mkdirSync(dir, { recursive: true });
  for (const f of PROGRAM_FILES) fs.cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  const charts = path.join(base, "istio-charts");
  must("bash", [path.join(ROOT, "scripts/e2e/istio-module.sh"), "--charts", charts], { timeoutMs: 600000 });
  const config = (
    parse(fs.readFileSync(path.join(ROOT, "Pulumi.local.yaml"), "utf8")) as { config: Record<string, any> }
  ).config;
  config["istio-mesh-ca:istio"].chartPath = charts;
  return new Program("local", dir, () => config);
}

export const BARE_NAMESPACE = "bench-bare";

/**
 * The bare program's index.ts: an explicit provider (default kubeconfig, like the local stack's), one namespace, n
 * ConfigMaps.
 */
export function bareIndex(n: number): string {
  return `import * as k8s from "@pulumi/kubernetes";

// Generated by bench/engine.ts: ${n} plain ConfigMaps through an explicit provider, in their own namespace.
const provider = new k8s.Provider("bare-k8s", {});
const ns = new k8s.core.v1.Namespace("bare", { metadata: { name: "${BARE_NAMESPACE}" } }, { provider });
for (let i = 0; i < ${n}; i++) {
  new k8s.core.v1.ConfigMap(\`cm-\${i}\`, {
    metadata: { name: \`cm-\${i}\`, namespace: ns.metadata.name },
    data: { index: String(i) },
  }, { provider });
}
`;
}

/** Our program copied again, run another way: `main` and `runtime.options` replace Pulumi.yaml's. */
function variantProgram(
  base: string,
  local: Program,
  name: string,
  main: string,
  options: Record<string, unknown>,
  precompile = false,
): Program {
  const dir = path.join(base, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of PROGRAM_FILES) fs.cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  if (precompile)
    must(
      path.join(ROOT, "node_modules/.bin/tsc"),
      ["-p", "tsconfig.pulumi.json", "--noEmit", "false", "--outDir", "bin", "--noCheck"],
      { cwd: dir },
    );
  const project = parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as Record<string, any>;
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    stringify({ ...project, main, runtime: { name: "nodejs", options } }),
  );
  return new Program(`local (${name})`, dir, local.config);
}

/** Pulumi.yaml's runtime options for a program loaded the way ours ships (scripts/program/register.js). */
const SHIPPED_LOADER = {
  typescript: false,
  nodeargs: `--require ${path.join(ROOT, "scripts/program/register.js")}`,
};

function bareProgram(base: string, n: number): Program {
  const dir = path.join(base, "bare");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    stringify({ name: "bench-bare", main: "index.ts", runtime: { name: "nodejs", options: SHIPPED_LOADER } }),
  );
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "bench-bare", private: true, main: "index.ts" }, null, 2),
  );
  // Loaded the way ours is (scripts/program/register.js: our compiler settings, the same on-disk
  // transpile cache), so the loader does not separate the two programs.
  fs.writeFileSync(path.join(dir, "index.ts"), bareIndex(n));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return new Program("bare", dir, () => undefined);
}

/**
 * Untimed, after a destroy: waits until no namespace is Terminating (the namespace controller empties
 * them) and, with `--fresh-crds`, deletes the Istio CRDs the base chart keeps. Returns what it did.
 */
function settleCluster(): string {
  const t0 = performance.now();
  let terminating: string[] = [];
  while (performance.now() - t0 < 300000) {
    const nss = JSON.parse(must("kubectl", ["get", "namespaces", "-o", "json"]).stdout).items as {
      metadata: { name: string };
      status?: { phase?: string };
    }[];
    terminating = nss.filter((n) => n.status?.phase === "Terminating").map((n) => n.metadata.name);
    if (terminating.length === 0) break;
    spawnSync("sleep", ["1"]);
  }
  if (terminating.length > 0) throw new Error(`namespaces still Terminating after 300 s: ${terminating.join(" ")}`);
  const waited = (performance.now() - t0) / 1000;
  const crds = must("kubectl", ["get", "crd", "-o", "name"])
    .stdout.split("\n")
    .filter((c) => /\.istio\.io$/.test(c));
  if (!freshCrds) return `namespaces settled in ${fmt(waited)} s, ${crds.length} Istio CRDs kept`;
  if (crds.length > 0) must("kubectl", ["delete", "--wait=true", ...crds]);
  return `namespaces settled in ${fmt(waited)} s, ${crds.length} Istio CRDs deleted`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number, digits = 1) => n.toFixed(digits);
const load = () =>
  os
    .loadavg()
    .map((l) => fmt(l, 2))
    .join(" ");
const table = (rows: string[][]) => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "))
    .join("\n");
};

function versions(): string {
  const pulumi = must("pulumi", ["version"]).stdout.trim();
  const plugins = JSON.parse(must("pulumi", ["plugin", "ls", "--json"]).stdout) as {
    name: string;
    kind: string;
    version: string;
  }[];
  const list = plugins
    .filter((p) => p.kind === "resource")
    .map(
      (p) =>
        `${p.name} v${p.version.replace(/^v/, "")}${p.name === "tls" || p.name === "vault" ? " (TEST DOUBLE)" : ""}`,
    );
  const host = fs.existsSync(path.join(ROOT, "tools/bin/pulumi-language-nodejs"))
    ? "tools/bin/pulumi-language-nodejs"
    : "?";
  const k8s = run("kubectl", ["version", "-o", "json"]);
  const server = k8s.code === 0 ? (JSON.parse(k8s.stdout).serverVersion?.gitVersion ?? "?") : "?";
  return `pulumi ${pulumi} (language host ${host}), providers: ${list.join(", ")}, kube-apiserver ${server}, node ${process.version}`;
}

type Samples = Record<"local" | "bare", Record<Phase, number[]>>;
type Breakdowns = Record<"local" | "bare", Record<Phase, Breakdown[]>>;

const secs = (ms: number) => fmt(ms / 1000, 2);

/** The breakdown table: one column per program and phase, medians over the reps. */
function breakdownTable(b: Breakdowns): string {
  const cols = (["local", "bare"] as const).flatMap((label) =>
    PHASES.map((phase) => ({ label, phase, runs: b[label][phase] })),
  );
  const m = (f: (x: Breakdown) => number) => cols.map((c) => secs(median(c.runs.map(f))));
  const rows = [
    ["s, median", ...cols.map((c) => `${c.label}: ${c.phase}`)],
    ["wall", ...m((x) => x.wall)],
    ["node start-up", ...m((x) => x.nodeStart)],
    ["module loading (packages)", ...m((x) => x.moduleLoading)],
    ["program sources (load, incl. transpiling)", ...m((x) => x.programSources)],
    ["evaluation until exit (incl. waiting on the engine)", ...m((x) => x.evaluation)],
    ["engine + plugins outside the program", ...m((x) => x.outsideProgram)],
    ["Helm chart renders (count)", ...cols.map((c) => String(median(c.runs.map((x) => x.charts.count))))],
    ["  longest render", ...m((x) => x.charts.maxMs)],
    ["  renders summed", ...m((x) => x.charts.sumMs)],
    ["key generation (keys)", ...cols.map((c) => String(median(c.runs.map((x) => x.keys.count))))],
    ["  longest key", ...m((x) => x.keys.maxMs)],
  ];
  return table(rows);
}

/** Which packages the program's run loaded, and how long each took (exclusive), from one probe. */
function modulesReport(b: Breakdown[]): string {
  const keys = [...new Set(b.flatMap((x) => Object.keys(x.modules)))];
  const rows = keys.map((k) => [k, median(b.map((x) => x.modules[k] ?? 0))] as const).sort((a, c) => c[1] - a[1]);
  const unused = ["@pulumi/azure-native", "@pulumi/vault"].map(
    (k) => `${k}: ${keys.includes(k) ? `loaded, ${secs(median(b.map((x) => x.modules[k] ?? 0)))} s` : "not loaded"}`,
  );
  return `${table([["package", "s (median)"], ...rows.slice(0, 12).map(([k, ms]) => [k, secs(ms)])])}
backend SDKs the local stack (selfSigned) does not use: ${unused.join("; ")}`;
}

/** `--fresh-crds`: Istio's CRDs deleted between reps (see the header). */
let freshCrds = false;

function main(argv: string[]): void {
  freshCrds = argv.includes("--fresh-crds");
  const repsArg = argv.indexOf("--reps");
  const reps = repsArg >= 0 ? Number(argv[repsArg + 1]) : 3;
  if (!Number.isInteger(reps) || reps < 1)
    throw new Error(`--reps must be a positive integer, got ${argv[repsArg + 1]}`);
  const base = path.join(env().dir, "bench-engine");
  fs.mkdirSync(base, { recursive: true });
  const loadStart = load();
  const started = new Date();
  console.log(
    `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), ${fmt(os.totalmem() / 2 ** 30)} GiB RAM; load average at start ${loadStart}`,
  );
  console.log(versions());

  // 1. The local stack once: warm-up, and the resource count the bare program must match.
  const local = localProgram(base);
  local.init("count");
  const warmUp = local.must("count", ["up", "--yes", "--skip-preview"]);
  const localCounts = count(local.resources("count"));
  const warmDown = local.must("count", ["destroy", "--yes", "--skip-preview"]);
  local.remove("count");
  console.log(
    `\nlocal stack (warm-up up ${fmt(warmUp.ms / 1000)} s, destroy ${fmt(warmDown.ms / 1000)} s; ${settleCluster()}): ${describeCounts(localCounts)}`,
  );
  const n = (localCounts.byPackage.kubernetes ?? 0) + (localCounts.byPackage.tls ?? 0);

  // 2. The bare program with n ConfigMaps, warmed up the same way.
  const bare = bareProgram(base, n);
  bare.init("count");
  const bareUp = bare.must("count", ["up", "--yes", "--skip-preview"]);
  const bareCounts = count(bare.resources("count"));
  const bareDown = bare.must("count", ["destroy", "--yes", "--skip-preview"]);
  bare.remove("count");
  console.log(
    `bare program, N = ${n} ConfigMaps (warm-up up ${fmt(bareUp.ms / 1000)} s, destroy ${fmt(bareDown.ms / 1000)} s; ${settleCluster()}): ${describeCounts(bareCounts)}`,
  );

  // 3. Interleaved reps.
  const samples: Samples = {
    local: Object.fromEntries(PHASES.map((p) => [p, []])) as unknown as Record<Phase, number[]>,
    bare: Object.fromEntries(PHASES.map((p) => [p, []])) as unknown as Record<Phase, number[]>,
  };
  const breakdowns: Breakdowns = {
    local: Object.fromEntries(PHASES.map((p) => [p, []])) as unknown as Record<Phase, Breakdown[]>,
    bare: Object.fromEntries(PHASES.map((p) => [p, []])) as unknown as Record<Phase, Breakdown[]>,
  };
  const notes: string[] = [];
  let maxLoad = os.loadavg()[0];
  for (let rep = 1; rep <= reps; rep++) {
    const order: Program[] = rep % 2 === 1 ? [local, bare] : [bare, local];
    const stack = `bench-r${rep}`;
    for (const p of order) p.init(stack);
    const phase = (name: Phase, args: string[], mustSucceed = true) => {
      for (const p of order) {
        const { ran: r, probes } = p.probed(stack, args);
        if (r.code !== 0) {
          if (mustSucceed)
            throw new Error(`[${p.label}] rep ${rep} ${name}: pulumi ${args.join(" ")} exited ${r.code}\n${tail(r)}`);
          notes.push(`rep ${rep} ${p.label} ${name}: exit ${r.code} (changes planned?)\n${tail(r, 2000)}`);
        }
        samples[p.label as "local" | "bare"][name].push(r.ms / 1000);
        breakdowns[p.label as "local" | "bare"][name].push(breakdown(r.ms, probes));
        maxLoad = Math.max(maxLoad, os.loadavg()[0]);
      }
      // Only once both are destroyed: the Istio CRDs belong to the local stack until its own destroy.
      if (name === "destroy") notes.push(`rep ${rep} after both destroys: ${settleCluster()}`);
    };
    phase("preview (fresh stack)", ["preview"]);
    phase("up (create all)", ["up", "--yes", "--skip-preview"]);
    phase("preview (no changes)", ["preview", "--expect-no-changes"], false);
    phase("destroy", ["destroy", "--yes", "--skip-preview"]);
    for (const p of order) p.remove(stack);
    console.log(`rep ${rep}/${reps} done (${order.map((p) => p.label).join(" first, then ")}), load average ${load()}`);
  }

  // 4. Report.
  const perRep = (label: "local" | "bare", phases: readonly Phase[]) =>
    Array.from({ length: reps }, (_, i) => phases.reduce((s, p) => s + samples[label][p][i], 0));
  const rows = [["phase", "local s (median)", "local runs", "bare s (median)", "bare runs", "local/bare"]];
  const row = (name: string, l: number[], b: number[]) =>
    rows.push([
      name,
      fmt(median(l)),
      l.map((x) => fmt(x)).join(" "),
      fmt(median(b)),
      b.map((x) => fmt(x)).join(" "),
      fmt(median(l) / median(b), 2),
    ]);
  for (const p of PHASES) row(p, samples.local[p], samples.bare[p]);
  row("all four (per-rep sum)", perRep("local", PHASES), perRep("bare", PHASES));
  console.log(
    `\nwall time, median of ${reps} interleaved reps; local = Pulumi.local.yaml (${localCounts.custom} custom + ${localCounts.components} components), ` +
      `bare = ${n} ConfigMaps + 1 Namespace (${bareCounts.custom} custom + ${bareCounts.components} components); ` +
      `Istio's CRDs ${freshCrds ? "deleted between reps (--fresh-crds)" : "kept between reps"}\n`,
  );
  console.log(table(rows));
  console.log(
    `\nload average (1, 5, 15 min): start ${loadStart}, end ${load()}; highest 1-min value seen between phases ${fmt(maxLoad, 2)}`,
  );
  console.log(`started ${started.toISOString()}, took ${fmt((Date.now() - started.getTime()) / 60000)} min`);

  console.log(`\nwhere the time goes (bench/probe.js in the program's process; destroy does not run the program)\n`);
  console.log(breakdownTable(breakdowns));
  console.log(`\npackages loaded by the local program, exclusive load time, preview (no changes):\n`);
  console.log(modulesReport(breakdowns.local["preview (no changes)"]));

  // 5. TypeScript modes of the same no-change preview of a deployed local stack, interleaved.
  const js = variantProgram(base, local, "precompiled", "bin/index.js", { typescript: false }, true);
  const tsNode = variantProgram(base, local, "ts-node", "index.ts", {
    typescript: true,
    tsconfig: "tsconfig.pulumi.json",
  });
  const modes: { label: string; program: Program; env: NodeJS.ProcessEnv }[] = [
    { label: "as shipped: transpileModule + cache (register.js)", program: local, env: {} },
    { label: "ts-node, transpile-only (tsconfig.pulumi.json)", program: tsNode, env: {} },
    { label: "ts-node, type-checked", program: tsNode, env: { PULUMI_NODEJS_TRANSPILE_ONLY: "false" } },
    { label: "precompiled JavaScript (typescript: false)", program: js, env: {} },
  ];
  local.init("modes");
  for (const p of [js, tsNode])
    fs.copyFileSync(path.join(local.dir, "Pulumi.modes.yaml"), path.join(p.dir, "Pulumi.modes.yaml"));
  local.must("modes", ["up", "--yes", "--skip-preview"]);
  const modeRuns: Record<string, Breakdown[]> = Object.fromEntries(modes.map((m) => [m.label, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const m of rep % 2 === 0 ? modes : [...modes].reverse()) {
      const { ran, probes } = m.program.probed("modes", ["preview", "--expect-no-changes"], m.env);
      if (ran.code !== 0) throw new Error(`[${m.label}] preview exited ${ran.code}\n${tail(ran)}`);
      modeRuns[m.label].push(breakdown(ran.ms, probes));
    }
  }
  local.must("modes", ["destroy", "--yes", "--skip-preview"]);
  local.remove("modes");
  notes.push(`after the TypeScript modes: ${settleCluster()}`);
  console.log(`\nTypeScript modes, no-change preview of the deployed local stack, median of ${reps}:\n`);
  console.log(
    table([
      ["mode", "wall s", "program sources s", "module loading s", "runs"],
      ...modes.map((m) => {
        const r = modeRuns[m.label];
        return [
          m.label,
          secs(median(r.map((x) => x.wall))),
          secs(median(r.map((x) => x.programSources))),
          secs(median(r.map((x) => x.moduleLoading))),
          r.map((x) => secs(x.wall)).join(" "),
        ];
      }),
    ]),
  );
  if (notes.length > 0) console.log(`\nnotes:\n${notes.map((n) => `  ${n}`).join("\n")}`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
