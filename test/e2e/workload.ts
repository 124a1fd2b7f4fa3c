import { ChildProcess, spawn } from "child_process";
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ROOT, Ran, e2eEnv, mustRun, run } from "./support";
import { getCoreObject, mutatingWebhookConfigurations } from "./kubeApi";
import { LocalIstiod, atomicWrite, freePorts, pause, waitFor } from "./istiod";

/**
 * A mesh workload as a LOCAL PROCESS pair, beside LocalIstiod: Istio's proxyless gRPC mode, where the
 * application speaks xDS itself (grpc-go) and istio-agent (`pilot-agent`, no Envoy) fetches its
 * certificate and proxies xDS to istiod. What the API server and the kubelet would do for such a pod,
 * this runner does, and nothing else:
 *
 * - the pod is ADMITTED as the API server admits it: its own defaulting and built-in admission (a
 *   server-side dry run: the ServiceAccount plugin's volume), then the mutating webhook of the istiod
 *   the stack installed — the MutatingWebhookConfiguration on the server picks the webhook (namespace
 *   and object selectors) and gives its path and caBundle, and the AdmissionReview goes to that
 *   running istiod's own `/inject` (its HTTPS port), which renders the chart's `grpc-agent` template
 *   (annotation `inject.istio.io/templates: grpc-agent`, as Istio's proxyless docs say) with the
 *   cluster's values, ProxyConfigs and mesh config; its JSON patch is applied to the pod. The pod is
 *   never stored (no kubelet would run it);
 * - the `istio-proxy` container runs `tools/bin/pilot-agent` with the args and env of the render:
 *   fieldRefs resolved as the kubelet would (status.podIP = this workload's own loopback address
 *   127.x.y.z), `$(VAR)` expanded; its volumes written under a private "pod root" at their
 *   mountPath (kubelet atomic-writer layout: the `istio-token` projected TokenRequest token with
 *   the rendered audience, `istio-ca-root-cert` as `root-cert.pem`, the downward-API labels and
 *   annotations files, emptyDirs); working directory = the pod root, so the agent's relative paths
 *   (`./var/run/secrets/...`, `./etc/istio/...`) are the pod's;
 * - moved, and only these: istiod's address (`discoveryAddress`, `CA_ADDR`: `localhost:<istiod's
 *   secure gRPC port>`; for a localhost address istio-agent verifies istiod's certificate for
 *   `istiod.istio-system.svc`, pilot/pkg/grpc/tls.go), the agent's `statusPort` (a free port: all
 *   pods share the host's ports here), and the paths the render gives as absolute or that another
 *   process resolves, put under the pod root (`configPath`, whose `XDS` socket the gRPC bootstrap
 *   names; `OUTPUT_CERTS`; the app's `GRPC_XDS_BOOTSTRAP`);
 * - postStart `pilot-agent wait` = `/healthz/ready` on the status port before the app container
 *   starts (what the kubelet's postStart hook does); the app container (`tools/bin/grpc-echo`) runs
 *   with its rendered env, or commands are exec'ed in it (`kubectl exec`);
 * - logs in `$E2E_DIR/workloads/<label>/<pod>-<n>/`; stop = SIGTERM, then SIGKILL.
 */

const BIN = path.join(ROOT, "tools/bin");
/** The label istiod's injection webhooks' objectSelectors exclude (`sidecar.istio.io/inject NotIn [false]`). */
const SKIP_WEBHOOK = "sidecar.istio.io/inject";

/** A child process with its log file. */
class Proc {
  private child?: ChildProcess;
  constructor(readonly logFile: string) {}

  start(cmd: string, args: string[], cwd: string, env: Record<string, string>): this {
    const fd = fs.openSync(this.logFile, "a");
    fs.writeSync(fd, `# ${cmd} ${args.join(" ")}\n`);
    this.child = spawn(cmd, args, { cwd, env, stdio: ["ignore", fd, fd] });
    fs.closeSync(fd);
    return this;
  }

  exited(): boolean {
    const pid = this.child?.pid;
    if (!pid || this.child?.exitCode !== null) return true;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
    } catch {
      return true;
    }
  }

  log(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8") : "";
  }

  /** SIGTERM, then SIGKILL after 10 s; waits until the process is gone. Idempotent. */
  stop(): void {
    const pid = this.child?.pid;
    if (!pid || this.exited()) return;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      /* gone */
    }
    const deadline = Date.now() + 10000;
    while (!this.exited() && Date.now() < deadline) pause(100);
    if (!this.exited()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    while (!this.exited()) pause(50);
  }
}

