import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { CaBackend, CaDelivery, IstiodSettings } from "../contract";
import { withIstiodAdditions } from "../lifecycle";
import { injectorAnnotations } from "./agentTemplates";
import { istiodName } from "../../istio/deploymentEnv";
import { MeshComponent } from "../../shared/meshComponent";
import { Transform, transformed } from "../../shared/transform";
import { VaultPki, resolvedVaultSettings } from "./pki";
import { ResolvedVaultCaSettings, VaultCaSettings, durationSeconds } from "./settings";

export { VaultPki } from "./pki";
export type { VaultPkiArgs, VaultPkiTransform, IssuedIntermediate } from "./pki";
export { vaultProvider } from "./provider";
export { durationSeconds, resolveVaultSettings, vaultSettingsProblems } from "./settings";
export type {
  VaultCaSettings,
  ResolvedVaultCaSettings,
  VaultRootInput,
  VaultRootSettings,
  VaultInternalRoot,
  VaultOfflineRoot,
  VaultIntermediateSettings,
  VaultAuditSettings,
  VaultKvSettings,
  VaultKubernetesAuthSettings,
  VaultAgentTlsSettings,
  VaultInjectorSettings,
  TokenReviewer,
  VaultRootMode,
} from "./settings";

/**
 * Without a token reviewer JWT, Vault calls the TokenReview API with the JWT istiod logs in with,
 * so istiod's service account must be allowed to create TokenReviews (granted here explicitly).
 */
const TOKEN_REVIEW_RULE = { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] };

/**
 * What the stack's cluster gets from the stack: the provider and the PKI in Vault (with an offline
 * root, the PKI holds the stack's CA lifecycle and the cluster's intermediate).
 */
export interface VaultShared {
  readonly provider: vault.Provider;
  readonly pki: VaultPki;
}

export interface VaultCaArgs {
  /**
   * Kubernetes auth, the injector, the agent's TLS and ROOT_CA_DIR (the same settings the stack's
   * `VaultPki` was built from): checked and resolved here, unless already resolved (as the config
   * schema produces them).
   */
  readonly settings: VaultCaSettings | ResolvedVaultCaSettings;
  /** The stack's Vault provider and PKI. */
  readonly shared: VaultShared;
  /** The cluster's Kubernetes provider (for the injector chart). */
  readonly provider: k8s.Provider;
  /** Namespace istiod runs in: the default namespace its Vault role is bound to. */
  readonly istioNamespace: string;
  /** `istio.revision`: the default service account is then `istiod-<revision>`, as the chart names it. */
  readonly istioRevision?: string;
  /**
   * How messages name the settings (the stack program passes its config key, `istio-mesh-ca:ca`).
   * @default the component's name
   */
  readonly settingsName?: string;
  /** Per-child escape hatch (partial args or a function): adjust a child's args or options before it is registered. */
  readonly transform?: {
    readonly authBackend?: Transform<vault.AuthBackendArgs>;
    readonly authBackendConfig?: Transform<vault.kubernetes.AuthBackendConfigArgs>;
    readonly authBackendRole?: Transform<vault.kubernetes.AuthBackendRoleArgs>;
    readonly injectorNamespace?: Transform<k8s.core.v1.NamespaceArgs>;
    readonly injector?: Transform<k8s.helm.v4.ChartArgs>;
  };
}

/**
 * A cluster's CA from Vault: Kubernetes auth for istiod, optionally the vault-agent injector, and
 * the istiod contribution that renders the four CA files from Vault into ROOT_CA_DIR.
 */
export class VaultCa extends MeshComponent implements CaBackend {
  public readonly backendName = "vault";
  public readonly delivery: CaDelivery;
  public readonly istiodSettings: IstiodSettings;
  /** Vault's first writes for this stack: a token Vault refuses stops the update before the cluster is touched. */
  public readonly clusterWaitsFor: pulumi.Resource[];

