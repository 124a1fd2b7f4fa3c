import { ChildProcess, spawn, spawnSync } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { parse, stringify } from "yaml";
import { createToken, getCoreObject } from "./kubeApi";
import { ROOT, e2eEnv, mustRun, run } from "./support";

/**
 * istiod — Istio's own `pilot-discovery`, built from the pinned istio.io/istio module (tools/build.sh,
 * group istio) — run as a LOCAL PROCESS against the local control plane, in place of the pod the
 * kubelet would run (there is no kubelet here). What the kubelet and the Deployment controller would
 * do, this runner does from what our stack wrote to the API server, and nothing else:
 *
 * - args and env of the `discovery` container as the chart rendered them through the provider
 *   (fieldRef values resolved as the kubelet would: pod name, namespace, service account; resource
 *   limits left to Go's defaults); only the listen addresses are moved to free loopback ports;
 * - every Secret/ConfigMap/projected/emptyDir volume of the pod written under a private directory
 *   (the pod's "/") at its mountPath, files named by the Secret/ConfigMap keys, in the kubelet's
 *   atomic-writer layout (`..data` symlink to a timestamped directory, one symlink per key); istiod
 *   runs with that directory as its working directory, like the image's WORKDIR `/`, so its default
 *   `./etc/cacerts` is the mounted `cacerts` (ROOT_CA_DIR is set to that path explicitly);
 * - istiod talks to the API server as its own service account (a TokenRequest token), so the
 *   chart's ClusterRole/Role are what authorize it, not cluster-admin;
 * - `sync()`: a changed Secret is rewritten in place (the kubelet's periodic volume sync: istiod must
 *   notice by itself); a changed pod template restarts istiod (the Deployment's rollout);
 * - the pod is admitted as the API server would admit it: the ServiceAccount admission plugin's
 *   `kube-api-access-*` volume in every container, then, when given, a mutating webhook
 *   (`PodAdmission`, e.g. the vault-agent injector) whose init containers run to completion before
 *   istiod starts and whose sidecars run beside it, all sharing the pod's directory.
 *
 * Workload certificates are asked for the way istio-agent asks (tools/istio/istio-ca-client: gRPC
 * CreateCertificate on istiod's 15012, bearer token from TokenRequest with audience istio-ca).
 */

const BIN = path.join(ROOT, "tools/bin");
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** PEM certificates of a bundle, in order. */
export const pemCerts = (bundle: string): string[] => bundle.match(PEM_CERT) ?? [];
/** SHA-256 fingerprints of the certificates of a bundle, in order. */
export const fingerprints = (bundle: string): string[] =>
  pemCerts(bundle).map((p) => new X509Certificate(p).fingerprint256);

/** Blocks for `ms` (between polls of a condition; never an assertion by itself). */
export const pause = (ms: number): void => {
  spawnSync("sleep", [String(ms / 1000)]);
};

