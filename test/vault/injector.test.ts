import { injectorAnnotations } from "../../components/ca/vault/agentTemplates";
import { vaultReadPaths } from "../../components/ca/vault/paths";
import { agentConfigOf, injectVaultAgent, underPodRoot } from "./injector";

/**
 * The injector emulation the e2e tier runs the real `vault agent` with (test/vault/injector.ts),
 * held to what hashicorp/vault-k8s's own tests expect of `Init`/`New`/`newConfig`/`Patch`, on the
 * annotations our Vault backend puts on istiod's pod.
 */

const SA_MOUNT = {
  name: "kube-api-access-x",
  mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
  readOnly: true,
};
const pod = (annotations: Record<string, string>, mounts = [SA_MOUNT]) => ({
  metadata: { annotations },
  spec: { serviceAccountName: "istiod", containers: [{ name: "discovery", volumeMounts: mounts }], volumes: [] },
});
const ours = (tls?: { caCertSecret?: string; caCertPath?: string; serverName?: string }) =>
  injectorAnnotations({
    paths: vaultReadPaths({ kvMount: "kv", kvPath: "istioca", kvVersion: 2 }),
    role: "istiod",
    authPath: "kubernetes",
    secretVolumePath: "/vault/secrets",
    address: "https://vault.example:8200",
    tls,
  });

describe("vault-agent injector emulation", () => {
  it("renders our four files from the KV secret into the secret volume, init agent exits after auth, sidecar keeps running", () => {
    const {
      pod: injected,
      initConfig,
      sidecarConfig,
    } = injectVaultAgent(pod(ours({ caCertSecret: "vault-ca", serverName: "vault.example" })), "istio-system", {
      address: "https://injector-default:8200",
    });
    expect(initConfig!.exit_after_auth).toBe(true);
    expect(sidecarConfig!.exit_after_auth).toBe(false);
    expect(sidecarConfig!.auto_auth).toEqual({
      method: {
        type: "kubernetes",
        mount_path: "auth/kubernetes",
        config: { role: "istiod", token_path: "/var/run/secrets/kubernetes.io/serviceaccount/token" },
      },
      sink: [{ type: "file", config: { path: "/home/vault/.vault-token" } }],
    });
    // The pod's `service` annotation wins over the injector's own address; the TLS secret is mounted at /vault/tls.
    expect(sidecarConfig!.vault).toEqual({
      address: "https://vault.example:8200",
      ca_cert: "/vault/tls/ca.crt",
      tls_server_name: "vault.example",
    });
    expect(sidecarConfig!.template!.map((t) => t.destination).sort()).toEqual([
      "/vault/secrets/ca-cert.pem",
      "/vault/secrets/ca-key.pem",
      "/vault/secrets/cert-chain.pem",
      "/vault/secrets/root-cert.pem",
    ]);
    expect(sidecarConfig!.template!.every((t) => t.contents!.includes('secret "kv/data/istioca"'))).toBe(true);
    expect(sidecarConfig!.template_config).toEqual({ exit_on_retry_failure: true });
    // init-first: the agent's init container runs before any other; every container sees the secret volume.
    expect(injected.spec.initContainers.map((c: any) => c.name)).toEqual(["vault-agent-init"]);
    expect(injected.spec.containers.map((c: any) => c.name)).toEqual(["discovery", "vault-agent"]);
    expect(injected.spec.containers[0].volumeMounts).toContainEqual({
      name: "vault-secrets",
      mountPath: "/vault/secrets",
      readOnly: false,
    });
    expect(injected.spec.volumes).toContainEqual({ name: "vault-tls-secrets", secret: { secretName: "vault-ca" } });
    expect(injected.metadata.annotations["vault.hashicorp.com/agent-inject-status"]).toBe("injected");
    expect(agentConfigOf(injected.spec.containers[1])).toEqual(sidecarConfig);
    // Injected once: a pod already marked injected is left alone.
    expect(injectVaultAgent(injected, "istio-system", { address: "x" }).sidecarConfig).toBeUndefined();
  });

  it("takes the static secret render interval from the pod's annotation, else the injector's setting", () => {
    const withAnn = injectVaultAgent(
      pod({ ...ours(), "vault.hashicorp.com/template-static-secret-render-interval": "15s" }),
      "ns",
      { address: "x", staticSecretRenderInterval: "1m" },
    );
    expect(withAnn.sidecarConfig!.template_config).toEqual({
      exit_on_retry_failure: true,
      static_secret_render_interval: "15s",
    });
    const fromInjector = injectVaultAgent(pod(ours()), "ns", { address: "x", staticSecretRenderInterval: "1m" });
    expect(fromInjector.sidecarConfig!.template_config!.static_secret_render_interval).toBe("1m");
  });

  it("refuses what the injector refuses, and annotations it does not emulate", () => {
    expect(() => injectVaultAgent(pod(ours(), []), "ns", { address: "x" })).toThrow(
      "failed to find service account volume mount",
    );
    const { ["vault.hashicorp.com/role"]: _, ...noRole } = ours();
    expect(() => injectVaultAgent(pod(noRole), "ns", { address: "x" })).toThrow("no Vault role found");
    expect(() =>
      injectVaultAgent(
        pod({ ...ours(), "vault.hashicorp.com/agent-inject-command-ca-cert.pem": "kill -HUP 1" }),
        "ns",
        { address: "x" },
      ),
    ).toThrow("vault.hashicorp.com/agent-inject-command-ca-cert.pem is not emulated");
    expect(() =>
      injectVaultAgent(pod({ ...ours(), "vault.hashicorp.com/agent-inject-template-file-x": "/t" }), "ns", {
        address: "x",
      }),
    ).toThrow("not emulated");
  });

  it("moves every file path of the configuration under the pod's root directory", () => {
    const c = underPodRoot(
      injectVaultAgent(pod(ours({ caCertSecret: "vault-ca" })), "ns", { address: "x" }).sidecarConfig!,
      "/tmp/pod/",
    );
    expect(c.pid_file).toBe("/tmp/pod/home/vault/.pid");
    expect(c.auto_auth.method.config!.token_path).toBe("/tmp/pod/var/run/secrets/kubernetes.io/serviceaccount/token");
    expect(c.auto_auth.sink[0].config.path).toBe("/tmp/pod/home/vault/.vault-token");
    expect(c.vault.ca_cert).toBe("/tmp/pod/vault/tls/ca.crt");
    expect(c.template!.every((t) => t.destination.startsWith("/tmp/pod/vault/secrets/"))).toBe(true);
  });
});
