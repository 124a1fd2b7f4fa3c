import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { CERT_MANAGER_CHART_VERSION } from "../../components/ca/certManager";
import { ROOT, e2eEnv, kubectl, mustRun, run } from "./support";
import { freePorts, pause, waitFor } from "./istiod";

/**
 * cert-manager's REAL controllers (tools/bin/cert-manager-controller: cert-manager v1.21.2's own
 * packages behind a main of ours, tools/certmanager/README.md) run as a LOCAL PROCESS against the
 * local control plane, in place of the pod the chart's Deployment would run (no kubelet here),
 * plus what the tier needs around it: the module's CRDs, its chart served from a loopback Helm
 * repository, and a recorder of Kubernetes CSRs.
 */

export const CERT_MANAGER_MODULE = `github.com/cert-manager/cert-manager@${CERT_MANAGER_CHART_VERSION}`;
const BIN = path.join(ROOT, "tools/bin/cert-manager-controller");

/** The cert-manager module in the Go module cache (downloaded if missing). */
export function certManagerModuleDir(): string {
  const out = mustRun("go", ["mod", "download", "-json", CERT_MANAGER_MODULE], {
    cwd: "/",
    env: { GOFLAGS: "" },
    timeoutMs: 600000,
  });
  return JSON.parse(out).Dir as string;
}

/** cert-manager's CRDs from the module's deploy/crds, server-side applied; waits until served. */
export function applyCertManagerCrds(moduleDir: string): void {
  kubectl(["apply", "--server-side", "--field-manager=e2e-cert-manager", "-f", path.join(moduleDir, "deploy/crds")]);
  kubectl([
    "wait",
    "--for",
    "condition=Established",
    "--timeout=120s",
    "crd",
    "certificates.cert-manager.io",
    "clusterissuers.cert-manager.io",
    "issuers.cert-manager.io",
    "certificaterequests.cert-manager.io",
  ]);
}

/**
 * A Helm repository on loopback holding the module's chart (deploy/charts/cert-manager) as
 * cert-manager's release tool publishes it: `version`/`appVersion` set to the release (the module
 * has v0.0.0 placeholders), packaged as `cert-manager-<version>.tgz`, listed in `index.yaml`. So our
 * component's `helm.v4.Chart` (chart `cert-manager`, `certManager.version`, `chartRepository`)
 * resolves it exactly as it would from charts.jetstack.io.
 */
export class LocalChartRepo {
  url = "";
  private proc?: ChildProcess;

  constructor(private readonly moduleDir: string) {}

  start(): this {
    const dir = path.join(e2eEnv().dir, "cert-manager-charts");
    const work = path.join(dir, "work");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
    const chart = path.join(work, "cert-manager");
    fs.cpSync(path.join(this.moduleDir, "deploy/charts/cert-manager"), chart, { recursive: true });
    mustRun("chmod", ["-R", "u+w", chart]); // the module cache is read-only
    const v = CERT_MANAGER_CHART_VERSION;
    const meta = fs.readFileSync(path.join(chart, "Chart.yaml"), "utf8");
    const released = meta.replace(/^version: .*$/m, `version: ${v}`).replace(/^appVersion: .*$/m, `appVersion: ${v}`);
    if (!released.includes(`\nversion: ${v}\n`) || !released.includes(`\nappVersion: ${v}\n`))
      throw new Error(`Chart.yaml of ${this.moduleDir}: no version/appVersion line`);
    fs.writeFileSync(path.join(chart, "Chart.yaml"), released);
    const tgz = `cert-manager-${v}.tgz`;
    mustRun("tar", ["-czf", path.join(dir, tgz), "-C", work, "cert-manager"]);
    const [port] = freePorts(1);
    this.url = `http://127.0.0.1:${port}`;
    fs.writeFileSync(
      path.join(dir, "index.yaml"),
      stringify({
        apiVersion: "v1",
        entries: {
          "cert-manager": [
            {
              apiVersion: "v2",
              name: "cert-manager",
              version: v,
              appVersion: v,
              urls: [`${this.url}/${tgz}`],
              created: new Date().toISOString(),
            },
          ],
        },
        generated: new Date().toISOString(),
      }),
    );
    // A static file server in its own process (the tests block in spawnSync while the engine fetches).
    const server = `const http=require("http"),fs=require("fs"),path=require("path");const [dir,port]=process.argv.slice(1);
http.createServer((q,s)=>{fs.readFile(path.join(dir,path.basename(q.url.split("?")[0])),(e,b)=>{if(e){s.writeHead(404);s.end();}else{s.writeHead(200);s.end(b);}});}).listen(+port,"127.0.0.1");`;
    this.proc = spawn(process.execPath, ["-e", server, dir, String(port)], { stdio: "ignore" });
    waitFor(
      `chart repository ${this.url}`,
      () => (run("curl", ["-fsS", "--max-time", "2", `${this.url}/index.yaml`]).code === 0 ? true : undefined),
      30000,
    );
    return this;
  }

