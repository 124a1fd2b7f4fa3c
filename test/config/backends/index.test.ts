import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { BACKEND_NAMES, adapters, caConfigSchema } from "../../../config/backends";

/**
 * Every backend registered in config/backends/index.ts is a shipped, tested, documented backend: a
 * `Pulumi.<stack>.yaml` selects it, the URNs of such a stack are recorded (test/stacks/urns/, compared
 * by test/stacks/urnStability.test.ts) and the README's backend table has its row.
 */

const ROOT = path.join(__dirname, "..", "..", "..");
const URNS = path.join(ROOT, "test", "stacks", "urns");
const URN_TEST = fs.readFileSync(path.join(ROOT, "test", "stacks", "urnStability.test.ts"), "utf8");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** Each shipped stack file's `istio-mesh-ca:ca.backend`, by stack name. */
const stackBackends = new Map<string, unknown>(
  fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .map((stack) => {
      const doc = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
        config?: Record<string, { backend?: unknown }>;
      };
      return [stack, doc.config?.["istio-mesh-ca:ca"]?.backend];
    }),
);

/** The README's backend table: its rows' first cell, by backend. */
function readmeRows(): Map<string, string> {
  const lines = README.split("\n");
  const header = lines.findIndex((l) => l.startsWith("| backend (`ca.backend`)"));
  const rows = new Map<string, string>();
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) break;
    const name = /^\| `([^`]+)` \|/.exec(line)?.[1];
    if (name) rows.set(name, line);
  }
  return rows;
}

function stacksOf(backend: string): string[] {
  return [...stackBackends].filter(([, b]) => b === backend).map(([s]) => s);
}

describe("the backend registry (config/backends/index.ts)", () => {
  it("lists the backends, each adapter under its own backend value", () => {
    expect(BACKEND_NAMES.length).toBeGreaterThan(0);
    for (const name of BACKEND_NAMES) expect(adapters[name].backend).toBe(name);
  });

  it("the config union is the registered backends and only those", () => {
    const r = caConfigSchema.safeParse({ backend: "noSuchBackend" });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toBe(`unknown backend "noSuchBackend"; allowed: ${BACKEND_NAMES.join(", ")}`);
    for (const name of BACKEND_NAMES) {
      // Reaching the backend's own schema: its issues are about its fields, not the backend value.
      const issues = caConfigSchema.safeParse({ backend: name }).error?.issues ?? [];
      expect(issues.map((i) => i.message).join("\n")).not.toMatch(/unknown backend/);
    }
  });

  it("every shipped stack file selects a registered backend", () => {
    const unknown = [...stackBackends].filter(([, b]) => b !== undefined && !BACKEND_NAMES.includes(b as never));
    expect(unknown).toEqual([]);
  });

  it("the README's backend table has one row per registered backend, no more", () => {
    expect([...readmeRows().keys()].sort()).toEqual([...BACKEND_NAMES].sort());
  });

  describe.each(BACKEND_NAMES)("%s", (name) => {
    it("has a shipped Pulumi.<stack>.yaml selecting it", () => {
      expect(stacksOf(name)).not.toEqual([]);
    });

    it("has the URNs of one of those stacks recorded and compared", () => {
      const recorded = stacksOf(name).filter(
        (stack) =>
          fs.existsSync(path.join(URNS, `${stack}.txt`)) &&
          new RegExp(`^\\s*"?${stack.replace(/[-]/g, "\\-")}"?\\s*:`, "m").test(URN_TEST),
      );
      expect(recorded).not.toEqual([]);
    });

    it("has a README row naming a stack file that selects it", () => {
      const row = readmeRows().get(name);
      expect(row).toBeDefined();
      const named = [...(row ?? "").matchAll(/Pulumi\.([\w-]+)\.yaml/g)].map((m) => m[1]);
      expect(named.filter((s) => stackBackends.get(s) === name)).not.toEqual([]);
    });
  });
});
