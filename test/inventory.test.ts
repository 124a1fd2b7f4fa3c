import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { caInventory } from "../components/inventory/caInventory";
import { main, parseArgs } from "../scripts/inventory";
import { opensslChain } from "./harness/openssl";

const ROOT = path.resolve(__dirname, "..");

describe("scripts/inventory.ts", () => {
  const chain = opensslChain();
  const exportedAt = new Date();
  // What `pulumi stack output --json` prints for a stack with two clusters.
  const outputs = {
    clusters: { east: {}, west: {} },
    inventory: {
      east: caInventory(
        "east",
        { rootCertBundle: chain.rootPem, intermediateCert: chain.interPem },
        "selfSigned",
        exportedAt,
      ),
      west: caInventory("west", { rootCertBundle: chain.rootPem }, "certManager", exportedAt),
    },
  };
  const file = chain.ssl.write("outputs.json", JSON.stringify(outputs));
  afterAll(() => chain.ssl.cleanup());

  it("prints a table sorted by days left, recomputed as of now, flagging entries within --warn-days", () => {
    const lines: string[] = [];
    // 720 days later: the intermediate has ~10 days left, the roots ~2930.
    const now = new Date(exportedAt.getTime() + 720 * 86_400_000);
    const code = main(["--file", file, "--warn-days", "30"], now, (s) => lines.push(s));
    expect(code).toBe(0);
    const table = lines.join("\n").split("\n");
    expect(table[0]).toMatch(/^\s+CLUSTER\s+ROLE\s+DAYS LEFT\s+NOT AFTER\s+SUBJECT/);
    expect(table[1]).toMatch(/^WARN\s+east\s+intermediate\s+(9|10)\s/);
    expect(table[1]).toContain(outputs.inventory.east[1].fingerprintSha256);
    expect(table.slice(2, 4).every((l) => /^\s+(east|west)\s+root\s+29[23]\d\s/.test(l))).toBe(true);
    expect(table[table.length - 1]).toBe("3 certificate(s); 1 within 30 days of expiry");
  });

  it("with --check exits non-zero when something is within --warn-days, and marks expired entries", () => {
    const lines: string[] = [];
    const now = new Date(exportedAt.getTime() + 731 * 86_400_000);
    expect(main(["--file", file, "--check"], now, (s) => lines.push(s))).toBe(3);
    expect(lines.join("\n")).toMatch(/^EXPIRED\s+east\s+intermediate\s+-\d/m);
    expect(main(["--file", file, "--check"], exportedAt, () => undefined)).toBe(0);
  });

  it("rejects bad arguments and outputs without an inventory", () => {
    expect(() => parseArgs([])).toThrow(/--stack/);
    expect(() => parseArgs(["--file", "x", "--warn-days", "soon"])).toThrow(/whole number/);
    const empty = path.join(os.tmpdir(), `inv-empty-${process.pid}.json`);
    fs.writeFileSync(empty, JSON.stringify({ clusters: {} }));
    expect(() => main(["--file", empty], new Date(), () => undefined)).toThrow(/no `inventory` output/);
    fs.rmSync(empty);
  });

  it("runs as `npm run inventory` does (ts-node), reading the outputs from stdin", () => {
    const res = spawnSync(
      process.execPath,
      [require.resolve("ts-node/dist/bin"), "--transpile-only", "scripts/inventory.ts", "--file", "-"],
      { cwd: ROOT, input: JSON.stringify(outputs), encoding: "utf8" },
    );
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/east\s+intermediate\s+7(29|30)\s/);
    expect(res.stdout).toContain("3 certificate(s); 0 within 30 days of expiry");
  });
});
