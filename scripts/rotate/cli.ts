import { setMaxListeners } from "events";
import * as path from "path";
import { AuditLog } from "./audit";
import { Conductor, Stop, renderPlan } from "./conductor";
import { Engine } from "./engine";
import { kubectlReader } from "./kube";
import { RotationKind } from "./model";

/**
 * `npm run rotate -- <command> …`: the rotation conductor (docs/rotation.md).
 *
 *   plan <intermediate|root>       every step in order; changes nothing
 *   start <intermediate|root>      intermediate: new intermediates everywhere; root: dual, then cutover
 *   complete root                  finalize, then steady
 *   status                         where each stack is, the gates, what to do next
 *   resume [--recover]             continue an interrupted rotation
 */

export const USAGE = `usage: npm run rotate -- <command> [options]
  plan <intermediate|root>     print every step (config change, URNs, gates); changes nothing
  start <intermediate|root>    intermediate: new intermediates; root: dual, then cutover
  complete root                finalize, then steady (waits for workloads' new leaves unless --force)
  status                       what each stack has applied, the gates, what to do next
  resume [--recover]           continue an interrupted rotation (--recover: release a killed run's lock)
options:
  --stack <name>               the stack that owns the root (root CA stack, or a single stack); its
                               cluster stacks are found from their config
  --stacks <a,b,c>             or the owner and every cluster stack, explicitly
  --cwd <dir>                  the Pulumi project directory (default: the current directory)
  --parallel <n>               cluster stacks updated at once (default 1)
  --gate-timeout <duration>    how long to wait for the gates after each step (default 10m)
  --poll <duration>            how often gates are read (default 2s)
  --workload-cert-ttl <dur>    the workload certificate TTL finalize waits for (default 24h)
  --force                      finalize before the workload gate holds (prints the risk)
  --audit-log <file>           JSON lines of every step (default rotation-audit.jsonl)
  --preview-dir <dir>          keep each step's pulumi preview --json there
  --json                       plan/status as JSON
durations: 90s, 10m, 24h, or milliseconds`;

export interface CliArgs {
  command: "plan" | "start" | "complete" | "status" | "resume";
  kind?: RotationKind;
  stack?: string;
  stacks?: string[];
  cwd: string;
  parallel: number;
  gateTimeoutMs: number;
  pollMs: number;
  workloadTtlMs: number;
  force: boolean;
  recover: boolean;
  auditLog: string;
  previewDir?: string;
  json: boolean;
}

/** `90s`, `10m`, `24h`, `1d` or plain milliseconds. */
export function parseDuration(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new Error(`${flag}: ${JSON.stringify(v)} is not a duration (e.g. 90s, 10m, 24h)`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 }[(m[2] ?? "ms") as "ms"];
  return Math.round(n * unit);
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const [command, ...rest] = argv;
  const commands = ["plan", "start", "complete", "status", "resume"];
  if (!command || !commands.includes(command))
    throw new Error(`unknown command ${JSON.stringify(command ?? "")}: one of ${commands.join(", ")}\n${USAGE}`);
  const args: CliArgs = {
    command: command as CliArgs["command"],
    cwd: process.cwd(),
    parallel: 1,
    gateTimeoutMs: 600000,
    pollMs: 2000,
    workloadTtlMs: 86400000,
    force: false,
    recover: false,
    auditLog: "rotation-audit.jsonl",
    json: false,
  };
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    switch (a) {
      case "--stack":
        args.stack = value();
        break;
      case "--stacks":
        args.stacks = value()
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case "--cwd":
        args.cwd = path.resolve(value());
        break;
      case "--parallel": {
        const v = value();
        args.parallel = Number(v);
        if (!Number.isInteger(args.parallel) || args.parallel < 1)
          throw new Error(`--parallel: ${JSON.stringify(v)} is not a whole number >= 1`);
        break;
      }
      case "--gate-timeout":
        args.gateTimeoutMs = parseDuration(a, value());
        break;
      case "--poll":
        args.pollMs = parseDuration(a, value());
        break;
      case "--workload-cert-ttl":
        args.workloadTtlMs = parseDuration(a, value());
        break;
      case "--force":
        args.force = true;
        break;
      case "--recover":
        args.recover = true;
        break;
      case "--audit-log":
        args.auditLog = path.resolve(value());
        break;
      case "--preview-dir":
        args.previewDir = path.resolve(value());
        break;
      case "--json":
        args.json = true;
        break;
      default:
        if (a.startsWith("--")) throw new Error(`unknown option ${a}\n${USAGE}`);
        positional.push(a);
    }
  }
  const kinds = ["intermediate", "root"];
  if (args.command === "plan" || args.command === "start" || args.command === "complete") {
    const kind = positional.shift();
    if (!kind || !kinds.includes(kind))
      throw new Error(
        `${args.command} needs what to rotate: intermediate or root (got ${JSON.stringify(kind ?? "")})\n${USAGE}`,
      );
    if (args.command === "complete" && kind !== "root")
      throw new Error(
        `complete: only a root rotation has a second half (\`complete root\`); an intermediate rotation is done by \`start intermediate\``,
      );
    args.kind = kind as RotationKind;
  }
  if (positional.length > 0) throw new Error(`unexpected argument(s) ${positional.join(" ")}\n${USAGE}`);
  if (args.force && args.command !== "complete" && args.command !== "resume")
    throw new Error("--force applies to `complete root` and `resume` (it skips the workload gate before finalize)");
  if (args.recover && args.command !== "resume") throw new Error("--recover applies to `resume` only");
  return args;
}

