/**
 * EMULATION of HashiCorp's vault-agent injector webhook (hashicorp/vault-k8s, `agent-inject/agent`:
 * annotations.go `Init`, agent.go `New`/`Validate`/`Patch`/`serviceaccount`, config.go `newConfig`,
 * container_volume.go, container_sidecar.go, container_init_sidecar.go, container_env.go; read at
 * commit fbc5b1f, 2026). vault-k8s is not served by the Go module proxy, so this follows its source
 * for what the e2e tier needs: from a pod's `vault.hashicorp.com/*` annotations, the pod the
 * webhook returns (volumes, mounts, the `vault-agent-init` and `vault-agent` containers) and the
 * agent configuration it puts in their `VAULT_CONFIG`. The real `vault agent` then runs with that
 * configuration. An annotation this emulation does not handle is an error, never ignored.
 */

export const A = "vault.hashicorp.com";

/** The injector's own settings (its flags / the chart's `injector.*` values), as HashiCorp's chart defaults them. */
export interface InjectorConfig {
  /** `-vault-address` (`global.externalVaultAddr`): used when the pod has no `service` annotation. */
  readonly address: string;
  /** `-vault-auth-path`. @default "auth/kubernetes" */
  readonly authPath?: string;
  /** `-default-template`. @default "map" */
  readonly defaultTemplate?: "map" | "json";
  /** `-template-config-exit-on-retry-failure`. @default true */
  readonly exitOnRetryFailure?: boolean;
  /** `-template-static-secret-render-interval`. @default "" (the agent's own default, 5m) */
  readonly staticSecretRenderInterval?: string;
  /** `-vault-image`. @default "hashicorp/vault:2.0.4" (agent.go DefaultVaultImage) */
  readonly image?: string;
}

/** The annotations handled here (every other `vault.hashicorp.com/*` one is refused). */
const HANDLED = new Set([
  "agent-inject",
  "agent-inject-status",
  "agent-init-first",
  "agent-pre-populate",
  "agent-pre-populate-only",
  "agent-inject-containers",
  "role",
  "auth-path",
  "auth-type",
  "service",
  "namespace",
  "secret-volume-path",
  "tls-secret",
  "ca-cert",
  "tls-server-name",
  "tls-skip-verify",
  "log-level",
  "log-format",
  "template-static-secret-render-interval",
  "template-config-exit-on-retry-failure",
  "agent-inject-default-template",
  "preserve-secret-case",
]);
const SECRET_PREFIXES = ["agent-inject-secret-", "agent-inject-template-", "error-on-missing-key-"];

/** consul-template's agent configuration as vault-k8s writes it (config.go `Config`, JSON field names). */
export interface AgentConfig {
  auto_auth: {
    method: { type: string; mount_path?: string; namespace?: string; config?: Record<string, string> };
    sink: { type: string; config: { path: string } }[];
  };
  exit_after_auth: boolean;
  pid_file: string;
  vault: { address: string; ca_cert?: string; tls_server_name?: string; tls_skip_verify?: boolean };
  template?: {
    destination: string;
    contents?: string;
    left_delimiter?: string;
    right_delimiter?: string;
    error_on_missing_key?: boolean;
  }[];
  template_config?: { exit_on_retry_failure: boolean; static_secret_render_interval?: string };
}

export interface InjectedPod {
  /** The pod spec after the webhook's JSON patch. */
  readonly pod: any;
  /** Decoded `VAULT_CONFIG` of `vault-agent-init` (absent with `agent-pre-populate: false`). */
  readonly initConfig?: AgentConfig;
  /** Decoded `VAULT_CONFIG` of the `vault-agent` sidecar (absent with `agent-pre-populate-only`). */
  readonly sidecarConfig?: AgentConfig;
}

