import { execFileSync } from "child_process";
import * as fs from "fs";
import { CaInventoryEntry, StackInventory, refreshDaysLeft } from "../components/inventory/caInventory";

/**
 * `npm run inventory -- --stack prod [--warn-days 30] [--check]`
 * `npm run inventory -- --file outputs.json` (or `--file -` for stdin): no Pulumi CLI needed.
 * Prints every CA certificate of the stack, soonest expiry first, with days left as of now.
 */

export interface InventoryArgs {
  stack?: string;
  file?: string;
  warnDays: number;
  /** Exit non-zero when an entry is within warnDays (for scheduled CI checks). */
  check: boolean;
}

export function parseArgs(argv: string[]): InventoryArgs {
  const args: InventoryArgs = { warnDays: 30, check: false };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    switch (argv[i]) {
      case "--stack":
        args.stack = value();
        break;
      case "--file":
        args.file = value();
        break;
      case "--warn-days": {
        args.warnDays = Number(value());
        if (!Number.isInteger(args.warnDays) || args.warnDays < 0)
          throw new Error("--warn-days must be a whole number of days");
        break;
      }
      case "--check":
        args.check = true;
        break;
      default:
        throw new Error(
          `unknown argument ${argv[i]}; usage: inventory (--stack <name> | --file <json|->) [--warn-days N] [--check]`,
        );
    }
  }
  if (!args.stack && !args.file)
    throw new Error("give --stack <name> (runs `pulumi stack output --json`) or --file <json|->");
  return args;
}

/** The stack outputs as JSON text: from a file, stdin, or the Pulumi CLI. */
function readOutputs(args: InventoryArgs): string {
  if (args.file) return fs.readFileSync(args.file === "-" ? 0 : args.file, "utf8");
  try {
    return execFileSync("pulumi", ["stack", "output", "--json", "--stack", args.stack!], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(
      missing
        ? "the pulumi CLI is not on PATH; export the outputs elsewhere and use --file"
        : `pulumi stack output failed: ${(e as Error).message}`,
    );
  }
}

/** Accepts `pulumi stack output --json` (with an `inventory` key) or the inventory object itself. */
export function inventoryOf(outputs: unknown): StackInventory {
  const inv = (outputs as { inventory?: unknown })?.inventory ?? outputs;
  if (!inv || typeof inv !== "object" || !Object.values(inv).every(Array.isArray)) {
    throw new Error(
      "no `inventory` output found: is the stack deployed with a version of this program that exports it?",
    );
  }
  return inv as StackInventory;
}

/** Soonest expiry first; entries within `warnDays` are flagged. */
export function formatTable(entries: CaInventoryEntry[], warnDays: number): string {
  const sorted = [...entries].sort((a, b) => a.daysLeft - b.daysLeft || a.cluster.localeCompare(b.cluster));
  const flag = (e: CaInventoryEntry) => (e.daysLeft < 0 ? "EXPIRED" : e.daysLeft < warnDays ? "WARN" : "");
  const header = [
    "",
    "CLUSTER",
    "ROLE",
    "DAYS LEFT",
    "NOT AFTER",
    "SUBJECT",
    "ISSUER",
    "BACKEND",
    "SERIAL",
    "SHA-256 FINGERPRINT",
  ];
  const rows = sorted.map((e) => [
    flag(e),
    e.cluster,
    e.role,
    String(e.daysLeft),
    e.notAfter.slice(0, 10),
    e.subject,
    e.issuer,
    e.backend,
    e.serial,
    e.fingerprintSha256,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  const flagged = sorted.filter((e) => e.daysLeft < warnDays).length;
  const summary = `${sorted.length} certificate(s); ${flagged} within ${warnDays} days of expiry`;
  return [line(header), ...rows.map(line), "", summary].join("\n");
}

/** Runs the command; returns the exit code. `now` and `out` are parameters for tests. */
export function main(
  argv: string[],
  now = new Date(),
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
): number {
  const args = parseArgs(argv);
  const entries = refreshDaysLeft(inventoryOf(JSON.parse(readOutputs(args))), now);
  out(formatTable(entries, args.warnDays));
  return args.check && entries.some((e) => e.daysLeft < args.warnDays) ? 3 : 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`inventory: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
