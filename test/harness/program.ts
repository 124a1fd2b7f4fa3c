import * as fs from "fs";
import * as path from "path";
import * as vm from "vm";
import { runtime as sdkRuntime } from "@pulumi/pulumi";
import { parse } from "yaml";
import { emulateTls } from "./tlsEmulator";

/**
 * Runs the real program (index.ts) under Pulumi mocks with a given stack config and records every
 * resource registration: its type, name, raw inputs (with secret markers intact), options.
 */

export const ROOT = path.resolve(__dirname, "../..");
export const PROJECT = "istio-mesh-ca";
/** The marker the SDK puts on serialized secrets (exported by `pulumi.runtime`). */
const SIG = sdkRuntime.specialSigKey;
const SECRET_SIG = sdkRuntime.specialSecretSig;

export interface Registered {
  type: string;
  name: string;
  /** Inputs as the engine would see them: secrets are `{[SIG]: SECRET_SIG, value}`. */
  rawInputs: Record<string, any>;
  /** Inputs with secret markers removed. */
  inputs: Record<string, any>;
  provider: string;
  custom: boolean;
}

export interface ProgramRun {
  resources: Registered[];
  /** The stack outputs, resolved; `secretPaths` lists which of them are secret. */
  outputs: Record<string, any>;
  secretOutputPaths: string[];
  error?: Error;
  /** Explicit dependencies and parents, by resource name, from the registration requests. */
  dependsOn: Map<string, string[]>;
  parentOf: Map<string, string>;
  warnings: string[];
  /** Every URN the run registered, in registration order (the engine's identity of a resource). */
  urns: string[];
  /** Aliases a registration carried, by resource name (alias URNs as the SDK sent them). */
  aliases: Map<string, string[]>;
}

export function isSecretValue(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as any)[SIG] === SECRET_SIG;
}

/** Removes secret markers (and resource references' internals stay as they are). */
export function unwrap(v: any): any {
  if (isSecretValue(v)) return unwrap(v.value);
  if (Array.isArray(v)) return v.map(unwrap);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
  }
  return v;
}

/** Reads `Pulumi.<stack>.yaml` into the flat config map the runtime uses. */
export function stackConfig(stack: string): Record<string, unknown> {
  const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
  const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc.config ?? {})) {
    if (k.startsWith(`${PROJECT}:`)) out[k.slice(PROJECT.length + 1)] = v;
  }
  return out;
}

export interface RunOptions {
  stack?: string;
  /** Config keys (without the project prefix) to mark secret. */
  secretKeys?: string[];
  preview?: boolean;
  /** Extra state for a resource type (e.g. data a real provider would return). */
  extraState?: (type: string, inputs: Record<string, any>) => Record<string, any> | undefined;
  /** Answers for provider functions (invokes). */
  call?: (token: string, inputs: Record<string, any>) => Record<string, any> | undefined;
  /** `pulumi.getOrganization()` (the CLI always sets one; default "organization", as self-managed backends use). */
  organization?: string;
}

/** Runs index.ts with `config` (keys without the project prefix) and returns what it registered. */
export async function runProgram(config: Record<string, unknown>, opts: RunOptions = {}): Promise<ProgramRun> {
  return runUnderMocks(() => require(path.join(ROOT, "index")) as Record<string, any>, config, opts);
}

/**
 * Runs `entry` under mocks in a fresh module registry: it must `require` what it uses inside
 * (components, @pulumi/*) so that they bind to the mocked runtime. Returns what it registered.
 */