const PID_FILE = "/home/vault/.pid";
const TOKEN_FILE = "/home/vault/.vault-token";
const SECRET_VOLUME_PATH = "/vault/secrets";
const TLS_SECRET_VOLUME_PATH = "/vault/tls";
const CONTAINER_ARG =
  "echo ${VAULT_CONFIG?} | base64 -d > /home/vault/config.json && vault agent -config=/home/vault/config.json";

/** parseutil.ParseBool: Go's strconv.ParseBool. */
function parseBool(raw: string, what: string): boolean {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(raw)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(raw)) return false;
  throw new Error(`${A}/${what}: invalid boolean ${JSON.stringify(raw)}`);
}

/** agent.go ShouldInject: `agent-inject` true and not already `injected`. */
export function shouldInject(pod: any): boolean {
  const ann = pod.metadata?.annotations ?? {};
  if (!(`${A}/agent-inject` in ann) || !parseBool(ann[`${A}/agent-inject`], "agent-inject")) return false;
  return ann[`${A}/agent-inject-status`] !== "injected";
}

/**
 * agent.go serviceaccount(): the first container mount whose path contains "serviceaccount" (no token-volume-name
 * annotation handled).
 */
function serviceAccountVolume(pod: any): { name: string; mountPath: string; tokenPath: string } {
  for (const c of pod.spec.containers ?? []) {
    for (const m of c.volumeMounts ?? []) {
      if (String(m.mountPath).includes("serviceaccount"))
        return { name: m.name, mountPath: m.mountPath, tokenPath: "token" };
    }
  }
  throw new Error("failed to find service account volume mount");
}

/**
 * The webhook's mutation of `pod` (namespace `namespace`) with the injector settings `cfg`. Throws
 * where the injector would refuse the pod, and on annotations not emulated.
 */