  constructor(name: string, args: VaultCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ca", "VaultCa", name, opts);
    const { shared } = args;
    this.clusterWaitsFor = shared.pki.firstWrites;
    const settings =
      "resolved" in args.settings
        ? args.settings
        : resolvedVaultSettings(this, args.settingsName ?? name, args.settings);
    const vopts = { parent: this, provider: shared.provider };
    const auth = settings.kubernetesAuth;
    const t = args.transform ?? {};

    const authBackend = new vault.AuthBackend(
      this.childName("k8s-auth"),
      ...transformed(
        t.authBackend,
        this.childName("k8s-auth"),
        {
          type: "kubernetes",
          path: auth.path,
          description: "istiod logs in here to read its CA",
        },
        { ...vopts, dependsOn: shared.pki.firstWrites },
      ),
    );
    // The reviewer is explicit (kubernetesAuth.tokenReviewer): unless Vault is meant to review with its own
    // pod's token (vaultPod), disable_local_ca_jwt stops a Vault running in a pod from doing so.
    const authConfig = new vault.kubernetes.AuthBackendConfig(
      this.childName("k8s-auth-config"),
      ...transformed(
        t.authBackendConfig,
        this.childName("k8s-auth-config"),
        {
          backend: authBackend.path,
          kubernetesHost: auth.host,
          kubernetesCaCert: auth.caCertPem,
          disableLocalCaJwt: auth.tokenReviewer !== "vaultPod",
          ...(auth.tokenReviewer === "reviewerJwt" && auth.tokenReviewerJwt
            ? { tokenReviewerJwt: pulumi.secret(auth.tokenReviewerJwt) }
            : {}),
        },
        vopts,
      ),
    );
    const role = new vault.kubernetes.AuthBackendRole(
      this.childName("k8s-auth-role"),
      ...transformed(
        t.authBackendRole,
        this.childName("k8s-auth-role"),
        {
          backend: authBackend.path,
          roleName: auth.role,
          boundServiceAccountNames: [auth.serviceAccount ?? istiodName(args.istioRevision)],
          boundServiceAccountNamespaces: [auth.serviceAccountNamespace ?? args.istioNamespace],
          tokenPolicies: [shared.pki.policy.name],
          tokenPeriod: this.refusing(() => durationSeconds(auth.tokenPeriod, "kubernetesAuth.tokenPeriod")),
        },
        { ...vopts, dependsOn: [authConfig] },
      ),
    );

    const injector = settings.injector.install
      ? this.injectorChart(settings, args.provider, args.istioNamespace, t)
      : [];
    if (!settings.injector.install) {
      void pulumi.log.warn(
        `${args.settingsName ?? name}.injector.install is false: if the existing vault-agent injector's webhook has failurePolicy Ignore ` +
          `and misses istiod's pod, ROOT_CA_DIR stays empty and istiod silently starts its own self-signed CA; make its webhook fail closed ` +
          `for istiod (docs/vault.md, "The injector must fail closed")`,
        this,
      );
    }

    // Made by the PKI: generated in Vault, signed by the offline root of the phase, or a root stack's.
    const issued = shared.pki.issued;
    // istiod reads the four files the Vault agent renders into ROOT_CA_DIR, not `cacerts`.
    this.delivery = { kind: "external", material: issued.material };
    const contribution: IstiodSettings = {
      env: { ROOT_CA_DIR: settings.secretVolumePath },
      podAnnotations: injectorAnnotations({
        paths: shared.pki.paths,
        role: auth.role,
        authPath: auth.path,
        secretVolumePath: settings.secretVolumePath,
        address: settings.address,
        vaultNamespace: settings.namespace,
        tls: settings.agentTls,
        renderInterval: settings.agentRenderInterval,
      }),
      meshConfig: {},
      // Only when Vault reviews istiod's JWT with that same JWT.
      clusterRoleRules: auth.tokenReviewer === "clientJwt" ? [TOKEN_REVIEW_RULE] : [],
      dependsOn: [...issued.ready, role, ...injector],
    };
    const additions = shared.pki.istiodAdditions;
    this.istiodSettings = additions ? withIstiodAdditions(contribution, additions, this) : contribution;
    this.registerOutputs({ rootCertBundle: issued.material.rootCertBundle, certChain: issued.material.certChain });
  }

  /**
   * HashiCorp's chart with only the injector, pointed at the external Vault, its webhook failing
   * closed for istiod and only for istiod (injectorWebhookValues).
   */
  private injectorChart(
    settings: ResolvedVaultCaSettings,
    provider: k8s.Provider,
    istioNamespace: string,
    t: NonNullable<VaultCaArgs["transform"]>,
  ): pulumi.Resource[] {
    const k8sOpts = { parent: this, provider };
    const injector = settings.injector;
    const ns = new k8s.core.v1.Namespace(
      this.childName("injector-namespace"),
      ...transformed(
        t.injectorNamespace,
        this.childName("injector-namespace"),
        { metadata: { name: injector.namespace } },
        { ...k8sOpts, dependsOn: this.clusterWaitsFor },
      ),
    );
    const chart = new k8s.helm.v4.Chart(
      this.childName("injector"),
      ...transformed(
        t.injector,
        this.childName("injector"),
        {
          chart: "vault",
          version: injector.chartVersion,
          repositoryOpts: { repo: injector.chartRepository },
          namespace: injector.namespace,
          values: injectorChartValues(settings.address, istioNamespace),
        },
        { ...k8sOpts, dependsOn: [ns] },
      ),
    );
    return [chart];
  }
}

/**
 * Pure: values of HashiCorp's `vault` chart (0.30.1) with only the injector. Its webhook defaults to
 * `failurePolicy: Ignore`: a pod created while the injector is unreachable starts without its agent.
 * For istiod that means an empty ROOT_CA_DIR and a silently self-signed CA, so the webhook fails
 * closed (`injector.webhook.failurePolicy`, and the deprecated `injector.failurePolicy`, both `Fail`)
 * and, so that an injector outage blocks nothing else in the cluster, it only sees istiod's pods:
 * `namespaceSelector` the Istio namespace, `objectSelector` `app: istiod` (every revision's label).
 */
export function injectorChartValues(address: string, istioNamespace: string): Record<string, unknown> {
  return {
    server: { enabled: false },
    // `injector.externalVaultAddr` is deprecated in favour of `global.externalVaultAddr` (chart 0.21+); set both.
    injector: {
      enabled: true,
      externalVaultAddr: address,
      failurePolicy: "Fail",
      webhook: {
        failurePolicy: "Fail",
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": istioNamespace } },
        objectSelector: { matchLabels: { app: "istiod" } },
      },
    },
    global: { externalVaultAddr: address },
  };
}