  stop(): void {
    this.proc?.kill();
    this.proc = undefined;
  }
}

/**
 * The kubelet's expansion of `$(VAR)` in a container's args from the container's env (`$$` is a
 * literal `$`; an undefined variable is left as written). Only `value` and the
 * `metadata.namespace` fieldRef are resolved: what the cert-manager chart's controller uses.
 */
export function kubeletArgs(
  container: { args?: string[]; env?: { name: string; value?: string; valueFrom?: any }[] },
  podNamespace: string,
): string[] {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") env[e.name] = podNamespace;
  }
  return (container.args ?? []).map((a) =>
    a.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name) => (m === "$$" ? "$" : (env[name] ?? m))),
  );
}

const RBAC_KINDS = ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];

/**
 * Applies the ServiceAccounts and RBAC objects among rendered chart objects (what the chart would
 * install for cert-manager's components), so the controller can run as its own service account.
 * Returns `kind/namespace/name` of each, for cleanup.
 */
export function applyRbac(objects: any[]): string[] {
  const rbac = objects.filter((o) => RBAC_KINDS.includes(o.kind));
  if (!rbac.some((o) => o.kind === "ServiceAccount")) throw new Error("no ServiceAccount among the rendered objects");
  kubectl(
    ["apply", "--server-side", "--field-manager=e2e-cert-manager", "-f", "-"],
    JSON.stringify({ apiVersion: "v1", kind: "List", items: rbac }),
  );
  return rbac.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`);
}

/** Deletes what applyRbac applied. */
export function deleteRbac(refs: string[]): void {
  for (const ref of refs) {
    const [kind, ns, name] = ref.split("/");
    run("kubectl", ["delete", kind.toLowerCase(), name, ...(ns ? ["-n", ns] : []), "--ignore-not-found"]);
  }
}

/**
 * Runs tools/bin/cert-manager-controller with `args` (the chart's, as the kubelet would pass them),
 * plus `--kubeconfig` and `--leader-elect=false` (one process; the binary supports nothing else).
 * It talks to the API server as `serviceAccount` (a TokenRequest token, as in-cluster config would
 * give the pod), so the RBAC the chart renders is what authorizes it. Logs under
 * $E2E_DIR/cert-manager/<label>-<n>/.
 */
export class LocalCertManager {
  private proc?: ChildProcess;
  private generation = 0;
  logFile = "";
  readonly adminKubeconfig: string;

  constructor(
    readonly opts: {
      label: string;
      args: string[];
      serviceAccount: { namespace: string; name: string };
      adminKubeconfig?: string;
    },
  ) {
    this.adminKubeconfig = opts.adminKubeconfig ?? e2eEnv({ apiserver: true }).kubeconfig;
  }

  /** A kubeconfig for the service account: the admin kubeconfig's cluster, a fresh token. */
  private serviceAccountKubeconfig(dir: string): string {
    const admin = parse(fs.readFileSync(this.adminKubeconfig, "utf8"));
    const ctx = admin.contexts.find((c: any) => c.name === admin["current-context"]).context;
    const cluster = admin.clusters.find((c: any) => c.name === ctx.cluster).cluster;
    const { namespace, name } = this.opts.serviceAccount;
    const token = mustRun("kubectl", [
      "--kubeconfig",
      this.adminKubeconfig,
      "create",
      "token",
      name,
      "-n",
      namespace,
      "--duration=24h",
    ]).trim();
    const file = path.join(dir, "controller.kubeconfig");
    fs.writeFileSync(
      file,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "sa",
        clusters: [{ name: "local", cluster }],
        users: [{ name: "sa", user: { token } }],
        contexts: [{ name: "sa", context: { cluster: "local", user: "sa", namespace } }],
      }),
      { mode: 0o600 },
    );
    return file;
  }

  /** Starts the controller; returns once its informer caches synced and the controllers run. */
  start(): this {
    this.generation += 1;
    const dir = path.join(e2eEnv().dir, "cert-manager", `${this.opts.label}-${this.generation}`);
    fs.mkdirSync(dir, { recursive: true });
    this.logFile = path.join(dir, "controller.log");
    const args = [...this.opts.args, `--kubeconfig=${this.serviceAccountKubeconfig(dir)}`, "--leader-elect=false"];
    const fd = fs.openSync(this.logFile, "a");
    fs.writeSync(fd, `# ${BIN} ${args.join(" ")}\n`);
    this.proc = spawn(BIN, args, {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
      stdio: ["ignore", fd, fd],
    });
    fs.closeSync(fd);
    waitFor(
      "cert-manager-controller running its controllers",
      () => {
        if (this.exited()) throw new Error(`cert-manager-controller exited:\n${this.logTail()}`);
        return this.logs().includes("informer caches synced, running controllers") ? true : undefined;
      },
      120000,
      () => this.logTail(),
    );
    return this;
  }

  /** The controllers it runs, from its start-up log line. */
  controllers(): string[] {
    const m = /"informer caches synced, running controllers".*? controllers=\[([^\]]*)\]/.exec(this.logs());
    if (!m) throw new Error(`no controller list in ${this.logFile}`);
    return m[1]
      .split(",")
      .map((s) => s.trim().replace(/^"|"$/g, ""))
      .filter((s) => s !== "");
  }

  logs(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8") : "";
  }

  logTail(lines = 40): string {
    return this.logs().split("\n").slice(-lines).join("\n");
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

  /** SIGTERM (a graceful shutdown), SIGKILL after 20 s; waits until the process is gone. Idempotent. */
  stop(): void {
    const pid = this.proc?.pid;
    if (!pid || this.exited()) {
      this.proc = undefined;
      return;
    }
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      /* gone */
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
}

/** One state of a Kubernetes CSR as a watch saw it. */
export interface CsrSeen {
  name: string;
  signerName: string;
  approved?: { reason: string; message: string };
  /** PEM of `status.certificate`, once set. */
  certificate?: string;
  /** Field managers that own `status.certificate` (managedFields). */
  certificateManagers: string[];
  /** Field managers that own the Approved condition (the `approval` subresource). */
  approvalManagers: string[];
  annotations: Record<string, string>;
  username: string;
  /** `spec.expirationSeconds`: the lifetime the requester asked for. */
  expirationSeconds?: number;
}

/**
 * Records every state of every Kubernetes CSR (`kubectl get csr --watch -o json`) from start() on:
 * istiod deletes its CSRs once it read the certificate, so their signed state is only seen live.
 */
export class CsrWatch {
  private proc?: ChildProcess;
  private file = "";

  start(label: string): this {
    this.file = path.join(e2eEnv().dir, `csr-watch-${label}.json`);
    const fd = fs.openSync(this.file, "w");
    this.proc = spawn(
      "kubectl",
      ["get", "certificatesigningrequests", "--watch", "--show-managed-fields", "-o", "json"],
      { stdio: ["ignore", fd, "ignore"], env: process.env },
    );
    fs.closeSync(fd);
    return this;
  }

  stop(): void {
    this.proc?.kill();
    this.proc = undefined;
  }

  /** Every state seen so far, in order. */
  seen(): CsrSeen[] {
    const docs = splitJson(fs.existsSync(this.file) ? fs.readFileSync(this.file, "utf8") : "");
    return docs
      .flatMap((d: any) => (Array.isArray(d.items) ? d.items : [d]))
      .map((o: any) => {
        const approved = (o.status?.conditions ?? []).find((c: any) => c.type === "Approved" && c.status === "True");
        const owners = (subresource: string, field: string): string[] =>
          (o.metadata?.managedFields ?? [])
            .filter((f: any) => f.subresource === subresource && JSON.stringify(f.fieldsV1 ?? {}).includes(field))
            .map((f: any) => f.manager as string);
        return {
          name: o.metadata.name,
          signerName: o.spec.signerName,
          username: o.spec.username ?? "",
          approved: approved ? { reason: approved.reason ?? "", message: approved.message ?? "" } : undefined,
          certificate: o.status?.certificate ? Buffer.from(o.status.certificate, "base64").toString("utf8") : undefined,
          certificateManagers: owners("status", '"f:certificate"'),
          approvalManagers: owners("approval", '"f:conditions"'),
          annotations: o.metadata.annotations ?? {},
          expirationSeconds: o.spec.expirationSeconds,
        };
      });
  }

  /** The last state of each CSR that got a certificate. */
  signed(): CsrSeen[] {
    const last = new Map<string, CsrSeen>();
    for (const s of this.seen()) if (s.certificate) last.set(s.name, s);
    return [...last.values()];
  }
}

/** Top-level JSON objects of a stream of concatenated (pretty-printed) JSON documents. */
function splitJson(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0,
    start = -1,
    inString = false,
    escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === "\\") escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") {
      if (depth++ === 0) start = i;
    } else if (ch === "}" && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out; // an object still being written (depth > 0) is left for the next call
}

/** Events about one Kubernetes CSR (cluster-scoped objects' events live in `default`). */
export function csrEvents(name: string): { reason: string; message: string; component: string; type: string }[] {
  const items = JSON.parse(
    kubectl([
      "get",
      "events",
      "-A",
      "--field-selector",
      `involvedObject.kind=CertificateSigningRequest,involvedObject.name=${name}`,
      "-o",
      "json",
    ]),
  ).items;
  return items.map((e: any) => ({
    reason: e.reason,
    message: e.message,
    component: e.source?.component ?? e.reportingComponent ?? "",
    type: e.type,
  }));
}
