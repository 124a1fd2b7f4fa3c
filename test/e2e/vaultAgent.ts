import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./support";
import { PodAdmission, PodContext } from "./istiod";
import { running, stopProcess } from "./vaultServer";
import { AgentConfig, InjectorConfig, agentConfigOf, injectVaultAgent, underPodRoot } from "../vault/injector";

/**
 * HashiCorp's vault-agent injector for istiod's pod: the webhook's mutation is the emulation of
 * test/vault/injector.ts (vault-k8s's source); the containers it adds run the REAL `vault agent`
 * (tools/bin/vault) with exactly the configuration the webhook put in their `VAULT_CONFIG`, file
 * paths moved under the pod's directory (their mounts). `vault-agent-init` must exit 0 (istiod does
 * not start otherwise, as with `agent-init-first`); `vault-agent` keeps running beside istiod and
 * re-renders the files when the KV secret changes.
 */
const VAULT = path.join(ROOT, "tools/bin/vault");

export class VaultAgentInjector implements PodAdmission {
  private sidecar?: ChildProcess;
  private pod?: PodContext;
  /** Agent logs, one per container run, in order. */
  readonly logs: string[] = [];

  constructor(readonly cfg: InjectorConfig) {}

  admit(pod: any, namespace: string): any {
    return injectVaultAgent(pod, namespace, this.cfg).pod;
  }

  /** The configuration the webhook gave a container (as in its VAULT_CONFIG, paths as in the pod). */
  configOf(name: "vault-agent-init" | "vault-agent"): AgentConfig {
    const spec = this.pod?.pod.spec;
    const c = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].find((x: any) => x.name === name);
    if (!c) throw new Error(`no ${name} container in the admitted pod`);
    return agentConfigOf(c);
  }

  /** The Vault token the agent's auto-auth wrote to its sink (the pod's /home/vault/.vault-token). */
  token(): string {
    return fs.readFileSync(path.join(this.pod!.podRoot, "home/vault/.vault-token"), "utf8").trim();
  }

  /** The files the agent rendered into the pod's secret volume (name → content). */
  rendered(dir: string): Record<string, string> {
    const abs = path.join(this.pod!.podRoot, dir);
    return Object.fromEntries(
      fs
        .readdirSync(abs)
        .filter((f) => !f.startsWith("."))
        .map((f) => [f, fs.readFileSync(path.join(abs, f), "utf8")]),
    );
  }

  /** The agent command line of a container, its config file written, its env and its log file. */
  private prepare(pod: PodContext, name: string): { args: string[]; opts: any; log: string; fd: number } {
    const c = [...(pod.pod.spec.initContainers ?? []), ...pod.pod.spec.containers].find((x: any) => x.name === name);
    if (!c) throw new Error(`no ${name} container in the admitted pod`);
    // What the container's command does (`echo $VAULT_CONFIG | base64 -d > /home/vault/config.json && vault agent
    // -config=…`).
    const config = underPodRoot(agentConfigOf(c), pod.podRoot);
    const home = path.join(pod.podRoot, "home/vault");
    fs.mkdirSync(home, { recursive: true });
    const configFile = path.join(home, "config.json");
    fs.writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
    const { VAULT_CONFIG: _, ...env } = pod.env(c);
    const log = path.join(path.dirname(pod.podRoot), `${name}-${this.logs.length + 1}.log`);
    const fd = fs.openSync(log, "a");
    this.logs.push(log);
    return {
      args: ["agent", `-config=${configFile}`],
      log,
      fd,
      opts: { cwd: pod.podRoot, env: { PATH: process.env.PATH, HOME: home, ...env }, stdio: ["ignore", fd, fd] },
    };
  }

  runInitContainers(pod: PodContext): void {
    this.pod = pod;
    if (!(pod.pod.spec.initContainers ?? []).some((c: any) => c.name === "vault-agent-init")) return;
    // exit_after_auth: the init agent renders every template once, then exits 0; anything else leaves the pod in Init.
    const { args, opts, log, fd } = this.prepare(pod, "vault-agent-init");
    const r = spawnSync(VAULT, args, { ...opts, timeout: 120000 });
    fs.closeSync(fd);
    if (r.error || r.status !== 0)
      throw new Error(
        `vault-agent-init failed (status ${r.status}${r.error ? `, ${r.error.message}` : ""}): the pod would stay in Init\n${this.tail(log)}`,
      );
  }

  startSidecars(pod: PodContext): void {
    this.pod = pod;
    if (!pod.pod.spec.containers.some((c: any) => c.name === "vault-agent")) return;
    const { args, opts, fd } = this.prepare(pod, "vault-agent");
    this.sidecar = spawn(VAULT, args, opts);
    fs.closeSync(fd);
  }

  /** Whether the sidecar agent still runs (exit_on_retry_failure makes it exit when Vault keeps failing it). */
  sidecarRunning(): boolean {
    return running(this.sidecar);
  }

  stop(): void {
    stopProcess(this.sidecar, 10000);
    this.sidecar = undefined;
  }

  tail(log = this.logs[this.logs.length - 1], lines = 40): string {
    return log && fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").slice(-lines).join("\n") : "";
  }
}
