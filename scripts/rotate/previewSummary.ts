import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { PreviewDigest } from "./previewModel";
import { References, SummaryInput, policyEventsOf, summarize } from "./summary";

/**
 * `npm run --silent preview-summary -- --preview <stack>=<preview.json> [--events <stack>=<event log>] … [--cwd dir]
 * [--no-references]`
 *
 * The CA-aware Markdown summary of `pulumi preview --json` results (one or many stacks), on stdout.
 * `--events` adds the policy violations from the same preview's `--event-log` (they are not in the
 * JSON). For a cluster stack whose `cacerts` changes, the trust bundle it receives is read from the
 * root stack it follows (its current outputs, through the Automation API; `--no-references` skips it).
 */

export interface SummaryArgs {
  previews: [string, string][];
  events: Record<string, string>;
  cwd: string;
  references: boolean;
}

export function parseArgs(argv: readonly string[]): SummaryArgs {
  const out: SummaryArgs = { previews: [], events: {}, cwd: process.cwd(), references: true };
  const pair = (flag: string, v: string | undefined): [string, string] => {
    const m = v ? /^([^=]+)=(.+)$/.exec(v) : null;
    if (!m) throw new Error(`${flag} needs <stack>=<file>, got ${JSON.stringify(v ?? "")}`);
    return [m[1], m[2]];
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case "--preview":
        out.previews.push(pair("--preview", argv[++i]));
        break;
      case "--events": {
        const [s, f] = pair("--events", argv[++i]);
        out.events[s] = f;
        break;
      }
      case "--cwd":
        out.cwd = path.resolve(argv[++i] ?? ".");
        break;
      case "--no-references":
        out.references = false;
        break;
      default:
        throw new Error(
          `unknown argument ${argv[i]}; usage: preview-summary --preview <stack>=<preview.json> [--events <stack>=<event log>] ... [--cwd dir] [--no-references]`,
        );
    }
  }
  if (out.previews.length === 0)
    throw new Error("give at least one --preview <stack>=<preview.json> (the output of `pulumi preview --json`)");
  return out;
}

/** A preview file: the JSON digest, or (a failed preview) whatever the CLI printed, reported as such. */
export function readDigest(file: string): PreviewDigest {
  const text = fs.readFileSync(file, "utf8");
  try {
    return JSON.parse(text) as PreviewDigest;
  } catch {
    return {
      diagnostics: [
        {
          severity: "error",
          message: `no preview JSON in ${file}: ${text.trim().slice(0, 500) || "(empty: the preview did not run)"}`,
        },
      ],
    };
  }
}

/** Fully qualified stacks the previews follow (a cluster stack's `ca.intermediateSource.stack`). */
export function followed(digests: readonly PreviewDigest[]): string[] {
  return [
    ...new Set(
      digests.flatMap((d) => {
        try {
          const ca = JSON.parse(d.config?.["istio-mesh-ca:ca"] ?? "{}");
          return ca?.intermediateSource?.kind === "rootStack" ? [String(ca.intermediateSource.stack)] : [];
        } catch {
          return [];
        }
      }),
    ),
  ];
}

async function references(cwd: string, names: readonly string[]): Promise<References> {
  if (names.length === 0) return {};
  const ws = await LocalWorkspace.create({ workDir: cwd });
  const refs: References = {};
  for (const fqn of names) {
    try {
      const outputs = await (await Stack.select(fqn, ws)).outputs();
      refs[fqn] = Object.fromEntries(
        Object.entries(outputs)
          .filter(([, v]) => !v.secret)
          .map(([k, v]) => [k, v.value]),
      );
    } catch (e) {
      process.stderr.write(
        `preview-summary: cannot read ${fqn} (${(e as Error).message.split("\n")[0]}); its trust bundle is left out\n`,
      );
    }
  }
  return refs;
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: SummaryArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const inputs: SummaryInput[] = args.previews.map(([stack, file]) => {
    const digest = readDigest(file);
    const events = args.events[stack];
    return {
      stack,
      digest:
        events && fs.existsSync(events)
          ? { ...digest, policyEvents: policyEventsOf(fs.readFileSync(events, "utf8")) }
          : digest,
    };
  });
  const refs = args.references ? await references(args.cwd, followed(inputs.map((i) => i.digest))) : {};
  process.stdout.write(summarize(inputs, refs));
  return 0;
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
