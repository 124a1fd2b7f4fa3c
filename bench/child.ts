import * as fs from "fs";
import * as path from "path";
import { PROJECT, ROOT, scenarios } from "./scenarios";

/**
 * Evaluates one scenario under Pulumi mocks in this (fresh) process and prints one JSON line:
 * resources declared, wall and CPU time of the program's evaluation, retained heap, peak RSS. Spawned by bench/run.ts.
 * The tls provider is answered with one pre-made certificate and key: key generation is the
 * provider's cost, not the program's.
 */

interface Fixture {
  certPem: string;
  keyPem: string;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** Provider answers: cheap tls outputs, cert-manager CA Secret reads, everything else echoes its inputs. */
function state(type: string, inputs: Record<string, any>, f: Fixture): Record<string, unknown> {
  const validity = { validityStartTime: "2026-01-01T00:00:00Z", validityEndTime: "2036-01-01T00:00:00Z" };
  switch (type) {
    case "tls:index/privateKey:PrivateKey":
      return { ...inputs, privateKeyPem: f.keyPem, publicKeyPem: "public" };
    case "tls:index/certRequest:CertRequest":
      return { ...inputs, certRequestPem: "csr" };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { ...inputs, certPem: f.certPem, ...validity };
    case "kubernetes:core/v1:Secret":
      // Secret.get of the CA Secret cert-manager writes (a read has no metadata input).
      return inputs.metadata
        ? inputs
        : {
            data: { "ca.crt": b64(f.certPem), "tls.crt": b64(f.certPem), "tls.key": b64(f.keyPem) },
            type: "kubernetes.io/tls",
          };
    default:
      return inputs;
  }
}

async function main(name: string, fixtureDir: string): Promise<void> {
  const scenario = scenarios().find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  const fixture: Fixture = {
    certPem: fs.readFileSync(path.join(fixtureDir, "cert.pem"), "utf8"),
    keyPem: fs.readFileSync(path.join(fixtureDir, "key.pem"), "utf8"),
  };
  const pulumi = await import("@pulumi/pulumi");
  let custom = 0;
  let components = 0;
  pulumi.runtime.setAllConfig(
    Object.fromEntries(
      Object.entries(scenario.config).map(([k, v]) => [
        `${PROJECT}:${k}`,
        typeof v === "string" ? v : JSON.stringify(v),
      ]),
    ),
  );
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        if (args.custom) custom++;
        else components++;
        return { id: `${args.name}-id`, state: state(args.type, args.inputs, fixture) };
      },
      call: () => ({}),
    },
    PROJECT,
    "bench",
    false,
    "organization",
  );

  // Load the program's modules first (they only define things), so the timing below is the
  // evaluation — config validation, resource declarations, outputs — not module loading.
  const loadStart = process.hrtime.bigint();
  const preload =
    scenario.program === "index"
      ? [path.join(ROOT, "config/load"), path.join(ROOT, "stacks")]
      : ["@pulumi/kubernetes/core/v1"];
  preload.forEach((m) => require(m));
  const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;

  // Retained heap of the evaluation: heap after a full GC, before and after (run with --expose-gc).
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const program = scenario.program === "index" ? path.join(ROOT, "index") : path.join(__dirname, "baselineProgram");
  const outputs = require(program) as Record<string, unknown>;

  await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> }).waitForRPCs();
  // Stack outputs (e.g. the inventory) are part of the evaluation: resolve them too.
  await new Promise<void>((resolve) => pulumi.output(outputs).apply(() => resolve()));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  // CPU time of this process: far less sensitive than wall time to other load on a shared machine.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  gc();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const usage = process.resourceUsage();
  process.stdout.write(
    `${JSON.stringify({ name, custom, components, loadMs, ms, cpuMs, heapMb, maxRssMb: usage.maxRSS / 1024 })}\n`,
  );
}

main(process.argv[2], process.argv[3]).catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