/** Polls `probe` until it returns a value other than undefined; throws with `describe()` on timeout. */
export function waitFor<T>(
  what: string,
  probe: () => T | undefined,
  timeoutMs = 60000,
  describe: () => string = () => "",
): T {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}\n${describe()}`);
    pause(500);
  }
}

/** n free TCP ports on 127.0.0.1 (bound to port 0 and released by a child node process). */
export function freePorts(n: number): number[] {
  const script = `const net=require("net");const s=[];let k=0;for(let i=0;i<${n};i++){const x=net.createServer();x.listen(0,"127.0.0.1",()=>{s.push(x);if(++k===${n}){console.log(JSON.stringify(s.map(y=>y.address().port)));s.forEach(y=>y.close());}});}`;
  return JSON.parse(mustRun(process.execPath, ["-e", script]));
}

/**
 * The kubelet's AtomicWriter layout: files in `..<timestamp>`, `..data` -> that dir (swapped by a
 * rename), and one symlink per key `<key>` -> `..data/<key>`. Returns true when the content changed.
 */
export function atomicWrite(dir: string, files: Record<string, Buffer>, mode = 0o644): boolean {
  fs.mkdirSync(dir, { recursive: true });
  const data = path.join(dir, "..data");
  const current = fs.existsSync(data) ? fs.readlinkSync(data) : undefined;
  if (current) {
    const old = fs.readdirSync(path.join(dir, current)).sort();
    if (
      old.join("\n") === Object.keys(files).sort().join("\n") &&
      old.every((k) => fs.readFileSync(path.join(dir, current, k)).equals(files[k]))
    )
      return false;
  }
  const ts = `..${new Date().toISOString().replace(/[-:.TZ]/g, "_")}${process.hrtime.bigint()}`;
  fs.mkdirSync(path.join(dir, ts));
  for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, ts, k), v, { mode });
  const tmp = path.join(dir, "..data_tmp");
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(ts, tmp);
  fs.renameSync(tmp, data);
  for (const k of Object.keys(files))
    if (!fs.existsSync(path.join(dir, k))) fs.symlinkSync(path.join("..data", k), path.join(dir, k));
  for (const e of fs.readdirSync(dir)) {
    if (!e.startsWith("..") && !(e in files)) fs.rmSync(path.join(dir, e), { force: true });
  }
  if (current) fs.rmSync(path.join(dir, current), { recursive: true, force: true });
  return true;
}

export interface IstiodOptions {
  /** Directory name under $E2E_DIR/istiod. */
  label: string;
  namespace?: string;
  deployment?: string;
  /** Admin kubeconfig of the control plane (default: $KUBECONFIG). */
  kubeconfig?: string;
  /** A mutating webhook the pod goes through at creation, and the containers it adds (default: none). */
  admission?: PodAdmission;
}

/** What a pod's containers other than istiod get from the runner: their directory and environment. */
export interface PodContext {
  /** The pod's "/" (every volume is written at its mountPath under it). */
  readonly podRoot: string;
  /** The pod as admitted (after the webhook). */
  readonly pod: any;
  /** A container's environment as the kubelet would resolve it (fieldRefs, Secret/ConfigMap refs). */
  env(container: any): Record<string, string>;
}

/** A mutating admission webhook emulated for istiod's pod, and the runtime of the containers it adds. */
export interface PodAdmission {
  /** The webhook's mutation of the pod (`{ metadata, spec }`) in `namespace`. */
  admit(pod: any, namespace: string): any;
  /** Runs the pod's init containers this admission added, to completion; throws when one fails. */
  runInitContainers(ctx: PodContext): void;
  /** Starts the sidecar containers this admission added (istiod is running). */
  startSidecars(ctx: PodContext): void;
  /** Stops them (pod deletion). */
  stop(): void;
}

/** Where the ServiceAccount admission plugin mounts the pod's API credentials. */
const SA_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * The ServiceAccount admission plugin (kube-apiserver, plugin/pkg/admission/serviceaccount): unless
 * automounting is off, a `kube-api-access-*` projected volume (token, the cluster CA from
 * `kube-root-ca.crt`, the namespace) mounted read-only at SA_MOUNT_PATH in every container.
 */
export function admitServiceAccount(pod: any): any {
  const out = JSON.parse(JSON.stringify(pod));
  if (out.spec.automountServiceAccountToken === false) return out;
  const all = [...(out.spec.initContainers ?? []), ...(out.spec.containers ?? [])];
  if (all.some((c: any) => (c.volumeMounts ?? []).some((m: any) => m.mountPath === SA_MOUNT_PATH))) return out;
  const name = "kube-api-access-local";
  out.spec.volumes = [
    ...(out.spec.volumes ?? []),
    {
      name,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
          { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
          {
            downwardAPI: {
              items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }],
            },
          },
        ],
      },
    },
  ];
  for (const c of all) c.volumeMounts = [...(c.volumeMounts ?? []), { name, mountPath: SA_MOUNT_PATH, readOnly: true }];
  return out;
}

interface Ports {
  http: number;
  https: number;
  grpc: number;
  secureGrpc: number;
  monitoring: number;
  ctrlz: number;
}

export interface IssuedLeaf {
  /** What CreateCertificate returned, one PEM per element (leaf first, roots last). */
  chain: string[];
  leaf: X509Certificate;
  /** The certificates of the response after the leaf that are not self-signed (intermediates). */
  intermediates: string[];
}

/**
 * What `sync()` reads from the API server: istiod's Deployment and the namespace's Secrets and
 * ConfigMaps (its volumes can only name objects of its own namespace).
 */
export interface PodSources {
  deployment: any;
  objects: Map<string, any>;
}

function podSources(namespace: string, deployment: string, items: any[]): PodSources {
  const objects = new Map<string, any>();
  let dep: any;
  for (const o of items) {
    if (o.kind === "Deployment") {
      if (o.metadata.name === deployment) dep = o;
    } else objects.set(`${o.kind.toLowerCase()}/${o.metadata.name}`, o);
  }
  if (!dep) throw new Error(`deployment ${namespace}/${deployment} not found`);
  return { deployment: dep, objects };
}

/**
 * JSON with every object's keys sorted: kubectl prints an object's keys sorted, the API server in
 * its Go struct's order, and a pod template must compare equal either way.
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map((k) => [k, x[k]]),
        )
      : x,
  );
}

/** GET of an API path with the kubeconfig's client certificate, from this process (no kubectl). */
function apiGet(kubeconfig: string, apiPath: string): Promise<any> {
  const k = parse(fs.readFileSync(kubeconfig, "utf8"));
  const ctx = k.contexts.find((c: any) => c.name === k["current-context"]).context;
  const cluster = k.clusters.find((c: any) => c.name === ctx.cluster).cluster;
  const user = k.users.find((u: any) => u.name === ctx.user).user;
  const b64 = (v: string) => Buffer.from(v, "base64");
  return new Promise((resolve, reject) => {
    const req = https.get(
      new URL(apiPath, cluster.server),
      {
        ca: b64(cluster["certificate-authority-data"]),
        cert: b64(user["client-certificate-data"]),
        key: b64(user["client-key-data"]),
        timeout: 10000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200) reject(new Error(`GET ${apiPath}: ${res.statusCode} ${body.slice(0, 500)}`));
          else resolve(JSON.parse(body));
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${apiPath}: timed out`)));
    req.on("error", reject);
  });
}

