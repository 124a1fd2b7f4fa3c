/**
 * Renders the Kubernetes objects our program (index.ts) declares for a stack, by running the real
 * program under Pulumi mocks (no engine, no provider plugins), with real keys and certificates from
 * test/harness/tlsEmulator.ts (openssl). Writes one kubectl-ready JSON List per apply phase:
 *
 *   <outDir>/1-namespaces.json  2-cluster.json  3-namespaced.json  4-custom.json  summary.json
 *
 * Usage: ts-node --transpile-only scripts/e2e/render-k8s.ts <stack> <outDir> [--only Kind,Kind]
 *   <stack>   reads Pulumi.<stack>.yaml (plain values only: `secure:` values can't be decrypted here)
 *   --only    keep only these kinds (+ the Namespaces they live in), e.g. --only ProxyConfig
 *
 * Why: pulumi-resource-kubernetes and pulumi-resource-tls can't be built here (docs/e2e.md), so
 * `pulumi up` can't create these objects; kubectl applies exactly what the program declares.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT, ROOT, stackConfig, unwrap } from "../../test/harness/program";
import { emulateTls } from "../../test/harness/tlsEmulator";
import { DeclaredResource, PHASE_ORDER, Phases, describeManifest, toPhases } from "./k8sManifests";

export async function renderStack(stack: string): Promise<{ resources: DeclaredResource[]; phases: Phases }> {
  const config = stackConfig(stack);
  const flat: Record<string, string> = {};
  const walkSecure = (v: unknown, at: string) => {
    if (v && typeof v === "object") {
      if ("secure" in (v as object)) throw new Error(`Pulumi.${stack}.yaml: ${at} is a secure value; render-k8s can't decrypt it`);
      Object.entries(v as object).forEach(([k, x]) => walkSecure(x, `${at}.${k}`));
    }
  };
  for (const [k, v] of Object.entries(config)) {
    walkSecure(v, k);
    flat[`${PROJECT}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  }
  const resources: DeclaredResource[] = [];
  /* eslint-disable @typescript-eslint/no-require-imports */
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  pulumi.runtime.setAllConfig(flat, []);
  void pulumi.runtime.setMocks({
    newResource(args) {
      const inputs = unwrap(args.inputs);
      resources.push({ type: args.type, name: args.name, inputs });
      const emulated = emulateTls(args.type, `${args.type}::${args.name}`, inputs);
      return { id: `${args.name}-id`, state: emulated ?? inputs };
    },
    call() { return {}; },
  }, PROJECT, stack, false, "organization");
  const errors: unknown[] = [];
  const onError = (e: unknown) => { errors.push(e); };
  process.on("unhandledRejection", onError);
  require(path.join(ROOT, "index"));
  await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
  await new Promise((r) => setImmediate(r));
  await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
  process.off("unhandledRejection", onError);
  if (errors.length > 0) throw errors[0];
  return { resources, phases: toPhases(resources) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const onlyAt = args.indexOf("--only");
  const only = onlyAt >= 0 ? new Set(args.splice(onlyAt, 2)[1].split(",")) : undefined;
  const [stack, outDir] = args;
  if (!stack || !outDir) { console.error("usage: render-k8s.ts <stack> <outDir> [--only Kind,Kind]"); process.exit(2); }
  const { phases } = await renderStack(stack);
  if (only) {
    const keep = [...phases.cluster, ...phases.namespaced, ...phases.custom].filter((r) => only.has(r.manifest.kind));
    const namespaces = new Set(keep.map((r) => r.manifest.metadata.namespace));
    phases.namespaces = phases.namespaces.filter((r) => namespaces.has(r.manifest.metadata.name));
    phases.cluster = phases.cluster.filter((r) => only.has(r.manifest.kind));
    phases.namespaced = phases.namespaced.filter((r) => only.has(r.manifest.kind));
    phases.custom = phases.custom.filter((r) => only.has(r.manifest.kind));
  }
  fs.mkdirSync(outDir, { recursive: true });
  const summary: Record<string, string[]> = {};
  PHASE_ORDER.forEach((phase, i) => {
    const items = phases[phase].map((r) => r.manifest);
    fs.writeFileSync(path.join(outDir, `${i + 1}-${phase}.json`), JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, 2), { mode: 0o600 });
    summary[phase] = items.map(describeManifest);
  });
  summary.skipped = phases.skipped.map((s) => `${s.type} ${s.name}: ${s.reason}`);
  fs.writeFileSync(path.join(outDir, "summary.json"), JSON.stringify(summary, null, 2));
  for (const [phase, lines] of Object.entries(summary)) {
    console.log(`${phase}:`);
    for (const l of lines) console.log(`  ${l}`);
  }
  // The SDK keeps handles open (mock monitor); the work is done.
  process.exit(0);
}

if (require.main === module) {
  main().catch((e) => { console.error(e instanceof Error ? e.stack ?? e.message : e); process.exit(1); });
}