/** `metav1.LabelSelector` against a label set (matchLabels and matchExpressions). */
export function selects(selector: any, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries<string>(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const ok =
      e.operator === "In"
        ? has && e.values.includes(labels[e.key])
        : e.operator === "NotIn"
          ? !has || !e.values.includes(labels[e.key])
          : e.operator === "Exists"
            ? has
            : e.operator === "DoesNotExist"
              ? !has
              : (() => {
                  throw new Error(`label selector operator ${e.operator} not emulated`);
                })();
    if (!ok) return false;
  }
  return true;
}

/** RFC 6902 add/remove/replace, the operations of Istio's injection patch; returns a new document. */
export function applyJsonPatch(doc: any, patch: { op: string; path: string; value?: any }[]): any {
  const out = JSON.parse(JSON.stringify(doc));
  for (const p of patch) {
    const keys = p.path
      .split("/")
      .slice(1)
      .map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = keys.pop()!;
    let parent = out;
    for (const k of keys) {
      if (parent[k] === undefined) throw new Error(`json patch ${p.op} ${p.path}: no ${k}`);
      parent = parent[k];
    }
    if (Array.isArray(parent)) {
      const i = last === "-" ? parent.length : Number(last);
      if (p.op === "add") parent.splice(i, 0, p.value);
      else if (p.op === "remove") parent.splice(i, 1);
      else if (p.op === "replace") parent[i] = p.value;
      else throw new Error(`json patch op ${p.op} not emulated`);
    } else if (p.op === "add" || p.op === "replace") {
      parent[last] = p.value;
    } else if (p.op === "remove") {
      delete parent[last];
    } else {
      throw new Error(`json patch op ${p.op} not emulated`);
    }
  }
  return out;
}

/** The kubelet's downward-API format of a label/annotation map (pkg/fieldpath FormatMap): sorted `k="v"` lines. */
export const formatMap = (m: Record<string, string>): string =>
  Object.keys(m)
    .sort()
    .map((k) => `${k}=${JSON.stringify(m[k])}`)
    .join("\n");

/** Kubelet `$(VAR)` expansion in env values and args (`$$` is a literal `$`; unknown names stay as written). */
export function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name) =>
    m === "$$" ? "$" : name in env ? env[name] : m,
  );
}

let nextHost = 2;
/**
 * A loopback address of its own for each workload (all of 127/8 is loopback on Linux): the second
 * and third octets come from the jest worker and the process id, so that parallel workers and other
 * runs on the machine do not share addresses; the address's `ports` are checked free.
 */
export function loopbackAddress(ports: number[]): string {
  const worker = Number(process.env.JEST_WORKER_ID ?? "1");
  for (let tries = 0; tries < 200; tries++) {
    const ip = `127.${100 + (worker % 100)}.${(process.pid % 250) + 1}.${nextHost}`;
    nextHost = nextHost >= 254 ? 2 : nextHost + 1;
    const probe = `const net=require("net");let n=${ports.length};let bad=false;if(n===0)process.exit(0);for(const p of ${JSON.stringify(ports)}){const s=net.createServer();s.once("error",()=>{bad=true;if(--n===0)process.exit(1)});s.listen(p,"${ip}",()=>s.close(()=>{if(--n===0)process.exit(bad?1:0)}));}`;
    if (run(process.execPath, ["-e", probe]).code === 0) return ip;
  }
  throw new Error(`no loopback address with ports ${ports.join(",")} free`);
}

export interface WorkloadOptions {
  istiod: LocalIstiod;
  /** Directory under $E2E_DIR/workloads. */
  label: string;
  /** Pod name (also its `app` label unless `labels` say otherwise). */
  name: string;
  namespace: string;
  serviceAccount: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Container ports of the app (a server's listeners). */
  ports?: number[];
  /** This workload's address (default: a fresh loopback address). */
  ip?: string;
}

/** The files istio-agent wrote for the app (`OUTPUT_CERTS`), as read now. */
export interface AgentCerts {
  chain: string;
  key: string;
  root: string;
}

let generation = 0;

export class LocalWorkload {
  readonly ip: string;
  readonly kubeconfig: string;
  podRoot = "";
  dir = "";
  /** The pod as admitted (ServiceAccount plugin, then istiod's injection webhook). */
  pod: any;
  private agent?: Proc;
  private app?: Proc;
  private appEnv: Record<string, string> = {};
  private statusPort = 0;
  /** Where the agent writes the workload's certificate (`OUTPUT_CERTS`, under the pod root). */
  private certsDir = "";

