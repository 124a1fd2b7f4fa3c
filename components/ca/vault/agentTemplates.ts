import { VaultReadPaths } from "./paths";

/**
 * vault-agent injector annotations that render Istio's four plug-in CA files. Templates use only
 * consul-template's `secret` and Go's builtins; PKI fetches return PEMs without a trailing newline
 * (Vault trims them), so each certificate template adds one, and the key is stored with one.
 */

export const CA_FILES = ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"] as const;
export type CaFile = (typeof CA_FILES)[number];

export interface AgentTemplate {
  /** The Vault path the agent reads. */
  readonly secretPath: string;
  /** The consul-template text that renders the file. */
  readonly template: string;
}

const certTemplate = (path: string): string => `{{- with secret "${path}" -}}\n{{ .Data.certificate }}\n{{ end -}}\n`;

/** Pure: one template per file. `cert-chain.pem` is `ca_chain`: the intermediate, then the root. */
export function agentTemplates(p: VaultReadPaths): Record<CaFile, AgentTemplate> {
  const keyData = p.kvV2 ? ".Data.data" : ".Data";
  return {
    "ca-cert.pem": { secretPath: p.intermediateCert, template: certTemplate(p.intermediateCert) },
    "ca-key.pem": { secretPath: p.keySecret, template: `{{- with secret "${p.keySecret}" -}}\n{{ index ${keyData} "ca-key.pem" }}\n{{- end -}}\n` },
    "cert-chain.pem": { secretPath: p.intermediateChain, template: certTemplate(p.intermediateChain) },
    "root-cert.pem": { secretPath: p.rootCert, template: certTemplate(p.rootCert) },
  };
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
}

const A = "vault.hashicorp.com";

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
  for (const [file, t] of Object.entries(agentTemplates(args.paths))) {
    out[`${A}/agent-inject-secret-${file}`] = t.secretPath;
    out[`${A}/agent-inject-template-${file}`] = t.template;
  }
  return out;
}