/** Exit codes: 0 done, 1 refused or failed, 2 usage, 3 a gate timed out, 130 interrupted. */
export async function main(
  argv: readonly string[],
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const abort = new AbortController();
  // Every engine call listens on the signal (one per preview or up): not a leak.
  setMaxListeners(0, abort.signal);
  const onSigint = () => {
    if (!abort.signal.aborted)
      out(
        "interrupt: letting the running pulumi operation finish what is in flight and save its state (Ctrl-C again to let pulumi stop harder)",
      );
    abort.abort();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  const audit = new AuditLog(args.auditLog, argv.join(" "));
  try {
    const engine = await Engine.open(args.cwd);
    const conductor = new Conductor({
      engine,
      selection: { stack: args.stack, stacks: args.stacks },
      parallel: args.parallel,
      gateTimeoutMs: args.gateTimeoutMs,
      pollMs: args.pollMs,
      workloadTtlMs: args.workloadTtlMs,
      force: args.force,
      recover: args.recover,
      signal: abort.signal,
      out,
      audit,
      previewDir: args.previewDir,
      kube: (t) => kubectlReader(t),
    });
    switch (args.command) {
      case "plan": {
        const steps = await conductor.plan(args.kind!);
        out(args.json ? JSON.stringify(steps, null, 2) : `${renderPlan(steps)}\nplan only: nothing was changed`);
        break;
      }
      case "start":
        await conductor.start("start", args.kind!);
        break;
      case "complete":
        await conductor.start("complete", args.kind!);
        break;
      case "resume":
        await conductor.resume();
        break;
      case "status": {
        const s = await conductor.status();
        if (args.json) out(JSON.stringify(s, null, 2));
        break;
      }
    }
    return 0;
  } catch (e) {
    const stop = e instanceof Stop ? e : new Stop((e as Error).message ?? String(e), "failed");
    if (args.command !== "plan" && args.command !== "status")
      audit.write({
        event: stop.code === "interrupted" ? "interrupted" : stop.code === "refused" ? "refused" : "failed",
        message: stop.message.slice(0, 4000),
      });
    process.stderr.write(`rotate ${args.command}: ${stop.message}\n`);
    if (args.command !== "status" && args.command !== "plan")
      process.stderr.write(
        `\`npm run rotate -- status${args.stack ? ` --stack ${args.stack}` : ""}${args.stacks ? ` --stacks ${args.stacks.join(",")}` : ""}\` shows where every stack is and what to do next\n`,
      );
    return stop.code === "gate-timeout" ? 3 : stop.code === "interrupted" ? 130 : 1;
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${e?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