export function injectVaultAgent(input: any, namespace: string, cfg: InjectorConfig): InjectedPod {
  const pod = JSON.parse(JSON.stringify(input));
  pod.metadata = pod.metadata ?? {};
  const ann: Record<string, string> = (pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}) });
  for (const k of Object.keys(ann)) {
    if (!k.startsWith(`${A}/`)) continue;
    const name = k.slice(A.length + 1);
    const handled =
      HANDLED.has(name) ||
      (SECRET_PREFIXES.some((p) => name.startsWith(p)) && !name.startsWith("agent-inject-template-file-"));
    if (!handled) throw new Error(`annotation ${k} is not emulated (test/vault/injector.ts)`);
  }
  if (!shouldInject(pod)) return { pod };

  // annotations.go Init: the injector's defaults for annotations the pod does not set.
  const dflt = (k: string, v: string) => {
    if (!(`${A}/${k}` in ann)) ann[`${A}/${k}`] = v;
  };
  dflt("service", cfg.address);
  dflt("auth-type", "kubernetes");
  dflt("auth-path", cfg.authPath ?? "auth/kubernetes");
  dflt("namespace", "");
  dflt("secret-volume-path", SECRET_VOLUME_PATH);
  dflt("log-level", "info");
  dflt("log-format", "standard");
  dflt("agent-inject-containers", (pod.spec.containers ?? []).map((c: any) => c.name).join(","));
  dflt("agent-inject-default-template", cfg.defaultTemplate ?? "map");
  dflt("template-config-exit-on-retry-failure", String(cfg.exitOnRetryFailure ?? true));
  dflt("template-static-secret-render-interval", cfg.staticSecretRenderInterval ?? "");
  const get = (k: string) => ann[`${A}/${k}`];

  // agent.go New / Validate.
  const sa = serviceAccountVolume(pod);
  const role = get("role") ?? "";
  const authType = get("auth-type");
  if (!namespace) throw new Error("namespace missing from request");
  if (authType === "kubernetes" && !role) throw new Error("no Vault role found");
  if (!get("service")) throw new Error("no Vault address found");
  const secretVolumePath = get("secret-volume-path");
  const preserveCase =
    get("preserve-secret-case") !== undefined && parseBool(get("preserve-secret-case"), "preserve-secret-case");
  const secrets: { name: string; path: string; template: string; mountPath: string; errMissingKey: boolean }[] = [];
  for (const [k, v] of Object.entries(ann)) {
    if (!v.trim()) continue;
    for (const prefix of ["agent-inject-secret-", "agent-inject-template-"]) {
      if (!k.startsWith(`${A}/${prefix}`)) continue;
      const raw = k.slice(`${A}/${prefix}`.length);
      if (!raw || secrets.some((s) => s.name === (preserveCase ? raw : raw.toLowerCase()))) break;
      secrets.push({
        name: preserveCase ? raw : raw.toLowerCase(),
        path: get(`agent-inject-secret-${raw}`) ?? "",
        template: get(`agent-inject-template-${raw}`) ?? "",
        mountPath: secretVolumePath,
        errMissingKey:
          get(`error-on-missing-key-${raw}`) !== undefined &&
          parseBool(get(`error-on-missing-key-${raw}`), `error-on-missing-key-${raw}`),
      });
      break;
    }
  }
  const defaultTemplate = get("agent-inject-default-template").toLowerCase();
  if (defaultTemplate !== "map" && defaultTemplate !== "json")
    throw new Error(`invalid default template type: ${defaultTemplate}`);
  const initFirst = get("agent-init-first") !== undefined && parseBool(get("agent-init-first"), "agent-init-first");
  const prePopulate =
    get("agent-pre-populate") === undefined || parseBool(get("agent-pre-populate"), "agent-pre-populate");
  const prePopulateOnly =
    get("agent-pre-populate-only") !== undefined &&
    parseBool(get("agent-pre-populate-only"), "agent-pre-populate-only");
  const tlsSkipVerify = get("tls-skip-verify") !== undefined && parseBool(get("tls-skip-verify"), "tls-skip-verify");
  const tlsSecret = get("tls-secret");

  // config.go newConfig.
  const authConfig: Record<string, string> = { token_path: `${sa.mountPath.replace(/\/$/, "")}/${sa.tokenPath}` };
  if (role) authConfig.role = role;
  const templates = secrets.map((s) => ({
    destination: `${s.mountPath}/${s.name}`,
    contents:
      s.template ||
      (defaultTemplate === "json"
        ? `{{ with secret "${s.path}" }}{{ .Data | toJSON }}\n{{ end }}`
        : `{{ with secret "${s.path}" }}{{ range $k, $v := .Data }}{{ $k }}: {{ $v }}\n{{ end }}{{ end }}`),
    left_delimiter: "{{",
    right_delimiter: "}}",
    ...(s.errMissingKey ? { error_on_missing_key: true } : {}),
  }));
  const config = (init: boolean): AgentConfig => ({
    auto_auth: {
      method: {
        type: authType,
        ...(get("auth-path") ? { mount_path: get("auth-path") } : {}),
        ...(get("namespace") ? { namespace: get("namespace") } : {}),
        config: authConfig,
      },
      sink: [{ type: "file", config: { path: TOKEN_FILE } }],
    },
    exit_after_auth: init,
    pid_file: PID_FILE,
    vault: {
      address: get("service"),
      ...(get("ca-cert") ? { ca_cert: get("ca-cert") } : {}),
      ...(tlsSkipVerify ? { tls_skip_verify: true } : {}),
      ...(get("tls-server-name") ? { tls_server_name: get("tls-server-name") } : {}),
    },
    ...(templates.length ? { template: templates } : {}),
    template_config: {
      exit_on_retry_failure: parseBool(
        get("template-config-exit-on-retry-failure"),
        "template-config-exit-on-retry-failure",
      ),
      ...(get("template-static-secret-render-interval")
        ? { static_secret_render_interval: get("template-static-secret-render-interval") }
        : {}),
    },
  });

  // agent.go Patch: volumes, the app containers' mounts, the init container (first with init-first), the sidecar.
  const memory = { emptyDir: { medium: "Memory" } };
  pod.spec.volumes = [
    ...(pod.spec.volumes ?? []),
    ...(prePopulate ? [{ name: "home-init", ...memory }] : []),
    ...(!prePopulateOnly ? [{ name: "home-sidecar", ...memory }] : []),
    { name: "vault-secrets", ...memory },
    ...(tlsSecret ? [{ name: "vault-tls-secrets", secret: { secretName: tlsSecret } }] : []),
  ];
  const secretsMount = { name: "vault-secrets", mountPath: secretVolumePath, readOnly: false };
  const targets = get("agent-inject-containers").split(",");
  for (const c of pod.spec.containers ?? []) {
    if (targets.includes(c.name)) c.volumeMounts = [...(c.volumeMounts ?? []), secretsMount];
  }
  const env = (init: boolean) => [
    { name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
    { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
    { name: "VAULT_LOG_LEVEL", value: get("log-level") },
    { name: "VAULT_LOG_FORMAT", value: get("log-format") },
    { name: "VAULT_CONFIG", value: Buffer.from(JSON.stringify(config(init))).toString("base64") },
  ];
  const agentContainer = (name: string, home: string, init: boolean) => ({
    name,
    image: cfg.image ?? "hashicorp/vault:2.0.4",
    command: ["/bin/sh", "-ec"],
    args: [CONTAINER_ARG],
    env: env(init),
    volumeMounts: [
      ...(init
        ? [
            { name: home, mountPath: "/home/vault", readOnly: false },
            { name: sa.name, mountPath: sa.mountPath, readOnly: true },
          ]
        : [
            { name: sa.name, mountPath: sa.mountPath, readOnly: true },
            { name: home, mountPath: "/home/vault", readOnly: false },
          ]),
      secretsMount,
      ...(tlsSecret ? [{ name: "vault-tls-secrets", mountPath: TLS_SECRET_VOLUME_PATH, readOnly: true }] : []),
    ],
  });
  if (prePopulate) {
    const initC = agentContainer("vault-agent-init", "home-init", true);
    const others = (pod.spec.initContainers ?? []).map((c: any) => ({
      ...c,
      volumeMounts: [...(c.volumeMounts ?? []), secretsMount],
    }));
    pod.spec.initContainers = initFirst ? [initC, ...others] : [...others, initC];
  }
  if (!prePopulateOnly)
    pod.spec.containers = [...pod.spec.containers, agentContainer("vault-agent", "home-sidecar", false)];
  ann[`${A}/agent-inject-status`] = "injected";
  return {
    pod,
    initConfig: prePopulate ? config(true) : undefined,
    sidecarConfig: prePopulateOnly ? undefined : config(false),
  };
}

/** The `VAULT_CONFIG` of one of the pod's agent containers, decoded. */
export function agentConfigOf(container: any): AgentConfig {
  const v = (container.env ?? []).find((e: any) => e.name === "VAULT_CONFIG")?.value;
  if (!v) throw new Error(`container ${container.name} has no VAULT_CONFIG`);
  return JSON.parse(Buffer.from(v, "base64").toString("utf8"));
}

/**
 * The configuration as the agent sees it when the pod's volumes are directories under `podRoot`
 * (what a container's mount namespace does): every file path in it moved under `podRoot`.
 */
export function underPodRoot(config: AgentConfig, podRoot: string): AgentConfig {
  const p = (f: string) => `${podRoot.replace(/\/$/, "")}${f}`;
  return {
    ...config,
    pid_file: p(config.pid_file),
    auto_auth: {
      method: {
        ...config.auto_auth.method,
        config: { ...config.auto_auth.method.config, token_path: p(config.auto_auth.method.config!.token_path) },
      },
      sink: config.auto_auth.sink.map((s) => ({ ...s, config: { ...s.config, path: p(s.config.path) } })),
    },
    vault: { ...config.vault, ...(config.vault.ca_cert ? { ca_cert: p(config.vault.ca_cert) } : {}) },
    template: config.template?.map((t) => ({ ...t, destination: p(t.destination) })),
  };
}