  constructor(readonly opts: WorkloadOptions) {
    this.kubeconfig = opts.istiod.kubeconfig;
    this.ip = opts.ip ?? loopbackAddress(opts.ports ?? []);
  }

  private kc(args: string[], input?: string): string {
    return mustRun("kubectl", ["--kubeconfig", this.kubeconfig, ...args], { input });
  }

  get spiffeId(): string {
    return `spiffe://${this.trustDomain()}/ns/${this.opts.namespace}/sa/${this.opts.serviceAccount}`;
  }

  private trustDomain(): string {
    const c = this.pod ? this.proxyContainer() : undefined;
    return c?.env?.find((e: any) => e.name === "TRUST_DOMAIN")?.value ?? "cluster.local";
  }

  /** The pod a user would write for a proxyless gRPC workload (istio.io: grpc-agent template). */
  podSpec(): any {
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: this.opts.name,
        namespace: this.opts.namespace,
        labels: { app: this.opts.name, ...(this.opts.labels ?? {}) },
        annotations: {
          "inject.istio.io/templates": "grpc-agent",
          "proxy.istio.io/config": '{"holdApplicationUntilProxyStarts": true}',
          ...(this.opts.annotations ?? {}),
        },
      },
      spec: {
        serviceAccountName: this.opts.serviceAccount,
        containers: [
          {
            name: "app",
            image: "grpc-echo",
            ports: (this.opts.ports ?? []).map((p) => ({ containerPort: p, protocol: "TCP" })),
          },
        ],
      },
    };
  }

  /**
   * The API server's admission of the pod: ServiceAccount plugin, then the injection webhook whose
   * selectors match (called on the running istiod with the webhook's path, verified with its caBundle).
   */
  admit(): any {
    // The API server's defaulting and built-in admission (ServiceAccount plugin: the kube-api-access
    // volume), by a server-side dry run; the injection webhook is kept out of it by its own
    // objectSelector (it points at a Service no pod backs here) and called below instead.
    const draft = this.podSpec();
    draft.metadata.labels[SKIP_WEBHOOK] = "false";
    const pod = JSON.parse(this.kc(["create", "--dry-run=server", "-o", "json", "-f", "-"], JSON.stringify(draft)));
    delete pod.metadata.labels[SKIP_WEBHOOK];
    const ns = getCoreObject(this.kubeconfig, "namespace", this.opts.namespace);
    if (!ns)
      throw new Error(`pod ${this.opts.namespace}/${this.opts.name}: namespace ${this.opts.namespace} not found`);
    const configs = mutatingWebhookConfigurations(this.kubeconfig).items;
    const hooks = configs
      .flatMap((c: any) => (c.webhooks ?? []).map((w: any) => ({ config: c.metadata.name, ...w })))
      .filter(
        (w: any) =>
          w.clientConfig?.service?.namespace === this.opts.istiod.namespace &&
          selects(w.namespaceSelector, ns.metadata.labels ?? {}) &&
          selects(w.objectSelector, pod.metadata.labels ?? {}),
      );
    if (hooks.length !== 1) {
      throw new Error(
        `pod ${this.opts.namespace}/${this.opts.name}: ${hooks.length} injection webhooks of ${this.opts.istiod.namespace} match (want 1): ${hooks.map((h: any) => `${h.config}/${h.name}`).join(", ") || "is the namespace labelled for injection?"}`,
      );
    }
    const hook = hooks[0];
    const svc = hook.clientConfig.service;
    const host = `${svc.name}.${svc.namespace}.svc`;
    // The caBundle istiod patches into its webhook configuration (what the API server verifies it with).
    const caBundle = waitFor(
      `caBundle of webhook ${hook.name}`,
      () => {
        const c = mutatingWebhookConfigurations(this.kubeconfig, hook.config);
        const b = c?.webhooks?.find((w: any) => w.name === hook.name)?.clientConfig?.caBundle;
        return b ? Buffer.from(b, "base64").toString("utf8") : undefined;
      },
      60000,
    );
    const dir = fs.mkdtempSync(path.join(e2eEnv().dir, "admit-"));
    try {
      fs.writeFileSync(path.join(dir, "ca.pem"), caBundle);
      const uid = randomUUID();
      const review = {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: {
          uid,
          kind: { group: "", version: "v1", kind: "Pod" },
          resource: { group: "", version: "v1", resource: "pods" },
          requestKind: { group: "", version: "v1", kind: "Pod" },
          requestResource: { group: "", version: "v1", resource: "pods" },
          name: this.opts.name,
          namespace: this.opts.namespace,
          operation: "CREATE",
          userInfo: { username: "system:admin", groups: ["system:masters", "system:authenticated"] },
          object: pod,
          oldObject: null,
          dryRun: false,
          options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" },
        },
      };
      const port = this.opts.istiod.ports!.https;
      const r = run(
        "curl",
        [
          "-sS",
          "--fail-with-body",
          "--max-time",
          "30",
          "--cacert",
          path.join(dir, "ca.pem"),
          "--resolve",
          `${host}:${port}:127.0.0.1`,
          "-H",
          "Content-Type: application/json",
          "--data-binary",
          "@-",
          `https://${host}:${port}${svc.path ?? "/"}`,
        ],
        { input: JSON.stringify(review) },
      );
      if (r.code !== 0)
        throw new Error(`injection webhook ${hook.name} (${svc.path}): curl exited ${r.code}: ${r.stderr}${r.stdout}`);
      const response = JSON.parse(r.stdout).response;
      if (!response?.allowed || response.uid !== uid)
        throw new Error(`injection webhook ${hook.name} refused the pod: ${r.stdout}`);
      const patch = response.patch ? JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) : [];
      return applyJsonPatch(pod, patch);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The injected `istio-proxy` container (a native sidecar in initContainers, or a container). */
  proxyContainer(): any {
    const c = [...(this.pod.spec.initContainers ?? []), ...this.pod.spec.containers].find(
      (x: any) => x.name === "istio-proxy",
    );
    if (!c)
      throw new Error(`pod ${this.opts.namespace}/${this.opts.name} has no istio-proxy container after injection`);
    return c;
  }

  appContainer(): any {
    return this.pod.spec.containers.find((x: any) => x.name === "app");
  }

  /** A container's env as the kubelet resolves it, in order, with `$(VAR)` expansion. */
  private containerEnv(container: any): Record<string, string> {
    const env: Record<string, string> = {};
    const fields: Record<string, string> = {
      "metadata.name": this.opts.name,
      "metadata.namespace": this.opts.namespace,
      "spec.serviceAccountName": this.opts.serviceAccount,
      "status.podIP": this.ip,
      "status.podIPs": this.ip,
      "status.hostIP": "127.0.0.1",
      "spec.nodeName": "local",
    };
    for (const e of container.env ?? []) {
      if (e.value !== undefined) {
        env[e.name] = expand(e.value, env);
        continue;
      }
      const p = e.valueFrom?.fieldRef?.fieldPath;
      if (p && p in fields) {
        env[e.name] = fields[p];
        continue;
      }
      if (e.valueFrom?.resourceFieldRef) continue; // limits: the Go runtime's defaults here
      throw new Error(`env ${e.name} of ${container.name}: ${JSON.stringify(e.valueFrom)} not emulated`);
    }
    return env;
  }

  /** The volumes a container mounts, written under the pod root (refresh: ConfigMaps/Secrets only). */
  private mountVolumes(container: any, refresh = false): void {
    const ns = this.opts.namespace;
    const source = (
      kind: "configmap" | "secret",
      name: string,
      optional: boolean,
      items?: { key: string; path: string }[],
    ) => {
      // A missing required source holds the pod in ContainerCreating until it appears (the kubelet
      // retries the mount), e.g. istio-ca-root-cert in a namespace istiod has not seen yet.
      // null: absent and optional.
      const obj = waitFor(
        `${kind} ${ns}/${name} for a volume of ${this.opts.name}`,
        () => getCoreObject(this.kubeconfig, kind, name, ns) ?? (optional ? null : undefined),
        60000,
      );
      if (obj === null) return {};
      const data = obj.data ?? {};
      const all: Record<string, Buffer> = Object.fromEntries(
        Object.entries<string>(data).map(([k, v]) => [
          k,
          kind === "secret" ? Buffer.from(v, "base64") : Buffer.from(v),
        ]),
      );
      return items ? Object.fromEntries(items.filter((i) => i.key in all).map((i) => [i.path, all[i.key]])) : all;
    };
    const downward = (item: any): Buffer => {
      const p = item.fieldRef?.fieldPath;
      if (p === "metadata.labels") return Buffer.from(formatMap(this.pod.metadata.labels ?? {}));
      if (p === "metadata.annotations") return Buffer.from(formatMap(this.pod.metadata.annotations ?? {}));
      if (p === "metadata.namespace") return Buffer.from(ns);
      if (p === "metadata.name") return Buffer.from(this.opts.name);
      throw new Error(`downwardAPI ${JSON.stringify(item)} not emulated`);
    };
    for (const m of container.volumeMounts ?? []) {
      const vol = this.pod.spec.volumes.find((v: any) => v.name === m.name);
      if (!vol) throw new Error(`volumeMount ${m.name} of ${container.name} has no volume`);
      const target = path.join(this.podRoot, m.mountPath);
      // A volume without a source is an emptyDir: the API server's defaulting (SetDefaults_Volume),
      // which the webhook's patch (`- emptyDir:` with no value) relies on.
      const sourceless = Object.keys(vol).every((k) => k === "name");
      if (vol.emptyDir || sourceless) {
        fs.mkdirSync(target, { recursive: true });
        continue;
      }
      let files: Record<string, Buffer> = {};
      if (vol.configMap)
        files = source("configmap", vol.configMap.name, vol.configMap.optional === true, vol.configMap.items);
      else if (vol.secret)
        files = source("secret", vol.secret.secretName, vol.secret.optional === true, vol.secret.items);
      else if (vol.downwardAPI) {
        if (refresh) continue;
        for (const item of vol.downwardAPI.items ?? []) files[item.path] = downward(item);
      } else if (vol.projected) {
        if (refresh) continue;
        for (const s of vol.projected.sources ?? []) {
          if (s.serviceAccountToken) {
            const t = s.serviceAccountToken;
            files[t.path] = Buffer.from(
              this.opts.istiod.token(ns, this.opts.serviceAccount, t.audience, t.expirationSeconds ?? 3600),
            );
          } else if (s.configMap || s.secret) {
            Object.assign(
              files,
              source(
                s.configMap ? "configmap" : "secret",
                (s.configMap ?? s.secret).name,
                (s.configMap ?? s.secret).optional === true,
                (s.configMap ?? s.secret).items,
              ),
            );
          } else if (s.downwardAPI) {
            for (const item of s.downwardAPI.items ?? []) files[item.path] = downward(item);
          } else {
            throw new Error(`projected volume ${vol.name}: ${JSON.stringify(s)} not emulated`);
          }
        }
      } else {
        throw new Error(`volume ${vol.name}: ${JSON.stringify(vol)} not emulated`);
      }
      atomicWrite(target, files);
    }
  }

  /**
   * Admits the pod and starts istio-agent (the `istio-proxy` container); `waitReady` (default) waits
   * for postStart (`/healthz/ready`) and the certificate files. `start()` then `ready()` lets several
   * workloads start in parallel.
   */
  start(waitReady = true): this {
    if (!getCoreObject(this.kubeconfig, "serviceaccount", this.opts.serviceAccount, this.opts.namespace)) {
      this.kc(["create", "serviceaccount", this.opts.serviceAccount, "-n", this.opts.namespace]);
    }
    this.pod = this.admit();
    generation += 1;
    this.dir = path.join(e2eEnv().dir, "workloads", this.opts.label, `${this.opts.name}-${generation}`);
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.podRoot = path.join(this.dir, "root");
    fs.mkdirSync(this.podRoot, { recursive: true });
    const proxy = this.proxyContainer();
    this.mountVolumes(proxy);
    const app = this.appContainer();
    if (app) this.mountVolumes(app);

    const env: Record<string, string> = this.containerEnv(proxy);
    const [statusPort] = freePorts(1);
    this.statusPort = statusPort;
    const istiodAddr = `localhost:${this.opts.istiod.ports!.secureGrpc}`;
    const proxyConfig = JSON.parse(env.PROXY_CONFIG ?? "{}");
    proxyConfig.discoveryAddress = istiodAddr;
    proxyConfig.statusPort = statusPort;
    proxyConfig.configPath = path.join(this.podRoot, proxyConfig.configPath ?? "./etc/istio/proxy");
    env.PROXY_CONFIG = JSON.stringify(proxyConfig);
    if (env.CA_ADDR) env.CA_ADDR = istiodAddr;
    if (!env.OUTPUT_CERTS)
      throw new Error("the grpc-agent render has no OUTPUT_CERTS: istio-agent would write no certificate for the app");
    this.certsDir = path.join(this.podRoot, env.OUTPUT_CERTS);
    env.OUTPUT_CERTS = this.certsDir;
    this.appEnv = app ? this.containerEnv(app) : {};
    if (this.appEnv.GRPC_XDS_BOOTSTRAP)
      this.appEnv.GRPC_XDS_BOOTSTRAP = path.join(this.podRoot, this.appEnv.GRPC_XDS_BOOTSTRAP);

    const base = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: this.dir, TMPDIR: this.dir };
    const args = (proxy.args ?? []).map((a: string) => expand(a, env));
    fs.writeFileSync(path.join(this.dir, "pod.json"), JSON.stringify(this.pod, null, 1));
    this.agent = new Proc(path.join(this.dir, "istio-proxy.log")).start(
      path.join(BIN, "pilot-agent"),
      args,
      this.podRoot,
      { ...base, ...env },
    );
    this.appEnv = { ...base, ...this.appEnv };
    if (waitReady) this.ready();
    return this;
  }

  /** postStart (`pilot-agent wait`: /healthz/ready), then the certificate files of OUTPUT_CERTS. */
  ready(): this {
    waitFor(
      `istio-agent of ${this.opts.namespace}/${this.opts.name} ready`,
      () => {
        if (this.agent!.exited()) throw new Error(`istio-agent of ${this.opts.name} exited:\n${this.agentLogTail()}`);
        const r = run("curl", ["-fsS", "--max-time", "2", `http://127.0.0.1:${this.statusPort}/healthz/ready`]);
        return r.code === 0 ? true : undefined;
      },
      60000,
      () => this.agentLogTail(),
    );
    waitFor(
      `certificates of ${this.opts.name} in OUTPUT_CERTS`,
      () =>
        ["cert-chain.pem", "key.pem", "root-cert.pem"].every(
          (f) => fs.existsSync(path.join(this.certsDir, f)) && fs.statSync(path.join(this.certsDir, f)).size > 0,
        )
          ? true
          : undefined,
      60000,
      () => this.agentLogTail(),
    );
    return this;
  }

  /** The certificate istio-agent wrote for the app (OUTPUT_CERTS). */
  certs(): AgentCerts {
    const read = (f: string) => fs.readFileSync(path.join(this.certsDir, f), "utf8");
    return { chain: read("cert-chain.pem"), key: read("key.pem"), root: read("root-cert.pem") };
  }

  /** Starts the app container's process (`tools/bin/grpc-echo <args>`) with its rendered env. */
  startApp(args: string[]): this {
    this.app = new Proc(path.join(this.dir, "app.log")).start(
      path.join(BIN, "grpc-echo"),
      args,
      this.podRoot,
      this.appEnv,
    );
    return this;
  }

  /** `kubectl exec` in the app container: `tools/bin/grpc-echo <args>` with its env; waits for it. */
  exec(args: string[], timeoutMs = 60000): Ran {
    return run(path.join(BIN, "grpc-echo"), args, { cwd: this.podRoot, env: this.appEnv, timeoutMs });
  }

  appLog(): string {
    return this.app?.log() ?? "";
  }

  agentLog(): string {
    return this.agent?.log() ?? "";
  }

  agentLogTail(lines = 40): string {
    return this.agentLog().split("\n").slice(-lines).join("\n");
  }

  /** Whether the agent (the pod) is running. */
  running(): boolean {
    return this.agent !== undefined && !this.agent.exited();
  }

  appExited(): boolean {
    return this.app?.exited() ?? true;
  }

  /** The kubelet's periodic volume sync: ConfigMaps and Secrets rewritten in place (e.g. istio-ca-root-cert). */
  syncVolumes(): void {
    for (const c of [this.proxyContainer(), this.appContainer()].filter(Boolean)) this.mountVolumes(c, true);
  }

  /** Pod deletion: the app, then the agent. Idempotent. */
  stop(): void {
    this.app?.stop();
    this.agent?.stop();
  }
}
