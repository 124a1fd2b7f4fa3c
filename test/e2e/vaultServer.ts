import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { OpensslDir } from "../harness/openssl";
import { ROOT, Ran, e2eEnv, mustRun, run } from "./support";
import { freePorts, pause, waitFor } from "./istiod";

/**
 * A real HashiCorp Vault server (tools/bin/vault, built from github.com/hashicorp/vault) on loopback,
 * the way an operator runs one, not `-dev`: TLS from a private CA (openssl, so the stack's
 * `caCertFile` and the agent's `tls-secret` are exercised), in-memory storage, initialised with one
 * unseal key and unsealed. The root token sets up an admin policy and token for `pulumi up`; tests
 * use the root token only to look at what the stack did.
 */

const BIN = path.join(ROOT, "tools/bin");

/**
 * Whether a child process is still running. Read from /proc: the tests wait synchronously, so Node's
 * own exit bookkeeping (exitCode) is not updated while they do.
 */
export function running(p: ChildProcess | undefined): boolean {
  if (!p?.pid) return false;
  try {
    const stat = fs.readFileSync(`/proc/${p.pid}/stat`, "utf8");
    return !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; returns once the process is gone. */
export function stopProcess(p: ChildProcess | undefined, graceMs = 15000): void {
  if (!running(p)) return;
  p!.kill("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (running(p) && Date.now() < deadline) pause(200);
  if (running(p)) p!.kill("SIGKILL");
  while (running(p)) pause(100);
}

/** What `pulumi up` of the vault backend needs: mounts, audit, auth, policies, PKI and KV paths, a child token. */
export const ADMIN_POLICY = `
path "sys/audit" { capabilities = ["read", "sudo"] }
path "sys/audit/*" { capabilities = ["create", "read", "update", "delete", "sudo"] }
path "sys/mounts" { capabilities = ["read"] }
path "sys/mounts/*" { capabilities = ["create", "read", "update", "delete"] }
path "sys/auth" { capabilities = ["read"] }
path "sys/auth/*" { capabilities = ["create", "read", "update", "delete", "sudo"] }
path "sys/policy/*" { capabilities = ["create", "read", "update", "delete"] }
path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete"] }
path "auth/kubernetes/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "pki/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
path "istioca/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
path "kv/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "auth/token/create" { capabilities = ["create", "update"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
`;

export class LocalVault {
  readonly dir: string;
  readonly port: number;
  readonly addr: string;
  /** The private CA that signed Vault's serving certificate (PEM file). */
  readonly caFile: string;
  readonly auditFile: string;
  readonly logFile: string;
  rootToken = "";
  private unsealKey = "";
  private proc?: ChildProcess;

  constructor(readonly label: string) {
    this.dir = path.join(e2eEnv().dir, "vault", label);
    [this.port] = freePorts(1);
    this.addr = `https://127.0.0.1:${this.port}`;
    this.caFile = path.join(this.dir, "tls", "ca.crt");
    this.auditFile = path.join(this.dir, "audit.log");
    this.logFile = path.join(this.dir, "vault.log");
  }

  /** The private CA, a serving certificate for 127.0.0.1/localhost, the server; init and unseal. */
  start(): this {
    const tls = path.join(this.dir, "tls");
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(tls, { recursive: true });
    const ssl = new OpensslDir({ dir: tls, exec: mustRun });
    const ca = { cert: "ca.crt", key: "ca.key" };
    ssl.selfSigned(ca, {
      subj: "/O=e2e/CN=e2e Vault CA",
      days: 2,
      addext: ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"],
    });
    ssl.issue({ cert: "vault.crt", key: "vault.key" }, "/CN=vault.e2e.local", {
      ca,
      days: 2,
      ext: "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:vault.e2e.local\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    });
    fs.rmSync(path.join(tls, "ca.key")); // nothing else is ever signed with it
    fs.writeFileSync(
      path.join(this.dir, "vault.hcl"),
      [
        `storage "inmem" {}`,
        `listener "tcp" {`,
        `  address       = "127.0.0.1:${this.port}"`,
        `  tls_cert_file = "${path.join(tls, "vault.crt")}"`,
        `  tls_key_file  = "${path.join(tls, "vault.key")}"`,
        `}`,
        `api_addr      = "${this.addr}"`,
        `disable_mlock = true`,
        ``,
      ].join("\n"),
    );
    this.spawnServer();
    const init = JSON.parse(
      this.cli(["operator", "init", "-key-shares=1", "-key-threshold=1", "-format=json"], "").stdout,
    );
    this.unsealKey = init.unseal_keys_b64[0];
    this.rootToken = init.root_token;
    this.unseal();
    return this;
  }

  private spawnServer(): void {
    const fd = fs.openSync(this.logFile, "a");
    this.proc = spawn(path.join(BIN, "vault"), ["server", `-config=${path.join(this.dir, "vault.hcl")}`], {
      cwd: this.dir,
      env: { PATH: process.env.PATH, HOME: this.dir },
      stdio: ["ignore", fd, fd],
    });
    fs.closeSync(fd);
    waitFor(
      "vault listening",
      () => {
        if (!running(this.proc)) throw new Error(`vault server exited:\n${this.logTail()}`);
        // Any HTTP answer from sys/health (501 uninitialised, 503 sealed) means the listener is up.
        const r = run("curl", [
          "-sS",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "--cacert",
          this.caFile,
          `${this.addr}/v1/sys/health`,
        ]);
        return /^[2-5]\d\d$/.test(r.stdout) ? true : undefined;
      },
      60000,
      () => this.logTail(),
    );
  }

  /** The `vault` CLI against this server (VAULT_ADDR, VAULT_CACERT; the root token unless `token` is given). */
  cli(args: string[], token: string = this.rootToken, input?: string): Ran {
    return run(path.join(BIN, "vault"), args, {
      input,
      cwd: this.dir,
      timeoutMs: 60000,
      env: {
        VAULT_ADDR: this.addr,
        VAULT_CACERT: this.caFile,
        VAULT_TOKEN: token,
        VAULT_FORMAT: "json",
        HOME: this.dir,
      },
    });
  }

  mustCli(args: string[], token?: string, input?: string): string {
    const r = this.cli(args, token, input);
    if (r.code !== 0) throw new Error(`vault ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** An admin token for `pulumi up` (ADMIN_POLICY, not the root token). */
  adminToken(): string {
    this.mustCli(["policy", "write", "istio-mesh-ca-admin", "-"], undefined, ADMIN_POLICY);
    return JSON.parse(
      this.mustCli(["token", "create", "-policy=istio-mesh-ca-admin", "-ttl=4h", "-display-name=pulumi-admin"]),
    ).auth.client_token;
  }

  seal(): void {
    this.mustCli(["operator", "seal"]);
  }

  unseal(): void {
    this.mustCli(["operator", "unseal", this.unsealKey]);
    waitFor(
      "vault unsealed and active",
      () => {
        const r = run("curl", [
          "-sS",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "--cacert",
          this.caFile,
          `${this.addr}/v1/sys/health`,
        ]);
        return r.stdout === "200" ? true : undefined;
      },
      60000,
      () => this.logTail(),
    );
  }

  /** The audit log's entries (one JSON object per line). */
  auditEntries(): any[] {
    if (!fs.existsSync(this.auditFile)) return [];
    return fs
      .readFileSync(this.auditFile, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
  }

  logTail(lines = 40): string {
    return fs.existsSync(this.logFile)
      ? fs.readFileSync(this.logFile, "utf8").split("\n").slice(-lines).join("\n")
      : "";
  }

  /** Stops the server (SIGTERM, then SIGKILL); in-memory storage is gone with it. */
  stop(): void {
    stopProcess(this.proc);
    this.proc = undefined;
  }
}