export async function runUnderMocks(
  entry: () => Record<string, any>,
  config: Record<string, unknown>,
  opts: RunOptions = {},
): Promise<ProgramRun> {
  const stack = opts.stack ?? "test";
  const resources: Registered[] = [];
  const dependsOn = new Map<string, string[]>();
  const parentOf = new Map<string, string>();
  const warnings: string[] = [];
  const urns: string[] = [];
  const aliases = new Map<string, string[]>();
  let outputs: Record<string, any> = {};
  const secretOutputPaths: string[] = [];
  let error: Error | undefined;
  let pulumi: typeof import("@pulumi/pulumi") | undefined;

  // An error thrown inside an apply surfaces as an unhandled rejection (the way a real preview
  // fails): record it as the run's error instead of letting it kill the test worker.
  const asyncErrors: Error[] = [];
  const onRejection = (reason: unknown) => {
    asyncErrors.push(reason instanceof Error ? reason : new Error(String(reason)));
  };
  // Jest's sandboxed `process` does not reach the real one; the capture callback does, and so does a
  // listener on the real process (reached through vm): a rejected Output's promise is reported there.
  const realProcess = process as NodeJS.Process;
  realProcess.setUncaughtExceptionCaptureCallback(onRejection);
  const hostProcess = vm.runInThisContext("process") as NodeJS.Process;
  const savedRejectionListeners = hostProcess.listeners("unhandledRejection");
  hostProcess.removeAllListeners("unhandledRejection");
  hostProcess.on("unhandledRejection", onRejection);
  // Everything happens synchronously inside isolateModules: a `require` made later (after an await)
  // would hit the shared registry and reuse a program module evaluated by an earlier run.
  jest.isolateModules(() => {
    pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const p = pulumi;
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(config))
      flat[`${PROJECT}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    p.runtime.setAllConfig(
      flat,
      (opts.secretKeys ?? []).map((k) => `${PROJECT}:${k}`),
    );
    // setMocks does all its work before its first await: the mocks are in place when it returns.
    void p.runtime.setMocks(
      {
        newResource(args) {
          const inputs = unwrap(args.inputs);
          const emulated = emulateTls(args.type, `${args.type}::${args.name}`, inputs);
          const extra = opts.extraState?.(args.type, inputs);
          resources.push({
            type: args.type,
            name: args.name,
            rawInputs: args.inputs,
            inputs,
            provider: args.provider ?? "",
            custom: args.custom ?? true,
          });
          return { id: `${args.name}-id`, state: { ...(emulated ?? inputs), ...(extra ?? {}) } };
        },
        call(args) {
          return opts.call?.(args.token, unwrap(args.inputs)) ?? {};
        },
      },
      PROJECT,
      stack,
      opts.preview ?? false,
      opts.organization ?? "organization",
    );
    // Capture dependency/parent edges, aliases and URNs from the registration requests.
    recordRegistrations(p.runtime.getMonitor(), { parentOf, dependsOn, aliases, urns });
    const warn = p.log.warn;
    p.log.warn = (...args: Parameters<typeof warn>) => {
      warnings.push(args[0]);
      return warn(...args);
    };
    try {
      outputs = entry();
    } catch (e) {
      error = e as Error;
    }
  });
  const p = pulumi!;
  try {
    if (!error) {
      // An export whose value fails (a refusal inside an apply) fails the run, as it fails `pulumi up`.
      try {
        outputs = (await resolveOutputs(p, outputs, "", secretOutputPaths)) as Record<string, any>;
      } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
        outputs = {};
      }
    }
    // Let every registration and apply settle: `disconnect` drains the RPC queue (until no new
    // registration arrives) before it closes the monitor; the next run's setMocks installs a new one.
    await p.runtime.disconnect();
    await new Promise((r) => setImmediate(r));
  } finally {
    realProcess.setUncaughtExceptionCaptureCallback(null);
    hostProcess.off("unhandledRejection", onRejection);
    for (const l of savedRejectionListeners) hostProcess.on("unhandledRejection", l as (...a: unknown[]) => void);
  }
  error ??= asyncErrors[0];
  return { resources, outputs, secretOutputPaths, error, dependsOn, parentOf, warnings, urns, aliases };
}

/** What `recordRegistrations` collects from each registration request, by resource name. */
export interface RegistrationRecord {
  parentOf: Map<string, string>;
  dependsOn: Map<string, string[]>;
  aliases: Map<string, string[]>;
  urns: string[];
}

/** The getters of a `RegisterResourceRequest` (proto/resource_pb.d.ts) that the harness reads. */
interface RegisterResourceRequestView {
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getAliasurnsList(): string[];
  getAliasesList(): { getUrn(): string; getSpec(): { toObject(): unknown } | undefined }[];
}

const REQUEST_GETTERS = ["getName", "getParent", "getDependenciesList", "getAliasurnsList", "getAliasesList"] as const;

/**
 * The one place the harness reaches past the SDK's public API: it wraps the mock monitor's
 * `registerResource` to read, from each request, the parent, the dependencies, the aliases and
 * (from the response) the URN. It follows `MockMonitor.registerResource` in
 * @pulumi/pulumi/runtime/mocks.ts and `RegisterResourceRequest` in proto/resource_pb.d.ts.
 *
 * There is no public way to see these: `Mocks.newResource` receives only type, name, inputs,
 * provider, custom and id; the SDK's dependency list (explicit `dependsOn` plus input dependencies,
 * with components expanded to their children) is computed inside `prepareResource`; and resource
 * transforms, which would show the options, are switched off under mocks (`setMocks` sets
 * `supportsTransforms = false`). If the SDK changes the monitor or the request, this throws on the
 * first registration (test/harness/program.test.ts runs it on a small program).
 */
export function recordRegistrations(monitor: unknown, into: RegistrationRecord): void {
  const m = monitor as
    { registerResource?: (req: unknown, cb: (err: unknown, resp: any) => void) => unknown } | undefined;
  if (typeof m?.registerResource !== "function") {
    throw new Error(
      "recordRegistrations: pulumi.runtime.getMonitor() has no registerResource; the SDK's mock monitor changed",
    );
  }
  const orig = m.registerResource.bind(m);
  m.registerResource = (raw: unknown, cb: (err: unknown, resp: any) => void) => {
    const missing = REQUEST_GETTERS.filter((g) => typeof (raw as Record<string, unknown>)[g] !== "function");
    if (missing.length > 0) {
      throw new Error(
        `recordRegistrations: RegisterResourceRequest lacks ${missing.join(", ")}; the SDK's request changed`,
      );
    }
    const req = raw as RegisterResourceRequestView;
    const name = req.getName();
    if (req.getParent()) into.parentOf.set(name, nameOfUrn(req.getParent()));
    into.dependsOn.set(name, req.getDependenciesList().map(nameOfUrn));
    const aliasUrns = [
      ...req.getAliasurnsList(),
      ...req.getAliasesList().map((a) => a.getUrn() || JSON.stringify(a.getSpec()?.toObject())),
    ];
    if (aliasUrns.length > 0) into.aliases.set(name, aliasUrns);
    return orig(raw, (err: unknown, resp: any) => {
      if (!err && resp) into.urns.push(resp.getUrn());
      return cb(err, resp);
    });
  };
}

