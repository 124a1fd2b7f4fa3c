import { execFile, spawn } from "child_process";
import { X509Certificate, createPrivateKey } from "crypto";
import {
  E2eProject,
  E2eStack,
  EngineEvent,
  engineEnv,
  istioCharts,
  parseEvents,
  urnName,
  whenFinished,
} from "./project";
import { checkCacerts, secretFiles } from "./cacertsChecks";
import { descendants, e2eEnv, kubectl, plain, run } from "./support";

/**
 * Faults, with the REAL engine and provider: `pulumi up` SIGKILLed mid-apply (engine and its
 * plugins, as when a CI runner dies), then the documented recovery (docs/e2e.md "Recovering from an
 * interrupted pulumi up") converges, and at no moment does `cacerts` hold a certificate without its
 * key — it is one Secret, written in one request, sampled all along.
 */

/** cacerts as sampled during an apply: undefined when absent; otherwise whether key and certificate match. */
async function sampleCacerts(): Promise<"absent" | "consistent" | string> {
  // Asynchronous, so that the engine's events are read (and the kill made) while kubectl runs.
  // env explicitly: a child spawned without one gets the jest worker's real environment, not this
  // file's process.env, so it would ask worker 1's control plane (test/e2e/workerEnv.ts).
  const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(
      "kubectl",
      ["get", "secret", "cacerts", "-n", "istio-system", "-o", "json"],
      { timeout: 20000, maxBuffer: 16 * 1024 * 1024, env: process.env },
      (err, stdout) => resolve({ code: err ? 1 : 0, stdout }),
    );
  });
  if (r.code !== 0) return "absent";
  const data = JSON.parse(r.stdout).data ?? {};
  const d = (k: string) => (data[k] ? Buffer.from(data[k], "base64").toString("utf8") : "");
  try {
    const ok = new X509Certificate(d("ca-cert.pem")).checkPrivateKey(createPrivateKey(d("ca-key.pem")));
    return ok ? "consistent" : "MISMATCH: ca-key.pem is not the key of ca-cert.pem";
  } catch (e) {
    return `INCOMPLETE: ${String(e).slice(0, 120)} (keys: ${Object.keys(data).sort().join(",")})`;
  }
}

/**
 * Starts `pulumi up` in its own process group and SIGKILLs it, and its plugins, as soon as `when`
 * holds for the engine's events so far (read from its output stream as they come), sampling
 * `cacerts` all along.
 */
async function upKilledWhen(
  stack: E2eStack,
  when: (events: EngineEvent[]) => boolean,
): Promise<{ killed: boolean; samples: string[] }> {
  const child = spawn(
    "pulumi",
    ["up", "--yes", "--skip-preview", "--json", "--stack", stack.name, "--cwd", stack.project.dir, "--non-interactive"],
    {
      cwd: stack.project.dir,
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, ...engineEnv() },
    },
  );
  let done = false;
  const exited = new Promise<void>((resolve) =>
    child.on("exit", () => {
      done = true;
      resolve();
    }),
  );
  let killed = false;
  let pending = "";
  const events: EngineEvent[] = [];
  child.stdout!.on("data", (chunk: Buffer) => {
    if (killed) return;
    const lines = (pending + chunk.toString("utf8")).split("\n");
    pending = lines.pop() ?? "";
    events.push(...parseEvents(lines.join("\n")));
    if (!when(events)) return;
    // The engine starts its plugins in process groups of their own: kill them too, as a dying
    // runner would (otherwise a language host and a provider outlive every kill).
    const plugins = descendants(child.pid!);
    process.kill(-child.pid!, "SIGKILL");
    for (const pid of plugins)
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    killed = true;
  });
  const samples: string[] = [];
  const deadline = Date.now() + 600000;
  while (!done && !killed && Date.now() < deadline) {
    samples.push(await sampleCacerts());
    await new Promise((r) => setTimeout(r, 100));
  }
  await exited;
  samples.push(await sampleCacerts());
  return { killed, samples };
}

