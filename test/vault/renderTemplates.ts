import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The Go toolchain, if installed (the renderer needs only the standard library). */
export function goBinary(): string | undefined {
  const candidates = [process.env.GO_BINARY, "/usr/local/go/bin/go"].filter((c): c is string => Boolean(c));
  for (const c of candidates) if (fs.existsSync(c)) return c;
  try {
    return execFileSync("which", ["go"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

let built: string | undefined;

/** Builds test/vault/render once per process and returns the binary. */
function renderer(go: string): string {
  if (built) return built;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "vault-render-")), "render");
  execFileSync(go, ["build", "-o", out, path.join(__dirname, "render", "main.go")], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GO111MODULE: "off", GOFLAGS: "" },
  });
  built = out;
  return out;
}

/** Executes consul-template-style templates with Go's text/template against fake Vault data. */
export function renderTemplates(
  go: string,
  templates: Record<string, string>,
  secrets: Record<string, Record<string, unknown>>,
): Record<string, string> {
  const out = execFileSync(renderer(go), [], { input: JSON.stringify({ templates, secrets }), encoding: "utf8" });
  return JSON.parse(out) as Record<string, string>;
}