export class LocalIstiod {
  readonly namespace: string;
  readonly deployment: string;
  readonly kubeconfig: string;
  private proc?: ChildProcess;
  private template = "";
  /** The pod as admitted (ServiceAccount plugin, then `opts.admission`). */
  private admitted: any;
  private generation = 0;
  /** Restarts caused by a changed pod template (a rollout), in order. */
  readonly rollouts: string[] = [];
  podRoot = "";
  logFile = "";
  ports?: Ports;
  serviceAccount = "";

  constructor(readonly opts: IstiodOptions) {
    this.namespace = opts.namespace ?? "istio-system";
    this.deployment = opts.deployment ?? "istiod";
    this.kubeconfig = opts.kubeconfig ?? e2eEnv({ apiserver: true }).kubeconfig;
  }

  private kc(args: string[], input?: string): string {
    return mustRun("kubectl", ["--kubeconfig", this.kubeconfig, ...args], { input });
  }

  private getJson(...args: string[]): any {
    return JSON.parse(this.kc(["get", ...args, "-o", "json"]));
  }

  /** The pod template of istiod's Deployment, as stored on the API server. */
  podTemplate(): any {
    return this.getJson("deployment", this.deployment, "-n", this.namespace).spec.template;
  }

  /** istiod's Deployment and its namespace's Secrets and ConfigMaps, in one `kubectl get`. */
  readSources(): PodSources {
    const list = JSON.parse(this.kc(["get", "deployments,secrets,configmaps", "-n", this.namespace, "-o", "json"]));
    return podSources(this.namespace, this.deployment, list.items);
  }

  /**
   * The same as readSources, over HTTPS from this process: for a loop that syncs every second, where
   * a kubectl process per object kept a core busy.
   */
  async fetchSources(): Promise<PodSources> {
    const ns = encodeURIComponent(this.namespace);
    const lists = await Promise.all(
      [
        `/apis/apps/v1/namespaces/${ns}/deployments`,
        `/api/v1/namespaces/${ns}/secrets?fieldSelector=${encodeURIComponent("type!=helm.sh/release.v1")}`,
        `/api/v1/namespaces/${ns}/configmaps`,
      ].map((p) => apiGet(this.kubeconfig, p)),
    );
    const kinds = ["Deployment", "Secret", "ConfigMap"];
    // A list's items carry no kind: the list's own kind says it. (Helm's release Secrets, the
    // largest objects there and never a volume of istiod, stay on the server.)
    const items = lists.flatMap((l, i) => l.items.map((o: any) => ({ ...o, kind: kinds[i] })));
    return podSources(this.namespace, this.deployment, items);
  }

  /** A TokenRequest (`kubectl create token`) for a service account. */
  token(namespace: string, serviceAccount: string, audience?: string, seconds = 3600): string {
    return createToken(this.kubeconfig, namespace, serviceAccount, { audience, seconds });
  }