/**
 * The documented recovery (docs/e2e.md): `pulumi cancel` removes the lock the killed engine left,
 * `pulumi refresh --clear-pending-creates` drops the operations it had in flight, then `pulumi up`
 * with the provider's PULUMI_K8S_ENABLE_PATCH_FORCE: objects the killed run had already created
 * are owned by a field manager the state never recorded (pulumi-kubernetes names it from the
 * create's random seed), and server-side apply reports fields the API server defaults after
 * apply (the webhooks' `rules`) as conflicts with it. The SDK records the variable as the
 * providers' `enablePatchForce` input, so a plain `pulumi up` follows, which takes it out again.
 */
const RECOVERY_ENV = { PULUMI_K8S_ENABLE_PATCH_FORCE: "true" };

const WEBHOOK_TYPE = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration";
const isInjectorWebhook = (urn: string): boolean =>
  urn.includes(`${WEBHOOK_TYPE}::`) && urn.endsWith(":istio-sidecar-injector");

/**
 * Runs the recovery. With `orphanCheck`: when the webhook exists in the cluster but the state, once
 * its pending creates are dropped, does not record it (the kill landed between the API server's
 * answer and the engine's checkpoint), a plain `pulumi up` must be refused with the conflict that
 * makes the documented step force. Returns whether the webhook was such an orphan.
 */
function recover(stack: E2eStack, opts: { orphanCheck?: boolean } = {}): boolean {
  stack.must(["cancel", "--yes"]);
  const refresh = stack.pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
  expect({
    code: refresh.code,
    err: refresh.code === 0 ? "" : plain(refresh.stdout + refresh.stderr).slice(-3000),
  }).toEqual({ code: 0, err: "" });
  const orphan =
    !!opts.orphanCheck &&
    stack.urnsOf(WEBHOOK_TYPE).filter(isInjectorWebhook).length === 0 &&
    run("kubectl", ["get", "mutatingwebhookconfiguration", "istio-sidecar-injector"]).code === 0;
  if (orphan) {
    const up = stack.up();
    expect(up.run.code).not.toBe(0);
    const diagnostics = up.events
      .flatMap((e) => (e.diagnosticEvent ? [plain(e.diagnosticEvent.message)] : []))
      .join("\n");
    // "1 conflict: conflict with" or "2 conflicts: conflicts with"; quoted as \" when nested in
    // "resource … was not successfully created" (whichever orphaned webhook the engine reached first).
    expect(diagnostics).toMatch(
      /Server-Side Apply field conflict detected[\s\S]*conflicts? with \\?"pulumi-kubernetes-[0-9a-f]+\\?"/,
    );
  }
  stack.mustUp([], RECOVERY_ENV);
  stack.mustUp();
  return orphan;
}

/** The next preview, without the recovery's variable, plans no change. */
function expectConverged(stack: E2eStack): void {
  const r = stack.pulumi(["preview", "--expect-no-changes", "--diff"]);
  expect({ code: r.code, out: r.code === 0 ? "" : plain(r.stdout + r.stderr).slice(-4000) }).toEqual({
    code: 0,
    out: "",
  });
}

/**
 * Objects of Istio's charts left in the cluster by a killed run that no state records (only when a
 * recovery failed): removed so that the next test file's stack does not conflict with them.
 */
function removeOrphans(): void {
  const deleted = [
    "mutatingwebhookconfiguration",
    "validatingwebhookconfiguration",
    "clusterrole",
    "clusterrolebinding",
  ]
    .flatMap((kind) =>
      run("kubectl", [
        "delete",
        kind,
        "-l",
        "app.kubernetes.io/part-of=istio",
        "--ignore-not-found",
        "--wait=false",
      ]).stdout.split("\n"),
    )
    .filter((line) => line.endsWith(" deleted"));
  if (deleted.length > 0) console.warn(`faults: removed objects no state records:\n${deleted.join("\n")}`);
  try {
    run("kubectl", ["delete", "namespace", "istio-system", "--ignore-not-found", "--wait=true"], { timeoutMs: 120000 });
  } catch (e) {
    console.warn(`faults: namespace istio-system not deleted: ${String(e)}`);
  }
}

