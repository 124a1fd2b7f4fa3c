import { VaultReadPaths } from "./paths";

/**
 * vault-agent injector annotations that render Istio's four plug-in CA files. Templates use only
 * consul-template's `secret` and Go's builtins. Every file is a field of the one KV secret (stored
 * with its trailing newline, as the file holds it), so a certificate and its key always come from
 * the same KV version: never a new key next to the PKI mount's (possibly stale) default issuer.
 */

export const CA_FILES = ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"] as const;
export type CaFile = (typeof CA_FILES)[number];

export interface AgentTemplate {
  /** The Vault path the agent reads. */
  readonly secretPath: string;
  /** The consul-template text that renders the file. */
  readonly template: string;
}

/** A field of the KV secret, rendered byte for byte. */
const kvTemplate = (path: string, keyData: string, field: string): string =>
  `{{- with secret "${path}" -}}\n{{ index ${keyData} "${field}" }}\n{{- end -}}\n`;

/**
 * Pure: one template per file, each the same-named field of the KV secret: `ca-cert.pem` the
 * intermediate, `ca-key.pem` its key, `cert-chain.pem` the intermediate then its root(s),
 * `root-cert.pem` the whole trust bundle (two roots during a rotation).
 */
export function agentTemplates(p: VaultReadPaths): Record<CaFile, AgentTemplate> {
  const keyData = p.kvV2 ? ".Data.data" : ".Data";
  return Object.fromEntries(
    CA_FILES.map((file) => [file, { secretPath: p.caSecret, template: kvTemplate(p.caSecret, keyData, file) }]),
  ) as Record<CaFile, AgentTemplate>;
}

export interface InjectorAnnotationArgs {
  readonly paths: VaultReadPaths;
  /** The Kubernetes auth role istiod logs in with. */
  readonly role: string;
  /** The Kubernetes auth mount path (without `auth/`). */
  readonly authPath: string;
  /** Where the agent writes the files; istiod's ROOT_CA_DIR. */
  readonly secretVolumePath: string;
  /** The Vault address the agent talks to (also right when the injector was installed by someone else). */
  readonly address: string;
  readonly vaultNamespace?: string;
  /**
   * How often the agent reads the KV secret again (config `agentRenderInterval`); unset: the injector's or the agent's
   * default.
   */
  readonly renderInterval?: string;
  /** How the agent verifies Vault's TLS certificate (config `agentTls`). */
  readonly tls?: {
    /** A Secret in istiod's namespace, mounted by the injector at `AGENT_TLS_DIR`. */
    readonly caCertSecret?: string;
    /** The CA bundle's key in that Secret. */
    readonly caCertKey?: string;
    /** Or a CA bundle file that already exists in the pod. */
    readonly caCertPath?: string;
    readonly serverName?: string;
  };
}

const A = "vault.hashicorp.com";

/** Where the vault-agent injector mounts the Secret named by `vault.hashicorp.com/tls-secret`. */
export const AGENT_TLS_DIR = "/vault/tls";

/** Pure: istiod's pod annotations for the injector. Paths and templates only: no secret ever. */
export function injectorAnnotations(args: InjectorAnnotationArgs): Record<string, string> {
  const out: Record<string, string> = {
    [`${A}/agent-inject`]: "true",
    // istiod must find its CA files when it starts: render them before any container runs.
    [`${A}/agent-init-first`]: "true",
    [`${A}/role`]: args.role,
    [`${A}/auth-path`]: `auth/${args.authPath}`,
    [`${A}/service`]: args.address,
    [`${A}/secret-volume-path`]: args.secretVolumePath,
  };
  if (args.vaultNamespace) out[`${A}/namespace`] = args.vaultNamespace;
  const tls = args.tls ?? {};
  if (tls.caCertSecret) {
    // The injector mounts the Secret at AGENT_TLS_DIR; ca-cert is a path in the pod.
    out[`${A}/tls-secret`] = tls.caCertSecret;
    out[`${A}/ca-cert`] = `${AGENT_TLS_DIR}/${tls.caCertKey ?? "ca.crt"}`;
  } else if (tls.caCertPath) {
    out[`${A}/ca-cert`] = tls.caCertPath;
  }
  if (tls.serverName) out[`${A}/tls-server-name`] = tls.serverName;
  if (args.renderInterval) out[`${A}/template-static-secret-render-interval`] = args.renderInterval;
  for (const [file, t] of Object.entries(agentTemplates(args.paths))) {
    out[`${A}/agent-inject-secret-${file}`] = t.secretPath;
    out[`${A}/agent-inject-template-${file}`] = t.template;
  }
  return out;
}