  /** Starts istiod from the Deployment on the server; waits for /ready. */
  start(): this {
    const stored = this.podTemplate();
    this.template = canonicalJson(stored);
    let template = admitServiceAccount(stored);
    if (this.opts.admission) template = this.opts.admission.admit(template, this.namespace);
    this.admitted = template;
    const spec = template.spec;
    const container = spec.containers.find((c: any) => c.name === "discovery");
    if (!container) throw new Error(`deployment ${this.namespace}/${this.deployment} has no discovery container`);
    this.serviceAccount = spec.serviceAccountName ?? "default";
    this.generation += 1;
    const dir = path.join(e2eEnv().dir, "istiod", `${this.opts.label}-${this.generation}`);
    fs.rmSync(dir, { recursive: true, force: true });
    this.podRoot = path.join(dir, "root");
    fs.mkdirSync(this.podRoot, { recursive: true });
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) this.mountVolumes(spec, c, false);
    const pod: PodContext = { podRoot: this.podRoot, pod: template, env: (c) => this.containerEnv(c, template) };
    this.opts.admission?.runInitContainers(pod);

    // istiod's own API credentials: its service account's token, as in-cluster config would give it.
    const admin = parse(fs.readFileSync(this.kubeconfig, "utf8"));
    const ctx = admin.contexts.find((c: any) => c.name === admin["current-context"]).context;
    const cluster = admin.clusters.find((c: any) => c.name === ctx.cluster).cluster;
    const kubeconfig = path.join(dir, "istiod.kubeconfig");
    fs.writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "sa",
        clusters: [{ name: "local", cluster }],
        users: [{ name: "sa", user: { token: this.token(this.namespace, this.serviceAccount, undefined, 24 * 3600) } }],
        contexts: [{ name: "sa", context: { cluster: "local", user: "sa", namespace: this.namespace } }],
      }),
      { mode: 0o600 },
    );

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      TMPDIR: dir,
      ...this.containerEnv(container, template),
    };
    delete env.KUBECONFIG; // the chart's remote-cluster kubeconfig path; --kubeconfig below is ours
    // ROOT_CA_DIR as it resolves in the container (WORKDIR /): the mounted cacerts.
    env.ROOT_CA_DIR = path.join(this.podRoot, env.ROOT_CA_DIR ?? "/etc/cacerts");

    // A rollout keeps the ports: the Service's address does not change when its pods do (workloads reconnect to it).
    const kept = this.ports;
    const [http, https, grpc, secureGrpc, monitoring, ctrlz] = kept
      ? [kept.http, kept.https, kept.grpc, kept.secureGrpc, kept.monitoring, kept.ctrlz]
      : freePorts(6);
    this.ports = { http, https, grpc, secureGrpc, monitoring, ctrlz };
    const moved = [
      "--httpAddr",
      "--httpsAddr",
      "--grpcAddr",
      "--secureGRPCAddr",
      "--monitoringAddr",
      "--ctrlz_port",
      "--kubeconfig",
    ];
    const args: string[] = [];
    const given: string[] = container.args ?? [];
    for (let i = 0; i < given.length; i++) {
      const flag = given[i].split("=")[0];
      if (moved.includes(flag)) {
        if (!given[i].includes("=")) i++;
        continue;
      }
      args.push(given[i]);
    }
    args.push(
      `--kubeconfig=${kubeconfig}`,
      `--httpAddr=127.0.0.1:${http}`,
      `--httpsAddr=127.0.0.1:${https}`,
      `--grpcAddr=127.0.0.1:${grpc}`,
      `--secureGRPCAddr=127.0.0.1:${secureGrpc}`,
      `--monitoringAddr=127.0.0.1:${monitoring}`,
      `--ctrlz_port=${ctrlz}`,
      "--ctrlz_address=127.0.0.1",
    );

    this.logFile = path.join(dir, "istiod.log");
    const fd = fs.openSync(this.logFile, "a");
    fs.writeSync(fd, `# ${path.join(BIN, "pilot-discovery")} ${args.join(" ")}\n# env ${JSON.stringify(env)}\n`);
    this.proc = spawn(path.join(BIN, "pilot-discovery"), args, { cwd: this.podRoot, env, stdio: ["ignore", fd, fd] });
    fs.closeSync(fd);
    waitFor(
      "istiod /ready",
      () => {
        if (this.exited()) throw new Error(`istiod exited:\n${this.logTail()}`);
        const r = run("curl", ["-fsS", "--max-time", "2", `http://127.0.0.1:${http}/ready`]);
        return r.code === 0 ? true : undefined;
      },
      180000,
      () => this.logTail(),
    );
    this.opts.admission?.startSidecars(pod);
    return this;
  }

  /** A container's env as the kubelet resolves it (entries resolving to nothing left out). */
  containerEnv(container: any, template: any): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of container.env ?? []) {
      const v = this.envValue(e, template);
      if (v !== undefined) env[e.name] = v;
    }
    return env;
  }

  /** The kubelet's value of one env entry of the container (undefined: not set). */
  private envValue(e: any, template: any): string | undefined {
    if (e.value !== undefined) return String(e.value);
    if (e.valueFrom === undefined) return ""; // `- name: X` alone: set, empty (e.g. the chart's PLATFORM)
    const f = e.valueFrom;
    if (f.fieldRef) {
      const p = f.fieldRef.fieldPath;
      const known: Record<string, string> = {
        "metadata.name": `${this.deployment}-local-${this.generation}`,
        "metadata.namespace": this.namespace,
        "spec.serviceAccountName": this.serviceAccount,
        "status.podIP": "127.0.0.1",
        "status.hostIP": "127.0.0.1",
        "spec.nodeName": "local",
      };
      if (p in known) return known[p];
      const label = /^metadata\.labels\['(.+)'\]$/.exec(p);
      if (label) return template.metadata?.labels?.[label[1]] ?? "";
      throw new Error(`env ${e.name}: fieldRef ${p} not emulated`);
    }
    if (f.resourceFieldRef) return undefined; // GOMAXPROCS/GOMEMLIMIT from limits: Go's defaults here
    if (f.secretKeyRef || f.configMapKeyRef) {
      const ref = f.secretKeyRef ?? f.configMapKeyRef;
      const kind = f.secretKeyRef ? "secret" : "configmap";
      const obj = getCoreObject(this.kubeconfig, kind, ref.name, this.namespace);
      if (!obj) {
        if (ref.optional) return undefined;
        throw new Error(`env ${e.name}: ${kind} ${this.namespace}/${ref.name} not found`);
      }
      const data = obj.data ?? {};
      if (!(ref.key in data)) {
        if (ref.optional) return undefined;
        throw new Error(`env ${e.name}: no key ${ref.key}`);
      }
      return f.secretKeyRef ? Buffer.from(data[ref.key], "base64").toString("utf8") : data[ref.key];
    }
    throw new Error(`env ${e.name}: ${JSON.stringify(f)} not emulated`);
  }

  /** Files of a Secret/ConfigMap volume source (undefined: missing and optional). */
  private sourceFiles(
    kind: "secret" | "configmap",
    name: string,
    optional: boolean,
    items?: { key: string; path: string }[],
    sources?: PodSources,
  ): Record<string, Buffer> | undefined {
    let obj: any;
    if (sources) {
      obj = sources.objects.get(`${kind}/${name}`);
      if (!obj) {
        if (optional) return undefined;
        throw new Error(`volume from ${kind} ${this.namespace}/${name}: not found`);
      }
    } else {
      obj = getCoreObject(this.kubeconfig, kind, name, this.namespace);
      if (!obj) {
        if (optional) return undefined;
        throw new Error(`volume from ${kind} ${this.namespace}/${name}: not found`);
      }
    }
    const all: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries<string>(obj.data ?? {}))
      all[k] = kind === "secret" ? Buffer.from(v, "base64") : Buffer.from(v, "utf8");
    for (const [k, v] of Object.entries<string>(obj.binaryData ?? {})) all[k] = Buffer.from(v, "base64");
    if (!items) return all;
    return Object.fromEntries(items.filter((i) => i.key in all).map((i) => [i.path, all[i.key]]));
  }

  /**
   * Writes every volume of the pod at its mountPath under podRoot. `refresh`: only Secret and
   * ConfigMap content is rewritten (the kubelet's sync; tokens and emptyDirs are left as they are).
   * Returns the mount paths whose content changed.
   */
  private mountVolumes(spec: any, container: any, refresh: boolean, sources?: PodSources): string[] {
    const changed: string[] = [];
    for (const m of container.volumeMounts ?? []) {
      const vol = (spec.volumes ?? []).find((v: any) => v.name === m.name);
      if (!vol) throw new Error(`volumeMount ${m.name} has no volume`);
      if (m.subPath) throw new Error(`volumeMount ${m.name}: subPath not emulated`);
      const target = path.join(this.podRoot, m.mountPath);
      let files: Record<string, Buffer> | undefined;
      if (vol.secret) {
        files =
          this.sourceFiles("secret", vol.secret.secretName, vol.secret.optional === true, vol.secret.items, sources) ??
          {};
      } else if (vol.configMap) {
        files =
          this.sourceFiles(
            "configmap",
            vol.configMap.name,
            vol.configMap.optional === true,
            vol.configMap.items,
            sources,
          ) ?? {};
      } else if (vol.projected) {
        if (refresh) continue;
        files = {};
        for (const s of vol.projected.sources ?? []) {
          if (s.serviceAccountToken) {
            files[s.serviceAccountToken.path] = Buffer.from(
              this.token(
                this.namespace,
                this.serviceAccount,
                s.serviceAccountToken.audience,
                s.serviceAccountToken.expirationSeconds ?? 3600,
              ),
            );
          } else if (s.configMap || s.secret) {
            const src = s.configMap ?? s.secret;
            Object.assign(
              files,
              this.sourceFiles(s.configMap ? "configmap" : "secret", src.name, src.optional === true, src.items) ?? {},
            );
          } else if (s.downwardAPI) {
            for (const item of s.downwardAPI.items ?? []) {
              const known: Record<string, string> = {
                "metadata.namespace": this.namespace,
                "metadata.name": `${this.deployment}-local-${this.generation}`,
              };
              if (!(item.fieldRef?.fieldPath in known))
                throw new Error(`projected volume ${vol.name}: downwardAPI ${JSON.stringify(item)} not emulated`);
              files[item.path] = Buffer.from(known[item.fieldRef.fieldPath]);
            }
          } else if (s.clusterTrustBundle?.optional) {
            // no ClusterTrustBundle objects here: an optional one projects nothing
          } else {
            throw new Error(`projected volume ${vol.name}: source ${JSON.stringify(s)} not emulated`);
          }
        }
      } else if (vol.emptyDir) {
        if (!refresh) fs.mkdirSync(target, { recursive: true });
        continue;
      } else {
        throw new Error(`volume ${vol.name}: ${JSON.stringify(vol)} not emulated`);
      }
      if (atomicWrite(target, files) && refresh) changed.push(m.mountPath);
    }
    return changed;
  }

  /**
   * What the cluster would do after a `pulumi up`: a changed pod template rolls istiod (stop, start
   * anew from the new template); otherwise changed Secrets/ConfigMaps are rewritten in the running
   * pod's volumes. Returns what happened.
   */
  sync(sources: PodSources = this.readSources()): { rollout: boolean; changedMounts: string[] } {
    const template = sources.deployment.spec.template;
    if (canonicalJson(template) !== this.template) {
      this.rollouts.push(this.logFile);
      this.stop();
      this.start();
      return { rollout: true, changedMounts: [] };
    }
    const spec = this.admitted.spec;
    const changed = [...(spec.initContainers ?? []), ...spec.containers].flatMap((c: any) =>
      this.mountVolumes(spec, c, true, sources),
    );
    return { rollout: false, changedMounts: [...new Set(changed)] };
  }

  /** This process's log (the current pod's). */
  logs(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8") : "";
  }

  logTail(lines = 60): string {
    return this.logs().split("\n").slice(-lines).join("\n");
  }

  /**
   * Waits until the log has a line matching `what`: istiod logs some events after the effect a test
   * observes (e.g. "detected the newly added intermediate CA" follows the regeneration of its own
   * serving certificate, which follows the bundle its new leaves come from: pilot/pkg/bootstrap/istio_ca.go).
   */
  waitForLog(what: string | RegExp, timeoutMs = 30000): void {
    const has = (log: string) => (typeof what === "string" ? log.includes(what) : what.test(log));
    waitFor(
      `istiod log ${what}`,
      () => (has(this.logs()) ? true : undefined),
      timeoutMs,
      () => this.logTail(),
    );
  }

  private exited(): boolean {
    const pid = this.proc?.pid;
    if (!pid || this.proc?.exitCode !== null) return true;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
    } catch {
      return true;
    }
  }

  /** SIGTERM, then SIGKILL after 20 s; waits until the process is gone. Idempotent. */
  stop(): void {
    this.opts.admission?.stop();
    const pid = this.proc?.pid;
    if (!pid || this.exited()) {
      this.proc = undefined;
      return;
    }
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    const deadline = Date.now() + 20000;
    while (!this.exited() && Date.now() < deadline) pause(200);
    if (!this.exited()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    while (!this.exited()) pause(100);
    this.proc = undefined;
  }

  /** The name istiod's serving certificate must carry (its Service: istiod[-<revision>].<ns>.svc). */
  serverName(): string {
    return `${this.deployment}.${this.namespace}.svc`;
  }

  /**
   * A workload CSR as istio-agent sends it: a fresh key, a CSR, gRPC CreateCertificate on 15012 over
   * TLS verified with `tlsRoots` (istiod's serving certificate must chain to them), authenticated by
   * a TokenRequest token of `namespace/serviceAccount` (audience `istio-ca` unless `audience` is
   * given). The service account is created if missing. Throws with istiod's answer on failure.
   */
  issue(o: {
    namespace: string;
    serviceAccount: string;
    tlsRoots: string;
    certSigner?: string;
    audience?: string;
    trustDomain?: string;
  }): IssuedLeaf {
    const r = this.tryIssue(o);
    if (!r.ok)
      throw new Error(
        `CreateCertificate as ${o.namespace}/${o.serviceAccount} failed: ${r.error}\n${this.logTail(30)}`,
      );
    return r.leaf!;
  }

  tryIssue(o: {
    namespace: string;
    serviceAccount: string;
    tlsRoots: string;
    certSigner?: string;
    audience?: string;
    trustDomain?: string;
  }): { ok: boolean; error?: string; leaf?: IssuedLeaf } {
    if (!getCoreObject(this.kubeconfig, "serviceaccount", o.serviceAccount, o.namespace)) {
      this.kc(["create", "serviceaccount", o.serviceAccount, "-n", o.namespace]);
    }
    const dir = fs.mkdtempSync(path.join(e2eEnv().dir, "csr-"));
    try {
      fs.writeFileSync(
        path.join(dir, "token"),
        this.token(o.namespace, o.serviceAccount, o.audience ?? "istio-ca", 600),
        { mode: 0o600 },
      );
      fs.writeFileSync(path.join(dir, "roots.pem"), o.tlsRoots);
      const r = run(
        path.join(BIN, "istio-ca-client"),
        [
          "-addr",
          `127.0.0.1:${this.ports!.secureGrpc}`,
          "-root-cert",
          path.join(dir, "roots.pem"),
          "-server-name",
          this.serverName(),
          "-token-file",
          path.join(dir, "token"),
          "-spiffe",
          `spiffe://${o.trustDomain ?? "cluster.local"}/ns/${o.namespace}/sa/${o.serviceAccount}`,
          "-key-out",
          path.join(dir, "key.pem"),
          ...(o.certSigner ? ["-cert-signer", o.certSigner] : []),
        ],
        { timeoutMs: 90000 },
      );
      if (r.code !== 0) return { ok: false, error: r.stderr.trim() };
      const chain = r.stdout
        .split(/(?<=-----END CERTIFICATE-----)\n/)
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
        .map((s) => `${s}\n`);
      const certs = chain.flatMap(pemCerts);
      const leaf = new X509Certificate(certs[0]);
      const intermediates = certs.slice(1).filter((p) => {
        const c = new X509Certificate(p);
        return !(c.subject === c.issuer && c.checkIssued(c));
      });
      return { ok: true, leaf: { chain, leaf, intermediates } };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * `openssl verify` of an issued leaf: trust anchors = `roots` only, the response's intermediates as
 * untrusted (its self-signed roots are NOT offered, so only `roots` can anchor the chain).
 */
export function verifyLeaf(roots: string, issued: IssuedLeaf): { ok: boolean; out: string } {
  const dir = fs.mkdtempSync(path.join(e2eEnv().dir, "verify-"));
  try {
    fs.writeFileSync(path.join(dir, "roots.pem"), roots);
    fs.writeFileSync(path.join(dir, "leaf.pem"), issued.leaf.toString());
    fs.writeFileSync(path.join(dir, "untrusted.pem"), issued.intermediates.join("\n"));
    const args = [
      "verify",
      "-CAfile",
      "roots.pem",
      ...(issued.intermediates.length ? ["-untrusted", "untrusted.pem"] : []),
      "leaf.pem",
    ];
    const r = run("openssl", args, { cwd: dir });
    return { ok: r.code === 0 && r.stdout.trim() === "leaf.pem: OK", out: (r.stdout + r.stderr).trim() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The URI SANs of a certificate. */
export const uriSans = (c: X509Certificate): string[] =>
  (c.subjectAltName ?? "")
    .split(", ")
    .filter((s) => s.startsWith("URI:"))
    .map((s) => s.slice(4));

/** `istio-ca-root-cert` of a namespace, once istiod has written it. */
export function caRootCert(
  namespace: string,
  kubeconfig: string,
  want?: (pem: string) => boolean,
  timeoutMs = 60000,
): string {
  let last = "";
  return waitFor(
    `istio-ca-root-cert in ${namespace}`,
    () => {
      let cm: any;
      try {
        cm = getCoreObject(kubeconfig, "configmap", "istio-ca-root-cert", namespace);
      } catch (e) {
        last = `(read failed: ${(e as Error).message})`;
        return undefined;
      }
      if (!cm) return undefined;
      last = cm.data?.["root-cert.pem"] ?? "";
      return last && (!want || want(last)) ? last : undefined;
    },
    timeoutMs,
    () => `last seen:\n${last}`,
  );
}

/**
 * `istioctl analyze` warning codes that docs/e2e.md ("istioctl analyze") explains as expected here;
 * any other warning fails the tier.
 */
export const EXPLAINED_WARNINGS: string[] = [];

/** `istioctl analyze --all-namespaces` against an API server: its messages (code, level, origin). */
export function istioctlAnalyze(kubeconfig: string): {
  code: number;
  messages: { code: string; level: string; origin: string; message: string }[];
  raw: string;
} {
  const r = run(path.join(BIN, "istioctl"), ["analyze", "--all-namespaces", "--kubeconfig", kubeconfig, "-o", "json"], {
    timeoutMs: 300000,
  });
  let messages: any[];
  try {
    messages = JSON.parse(r.stdout);
  } catch {
    throw new Error(
      `istioctl analyze exited ${r.code} without its JSON report:\n${(r.stdout + r.stderr).slice(-4000)}`,
    );
  }
  return {
    code: r.code,
    messages: messages.map((m) => ({ code: m.code, level: m.level, origin: m.origin, message: m.message })),
    raw: (r.stdout + r.stderr).slice(-4000),
  };
}

/**
 * `istioctl validate` of every Istio object a stack declared (types `kubernetes:*.istio.io/*` in its
 * state), each as the API server holds it. Returns the objects validated and the failures.
 */
export function istioctlValidateDeclared(
  resources: { type: string; inputs?: any }[],
  kubeconfig: string,
): { validated: string[]; failures: string[] } {
  const validated: string[] = [];
  const failures: string[] = [];
  const dir = fs.mkdtempSync(path.join(e2eEnv().dir, "validate-"));
  try {
    for (const res of resources.filter((x) => /^kubernetes:[a-z.]+\.istio\.io\/v[0-9a-z]+:/.test(x.type))) {
      const [group, kind] = [res.type.split(":")[1].split("/")[0], res.type.split(":")[2]];
      const m = res.inputs?.metadata ?? {};
      const obj = JSON.parse(
        mustRun("kubectl", [
          "--kubeconfig",
          kubeconfig,
          "get",
          `${kind.toLowerCase()}.${group}`,
          m.name,
          ...(m.namespace ? ["-n", m.namespace] : []),
          "-o",
          "json",
        ]),
      );
      const file = path.join(dir, `${validated.length}.json`);
      fs.writeFileSync(file, JSON.stringify(obj));
      const id = `${kind} ${m.namespace ?? ""}/${m.name}`;
      validated.push(id);
      const r = run(path.join(BIN, "istioctl"), ["validate", "-f", file, "--kubeconfig", kubeconfig]);
      if (r.code !== 0 || /error|invalid/i.test(r.stderr)) failures.push(`${id}: ${(r.stdout + r.stderr).trim()}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { validated, failures };
}

/**
 * The istioctl checks every stack gets: `analyze --all-namespaces` with no error and no warning left
 * unexplained (EXPLAINED_WARNINGS, documented in docs/e2e.md), and `validate` on every Istio object
 * in the stack's state. Jest assertions: call it inside a test.
 */
export function expectIstioctlAccepts(
  resources: { type: string; inputs?: any }[],
  kubeconfig: string,
  minValidated = 1,
): void {
  const a = istioctlAnalyze(kubeconfig);
  expect(a.messages.filter((m) => m.level === "Error")).toEqual([]);
  expect(a.messages.filter((m) => m.level === "Warning" && !EXPLAINED_WARNINGS.includes(m.code))).toEqual([]);
  const v = istioctlValidateDeclared(resources, kubeconfig);
  expect(v.validated.length).toBeGreaterThanOrEqual(minValidated);
  expect(v.failures).toEqual([]);
}