describe("faults: pulumi up killed mid-apply", () => {
  let stack: E2eStack;

  beforeAll(() => {
    e2eEnv({ apiserver: true });
    const charts = istioCharts();
    stack = new E2eProject("faults").stack("faults", "local", (c) => {
      c["istio-mesh-ca:istio"].chartPath = charts;
    });
  });

  afterAll(() => {
    stack?.pulumi(["destroy", "--yes", "--skip-preview"]);
    stack?.remove();
    removeOrphans();
  });

  it("killed as the sidecar injector webhook is written, after cacerts: the recovery adopts what the killed run created, converges, and cacerts was never half-written", async () => {
    // Killed the moment the engine reports the webhook created (its output stream, read as it comes):
    // usually before its checkpoint records it, so the webhook is left to the recovery to adopt.
    const { killed, samples } = await upKilledWhen(stack, (events) =>
      Number.isFinite(whenFinished(events, isInjectorWebhook)),
    );
    expect(killed).toBe(true);
    expect(samples.filter((s) => s !== "absent" && s !== "consistent")).toEqual([]);
    // The sample taken after the kill sees what the killed run wrote (and proves the sampler asks
    // the cluster the engine wrote to).
    expect(samples[samples.length - 1]).toBe("consistent");
    expect(secretFiles("istio-system", "cacerts")["ca-key.pem"]).toBeDefined();
    const webhook = JSON.parse(
      kubectl(["get", "mutatingwebhookconfiguration", "istio-sidecar-injector", "-o", "json", "--show-managed-fields"]),
    );
    expect(
      (webhook.metadata.managedFields ?? [])
        .map((f: any) => f.manager)
        .filter((m: string) => m.startsWith("pulumi-kubernetes")),
    ).toHaveLength(1);
    // The killed engine left its lock: the next command says so and names `pulumi cancel`.
    const locked = stack.pulumi(["refresh", "--yes", "--skip-preview"]);
    expect(locked.code).not.toBe(0);
    expect(plain(locked.stderr)).toContain("the stack is currently locked");
    const orphan = recover(stack, { orphanCheck: true });
    console.log(
      `faults: the killed run's webhook was ${orphan ? "not in the state (adopted by the forced up; the plain up was refused)" : "already in the state"}`,
    );
    expectConverged(stack);
    checkCacerts(secretFiles("istio-system", "cacerts"));
    // Adopted, not re-created: the same object, now in the state.
    const adopted = JSON.parse(
      kubectl(["get", "mutatingwebhookconfiguration", "istio-sidecar-injector", "-o", "json"]),
    );
    expect(adopted.metadata.uid).toBe(webhook.metadata.uid);
    expect(stack.urnsOf(WEBHOOK_TYPE).filter(isInjectorWebhook)).toHaveLength(1);
  });

  it("killed in the middle of an intermediate rotation: the old or the new material, never a mix, then convergence", async () => {
    const before = checkCacerts(secretFiles("istio-system", "cacerts"));
    stack.config("ca.rotation.intermediateGeneration", "2", { type: "int" });
    const { killed, samples } = await upKilledWhen(stack, (events) =>
      Number.isFinite(
        whenFinished(
          events,
          (u) => u.includes("tls:index/locallySignedCert:LocallySignedCert::") && urnName(u).includes("i2"),
        ),
      ),
    );
    expect(killed).toBe(true);
    expect(samples.filter((s) => s !== "consistent")).toEqual([]);
    recover(stack);
    const after = checkCacerts(secretFiles("istio-system", "cacerts"));
    expect(after.roots).toEqual(before.roots);
    expect(after.intermediate).not.toBe(before.intermediate);
    expectConverged(stack);
  });
});
