import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT, scenarios } from "./scenarios";

/**
 * `npm run bench [-- --reps 3]`: evaluates the program under mocks for growing meshes, each run in a
 * fresh child process (bench/child.ts), and compares each scenario with a baseline program that
 * registers as many plain resources (Namespaces) as the scenario does, measured the same way. Reports
 * medians over the repetitions, and per-series marginal CPU time and heap per resource (CPU time, not
 * wall time: other processes on a shared machine distort wall time).
 */

interface Sample {
  name: string;
  custom: number;
  components: number;
  loadMs: number;
  ms: number;
  cpuMs: number;
  heapMb: number;
  maxRssMb: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function fixtureDir(): string {
  // One real certificate and key for every tls resource: parsing stays real, key generation is skipped.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "key.pem",
      "-out",
      "cert.pem",
      "-subj",
      "/O=Istio/CN=Root CA",
      "-days",
      "3650",
      "-addext",
      "basicConstraints=critical,CA:true",
    ],
    { cwd: dir, stdio: "ignore" },
  );
  return dir;
}

function runChild(name: string, fixtures: string, baselineCount?: number): Sample {
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", "-r", "ts-node/register/transpile-only", path.join(__dirname, "child.ts"), name, fixtures],
    {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, BENCH_BASELINE_COUNT: String(baselineCount ?? 1) },
    },
  );
  return JSON.parse(out.trim().split("\n").pop()!) as Sample;
}

function measure(name: string, fixtures: string, reps: number, baselineCount?: number): Sample {
  const samples = Array.from({ length: reps }, () => runChild(name, fixtures, baselineCount));
  const s0 = samples[0];
  return {
    ...s0,
    loadMs: median(samples.map((s) => s.loadMs)),
    ms: median(samples.map((s) => s.ms)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    heapMb: median(samples.map((s) => s.heapMb)),
    maxRssMb: median(samples.map((s) => s.maxRssMb)),
  };
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const table = (rows: string[][]) => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "))
    .join("\n");
};

/** Segments smaller than this are noise, not signal: they are printed but not judged. */
const MIN_CPU_MS = 100;
const MIN_HEAP_MB = 1;

/**
 * Growth between consecutive sizes: marginal CPU ms and retained heap per added resource. Super-linear
 * when the marginal cost of the last measurable segment is more than twice that of the first.
 */
export function slopes(points: { size: number; resources: number; ms: number; mb: number }[]): {
  lines: string[];
  superLinear: boolean;
} {
  const lines: string[] = [];
  const time: number[] = [];
  const heap: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const dr = b.resources - a.resources;
    const msPer = (b.ms - a.ms) / dr;
    const kbPer = ((b.mb - a.mb) * 1024) / dr;
    if (b.ms - a.ms >= MIN_CPU_MS) time.push(msPer);
    if (b.mb - a.mb >= MIN_HEAP_MB) heap.push(kbPer);
    const memory =
      b.mb - a.mb >= MIN_HEAP_MB
        ? `${fmt(kbPer, 1)} KB heap/resource (${fmt(1024 / kbPer, 1)} resources/MB)`
        : "heap growth below 1 MB (not judged)";
    lines.push(
      `  ${a.size} -> ${b.size}: +${dr} resources, ${fmt(msPer, 2)} CPU ms/resource (${fmt(1 / msPer, 2)} resources/ms), ${memory}`,
    );
  }
  const doubled = (xs: number[]) => xs.length > 1 && xs[xs.length - 1] > 2 * xs[0];
  return { lines, superLinear: doubled(time) || doubled(heap) };
}

function main(argv: string[]): void {
  const repsArg = argv.indexOf("--reps");
  const reps = repsArg >= 0 ? Number(argv[repsArg + 1]) : 3;
  const fixtures = fixtureDir();
  console.log(
    `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), ${fmt(os.totalmem() / 2 ** 30)} GiB RAM, ` +
      `node ${process.version}, load average ${os
        .loadavg()
        .map((l) => fmt(l, 2))
        .join(" ")}; median of ${reps} runs per scenario\n`,
  );
  const all = scenarios();
  const programs = all.filter((s) => s.program === "index");
  const results = new Map(programs.map((s) => [s.name, measure(s.name, fixtures, reps)]));
  // The baseline of each scenario: as many plain resources as it registered (custom + components).
  const baselines = new Map(
    programs.map((s) => {
      const r = results.get(s.name)!;
      return [s.name, measure("baseline", fixtures, reps, r.custom + r.components)];
    }),
  );
  fs.rmSync(fixtures, { recursive: true, force: true });

  const rows = [
    [
      "scenario",
      "resources",
      "(custom)",
      "eval ms",
      "CPU ms",
      "heap MB",
      "peak RSS MB",
      "baseline ms",
      "x baseline ms",
      "x baseline CPU",
      "x baseline RSS",
      "module load ms",
    ],
  ];
  for (const s of programs) {
    const r = results.get(s.name)!;
    const b = baselines.get(s.name)!;
    rows.push([
      s.name,
      String(r.custom + r.components),
      String(r.custom),
      fmt(r.ms),
      fmt(r.cpuMs),
      fmt(r.heapMb),
      fmt(r.maxRssMb),
      fmt(b.ms),
      fmt(r.ms / b.ms, 2),
      fmt(r.cpuMs / b.cpuMs, 2),
      fmt(r.maxRssMb / b.maxRssMb, 2),
      fmt(r.loadMs),
    ]);
  }
  console.log(table(rows));
  console.log(
    "\nbaseline: the same number of plain Namespaces registered by a bare program under the same mocks (bench/baselineProgram.ts)",
  );

  let flagged = false;
  for (const series of [...new Set(all.filter((s) => s.program === "index").map((s) => s.series))]) {
    const points = all
      .filter((s) => s.series === series)
      .map((s) => {
        const r = results.get(s.name)!;
        return { size: s.size, resources: r.custom + r.components, ms: r.cpuMs, mb: r.heapMb };
      });
    const { lines, superLinear } = slopes(points);
    console.log(
      `\n${series}:${superLinear ? "  ** SUPER-LINEAR: marginal time or heap per resource more than doubled **" : "  linear (marginal time and heap per resource did not double)"}`,
    );
    lines.forEach((l) => console.log(l));
    flagged ||= superLinear;
  }
  process.exitCode = flagged ? 1 : 0;
}

if (require.main === module) main(process.argv.slice(2));