function nameOfUrn(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

async function resolveOutputs(p: typeof import("@pulumi/pulumi"), v: any, at: string, secrets: string[]): Promise<any> {
  if (p.Output.isInstance(v)) {
    if (await p.isSecret(v)) secrets.push(at);
    const inner = await new Promise((res) =>
      (v as any).apply((x: unknown) => {
        res(x);
        return x;
      }),
    );
    return resolveOutputs(p, inner, at, secrets);
  }
  if (Array.isArray(v)) return Promise.all(v.map((x, i) => resolveOutputs(p, x, `${at}[${i}]`, secrets)));
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, any> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await resolveOutputs(p, x, at ? `${at}.${k}` : k, secrets);
    return out;
  }
  return v;
}

/** Resources of a type, by the suffix of their type token (e.g. "core/v1:Secret"). */
export function ofType(run: ProgramRun, typeSuffix: string): Registered[] {
  return run.resources.filter((r) => r.type === typeSuffix || r.type.endsWith(typeSuffix));
}

export function byName(run: ProgramRun, name: string): Registered {
  const r = run.resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name}; have: ${run.resources.map((x) => x.name).join(", ")}`);
  return r;
}

/** Every path inside raw inputs where a string holding a PEM private key appears, and whether it is under a secret. */
export function privateKeyOccurrences(
  run: ProgramRun,
): { resource: Registered; path: string; secret: boolean; pem: string }[] {
  const out: { resource: Registered; path: string; secret: boolean; pem: string }[] = [];
  const walk = (r: Registered, v: any, at: string, secret: boolean) => {
    if (isSecretValue(v)) return walk(r, v.value, at, true);
    if (typeof v === "string") {
      for (const m of v.matchAll(/-----BEGIN ([A-Z]+ )?PRIVATE KEY-----[\s\S]*?-----END ([A-Z]+ )?PRIVATE KEY-----/g)) {
        out.push({ resource: r, path: at, secret, pem: m[0] });
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(r, x, `${at}[${i}]`, secret));
    else if (v && typeof v === "object")
      Object.entries(v).forEach(([k, x]) => walk(r, x, at ? `${at}.${k}` : k, secret));
  };
  for (const r of run.resources) walk(r, r.rawInputs, "", false);
  return out;
}
